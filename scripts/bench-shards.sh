#!/usr/bin/env bash
# Error of spatial sampling (kvtwin cache --mrc --count blocks --sample RATE) against full replays, per
# policy, over capacities (not a test; figures go to docs/performance.md). Prints, per rate, the mean and
# largest absolute error of the token-weighted hit rate and the replay time of the sample.
# Usage: scripts/bench-shards.sh TRACE "CAPACITIES" "RATES" [KVTWIN]
# Example: scripts/bench-shards.sh ../shared/traces/mooncake/conversation_trace.jsonl 1e5,1e6,3e6,1e7,3e7,1e8 0.01,0.05,0.1,0.2,0.5
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$1 caps=$2 rates=$3 bin=${4:-build/kvtwin}
pols=lru,fifo,s3fifo,arc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" cache "$trace" --policy $pols --count blocks --capacity "$caps" > "$tmp/full.csv"
for r in ${rates//,/ }; do
    "$bin" cache "$trace" --policy $pols --count blocks --mrc --sample "$r" --capacity "$caps" > "$tmp/s-$r.csv"
done
python3 - "$tmp" "$rates" <<'PY'
import csv,sys,os
tmp,rates=sys.argv[1],sys.argv[2].split(',')
full={(r['policy'],r['capacity_blocks']):r for r in csv.DictReader(open(os.path.join(tmp,'full.csv')))}
t=sum(float(r['wall_s']) for r in full.values())
print("full replays: %.2f s of replay" % t)
for rate in rates:
    rows=list(csv.DictReader(open(os.path.join(tmp,'s-%s.csv'%rate))))
    per={}
    for r in rows:
        e=abs(float(r['hit_rate_tokens'])-float(full[(r['policy'],r['capacity_blocks'])]['hit_rate_tokens']))
        per.setdefault(r['policy'],[]).append(e)
    allv=[e for v in per.values() for e in v]
    ts=sum(float(r['wall_s']) for r in rows)
    print("rate %-5s sample replay %.3f s (%.0fx less); |error| mean %.4f max %.4f; by policy max: %s" % (rate, ts, t/ts if ts else 0,
          sum(allv)/len(allv), max(allv), ", ".join("%s %.4f" % (p, max(v)) for p,v in per.items())))
PY
