#!/bin/sh
# Runs every row of configs/validation/kv-offload-rows.json through kvtwin and prints kvtwin's figure next to the
# published one. A row's figure (its "figure" key), in ms: kv_wait = the KV wait of the second request (ready_s -
# admit_s of request id 1: the load of the prefix the first request wrote); ttft_reuse = that request's TTFT;
# ttft_first = the first request's TTFT (everything recomputed); ttft_pd = the two TTFTs added, a
# prefill/decode hand-off through the store (the prefill instance's TTFT, then the decode instance's load and
# first token, one after the other as a 1P1D proxy runs them). Output: one tab-separated line per row
#   id  published_ms  kvtwin_ms  error_fraction  within_tolerance
# Usage: scripts/validate-kv-offload.sh [ROW_ID...]   (KVTWIN=path/to/kvtwin, default build/kvtwin)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
kvtwin=${KVTWIN:-$root/build/kvtwin}
rows=$root/configs/validation/kv-offload-rows.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ids=${*:-$(python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))["rows"]))' "$rows")}
tol=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tolerance_fraction"])' "$rows")
printf 'id\tpublished_ms\tkvtwin_ms\terror\twithin_%s\n' "$tol"
for id in $ids; do
    set -- $(python3 -c 'import json,sys
r=[r for r in json.load(open(sys.argv[1]))["rows"] if r["id"]==sys.argv[2]]
if not r: sys.exit("validate-kv-offload: no row " + sys.argv[2])
print(r[0]["scenario"], r[0]["workload"], r[0]["published_ms"], r[0].get("figure", "kv_wait"))' "$rows" "$id")
    "$kvtwin" run "$root/configs/validation/$1" --set "workload.path=$root/configs/validation/$2" \
        --out "$tmp/$id" --force --quiet
    "$kvtwin" export "$tmp/$id" --out "$tmp/$id.csv" >/dev/null
    python3 - "$tmp/$id.csv/requests.csv" "$3" "$tol" "$id" "$4" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fig = sys.argv[5]
r = [x for x in rows if x["id"] == ("0" if fig == "ttft_first" else "1")][0]
r0 = [x for x in rows if x["id"] == "0"][0]
if fig == "ttft_pd":
    ms = (float(r0["ttft_s"]) + float(r["ttft_s"])) * 1e3
elif fig == "kv_wait":
    ms = (float(r["ready_s"]) - float(r["admit_s"])) * 1e3
elif fig in ("ttft_reuse", "ttft_first"):
    ms = float(r["ttft_s"]) * 1e3
else:
    sys.exit("validate-kv-offload: unknown figure " + fig)
pub, tol = float(sys.argv[2]), float(sys.argv[3])
err = (ms - pub) / pub
print("%s\t%.2f\t%.2f\t%+.3f\t%s" % (sys.argv[4], pub, ms, err, "yes" if abs(err) <= tol else "no"))
PY
done
