#!/usr/bin/env bash
# Fuzz the dataset reader and the NONMEM-semantics runner with libFuzzer for a bounded
# time, from the seed corpus in tests/fuzz/corpus_dataset/ (tests/fuzz/run.sh does the
# work), against every library source but the cairo plot and the response model (CVODE, NLopt).
# usage: bash test_fuzz_dataset.sh <path-to-ketsim> <source-dir>; KS_FUZZ_SECONDS (20).
SRC=${2:?usage: test_fuzz_dataset.sh KETSIM SOURCE_DIR}
mapfile -t SOURCES < <(ls "$SRC"/src/*/*.c | grep -v -e /plot/ -e /response/)
exec bash "$SRC/tests/fuzz/run.sh" dataset "$SRC" "$SRC/tests/fuzz/corpus_dataset" 4096 -- \
    "${SOURCES[@]}" -- jansson gsl
