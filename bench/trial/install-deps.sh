#!/usr/bin/env bash
# The peer tools of the trial benchmark (not needed to build or test ketsim):
# Debian's python3-scipy and r-cran-desolve. Idempotent.
set -euo pipefail
PKGS=(python3-scipy python3-numpy r-base-core r-cran-desolve time)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "bench/trial: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
