#!/usr/bin/env bash
# The demo: builds corekit and a bundled sample program, lets the program crash (a NULL
# dereference in a worker thread), and shows `corekit info` and `corekit threads` of its core.
# When the kernel's cores go to a pipe (systemd-coredump), the core comes from gcore instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target corekit crash >/dev/null
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
