#!/usr/bin/env bash
# Workload W1 (issue 9): six 0.5 mg/kg 40-min esketamine infusions (Mon/Wed/Fri x 2 weeks),
# perez-ruixo-2021 (esketamine, noresketamine, effect site) with variability on the central
# volume and the elimination rate (Vc 27.5 %, kel 120 %, published), a 15-minute grid over
# 28 days (2689 times), 5th/50th/95th percentiles of three outputs.
#
# 1. ketsim writes N_PEER patients' individual parameters (--patients); scipy (odeint) and
#    deSolve (lsoda) simulate the same patients; the three median profiles must agree
#    within 1 % wherever the median is at least 0.001 ng/mL (below that the ODE solvers'
#    absolute tolerance dominates).
# 2. Patients per second: ketsim at 100000 patients (2 threads and 1), ketsim at 1000000
#    (peak memory), the peers at N_PEER; ratios.
# Writes bench/trial/results.md. Timings are never test assertions.
#
# usage: bash bench/trial/run.sh path/to/ketsim      (make bench-trial)
# env:   N_PEER (default 100), N_KETSIM (default 100000), N_BIG (default 1000000)
set -euo pipefail
KETSIM=${1:?usage: bash bench/trial/run.sh path/to/ketsim}
KETSIM=$(cd "$(dirname "$KETSIM")" && pwd)/$(basename "$KETSIM")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/trial
PY=/usr/bin/python3
N_PEER=${N_PEER:-100}
N_KETSIM=${N_KETSIM:-100000}
N_BIG=${N_BIG:-1000000}
bash "$HERE/install-deps.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export KETSIM_MODELS="$ROOT/models"
R='0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w'
W1=(--model perez-ruixo-2021 --weight 70 --regimen "$R" --until 28d --every 15min --iiv-only Vc,kel)

echo "== agreement: $N_PEER patients through ketsim, scipy and deSolve" >&2
"$KETSIM" trial "${W1[@]}" --n "$N_PEER" --exact --threads 1 --patients "$T/p.csv" \
    --out "$T/ketsim.csv" --quiet
ks_small=$( { /usr/bin/time -f "%e" "$KETSIM" trial "${W1[@]}" --n "$N_PEER" --exact --threads 1 \
    --out "$T/k2.csv" --quiet; } 2>&1 | tail -1)
read -r _ n_py s_py < <("$PY" "$HERE/w1_scipy.py" "$T/p.csv" "$T/scipy.csv")
read -r _ n_r s_r < <(Rscript "$HERE/w1_desolve.R" "$T/p.csv" "$T/desolve.csv")
agree=$("$PY" - "$T/ketsim.csv" "$T/scipy.csv" "$T/desolve.csv" <<'PYEOF'
import csv, sys
k = list(csv.DictReader(open(sys.argv[1])))
out = []
for path, name in ((sys.argv[2], "scipy"), (sys.argv[3], "deSolve")):
    o = list(csv.DictReader(open(path)))
    assert len(o) == len(k), (name, len(o), len(k))
    worst, n = 0.0, 0
    for a, b in zip(k, o):
        assert abs(float(a["time_h"]) - float(b["time_h"])) < 1e-9
        for c in a:
            if not c.endswith("_p50"): continue
            x, y = float(a[c]), float(b[c])
            if x >= 1e-3:
                worst = max(worst, abs(y - x) / x); n += 1
    out.append((name, worst, n))
ok = all(w <= 0.01 for _, w, _ in out)
print(("PASS" if ok else "FAIL") + ";" + ";".join(f"{n} {w:.2e} {c}" for n, w, c in out))
PYEOF
)
echo "agreement: $agree" >&2
case "$agree" in PASS*) ;; *) echo "bench/trial: outputs disagree: $agree" >&2; exit 1 ;; esac

echo "== ketsim: $N_KETSIM patients (2 threads, then 1), $N_BIG patients (2 threads)" >&2
run_ks() { # n threads -> "seconds maxrss_kb"
    /usr/bin/time -f "%e %M" "$KETSIM" trial "${W1[@]}" --n "$1" --threads "$2" --histogram \
        --out "$T/big.csv" --quiet 2>&1 | tail -1
}
read -r ks2_s ks2_kb < <(run_ks "$N_KETSIM" 2)
read -r ks1_s ks1_kb < <(run_ks "$N_KETSIM" 1)
read -r ksb_s ksb_kb < <(run_ks "$N_BIG" 2)
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
r_ks2=$(rate "$N_KETSIM" "$ks2_s"); r_ks1=$(rate "$N_KETSIM" "$ks1_s"); r_ksb=$(rate "$N_BIG" "$ksb_s")
r_py=$(rate "$n_py" "$s_py"); r_r=$(rate "$n_r" "$s_r"); r_kss=$(rate "$N_PEER" "$ks_small")

{
    echo "# Trial benchmark (workload W1)"
    echo
    echo "Written by \`bash bench/trial/run.sh build/ketsim\` (\`make bench-trial\`) on $(date -u '+%Y-%m-%d %H:%M UTC');"
    echo "ketsim $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) logical CPUs"
    echo "- Kernel: $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $("$PY" -c 'import scipy, numpy, sys; print("Python", sys.version.split()[0], "scipy", scipy.__version__, "numpy", numpy.__version__)')"
    echo "- $(Rscript -e 'cat(R.version.string, "deSolve", as.character(packageVersion("deSolve")))' 2>/dev/null)"
    echo
    echo "## Agreement (same $N_PEER patients, median profiles, where the median >= 0.001 ng/mL)"
    echo
    echo "| peer | worst relative difference from ketsim | values compared |"
    echo "|---|---:|---:|"
    echo "$agree" | tr ';' '\n' | tail -n +2 | awk '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
    echo
    echo "## Speed"
    echo
    echo "| run | patients | seconds (wall) | patients / s | ketsim 2 threads is faster by | peak memory (MB) |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "| ketsim, 2 threads, histogram | $N_KETSIM | $ks2_s | $r_ks2 | 1 | $((ks2_kb / 1024)) |"
    echo "| ketsim, 1 thread, histogram | $N_KETSIM | $ks1_s | $r_ks1 | $(awk -v a="$r_ks2" -v b="$r_ks1" 'BEGIN{printf "%.2f", a/b}') | $((ks1_kb / 1024)) |"
    echo "| ketsim, 2 threads, histogram | $N_BIG | $ksb_s | $r_ksb | $(awk -v a="$r_ks2" -v b="$r_ksb" 'BEGIN{printf "%.2f", a/b}') | $((ksb_kb / 1024)) |"
    echo "| ketsim, 1 thread, exact, whole process | $N_PEER | $ks_small | $r_kss | $(awk -v a="$r_ks2" -v b="$r_kss" 'BEGIN{printf "%.1f", a/b}') | |"
    echo "| scipy odeint (LSODA), rtol 1e-8, atol 1e-10 | $n_py | $s_py | $r_py | $(ratio "$r_ks2" "$r_py") | |"
    echo "| deSolve lsoda, rtol 1e-8, atol 1e-10 | $n_r | $s_r | $r_r | $(ratio "$r_ks2" "$r_r") | |"
    echo
    echo "The peers' times cover the simulation loop and the percentiles (not interpreter"
    echo "start-up or reading the patients file); ketsim's are whole processes. Commands:"
    echo
    echo '```'
    echo "ketsim trial ${W1[*]} --n N --threads T --histogram --out big.csv --quiet"
    echo "ketsim trial ${W1[*]} --n $N_PEER --exact --threads 1 --patients p.csv --out ketsim.csv --quiet"
    echo "/usr/bin/python3 bench/trial/w1_scipy.py p.csv scipy.csv"
    echo "Rscript bench/trial/w1_desolve.R p.csv desolve.csv"
    echo '```'
} >"$HERE/results.md"
cat "$HERE/results.md"
