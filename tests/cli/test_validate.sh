#!/usr/bin/env bash
# ketsim validate and ketsim compare: the checked-in report is what the command writes
# (a stale docs/validation.md fails here), bad observation files are refused with
# their line and column, and compare puts several models side by side.
# usage: bash test_validate.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_validate.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_validate.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_validate.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# --- the report: regenerated exactly as `make validate` does, then compared.
mkdir -p "$T/docs"
(cd "$SRC" && "$KETSIM" validate --out "$T/docs/validation.md" --plot-dir "$T/docs/validation") \
    2>"$T/v.err" || fail "validate: exit $? ($(cat "$T/v.err"))"
if ! cmp -s "$T/docs/validation.md" "$SRC/docs/validation.md"; then
    diff "$SRC/docs/validation.md" "$T/docs/validation.md" | head -n 20 >&2
    fail "docs/validation.md is stale: run \`make validate\` and commit the result"
fi
[ -s "$T/docs/validation/summary.png" ] || fail "validate: no summary plot"
for s in $(grep -v '^#' "$SRC/data/pk-observed.csv" | tail -n +2 | cut -d, -f1 | sort -u); do
    grep -q "^### $s\$" "$T/docs/validation.md" || fail "report has no section for study $s"
done
grep -q '| `domino-1982` |' "$T/docs/validation.md" || fail "report: no summary row for domino-1982"
grep -q 'misprint, not scored' "$T/docs/validation.md" || fail "report: the misprint is not shown as such"

# --- bad observation files: one line naming file, line and column; nothing written.
head -n 8 "$SRC/data/pk-observed.csv" | grep -v '^#' >"$T/bad.csv"
sed -n '/^pharmacotherapy2022,iv10/{p;q}' "$SRC/data/pk-observed.csv" | sed 's/,iv,10,/,iv,ten,/' >>"$T/bad.csv"
"$KETSIM" validate --data "$T/bad.csv" --out "$T/none.md" 2>"$T/bad.err" >/dev/null
rc=$?
[ $rc -ne 0 ] || fail "bad data: exit 0"
grep -q "bad.csv:3: dose_mg: \"ten\" is not a number" "$T/bad.err" || fail "bad data message: $(cat "$T/bad.err")"
[ "$(wc -l <"$T/bad.err")" = 1 ] || fail "bad data: more than one line: $(cat "$T/bad.err")"
[ -e "$T/none.md" ] && fail "bad data: a report was written"
"$KETSIM" validate --data "$T/missing.csv" 2>"$T/m.err" >/dev/null && fail "missing data file: exit 0"
grep -q "missing.csv: cannot open" "$T/m.err" || fail "missing data message: $(cat "$T/m.err")"
"$KETSIM" validate --model no-such-model 2>"$T/n.err" >/dev/null && fail "unknown model: exit 0"
grep -q "no-such-model" "$T/n.err" || fail "unknown model message: $(cat "$T/n.err")"

# --- compare: two models, one table, one plot; the same numbers simulate gives.
"$KETSIM" compare --model domino-1982,kamp-2020 --weight 70 --dose 0.5mg/kg --over 40min \
    --until 12h --out "$T/c.csv" --plot "$T/c.png" >"$T/c.txt" 2>"$T/c.err" ||
    fail "compare: exit $? ($(cat "$T/c.err"))"
grep -q '^domino-1982 ' "$T/c.txt" && grep -q '^kamp-2020 ' "$T/c.txt" || fail "compare summary: $(cat "$T/c.txt")"
grep -q 'a clinician decides' "$T/c.txt" || fail "compare: no decision-support statement"
head -n 20 "$T/c.csv" | grep -q '^time_h,domino-1982_cp_ketamine_ng_ml,kamp-2020_cp_ketamine_ng_ml' || fail "compare table header: $(grep -m1 time "$T/c.csv")"
[ -s "$T/c.png" ] || fail "compare: no plot"
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min --until 12h \
    --quiet --out "$T/s.csv" 2>/dev/null || fail "simulate for comparison"
a=$(awk -F, '$1 == "0.6666666667" { print $2 }' "$T/c.csv")
b=$(awk -F, '$1 == "0.6666666667" { print $2 }' "$T/s.csv")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "compare and simulate differ at 40 min: '$a' vs '$b'"
"$KETSIM" compare --model domino-1982 --dose 0.5mg/kg 2>"$T/e1" >/dev/null && fail "per-kg dose without weight: exit 0"
grep -q "give --weight" "$T/e1" || fail "per-kg message: $(cat "$T/e1")"
"$KETSIM" compare --model domino-1982 --weight 70 --dose 35mg --route nasal 2>"$T/e2" >/dev/null &&
    fail "missing route: exit 0"
grep -q "route nasal: model domino-1982 has no such route" "$T/e2" || fail "route message: $(cat "$T/e2")"
"$KETSIM" compare --model domino-1982 --weight inf --dose 35mg 2>"$T/e4" >/dev/null && fail "weight inf: exit 0"
grep -q -- "--weight" "$T/e4" || fail "weight inf message: $(cat "$T/e4")"
"$KETSIM" compare --model domino-1982 --weight 70 --dose 35mg --until -2h 2>"$T/e5" >/dev/null && fail "negative --until: exit 0"
grep -q -- "--until" "$T/e5" || fail "--until message: $(cat "$T/e5")"
"$KETSIM" compare --dose 35mg 2>"$T/e3" >/dev/null && fail "no model: exit 0"
grep -q "at least one --model" "$T/e3" || fail "no-model message: $(cat "$T/e3")"

[ $failures -eq 0 ] || exit 1
echo "validate and compare: all checks passed"
