#!/usr/bin/env bash
# Rewrites the golden outputs (tests/golden/NAME.json) from the current build and prints what moved.
# A change that moves a golden figure says why in its commit message; this is the only way to update them.
# Usage: scripts/update-golden.sh [BUILD_DIR]   (default build/; builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
./scripts/build.sh "$build"
if ! KVTWIN_GOLDEN_UPDATE=1 CK_RUN_CASE=figures "$build/tests/check_golden" >"$build/update-golden.log" 2>&1; then
    cat "$build/update-golden.log" >&2
    echo "update-golden: a case failed to run; golden files may be partly rewritten (git checkout tests/golden)" >&2
    exit 1
fi
if git diff --quiet -- tests/golden && [ -z "$(git ls-files --others --exclude-standard tests/golden)" ]; then
    echo "update-golden: no golden figure moved"
    exit 0
fi
git --no-pager diff --stat -- tests/golden
git ls-files --others --exclude-standard tests/golden | sed 's/^/new: /'
git --no-pager diff -U0 -- tests/golden | grep -E '^[-+][^-+]' || true
echo "update-golden: golden figures rewritten; say why they moved in the commit message"
