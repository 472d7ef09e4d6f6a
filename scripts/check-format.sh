#!/usr/bin/env bash
# Fails when a C file of the project differs from what clang-format makes of it (.clang-format).
# With --fix, rewrites the files instead. Installs Debian's clang-format when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || ./scripts/setup.sh clang-format
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! clang-format --dry-run -Werror "${files[@]}" 2>"$log"; then
    grep -E '^[^ ].*: error:' "$log" | cut -d: -f1,2 | sort -u -t: -k1,1 | head -20
    echo "check-format: the files above differ from .clang-format's layout; scripts/check-format.sh --fix rewrites them"
    exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
