#!/usr/bin/env bash
# ketsim session: thresholds and flags at their edges, discharge criteria against the
# table the same command writes, sources and the clinician statement in every answer,
# and bad input named by its argument.
# usage: bash test_session.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_session.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_session.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_session.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
ESK=(session --drug esketamine --dose 84mg)

# --- the pre-dose hold at its edges: > 140/90, > 150 systolic above 65 y
hold() { # age sbp dbp expect(0 no flag, 1 flag)
    "$KETSIM" "${ESK[@]}" --age "$1" --sbp "$2" --dbp "$3" >"$T/h.out" 2>&1 || fail "hold $*: exit $?"
    if grep -q "FLAG  BP" "$T/h.out"; then got=1; else got=0; fi
    [ "$got" = "$4" ] || fail "pre-dose flag for age $1, BP $2/$3: got $got, expected $4"
}
hold 45 140 90 0
hold 45 141 90 1
hold 45 140 91 1
hold 65 145 80 1
hold 66 145 80 0
hold 66 150 80 0
hold 66 151 80 1

# --- every answer: sources, the observation rule, driving rule, a clinician decides
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --every 1min --out "$T/d.csv" >"$T/d.out" 2>&1 ||
    fail "esketamine session: exit $?"
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --cadss-max 4 --every 1min --out "$T/e.csv" >"$T/e.out" 2>&1 ||
    fail "esketamine session --cadss-max 4: exit $?"
# --- no unsourced threshold is a default: no CADSS or MOAA/S discharge criterion, no
# share flag; discharge is the label's 2 h observation alone, and the output says so
for s in "a clinician decides" "EARLIEST DISCHARGE: 2h00 " "no discharge criterion on the predicted effects was set" \
    "no blood-pressure shares: the spread is not estimable" "mean course only" "(mean, no band)" \
    "as one session's shares, assuming a patient responds alike"; do
    grep -qF "$s" "$T/d.out" || fail "default esketamine summary lacks \"$s\""
done
grep -q "^  CADSS <= \|^  MOAA/S >= \|FLAG" "$T/d.out" && fail "default esketamine summary has an unsourced criterion or flag: $(grep "CADSS <=\|MOAA/S >=\|FLAG" "$T/d.out")"
grep -q "the label's 'CADSS > 4'" <("$KETSIM" session --help) && fail "--help still calls CADSS > 4 the label's"
"$KETSIM" session --help | grep -q "a trial cut-off\|the trials' cut-off, not a discharge rule" || fail "--help: CADSS 4 source"
for s in "a clinician decides" "monitor at least 2 hours" "no driving until the next day" \
    "Janssen Medical Information: phase 3" "pulse oximetry" "rat-brain Ki" "EARLIEST DISCHARGE"; do
    grep -q "$s" "$T/e.out" || fail "esketamine summary lacks \"$s\""
done
head -1 "$T/e.csv" | grep -qx "time_h,occ_nmda_frac,cadss_score,cadss_p05,cadss_p95,psy_vas_pct,moaas_score,moaas_p05,moaas_p95,dsbp_mmhg,sbp_mmhg,ddbp_mmhg,dbp_mmhg,dhr_bpm,drive_nmda" ||
    fail "session table header: $(head -1 "$T/e.csv")"

# --- the CADSS back-under time printed equals the table: last row above 4, plus 1 min
last=$(awk -F, 'NR>1 && $3 > 4 {t=$1} END {printf "%d", t*60+0.5}' "$T/e.csv")
want=$((last + 1))
got=$(sed -n 's/^  CADSS <= 4 by \([0-9]*\)h\([0-9]*\).*/\1 \2/p; s/^  CADSS <= 4 by \([0-9]*\) min.*/0 \1/p' "$T/e.out" |
    awk '{print $1*60+$2}')
[ "$got" = "$want" ] || fail "CADSS back under 4 at $got min in the summary, table says $want min"
# the table is under 4 from then on and above it the minute before
awk -F, -v w="$want" 'NR>1 { m=int($1*60+0.5); if (m>=w && $3>4) bad=1; if (m==w-1 && $3<=4) bad=1 } END {exit bad}' \
    "$T/e.csv" || fail "CADSS threshold edge: table disagrees with $want min"

# --- the 2 h minimum: discharge is never before it for esketamine; --observe moves it
grep -q "CADSS <= 4 by .*a trial cut-off, not a discharge rule" "$T/e.out" || fail "--cadss-max 4: source wording"
grep -q "EARLIEST DISCHARGE: [2-9]h" "$T/e.out" || fail "esketamine discharge before 2 h: $(grep EARLIEST "$T/e.out")"
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --observe 5h >"$T/o.out" 2>&1
grep -q "EARLIEST DISCHARGE: 5h00" "$T/o.out" || fail "--observe 5h: $(grep EARLIEST "$T/o.out")"
grep -q "set with --observe" "$T/o.out" || fail "--observe: the summary must say the user set it"

# --- a higher CADSS threshold cannot make discharge later; the 95th percentile not earlier
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --cadss-max 8 >"$T/c8.out" 2>&1
t4=$(sed -n 's/^  CADSS <= 4 by \(.*\)   \[.*/\1/p' "$T/e.out")
t8=$(sed -n 's/^  CADSS <= 8 by \(.*\)   \[.*/\1/p' "$T/c8.out")
[ -n "$t8" ] && [ "$t8" != "$t4" ] || fail "--cadss-max 8 should change the CADSS time ($t4 vs $t8)"
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --cadss-max 4 --percentile 95 >"$T/p95.out" 2>&1
grep -q "95th percentile patient" "$T/p95.out" || fail "--percentile 95 not stated"
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --percentile 95 >"$T/p95n.out" 2>&1
grep -q "percentile 95 changes nothing here" "$T/p95n.out" || fail "--percentile without a criterion must say it does nothing"

# --- a BP discharge limit only when given, and then applied
grep -q "no sourced discharge limit" "$T/e.out" || fail "no BP limit by default must be stated"
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --sbp-max 130 --every 1min --out "$T/b.csv" >"$T/b.out" 2>&1
lastb=$(awk -F, 'NR>1 && $11 > 130 {t=$1} END {printf "%d", t*60+0.5}' "$T/b.csv")
grep -q "SBP <= 130 mmHg by" "$T/b.out" || fail "--sbp-max 130 not reported"
gotb=$(sed -n 's/^  SBP <= 130 mmHg by \([0-9]*\)h\([0-9]*\).*/\1 \2/p' "$T/b.out" | awk '{print $1*60+$2}')
[ "$gotb" = "$((lastb + 1))" ] || fail "SBP back under 130 at $gotb min, table says $((lastb + 1))"

# --- --moaas-min S: MOAA/S back at or above S, the summary equals the table (column 7)
"$KETSIM" "${ESK[@]}" --age 45 --sbp 128 --dbp 82 --moaas-min 4.5 --every 1min --out "$T/m.csv" >"$T/m.out" 2>&1
lastm=$(awk -F, 'NR>1 && $7 < 4.5 {t=$1} END {printf "%d", t*60+0.5}' "$T/m.csv")
gotm=$(sed -n 's/^  MOAA\/S >= 4.5 by \([0-9]*\)h\([0-9]*\).*/\1 \2/p' "$T/m.out" | awk '{print $1*60+$2}')
[ -n "$gotm" ] && [ "$gotm" = "$((lastm + 1))" ] || fail "MOAA/S back to 4.5 at $gotm min, table says $((lastm + 1))"
grep -q "EARLIEST DISCHARGE: $(sed -n 's/^  MOAA\/S >= 4.5 by \([^ ]*\) .*/\1/p' "$T/m.out") " "$T/m.out" ||
    fail "--moaas-min 4.5 should set the discharge time: $(grep EARLIEST "$T/m.out")"

# --- the reviewer's case: 70 kg, 130/80, 0.5 mg/kg IV over 40 min. No BP band, no BP
# share, no flag (the old SD-4.3 spread printed "90 % between SBP 85 and 190", 9.2 %
# with SBP >= 180 and "FLAG 1 in 20 or more"); no discharge time without a criterion
"$KETSIM" session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 --sbp 130 --dbp 80 \
    >"$T/r.out" 2>&1 || fail "IV 130/80: exit $?"
grep -q "FLAG" "$T/r.out" && fail "IV 130/80: unexpected flag: $(grep FLAG "$T/r.out")"
grep -q "systolic BP, mmHg  *137 (mean, no band)" "$T/r.out" || fail "IV 130/80: mean SBP 137 without band: $(grep systolic "$T/r.out")"
grep -q "SBP >= 180" "$T/r.out" && fail "IV 130/80: a BP share is printed"
grep -q "EARLIEST DISCHARGE: not predicted" "$T/r.out" || fail "IV 130/80: $(grep EARLIEST "$T/r.out")"
grep -q "for IV ketamine an extrapolation" "$T/r.out" || fail "IV 130/80: shares must say they extrapolate the label"
# --flag-share is opt-in and applies to the printed shares (loss of consciousness 1.83 %)
"$KETSIM" session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 --sbp 130 --dbp 80 \
    --flag-share 1.5 >"$T/f1.out" 2>&1
grep -q "FLAG  loss of consciousness (MOAA/S 0) predicted in 1.83% of such patients (--flag-share 1.5%)" "$T/f1.out" ||
    fail "--flag-share 1.5: $(grep -i "flag\|consciousness" "$T/f1.out")"
"$KETSIM" session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 --sbp 130 --dbp 80 \
    --flag-share 2 >"$T/f2.out" 2>&1
grep -q "FLAG  loss of consciousness" "$T/f2.out" && fail "--flag-share 2 flags a 1.83 % share"
grep -q "FLAG  CADSS > 4 predicted in 83.85%" "$T/f2.out" || fail "--flag-share 2: CADSS share not flagged"

# --- IV ketamine: needs --over and --weight; no sourced observation minimum is stated
"$KETSIM" session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 --sbp 120 --dbp 80 \
    --format json --out "$T/k.json" --plot "$T/k.png" >"$T/k.out" 2>&1 || fail "IV session: exit $?"
grep -q "none was found for IV racemic ketamine" "$T/k.out" || fail "IV: missing observation statement"
grep -q '"occ_nmda_frac"' "$T/k.json" || fail "IV: JSON lacks occ_nmda_frac"
grep -q "a clinician decides" "$T/k.json" || fail "IV: JSON lacks the clinician statement"
[ -s "$T/k.png" ] || fail "IV: no plot"

# --- simulate --effects: the effect columns, consistent with session; an effects panel
"$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --until 3h --every 1min \
    --effects --quiet --out "$T/sim.csv" --plot "$T/sim.png" 2>"$T/sim.err" || fail "simulate --effects: exit $?"
head -1 "$T/sim.csv" | grep -q ",occ_nmda_frac,cadss_score,psy_vas_pct,moaas_score,dsbp_mmhg,ddbp_mmhg,dhr_bpm$" ||
    fail "simulate --effects header: $(head -1 "$T/sim.csv")"
# the same typical CADSS at 30 min in both commands (column 3 of session, 6 of simulate)
a=$(awk -F, 'NR==32 {printf "%.6f", $3}' "$T/e.csv")
b=$(awk -F, 'NR==32 {printf "%.6f", $6}' "$T/sim.csv")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "CADSS at 30 min: session $a, simulate --effects $b"
# PNG height (bytes 20-23): two panels of 600 px
h=$(od -An -tu1 -j20 -N4 "$T/sim.png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
[ "$h" = "1200" ] || fail "simulate --effects --plot: height $h px, expected two 600 px panels"
"$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --effects --pd "$T/none.json" \
    >/dev/null 2>"$T/pd.err"
[ $? -eq 2 ] && grep -q -- "--pd" "$T/pd.err" || fail "simulate --pd missing file: $(cat "$T/pd.err")"

# --- bad input: one line naming the argument, exit 2, nothing written
bad() { # expected-text args...
    local want=$1
    shift
    "$KETSIM" session "$@" --out "$T/bad.csv" >/dev/null 2>"$T/bad.err"
    rc=$?
    [ $rc -eq 2 ] || fail "session $*: exit $rc, expected 2"
    grep -q -- "$want" "$T/bad.err" || fail "session $*: message lacks \"$want\": $(cat "$T/bad.err")"
    [ -e "$T/bad.csv" ] && fail "session $*: wrote output on bad input"
    rm -f "$T/bad.csv"
}
bad "--sbp" --drug esketamine --dose 84mg --age 45 --sbp abc --dbp 80
bad "--dbp" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 130
bad "--dose 50mg" --drug esketamine --dose 50mg --age 45 --sbp 120 --dbp 80
bad "--drug" --drug heroin --dose 84mg --age 45 --sbp 120 --dbp 80
bad "--over is required" --drug ketamine --dose 0.5mg/kg --weight 70 --age 45 --sbp 120 --dbp 80
bad "give --weight" --drug ketamine --dose 0.5mg/kg --over 40min --age 45 --sbp 120 --dbp 80
bad "--every" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 80 --every 90s
bad "--percentile" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 80 --percentile 40
bad "--age is required" --drug esketamine --dose 84mg --sbp 120 --dbp 80
bad "--flag-share" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 80 --flag-share 0
bad "--moaas-min" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 80 --moaas-min 6
bad "--pd" --drug esketamine --dose 84mg --age 45 --sbp 120 --dbp 80 --pd "$T/none.json"

[ $failures -eq 0 ] && echo "test_session: all passed"
exit $((failures > 0))
