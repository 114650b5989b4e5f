#!/usr/bin/env bash
# Run the CLI's main paths under valgrind; any leak or memory error fails.
set -euo pipefail
KETSIM=${1:?path to ketsim}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
run() {
    valgrind --quiet --suppressions="$(dirname "$0")/valgrind.supp" --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@" >/dev/null 2>"$TMP/vg.log" || {
        rc=$?
        if [ $rc -eq 99 ]; then echo "valgrind: errors in: $*" >&2; cat "$TMP/vg.log" >&2; exit 1; fi
    }
}
run "$KETSIM" simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --over 40min --plot "$TMP/a.png" --out "$TMP/a.csv"
run "$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --format json --out "$TMP/b.json" --threshold 50ng/mL
run "$KETSIM" models
run "$KETSIM" models show perez-ruixo-2021
run "$KETSIM" simulate --model domino-1928 --weight 70 --dose 1mg
run "$KETSIM" simulate --model domino-1982 --weight -3 --dose 1mg
run "$KETSIM" simulate --model perez-ruixo-2021 --dose 50mg --route nasal
run "$KETSIM" regimen explain "0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; then every 1w x 4" --weight 70
run "$KETSIM" regimen explain "84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w; every 0w x 2"
run "$KETSIM" simulate --model perez-ruixo-2021 --every 1h --regimen "84mg nasal; 2/week x 4w; 1/week x 4w" --out "$TMP/c.csv"
run "$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --until 6h --quiet --dataset-out "$TMP/ds.csv"
run "$KETSIM" dataset predict --model perez-ruixo-2021 --data "$TMP/ds.csv" --out "$TMP/pred.csv"
run "$KETSIM" compare --model domino-1982,kamp-2020 --weight 70 --dose 0.5mg/kg --over 40min --out "$TMP/cmp.csv" --plot "$TMP/cmp.png"
run "$KETSIM" validate --model simons-2022 --model hijazi-2003 --model perez-ruixo-2021 --out "$TMP/v.md" --plot-dir "$TMP/v"
run "$KETSIM" fit-route --model racemic-routes-domino-1982 --route sublingual --param ka_sl --tmax 0.75h --dose 25mg --weight 70
run "$KETSIM" trial --model perez-ruixo-2021 --weight 70 --n 200 --threads 2 --regimen "0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 1w" --until 5d --every 1h --patients "$TMP/p.csv" --threshold 50ng/mL --plot "$TMP/t.png" --replicates 2 --replicates-out "$TMP/r.csv" --out "$TMP/t.csv"
[ -s "$TMP/r.csv" ] && [ -s "$TMP/p.csv" ] || { echo "valgrind: trial wrote nothing" >&2; exit 1; }
run "$KETSIM" trial --model perez-ruixo-2021 --weight 70 --n 300 --threads 2 --histogram --regimen "56mg nasal; 2/week x 1w" --population "weight ~ normal(75kg, 15kg) in 40..150" --until 2d --out "$TMP/t2.csv"
run "$KETSIM" trial --model perez-ruixo-2021 --n 5 --regimen "56mg nasal" --population "weight ~ gauss(1)"
run "$KETSIM" session --drug esketamine --dose 84mg --age 45 --sbp 128 --dbp 82 --cadss-max 4 --moaas-min 4.5 --flag-share 1 --percentile 95 --out "$TMP/s.csv" --plot "$TMP/s.png"
run "$KETSIM" session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 --sbp 150 --dbp 95 --format json --out "$TMP/s.json"
run "$KETSIM" session --drug esketamine --dose 50mg --age 45 --sbp 128 --dbp 82
run "$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --until 4h --effects --out "$TMP/e.csv" --plot "$TMP/e.png"
run "$KETSIM" pd-fit --check "$(dirname "$0")/../data/pd-acute.json"
run "$KETSIM" pd-validate --out "$TMP/pdv.md"
run "$KETSIM" circuit run --cells 4 --window 0.3s --until 1h --quiet --out "$TMP/cc.csv" --conditions-out "$TMP/cd.csv" --plot "$TMP/cc.png" --raster "$TMP/cr.png"
run "$KETSIM" circuit estimate-block
run "$KETSIM" circuit run --species rat
run "$KETSIM" circuit run --cells 4 --window 0.3s --until 1h --dt 1e-20ms --quiet
[ -s "$TMP/cr.png" ] || { echo "valgrind: circuit run wrote no raster" >&2; exit 1; }
run "$KETSIM" forecast --madrs 32 --until 3 --days 1,2 --patients 200 --regimen "one=0.5mg/kg iv over 40min" --out "$TMP/fc.csv" --plot "$TMP/fc.png"
run "$KETSIM" forecast --madrs 30 --madrs-sd 5 --until 2 --days 1 --patients 100 --regimen "56mg nasal" --out "$TMP/fc.json"
run "$KETSIM" forecast --indication ptsd --caps5 40 --caps5-sd 8 --until 14 --days 1,12 --patients 100 --regimen "six=0.5mg/kg iv over 40min; 3/week x 2w" --out "$TMP/fp.json" --plot "$TMP/fp.png"
run "$KETSIM" forecast --indication ptsd --caps5 40 --until 3 --regimen "84mg nasal"
run "$KETSIM" calibrate --stage2 "$(dirname "$0")/../data/response-params.json" --write "$TMP/s2.json"
run "$KETSIM" calibrate --stage2 "$(dirname "$0")/../data/response-params.json" --write "$TMP/s3.json" --max-eval 20
run "$KETSIM" forecast --madrs 30 --until 3 --regimen "0.5mg/kg im"
run "$KETSIM" forecast --madrs 30 --until 2 --days 1 --patients 50 --regimen "one=0.5mg/kg iv over 40min" --uncertainty --out "$TMP/fu.json"
[ -s "$TMP/fu.json" ] || { echo "valgrind: forecast --uncertainty wrote nothing" >&2; exit 1; }
run "$KETSIM" forecast --hamd 42 --until 3 --days 1,2 --patients 100 --regimen "one=0.5mg/kg iv over 40min" --out "$TMP/fh.json" --plot "$TMP/fh.svg"
run "$KETSIM" forecast --hamd 20 --until 2 --days 1 --patients 50 --regimen "56mg nasal" --out "$TMP/fh.csv"
run "$KETSIM" forecast --madrs 26 --hamd 20 --until 3
run "$KETSIM" forecast --hamd 42 --remission-cutoff 44 --until 2 --days 1 --patients 30 --regimen "0.5mg/kg iv over 40min" --out "$TMP/fhc.csv"
run "$KETSIM" forecast --hamd " 20" --until 2
run "$KETSIM" trial --model domino-1982 --weight 70 --n 20 --regimen "0.5mg/kg iv over 40min" --until 1d --every 12h --out "$TMP/thc.csv" --response "$TMP/thc.csv.json" --hamd 20 --remission-cutoff 44
run "$KETSIM" trial --model domino-1982 --weight 70 --n 50 --regimen "0.5mg/kg iv over 40min" --until 2d --every 12h --out "$TMP/th.csv" --response "$TMP/th.json" --hamd 42
run "$KETSIM" calibrate --max-eval abc
run "$KETSIM" calibrate --hold "w_cons=9,k_trap=2"
run "$KETSIM" calibrate --weight "murrough2013bp-series:2=9,han2016-pooled:7=2"
run "$KETSIM" calibrate --uncertainty "$(dirname "$0")/../data/response-params.json" --sampler mcmc --mcmc-chains 1
run "$KETSIM" trial --model domino-1982 --weight 70 --n 300 --threads 2 --regimen "0.5mg/kg iv over 40min; 3/week x 1w" --until 5d --every 12h --out "$TMP/tr.csv" --response "$TMP/tr.json" --madrs 30 --madrs-sd 5
run "$KETSIM" trial --model domino-1982 --weight 70 --n 200 --regimen "0.5mg/kg iv over 40min; 3/week x 2w" --until 30d --every 1d --out "$TMP/trl.csv" --response "$TMP/trl_resp.csv" --madrs 32 --madrs-sd 6
run "$KETSIM" trial --model perez-ruixo-2021 --n 10 --regimen "56mg oral" --out "$TMP/tr2.csv" --response "$TMP/tr2.csv" --madrs 30
run "$KETSIM" forecast --madrs 8 --until 1.5 --days 1 --patients 100 --regimen "hi=10mg/kg iv over 40min; start 2026-11-29 09:00; every 18h x 2" --out "$TMP/fw.json"
run "$KETSIM" forecast --madrs 30 --until 3 --out "$TMP/x.png" --plot "$TMP/x.png"
run "$KETSIM" forecast --madrs 30 --until 3 --seed 1.5
run "$KETSIM" forecast --madrs 30 --until 3 --regimen "100000mg iv over 1min"
run "$KETSIM" trial --model kamp-2020 --weight 70 --n 100 --regimen "0.5mg/kg iv over 40min" --until 2d --every 12h --out "$TMP/tk.csv" --response "$TMP/tk.json" --madrs 30 --placebo-context saline --population "weight ~ normal(80kg, 15kg) in 45..150"
run "$KETSIM" trial --model flint-2017 --weight 70 --n 10 --regimen "0.25mg/kg iv over 40min" --out "$TMP/tf.csv" --response "$TMP/tf.json" --madrs 30
run "$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen "0.5mg/kg iv over 40min" --replicates 2 --replicates-out "$TMP/rr.csv" --response "$TMP/./rr.csv" --madrs 30
run "$KETSIM" trial --model domino-1982 --weight 70 --n 200 --threads 2 --regimen "0.5mg/kg iv over 40min; 3/week x 1w" --until 8d --every 12h --out "$TMP/tu.csv" --response "$TMP/tu.json" --madrs 30 --madrs-sd 5 --replicates 3 --uncertainty
run "$KETSIM" trial --model domino-1982 --weight 70 --n 100 --regimen "0.5mg/kg iv over 40min" --until 3d --every 12h --out "$TMP/tuh.csv" --response "$TMP/tuh_r.csv" --hamd 22 --replicates 2
[ -s "$TMP/tu.json" ] && grep -q '_across_p95' "$TMP/tuh_r.csv" || { echo "valgrind: trial --response --replicates wrote nothing" >&2; exit 1; }
# a parameter file whose drive names another PD file (read, warned about with --pd), and
# an output that would overwrite an input (refused)
cp "$(dirname "$0")/../data/pd-acute.json" "$TMP/pd.json"
sed "s|\"pd_file\": \"[^\"]*\"|\"pd_file\": \"$TMP/pd.json\"|" "$(dirname "$0")/../data/response-params.json" >"$TMP/dp.json"
run "$KETSIM" trial --model kamp-2020 --weight 70 --n 20 --regimen "0.5mg/kg iv over 40min" --until 1d --every 12h --out "$TMP/td.csv" --response "$TMP/td.JSON" --madrs 30 --response-params "$TMP/dp.json"
run "$KETSIM" forecast --madrs 30 --until 2 --days 1 --patients 20 --regimen "0.5mg/kg iv over 40min" --params "$TMP/dp.json" --pd "$(dirname "$0")/../data/pd-acute.json" --out "$TMP/fd.csv"
run "$KETSIM" forecast --madrs 30 --until 2 --params "$TMP/dp.json" --out "$TMP/pd.json"
run "$KETSIM" trial --model domino-1982 --weight 70 --n 10 --regimen "0.5mg/kg iv over 40min" --out "$TMP/td.csv" --response "$TMP/dp.json" --madrs 30 --response-params "$TMP/dp.json"
[ -s "$TMP/td.JSON" ] && [ -s "$TMP/fd.csv" ] && cmp -s "$TMP/pd.json" "$(dirname "$0")/../data/pd-acute.json" || { echo "valgrind: drive runs" >&2; exit 1; }
[ -s "$TMP/tr.json" ] && [ -s "$TMP/tk.json" ] && [ -s "$TMP/fw.json" ] || { echo "valgrind: trial --response wrote nothing" >&2; exit 1; }
[ -s "$TMP/fc.csv" ] && [ -s "$TMP/fc.json" ] && [ -s "$TMP/fh.json" ] && [ -s "$TMP/fh.csv" ] && [ -s "$TMP/th.json" ] && [ -s "$TMP/fp.json" ] && [ -s "$TMP/s2.json" ] || { echo "valgrind: forecast wrote nothing" >&2; exit 1; }
[ -s "$TMP/pred.csv" ] || { echo "valgrind: dataset predict wrote nothing" >&2; exit 1; }
# within-patient fluctuation: a parameter file with both of its parameters (paths in the
# forecast's band, the trial's table and relapse), and one with only one (refused)
sed 's|^  "parameters": {|  "parameters": {\n    "fluct_share": {"value": 0.5, "unit": "1"}, "t_fluct_d": {"value": 14, "unit": "d"},|' "$(dirname "$0")/../data/response-params.json" >"$TMP/fl.json"
sed 's|^  "parameters": {|  "parameters": {\n    "fluct_share": {"value": 0.5, "unit": "1"},|' "$(dirname "$0")/../data/response-params.json" >"$TMP/fl1.json"
run "$KETSIM" forecast --madrs 30 --until 5 --days 1,3,2 --patients 50 --regimen "one=0.5mg/kg iv over 40min" --params "$TMP/fl.json" --out "$TMP/ff.csv"
run "$KETSIM" trial --model domino-1982 --weight 70 --n 60 --regimen "0.5mg/kg iv over 40min" --until 4d --every 12h --out "$TMP/tfl.csv" --response "$TMP/tfl.json" --madrs 30 --response-params "$TMP/fl.json"
[ -s "$TMP/ff.csv" ] && [ -s "$TMP/tfl.json" ] || { echo "valgrind: fluctuation runs wrote nothing" >&2; exit 1; }
run "$KETSIM" forecast --madrs 30 --until 2 --params "$TMP/fl1.json"
echo "valgrind: $(grep -c '^run ' "$0") CLI runs, no leaks or memory errors"
