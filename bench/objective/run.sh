#!/usr/bin/env bash
# The calibration objective's cost: set-up, then milliseconds per evaluation on 1 thread
# and on all threads at the shipped parameters (bench_objective.c says what).
# usage: bash bench/objective/run.sh [build dir (build)]
# env:   BENCH_N (40 evaluations per row)
# Not part of make test.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build}
LIB=$BUILD/libketsim.a
[ -f "$LIB" ] || { echo "bench-objective: $LIB not found (make build)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
gcc -O2 -std=c17 -fopenmp -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" \
    "$ROOT/bench/objective/bench_objective.c" "$LIB" \
    $(pkg-config --libs jansson gsl cairo fontconfig) -lsundials_cvode -lsundials_nvecserial \
    -lnlopt -lm -o "$TMP/bench_objective"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$TMP/bench_objective" "$ROOT" "${BENCH_N:-40}"
