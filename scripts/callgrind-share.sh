#!/usr/bin/env bash
# Instruction counts of one kvtwin run under callgrind (they repeat exactly from run to run, unlike wall
# time on a shared machine), split into the max-min bandwidth solver (SimGrid's lmm namespace), the rest
# of SimGrid, kvtwin's own code and the libraries (HDF5, zlib, libc, ...). Not a test; slow (about 60x).
#
# Usage: scripts/callgrind-share.sh [--build DIR] SCENARIO [kvtwin run options, e.g. --set KEY=VALUE]
#        scripts/callgrind-share.sh --file CALLGRIND_OUT   (split an existing profile)
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
file=""
case "${1:-}" in
--build) build=$2; shift 2 ;;
--file) file=$2; shift 2 ;;
-h | --help | "") sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
command -v callgrind_annotate >/dev/null || { echo "callgrind-share: valgrind is not installed" >&2; exit 2; }
if [ -z "$file" ]; then
    scenario=$1
    shift
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    file=$out/callgrind.out
    valgrind --tool=callgrind --callgrind-out-file="$file" "$build/kvtwin" run "$scenario" --out "$out/run" --force \
        "$@" 2>&1 | grep '^kvtwin: [0-9]' || true
fi
# Exclusive counts per function, summed by where the function lives. Code inlined from a header is listed
# as FILE:FUNCTION without its object; it belongs to the object of the function it was inlined into.
callgrind_annotate --auto=no --threshold=100 "$file" 2>/dev/null | awk '
    /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1; next }
    /^ *[0-9,]+ +\(/ && total > 0 {
        n = $1; gsub(",", "", n);
        fn = $0; sub(/ +\[[^]]*\] *$/, "", fn); sub(/^.*:/, "", fn); sub(/\..*$/, "", fn);
        if (match($0, /\[[^]]*\] *$/)) { obj = substr($0, RSTART, RLENGTH); objof[fn] = obj }
        else obj = "";
        cnt[NR] = n; line[NR] = $0; fun[NR] = fn; ob[NR] = obj;
    }
    END {
        if (total == 0) { print "callgrind-share: no totals in the profile" > "/dev/stderr"; exit 1 }
        for (i in cnt) {
            o = ob[i] != "" ? ob[i] : objof[fun[i]];
            if (line[i] ~ /simgrid::kernel::lmm::/) solver += cnt[i];
            else if (o ~ /libsimgrid/) simgrid += cnt[i];
            else if (o ~ /kvtwin\]/) own += cnt[i];
            else other += cnt[i];
        }
        printf "instructions      %.0f\n", total;
        printf "max-min solver    %5.1f %%  (simgrid::kernel::lmm)\n", 100 * solver / total;
        printf "rest of SimGrid   %5.1f %%\n", 100 * simgrid / total;
        printf "kvtwin            %5.1f %%\n", 100 * own / total;
        printf "libraries         %5.1f %%  (HDF5, zlib, libc, ...)\n", 100 * other / total;
    }'
