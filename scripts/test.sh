#!/usr/bin/env bash
# Builds everything and runs every test, as CI does (with -Werror, which users' builds do not
# get):
#  1. clang with ASan+UBSan (RelWithDebInfo): the fuzzers' time-boxed runs and the whole suite;
#  2. clang Release: the library and the command build warning-free with a user's options;
#  3. g++ Release for /usr: warning-free, then the Debian package made and checked
#     (scripts/package-deb.sh: lintian, installed, man corekit, a consumer built against /usr);
#  4. the whole suite on the g++ Release build, whose ctest summary closes the output (it
#     includes installing into a temporary prefix and building a consumer against it) — but the
#     crash handler's tests on the real kernel (label `capture`), which ran alone, one at a time,
#     in step 1 under the sanitizers, where the handler's memory errors would show: run twice
#     they cost CI 2.5 minutes; nor the debuginfod server tests (label `debuginfod`), also run
#     in step 1, where a timeout or a cancelled download would show its memory errors too; nor
#     the server's (label `server`: uploads under load, a SIGKILLed server), run in step 1 too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOREKIT_WERROR=ON \
  -DCOREKIT_FUZZ=ON -DCOREKIT_BENCH=OFF -DCOREKIT_FUZZ_SECONDS="${COREKIT_FUZZ_SECONDS:-45}" >/dev/null
cmake --build build-sanitize -j "$jobs"
ctest --test-dir build-sanitize --output-on-failure -j "$jobs"

# (the tests were compiled by clang above already: here the library, the command and its docs)
CC=clang CXX=clang++ cmake -S . -B build-clang-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCOREKIT_WERROR=ON -DCOREKIT_TESTS=OFF -DCOREKIT_BENCH=OFF >/dev/null
cmake --build build-clang-release -j "$jobs"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOREKIT_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build -j "$jobs"
./scripts/package-deb.sh build
ctest --test-dir build --output-on-failure -j "$jobs" -LE 'capture|debuginfod|server'
