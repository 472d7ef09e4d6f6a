#!/usr/bin/env bash
# Installs kvtwin's build and run dependencies from Debian's packages, skipping those already present.
# Works on a minimal Debian 12 as root, or through sudo. Safe to run repeatedly.
# Extra package names given as arguments are installed too (the CI checks use this for their tools).
set -euo pipefail

packages=(build-essential cmake pkg-config libsimgrid-dev libgsl-dev libhdf5-dev libcjson-dev check
          gnuplot-nox zlib1g-dev "$@")

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
        exit 2
    fi
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
