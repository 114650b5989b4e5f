#!/usr/bin/env bash
# forecast --hamd and trial --response --hamd: HAM-D output through the Leucht 2018
# equipercentile linking (src/response/scale.c). The HAM-D percentiles must be the MADRS run's percentiles
# converted through the published anchors (written out here, independently of the
# library); the scale and its source named in every output; bad input refused.
# usage: bash test_hamd.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_hamd.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_hamd.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_hamd.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# 101 patients: the 10th, 50th and 90th percentiles fall on single patients, so that
# converting them commutes with taking them. HAM-D 20 = MADRS 26 is a published anchor.
# The MADRS run uses the MADRS equivalent of HAM-D 7 (9.1) as its remission cutoff.
COMMON=(--until 8 --days 1,3,7 --patients 101 --seed 7
    --regimen "one=0.5mg/kg iv over 40min" --regimen "nasal=84mg nasal; 2/week x 1w")
"$KETSIM" forecast --madrs 26 --remission-cutoff 9.1 "${COMMON[@]}" --out "$T/m.json" \
    >"$T/m.txt" 2>"$T/m.err" || fail "forecast --madrs 26: exit $? ($(cat "$T/m.err"))"
"$KETSIM" forecast --hamd 20 "${COMMON[@]}" --out "$T/h.json" --plot "$T/h.svg" \
    >"$T/h.txt" 2>"$T/h.err" || fail "forecast --hamd 20: exit $? ($(cat "$T/h.err"))"
"$KETSIM" forecast --hamd 20 "${COMMON[@]}" --out "$T/h.csv" >/dev/null 2>&1 ||
    fail "forecast --hamd 20 --out csv: exit $?"
python3 - "$T/m.json" "$T/h.json" <<'PY' || fail "HAM-D trajectory is not the converted MADRS one"
import json, sys
m = json.load(open(sys.argv[1]))
h = json.load(open(sys.argv[2]))
# Leucht et al. 2018 (abstract): HAM-D 10, 20, 30, 40 ~ MADRS 13, 26, 39, 52-53 (52.5);
# (0, 0) assumed; the last segment extended.
A = [(0, 0), (13, 10), (26, 20), (39, 30), (52.5, 40)]
def m2h(x):
    for (x0, y0), (x1, y1) in zip(A, A[1:]):
        if x <= x1:
            break
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)
ok = True
def check(what, a, b, tol):
    global ok
    if abs(a - b) > tol:
        print(f"{what}: {a} vs {b}", file=sys.stderr)
        ok = False
assert h["scale"] == "HAM-D" and "PMID 29031182" in h["scale_conversion"], h.get("scale")
assert h["baseline_hamd"] == 20 and h["baseline_madrs"] == 26
assert h["remission_cutoff_hamd"] == 7 and abs(h["remission_cutoff_madrs"] - 9.1) < 1e-12
assert "clinician decides" in h["note"]
assert len(m["rows"]) == len(h["rows"]) == 9
for rm, rh in zip(m["rows"], h["rows"]):
    assert rm["arm"] == rh["arm"] and rm["time_d"] == rh["time_d"]
    assert "mean_madrs" not in rh
    for q in ("p10", "p50", "p90"):
        check(f"{rh['arm']} d{rh['time_d']} {q}", rh[q + "_hamd"], m2h(rm[q + "_madrs"]), 1e-9)
    # response is computed in MADRS, remission at the converted cutoff: the same shares
    check("response", rh["response_frac"], rm["response_frac"], 0)
    check("remission", rh["remission_frac"], rm["remission_frac"], 0)
    # one baseline (HAM-D 20): the mean change is the mean minus 20
    check("mean change", rh["mean_change_hamd"], rh["mean_hamd"] - 20, 1e-9)
    # below the baseline MADRS 26 the two anchor segments have one slope (10/13): there
    # the linking is linear, so the mean, change and SD scale by 10/13 exactly
    check("mean", rh["mean_hamd"], rm["mean_madrs"] * 10 / 13, 1e-9)
    check("mean change", rh["mean_change_hamd"], rm["mean_change_madrs"] * 10 / 13, 1e-9)
    check("sd change", rh["sd_change_hamd"], rm["sd_change_madrs"] * 10 / 13, 1e-9)
    # the scores moved (a test on flat trajectories would prove nothing)
    assert rm["p50_madrs"] < 25, rm
sys.exit(0 if ok else 1)
PY
head -1 "$T/h.csv" | grep -q '^arm,context,time_d,mean_hamd,p10_hamd,p50_hamd,p90_hamd,mean_change_hamd,sd_change_hamd,response_frac,remission_frac$' ||
    fail "CSV header: $(head -1 "$T/h.csv")"
grep -q '^# scale: HAM-D; .*PMID 29031182' "$T/h.csv" || fail "CSV does not name the scale and source"
grep -q "clinician decides" "$T/h.csv" || fail "CSV lacks the statement"
grep -q '^scale: HAM-D; .*PMID 29031182' "$T/h.txt" || fail "table does not name the scale and source"
grep -q 'remission = HAM-D <= 7 (MADRS <= 9.1; HAM-D <= 7 is the HRSD remission of Zarate 2006)' \
    "$T/h.txt" || fail "table: remission definition: $(grep remission "$T/h.txt" | head -1)"
grep -q "clinician decides" "$T/h.txt" || fail "table lacks the statement"
[ -s "$T/h.svg" ] || fail "forecast --hamd wrote no plot" # (cairo draws text as glyphs)
grep -q "MADRS" "$T/m.txt" && ! grep -q "HAM-D" "$T/m.txt" || fail "--madrs table mentions HAM-D"

# Beyond the last published anchor (HAM-D 40): works, with a warning everywhere.
"$KETSIM" forecast --hamd 42 --until 3 --days 1 --patients 20 --regimen "0.5mg/kg iv over 40min" \
    --out "$T/x.csv" >"$T/x.txt" 2>"$T/x.err" || fail "--hamd 42: exit $? ($(cat "$T/x.err"))"
for f in x.txt x.err x.csv; do
    grep -q "above the last published anchor" "$T/$f" || fail "--hamd 42: $f lacks the extrapolation warning"
done
grep -q "MADRS 55.2" "$T/x.txt" || fail "--hamd 42: MADRS equivalent: $(head -1 "$T/x.txt")"

# trial --response --hamd: the same linking; HAM-D 20 = MADRS 26, scores below 26 scale by
# 10/13 (see above); response and remission (at HAM-D 7 = MADRS 9.1) as in MADRS.
TR=(trial --model domino-1982 --weight 70 --n 300 --regimen "0.5mg/kg iv over 40min; 3/week x 1w"
    --until 4d --every 12h --out "$T/tp.csv")
"$KETSIM" "${TR[@]}" --response "$T/tm.json" --madrs 26 --remission-cutoff 9.1 >/dev/null 2>"$T/tm.err" ||
    fail "trial --madrs 26: exit $? ($(cat "$T/tm.err"))"
"$KETSIM" "${TR[@]}" --response "$T/th.json" --hamd 20 >/dev/null 2>"$T/th.err" ||
    fail "trial --hamd 20: exit $? ($(cat "$T/th.err"))"
"$KETSIM" "${TR[@]}" --response "$T/th.csv" --hamd 20 >/dev/null 2>&1 || fail "trial --hamd 20 csv: exit $?"
python3 - "$T/tm.json" "$T/th.json" <<'PY' || fail "trial --response --hamd is not the converted MADRS"
import json, sys
m = json.load(open(sys.argv[1]))
h = json.load(open(sys.argv[2]))
assert h["scale"] == "HAM-D" and "PMID 29031182" in h["scale_conversion"]
assert h["baseline_hamd"] == 20 and h["baseline_madrs"] == 26 and h["remission_cutoff_hamd"] == 7
assert "clinician decides" in h["note"] and "baseline HAM-D 20 (MADRS 26)" in h["description"]
n = 0
for am, ah in zip(m["arms"], h["arms"]):
    for rm, rh in zip(am["rows"], ah["rows"]):
        assert "mean_madrs" not in rh, rh
        # JSON here has 6 significant digits
        for k in ("mean", "mean_change", "sd_change"):
            a, b = rh[k + "_hamd"], rm[k + "_madrs"] * 10 / 13
            assert abs(a - b) <= 1e-5 * max(1, abs(b)), (k, a, b)
        assert rh["response_frac"] == rm["response_frac"]
        assert rh["remission_frac"] == rm["remission_frac"]
        n += 1
assert n == 18 and m["arms"][0]["rows"][-1]["mean_change_madrs"] < -3, n
PY
grep -q '^arm,context,time_h,mean_hamd,mean_change_hamd,sd_change_hamd,response_frac,remission_frac$' \
    "$T/th.csv" || fail "trial --hamd CSV header"
grep -q '^# scale: HAM-D; .*PMID 29031182' "$T/th.csv" || fail "trial --hamd CSV does not name the scale"
grep -q 'remission = HAM-D <= 7 (MADRS <= 9.1)' "$T/th.csv" || fail "trial --hamd CSV: remission"
"$KETSIM" "${TR[@]}" --response "$T/tb.csv" --hamd 20 --madrs 26 >/dev/null 2>"$T/e"
[ $? -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] && grep -q -- "--madrs and --hamd" "$T/e" ||
    fail "trial --madrs --hamd: $(cat "$T/e")"
"$KETSIM" "${TR[@]}" --hamd 20 >/dev/null 2>"$T/e"
[ $? -eq 2 ] && grep -q -- "--hamd goes with --response" "$T/e" || fail "trial --hamd without --response: $(cat "$T/e")"
"$KETSIM" "${TR[@]}" --response "$T/tb.csv" --hamd 42 >/dev/null 2>"$T/e" || fail "trial --hamd 42: exit $?"
grep -q "above the last published anchor" "$T/e" && grep -q "above the last published anchor" "$T/tb.csv" ||
    fail "trial --hamd 42: no extrapolation warning"

# Bad input: exit 2, one line naming the option.
bad() {
    local want=$1
    shift
    "$KETSIM" forecast "$@" --until 3 --patients 20 >"$T/o" 2>"$T/e"
    local rc=$?
    [ $rc -eq 2 ] || fail "forecast $*: exit $rc, expected 2"
    [ "$(wc -l <"$T/e")" -eq 1 ] || fail "forecast $*: expected one line: $(cat "$T/e")"
    grep -qF -- "$want" "$T/e" || fail "forecast $*: expected \"$want\" in: $(cat "$T/e")"
}
bad "--madrs and --hamd" --madrs 26 --hamd 20
bad "--madrs: the patient's baseline MADRS is required" --days 1
bad "--hamd: HAM-D 46" --hamd 46
bad "--hamd: HAM-D 53: outside the scale (0 to 52, 17-item)" --hamd 53
bad "--hamd \"0.5\": expected a HAM-D score from 1" --hamd 0.5
bad "--hamd \"x\"" --hamd x
bad "--madrs-sd goes with --madrs" --hamd 20 --madrs-sd 3
bad "--remission-cutoff: HAM-D 50" --hamd 20 --remission-cutoff 50

[ "$failures" -eq 0 ] || exit 1
echo "HAM-D output (forecast, trial --response): all checks passed"
