#!/usr/bin/env bash
# The demo: builds corekit and a bundled sample program, lets the program crash (a NULL
# dereference in a worker thread), and shows `corekit info`, `threads`, `report` and a `debug`
# batch session on its core, and one on a C++ program's core (its standard containers); runs a
# Python triage script (examples/deadlocks.py) on the core of a deadlocked service; then dumps a
# running copy of the program with `--non-stop` and
# compacts that core; then installs corekit's crash handler into a store in demo/, crashes the
# sample again (and an assertion and an uncaught exception), shows `crashes list` and
# `crashes info @last`, and restores core_pattern; last, starts `corekit serve` on that store
# (in the background, on 127.0.0.1), uploads the first core to it with `corekit upload`, and
# prints its URL. When the kernel's cores go to a pipe (systemd-coredump), the crash core comes
# from gcore instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build --target corekit crash throw_crash containers_programs triage >/dev/null
# The Python module, when pybind11 is there (scripts/install-deps.sh installs it).
python_module=false
grep -q '^COREKIT_PYTHON:BOOL=ON$' build/CMakeCache.txt && cmake --build build --target corekit_python >/dev/null &&
  python_module=true
demo=$PWD/demo
rm -rf "$demo" && mkdir -p "$demo"
cd "$demo"
if grep -q '^|' /proc/sys/kernel/core_pattern; then
  echo "(core_pattern is a pipe; taking the core with gcore)"
  ../build/tests/crash --threads=3 --mode=wait > ready.txt &
  pid=$!
  sleep 1
  gcore -o core "$pid" >/dev/null 2>&1
  kill -9 "$pid"
  mv "core.$pid" core
else
  # The program is meant to die; the shell need not announce it.
  { (ulimit -c unlimited; exec ../build/tests/crash --threads=3 --mode=segv > ready.txt) 2>/dev/null; } 2>/dev/null || true
fi
echo "\$ corekit info demo/core"
../build/corekit info core
echo
echo "\$ corekit threads demo/core"
../build/corekit threads core
echo
echo "\$ corekit report demo/core"
../build/corekit report core
echo
echo "\$ corekit symbols --offline demo/core"
../build/corekit symbols --offline core
echo
echo "\$ corekit debug demo/core --batch -ex 'bt full' -ex 'frame function worker' -ex 'p *(long *)\$sp@2' -ex 'info registers rip rsp'"
../build/corekit debug core --batch -ex 'bt full' -ex 'frame function worker' -ex 'p *(long *)$sp@2' -ex 'info registers rip rsp'
echo
# A C++ program's core: the standard library's containers, as gdb's printers show them.
if ! grep -q '^|' /proc/sys/kernel/core_pattern; then
  mkdir -p cxx
  { (cd cxx; ulimit -c unlimited; exec ../../build/tests/containers-gxx-O0 >/dev/null) 2>/dev/null; } 2>/dev/null || true
  echo "\$ corekit debug demo/cxx/core --batch -ex 'bt 2' -ex 'frame 1' -ex 'p by_id' -ex 'p orders' -ex 'p owned' -ex 'set print pretty on' -ex 'p index' -ex 'p \$_siginfo.si_signo'"
  ../build/corekit debug cxx/core --batch -ex 'bt 2' -ex 'frame 1' -ex 'p by_id' -ex 'p orders' -ex 'p owned' -ex 'set print pretty on' -ex 'p index' -ex 'p $_siginfo.si_signo'
  echo
fi
# Python: a triage script on the core of a service that deadlocked (two threads, two mutexes)
# while four workers idled, killed with SIGABRT.
if $python_module && ! grep -q '^|' /proc/sys/kernel/core_pattern; then
  mkdir -p hung
  { (cd hung; ulimit -c unlimited; exec ../../build/tests/triage >/dev/null) 2>/dev/null; } 2>/dev/null || true
  echo "\$ python3 examples/deadlocks.py demo/hung/core   # with PYTHONPATH=build/python: import corekit"
  PYTHONPATH=../build/python /usr/bin/python3 ../examples/deadlocks.py hung/core || true
  echo
fi
../build/tests/crash --threads=3 --mode=wait --alloc-mib=256 > running.txt &
running=$!
trap 'kill $running 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q ready running.txt 2>/dev/null && break; sleep 0.1; done
echo "\$ corekit dump --non-stop $running -o demo/live.core   # a running process with 256 MiB of heap"
../build/corekit dump --non-stop "$running" -o live.core
echo
echo "\$ corekit compact demo/live.core demo/live.small"
../build/corekit compact live.core live.small
echo
# The web pages and the collector: `corekit serve` on the demo's store, left running in the
# background (its own session) for a browser; the first core uploaded to it.
serve_store() {
  local log=$demo/serve.log url
  kill "$running" 2>/dev/null || true
  : > "$log"
  setsid ../build/corekit serve --store "$demo/store" --listen 127.0.0.1:8123 > "$log" 2>&1 < /dev/null &
  for _ in $(seq 50); do grep -q http "$log" && break; sleep 0.1; done
  if ! grep -q http "$log"; then  # 8123 taken: any free port
    setsid ../build/corekit serve --store "$demo/store" --listen 127.0.0.1:0 > "$log" 2>&1 < /dev/null &
    for _ in $(seq 50); do grep -q http "$log" && break; sleep 0.1; done
  fi
  url=$(grep -o 'http://[^ ]*' "$log" | head -1)
  url=${url%/}
  echo
  echo "\$ corekit serve --store demo/store --listen 127.0.0.1:8123 &"
  cat "$log"
  echo
  echo "\$ corekit upload demo/core $url"
  ../build/corekit upload core "$url"
  echo
  echo "\$ curl -s $url/api/v1/groups   # the groups page's JSON, in short"
  curl -s "$url/api/v1/groups" | python3 -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    print("%3d  %s" % (g["count"], g["signature"]))'
  echo
  echo "The crash pages are at $url/ (groups), $url/crashes and $url/crashes/ID."
  echo "The server goes on in the background; stop it with: pkill -f 'corekit serve --store $demo/store'"
}

# The crash handler: installed into a store in the demo folder, the sample crashed again, the
# store read, and the previous core_pattern restored on every way out.
if [ "$(id -u)" -ne 0 ] || ! [ -w /proc/sys/kernel/core_pattern ]; then
  echo "(not root, or /proc/sys is read-only: skipping the crash handler part)"
  serve_store
  exit 0
fi
saved_pattern=$(cat /proc/sys/kernel/core_pattern)
saved_limit=$(cat /proc/sys/kernel/core_pipe_limit)
restore() {
  kill "$running" 2>/dev/null || true
  echo "$saved_limit" > /proc/sys/kernel/core_pipe_limit
  echo "$saved_pattern" > /proc/sys/kernel/core_pattern
}
trap restore EXIT
echo "\$ corekit handler install --store demo/store --force"
../build/corekit handler install --store "$demo/store" --force
{ (ulimit -c unlimited; exec ../build/tests/crash --threads=3 --mode=segv > /dev/null) 2>/dev/null; } 2>/dev/null || true
{ (ulimit -c unlimited; exec ../build/tests/crash --threads=0 --mode=assert > /dev/null) 2>/dev/null; } 2>/dev/null || true
{ (ulimit -c unlimited; exec ../build/tests/throw_crash > /dev/null) 2>/dev/null; } 2>/dev/null || true
# The handler analyses the core after the process is gone: wait for it.
for _ in $(seq 100); do pgrep -f "corekit handle --store $demo/store" >/dev/null || break; sleep 0.1; done
echo
echo "\$ corekit crashes list --store demo/store"
../build/corekit crashes list --store "$demo/store"
echo
echo "\$ corekit crashes info --store demo/store last"
../build/corekit crashes info --store "$demo/store" last
echo
echo "\$ corekit handler uninstall --store demo/store"
../build/corekit handler uninstall --store "$demo/store" --force
restore
trap - EXIT
serve_store
