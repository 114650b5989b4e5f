#!/usr/bin/env bash
# Fuzz the regimen parsers (text and JSON) with libFuzzer for a bounded time, from the
# seed corpus and dictionary in tests/fuzz/ (tests/fuzz/run.sh does the work).
# usage: bash test_fuzz_regimen.sh <path-to-ketsim> <source-dir>; KS_FUZZ_SECONDS (20).
SRC=${2:?usage: test_fuzz_regimen.sh KETSIM SOURCE_DIR}
exec bash "$SRC/tests/fuzz/run.sh" regimen "$SRC" "$SRC/tests/fuzz/corpus_regimen" 1024 \
    -dict="$SRC/tests/fuzz/regimen.dict" -- \
    "$SRC/src/regimen/regimen.c" "$SRC/src/units/units.c" "$SRC/src/core/date.c" \
    "$SRC/src/core/error.c" -- jansson
