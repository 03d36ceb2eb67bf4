#!/usr/bin/env bash
# Installs the Debian packages corekit's build, tests and benchmarks need. Idempotent and quiet:
# when everything is present it prints nothing and touches nothing.
set -euo pipefail
packages=(
  # build
  cmake ninja-build g++ clang pkg-config
  libdw-dev libelf-dev libdebuginfod-dev libfmt-dev libcli11-dev nlohmann-json3-dev libzstd-dev liblz4-dev liblzma-dev zlib1g-dev
  libedit-dev libcapstone-dev libsqlite3-dev
  libcpp-httplib-dev libssl-dev libbrotli-dev libpq-dev
  # the Python module (import corekit) for Debian's python3, and pip's build of it
  python3-dev pybind11-dev python3-pip python3-setuptools python3-wheel python3-venv
  # tests: frameworks, oracles, other architectures, fuzzing
  libgtest-dev libbenchmark-dev llvm-14-tools libclang-rt-14-dev libc++-14-dev libc++abi-14-dev
  gdb gdb-multiarch elfutils binutils lldb tmux debuginfod dwz
  chromium postgresql curl sqlite3
  libc6-dev-i386 lib32gcc-12-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  zstd xz-utils lz4 gzip
  # the Python module's tests: pytest, drgn as the oracle, mypy's stubtest; glibc's debug info
  python3-pytest python3-drgn mypy libc6-dbg
  # packaging: the .deb, its dependencies, its check, the man page
  dpkg-dev file lintian man-db groff-base
  # benchmarks
  time
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# gcc-multilib conflicts with the AArch64 cross compiler in Debian 12, so i386 builds use
# libc6-dev-i386 + lib32gcc-12-dev directly.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
