#!/usr/bin/env bash
# ketsim simulate: behaviour a user relies on beyond bad input.
set -euo pipefail
KETSIM=${1:?ketsim}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# An infusion given by its rate equals the same infusion given by its duration.
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 35mg --rate 52.5mg/h --quiet > "$T/rate.csv"
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 35mg --over 40min --quiet > "$T/over.csv"
cmp -s "$T/rate.csv" "$T/over.csv" || fail "--rate 52.5mg/h differs from --over 40min for 35 mg"

# Six infusions: six peaks, each at the end of its 40-min infusion.
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min \
    --at 0,2d,4d,7d,9d,11d --until 14d --every 5min --quiet > "$T/course.csv"
peaks=$(awk -F, 'NR>2 { if (prev > pp && prev > $2 && prev > 100) printf "%.4f\n", pt; pp=prev; prev=$2; pt=$1 } NR==2 {prev=$2; pt=$1}' "$T/course.csv")
want=$(printf "%.4f\n" 0.6667 48.6667 96.6667 168.6667 216.6667 264.6667)
[ "$peaks" = "$want" ] || fail "peaks at: $peaks"

# Threshold: time above is reported with its unit in the header.
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min \
    --threshold 100ng/mL --out "$T/x.csv" 2> "$T/err.txt"
grep -q ">100ng/mL (h)" "$T/err.txt" || fail "no time-above column"
grep -q "a clinician decides" "$T/err.txt" || fail "no decision-support statement"
# The esketamine model: an 84 mg nasal dose peaks within the first hour.
"$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --quiet > "$T/n.csv"
tmax=$(awk -F, 'NR>1 && $2 > m { m=$2; t=$1 } END { print t }' "$T/n.csv")
awk -v t="$tmax" 'BEGIN { exit !(t > 0 && t <= 1) }' || fail "84 mg nasal peaks at $tmax h"
# Output files get the permissions of any new file (the umask), not a private 0600.
(umask 022; "$KETSIM" simulate --model domino-1982 --weight 70 --dose 35mg --out "$T/p.csv" \
    --plot "$T/p.png" --quiet)
[ "$(stat -c %a "$T/p.csv")" = 644 ] || fail "table mode $(stat -c %a "$T/p.csv"), want 644"
[ "$(stat -c %a "$T/p.png")" = 644 ] || fail "plot mode $(stat -c %a "$T/p.png"), want 644"
# A bolus at a minute time on the output grid shows in that row (not one ulp later).
row=$("$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --at 25min --until 1h \
    --every 5min --quiet | awk -F, '$1 > 0.41 && $1 < 0.42 { print $2 }')
awk -v c="$row" 'BEGIN { exit !(c > 7936 && c < 7937) }' || fail "bolus at 25 min shows $row at 0.4167 h"
# Refused: the same file for table and plot; weight given twice in different ways.
if "$KETSIM" simulate --model domino-1982 --weight 70 --dose 35mg --out "$T/a.png" --plot "$T/a.png" 2> "$T/e1"; then
    fail "same --out and --plot accepted"; fi
grep -q "same file" "$T/e1" || fail "same-file message: $(cat "$T/e1")"
if "$KETSIM" simulate --model domino-1982 --weight 70 --covariate weight=140 --dose 35mg 2> "$T/e2"; then
    fail "--covariate weight accepted"; fi
grep -q -- "--covariate weight" "$T/e2" || fail "covariate message: $(cat "$T/e2")"
# A course prints one line per session and the cumulative dose.
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min \
    --at 0,2d,4d,7d,9d,11d --until 14d --every 10min --out "$T/s.csv" 2> "$T/sess.txt"
[ "$(grep -cE '^ +[1-6] ' "$T/sess.txt")" = 6 ] || fail "session lines: $(cat "$T/sess.txt")"
grep -q "course: 6 doses, cumulative dose 210 mg" "$T/sess.txt" || fail "no course line"
# A regimen with a start date: a datetime column beside the hours, across a year end.
"$KETSIM" simulate --model domino-1982 --weight 82 --every 1h --quiet --out "$T/cal.csv" \
    --plot "$T/cal.png" \
    --regimen "0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; then every 1w x 4"
head -1 "$T/cal.csv" | grep -q '^time_h,datetime,cp_ketamine_ng_ml' || fail "no datetime column"
grep -q '^1,2026-11-30T10:00,' "$T/cal.csv" || fail "first hour's datetime"
grep -q '^840,2027-01-04T09:00,' "$T/cal.csv" || fail "day 35 is 4 Jan 2027"
echo "simulate: ok"
