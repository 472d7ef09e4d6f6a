#!/bin/sh
# ctest for the published KV-offload rows (docs/validation.md, "Published KV-offload measurements"). Fails when
#  - a Mooncake transfer-engine row meant to be in tolerance (16K to 256 tokens: out of sample) moves out of it;
#  - the engine's own break-even under Eq. 2's assumptions (A800) leaves 10 % of Mooncake's 5.86 GB/s;
#  - the negative case changes: below the break-even the cost decision must recompute (0 reused tokens) and
#    forcing the load must make the first token later than recomputing.
# Usage: validate_kv_offload.sh KVTWIN SOURCE_DIR
set -eu
export KVTWIN="$1"
src=$2
fail() { echo "validate_kv_offload: $*" >&2; exit 1; }
out=$("$src/scripts/validate-kv-offload.sh" mooncake-te-16k mooncake-te-8k mooncake-te-4k mooncake-te-2k \
    mooncake-te-1k mooncake-te-512 mooncake-te-256)
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | awk 'NR > 1' | wc -l)" -eq 7 ] || fail "expected 7 rows"
[ "$(printf '%s\n' "$out" | awk -F'\t' 'NR > 1 && $5 != "yes"' | wc -l)" -eq 0 ] || fail "row(s) outside the tolerance"
be=$("$src/scripts/validate-break-even.sh" a800-ideal)
printf '%s\n' "$be"
printf '%s\n' "$be" | awk -F'\t' 'NR == 2 { e = $4 < 0 ? -$4 : $4; exit !(e <= 0.10) }' || fail "break-even off by more than 10 %"
neg=$("$src/scripts/validate-negative.sh" 1e9)
printf '%s\n' "$neg"
printf '%s\n' "$neg" | awk -F'\t' '$1 == "cost" { exit !($2 == 0) }' || fail "the cost decision loaded below the break-even"
printf '%s\n' "$neg" | awk -F'\t' '$1 == "always" { exit !($5 > 1.2) }' || fail "forced load not slower than recompute"
