#!/usr/bin/env bash
# ketsim bench: one 28-day course (esketamine + noresketamine + effect site, six
# 0.5 mg/kg 40-min infusions, 5-minute grid), timed
#   1. as a whole process with hyperfine (the CLI, with and without a plot),
#   2. as fresh processes stopped after each stage (bench_course --once ...),
#   3. per simulation inside the library, against SUNDIALS CVODE on the same system,
#   4. as instruction counts per stage (callgrind; BENCH_PROFILE=0 skips it),
# and writes everything, with the machine and the commands, to bench/results.md.
#
# usage: bash bench/run.sh path/to/ketsim     (or: make bench)
# env:   BENCH_RUNS (hyperfine runs, default 50), BENCH_SECONDS (time budget per
#        in-library measurement, default 2), BENCH_PROFILE (1/0, default 1)
set -euo pipefail

KETSIM=${1:?usage: bash bench/run.sh path/to/ketsim}
[ -x "$KETSIM" ] || { echo "bench: $KETSIM is not an executable (make build)" >&2; exit 1; }
KETSIM=$(cd "$(dirname "$KETSIM")" && pwd)/$(basename "$KETSIM")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LIB=$(dirname "$KETSIM")/libketsim.a
RUNS=${BENCH_RUNS:-50}
SECONDS_PER=${BENCH_SECONDS:-2}
PROFILE=${BENCH_PROFILE:-1}
RESULTS=$ROOT/bench/results.md

for tool in hyperfine gcc pkg-config; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done
[ -f "$LIB" ] || { echo "bench: $LIB not found next to $KETSIM" >&2; exit 1; }
[ -f /usr/include/cvode/cvode.h ] || { echo "bench: SUNDIALS CVODE headers missing (libsundials-dev)" >&2; exit 1; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
BIN=$TMP/bench_course

# The in-library bench, built against the same static library as the CLI.
# shellcheck disable=SC2046
gcc -O2 -std=c17 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude bench/bench_course.c \
    "$LIB" $(pkg-config --libs jansson gsl cairo fontconfig) -lsundials_cvode -lsundials_nvecserial -lm \
    -o "$BIN"

COURSE=(simulate --model perez-ruixo-2021 --weight 70 --dose 0.5mg/kg --route iv --over 40min
        --at "0,2d,4d,7d,9d,11d" --until 28d --every 5min)
SHOW_CSV="ketsim ${COURSE[*]} --out /tmp/x.csv --quiet"
SHOW_PNG="ketsim ${COURSE[*]} --out /tmp/x.csv --plot /tmp/x.png --quiet"
CMD_CSV="$KETSIM ${COURSE[*]} --out $TMP/x.csv --quiet"
CMD_PNG="$KETSIM ${COURSE[*]} --out $TMP/x.csv --plot $TMP/x.png --quiet"
CMD_HELP="$KETSIM --help"
ARGS_CSV=("$KETSIM" "${COURSE[@]}" --out "$TMP/x.csv" --quiet)
ARGS_PNG=("$KETSIM" "${COURSE[@]}" --out "$TMP/x.csv" --plot "$TMP/x.png" --quiet)

# Check once that the course runs and gives the expected table. (hyperfine -N splits
# the command strings on spaces: keep the paths free of them.)
"${ARGS_CSV[@]}"
ROWS=$(($(wc -l <"$TMP/x.csv") - 1))
[ "$ROWS" -eq 8065 ] || { echo "bench: expected 8065 rows, got $ROWS" >&2; exit 1; }

echo "bench: 1/4 whole process (hyperfine, $RUNS runs)" >&2
hyperfine -N --warmup 5 --runs "$RUNS" --style basic \
    --export-markdown "$TMP/process.md" --export-json "$TMP/process.json" \
    -n "ketsim --help (process start-up floor)" "$CMD_HELP" \
    -n "course, CSV: $SHOW_CSV" "$CMD_CSV" \
    -n "course, CSV + PNG: $SHOW_PNG" "$CMD_PNG" >&2

echo "bench: 2/4 fresh processes stopped after each stage (hyperfine)" >&2
hyperfine -N --warmup 5 --runs "$RUNS" --style basic --export-markdown "$TMP/stages.md" \
    -n "start: exec, dynamic linking, exit" "$BIN --once start" \
    -n "+ load: model find + JSON load + grid" "$BIN --models $ROOT/models --once load" \
    -n "+ sim: ks_sim create..run" "$BIN --models $ROOT/models --once sim" \
    -n "+ csv: CSV table write" "$BIN --models $ROOT/models --once csv" >&2

echo "bench: 3/4 per simulation in the library, and CVODE (${SECONDS_PER} s per measurement)" >&2
"$BIN" --models "$ROOT/models" --seconds "$SECONDS_PER" >"$TMP/library.md"

PROFILE_MD=""
if [ "$PROFILE" = 1 ] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
    echo "bench: 4/4 instruction counts per stage (callgrind)" >&2
    mega() { awk -v n="$1" 'BEGIN {printf "%.1f M", n / 1e6}'; }
    profile() { # $1 label, rest: command
        local label=$1 out=$TMP/cg.$RANDOM
        shift
        valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
        callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null >"$out.txt"
        local total
        total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$out.txt")
        PROFILE_MD+="| $label | $(mega "$total") | 100% |"$'\n'
        for fn in ks_model_load json_loadf ks_sim_run apply_step ks_expm_step qsort ks_table_write __printf_fp \
                  ks_plot_write cairo_surface_write_to_png_stream deflate ks_plot_render cairo_stroke _dl_start; do
            local ir
            ir=$(awk -v f="$fn" '$0 ~ (":" f "(\\.[a-z0-9.]+)? \\[") {gsub(",", "", $1); print $1; exit}' "$out.txt")
            if [ -n "$ir" ]; then
                PROFILE_MD+="| &nbsp;&nbsp;$fn | $(mega "$ir") | $(awk -v a="$ir" -v b="$total" 'BEGIN {printf "%.1f%%", 100 * a / b}') |"$'\n'
            fi
        done
    }
    profile "course, CSV (whole process)" "${ARGS_CSV[@]}"
    profile "course, CSV + PNG (whole process)" "${ARGS_PNG[@]}"
fi

# The course's median wall time against the 20 ms target.
MEDIAN_MS=$(awk '/"median"/ {gsub(/[^0-9.e-]/, "", $2); n++; if (n == 2) {printf "%.1f", $2 * 1000; exit}}' "$TMP/process.json")
MEAN_MS=$(awk '/"mean"/ {gsub(/[^0-9.e-]/, "", $2); n++; if (n == 2) {printf "%.1f", $2 * 1000; exit}}' "$TMP/process.json")
if awk -v m="$MEDIAN_MS" 'BEGIN {exit !(m < 20)}'; then VERDICT="met"; else VERDICT="NOT met"; fi

{
    echo "# ketsim bench results"
    echo
    echo "Written by \`bash bench/run.sh $1\` (\`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC');"
    echo "ketsim $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src include cli 2>/dev/null || echo ' with uncommitted changes in src/include/cli'). See bench/README.md for what is measured and why."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs"
    echo "- Kernel: $(uname -srm)"
    echo "- Compiler: $(gcc --version | head -1); ketsim built by CMake (RelWithDebInfo: -O2 -g), bench_course with -O2"
    echo "- Load average (1, 5, 15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    echo "  (the whole-process times move by several ms when anything else runs)"
    echo "- $(hyperfine --version); SUNDIALS $(dpkg-query -W -f='${Version}' libsundials-dev 2>/dev/null || echo '?') (libsundials-dev)"
    echo
    echo "## Whole process (target: under 20 ms)"
    echo
    echo "\`hyperfine -N --warmup 5 --runs $RUNS\` on the three commands below (paths shortened;"
    echo "\`-N\`: no intermediate shell)."
    echo
    cat "$TMP/process.md"
    echo
    echo "Course with CSV output: median $MEDIAN_MS ms, mean $MEAN_MS ms. 20 ms target: **$VERDICT** (on the median)."
    echo
    echo "## Fresh processes stopped after each stage"
    echo
    echo "\`bench_course --once STAGE\` does the CLI's work in the same order and exits; the"
    echo "differences between rows are what each stage costs in a new process (page faults and"
    echo "syscalls included). bench_course also links SUNDIALS, so its start-up is not the CLI's."
    echo
    cat "$TMP/stages.md"
    echo
    echo "## Per simulation, in the library, and the ODE baseline"
    echo
    echo "\`bench_course --seconds $SECONDS_PER\` (clock_gettime MONOTONIC; each row repeated for"
    echo "about $SECONDS_PER s after 3 warm-up runs; microseconds per simulation)."
    echo
    cat "$TMP/library.md"
    if [ -n "$PROFILE_MD" ]; then
        echo
        echo "## Instruction counts (valgrind --tool=callgrind, one run each)"
        echo
        echo "Inclusive instructions (Ir) of the main stages; share of the whole process."
        echo
        echo "| run / function | instructions (Ir) | share |"
        echo "|---|---:|---:|"
        printf "%s" "$PROFILE_MD"
    fi
} >"$RESULTS"

echo "bench: results written to $RESULTS" >&2
cat "$RESULTS"
