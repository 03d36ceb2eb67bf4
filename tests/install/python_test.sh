#!/usr/bin/env bash
# tests/install/python_test.sh CMAKE BUILD PYTHON PYTHON_DIR SOURCE CORE
# The Python package as a user gets it: `cmake --install BUILD --prefix P` puts it in
# P/PYTHON_DIR; `pip install --no-build-isolation SOURCE` (in a virtual environment that sees
# Debian's setuptools) builds and installs it. Each copy is imported from outside the source
# tree and opens CORE (3 threads).
set -euo pipefail
cmake=$1 build=$2 python=$3 python_dir=$4 source=$5 core=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check='import corekit, sys
assert corekit.__file__.startswith(sys.argv[1]), corekit.__file__
with corekit.open(sys.argv[2]) as p:
    assert len(p.threads) == 3, p.threads
    assert p.crashed_thread.backtrace()
print("ok:", corekit.__file__)'

"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
for file in __init__.py __init__.pyi py.typed; do
  [ -f "$work/prefix/$python_dir/corekit/$file" ] || { echo "FAIL: $python_dir/corekit/$file not installed"; exit 1; }
done
(cd "$work" && PYTHONPATH="$work/prefix/$python_dir" "$python" -c "$check" "$work/prefix" "$core")

# For /usr and /usr/local, the directory is one the interpreter imports from.
"$python" -c "import sys
for prefix in ('/usr', '/usr/local'):
    if prefix + '/' + sys.argv[1] in sys.path: sys.exit(0)
sys.exit('FAIL: ' + sys.argv[1] + ' is on sys.path under neither /usr nor /usr/local')" "$python_dir"

"$python" -m venv --system-site-packages "$work/venv"
if ! COREKIT_CMAKE_BUILD_DIR="$build" "$work/venv/bin/pip" install --no-build-isolation --no-index "$source" \
     >"$work/pip.log" 2>&1; then
  cat "$work/pip.log"
  echo "FAIL: pip install"
  exit 1
fi
(cd "$work" && "$work/venv/bin/python" -c "$check" "$work/venv" "$core")
