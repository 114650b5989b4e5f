#!/usr/bin/env bash
# ketsim regimen explain and simulate --regimen: what a user sees and relies on.
# usage: bash test_regimen.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_regimen.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_regimen.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_regimen.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

EX1="0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; then every 1w x 4"
EX2="84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w"

# --- explain: the issue's first example, with calendar dates and a weight.
"$KETSIM" regimen explain "$EX1" --weight 70 >"$T/ex1.txt" 2>"$T/ex1.err" || fail "explain EX1: exit $?"
[ -s "$T/ex1.err" ] && fail "explain EX1 wrote to stderr: $(cat "$T/ex1.err")"
grep -q '^course start: 2026-11-30 09:00' "$T/ex1.txt" || fail "explain EX1: no course start line"
# Rows: dose, day, weekday, date, time, time_h, amount..., route, duration.
rows=$(awk '$1 ~ /^[0-9]+$/ && NF > 5 { print $1, $2, $3, $4, $5, $6 }' "$T/ex1.txt")
want="1 0 mon 2026-11-30 09:00 0
2 2 wed 2026-12-02 09:00 48
3 4 fri 2026-12-04 09:00 96
4 7 mon 2026-12-07 09:00 168
5 9 wed 2026-12-09 09:00 216
6 11 fri 2026-12-11 09:00 264
7 14 mon 2026-12-14 09:00 336
8 21 mon 2026-12-21 09:00 504
9 28 mon 2026-12-28 09:00 672
10 35 mon 2027-01-04 09:00 840"
[ "$rows" = "$want" ] || fail "explain EX1 rows:
$rows"
[ "$(grep -c '0.5 mg/kg = 35 mg *iv *40 min$' "$T/ex1.txt")" = 10 ] ||
    fail "explain EX1: amount/route/duration columns: $(sed -n 3p "$T/ex1.txt")"
[ "$(tail -n 1 "$T/ex1.txt")" = "10 doses over 35 days" ] || fail "explain EX1 last line: $(tail -n 1 "$T/ex1.txt")"

# --- explain: the second example, without a start: no calendar columns.
"$KETSIM" regimen explain "$EX2" >"$T/ex2.txt" 2>&1 || fail "explain EX2: exit $?"
days=$(awk '$1 ~ /^[0-9]+$/ && NF >= 6 { printf "%s ", $2 }' "$T/ex2.txt")
[ "$days" = "0 3 7 10 14 17 21 24 28 35 42 49 56 70 84 98 " ] || fail "explain EX2 days: $days"
grep -q 'weekday\|date' "$T/ex2.txt" && fail "explain EX2 has calendar columns without a start"
[ "$(grep -c ' 84 mg  *nasal  *-$' "$T/ex2.txt")" = 16 ] || fail "explain EX2 amount column"
[ "$(tail -n 1 "$T/ex2.txt")" = "16 doses over 98 days" ] || fail "explain EX2 last line: $(tail -n 1 "$T/ex2.txt")"

# --- explain --file: the JSON form of EX1 prints the same table.
cat >"$T/ex1.json" <<'JSON'
{"note": "issue example 1",
 "dose": {"amount": "0.5mg/kg", "route": "iv", "over": "40min"},
 "start": "2026-11-30 09:00",
 "schedule": [{"weekdays": ["mon", "wed", "fri"], "for": "2w"},
              {"every": "1w", "count": 4}]}
JSON
"$KETSIM" regimen explain --file "$T/ex1.json" --weight 70 >"$T/ex1j.txt" 2>&1 || fail "explain --file: exit $?"
cmp -s "$T/ex1.txt" "$T/ex1j.txt" || fail "explain --file differs from the text form"

# --- explain: errors are one line naming the position, exit 2, nothing on stdout.
# expect_explain_error NEEDLE ARGS...
expect_explain_error() {
    local needle=$1
    shift
    "$KETSIM" regimen "$@" >"$T/o" 2>"$T/e"
    local rc=$?
    [ $rc -eq 2 ] || fail "regimen $*: exit $rc, want 2"
    [ -s "$T/o" ] && fail "regimen $*: wrote to stdout"
    [ "$(wc -l <"$T/e")" -eq 1 ] || fail "regimen $*: stderr is not one line: $(cat "$T/e")"
    grep -qF -- "$needle" "$T/e" || fail "regimen $*: message \"$(cat "$T/e")\" lacks \"$needle\""
}
expect_explain_error 'ketsim regimen: character 47 ("wen"): unknown weekday' \
    explain "0.5mg/kg iv over 40min; start 2026-11-30; mon,wen,fri x 2w"
expect_explain_error 'ketsim regimen: character 25 ("mon"): a weekday schedule needs' \
    explain "0.5mg/kg iv over 40min; mon,wed,fri x 2w; then every 1w x 4"
expect_explain_error 'character 25 ("every"): overlapping infusions' \
    explain "0.5mg/kg iv over 40min; every 30min x 4"
expect_explain_error 'character 19 ("0w"): zero interval' explain "84mg nasal; every 0w x 4"
expect_explain_error 'character 24 ("0"): count of zero' explain "84mg nasal; every 1w x 0"
expect_explain_error 'character 5 (end of clause): the dose has no route' explain "84mg; every 1w x 4"
expect_explain_error 'ketsim regimen: --file: ' explain --file "$T/missing.json"
printf '{"dose": {"amount": "84mg", "route": "nasal"}, "schedule": [{"every": "1w", "count": 0}]}' >"$T/bad.json"
expect_explain_error '$.schedule[0].count: count of zero' explain --file "$T/bad.json"
expect_explain_error 'explain needs a regimen' explain
expect_explain_error 'not both' explain "84mg nasal" --file "$T/ex1.json"
expect_explain_error 'unknown subcommand' expand "84mg nasal"
expect_explain_error 'not a possible body weight' explain "84mg nasal" --weight -3
"$KETSIM" regimen --help | grep -q '^examples:' || fail "regimen --help has no examples"
"$KETSIM" regimen explain --help | grep -q 'mon,wed,fri x 2w' || fail "regimen explain --help"
"$KETSIM" --help | grep -q '^  regimen ' || fail "ketsim --help does not list regimen"
"$KETSIM" simulate --help | grep -q -- '--regimen TEXT' || fail "simulate --help lacks --regimen"

# --- simulate --regimen: the same CSV as the equivalent --dose/--at list.
"$KETSIM" simulate --model domino-1982 --weight 70 --until 14d --every 10min --quiet \
    --regimen "0.5mg/kg iv over 40min; start 2026-11-30; mon,wed,fri x 2w" >"$T/r.csv" || fail "simulate --regimen iv"
"$KETSIM" simulate --model domino-1982 --weight 70 --until 14d --every 10min --quiet \
    --dose 0.5mg/kg --route iv --over 40min --at 0,2d,4d,7d,9d,11d >"$T/a.csv" || fail "simulate --at iv"
[ "$(wc -l <"$T/r.csv")" -gt 2000 ] || fail "simulate --regimen: short table"
# With a start date the table carries a datetime column beside the hours; without it
# the numbers are the same as the --at list's.
head -1 "$T/r.csv" | grep -q '^time_h,datetime,' || fail "simulate --regimen with a start: no datetime column"
cut -d, -f2 --complement "$T/r.csv" | cmp -s - "$T/a.csv" ||
    fail "simulate --regimen differs from the --at list (iv)"
"$KETSIM" simulate --model perez-ruixo-2021 --until 5w --every 30min --quiet \
    --regimen "84mg nasal; 2/week x 4w" >"$T/rn.csv" || fail "simulate --regimen nasal"
"$KETSIM" simulate --model perez-ruixo-2021 --until 5w --every 30min --quiet --dose 84mg \
    --route nasal --at 0,3d,7d,10d,14d,17d,21d,24d >"$T/an.csv" || fail "simulate --at nasal"
cmp -s "$T/rn.csv" "$T/an.csv" || fail "simulate --regimen differs from the --at list (nasal)"
printf '{"dose": {"amount": "84mg", "route": "nasal"}, "schedule": [{"per_week": 2, "for": "4w"}]}' >"$T/n.json"
"$KETSIM" simulate --model perez-ruixo-2021 --until 5w --every 30min --quiet \
    --regimen-file "$T/n.json" >"$T/rf.csv" || fail "simulate --regimen-file"
cmp -s "$T/rf.csv" "$T/an.csv" || fail "simulate --regimen-file differs from the --at list"
# Without --until, a regimen is simulated to 24 h after its last dose ends.
last=$("$KETSIM" simulate --model perez-ruixo-2021 --every 1h --quiet --regimen "56mg nasal; every 1d x 3" | tail -n 1 | cut -d, -f1)
[ "$last" = 72 ] || fail "default --until with a regimen: last time $last, want 72"

# --- simulate: conflicting or bad options: one line, exit 2, no file left behind.
# expect_sim_error NEEDLE ARGS...
expect_sim_error() {
    local needle=$1
    shift
    local dir="$T/case.$RANDOM$RANDOM"
    mkdir -p "$dir"
    "$KETSIM" simulate --model domino-1982 --weight 70 --out "$dir/t.csv" --plot "$dir/p.png" "$@" \
        >"$dir.o" 2>"$dir.e"
    local rc=$?
    [ $rc -eq 2 ] || fail "simulate $*: exit $rc, want 2 ($(cat "$dir.e"))"
    [ -s "$dir.o" ] && fail "simulate $*: wrote to stdout"
    [ "$(wc -l <"$dir.e")" -eq 1 ] || fail "simulate $*: stderr is not one line: $(cat "$dir.e")"
    grep -qF -- "$needle" "$dir.e" || fail "simulate $*: message \"$(cat "$dir.e")\" lacks \"$needle\""
    [ -z "$(ls -A "$dir")" ] && return 0
    fail "simulate $*: left files: $(ls -A "$dir")"
}
R="0.5mg/kg iv over 40min; every 2d x 3"
expect_sim_error 'ketsim simulate: --regimen gives the dose, route, infusion duration and times: drop --dose' \
    --regimen "$R" --dose 35mg
expect_sim_error 'drop --route' --regimen "$R" --route iv
expect_sim_error 'drop --over' --regimen "$R" --over 40min
expect_sim_error 'drop --rate' --regimen "$R" --rate 52.5mg/h
expect_sim_error 'drop --at' --regimen "$R" --at 0,2d
expect_sim_error 'ketsim simulate: --regimen-file gives the dose' --regimen-file "$T/n.json" --dose 35mg
expect_sim_error '--regimen and --regimen-file: give one' --regimen "$R" --regimen-file "$T/n.json"
expect_sim_error 'ketsim simulate: --regimen: character 16 ("0d"): zero interval' --regimen "84mg iv; every 0d x 3"
expect_sim_error '--regimen-file: ' --regimen-file "$T/bad.json"
expect_sim_error '--regimen: route nasal: model domino-1982 has no such route' --regimen "84mg nasal; every 1d x 2"
expect_sim_error '--regimen: a dose at 96 h is after --until 3d' --regimen "$R" --until 3d
expect_sim_error 'needs a value' --regimen
# mg/kg needs a weight (no --weight here).
"$KETSIM" simulate --model domino-1982 --regimen "$R" >"$T/w.o" 2>"$T/w.e"
[ $? -eq 2 ] && grep -q -- '--regimen: the dose 0.5mg/kg is per kg: give --weight' "$T/w.e" ||
    fail "mg/kg regimen without --weight: $(cat "$T/w.e")"

[ $failures -eq 0 ] || { echo "regimen: $failures failure(s)" >&2; exit 1; }
echo "regimen: ok"
