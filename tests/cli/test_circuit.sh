#!/usr/bin/env bash
# ketsim circuit: the three conditions and the course after a dose (tables, plots), bad
# input refused with one line naming the argument, nothing half written, and the
# checked-in docs/circuit-validation.md is what `ketsim circuit validate` writes.
# usage: bash test_circuit.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_circuit.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_circuit.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_circuit.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# --- help
"$KETSIM" circuit --help | grep -q "ketsim circuit run" || fail "circuit --help"
"$KETSIM" circuit run --help | grep -q -- "--activity" || fail "circuit run --help"
"$KETSIM" circuit validate --help | grep -q -- "--out" || fail "circuit validate --help"
"$KETSIM" --help | grep -q "circuit" || fail "ketsim --help does not list circuit"

# --- a small run: every output, with its columns and units
"$KETSIM" circuit run --cells 30 --window 0.6s --until 3h --quiet \
    --out "$T/course.csv" --conditions-out "$T/cond.csv" --plot "$T/course.png" \
    --raster "$T/raster.png" >"$T/run.out" 2>"$T/run.err" || fail "run: exit $? ($(cat "$T/run.err"))"
[ -s "$T/run.err" ] && fail "run --quiet wrote to stderr: $(cat "$T/run.err")"
head -n 1 "$T/course.csv" | grep -q "^time_h,ce_ketamine_ng_ml,free_ketamine_umol_l,nmda_bound_equilibrium_fraction,nmda_bound_20hz_fraction,nmda_trapped_20hz_fraction" \
    || fail "course header: $(head -n 1 "$T/course.csv")"
[ "$(wc -l <"$T/course.csv")" = 20 ] || fail "course: expected 19 rows (0 to 3 h every 10 min)"
head -n 1 "$T/cond.csv" | grep -q "^condition,bursting_cells_fraction," || fail "conditions header"
awk -F, 'NR==2{h=$2} NR==3{d=$2} NR==4{k=$2} END{exit !(d > h && k < d)}' "$T/cond.csv" \
    || fail "conditions: depressed should burst more than healthy and ketamine less: $(cat "$T/cond.csv")"
for p in course raster; do
    [ "$(head -c 4 "$T/$p.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "$p.png is not a PNG"
done
grep -q "a clinician decides" "$T/run.out" || fail "run: no decision-support statement"
grep -q "^depressed+ketamine" "$T/run.out" || fail "run: no ketamine row"

# --- a block that does not fall below half within the course is "> <until> h", never nan
"$KETSIM" circuit run --cells 2 --window 0.3s --until 1h --quiet >"$T/short.out" 2>&1 || fail "run --until 1h: exit $?"
grep -q "NMDA block > 1 h (20 Hz input)" "$T/short.out" || fail "run --until 1h: no '> 1 h': $(grep falls "$T/short.out")"
grep -qi "nan" "$T/short.out" && fail "run --until 1h prints nan: $(cat "$T/short.out")"

# --- bad input: one line naming the argument, non-zero exit, nothing written
check_bad() {
    local want=$1
    shift
    "$KETSIM" circuit "$@" >/dev/null 2>"$T/bad.err"
    local rc=$?
    [ $rc -ne 0 ] || fail "$*: exit 0"
    grep -q -- "$want" "$T/bad.err" || fail "$*: message '$(cat "$T/bad.err")' lacks '$want'"
    [ "$(wc -l <"$T/bad.err")" = 1 ] || fail "$*: more than one line: $(cat "$T/bad.err")"
}
check_bad "--species mouse" run --species mouse
check_bad "Rodent protocol" run --species rat
check_bad "--species dog: unknown species" run --species dog
check_bad "--cells" run --cells 0
check_bad "--activity" run --activity fast
check_bad "--dose" run --dose 5
check_bad "--until" run --until 30min
check_bad "--fu" run --fu 1.5
check_bad "--window" run --window 3min
check_bad "--dt" run --dt 1ms
check_bad "--dt" run --cells 4 --window 0.3s --until 1h --dt 1e-20ms --quiet
check_bad "--window/--dt" run --cells 4 --window 600s --dt 0.0001ms --quiet
check_bad "--model" run --model no-such-model
check_bad "no effect site" run --model kamp-2020 --cells 2 --window 0.3s --until 1h
check_bad "unknown subcommand" simulate
"$KETSIM" circuit run --cells 2 --window 0.3s --until 1h --quiet --out "$T/nodir/x.csv" \
    >/dev/null 2>"$T/bad.err" && fail "unwritable --out: exit 0"
ls "$T/nodir" >/dev/null 2>&1 && fail "unwritable --out: left a folder"
"$KETSIM" circuit estimate-block >"$T/est.out" || fail "estimate-block: exit $?"
grep -q "effective koff = kon Kd" "$T/est.out" || fail "estimate-block: no effective koff"
grep -q "^MISMATCH: kon is derived for a 3.26 ms open time" "$T/est.out" || fail "estimate-block: mismatch not stated"
grep -q "at 1 uM is\$" "$T/est.out" && grep -q "^0.044 of control, not the measured 0.68" "$T/est.out" \
    || fail "estimate-block: model open-time ratio 0.044 vs 0.68 not printed"
grep -q "9 and 27 times the estimate" "$T/est.out" || fail "estimate-block: outside-out ratios"
grep -q "order of magnitude" "$T/est.out" && fail "estimate-block: still says 'order of magnitude'"

# --- the validation report is current
(cd "$SRC" && "$KETSIM" circuit validate --out "$T/circuit-validation.md") >/dev/null 2>"$T/v.err" \
    || fail "validate: exit $? ($(cat "$T/v.err"))"
# every check carries its label; the two independent ones are 3(b) and 4(c)
[ "$(grep -o '\*\*\(PASS\|FAIL\)\*\* \[\(independent\|calibrated\|consistency\)' "$T/circuit-validation.md" | wc -l)" = 9 ] \
    || fail "validate: not every one of the 9 checks is labelled"
[ "$(grep -o '[0-9]([a-c])[^[]*\[independent\]' "$T/circuit-validation.md" | cut -c1-4 | tr '\n' ' ')" = "3(b) 4(c) " ] \
    || fail "validate: the independent checks should be 3(b) and 4(c)"
if ! cmp -s "$T/circuit-validation.md" "$SRC/docs/circuit-validation.md"; then
    diff "$SRC/docs/circuit-validation.md" "$T/circuit-validation.md" | head -n 20 >&2
    fail "docs/circuit-validation.md is stale: run \`make validate-circuit\` and commit the result"
fi

if [ $failures -ne 0 ]; then
    echo "test_circuit: $failures failure(s)" >&2
    exit 1
fi
echo "test_circuit: all passed"
