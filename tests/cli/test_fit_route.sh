#!/usr/bin/env bash
# ketsim fit-route: the estimates recorded in models/ketamine/racemic-routes-domino-1982.json
# are reproduced by the commands written in their notes; bad input gives one line on
# standard error starting "ketsim fit-route: ", nothing on standard output and a
# non-zero exit status.
#
# usage: bash test_fit_route.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_fit_route.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_fit_route.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_fit_route.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

MODEL=racemic-routes-domino-1982
FILE="$SRC/models/ketamine/$MODEL.json"

# --- help
"$KETSIM" fit-route --help >"$T/help" 2>&1 || fail "--help: exit $?"
grep -q '^usage: ketsim fit-route' "$T/help" || fail "--help: no usage line"
grep -q 'bisection on the logarithm' "$T/help" || fail "--help: method not described"

# --- every "Command: ketsim fit-route ..." in the model file reproduces the value stored
# next to it (the file rounds to 6 significant figures, as the command prints).
python_free_extract() {
    # One line per parameter: NAME<TAB>VALUE<TAB>COMMAND (estimated parameters only).
    awk '
        /^    "[A-Za-z0-9_]+": \{/ { name = $1; gsub(/[":{ ]/, "", name); value = "" }
        /"value":/ { v = $0; sub(/.*"value": */, "", v); sub(/,.*/, "", v); value = v }
        /Command: ketsim fit-route/ {
            c = $0; sub(/.*Command: /, "", c); sub(/ \. .*/, "", c); sub(/ *\.? *",? *$/, "", c)
            print name "\t" value "\t" c
        }' "$FILE"
}
python_free_extract >"$T/commands"
n=$(wc -l <"$T/commands")
[ "$n" -eq 4 ] || fail "expected 4 fit-route commands in $FILE, found $n"
while IFS=$'\t' read -r name value cmd; do
    # shellcheck disable=SC2086 # the command is split into its words on purpose
    set -- $cmd
    shift # "ketsim"
    out=$("$KETSIM" "$@" 2>"$T/err") || {
        fail "$name: \`$cmd\` failed: $(cat "$T/err")"
        continue
    }
    [ -s "$T/err" ] && fail "$name: wrote to standard error: $(cat "$T/err")"
    got=$(printf '%s\n' "$out" | sed -n '1s/^[A-Za-z0-9_]* = \([^ ]*\) .*/\1/p')
    [ "$got" = "$value" ] || fail "$name: the command gives $got, the model file says $value"
    printf '%s\n' "$out" | grep -q "^  ketsim fit-route --model $MODEL " ||
        fail "$name: the output does not repeat the command"
    printf '%s\n' "$out" | grep -q 'achieved Tmax' || fail "$name: no achieved Tmax"
done <"$T/commands"

# --- one good run in full: units on every number
"$KETSIM" fit-route --model $MODEL --route sublingual --param ka_sl --tmax 45min --dose 25mg \
    --weight 70kg >"$T/good" 2>"$T/good.err" || fail "good run: exit $?"
grep -q '^ka_sl = 0.388071 1/h$' "$T/good" || fail "good run: first line: $(head -n 1 "$T/good")"
grep -q 'target Tmax 45 min (45min); achieved Tmax 45.0000 min' "$T/good" || fail "good run: Tmax line"
grep -q 'over \[0.001, 1000\] 1/h' "$T/good" || fail "good run: bracket not stated"
grep -q 'absorption half-life: ln 2 / ka_sl = [0-9.]* min' "$T/good" || fail "good run: half-life"
# A per-minute parameter is reported in its own unit and in 1/h.
"$KETSIM" fit-route --model $MODEL --route oral-brunette2011 --param ka_oral_brunette2011 \
    --tmax 30min --dose 0.5mg/kg --weight 70 --bracket 0.01/h,100/h >"$T/min" 2>&1 ||
    fail "per-minute parameter: exit $?"
grep -q '^ka_oral_brunette2011 = [0-9.e-]* 1/min ([0-9.e-]* 1/h)$' "$T/min" ||
    fail "per-minute parameter: $(head -n 1 "$T/min")"
grep -q 'over \[0.01, 100\] 1/h' "$T/min" || fail "--bracket not used: $(cat "$T/min")"
grep -q -- '--dose 0.5mg/kg --weight 70 --bracket 0.01/h,100/h$' "$T/min" ||
    fail "the printed command lacks options: $(tail -n 1 "$T/min")"

# --- bad input: expect_error NAME STATUS NEEDLE... -- ARGS...
expect_error() {
    local name=$1 status=$2
    shift 2
    local needles=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        needles+=("$1")
        shift
    done
    shift
    "$KETSIM" fit-route "$@" >"$T/out" 2>"$T/err"
    local rc=$? err
    err=$(cat "$T/err")
    [ "$rc" -eq "$status" ] || fail "$name: exit status $rc, expected $status ($err)"
    [ -s "$T/out" ] && fail "$name: wrote to standard output: $(head -c 200 "$T/out")"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$name: standard error is not one line: $err"
    case "$err" in "ketsim fit-route: "*) ;; *) fail "$name: bad prefix: $err" ;; esac
    local x
    for x in "${needles[@]}"; do
        case "$err" in *"$x"*) ;; *) fail "$name: message lacks \"$x\": $err" ;; esac
    done
}

G=(--route sublingual --param ka_sl --tmax 0.75h --dose 25mg --weight 70)
expect_error "unknown model" 2 "--model" "unknown model" "nosuch" -- --model nosuch "${G[@]}"
expect_error "no model" 2 "--model is required" -- "${G[@]}"
expect_error "unknown route" 2 "--route rectal" "no such route" "sublingual" -- \
    --model $MODEL --route rectal --param ka_sl --tmax 0.75h --dose 25mg --weight 70
expect_error "unknown param" 2 "--param ka_xx" "no such parameter" -- \
    --model $MODEL --route sublingual --param ka_xx --tmax 0.75h --dose 25mg --weight 70
expect_error "param not a rate" 2 "--param F_sl_rolan2014" "rate constant or a time" -- \
    --model $MODEL --route sublingual --param F_sl_rolan2014 --tmax 0.75h --dose 25mg --weight 70
expect_error "zero tmax" 2 "--tmax" "must be positive" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 0h --dose 25mg --weight 70
expect_error "negative tmax" 2 "--tmax" "must be positive" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax -5min --dose 25mg --weight 70
expect_error "tmax without unit" 2 "--tmax" "has no unit" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45 --dose 25mg --weight 70
expect_error "tmax wrong unit" 2 "--tmax" "expected a time" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45mg --dose 25mg --weight 70
expect_error "tmax unknown unit" 2 "--tmax" "unknown unit" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45parsecs --dose 25mg --weight 70
expect_error "dose wrong unit" 2 "--dose" "expected a mass" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45min --dose 25min --weight 70
expect_error "dose per kg without weight" 2 "--dose" "give --weight" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45min --dose 0.3mg/kg
expect_error "no weight" 2 "weight" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45min --dose 25mg
expect_error "negative weight" 2 "--weight" "not a possible body weight" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 45min --dose 25mg --weight -70
expect_error "bracket wrong unit" 2 "--bracket" "expected a rate constant" -- \
    --model $MODEL "${G[@]}" --bracket 1h,2h
expect_error "bracket reversed" 2 "--bracket" "0 < LOW < HIGH" -- \
    --model $MODEL "${G[@]}" --bracket 10/h,1/h
expect_error "bracket malformed" 2 "--bracket" "LOW,HIGH" -- --model $MODEL "${G[@]}" --bracket 1/h
expect_error "too short" 2 "not attainable" "shorter than the fastest" "min" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 1s --dose 25mg --weight 70
expect_error "too long" 2 "not attainable" "longer than the bracket" -- \
    --model $MODEL --route sublingual --param ka_sl --tmax 30d --dose 25mg --weight 70
expect_error "outside a narrow bracket" 2 "not attainable" "[1, 10] 1/h" -- \
    --model $MODEL "${G[@]}" --bracket 1/h,10/h
expect_error "parameter without effect" 1 "does not change the Tmax" -- \
    --model $MODEL --route sublingual --param ka_nasal --tmax 45min --dose 25mg --weight 70
expect_error "unknown option" 2 "--speed" -- --model $MODEL "${G[@]}" --speed 3
expect_error "stray argument" 2 "unexpected argument" -- --model $MODEL "${G[@]}" extra

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "fit-route: all checks passed"
