#!/usr/bin/env bash
# ketsim trial: identical output for 1 and 2 threads, across runs, and for 1 process
# and 2 MPI ranks; the per-patient file agrees with the percentiles; bad input gives
# one line on standard error starting "ketsim trial: " with the place, a non-zero exit,
# and no output file.
#
# usage: bash test_trial.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_trial.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_trial.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_trial.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
R='0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 1w'
COMMON=(--model perez-ruixo-2021 --weight 70 --regimen "$R" --until 7d --every 30min --iiv-only Vc,kel)

# --- help
"$KETSIM" trial --help >"$T/help" 2>&1 || fail "--help: exit $?"
grep -q '^usage: ketsim trial' "$T/help" || fail "--help: no usage line"
grep -q 'clinician decides' "$T/help" || fail "--help: no decision-support statement"

# --- models show lists the variability a trial draws, with the published covariances
"$KETSIM" models show otto-2021 >"$T/show" || fail "models show otto-2021"
grep -q 'covariance V1-CL 0.023 (correlation 0.49)' "$T/show" || fail "models show: no V1-CL covariance"
grep -q 'CL           lognormal, omega^2 0.026 (CV 16.2 %)' "$T/show" || fail "models show: CL variability"
"$KETSIM" models show flint-2017 | grep -q 'standard error of the estimate: 9 %' || fail "models show: no RSE"

# --- threads and runs: byte-identical (histogram and exact)
for mode in --histogram --exact; do
    "$KETSIM" trial "${COMMON[@]}" --n 700 $mode --threads 1 --out "$T/a.csv" --quiet || fail "$mode threads 1"
    "$KETSIM" trial "${COMMON[@]}" --n 700 $mode --threads 2 --out "$T/b.csv" --quiet || fail "$mode threads 2"
    "$KETSIM" trial "${COMMON[@]}" --n 700 $mode --threads 2 --out "$T/c.csv" --quiet || fail "$mode again"
    cmp -s "$T/a.csv" "$T/b.csv" || fail "$mode: 1 and 2 threads differ"
    cmp -s "$T/b.csv" "$T/c.csv" || fail "$mode: two runs differ"
done
head -1 "$T/a.csv" | grep -q '^time_h,cp_esketamine_ng_ml_p5,cp_esketamine_ng_ml_p50,cp_esketamine_ng_ml_p95,' ||
    fail "percentile columns: $(head -1 "$T/a.csv")"
[ "$(wc -l <"$T/a.csv")" -eq 338 ] || fail "7 d every 30 min is 337 rows and a header: $(wc -l <"$T/a.csv")"
# The runtime may give fewer threads than asked: the same output
OMP_THREAD_LIMIT=1 "$KETSIM" trial "${COMMON[@]}" --n 700 --exact --threads 2 --out "$T/e.csv" --quiet ||
    fail "OMP_THREAD_LIMIT=1"
cmp -s "$T/a.csv" "$T/e.csv" || fail "a team smaller than --threads changes the output"
"$KETSIM" trial "${COMMON[@]}" --n 700 --seed 2 --out "$T/d.csv" --quiet || fail "seed 2"
cmp -s "$T/a.csv" "$T/d.csv" && fail "another seed gives the same percentiles"

# --- per-patient summaries: one row per patient; the median of Cmax by hand is close to
# the percentiles' peak median (not equal: the peak of the median is not the median of
# the peaks, but for these patients both are within 10%)
"$KETSIM" trial "${COMMON[@]}" --n 301 --exact --patients "$T/p.csv" --threshold 50ng/mL \
    --out "$T/q.csv" --plot "$T/q.png" --quiet || fail "--patients"
[ "$(wc -l <"$T/p.csv")" -eq 302 ] || fail "--patients: $(wc -l <"$T/p.csv") lines for 301 patients"
head -1 "$T/p.csv" | grep -q 'cp_esketamine_ng_ml_hours_above_50' || fail "--patients: no time-above column"
[ -s "$T/q.png" ] || fail "--plot: no PNG"
col=$(head -1 "$T/p.csv" | tr ',' '\n' | grep -n '^cp_esketamine_ng_ml_cmax$' | cut -d: -f1)
med_cmax=$(tail -n +2 "$T/p.csv" | cut -d, -f"$col" | sort -g | sed -n 151p)
peak_p50=$(tail -n +2 "$T/q.csv" | cut -d, -f3 | sort -g | tail -1)
awk -v a="$med_cmax" -v b="$peak_p50" 'BEGIN { r = a / b; exit !(r > 0.9 && r < 1.1) }' ||
    fail "median Cmax $med_cmax vs peak of the median $peak_p50"

# --- residual error can take a measured value below zero (proportional, flint-2017 prop 0.419):
# both summaries keep it
for mode in --exact --histogram; do
    "$KETSIM" trial --model flint-2017 --weight 70 --age 40 --regimen "20mg iv over 40min" --n 2000 \
        --residual --percentiles 0.5,50 --until 2h $mode --out "$T/res.csv" --quiet || fail "--residual $mode"
    awk -F, 'NR == 4 { exit !($2 < 0 && $3 > 0) }' "$T/res.csv" ||
        fail "--residual $mode: p0.5 should be below 0 and p50 above: $(sed -n 4p "$T/res.csv")"
done

# --- replicates: with --uncertainty (flint-2017 publishes standard errors for CL, V1, Q,
# V2, CLsnk) the replicates' medians spread wider than with the patients drawn only
FL=(--model flint-2017 --weight 20 --age 6 --regimen "1mg/kg iv over 1h" --n 300 --replicates 20 --until 4h --quiet)
"$KETSIM" trial "${FL[@]}" --replicates-out "$T/rep0.csv" --out "$T/r0.csv" || fail "--replicates"
"$KETSIM" trial "${FL[@]}" --uncertainty --replicates-out "$T/rep1.csv" --out "$T/r1.csv" || fail "--uncertainty"
head -1 "$T/rep1.csv" | grep -q 'cp_esketamine_ng_ml_p50_across_p95' || fail "--replicates-out columns"
w0=$(awk -F, 'NR == 6 { print $7 - $5 }' "$T/rep0.csv")
w1=$(awk -F, 'NR == 6 { print $7 - $5 }' "$T/rep1.csv")
awk -v a="$w0" -v b="$w1" 'BEGIN { exit !(b > 1.5 * a) }' ||
    fail "--uncertainty: spread of the replicates' medians $w1 vs $w0 without"

# --- per-patient columns of one typical patient against simulate's summary: Cmax and the
# exact AUC to the end agree to print precision; hours above 100 ng/mL are linear between
# 5-min grid points in the trial, exact in simulate: within 5 %
"$KETSIM" trial --model domino-1982 --weight 70 --regimen "0.5mg/kg iv over 40min" --n 1 --no-iiv \
    --until 6h --every 5min --patients "$T/one.csv" --threshold 100ng/mL --out "$T/oneq.csv" --quiet ||
    fail "one typical patient"
"$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min --until 6h \
    --every 5min --threshold 100ng/mL --out "$T/sim.csv" 2>"$T/sim.txt" || fail "simulate"
read -r s_cmax s_auc s_above < <(awk '$1 == "cp_ketamine_ng_ml" { print $2, $4, $7 }' "$T/sim.txt")
awk -F, -v c="$s_cmax" -v a="$s_auc" -v h="$s_above" 'NR == 2 {
        ok = ($4 - c) ^ 2 < (0.001 * c) ^ 2 && ($6 - a) ^ 2 < (0.001 * a) ^ 2 && ($7 - h) ^ 2 < (0.05 * h) ^ 2
        exit !ok }' "$T/one.csv" ||
    fail "per-patient Cmax/AUC/hours above vs simulate ($s_cmax $s_auc $s_above): $(sed -n 2p "$T/one.csv")"

# --- MPI: two ranks give the same files as one process
if command -v mpirun >/dev/null 2>&1 && ldd "$KETSIM" | grep -q libmpi; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    for mode in --histogram --exact; do
        "$KETSIM" trial "${COMMON[@]}" --n 501 $mode --out "$T/one.csv" --patients "$T/one_p.csv" --quiet ||
            fail "one process $mode"
        mpirun -n 2 "$KETSIM" trial "${COMMON[@]}" --n 501 $mode --out "$T/two.csv" \
            --patients "$T/two_p.csv" --quiet >"$T/mpi.log" 2>&1 || fail "mpirun -n 2 $mode: $(tail -3 "$T/mpi.log")"
        cmp -s "$T/one.csv" "$T/two.csv" || fail "$mode: 2 MPI ranks differ from 1 process"
        cmp -s "$T/one_p.csv" "$T/two_p.csv" || fail "$mode: per-patient files differ under MPI"
        ls "$T"/two_p.csv.rank* >/dev/null 2>&1 && fail "$mode: rank parts left behind"
    done
    # replicates: the per-patient rows in the one-process order (replicate, then patient)
    "$KETSIM" trial "${COMMON[@]}" --n 7 --replicates 2 --patients "$T/one_r.csv" --out "$T/o.csv" --quiet ||
        fail "one process, replicates"
    mpirun -n 2 "$KETSIM" trial "${COMMON[@]}" --n 7 --replicates 2 --patients "$T/two_r.csv" \
        --out "$T/t.csv" --quiet >"$T/mpi.log" 2>&1 || fail "mpirun replicates: $(tail -3 "$T/mpi.log")"
    cmp -s "$T/one_r.csv" "$T/two_r.csv" || fail "replicates: per-patient rows differ under MPI"
else
    echo "note: mpirun not found; MPI check skipped" >&2
fi

# --- bad input: one line, the place, non-zero exit, no output file
bad() {
    local want=$1
    shift
    rm -f "$T/out.csv"
    "$KETSIM" trial "$@" --out "$T/out.csv" >"$T/o" 2>"$T/e"
    local rc=$?
    [ $rc -ne 0 ] || fail "$*: exit 0"
    [ -e "$T/out.csv" ] && fail "$*: wrote an output file"
    [ "$(wc -l <"$T/e")" -eq 1 ] || fail "$*: $(wc -l <"$T/e") lines on stderr"
    grep -q "^ketsim trial: .*$want" "$T/e" || fail "$*: expected \"$want\", got: $(cat "$T/e")"
}
bad '--n: "0" is not a whole number' "${COMMON[@]}" --n 0
bad '--n: "1.5"' "${COMMON[@]}" --n 1.5
bad 'no parameter XX' "${COMMON[@]}" --iiv XX=30%
bad '--iiv-only: item 1 ("Q1"): this parameter has no variability' --model perez-ruixo-2021 --weight 70 --regimen "$R" --iiv-only Q1
bad '--population rule 2: unknown distribution "gauss"' "${COMMON[@]}" --population "age ~ uniform(18y, 65y); weight ~ gauss(1, 2)"
printf 'sex ~ bernoulli(0.5)\nweight | sex = 1 ~ normal(70kg, 15kg) in 40..150\nweight | sex = 0 ~ normal(85 y, 15) in 40..150\n' >"$T/pop.txt"
bad "$T/pop.txt:3: unit \"y\" is not the unit of weight" --model perez-ruixo-2021 --regimen "$R" --population-file "$T/pop.txt"
printf 'weight,age\n70,40\n72,x\n' >"$T/cov.csv"
bad "$T/cov.csv:3: column age: \"x\" is not a number" --model perez-ruixo-2021 --regimen "$R" --covariates-csv "$T/cov.csv"
printf 'weight,age\n70,40\n72,50\n' >"$T/cov.csv"
bad 'has 2 patients' --model perez-ruixo-2021 --regimen "$R" --covariates-csv "$T/cov.csv" --n 5
bad 'model perez-ruixo-2021 has no route "im"' --model perez-ruixo-2021 --weight 70 --regimen "20mg im"
bad 'has no output cp_x_ng_ml' "${COMMON[@]}" --outputs cp_x_ng_ml
bad '--percentiles: "120"' "${COMMON[@]}" --percentiles 5,120
bad 'per kg' --model perez-ruixo-2021 --regimen "$R" --n 5
bad '--threshold is reported per patient' "${COMMON[@]}" --threshold 50ng/mL
bad '--uncertainty needs --replicates 2' "${COMMON[@]}" --uncertainty
bad 'model domino-1982 publishes no residual error' --model domino-1982 --weight 70 --regimen "0.5mg/kg iv over 40min" --iiv V1=25% --residual
bad '--until: a dose at 35 h is after --until 30 h' --model perez-ruixo-2021 --weight 70 --regimen "28mg nasal; every 7h x 2d" --until 30h

# --- logit variability stays a fraction with the Japanese factor (FRn 0.54 x 1.34, SD 0.708)
"$KETSIM" trial --model perez-ruixo-2021 --weight 70 --covariate japanese=1 --regimen "28mg nasal" \
    --n 300 --until 6h --patients "$T/jp.csv" --out "$T/jpq.csv" --quiet || fail "japanese=1 trial"
col=$(head -1 "$T/jp.csv" | tr ',' '\n' | grep -n '^FRn_1$' | cut -d: -f1)
tail -n +2 "$T/jp.csv" | cut -d, -f"$col" | awk '$1 <= 0 || $1 >= 1 { bad = 1 } END { exit bad }' ||
    fail "japanese=1: an individual FRn outside (0, 1)"

# --- the examples of --help run
"$KETSIM" trial --model kamp-2020 --regimen "0.5mg/kg iv over 40min" --n 2000 \
    --population "weight ~ normal(80kg, 15kg) in 45..150" --iiv CL=30%,V=25% --out "$T/ex.csv" --quiet ||
    fail "the --help example with kamp-2020"

# --- the covariate CSV, one patient per row by default
"$KETSIM" trial --model perez-ruixo-2021 --regimen "$R" --covariates-csv "$T/cov.csv" --until 5d \
    --out "$T/csv.csv" --patients "$T/csv_p.csv" --quiet || fail "--covariates-csv"
[ "$(wc -l <"$T/csv_p.csv")" -eq 3 ] || fail "--covariates-csv: one row per CSV row expected"

if [ $failures -ne 0 ]; then
    echo "test_trial: $failures failure(s)" >&2
    exit 1
fi
echo "test_trial: all checks passed"
