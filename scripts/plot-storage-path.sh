#!/usr/bin/env bash
# The ICMS read path against the NVMe-oF command size: for each hardware.icms.io_bytes, one short run of
# configs/scenarios/storage-path-io.json; the enclosure's read rate is the smallest of the DPU, SSD and port
# links of the platform the run generated (platform.xml), next to the run's mean TTFT and G3.5 load bytes.
# Small commands are IOPS-bound (Arm cores, SSD IOPS, queue depth x size / round trip); large ones
# bandwidth-bound (crypto engine, ports, drives). A G4 server is present (its tier off, so the runs are the
# ICMS ones) for its controller link at the same I/O size: cores x io_bytes / CPU per I/O, capped by the
# controller's throughput. Writes docs/storage-path.csv and docs/storage-path.png.
# Usage: scripts/plot-storage-path.sh [KVTWIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/kvtwin}
csv=docs/storage-path.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "io_bytes,edpu_byte_s,essd_byte_s,eport_byte_s,enclosure_read_byte_s,ttft_mean_s,g35_load_bytes,g4ctl_byte_s" > "$csv"
for io in 512 1024 2048 4096 8192 16384 32768 65536 131072 262144 1048576 4194304; do
    "$bin" run configs/scenarios/storage-path-io.json --quiet --force --out "$tmp/r$io" --set hardware.icms.io_bytes=$io \
        --set hardware.g4.present=true --set hardware.g4.servers=1 --set hardware.g4.io_bytes=$io
    python3 - "$tmp/r$io" "$io" >> "$csv" <<'PY'
import json, re, sys
d, io = sys.argv[1], sys.argv[2]
xml = open(d + "/platform.xml").read()
def bw(name):
    return float(re.search(r'<link id="%s" bandwidth="([0-9.eE+-]+)Bps"' % re.escape(name), xml).group(1))
s = json.load(open(d + "/summary.json"))
edpu, essd, eport = bw("edpu-0"), bw("essd-0"), bw("eport-0")
print(",".join(str(x) for x in (io, edpu, essd, eport, min(edpu, essd, eport), s["latency_s"]["ttft"]["mean"],
                                s["transfers"]["load_bytes_by_source_tier"]["G3.5"], bw("g4ctl-0"))))
PY
done
gnuplot <<GP
set terminal pngcairo size 900,600 font ",11"
set output 'docs/storage-path.png'
set termoption noenhanced
set datafile separator ','
set logscale x 2
set logscale y
set grid
set key right center
set xlabel 'NVMe-oF command size hardware.icms.io_bytes (bytes)'
set ylabel 'read rate of one enclosure (GB/s)'
set y2label 'mean TTFT (ms)'
set y2tics
set ytics nomirror
set title 'ICMS read path against command size: IOPS-bound below ~64 KiB, bandwidth-bound above'
plot '$csv' every ::1 using 1:(\$2/1e9) with linespoints lw 2 title 'DPUs (Arm command rate, crypto)', \
     '$csv' every ::1 using 1:(\$3/1e9) with linespoints lw 2 title 'SSDs (IOPS, queue depth, bandwidth)', \
     '$csv' every ::1 using 1:(\$4/1e9) with lines lw 1 dt 2 title 'DPU ports', \
     '$csv' every ::1 using 1:(\$5/1e9) with lines lw 4 title 'enclosure (the smallest)', \
     '$csv' every ::1 using 1:(\$8/1e9) with linespoints lw 2 dt 4 title 'G4 server controller (CPU per I/O; kv.g4 off)', \
     '$csv' every ::1 using 1:(\$6*1e3) axes x1y2 with linespoints lw 2 dt 3 title 'mean TTFT of the run (right axis)'
GP
echo "wrote $csv docs/storage-path.png"
