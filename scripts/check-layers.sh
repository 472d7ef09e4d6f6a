#!/usr/bin/env bash
# Fails when a source file includes a header of a layer above its own. Layers, lowest first:
#   sim/base  models  workloads  sim/kv  sim/sched  sim/config  sim/out  sim/core  sim/study  sim/cli
# A file may include its own layer and the layers below. tests/ may include anything.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(sim/base models workloads sim/kv sim/sched sim/config sim/out sim/core sim/study sim/cli)
rank() {
    local i
    for i in "${!layers[@]}"; do
        case "$1" in "${layers[$i]}"/*) echo "$i"; return ;; esac
    done
    echo -1
}
bad=0
while IFS= read -r f; do
    own=$(rank "$f")
    if [ "$own" -lt 0 ]; then
        echo "check-layers: $f is in no layer (add its folder to scripts/check-layers.sh)"
        bad=1
        continue
    fi
    while IFS=: read -r line inc; do
        r=$(rank "$inc")
        if [ "$r" -lt 0 ]; then
            echo "check-layers: $f:$line includes \"$inc\", which is in no layer"
            bad=1
        elif [ "$r" -gt "$own" ]; then
            echo "check-layers: $f:$line includes \"$inc\" (${layers[$r]}) from below it (${layers[$own]})"
            bad=1
        fi
    done < <(grep -n '^#include "' "$f" | sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/')
done < <(git ls-files 'sim/*.[ch]' 'models/*.[ch]' 'workloads/*.[ch]')
[ "$bad" -eq 0 ] && echo "check-layers: every include points down"
exit "$bad"
