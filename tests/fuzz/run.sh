#!/usr/bin/env bash
# Build a libFuzzer target with clang under AddressSanitizer + UndefinedBehaviorSanitizer
# and run it for a bounded time from a seed corpus; fail on any crash, sanitizer report,
# leak, broken invariant (the target aborts) or timeout. Used by tests/cli/test_fuzz_*.sh.
#
# usage: run.sh NAME SOURCE_DIR CORPUS_DIR MAX_LEN [EXTRA_FUZZER_ARG] -- C_SOURCES... -- PKGS...
# By default the run is reproducible: seed KS_FUZZ_SEED (1) and KS_FUZZ_RUNS inputs
# (200000), so a failure in CI is a failure on every machine, not luck of the clock.
# Set KS_FUZZ_SECONDS to explore instead: a random seed for that many seconds
# (`make fuzz`); add what it finds to the corpus as a regression input.
set -u
NAME=$1 SRC=$2 CORPUS=$3 MAX_LEN=$4
shift 4
EXTRA=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do EXTRA+=("$1"); shift; done
shift
SOURCES=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do SOURCES+=("$1"); shift; done
[ $# -gt 0 ] && shift
PKGS=("$@")
if [ -n "${KS_FUZZ_SECONDS:-}" ]; then
    BUDGET=(-max_total_time="$KS_FUZZ_SECONDS")
    WHAT="${KS_FUZZ_SECONDS} s of random search"
else
    # max_total_time only guards against a machine far slower than this one.
    BUDGET=(-seed="${KS_FUZZ_SEED:-1}" -runs="${KS_FUZZ_RUNS:-200000}" -max_total_time=600)
    WHAT="seed ${KS_FUZZ_SEED:-1}"
fi

CC=$(command -v clang || command -v clang-14 || true)
if [ -z "$CC" ]; then
    echo "FAIL: clang not found: scripts/install-deps.sh installs clang and libclang-rt-14-dev" >&2
    exit 1
fi
if ! pkg-config --exists "${PKGS[@]}"; then
    echo "FAIL: pkg-config does not find ${PKGS[*]} (scripts/install-deps.sh)" >&2
    exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ks_fuzz_$NAME.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# shellcheck disable=SC2046
if ! "$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -D_POSIX_C_SOURCE=200809L -std=c17 -I"$SRC/include" -I"$SRC/src" \
    "$SRC/tests/fuzz/fuzz_$NAME.c" "${SOURCES[@]}" $(pkg-config --cflags --libs "${PKGS[@]}") \
    -lm -o "$T/fuzz_$NAME" 2>"$T/cc.log"; then
    cat "$T/cc.log" >&2
    echo "FAIL: could not build the fuzz target (libFuzzer is in libclang-rt-14-dev;" \
        "scripts/install-deps.sh installs it)" >&2
    exit 1
fi

# libFuzzer adds what it finds to the first corpus folder: work on a copy.
mkdir -p "$T/corpus" "$T/artifacts"
cp "$CORPUS"/* "$T/corpus/"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$T/fuzz_$NAME" "${BUDGET[@]}" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$MAX_LEN" "${EXTRA[@]}" -artifact_prefix="$T/artifacts/" \
    -print_final_stats=1 "$T/corpus" >"$T/fuzz.log" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ -n "$(ls -A "$T/artifacts")" ]; then
    tail -n 60 "$T/fuzz.log" >&2
    for a in "$T"/artifacts/*; do
        [ -e "$a" ] || continue
        echo "input that failed ($(basename "$a")), as hex:" >&2
        od -An -tx1 -v "$a" | head -n 40 >&2
    done
    echo "FAIL: the $NAME fuzzer found a problem (exit status $rc)" >&2
    exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/fuzz.log" | grep -o '[0-9]*$')
if [ -z "$runs" ] || [ "$runs" -lt 1000 ]; then
    tail -n 20 "$T/fuzz.log" >&2
    echo "FAIL: the fuzzer ran only ${runs:-0} inputs" >&2
    exit 1
fi
echo "fuzz_$NAME: $runs inputs ($WHAT), no crash, sanitizer report or broken invariant"
