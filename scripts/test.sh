#!/usr/bin/env bash
# Builds everything and runs every test: first a clang build with ASan+UBSan (the fuzzer's
# time-boxed run and the whole suite under sanitizers, and proof that clang builds the tree
# warning-free), then the g++ build and the whole suite, whose ctest summary closes the output.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOREKIT_FUZZ=ON -DCOREKIT_BENCH=OFF -DCOREKIT_FUZZ_SECONDS="${COREKIT_FUZZ_SECONDS:-60}" >/dev/null
cmake --build build-sanitize -j "$jobs"
ctest --test-dir build-sanitize --output-on-failure -j "$jobs"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
