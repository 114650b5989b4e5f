#!/usr/bin/env bash
# ketsim trial --response: the response CSV/JSON (header, statement, two arms), byte-
# identical for 1 and 2 threads and across runs, the same numbers as `ketsim forecast`
# for the same patients (an independent code path), the drug arm ahead of placebo; with
# --replicates every replicate (percentiles across them, replicate 1 unchanged, replicate r
# independent of their number) and with --uncertainty replicate r under the SIR sample's set
# r - 1 (against runs whose parameters are that set); and bad input: one line
# "ketsim trial: ...", exit 2, no file.
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
# row_of FILE ARM HOURS / frow_of FILE ARM DAYS: a trial --response row and the forecast's
row_of() { awk -F, -v a="\"$2\"" -v h="$3" '$1==a && $3==h {print $4, $5, $6, $7, $8}' "$1"; }
frow_of() { awk -F, -v a="\"$2\"" -v d="$3" '$1==a && $3==d {print $4, $8, $9, $10, $11}' "$1"; }
for d in 1 14 20; do
    h=$((d * 24))
    t=$(row_of "$T/r1.csv" regimen "$h")
    f=$(frow_of "$T/f.csv" six "$d")
    [ -n "$t" ] && [ "$t" = "$f" ] || fail "day $d: trial --response \"$t\" vs forecast \"$f\""
    t=$(awk -F, -v h="$h" '$1=="\"placebo (no drug)\"" && $3==h {print $4, $5, $6, $7, $8}' "$T/r1.csv")
    f=$(awk -F, -v d="$d" '$1=="\"placebo (no drug)\"" && $3==d {print $4, $8, $9, $10, $11}' "$T/f.csv")
    [ -n "$t" ] && [ "$t" = "$f" ] || fail "day $d placebo: trial --response \"$t\" vs forecast \"$f\""
done
# --- relapse after the last dose: in the CSV as comment lines (the table unchanged), the
# same median and share as `ketsim forecast` for the same patients (its JSON); a censored
# arm (fewer than half relapse within the horizon) below, without fluctuation
grep -q '^# relapse: "regimen": [0-9][0-9]* responders (MADRS reduced by >= 50 %) at the last dose + 24 h; median time from the last dose to relapse [0-9.]* d; ' "$T/r1.csv" ||
    fail "CSV lacks the regimen's relapse line: $(grep '^# relapse' "$T/r1.csv")"
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
# daily checks from the last dose + 24 h: whole days (or a half between two)
assert (2 * r["median_relapse_d"]) % 1 == 0, r
assert p["why"] is None or "fewer than half" in p["why"], p
PY
# --- the model without within-patient fluctuation (a copy of the parameter file without
# fluct_share and t_fluct_d): the same patients in trial --response and forecast, so the
# same rows and relapse; the rows differ from the shipped file's (its paths are used); the
# placebo arm censored there (its non-drug responders keep response: t_nondrug_d 2000 d)
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); [d["parameters"].pop(k) for k in ("fluct_share", "t_fluct_d")]; d.pop("uncertainty"); json.dump(d, open(sys.argv[2], "w"), indent=2)' \
    "$SRC/data/response-params.json" "$T/fl.json" || fail "could not write fl.json"
"$KETSIM" trial "${COMMON[@]}" --out "$T/pkf.csv" --response "$T/rf.csv" --response-params "$T/fl.json" ||
    fail "fluctuation: trial exit $?"
"$KETSIM" forecast --madrs 32 --madrs-sd 6 --patients 1500 --seed 3 --until 30 --days 1,14,20 \
    --regimen "six=$R" --params "$T/fl.json" --out "$T/ff.csv" >/dev/null 2>&1 || fail "fluctuation: forecast exit $?"
for d in 1 14 20; do
    h=$((d * 24))
    t=$(row_of "$T/rf.csv" regimen "$h")
    f=$(frow_of "$T/ff.csv" six "$d")
    [ -n "$t" ] && [ "$t" = "$f" ] || fail "fluctuation day $d: trial --response \"$t\" vs forecast \"$f\""
    [ "$t" != "$(row_of "$T/r1.csv" regimen "$h")" ] || fail "day $d: the same row without fluctuation as with it ($t)"
done
grep -q 'checked daily$' "$T/rf.csv" || fail "fluctuation: the relapse line does not say daily"
grep -q '^# relapse: "placebo (no drug)": .* n/a (fewer than half of the responders relapse within the horizon)' "$T/rf.csv" ||
    fail "CSV: placebo relapse not censored without fluctuation: $(grep '^# relapse' "$T/rf.csv")"
"$KETSIM" trial "${COMMON[@]}" --out "$T/pkf2.csv" --response "$T/rf.json" --response-params "$T/fl.json" ||
    fail "fluctuation: trial json exit $?"
"$KETSIM" forecast --madrs 32 --madrs-sd 6 --patients 1500 --seed 3 --until 30 --days 1,14,20 \
    --regimen "six=$R" --params "$T/fl.json" --out "$T/ff.json" >/dev/null 2>&1 || fail "fluctuation: forecast json exit $?"
python3 - "$T/rf.json" "$T/ff.json" "$T/r4.json" <<'PY' || fail "fluctuation: relapse, trial --response vs forecast"
import json, sys
t, f, t0 = (json.load(open(x)) for x in sys.argv[1:])
r, fr, r0 = t["arms"][0]["relapse"], f["relapse"][0], t0["arms"][0]["relapse"]
assert fr["arm"] == "six", fr
if fr["median_relapse_d"] is None:  # censored in both, for the same reason
    assert r["median_relapse_d"] is None and "fewer than half" in r["why"], (r, fr)
    assert "beyond the 19 d observed" in fr["relapse_note"], fr
else:
    assert float("%.6g" % fr["median_relapse_d"]) == r["median_relapse_d"], (r, fr)
assert float("%.6g" % fr["relapse_share"]) == r["share_relapsed"], (r, fr)
# with the shipped fluctuation more relapse within the horizon
assert r0["median_relapse_d"] is not None and r0["share_relapsed"] > r["share_relapsed"], (r, r0)
p = t["arms"][1]["relapse"]
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

# --- replicates: every replicate's patients (docs/trial.md "Replicates"). The rows and the
# relapse lines stay replicate 1's (byte-identical to a run without --replicates but for the
# added columns and lines); *_across_p5/p50/p95 are percentiles over the replicates
RR=(--model domino-1982 --weight 70 --n 300 --regimen "$R" --until 30d --every 1d --seed 5
    --madrs 32 --madrs-sd 6 --quiet --out "$T/pk.csv")
"$KETSIM" trial "${RR[@]}" --response "$T/k1.csv" || fail "K=1: exit $?"
"$KETSIM" trial "${RR[@]}" --replicates 3 --response "$T/k3.csv" 2>"$T/k3.err" || fail "K=3: exit $?"
H='arm,context,time_h,mean_madrs,mean_change_madrs,sd_change_madrs,response_frac,remission_frac'
X=''
for q in mean_madrs mean_change_madrs response_frac remission_frac; do
    X="$X,${q}_across_p5,${q}_across_p50,${q}_across_p95"
done
grep -qx "$H$X" "$T/k3.csv" || fail "K=3 header: $(grep '^arm,' "$T/k3.csv")"
grep -qx "$H" "$T/k1.csv" || fail "K=1 header changed: $(grep '^arm,' "$T/k1.csv")"
grep -q 'first replicate only\|across' "$T/k1.csv" && fail "K=1 mentions replicates"
grep -q 'first replicate only' "$T/k3.csv" "$T/k3.err" && fail "the old first-replicate warning is still there"
grep -q '^# warning' "$T/k3.csv" && fail "K=3 has a warning: $(grep '^# warning' "$T/k3.csv")"
grep -q '^# replicates: the rows and the relapse figures per arm are replicate 1 of 3 (patients 0..299 of seed 5); the \*_across_p5, \*_across_p50 and \*_across_p95 columns are the 5th, 50th and 95th percentiles of each over the 3 replicates (type 7), each replicate with its own 300 patients, the same response parameters and typical drug state$' "$T/k3.csv" ||
    fail "K=3: no replicates line: $(grep '^# replicates' "$T/k3.csv")"
for a in regimen 'placebo (no drug)'; do
    grep -q "^# relapse across replicates: \"$a\": median time from the last dose to relapse .* d (5th, 50th, 95th percentile over the [0-3] of 3 replicates with responders: [0-3] with a median, [0-3] censored, counted as beyond the horizon; [0-3] without responders, left out); share relapsed [0-9.]*, [0-9.]*, [0-9.]* (the same [0-3] replicates)$" "$T/k3.csv" ||
        fail "K=3: no relapse-across line for $a: $(grep '^# relapse across' "$T/k3.csv")"
done
# replicate 1 is unchanged: the same comment lines and the same first 8 columns
diff <(grep -v '^# replicates\|^# relapse across' "$T/k3.csv" | cut -d, -f1-8) <(cut -d, -f1-8 "$T/k1.csv") >/dev/null ||
    fail "--replicates 3 changed replicate 1's rows or relapse lines"
# JSON: per-replicate relapse; replicate r's numbers do not depend on K (2 vs 4); the across
# response share at the last dose + 24 h (day 12) equals the percentiles of the replicates'
# responders / N there (the same patients and test: an independent path to the columns)
"$KETSIM" trial "${RR[@]}" --replicates 2 --response "$T/k2.json" || fail "K=2 json: exit $?"
"$KETSIM" trial "${RR[@]}" --replicates 4 --threads 1 --response "$T/k4.json" || fail "K=4 json: exit $?"
"$KETSIM" trial "${RR[@]}" --replicates 4 --threads 2 --response "$T/k4b.json" || fail "K=4 json 2 threads: exit $?"
cmp -s "$T/k4.json" "$T/k4b.json" || fail "--replicates 4: differs between 1 and 2 threads"
python3 - "$T/k2.json" "$T/k4.json" <<'PY' || fail "replicates JSON"
import json, sys
k2, k4 = (json.load(open(f)) for f in sys.argv[1:])
assert k2["replicates"] == 2 and k4["replicates"] == 4, (k2["replicates"], k4["replicates"])
assert "parameter_set_index" not in k4["arms"][0]["relapse_per_replicate"][0]
def q7(v, p):  # type 7
    v = sorted(v); h = p * (len(v) - 1); i = int(h)
    return v[i] if i + 1 >= len(v) else v[i] + (h - i) * (v[i + 1] - v[i])
for a2, a4 in zip(k2["arms"], k4["arms"]):
    p2, p4 = a2["relapse_per_replicate"], a4["relapse_per_replicate"]
    assert [p["replicate"] for p in p4] == [1, 2, 3, 4]
    assert p2 == p4[:2], (p2, p4[:2])          # replicates 1 and 2 whatever K
    base = lambda rows: [{k: v for k, v in r.items() if "_across_" not in k} for r in rows]
    assert base(a2["rows"]) == base(a4["rows"])
    assert len({p["responders_at_last_dose_plus_24h"] for p in p4}) > 1, p4  # other patients
    first = {k: v for k, v in p4[0].items() if k != "replicate"}
    assert all(first[k] == a4["relapse"][k] for k in first), (first, a4["relapse"])
    row = [r for r in a4["rows"] if r["time_h"] == 288][0]
    share = [p["responders_at_last_dose_plus_24h"] / 300 for p in p4]
    for s, p in (("p5", .05), ("p50", .5), ("p95", .95)):
        assert abs(row["response_frac_across_" + s] - q7(share, p)) < 5e-7, (s, row, share)
        assert row["mean_madrs_across_p5"] <= row["mean_madrs_across_" + s] <= row["mean_madrs_across_p95"]
    sh = [p["share_relapsed"] for p in p4]
    x = a4["relapse_across_replicates"]
    for s, p in (("p5", .05), ("p50", .5), ("p95", .95)):
        # each value at 6 significant digits (+-5e-7 each): 1e-6
        assert abs(x["share_relapsed_across_" + s] - q7(sh, p)) < 1e-6, (s, x, sh)
    n_med = sum(p["median_relapse_d"] is not None for p in p4)
    assert x["replicates_with_median"] == n_med and x["replicates_censored"] == 4 - n_med, x
    if n_med == 4:
        assert abs(x["median_relapse_d_across_p50"] - q7([p["median_relapse_d"] for p in p4], .5)) < 1e-4, x
    if n_med < 4:  # a censored replicate sorts above: the 95th percentile is beyond the horizon
        assert x["median_relapse_d_across_p95"] is None and "beyond the horizon" in x["why"], x
PY

# A censored replicate next to finite ones (the 95th percentile lands between them: beyond the
# horizon, null), replicates without responders (left out of both percentiles, counted), and
# a horizon before last dose + 24 h (the replicates' own reason, not "no responders").
# A scenario, not the fit: fluct_share 0.5 (f20.json) puts the replicates' medians around
# this 13-d horizon (10.5, 13, 11 d and one censored, on the fit with SUSTAIN-1; 0.2 did on
# the fit before it, and gives four censored now); without fluctuation all are censored
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["parameters"]["fluct_share"]["value"] = 0.5; d.pop("uncertainty"); json.dump(d, open(sys.argv[2], "w"), indent=2)' \
    "$SRC/data/response-params.json" "$T/f20.json" || fail "could not write f20.json"
RB=(--model domino-1982 --weight 70 --seed 5 --madrs 32 --madrs-sd 6 --quiet --out "$T/pk.csv")
"$KETSIM" trial "${RB[@]}" --regimen "$R" --n 300 --every 1d --until 24d --replicates 4 \
    --response-params "$T/f20.json" --response "$T/c4.json" || fail "24d K=4: exit $?"
RB+=(--regimen "0.5mg/kg iv over 40min")
"$KETSIM" trial "${RB[@]}" --n 2 --every 1d --until 10d --replicates 7 --response "$T/n2.json" || fail "n=2 K=7: exit $?"
"$KETSIM" trial "${RB[@]}" --n 300 --every 1h --until 12h --replicates 2 --response "$T/h12.json" || fail "12h: exit $?"
"$KETSIM" trial "${RB[@]}" --n 300 --every 1h --until 12h --replicates 2 --response "$T/h12.csv" || fail "12h csv: exit $?"
python3 - "$T/c4.json" "$T/n2.json" "$T/h12.json" <<'PY' || fail "censored / no-responder / horizon replicates"
import json, sys
c4, n2, h12 = (json.load(open(f)) for f in sys.argv[1:])
def q7(v, p):
    v = sorted(v); h = p * (len(v) - 1); i = int(h)
    return v[i] if i + 1 >= len(v) else v[i] + (h - i) * (v[i + 1] - v[i])
x = c4["arms"][0]["relapse_across_replicates"]
meds = [p["median_relapse_d"] for p in c4["arms"][0]["relapse_per_replicate"]]
assert sum(m is None for m in meds) == 1 and x["replicates_censored"] == 1, (meds, x)
assert x["median_relapse_d_across_p95"] is None, x
fin = sorted(m for m in meds if m is not None)
assert abs(x["median_relapse_d_across_p5"] - q7(fin + [1e300], .05)) < 1e-4, (x, fin)
a = n2["arms"][1]  # placebo: with, censored and without responders among 7 replicates
per, x = a["relapse_per_replicate"], a["relapse_across_replicates"]
none = [p for p in per if p["responders_at_last_dose_plus_24h"] == 0]
assert none and x["replicates_without_responders"] == len(none), (x, per)
sh = [p["share_relapsed"] for p in per if p["responders_at_last_dose_plus_24h"] > 0]
assert abs(x["share_relapsed_across_p5"] - q7(sh, .05)) < 5e-7, (x, sh)
for a in h12["arms"]:
    x = a["relapse_across_replicates"]
    assert x["why"] == "last dose + 24 h is beyond the horizon", x
PY
grep -q '^# relapse across replicates: .*n/a (last dose + 24 h is beyond the horizon; 2 replicates)' "$T/h12.csv" ||
    fail "12h: the across line does not give the horizon: $(grep '^# relapse across' "$T/h12.csv")"

# --- --uncertainty with --response: replicate r takes the response parameter set (r - 1)
# mod n of the calibration's SIR sample. Checked against runs whose parameter file HAS set
# r - 1 as its parameters (no --uncertainty): replicate r's relapse (and replicate 1's rows)
# are the same numbers. The shipped sample did not converge: forecast's warning, stated.
"$KETSIM" trial "${RR[@]}" --replicates 3 --uncertainty --threads 1 --response "$T/u.json" 2>"$T/u.err" ||
    fail "--uncertainty: exit $?"
"$KETSIM" trial "${RR[@]}" --replicates 3 --uncertainty --threads 2 --response "$T/u2.json" 2>/dev/null ||
    fail "--uncertainty 2 threads: exit $?"
cmp -s "$T/u.json" "$T/u2.json" || fail "--uncertainty: differs between 1 and 2 threads"
ESS=$(python3 -c 'import json, sys; print("%.0f" % json.load(open(sys.argv[1]))["uncertainty"]["sir"]["effective_sample_size"])' "$SRC/data/response-params.json")
SIRW="the calibration's SIR sample did not converge (effective sample size $ESS for 200 sets): the intervals are indicative, wider than the parameter uncertainty where the sets fall back on the proposal, and their tails are not to be trusted"
CONV=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["uncertainty"]["sir"]["converged"])' "$SRC/data/response-params.json")
if [ "$CONV" = True ]; then # a converged sample: no warning
    grep -qF "SIR sample did not converge" "$T/u.err" && fail "--uncertainty: a SIR warning for a converged sample: $(cat "$T/u.err")"
else
    grep -qF "warning: --response: $SIRW" "$T/u.err" || fail "--uncertainty: no SIR warning on stderr: $(cat "$T/u.err")"
fi
python3 - "$SRC/data/response-params.json" "$T" <<'PY' || fail "set files"
import json, sys
src, t = sys.argv[1:]
j = json.load(open(src))
names = list(j["parameters"])
for r in range(3):  # set r as the parameters (visits are the regimen's, set by trial)
    k = json.loads(json.dumps(j))
    for n, v in zip(names, j["uncertainty"]["sets"][r]):
        k["parameters"][n]["value"] = v
    json.dump(k, open(f"{t}/set{r}.json", "w"))
k = json.loads(json.dumps(j))  # two sets only, and a converged sample
k["uncertainty"]["sets"] = j["uncertainty"]["sets"][:2]
k["uncertainty"]["sir"]["converged"] = True
json.dump(k, open(f"{t}/two.json", "w"))
del k["uncertainty"]
json.dump(k, open(f"{t}/nounc.json", "w"))
PY
for r in 0 1 2; do
    "$KETSIM" trial "${RR[@]}" --replicates 3 --response-params "$T/set$r.json" --response "$T/s$r.json" 2>/dev/null ||
        fail "set $r: exit $?"
done
"$KETSIM" trial "${RR[@]}" --replicates 3 --uncertainty --response-params "$T/two.json" --response "$T/two.json.out.json" 2>"$T/two.err" ||
    fail "two sets: exit $?"
python3 - "$T" "$SIRW" <<'PY' || fail "--uncertainty: replicate r is not set r - 1"
import json, sys
t, sirw = sys.argv[1:]
u = json.load(open(f"{t}/u.json"))
s = [json.load(open(f"{t}/s{r}.json")) for r in range(3)]
two = json.load(open(f"{t}/two.json.out.json"))
assert sirw in u["warning"], u["warning"]
assert u["response_parameter_sets"] == 200 and "set (r - 1) mod 200" in u["replicates_description"]
assert two["warning"] is not None and sirw not in two["warning"], two["warning"]  # converged
assert "--replicates 3 exceeds the 2 parameter sets of the calibration's SIR sample: replicate r takes set (r - 1) mod 2, so sets are reused" in two["warning"], two["warning"]
fit = json.load(open(f"{t}/k2.json"))  # the shipped fit, same seed and patients
for a in range(2):
    pu = u["arms"][a]["relapse_per_replicate"]
    assert [p["parameter_set_index"] for p in pu] == [0, 1, 2]
    for r in range(3):
        got = {k: v for k, v in pu[r].items() if k not in ("replicate", "parameter_set_index")}
        want = {k: v for k, v in s[r]["arms"][a]["relapse_per_replicate"][r].items() if k != "replicate"}
        assert got == want, (a, r, got, want)
    base = lambda rows: [{k: v for k, v in x.items() if "_across_" not in k} for x in rows]
    assert base(u["arms"][a]["rows"]) == base(s[0]["arms"][a]["rows"]), a
    assert base(u["arms"][a]["rows"]) != base(fit["arms"][a]["rows"]), a  # set 0 is not the fit
    p2 = two["arms"][a]["relapse_per_replicate"]
    assert [p["parameter_set_index"] for p in p2] == [0, 1, 0]
    got = {k: v for k, v in p2[2].items() if k not in ("replicate", "parameter_set_index")}
    want = {k: v for k, v in s[0]["arms"][a]["relapse_per_replicate"][2].items() if k != "replicate"}
    assert got == want, (a, got, want)  # replicate 3 reuses set 0 with its own patients
PY
grep -q "^warning: --response: .*--replicates 3 exceeds the 2 parameter sets" "$T/two.err" ||
    fail "no reuse warning on stderr: $(cat "$T/two.err")"
# HAM-D per replicate: the across columns are HAM-D
"$KETSIM" trial --model domino-1982 --weight 70 --n 200 --regimen "$R" --until 20d --every 5d --quiet \
    --out "$T/pk.csv" --hamd 22 --replicates 2 --uncertainty --response "$T/h.csv" 2>/dev/null || fail "--hamd replicates: exit $?"
grep -q '^arm,context,time_h,mean_hamd,mean_change_hamd,sd_change_hamd,response_frac,remission_frac,mean_hamd_across_p5,mean_hamd_across_p50,mean_hamd_across_p95,mean_change_hamd_across_p5,' "$T/h.csv" ||
    fail "--hamd replicates header: $(grep '^arm' "$T/h.csv")"
awk -F, '$1=="\"regimen\"" && $3==240 {ok = $9 > 5 && $9 <= $10 && $10 <= $11 && $11 < 22} END {exit !ok}' "$T/h.csv" ||
    fail "--hamd replicates: day 10 HAM-D across: $(grep '^"regimen",active,240,' "$T/h.csv")"

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
# --uncertainty: needs --replicates; with --response, a parameter file with its SIR sample
bad "--uncertainty needs --replicates 2 or more" --response "$T/bad.csv" --madrs 30 --uncertainty
bad "--uncertainty: $T/nounc.json: \$.uncertainty" --response "$T/bad.csv" --madrs 30 --uncertainty \
    --replicates 2 --response-params "$T/nounc.json"
# depression only: trial has no PTSD variant
bad 'unknown option "--indication"' --response "$T/bad.csv" --madrs 30 --indication ptsd
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
