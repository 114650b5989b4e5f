#!/usr/bin/env bash
# The calibration objective's cost: set-up, then milliseconds per evaluation on 1 thread
# and on all threads at the shipped parameters (bench_objective.c says what).
# usage: bash bench/objective/run.sh [build dir (build)]
# env:   BENCH_N (40 evaluations per row)
# Not part of make test.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/bench/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
bench_compile "$ROOT" "${1:-$ROOT/build}" "$ROOT/bench/objective/bench_objective.c" "$TMP/bench_objective"
bench_machine
"$TMP/bench_objective" "$ROOT" "${BENCH_N:-40}"
