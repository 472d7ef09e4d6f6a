#!/bin/sh
# Regenerates the table at the top of docs/validation.md (between the validation-table markers) from
# docs/validation-rows.json: runs every row's command from the repository root (kvtwin's figure on stdout) or,
# for rows marked "stored" (runs of an hour or more), prints the recorded figure with the command that
# regenerates it. Error = kvtwin / reference - 1 (kind "ratio"), the figure itself (kind "mape"), or none.
# The median is taken over the absolute errors of the rows that have one. About a minute on 2 cores.
# Usage: scripts/validation-table.sh [--check]   (--check: print the table, leave the document alone)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -x build/kvtwin ] || { echo "validation-table: build/kvtwin missing: build first" >&2; exit 2; }
python3 - "${1:-}" <<'PY'
import json, statistics, subprocess, sys
doc = "docs/validation.md"
rows = json.load(open("docs/validation-rows.json"))["rows"]
def fmt(v):
    if v is None: return "—"
    a = abs(v)
    return ("%.0f" if a >= 1000 else "%.1f" if a >= 100 else "%.2f" if a >= 1 else "%.4f") % v
out, errs, errs8, errs_out = [], [], [], []
out.append("| # | target | reference | kvtwin | error | sample | command |")
out.append("|---|---|---|---|---|---|---|")
for i, r in enumerate(rows, 1):
    if "stored" in r:
        k, how = float(r["stored"]), "stored %s; regenerate: %s" % (r["stored_on"], r["command"])
    else:
        p = subprocess.run(r["command"], shell=True, capture_output=True, text=True)
        if p.returncode != 0 or not p.stdout.strip():
            sys.exit("validation-table: row %d (%s) failed: %s" % (i, r["target"], p.stderr.strip()[-300:]))
        k, how = float(p.stdout.split()[0]), "`%s`" % r["command"].replace("|", "\\|")
    ref = r["reference"]
    if r["kind"] == "mape": e = k
    elif r["kind"] == "ratio" and ref: e = k / ref - 1
    else: e = None
    if e is not None and "qualitative" not in r["sample"]:
        errs.append(abs(e))
        if r["section"].startswith("§8"): errs8.append(abs(e))
        if r["sample"].startswith("out"): errs_out.append(abs(e))
    es = "—" if e is None else ("%.1f %% (MAPE)" % (100 * e) if r["kind"] == "mape" else "%+.1f %%" % (100 * e))
    out.append("| %d | %s: %s | %s | %s | %s | %s | %s |" % (i, r["section"], r["target"], fmt(ref), fmt(k), es, r["sample"], how))
out.append("")
out.append("Median absolute error over the %d rows with an error: **%.1f %%**; over the %d out-of-sample rows: "
           "**%.1f %%**; over the §8 KV-offload rows (%d): **%.1f %%**. Rows marked stored are long runs recorded "
           "on the date given; every other figure was computed by `scripts/validation-table.sh` from the command "
           "in its row." % (len(errs), 100 * statistics.median(errs), len(errs_out), 100 * statistics.median(errs_out),
                            len(errs8), 100 * statistics.median(errs8)))
table = "\n".join(out)
if sys.argv[1] == "--check":
    print(table); sys.exit(0)
text = open(doc).read()
b, e = "<!-- validation-table:begin -->", "<!-- validation-table:end -->"
if b not in text or e not in text:
    sys.exit("validation-table: %s: missing the %s / %s markers" % (doc, b, e))
head, rest = text.split(b, 1)
open(doc, "w").write(head + b + "\n" + table + "\n" + e + rest.split(e, 1)[1])
print(table)
PY
