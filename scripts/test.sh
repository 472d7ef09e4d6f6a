#!/usr/bin/env bash
# Installs what is missing, builds kvtwin with warnings as errors, and runs every test with CTest.
# The tests of the outside services run here too: a single-node Slurm (scripts/slurm-up.sh, stopped again
# on exit, also on failure), headless Chromium for the HTML report, and Debian's python3-h5py/pandas for the
# documented Python snippet; KVTWIN_TEST_SERVICES=1 makes a missing one a failure rather than a skip.
# With --sanitize, builds into build-asan/ with AddressSanitizer and UBSan and runs the tests there, without
# the service tests (label "services": they test the same code against Slurm and a browser, slowly).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
opts=(-DKVTWIN_WERROR=ON)
ctest_args=()
services=
if [ "${1:-}" = "--sanitize" ]; then
    build=build-asan
    opts+=(-DKVTWIN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
    ctest_args+=(-LE services)
    ./scripts/setup.sh
elif [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
    services=1
    ./scripts/setup.sh slurm-wlm munge chromium python3-h5py python3-pandas
else
    echo "test: not root and no sudo: the Slurm, Chromium and Python tests will be skipped" >&2
    ./scripts/setup.sh
fi
./scripts/build.sh "$build" "${opts[@]}"
if [ -n "$services" ]; then
    t0=$(date +%s)
    trap "'$PWD/scripts/slurm-down.sh'" EXIT
    eval "$(./scripts/slurm-up.sh)"
    export KVTWIN_TEST_SERVICES=1
    echo "test: Slurm up in $(($(date +%s) - t0)) s" >&2
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" "${ctest_args[@]}"
