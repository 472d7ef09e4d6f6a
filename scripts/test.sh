#!/usr/bin/env bash
# Installs what is missing, builds kvtwin with warnings as errors, and runs every test with CTest.
# With --sanitize, builds into build-asan/ with AddressSanitizer and UBSan and runs the tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=build
opts=(-DKVTWIN_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
    build=build-asan
    opts+=(-DKVTWIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
./scripts/build.sh "$build" "${opts[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)"
