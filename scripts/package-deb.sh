#!/usr/bin/env bash
# scripts/package-deb.sh [BUILD_DIR]: makes corekit_<version>_<arch>.deb from a build configured
# for /usr (scripts/test.sh's Release build; configured here when BUILD_DIR has none) and checks
# it as a user would meet it: its contents, lintian (an error fails; warnings are listed), then
# `apt-get install ./corekit_*.deb`, `corekit --version`, `man corekit` and the consumer program
# built against /usr — and removes the package again. Needs root (or sudo) to install.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$build/CMakeCache.txt" ||
  { echo "package-deb: $build is not configured for /usr (-DCMAKE_INSTALL_PREFIX=/usr)"; exit 1; }
targets=(corekit corekit_library corekit_docs corekit_changelog)
python_module=false
grep -q '^COREKIT_PYTHON:BOOL=ON$' "$build/CMakeCache.txt" && python_module=true && targets+=(corekit_python)
cmake --build "$build" --target "${targets[@]}"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
grep -q "^corekit ($version)" packaging/changelog ||
  { echo "package-deb: packaging/changelog does not start with version $version"; exit 1; }
rm -f "$build"/corekit_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/corekit_"$version"_*.deb)
echo "package-deb: built $deb"

# Contents: what a user and a library user need, and nothing of the tests or internal headers.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./usr/bin/corekit ./usr/share/man/man1/corekit.1.gz \
            ./usr/share/bash-completion/completions/corekit ./usr/share/doc/corekit/copyright \
            ./usr/include/corekit/core/core_file.h ./usr/include/corekit/unwind/unwinder.h; do
  grep -qx -- "$want" <<<"$contents" || { echo "package-deb: $want missing"; exit 1; }
done
for want in 'libcorekit\.a' 'cmake/corekit/corekitConfig\.cmake' 'pkgconfig/corekit\.pc'; do
  grep -q "^\./usr/lib/.*$want$" <<<"$contents" || { echo "package-deb: $want missing"; exit 1; }
done
if $python_module; then
  for want in '/python3/dist-packages/corekit/_corekit\.cpython-.*\.so' '/python3/dist-packages/corekit/__init__\.pyi?' \
              '/python3/dist-packages/corekit/py\.typed'; do
    grep -qE "^\./usr/lib$want$" <<<"$contents" || { echo "package-deb: the Python module's $want missing"; exit 1; }
  done
fi
if grep -E 'impl\.h|dwarf_access\.h|registers\.h|elf_image\.h|_test|/tests/' <<<"$contents"; then
  echo "package-deb: internal files in the package"; exit 1
fi
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libdw1 libelf1 libc6; do
  grep -q "$lib" <<<"$depends" || { echo "package-deb: Depends lacks $lib: $depends"; exit 1; }
done
echo "package-deb: Depends: $depends"

if command -v lintian >/dev/null; then
  lintian_out=$(lintian --no-tag-display-limit "$deb" 2>&1 || true)
  if grep -q '^E:' <<<"$lintian_out"; then
    echo "$lintian_out"; echo "package-deb: lintian reports errors"; exit 1
  fi
  echo "package-deb: lintian: $(grep -c '^W:' <<<"$lintian_out" || true) warnings"
  grep '^W:' <<<"$lintian_out" || true
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if dpkg-query -W corekit >/dev/null 2>&1; then
  # In CI a run that was stopped may have left it; on a developer's machine it is theirs.
  [ "${CI:-}" = true ] || { echo "package-deb: a corekit package is installed already; not replacing it"; exit 1; }
  $sudo apt-get remove -y -qq corekit >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "$(realpath "$deb")" >/dev/null
trap '$sudo apt-get remove -y -qq corekit >/dev/null' EXIT
[ "$(/usr/bin/corekit --version)" = "corekit $version" ] || { echo "package-deb: corekit --version"; exit 1; }
if $python_module; then
  [ "$(cd / && /usr/bin/python3 -c 'import corekit; print(corekit.__version__)')" = "$version" ] ||
    { echo "package-deb: import corekit"; exit 1; }
fi
MANWIDTH=80 man corekit 2>/dev/null | grep -q '^COMMANDS' || { echo "package-deb: man corekit"; exit 1; }
# The consumer counts a core's threads: a peer core whose count is known, or (without the
# corpus) the core the installed corekit writes of a one-thread process.
core=../shared/corpus/lldb/thread_crash-linux-x86_64.core
threads=3
if [ ! -f "$core" ]; then
  scratch=$(mktemp -d)
  trap '$sudo apt-get remove -y -qq corekit >/dev/null; rm -rf "$scratch"' EXIT
  sleep 60 &
  sleeper=$!
  /usr/bin/corekit dump --quiet -o "$scratch/sleep.core" "$sleeper"
  kill "$sleeper"
  core=$scratch/sleep.core
  threads=1
fi
./tests/consumer/run.sh /usr "$core" "$threads"
echo "package-deb: $deb installs and works"
