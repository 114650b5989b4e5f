#!/usr/bin/env bash
# Install the Debian packages ketsim needs. Idempotent: runs apt-get only when a
# package is missing, and apt-get update only then.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libgsl-dev libjansson-dev libcairo2-dev libsundials-dev libnlopt-dev libcmocka-dev
      librandom123-dev libopenmpi-dev openmpi-bin
      hyperfine valgrind
      clang libclang-rt-14-dev)  # clang + libFuzzer runtime: the regimen fuzz test

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: missing packages (${missing[*]}) and not root; install them and retry" >&2
        exit 1
    fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
