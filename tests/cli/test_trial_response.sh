#!/usr/bin/env bash
# ketsim trial --response: the response CSV/JSON (header, statement, two arms), byte-
# identical for 1 and 2 threads and across runs, the same numbers as `ketsim forecast`
# for the same patients (an independent code path), the drug arm ahead of placebo, and
# bad input: one line "ketsim trial: ...", exit 2, no file.
# usage: bash test_trial_response.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_trial_response.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_trial_response.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_trialresp.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
R='0.5mg/kg iv over 40min; 3/week x 2w'
COMMON=(--model domino-1982 --weight 70 --n 1500 --regimen "$R" --until 30d --every 1d --seed 3
    --madrs 32 --madrs-sd 6 --quiet)

"$KETSIM" trial --help | grep -q -- '--response FILE' || fail "--help lacks --response"

# --- threads and runs: byte-identical
"$KETSIM" trial "${COMMON[@]}" --threads 1 --out "$T/pk1.csv" --response "$T/r1.csv" || fail "threads 1: exit $?"
"$KETSIM" trial "${COMMON[@]}" --threads 2 --out "$T/pk2.csv" --response "$T/r2.csv" || fail "threads 2: exit $?"
"$KETSIM" trial "${COMMON[@]}" --threads 2 --out "$T/pk3.csv" --response "$T/r3.csv" || fail "run 2: exit $?"
cmp -s "$T/r1.csv" "$T/r2.csv" || fail "--response differs between 1 and 2 threads"
cmp -s "$T/r2.csv" "$T/r3.csv" || fail "--response differs between two runs"
grep -q '^# A model, not a prognosis: a clinician decides.' "$T/r1.csv" || fail "CSV lacks the statement"
grep -q '^arm,context,time_h,mean_madrs,mean_change_madrs,sd_change_madrs,response_frac,remission_frac$' "$T/r1.csv" ||
    fail "CSV header: $(sed -n 3p "$T/r1.csv")"
[ "$(grep -c '^"regimen",active,' "$T/r1.csv")" -eq 31 ] || fail "expected 31 regimen rows (days 0-30)"
[ "$(grep -c '^"placebo (no drug)",active,' "$T/r1.csv")" -eq 31 ] ||
    fail "expected 31 placebo rows in the regimen arm's context (active)"

# --- the same patients through `ketsim forecast` (same seed, baseline and spread)
"$KETSIM" forecast --madrs 32 --madrs-sd 6 --patients 1500 --seed 3 --until 30 --days 1,14,20 \
    --regimen "six=$R" --out "$T/f.csv" >/dev/null 2>&1 || fail "forecast: exit $?"
for d in 1 14 20; do
    h=$((d * 24))
    t=$(awk -F, -v h="$h" '$1=="\"regimen\"" && $3==h {print $4, $5, $6, $7, $8}' "$T/r1.csv")
    f=$(awk -F, -v d="$d" '$1=="\"six\"" && $3==d {print $4, $8, $9, $10, $11}' "$T/f.csv")
    [ -n "$t" ] && [ "$t" = "$f" ] || fail "day $d: trial --response \"$t\" vs forecast \"$f\""
    t=$(awk -F, -v h="$h" '$1=="\"placebo (no drug)\"" && $3==h {print $4, $5, $6, $7, $8}' "$T/r1.csv")
    f=$(awk -F, -v d="$d" '$1=="\"placebo (no drug)\"" && $3==d {print $4, $8, $9, $10, $11}' "$T/f.csv")
    [ -n "$t" ] && [ "$t" = "$f" ] || fail "day $d placebo: trial --response \"$t\" vs forecast \"$f\""
done
# --- relapse after the last dose: in the CSV as comment lines (the table unchanged), the
# same median and share as `ketsim forecast` for the same patients (its JSON), the placebo
# arm censored (fewer than half of its responders relapse in 19 d: null with the reason)
grep -q '^# relapse: "regimen": [0-9][0-9]* responders (MADRS reduced by >= 50 %) at the last dose + 24 h; median time from the last dose to relapse [0-9.]* d; ' "$T/r1.csv" ||
    fail "CSV lacks the regimen's relapse line: $(grep '^# relapse' "$T/r1.csv")"
grep -q '^# relapse: "placebo (no drug)": .* n/a (fewer than half of the responders relapse within the horizon)' "$T/r1.csv" ||
    fail "CSV: placebo relapse not censored: $(grep '^# relapse' "$T/r1.csv")"
"$KETSIM" forecast --madrs 32 --madrs-sd 6 --patients 1500 --seed 3 --until 30 --days 1,14,20 \
    --regimen "six=$R" --out "$T/f.json" >/dev/null 2>&1 || fail "forecast json: exit $?"
"$KETSIM" trial "${COMMON[@]}" --threads 2 --out "$T/pk4.csv" --response "$T/r4.json" || fail "json relapse: exit $?"
python3 - "$T/r4.json" "$T/f.json" <<'PY' || fail "relapse: trial --response vs forecast"
import json, math, sys
t, f = (json.load(open(x)) for x in sys.argv[1:])
r, p = t["arms"][0]["relapse"], t["arms"][1]["relapse"]
fr = f["relapse"][0]
assert fr["arm"] == "six" and fr["median_relapse_d"] is not None, fr
assert r["median_relapse_d"] is not None and r["why"] is None, r
# both at 6 significant digits (the JSON precision of each)
assert float("%.6g" % fr["median_relapse_d"]) == r["median_relapse_d"], (r, fr)
assert float("%.6g" % fr["relapse_share"]) == r["share_relapsed"], (r, fr)
assert 0 < r["share_relapsed"] < 1 and r["responders_at_last_dose_plus_24h"] > 0, r
assert r["relapsed"] == round(r["share_relapsed"] * r["responders_at_last_dose_plus_24h"]), r
assert abs(r["horizon_d"] - 19) < 1e-9, r  # 30 d - the last dose on day 11
assert p["median_relapse_d"] is None and "fewer than half" in p["why"], p
PY
# last dose (day 11) + 24 h beyond --until 11.5d: null with that reason
"$KETSIM" trial --model domino-1982 --weight 70 --n 200 --regimen "$R" --until 11.5d --every 1d \
    --madrs 32 --quiet --out "$T/pk5.csv" --response "$T/r5.json" || fail "short horizon: exit $?"
python3 - "$T/r5.json" <<'PY' || fail "short horizon: relapse not null with the reason"
import json, sys
for a in json.load(open(sys.argv[1]))["arms"]:
    r = a["relapse"]
    assert r["median_relapse_d"] is None and r["responders_at_last_dose_plus_24h"] == 0, r
    assert r["why"] == "last dose + 24 h is beyond the horizon", r
PY

# the regimen arm improves more than placebo at day 1, and day 0 is the baseline
# (placebo in the same active context: the difference is the drug's, 2.1 points and 8.4
# response points with the shipped fit; against saline it was 8 points)
awk -F, '$3==24 {m[$1]=$4; r[$1]=$7} END {exit !(m["\"regimen\""] < m["\"placebo (no drug)\""] - 1 &&
    r["\"regimen\""] > r["\"placebo (no drug)\""] + 0.05)}' "$T/r1.csv" ||
    fail "day 1: regimen not ahead of placebo: $(grep ',24,' "$T/r1.csv")"
awk -F, '$1=="\"regimen\"" && $3==0 {exit !($5==0 && $7==0 && $4>30 && $4<34)}' "$T/r1.csv" ||
    fail "day 0 is not the baseline: $(grep '^"regimen",active,0,' "$T/r1.csv")"

# --- the non-drug part starts at the first dose, not at time 0 of the course's clock: the
# first infusion of this course is on Monday, 24 h after the start (Sunday 09:00); at 12 h
# and 24 h both arms are still at the baseline (before the fix: MADRS 16.5, 39 % response)
"$KETSIM" trial --model domino-1982 --weight 70 --n 2000 --quiet --out "$T/pk_fv.csv" \
    --regimen "0.5mg/kg iv over 40min; start 2026-11-29 09:00; mon,wed,fri x 1w" --until 6d \
    --every 12h --madrs 30 --response "$T/fv.csv" || fail "first visit: exit $?"
awk -F, '$3==12 || $3==24 {n++; if ($4 != 30 || $7 != 0) bad = bad " " $0} $3==36 && $1=="\"regimen\"" {late = $7}
    END {exit !(n == 4 && bad == "" && late > 0.2)}' "$T/fv.csv" ||
    fail "response before the first dose: $(grep -E ',(12|24|36),' "$T/fv.csv")"

# --- JSON, nasal esketamine (oral-ad context by default)
"$KETSIM" trial --model perez-ruixo-2021 --weight 70 --age 45 --n 300 --regimen "56mg nasal; 2/week x 1w" \
    --until 10d --every 1d --madrs 30 --response "$T/r.json" --out "$T/pk.csv" --quiet || fail "json: exit $?"
python3 - "$T/r.json" <<'PY' || fail "JSON content"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["note"] == "A model, not a prognosis: a clinician decides.", j["note"]
assert j["pk_model"] == "perez-ruixo-2021" and j["patients"] == 300
assert [a["context"] for a in j["arms"]] == ["oral-ad", "oral-ad"]
assert j["warning"] is None
assert all(len(a["rows"]) == 11 for a in j["arms"])
r = j["arms"][0]["rows"][3]
assert set(j["arms"][0]["relapse"]) == {"responders_at_last_dose_plus_24h", "relapsed", "median_relapse_d", "share_relapsed", "horizon_d", "definition", "why"}
assert set(r) == {"time_h", "mean_madrs", "mean_change_madrs", "sd_change_madrs", "response_frac", "remission_frac"}
assert 0 <= r["response_frac"] <= 1 and r["mean_change_madrs"] < 0
PY

# --- the placebo arm's context: --placebo-context overrides the regimen arm's
"$KETSIM" trial --model perez-ruixo-2021 --weight 70 --n 300 --regimen "56mg nasal" --until 2d \
    --every 1d --madrs 30 --response "$T/pc.csv" --placebo-context saline --out "$T/pk.csv" --quiet ||
    fail "--placebo-context: exit $?"
grep -q '^"placebo (no drug)",saline,24,' "$T/pc.csv" && grep -q '^"regimen",oral-ad,24,' "$T/pc.csv" ||
    fail "--placebo-context saline: $(grep -v '^#' "$T/pc.csv")"

# --- the response follows the trial's --model (same drug): kamp-2020's racemic PK gives
# another drug state than domino-1982's; covariates drawn by --population are stated unused
"$KETSIM" trial --model kamp-2020 --weight 70 --n 300 --regimen "0.5mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 30 --response "$T/k.json" --out "$T/pk.csv" --quiet \
    --population "weight ~ normal(80kg, 15kg) in 45..150" 2>"$T/k.err" || fail "kamp-2020: exit $?"
"$KETSIM" trial --model domino-1982 --weight 70 --n 300 --regimen "0.5mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 30 --response "$T/d.json" --out "$T/pk.csv" --quiet 2>"$T/d.err" || fail "domino: exit $?"
python3 - "$T/k.json" "$T/d.json" <<'PY' || fail "--model drives the response"
import json, sys
k, d = (json.load(open(f)) for f in sys.argv[1:])
assert k["pk_model"] == "kamp-2020" and d["pk_model"] == "domino-1982"
assert "--population" in k["warning"] and d["warning"] is None, (k["warning"], d["warning"])
mk, md = k["arms"][0]["rows"][1]["mean_madrs"], d["arms"][0]["rows"][1]["mean_madrs"]
assert abs(mk - md) > 0.05, (mk, md)
PY
grep -q "^warning: --response: .*--population" "$T/k.err" || fail "no --population warning: $(cat "$T/k.err")"
# the parameters were fitted with domino-1982 (their drive record): another model is stated
grep -q '^warning: --response-params .*/response-params.json: drive.iv_model is "domino-1982" but the iv drive here is --model kamp-2020' "$T/k.err" ||
    fail "no drive.iv_model warning for --model kamp-2020: $(cat "$T/k.err")"
grep -q "drive\." "$T/d.err" && fail "domino-1982 warned about the drive: $(cat "$T/d.err")"

# --- the PD file recorded in --response-params (drive.pd_file) is the one used
python3 "$SRC/tests/cli/response_drive_files.py" "$SRC/data/response-params.json" \
    "$SRC/data/pd-acute.json" "$T" || fail "drive files"
"$KETSIM" trial --model domino-1982 --weight 70 --n 300 --regimen "0.5mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 30 --response "$T/dp.json" --response-params "$T/dpd.json" --out "$T/pk.csv" --quiet 2>"$T/dp.err" ||
    fail "drive.pd_file: exit $?"
python3 - "$T/dp.json" "$T/d.json" <<'PY' || fail "trial --response-params ignores drive.pd_file"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert abs(a["arms"][0]["rows"][1]["mean_madrs"] - b["arms"][0]["rows"][1]["mean_madrs"]) > 0.01
PY

# --- a dose outside the calibrated range is stated in the file and on stderr
"$KETSIM" trial --model domino-1982 --weight 70 --n 100 --regimen "2mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 30 --response "$T/hi.csv" --out "$T/pk.csv" --quiet 2>"$T/hi.err" || fail "2 mg/kg: exit $?"
grep -q "^# warning: 2 mg/kg iv is outside the calibrated 0.1-1 mg/kg" "$T/hi.csv" || fail "no warning in the file: $(head -3 "$T/hi.csv")"
grep -q "^warning: --response: 2 mg/kg iv is outside" "$T/hi.err" || fail "no warning on stderr: $(cat "$T/hi.err")"

# --- with --replicates, the response covers the first replicate only: stated, not silent
"$KETSIM" trial --model domino-1982 --weight 70 --n 100 --regimen "0.5mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 30 --replicates 3 --response "$T/rep.csv" --out "$T/pk.csv" --quiet 2>"$T/rep.err" ||
    fail "--replicates 3: exit $?"
grep -q "^# warning: the response covers the first replicate only; the other 2 replicates (--replicates 3) are not in it" "$T/rep.csv" &&
    grep -q "^warning: --response: the response covers the first replicate only" "$T/rep.err" ||
    fail "--replicates 3: no warning ($(head -3 "$T/rep.csv"))"

# --- a baseline at or below the remission cutoff is stated
"$KETSIM" trial --model domino-1982 --weight 70 --n 100 --regimen "0.5mg/kg iv over 40min" --until 2d \
    --every 1d --madrs 8 --response "$T/b8.csv" --out "$T/pk.csv" --quiet 2>"$T/b8.err" || fail "--madrs 8: exit $?"
grep -q "^# warning: the baseline MADRS 8 is already at or below the remission cutoff (10)" "$T/b8.csv" &&
    grep -q "^warning: --response: the baseline MADRS 8" "$T/b8.err" || fail "--madrs 8: no warning"

# --- the file type by its extension in any case: r.JSON is JSON, r.Csv is CSV
"$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen "0.5mg/kg iv over 40min" --until 1d \
    --every 1d --madrs 30 --response "$T/r.JSON" --out "$T/pk.csv" --quiet 2>"$T/uc.err" || fail "r.JSON: exit $?"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["arms"][0]["arm"] == "regimen"' "$T/r.JSON" ||
    fail "--response r.JSON is not JSON: $(head -2 "$T/r.JSON")"
"$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen "0.5mg/kg iv over 40min" --until 1d \
    --every 1d --madrs 30 --response "$T/r.Csv" --out "$T/pk.csv" --quiet 2>"$T/uc.err" || fail "r.Csv: exit $?"
grep -q '^arm,context,time_h,' "$T/r.Csv" || fail "--response r.Csv is not CSV"

# --- bad input: one line, exit 2, no file
bad() {
    local want=$1
    shift
    rm -f "$T/bad.csv"
    "$KETSIM" trial --model "${MODEL:-domino-1982}" --weight 70 --n 10 --regimen "${REG:-$R}" --until 14d --every 1d \
        --out "$T/pk.csv" --quiet "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 2 ] || fail "$*: exit $rc, expected 2"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: expected one line, got: $(cat "$T/err")"
    grep -q "^ketsim trial: .*$want" "$T/err" || fail "$*: message \"$(cat "$T/err")\" lacks \"$want\""
    [ ! -e "$T/bad.csv" ] || fail "$*: wrote the response file"
}
bad "give the patients' baseline with --madrs" --response "$T/bad.csv"
bad "--madrs goes with --response" --madrs 30
bad '--madrs "0"' --response "$T/bad.csv" --madrs 0
bad '--madrs-sd "x"' --response "$T/bad.csv" --madrs 30 --madrs-sd x
bad '--remission-cutoff "70"' --response "$T/bad.csv" --madrs 30 --remission-cutoff 70
bad "--response-context" --response "$T/bad.csv" --madrs 30 --response-context nowhere
bad "--response-params" --response "$T/bad.csv" --madrs 30 --response-params "$T/none.json"
bad "name the same file" --response "$T/pk.csv" --madrs 30
# every output pair, by the file it names (./ and // do not hide it), before any work
bad '--replicates-out "'"$T"'/bad.csv" and --response' --replicates 2 --replicates-out "$T/bad.csv" \
    --response "$T//./bad.csv" --madrs 30
bad '--plot "'"$T"'/x.txt": expected a .png or .svg' --plot "$T/x.txt"
bad "--out \"$T/pk.csv\" and --patients" --patients "$T/./pk.csv"
# no output may overwrite an input: the response parameters, the PD file they use, the
# model file, the regimen, population and covariate files
cp "$SRC/data/response-params.json" "$T/pin.json"
bad '--response "'"$T"'/pin.json" would overwrite --response-params "'"$T"'/pin.json", an input' \
    --madrs 30 --response-params "$T/pin.json" --response "$T/pin.json"
bad '--patients "'"$T"'/./pin.json" would overwrite --response-params' \
    --madrs 30 --response-params "$T/pin.json" --response "$T/bad.csv" --patients "$T/./pin.json"
cmp -s "$T/pin.json" "$SRC/data/response-params.json" || fail "trial destroyed its --response-params file"
bad '--response "'"$T"'/pd4.json" would overwrite the PD file' --madrs 30 --response-params "$T/dpd.json" --response "$T/pd4.json"
mkdir -p "$T/m" && cp "$SRC/models/ketamine/domino-1982.json" "$T/m/"
MODEL="$T/m/domino-1982.json" bad 'would overwrite --model' --patients "$T/m/domino-1982.json"
cmp -s "$T/m/domino-1982.json" "$SRC/models/ketamine/domino-1982.json" || fail "trial destroyed its --model file"
{ echo weight; seq 60 69; } >"$T/cov.csv"
bad '--patients "'"$T"'/cov.csv" would overwrite --covariates-csv' --covariates-csv "$T/cov.csv" --patients "$T/cov.csv"
[ "$(head -2 "$T/cov.csv" | tr '\n' ,)" = "weight,60," ] || fail "trial destroyed its --covariates-csv file"
printf 'weight ~ normal(70kg, 10kg) in 40..150\n' >"$T/pop.txt"
bad 'would overwrite --population-file' --population-file "$T/pop.txt" --patients "$T/pop.txt"
printf '{"dose": {"amount": "0.5mg/kg", "route": "iv", "over": "40min"}}' >"$T/reg.json"
"$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen-file "$T/reg.json" --until 1d --quiet \
    --out "$T/reg.json" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q '^ketsim trial: --out ".*/reg.json" would overwrite --regimen-file' "$T/err" &&
    grep -q '"route": "iv"' "$T/reg.json" || fail "--out over --regimen-file: $(cat "$T/err")"
# --response is a .csv or .json file (any case, as --plot's check), refused before any work
bad '--response "'"$T"'/r2.png": expected a .csv or .json' --response "$T/r2.png" --madrs 30
[ -e "$T/r2.png" ] && fail "--response r2.png wrote a file"
bad "--placebo-context" --response "$T/bad.csv" --madrs 30 --placebo-context nowhere
bad "--placebo-context goes with --response" --placebo-context saline
REG="20mg/kg iv over 40min" bad "more than 10 times the largest dose" --response "$T/bad.csv" --madrs 30
# the drug of --model must be the one the response model was calibrated for on the route
MODEL=flint-2017 REG="0.25mg/kg iv over 40min" bad "--model flint-2017 is esketamine, but the response model is calibrated for iv racemic ketamine" \
    --response "$T/bad.csv" --madrs 30
MODEL=perez-ruixo-2021 REG="56mg oral" bad 'route "oral"' --response "$T/bad.csv" --madrs 30
"$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen "$R" --until 14d --every 1d --quiet \
    --out "$T/pk.csv" --madrs 30 --response "$T/nodir/r.csv" >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "^ketsim trial: --response" "$T/err" || fail "unwritable --response: $(cat "$T/err")"

if [ $failures -ne 0 ]; then
    echo "test_trial_response: $failures failure(s)" >&2
    exit 1
fi
echo "test_trial_response: all checks passed"
