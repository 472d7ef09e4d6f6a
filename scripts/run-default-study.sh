#!/usr/bin/env bash
# The main job: installs what is missing, builds kvtwin and runs the default study (a Rubin pod serving an
# agentic workload with the ICMS tier and with traditional shared storage in its place), side by side.
# Results go to results/default-study/; pass --out DIR to put them elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh build
exec ./build/kvtwin study configs/studies/default.json "$@"
