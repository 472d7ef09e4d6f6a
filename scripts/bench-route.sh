#!/usr/bin/env bash
# Benchmark of the routers (not a test): time per routing decision at 36 to 288 instances, prefixes of 256
# and 2,048 blocks (tests/bench_route.c). Figures go to docs/performance.md.
# Usage: scripts/bench-route.sh [BUILD_DIR] [DECISIONS]   (default build/, 2000 decisions per point)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/tests/bench_route" ] || cmake --build "$build" --target bench_route
echo "# machine: $(uname -m), $(nproc) cores; $(date -u +%Y-%m-%d)"
"$build/tests/bench_route" "${2:-2000}"
