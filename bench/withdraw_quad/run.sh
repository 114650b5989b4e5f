#!/usr/bin/env bash
# The SUSTAIN-1 quadrature (ks_response_withdraw_quad) against ks_response_withdraw's
# virtual patients: accuracy per output in units of the combined SE, and time per
# evaluation at M = 1024, 2048, 4096 for 1 and 2 threads (bench_withdraw_quad.c says how).
# usage: bash bench/withdraw_quad/run.sh [build dir (build)]
# env:   BENCH_N (200000 virtual patients), BENCH_K (16 quadrature keys for its own SE)
# Not part of make test. Prints the table (docs/response-model.md quotes it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/bench/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
bench_compile "$ROOT" "${1:-$ROOT/build}" "$ROOT/bench/withdraw_quad/bench_withdraw_quad.c" \
    "$TMP/bench_withdraw_quad"
bench_machine
"$TMP/bench_withdraw_quad" "$ROOT" "${BENCH_N:-200000}" "${BENCH_K:-16}"
