#!/bin/sh
# ctest: the in-tolerance Mooncake transfer-engine rows (16K and 8K prompts, out of sample) must stay within
# the rows file's tolerance; fails when kvtwin's load time moves by more than that. Usage: KVTWIN SOURCE_DIR
set -eu
out=$(KVTWIN="$1" "$2/scripts/validate-kv-offload.sh" mooncake-te-16k mooncake-te-8k)
printf '%s\n' "$out"
bad=$(printf '%s\n' "$out" | awk -F'\t' 'NR > 1 && $5 != "yes"' | wc -l)
rows=$(printf '%s\n' "$out" | awk 'NR > 1' | wc -l)
[ "$rows" -eq 2 ] || { echo "validate_kv_offload: expected 2 rows, got $rows" >&2; exit 1; }
[ "$bad" -eq 0 ] || { echo "validate_kv_offload: $bad row(s) outside the tolerance" >&2; exit 1; }
