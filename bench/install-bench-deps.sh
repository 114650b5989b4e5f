#!/usr/bin/env bash
# Bench-only dependencies (NOT part of `make test`): Brian2 (Debian python3-brian) for the
# circuit benchmark, with a C++ compiler for its standalone mode. Idempotent; Debian packages only.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import brian2' 2>/dev/null || need+=(python3-brian)
command -v g++ >/dev/null 2>&1 || need+=(g++)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-bench-deps: need root to install: ${need[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
/usr/bin/python3 -c 'import brian2; print("brian2", brian2.__version__)' 2>/dev/null
