#!/usr/bin/env bash
# Build everything and run the tests, on a fresh Debian machine or a used one.
#
#   tests/run.sh [ctest args...]   install missing packages, configure, build, ctest
#   tests/run.sh --deps-only       install missing packages only
#
# The compiler is $CXX (else CMake's default); the build directory is
# $KSYM_BUILD_DIR (default: build, in the repository). Packages are installed
# with apt-get, through sudo when not root, and only when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The test programs need doctest and Google Benchmark, the fuzz targets clang
# and its runtime, tests/corpus/fetch.sh the unpackers and llvm (llvm-nm),
# the tool's compressed dumps and kernels the codec libraries (dumps: zlib,
# zstd, lzo, snappy; kernels: zlib, bzip2, lzma/xz, lzo, lz4, zstd), the BTF
# test bpftool (an independent reader of the same BTF), the `ksym elf` test
# gdb-multiarch (gdb for arm64 as well as x86-64; llvm gives it llvm-nm and
# llvm-objdump for both), the bare-metal example the aarch64 cross compiler
# and QEMU (qemu-system-aarch64).
packages=(cmake make g++ clang libclang-rt-dev doctest-dev libbenchmark-dev pkg-config
          xz-utils zstd gzip llvm zlib1g-dev libzstd-dev liblzo2-dev libsnappy-dev
          libbz2-dev liblzma-dev liblz4-dev bpftool gdb-multiarch g++-aarch64-linux-gnu qemu-system-arm)

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null || { echo "run.sh: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
      sudo=(sudo)
    fi
    echo "run.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "run.sh: no dpkg-query, so not a Debian system: install the equivalents of ${packages[*]} yourself" >&2
fi
if [ "${1-}" = --deps-only ]; then exit 0; fi

build=${KSYM_BUILD_DIR:-build}
# CMake reads $CXX only when it creates a build directory, and told of another
# compiler later it drops its whole cache, KSYM_REQUIRE_TEST_DEPS included; so
# a build directory configured with another compiler starts afresh.
if [ -n "${CXX-}" ] && [ -f "$build/CMakeCache.txt" ]; then
  cached=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
  if [ "$(readlink -f "$(command -v "$cached")")" != "$(readlink -f "$(command -v "${CXX%% *}")")" ]; then
    echo "run.sh: $build was configured with $cached; reconfiguring it for $CXX"
    rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
  fi
fi
cmake -S . -B "$build" -DKSYM_REQUIRE_TEST_DEPS=ON
cmake --build "$build" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
ctest --test-dir "$build" --output-on-failure "$@"
