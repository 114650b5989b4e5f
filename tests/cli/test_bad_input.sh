#!/usr/bin/env bash
# Bad input to `ketsim simulate` gets a one-line message naming the argument and the
# problem, a specific non-zero exit status, and leaves no output file (nor a temporary
# file) behind. Good runs write the expected table; help, models and validity
# warnings work.
#
# usage: bash test_bad_input.sh <path-to-ketsim> <source-dir>
set -u

KETSIM=${1:?usage: test_bad_input.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_bad_input.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ks_bad_input.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

failures=0
checks=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
ok() { checks=$((checks + 1)); }

# expect_error NAME STATUS NEEDLE... -- ARGS...
# Runs `ketsim simulate --out OUT --plot PLOT ARGS...` in an empty folder (OUT and
# PLOT inside it; PLOT_NAME overrides the plot's file name) and checks: exit status
# STATUS, empty standard output, exactly one line on standard error that starts with
# "ketsim simulate: " and contains every NEEDLE, and an empty folder afterwards (no
# table, no plot, no OUT.tmp* file).
expect_error() {
    local name=$1 status=$2
    shift 2
    local needles=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        needles+=("$1")
        shift
    done
    shift # the --
    local dir="$WORK/case$checks.$RANDOM"
    mkdir -p "$dir/outputs"
    local out="$dir/outputs/table.csv" plot="$dir/outputs/${PLOT_NAME:-plot.png}"
    "$KETSIM" simulate --out "$out" --plot "$plot" "$@" >"$dir/stdout" 2>"$dir/stderr"
    local rc=$?
    local err
    err=$(cat "$dir/stderr")
    local before=$failures
    [ "$rc" -eq "$status" ] || fail "$name: exit status $rc, expected $status (stderr: $err)"
    [ -s "$dir/stdout" ] && fail "$name: wrote to standard output: $(head -c 200 "$dir/stdout")"
    local lines
    lines=$(wc -l <"$dir/stderr")
    [ "$lines" -eq 1 ] || fail "$name: standard error has $lines lines, expected 1: $err"
    case "$err" in
        "ketsim simulate: "*) ;;
        *) fail "$name: message does not start with \"ketsim simulate: \": $err" ;;
    esac
    local n
    for n in "${needles[@]}"; do
        case "$err" in
            *"$n"*) ;;
            *) fail "$name: message does not contain \"$n\": $err" ;;
        esac
    done
    [ -e "$out" ] && fail "$name: the table $out exists after a failed run"
    [ -e "$plot" ] && fail "$name: the plot $plot exists after a failed run"
    local left
    left=$(ls -A "$dir/outputs")
    [ -z "$left" ] && ok || fail "$name: files left in the output folder: $left"
    [ "$failures" -eq "$before" ] && ok
}

D="--model domino-1982"
E="--model perez-ruixo-2021"

# --- patient
expect_error "negative weight" 2 "--weight" "-70" "not a possible body weight" -- \
    $D --weight -70 --dose 35mg
expect_error "zero weight" 2 "--weight" "not a possible body weight" -- $D --weight 0 --dose 35mg
expect_error "weight abc" 2 "--weight" '"abc"' "does not start with a number" -- \
    $D --weight abc --dose 35mg
expect_error "weight in a wrong unit" 2 "--weight" '"70mg"' "expected a body weight" -- \
    $D --weight 70mg --dose 35mg
expect_error "age out of bounds" 2 "--age" "-3" -- $E --age -3 --dose 56mg --route nasal

# --- route
expect_error "unknown route" 2 "--route rectal" "domino-1982" "it has: iv" -- \
    $D --weight 70 --dose 35mg --route rectal
expect_error "route the model does not have" 2 "--route nasal" "domino-1982" "no such route" -- \
    $D --weight 70 --dose 35mg --route nasal
expect_error "--over with the nasal route" 2 "--over" "route nasal" "perez-ruixo-2021" \
    "takes no infusion duration" -- $E --dose 56mg --route nasal --over 10min

# --- dose
expect_error "dose without unit" 2 "--dose" '"35"' "no unit" -- $D --weight 70 --dose 35
expect_error "dose in an unknown unit" 2 "--dose" 'unknown unit "mgs"' -- \
    $D --weight 70 --dose 35mgs
expect_error "dose of the wrong dimension" 2 "--dose" '"35min"' "is a time" -- \
    $D --weight 70 --dose 35min
expect_error "negative dose" 2 "--dose" "-1mg" "must be positive" -- $D --weight 70 --dose -1mg
expect_error "zero dose" 2 "--dose" "must be positive" -- $D --weight 70 --dose 0mg
expect_error "per-kg dose without weight" 2 "--dose 0.5mg/kg" "--weight" -- \
    $D --dose 0.5mg/kg --over 40min
expect_error "nasal dose not a whole number of devices" 2 "--dose" "50 mg" "nasal" \
    "not a whole number of 28 mg devices" -- $E --dose 50mg --route nasal
expect_error "missing --dose" 2 "--dose is required" -- $D --weight 70
expect_error "over in mg" 2 "--over" '"40mg"' "is a mass, expected a time" -- \
    $D --weight 70 --dose 35mg --over 40mg
expect_error "negative infusion" 2 "--over" "must be positive" -- $D --weight 70 --dose 35mg --over -5min
expect_error "dose time without unit" 2 "--at" '"2"' "no unit" -- $D --weight 70 --dose 35mg --at 0,2

# --- schedule and output
expect_error "every longer than until" 2 "--every 2d" "--until 24h" -- \
    $D --weight 70 --dose 35mg --every 2d --until 24h
expect_error "dose before time 0" 2 "--at" "-1h" "before time 0" -- \
    $D --weight 70 --dose 35mg --at 0,-1h
expect_error "dose after --until" 2 "--at" "30 h" "after --until 24h" -- \
    $D --weight 70 --dose 35mg --at 0,30h
expect_error "empty dose time" 2 "--at" "empty time" -- $D --weight 70 --dose 35mg --at 0,,2h
expect_error "until without unit" 2 "--until" '"24"' "no unit" -- $D --weight 70 --dose 35mg --until 24
expect_error "format xml" 2 "--format" '"xml"' "csv or json" -- \
    $D --weight 70 --dose 35mg --format xml
PLOT_NAME=x.pdf expect_error "plot x.pdf" 2 "--plot" "x.pdf" ".png or .svg" -- \
    $D --weight 70 --dose 35mg
expect_error "threshold without unit" 2 "--threshold" "no unit" -- \
    $D --weight 70 --dose 35mg --threshold 100

# --- model
expect_error "unknown model" 2 "--model" '"domino-1928"' "domino-1982" -- \
    --model domino-1928 --weight 70 --dose 35mg
expect_error "missing model" 2 "--model is required" -- --weight 70 --dose 35mg

# --- parsing
expect_error "unknown option" 2 '"--frobnicate"' "unknown option" -- \
    $D --weight 70 --dose 35mg --frobnicate 3
expect_error "option given twice" 2 "--weight given twice" -- \
    $D --weight 70 --weight 80 --dose 35mg
expect_error "missing value (end)" 2 "--dose needs a value" -- $D --weight 70 --dose
expect_error "missing value (next option)" 2 "--weight needs a value" -- $D --weight --dose 35mg
expect_error "stray argument" 2 '"70"' "unexpected argument" -- $D --weight 70 70 --dose 35mg
expect_error "flag with a value" 2 "--quiet takes no value" -- $D --weight 70 --dose 35mg --quiet=1

# --- unwritable outputs: the message names the path; nothing is left behind
dir="$WORK/unwritable"
mkdir -p "$dir"
"$KETSIM" simulate $D --weight 70 --dose 35mg --over 40min --out /nonexistent/dir/x.csv \
    >"$dir/stdout" 2>"$dir/stderr"
rc=$?
err=$(cat "$dir/stderr")
[ "$rc" -eq 1 ] || fail "unwritable --out: exit status $rc, expected 1 ($err)"
[ "$(wc -l <"$dir/stderr")" -eq 1 ] || fail "unwritable --out: more than one line: $err"
case "$err" in *"--out"*"/nonexistent/dir/x.csv"*) ok ;; *) fail "unwritable --out: message does not name --out and the path: $err" ;; esac
[ -s "$dir/stdout" ] && fail "unwritable --out: wrote to standard output"

# A plot that cannot be written must not leave the table behind either.
mkdir -p "$dir/outputs"
"$KETSIM" simulate $D --weight 70 --dose 35mg --over 40min --out "$dir/outputs/t.csv" \
    --plot /nonexistent/dir/p.png >"$dir/stdout" 2>"$dir/stderr"
rc=$?
err=$(cat "$dir/stderr")
[ "$rc" -ne 0 ] || fail "unwritable --plot: exit status 0"
[ "$(wc -l <"$dir/stderr")" -eq 1 ] || fail "unwritable --plot: more than one line: $err"
case "$err" in *"--plot"*"/nonexistent/dir/p.png"*) ok ;; *) fail "unwritable --plot: message does not name --plot and the path: $err" ;; esac
left=$(ls -A "$dir/outputs")
[ -z "$left" ] && ok || fail "unwritable --plot: files left behind: $left"

# A failed run does not touch an existing output file.
mkdir -p "$dir/keep"
echo "previous content" >"$dir/keep/t.csv"
echo "previous plot" >"$dir/keep/p.png"
for bad in "--dose -1mg" "--dose 50mg --route nasal" "--plot-missing"; do
    # shellcheck disable=SC2086
    "$KETSIM" simulate $E $bad --out "$dir/keep/t.csv" --plot "$dir/keep/p.png" >/dev/null 2>&1 &&
        fail "keep: \"$bad\" succeeded"
done
# A failing plot (unwritable folder) after a good table must not replace the old table.
"$KETSIM" simulate $E --dose 56mg --route nasal --out "$dir/keep/t.csv" \
    --plot /nonexistent/dir/p.png >/dev/null 2>&1 && fail "keep: unwritable plot succeeded"
[ "$(cat "$dir/keep/t.csv")" = "previous content" ] && ok ||
    fail "a failed run changed the existing --out file"
[ "$(cat "$dir/keep/p.png")" = "previous plot" ] && ok ||
    fail "a failed run changed the existing --plot file"
[ "$(ls -A "$dir/keep" | tr '\n' ' ')" = "p.png t.csv " ] && ok ||
    fail "files left: $(ls -A "$dir/keep")"

# --- a good run: CSV header, peak at the end of the 40-min infusion, JSON with the same columns
dir="$WORK/good"
mkdir -p "$dir"
"$KETSIM" simulate $D --weight 70 --dose 0.5mg/kg --route iv --over 40min --until 24h \
    --every 5min --out "$dir/t.csv" --plot "$dir/p.png" 2>"$dir/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "good run: exit status $rc: $(cat "$dir/stderr")"
header=$(head -n 1 "$dir/t.csv" 2>/dev/null)
[ "$header" = "time_h,cp_ketamine_ng_ml,ce_ketamine_ng_ml" ] && ok ||
    fail "good run: CSV header is \"$header\""
rows=$(($(wc -l <"$dir/t.csv") - 1))
[ "$rows" -eq 289 ] && ok || fail "good run: $rows data rows, expected 289 (0 to 24 h every 5 min)"
peak_t=$(awk -F, 'NR > 1 && $2 > max { max = $2; t = $1 } END { print t }' "$dir/t.csv")
awk -v t="$peak_t" 'BEGIN { d = t - 2/3; exit !(d < 1e-6 && d > -1e-6) }' && ok ||
    fail "good run: plasma peak at time $peak_t h, expected 0.6666667 (end of the 40-min infusion)"
[ -s "$dir/p.png" ] && ok || fail "good run: no plot written"
ls "$dir" | grep -q '\.tmp' && fail "good run: temporary files left: $(ls "$dir")"
grep -q "Cmax" "$dir/stderr" && ok || fail "good run: no summary on standard error"

"$KETSIM" simulate $D --weight 70 --dose 0.5mg/kg --route iv --over 40min --until 24h \
    --every 5min --format json --out "$dir/t.json" --quiet 2>"$dir/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "good json run: exit status $rc: $(cat "$dir/stderr")"
[ -s "$dir/stderr" ] && fail "--quiet run wrote to standard error: $(cat "$dir/stderr")"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$dir/t.json" && ok ||
    fail "good json run: output does not parse as JSON"
python3 - "$dir/t.json" "$dir/t.csv" <<'EOF' && ok || fail "good json run: columns or values differ from the CSV"
import csv, json, sys
d = json.load(open(sys.argv[1]))
cols = d["columns"]
rows = list(csv.reader(open(sys.argv[2])))
assert list(cols) == rows[0], (list(cols), rows[0])
assert all(len(v) == len(rows) - 1 for v in cols.values())
for j, name in enumerate(rows[0]):
    for i, r in enumerate(rows[1:]):
        assert abs(cols[name][i] - float(r[j])) <= 1e-9 * max(1.0, abs(float(r[j]))), (name, i)
assert d["meta"]["model"] == "domino-1982"
EOF

# Table to standard output when --out is not given.
"$KETSIM" simulate $D --weight 70 --dose 35mg --until 1h --every 30min --quiet >"$dir/stdout" 2>&1
[ "$(head -n 1 "$dir/stdout")" = "time_h,cp_ketamine_ng_ml,ce_ketamine_ng_ml" ] && ok ||
    fail "table on standard output: $(head -n 2 "$dir/stdout")"
[ "$(wc -l <"$dir/stdout")" -eq 4 ] && ok || fail "table on standard output: $(wc -l <"$dir/stdout") lines, expected 4"

# --- help
for cmd in "" simulate models; do
    # shellcheck disable=SC2086
    "$KETSIM" $cmd --help >"$WORK/help" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || fail "ketsim $cmd --help: exit status $rc"
    grep -q "example" "$WORK/help" && ok || fail "ketsim $cmd --help: no examples"
done
"$KETSIM" >/dev/null 2>&1
[ $? -ne 0 ] && ok || fail "ketsim without a command exits 0"
"$KETSIM" simulat >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q '"simulat"' "$WORK/err" && ok || fail "unknown command: $rc $(cat "$WORK/err")"

# --- models
"$KETSIM" models >"$WORK/models" 2>"$WORK/err"
rc=$?
[ "$rc" -eq 0 ] || fail "ketsim models: exit status $rc: $(cat "$WORK/err")"
grep -q "^domino-1982 " "$WORK/models" && grep -q "^perez-ruixo-2021 " "$WORK/models" && ok ||
    fail "ketsim models does not list both models: $(cat "$WORK/models")"
"$KETSIM" models show domino-1982 >"$WORK/show" 2>"$WORK/err"
rc=$?
[ "$rc" -eq 0 ] || fail "ketsim models show domino-1982: exit status $rc: $(cat "$WORK/err")"
grep -q "code only" "$WORK/show" && ok || fail "models show domino-1982: no \"code only\""
grep -q "^sampling site: unknown" "$WORK/show" && ok || fail "models show domino-1982: no \"sampling site\""
"$KETSIM" models show domino-1928 >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" -ne 0 ] && grep -q '"domino-1928".*domino-1982' "$WORK/err" && ok ||
    fail "models show domino-1928: status $rc, $(cat "$WORK/err")"

# --- validity: outside the range is a stated warning, not an error
dir="$WORK/validity"
mkdir -p "$dir"
"$KETSIM" simulate $E --age 90 --dose 56mg --route nasal --out "$dir/t.csv" --quiet 2>"$dir/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "age 90: exit status $rc: $(cat "$dir/stderr")"
[ -s "$dir/t.csv" ] && ok || fail "age 90: no table written"
grep -q "^warning: age 90 y is outside the range model perez-ruixo-2021 was built on (18-86 y" \
    "$dir/stderr" && ok || fail "age 90: no validity warning: $(cat "$dir/stderr")"
"$KETSIM" simulate $E --age 90 --weight 200 --dose 56mg --route nasal --out "$dir/t.csv" \
    --quiet 2>"$dir/stderr"
rc=$?
[ "$rc" -eq 0 ] || fail "age 90 weight 200: exit status $rc"
n=$(grep -c "^warning: " "$dir/stderr")
[ "$n" -eq 2 ] && [ "$(wc -l <"$dir/stderr")" -eq 2 ] && ok ||
    fail "age 90 weight 200: expected two \"warning:\" lines: $(cat "$dir/stderr")"
"$KETSIM" simulate $E --age 45 --dose 56mg --route nasal --out "$dir/t.csv" --quiet 2>"$dir/stderr"
[ -s "$dir/stderr" ] && fail "age 45 (inside the range): unexpected output: $(cat "$dir/stderr")"

if [ "$failures" -ne 0 ]; then
    echo "test_bad_input: $failures failure(s), $checks checks passed" >&2
    exit 1
fi
echo "test_bad_input: all $checks checks passed"
exit 0
