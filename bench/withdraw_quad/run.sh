#!/usr/bin/env bash
# The SUSTAIN-1 quadrature (ks_response_withdraw_quad) against ks_response_withdraw's
# virtual patients: accuracy per output in units of the combined SE, and time per
# evaluation at M = 1024, 2048, 4096 for 1 and 2 threads (bench_withdraw_quad.c says how).
# usage: bash bench/withdraw_quad/run.sh [build dir (build)]
# env:   BENCH_N (200000 virtual patients), BENCH_K (16 quadrature keys for its own SE)
# Not part of make test. Prints the table (docs/response-model.md quotes it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build}
LIB=$BUILD/libketsim.a
[ -f "$LIB" ] || { echo "bench-withdraw-quad: $LIB not found (make build)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
gcc -O2 -std=c17 -fopenmp -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$ROOT/include" \
    -I"$ROOT/src" "$ROOT/bench/withdraw_quad/bench_withdraw_quad.c" "$LIB" \
    $(pkg-config --libs jansson gsl cairo fontconfig) -lsundials_cvode -lsundials_nvecserial \
    -lnlopt -lm -o "$TMP/bench_withdraw_quad"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$TMP/bench_withdraw_quad" "$ROOT" "${BENCH_N:-200000}" "${BENCH_K:-16}"
