#!/usr/bin/env bash
# The response commands: calibrate (the shipped fit's errors are what it records),
# response-validate (the checked-in report is current), forecast (table, CSV/JSON,
# plot, reproducibility across thread counts, six infusions beat one, bad input).
# usage: bash test_response.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_response.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_response.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_resp.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# The fit error per figure of the shipped parameters is within what the file records.
"$KETSIM" calibrate --errors "$SRC/data/response-params.json" >"$T/err.txt" 2>&1 ||
    fail "calibrate --errors: $(cat "$T/err.txt")"
grep -q "every fit error is within" "$T/err.txt" || fail "calibrate --errors did not confirm"
# The file says what it was fitted to and how.
for s in '"format": "ketsim-response/1"' '"version"' '"fitted_to"' '"rmse"' \
    '"verification": "estimated"' 'ketsim calibrate' 'lii2023-means' 'transform-esketamine'; do
    grep -qF "$s" "$SRC/data/response-params.json" || fail "response-params.json lacks $s"
done
# A tampered file (theta doubled, and theta_ptsd of the PTSD variant doubled) fails the
# check for both: a depression figure and the PTSD stage's (--errors checks it too).
awk '/"theta(_ptsd)?": \{/ {t = 1} t && /"value":/ {sub(/"value": [0-9.e+-]+/, "\"value\": " 2 * $2); t = 0} {print}' \
    "$SRC/data/response-params.json" >"$T/bad.json"
[ "$(diff "$T/bad.json" "$SRC/data/response-params.json" | grep -c '^<')" -eq 2 ] ||
    fail "the tampering did not change theta and theta_ptsd: $(diff "$T/bad.json" "$SRC/data/response-params.json")"
"$KETSIM" calibrate --errors "$T/bad.json" >"$T/bad.txt" 2>&1
[ $? -eq 1 ] || fail "calibrate --errors accepted parameters whose errors exceed the recorded ones: $(tail -3 "$T/bad.txt")"
grep -v "^feder2021-response" "$T/bad.txt" | grep -q "ABOVE THE RECORDED ERROR" ||
    fail "calibrate --errors: no depression figure above its recorded error with theta doubled: $(cat "$T/bad.txt")"
grep -q "^feder2021-response .*ABOVE THE RECORDED ERROR" "$T/bad.txt" ||
    fail "calibrate --errors accepted a changed theta_ptsd: $(grep feder2021 "$T/bad.txt")"
grep -q 'uncertainty.at: not the file.s parameters' "$T/bad.txt" ||
    fail "calibrate --errors accepted an uncertainty section computed at other parameters"

# --write records the PD file it was given, in "drive" and in the command (a short fit).
cp "$SRC/data/pd-acute.json" "$T/pd.json"
"$KETSIM" calibrate --max-eval 10 --no-uncertainty --pd "$T/pd.json" --write "$T/p.json" >"$T/pw.txt" 2>&1 ||
    fail "calibrate --pd --write: exit $? ($(tail -2 "$T/pw.txt"))"
grep -qF "\"pd_file\": \"$T/pd.json\"" "$T/p.json" || fail "pd_file: $(grep pd_file "$T/p.json")"
grep -qF -- "--pd $T/pd.json --max-eval 10 --no-uncertainty --write FILE\"" "$T/p.json" ||
    fail "command: $(grep -m1 '"command"' "$T/p.json")"

# The checked-in report is current. The sanitizer build (KS_TEST_SMALL=1, tests/CMakeLists.txt)
# leaves this comparison to the plain build: it is a check of the report's numbers, and the
# same computation (every line of the calibration section, then the comparison with the
# report) runs under the sanitizers below, in the drive-record check of
# response-validate --check (at -O1 under the sanitizers each run is about 40 s of this
# test's 170 s of CPU with both, a quarter; measured 2026-11-22).
case "${KS_TEST_SMALL:-0}" in
"" | 0)
    "$KETSIM" response-validate --check "$SRC/docs/validation-response.md" >"$T/chk" 2>&1 ||
        fail "docs/validation-response.md is stale: run \`make validate-response\` ($(cat "$T/chk"))"
    ;;
esac
for s in "Leave one study out" "Which parameters the data identify" "a clinician decides"; do
    grep -qF "$s" "$SRC/docs/validation-response.md" || fail "validation-response.md lacks \"$s\""
done

# Forecast: two IV regimens and the placebo arm, short horizon.
R1="one=0.5mg/kg iv over 40min"
R6="six=0.5mg/kg iv over 40min; 3/week x 2w"
"$KETSIM" forecast --madrs 32 --until 30 --days 1,14,28 --patients 1500 --regimen "$R1" \
    --regimen "$R6" --out "$T/f.csv" --plot "$T/f.png" >"$T/f.txt" 2>"$T/f.err" ||
    fail "forecast: exit $? ($(cat "$T/f.err"))"
[ -s "$T/f.png" ] || fail "forecast wrote no plot"
grep -q "a clinician decides" "$T/f.txt" || fail "forecast table lacks the statement"
grep -q "a clinician decides" "$T/f.csv" || fail "forecast CSV lacks the statement"
# Two dosed regimens: the relapse comparison carries the caveat; one regimen and its
# placebo arm compare no relapse (the 84mg nasal run below), so no caveat there.
grep -q "^Caveat: relapse times compare regimens only as far as the model does" "$T/f.txt" ||
    fail "forecast comparing two regimens lacks the relapse caveat"
head -1 "$T/f.csv" | grep -q "time_d,mean_madrs,p10_madrs,p50_madrs,p90_madrs,mean_change_madrs,sd_change_madrs,response_frac,remission_frac" ||
    fail "forecast CSV header: $(head -1 "$T/f.csv")"
[ "$(grep -c '^"' "$T/f.csv")" -eq 9 ] || fail "forecast CSV: expected 3 arms x 3 days"
# Six infusions: more responders at day 14 than one infusion; one infusion more than the
# placebo arm on day 1 (the placebo arm shares the first regimen's context, active, so the
# difference is the drug's).
r1=$(awk -F, '$1=="\"one\"" && $3==14 {print $10}' "$T/f.csv")
r6=$(awk -F, '$1=="\"six\"" && $3==14 {print $10}' "$T/f.csv")
awk -v a="$r6" -v b="$r1" 'BEGIN{exit !(a > b)}' ||
    fail "day-14 response: six $r6, one $r1 (expected six > one)"
r1=$(awk -F, '$1=="\"one\"" && $3==1 {print $10}' "$T/f.csv")
rp=$(awk -F, '$1=="\"placebo (no drug)\"" && $3==1 {print $10 "," $2}' "$T/f.csv")
awk -v a="$r1" -v b="${rp%,*}" 'BEGIN{exit !(a > b + 0.04)}' && [ "${rp#*,}" = active ] ||
    fail "day-1 response: one $r1, placebo $rp (expected one > placebo + 4 points, placebo active)"
# The requested days in another order, with one between daily visits: the same rows for
# the days both runs ask for (each day's numbers do not depend on which other days are
# asked, nor in what order; the forecast visits the time points in the order of time).
"$KETSIM" forecast --madrs 32 --until 30 --days 28,2.5,1,14 --patients 1500 --regimen "$R1" \
    --regimen "$R6" --out "$T/fo.csv" >/dev/null 2>"$T/fo.err" || fail "forecast --days out of order: $(cat "$T/fo.err")"
for d in 1 14 28; do
    [ "$(awk -F, -v d=$d '$3==d' "$T/f.csv")" = "$(awk -F, -v d=$d '$3==d' "$T/fo.csv")" ] ||
        fail "forecast --days 28,2.5,1,14: day $d differs from --days 1,14,28"
done
[ "$(grep -c '^"' "$T/fo.csv")" -eq 12 ] || fail "forecast --days 28,2.5,1,14: expected 3 arms x 4 days"
# --placebo-context overrides the shared context; esketamine arms state their oral-AD part.
"$KETSIM" forecast --madrs 32 --until 10 --days 1 --patients 300 --regimen "84mg nasal" \
    --placebo-context saline --out "$T/pc.csv" >"$T/pc.txt" 2>&1 || fail "placebo-context: exit $?"
grep -q '^"placebo (no drug)",saline,1,' "$T/pc.csv" || fail "--placebo-context saline not used"
grep -q "include the effect of a newly started oral antidepressant" "$T/pc.txt" ||
    fail "forecast does not state the oral-AD component of esketamine arms"
grep -q "^Caveat: relapse" "$T/pc.txt" && fail "one dosed regimen: a relapse caveat without a comparison"
# Same seed: the same numbers whatever the thread count.
OMP_NUM_THREADS=1 "$KETSIM" forecast --madrs 32 --until 30 --days 1,14,28 --patients 1500 \
    --regimen "$R1" --regimen "$R6" --out "$T/f1.csv" >/dev/null 2>&1
cmp -s "$T/f.csv" "$T/f1.csv" || fail "forecast differs between thread counts"
# ... to the last bit: JSON has 17 significant digits, where the order of a floating-point
# sum over 20000 patients shows (an OpenMP reduction differed here between 1 and 2 threads)
for n in 1 2; do
    OMP_NUM_THREADS=$n "$KETSIM" forecast --madrs 30 --madrs-sd 6 --until 3 --days 1,2,3 --patients 20000 \
        --regimen "$R1" --out "$T/t$n.json" >/dev/null 2>&1 || fail "forecast threads $n: exit $?"
done
grep -q '"mean_madrs": [0-9]*\.[0-9]\{12\}' "$T/t1.json" || fail "forecast JSON lacks full precision"
cmp -s "$T/t1.json" "$T/t2.json" || fail "forecast JSON differs between 1 and 2 threads"
# A different seed, the same run otherwise: different numbers.
OMP_NUM_THREADS=1 "$KETSIM" forecast --madrs 32 --until 30 --days 1,14,28 --patients 1500 \
    --regimen "$R1" --regimen "$R6" --seed 2 --out "$T/f2.csv" >/dev/null 2>&1 || fail "seed 2: exit $?"
cmp -s "$T/f1.csv" "$T/f2.csv" && fail "a different seed gave identical output"
[ "$(wc -l <"$T/f1.csv")" -eq "$(wc -l <"$T/f2.csv")" ] || fail "seed 2: another table shape"
# Nothing acts before the first dose: this course starts on a Sunday, its first infusion is
# on Monday (day 1); at day 0.9 both arms are at the baseline, at day 2 they are not.
"$KETSIM" forecast --madrs 30 --until 6 --days 0.9,2 --patients 500 \
    --regimen "mwf=0.5mg/kg iv over 40min; start 2026-11-29 09:00; mon,wed,fri x 1w" \
    --out "$T/fv.csv" >/dev/null 2>&1 || fail "forecast first visit: exit $?"
awk -F, '$3==0.9 {n++; if ($4 != 30 || $10 != 0) bad = 1} $3==2 && $10 > 0 {m++}
    END {exit !(n == 2 && !bad && m == 2)}' "$T/fv.csv" ||
    fail "forecast before the first dose: $(grep -v '^#' "$T/fv.csv")"
# JSON output.
"$KETSIM" forecast --madrs 30 --madrs-sd 6 --until 14 --days 1,7 --patients 500 \
    --regimen "84mg nasal; 2/week x 1w" --out "$T/f.json" >/dev/null 2>&1 || fail "forecast json"
grep -q '"remission_frac"' "$T/f.json" && grep -q '"median_relapse_d"' "$T/f.json" &&
    grep -q 'a clinician decides' "$T/f.json" || fail "forecast JSON content"
grep -q '"relapse_caveat"' "$T/f.json" && fail "forecast JSON: a relapse caveat for one regimen"
"$KETSIM" forecast --madrs 30 --until 16 --days 1 --patients 200 --regimen "$R1" --regimen "$R6" \
    --out "$T/f2r.json" >/dev/null 2>&1 || fail "forecast json, two regimens: exit $?"
grep -q '"relapse_caveat": "relapse times compare regimens' "$T/f2r.json" ||
    fail "forecast JSON comparing two regimens lacks relapse_caveat"

# Relapse without a number says why: the last dose + 24 h beyond --until is not "no
# responders", and JSON has null (not 0) for that arm and for placebo.
"$KETSIM" forecast --madrs 30 --until 1.5 --days 1 --patients 200 \
    --regimen "a=0.5mg/kg iv over 40min; every 1d x 2" --out "$T/rl.json" >"$T/rl.txt" 2>&1 ||
    fail "relapse beyond --until: exit $?"
grep -q "^a .*n/a (last dose + 24 h is beyond --until)" "$T/rl.txt" || fail "relapse beyond --until: $(cat "$T/rl.txt")"
python3 - "$T/rl.json" <<'PY' || fail "relapse JSON: $(cat "$T/rl.json")"
import json, sys
r = {x["arm"]: x for x in json.load(open(sys.argv[1]))["relapse"]}
assert r["a"]["relapse_share"] is None and r["a"]["median_relapse_d"] is None
assert r["a"]["relapse_note"] == "last dose + 24 h is beyond --until"
assert r["placebo (no drug)"]["relapse_share"] is None
PY
# A median beyond the window is "> the whole days observed": 89.5 - 24 = 65.5 d is "> 65 d".
# With the shipped fluctuation most responders relapse within weeks; with fluct_share at its
# lower bound (0.001) the non-drug responders keep response (t_nondrug_d at 2000 d).
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["parameters"]["fluct_share"]["value"] = 0.001; json.dump(d, open(sys.argv[2], "w"), indent=2)' \
    "$SRC/data/response-params.json" "$T/lowf.json" || fail "could not write lowf.json"
"$KETSIM" forecast --madrs 30 --until 89.5 --days 1 --patients 200 --params "$T/lowf.json" \
    --regimen "e=84mg nasal; 2/week x 4w" >"$T/w.txt" 2>&1 || fail "window: exit $?"
grep -q "^e .* > 65 d (" "$T/w.txt" || fail "window of 65.5 d: $(grep '^e ' "$T/w.txt")"

# Bad input: one line naming the argument, non-zero exit, no file left.
bad() { # expected-text args...
    local want=$1
    shift
    "$KETSIM" "$@" >/dev/null 2>"$T/e"
    local rc=$?
    [ $rc -ne 0 ] || fail "$* should fail"
    grep -qF -- "$want" "$T/e" || fail "$*: message lacks \"$want\": $(cat "$T/e")"
}
# The parameter file's drive record is read: without --pd the PD file it records is used
# (a PD file with ki_s_ketamine x 4 changes the forecast), a --pd that differs from it is
# stated on stderr (one line naming the file and the field), the IV model it records
# drives the IV arms, and a file without the record (older files) runs silently as before.
python3 "$SRC/tests/cli/response_drive_files.py" "$SRC/data/response-params.json" \
    "$SRC/data/pd-acute.json" "$T" || fail "drive files"
FD=(forecast --madrs 30 --until 2 --days 1 --patients 500 --regimen "0.5mg/kg iv over 40min")
"$KETSIM" "${FD[@]}" --out "$T/d0.csv" >/dev/null 2>"$T/d0.err" || fail "drive default: exit $?"
grep -q "drive\." "$T/d0.err" && fail "the shipped file warns about its own drive: $(cat "$T/d0.err")"
"$KETSIM" "${FD[@]}" --params "$T/dpd.json" --out "$T/dpd.csv" >/dev/null 2>"$T/dpd.err" || fail "drive pd: exit $?"
grep -q "drive\." "$T/dpd.err" && fail "recorded PD file used, yet a warning: $(cat "$T/dpd.err")"
cmp -s "$T/d0.csv" "$T/dpd.csv" && fail "forecast --params ignores the PD file the file records (drive.pd_file)"
"$KETSIM" "${FD[@]}" --params "$T/dpd.json" --pd "$SRC/data/pd-acute.json" --out "$T/dpd2.csv" >/dev/null 2>"$T/dpd2.err" ||
    fail "drive pd with --pd: exit $?"
cmp -s "$T/d0.csv" "$T/dpd2.csv" || fail "--pd does not override the recorded PD file"
grep -q "^warning: --params $T/dpd.json: drive.pd_file is \"$T/pd4.json\" but the PD file here is $SRC/data/pd-acute.json" "$T/dpd2.err" ||
    fail "no warning for a --pd other than drive.pd_file: $(cat "$T/dpd2.err")"
"$KETSIM" "${FD[@]}" --params "$T/div.json" --out "$T/div.csv" >/dev/null 2>"$T/div.err" || fail "drive iv: exit $?"
cmp -s "$T/d0.csv" "$T/div.csv" && fail "forecast --params ignores the IV model the file records (drive.iv_model)"
"$KETSIM" "${FD[@]}" --params "$T/dnone.json" --out "$T/dn.csv" >/dev/null 2>"$T/dn.err" || fail "no drive record: exit $?"
cmp -s "$T/d0.csv" "$T/dn.csv" && ! grep -q "drive" "$T/dn.err" || fail "a file without drive: $(cat "$T/dn.err")"
sed 's|"pd_file": "[^"]*"|"pd_file": "nowhere/pd.json"|' "$T/dpd.json" >"$T/dlost.json"
"$KETSIM" "${FD[@]}" --params "$T/dlost.json" --out "$T/dl.csv" >/dev/null 2>"$T/dl.err" || fail "lost pd: exit $?"
grep -q '^warning: --params .*/dlost.json: drive.pd_file "nowhere/pd.json" (the PD file of the fit) is not found' "$T/dl.err" ||
    fail "a recorded PD file not found is not stated: $(cat "$T/dl.err")"
# response-validate reads the record too (the --check path, quick: no refit)
"$KETSIM" response-validate --params "$T/dpd.json" --pd "$SRC/data/pd-acute.json" \
    --check "$SRC/docs/validation-response.md" >/dev/null 2>"$T/rv.err"
grep -q "^warning: --params $T/dpd.json: drive.pd_file is" "$T/rv.err" ||
    fail "response-validate: no drive.pd_file warning: $(cat "$T/rv.err")"

# No output may overwrite an input: refused before any work, naming both options.
cp "$SRC/data/response-params.json" "$T/pin.json"
bad '--out "'"$T"'/pin.json" would overwrite --params "'"$T"'/pin.json", an input' \
    "${FD[@]}" --params "$T/pin.json" --out "$T/pin.json"
cmp -s "$T/pin.json" "$SRC/data/response-params.json" || fail "forecast --out destroyed its --params file"
grep -q "virtual patients" "$T/e" && fail "forecast computed before refusing --out = --params"
cp "$SRC/data/pd-acute.json" "$T/pdin.json"
bad '--out "'"$T"'/./pdin.json" would overwrite --pd "'"$T"'/pdin.json"' "${FD[@]}" --pd "$T/pdin.json" --out "$T/./pdin.json"
cmp -s "$T/pdin.json" "$SRC/data/pd-acute.json" || fail "forecast destroyed its --pd file"
bad 'would overwrite the PD file' "${FD[@]}" --params "$T/dpd.json" --out "$T/pd4.json"
bad '--write "'"$T"'/pdin.json" would overwrite --pd' calibrate --pd "$T/pdin.json" --write "$T/pdin.json"
cmp -s "$T/pdin.json" "$SRC/data/pd-acute.json" || fail "calibrate --write destroyed its --pd file"
"$KETSIM" calibrate --errors "$T/dpd.json" --pd "$SRC/data/pd-acute.json" >/dev/null 2>"$T/ce.err"
grep -q "^warning: --errors $T/dpd.json: drive.pd_file is" "$T/ce.err" ||
    fail "calibrate --errors: no drive.pd_file warning: $(cat "$T/ce.err")"
bad '--out "'"$T"'/pin.json" would overwrite --params' response-validate --params "$T/pin.json" --out "$T/pin.json"
cmp -s "$T/pin.json" "$SRC/data/response-params.json" || fail "response-validate --out destroyed its --params file"

bad "--madrs" forecast --until 3
bad "--madrs" forecast --madrs 80 --until 3
bad "route \"im\"" forecast --madrs 30 --until 3 --regimen "0.5mg/kg im"
bad "--context" forecast --madrs 30 --until 3 --context placebo
bad "--days" forecast --madrs 30 --until 3 --days 0,2
bad "beyond --until" forecast --madrs 30 --until 3 --regimen "0.5mg/kg iv over 40min; every 1w x 2"
bad "--params" forecast --madrs 30 --until 3 --params "$T/none.json"
bad "--out" forecast --madrs 30 --until 3 --regimen "$R1" --out "$T/no/dir/x.csv"
[ -e "$T/no/dir/x.csv" ] && fail "a failed forecast left a file"
# Outputs are checked before any work: types, and one file per output.
bad '--out "'"$T"'/x.png": expected a .csv or .json' forecast --madrs 30 --until 3 --out "$T/x.png" --plot "$T/x.png"
grep -q "virtual patients" "$T/e" && fail "forecast computed before refusing --out x.png --plot x.png"
bad '--plot "'"$T"'/r.txt": expected a .png or .svg' forecast --madrs 30 --until 3 --out "$T/r.csv" --plot "$T/r.txt"
[ -e "$T/r.csv" ] && fail "forecast wrote --out before refusing --plot r.txt"
# Doses outside what the model was calibrated on (IV 0.1-1.0 mg/kg over 40 min, nasal
# 56-84 mg) carry a stated warning (stderr, table, file); 10x the largest is refused.
bad "more than 10 times the largest dose" forecast --madrs 30 --until 3 --regimen "100000mg iv over 1min"
"$KETSIM" forecast --madrs 30 --until 3 --days 1 --patients 100 --regimen "hi=10mg/kg iv over 40min" \
    --regimen "ok=0.5mg/kg iv over 40min" --out "$T/x.json" >"$T/x.txt" 2>"$T/x.err" || fail "10 mg/kg: exit $?"
grep -q '^warning: --regimen "10mg/kg iv over 40min": 10 mg/kg iv is outside the calibrated 0.1-1 mg/kg' "$T/x.err" ||
    fail "no stderr warning for 10 mg/kg: $(cat "$T/x.err")"
grep -q '^Warning: "hi": 10 mg/kg iv is outside' "$T/x.txt" || fail "no table warning for 10 mg/kg"
python3 - "$T/x.json" "$T/f.json" <<'PY' || fail "JSON warnings"
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
assert [x["arm"] for x in w] == ["hi"] and "extrapolation" in w[0]["warning"], w
assert json.load(open(sys.argv[2]))["warnings"] == []  # 84 mg nasal: inside
PY
# The help says what the code enforces; a baseline at or below the remission cutoff is
# stated (stderr and table) rather than reported as 100 % remission in silence.
"$KETSIM" forecast --help >"$T/h.txt"
grep -q -- "--madrs SCORE .*(1-60)" "$T/h.txt" && grep -q -- "--pd FILE" "$T/h.txt" || fail "forecast --help: --madrs range or --pd"
"$KETSIM" response-validate --help | grep -q -- "--pd FILE" || fail "response-validate --help lacks --pd"
bad "(1-60)" forecast --until 3
"$KETSIM" forecast --madrs 8 --until 2 --days 1 --patients 100 --regimen "0.5mg/kg iv over 40min" \
    --out "$T/b.csv" >"$T/b.txt" 2>"$T/b.err" || fail "--madrs 8: exit $?"
grep -q "^# warning: the baseline is already at or below the remission cutoff" "$T/b.csv" ||
    fail "--madrs 8: no warning in the CSV"
grep -q "^warning: --madrs 8: the baseline is already at or below the remission cutoff (10)" "$T/b.err" &&
    grep -q "^Warning: the baseline MADRS 8 is already at or below the remission cutoff" "$T/b.txt" ||
    fail "--madrs 8 without a warning: $(cat "$T/b.err")"
# Whole numbers are whole: no silent rounding of --seed or --patients, and every 64-bit seed
# (as in ketsim trial) runs and is printed as given.
bad '--seed: "1.5" is not a whole number' forecast --madrs 30 --until 3 --seed 1.5
bad '--seed: "-1" is not a whole number' forecast --madrs 30 --until 3 --seed -1
# the first character is a digit: strtoull alone skips a leading space and takes a sign
bad '--seed: " -1" is not a whole number' forecast --madrs 30 --until 3 --seed " -1"
bad '--seed: "+1" is not a whole number' forecast --madrs 30 --until 3 --seed "+1"
bad '--seed: " 1" is not a whole number' forecast --madrs 30 --until 3 --seed " 1"
bad '--patients: " 100" is not a whole number' forecast --madrs 30 --until 3 --patients " 100"
bad '--patients: "100.9" is not a whole number' forecast --madrs 30 --until 3 --patients 100.9
"$KETSIM" forecast --madrs 30 --until 2 --days 1 --patients 100 --regimen "0.5mg/kg iv over 40min" \
    --seed 18446744073709551615 --out "$T/s.json" >"$T/s.txt" 2>&1 || fail "seed 2^64-1: exit $?"
grep -q "seed 18446744073709551615," "$T/s.txt" || fail "seed 2^64-1 printed as: $(head -1 "$T/s.txt")"
grep -q '"seed": "18446744073709551615"' "$T/s.json" || fail "seed 2^64-1 in JSON: $(grep seed "$T/s.json")"
bad "--max-eval" calibrate --max-eval abc
bad "--max-eval \" 20\"" calibrate --max-eval " 20"
bad "--max-eval \"5\"" response-validate --check docs/validation-response.md --max-eval 5
bad '--stall "x"' response-validate --out "$T/r.md" --stall x
bad '--stall "-1"' response-validate --out "$T/r.md" --stall -1
bad "--stall: not with --calibration-only" response-validate --out "$T/r.md" --calibration-only --stall 10
bad "--stall: not with --check" response-validate --check "$SRC/docs/validation-response.md" --stall 10
bad "--max-eval: not with --check" response-validate --check "$SRC/docs/validation-response.md" --max-eval 600
bad "--start item 1" calibrate --start "nonsense=3"
bad "--check" response-validate

# ---- PTSD (CAPS-5) variant
# The short fit above (--write) also wrote the PTSD stage; --stage2 on the shipped file
# reproduces it byte for byte (its depression part untouched, the PTSD stage recomputed).
grep -q '"theta_ptsd"' "$T/p.json" && grep -q '"feder2021-response"' "$T/p.json" ||
    fail "calibrate --write lacks the PTSD variant"
"$KETSIM" calibrate --stage2 "$SRC/data/response-params.json" --write "$T/s2.json" >"$T/s2.txt" 2>&1 ||
    fail "calibrate --stage2: exit $? ($(tail -2 "$T/s2.txt"))"
cmp -s "$T/s2.json" "$SRC/data/response-params.json" ||
    fail "calibrate --stage2 does not reproduce the shipped file: $(diff "$T/s2.json" "$SRC/data/response-params.json" | head -5)"
grep -q "week-2 (day 14) response ketamine 66.667 % (observed 66.667), midazolam 20.000 % (observed 20.000); read at day 12 instead: theta_ptsd" "$T/s2.txt" ||
    fail "calibrate --stage2 output: $(cat "$T/s2.txt")"
bad "--stage2 FILE: needs --write OUT" calibrate --stage2 "$SRC/data/response-params.json"
bad "would overwrite --stage2" calibrate --stage2 "$T/s2.json" --write "$T/s2.json"
# No depression fit runs with --stage2 or --errors: its options are refused, not ignored.
bad "--max-eval: not with --stage2" calibrate --stage2 "$SRC/data/response-params.json" --write "$T/s3.json" --max-eval 20
bad "--start: not with --stage2" calibrate --stage2 "$SRC/data/response-params.json" --write "$T/s3.json" --start theta=1
bad "--max-eval: not with --errors" calibrate --errors "$SRC/data/response-params.json" --max-eval 20
bad "--start: not with --errors" calibrate --errors "$SRC/data/response-params.json" --start theta=1
[ -e "$T/s3.json" ] && fail "calibrate --stage2 with a refused option wrote its output"
# A file from before the variant: forecast --indication ptsd names what is missing.
python3 - "$SRC/data/response-params.json" "$T/nov.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["variants"]
json.dump(d, open(sys.argv[2], "w"))
PY
PT=(forecast --indication ptsd --caps5 40 --until 30)
bad '$.variants.ptsd.parameters: missing' "${PT[@]}" --params "$T/nov.json"
# Forecast: six infusions in PTSD give the fitted week-2 shares (day 14, weekly visits from
# baseline: 10/15 and 3/15, to virtual-patient noise with 20000 patients), CAPS-5 columns,
# no remission, the one-trial warning (naming the read day) everywhere.
"$KETSIM" "${PT[@]}" --patients 20000 --days 1,14,28 --regimen "six=0.5mg/kg iv over 40min; 3/week x 2w" \
    --out "$T/pt.csv" --plot "$T/pt.png" >"$T/pt.txt" 2>"$T/pt.err" || fail "forecast ptsd: exit $? ($(cat "$T/pt.err"))"
[ -s "$T/pt.png" ] || fail "forecast ptsd wrote no plot"
head -1 "$T/pt.csv" | grep -qx "arm,context,time_d,mean_caps5,p10_caps5,p50_caps5,p90_caps5,mean_change_caps5,sd_change_caps5,response_frac" ||
    fail "forecast ptsd CSV header: $(head -1 "$T/pt.csv")"
awk -F, '$1=="\"six\"" && $3==14 {k = $10} $1=="\"placebo (no drug)\"" && $3==14 {m = $10}
    END {exit !(k > 10 / 15 - 0.015 && k < 10 / 15 + 0.015 && m > 0.2 - 0.012 && m < 0.2 + 0.012)}' "$T/pt.csv" ||
    fail "forecast ptsd day-14 response: $(grep ',14,' "$T/pt.csv")"
for f in "$T/pt.err" "$T/pt.txt" "$T/pt.csv"; do
    grep -qi "warning: the PTSD variant is fitted to one 30-patient trial" "$f" || fail "$f: no PTSD warning"
    grep -qi "is not credible: only the six-infusion response at day 14 is fitted" "$f" || fail "$f: PTSD warning does not say the in-course response is not credible"
    grep -qi "week 2 read at day 14" "$f" || fail "$f: the PTSD warning does not name the read day"
done
grep -q "response = CAPS-5 reduced by >= 30 %; no remission" "$T/pt.txt" || fail "forecast ptsd table: $(head -3 "$T/pt.txt")"
grep -q "remit" "$T/pt.txt" && fail "forecast ptsd prints remission"
"$KETSIM" "${PT[@]}" --patients 500 --days 1 --regimen "0.5mg/kg iv over 40min" --out "$T/pt.json" >/dev/null 2>&1 || fail "forecast ptsd json: exit $?"
python3 - "$T/pt.json" <<'PY' || fail "forecast ptsd JSON: $(head -c 600 "$T/pt.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["indication"] == "ptsd" and d["response_reduction"] == 0.3 and d["baseline_caps5"] == 40
assert "remission_cutoff_madrs" not in d and "baseline_madrs" not in d
r = d["rows"][0]
assert "mean_caps5" in r and "remission_frac" not in r and "mean_madrs" not in r
assert any("30-patient trial" in w["warning"] for w in d["warnings"])
PY
# The depression forecast is unchanged by the option: --indication depression is the default.
"$KETSIM" forecast --madrs 32 --until 30 --days 1,14,28 --patients 1500 --regimen "$R1" --regimen "$R6" \
    --indication depression --out "$T/fdep.csv" >/dev/null 2>&1 || fail "--indication depression: exit $?"
cmp -s "$T/fdep.csv" "$T/f.csv" || fail "--indication depression differs from the default"
# Errors: one line naming the problem.
bad "--caps5: the patient's baseline CAPS-5 is required" forecast --indication ptsd --until 3
bad "--madrs: not with --indication ptsd" forecast --indication ptsd --caps5 40 --madrs 30 --until 3
bad "--madrs-sd: not with --indication ptsd" forecast --indication ptsd --caps5 40 --madrs-sd 3 --until 3
bad "--hamd: not with --indication ptsd: the PTSD scale is CAPS-5" forecast --indication ptsd --caps5 40 --hamd 20 --until 3
bad "--remission-cutoff: not with --indication ptsd: no published CAPS-5 remission definition" \
    forecast --indication ptsd --caps5 40 --remission-cutoff 20 --until 3
bad "--caps5: a CAPS-5 score needs --indication ptsd" forecast --madrs 30 --caps5 40 --until 3
bad "--caps5 \"81\": expected a number from 1 to 80" forecast --indication ptsd --caps5 81 --until 3
bad "the PTSD baseline is --caps5 (1-80; the CAPS-5 scale is 0-80)" forecast --indication ptsd --caps5 40 --madrs 30 --until 3
bad "--indication \"bipolar\": expected depression or ptsd" forecast --indication bipolar --madrs 30 --until 3
bad "the PTSD variant is calibrated for racemic ketamine IV only" "${PT[@]}" --regimen "84mg nasal"
bad "--context: the PTSD variant is calibrated in the active context only" "${PT[@]}" --context saline
bad "--placebo-context: the PTSD variant is calibrated in the active context only" "${PT[@]}" --placebo-context saline
"$KETSIM" forecast --help | grep -q -- "--caps5 SCORE .*(1-80)" || fail "forecast --help lacks --caps5"

[ $failures -eq 0 ] && echo "test_response: all passed"
exit $((failures > 0))
