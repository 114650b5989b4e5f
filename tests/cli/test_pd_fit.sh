#!/usr/bin/env bash
# ketsim pd-fit: the estimated parameters in data/pd-acute.json are what the command
# estimates now (a stale file fails here), a tampered file is caught, --write writes a
# file that --check then accepts, and bad input names its argument.
# usage: bash test_pd_fit.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_pd_fit.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_pd_fit.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_pdfit.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

"$KETSIM" pd-fit --check "$SRC/data/pd-acute.json" >"$T/c.out" 2>"$T/c.err" ||
    fail "data/pd-acute.json is stale: run ketsim pd-fit --write data/pd-acute.json ($(cat "$T/c.err"))"

# the fit reproduces its anchor (printed): IV mean SBP rise 7.40; it estimates no BP
# spread and says why; the per-patient readings and the CADSS 1.5 h target are stated
# as assumptions, with the independent-sessions shares (1 - (1 - P)^(1/8))
"$KETSIM" pd-fit >"$T/fit.out" 2>&1 || fail "pd-fit: exit $?"
grep -q "mean SBP rise 7.40 mmHg" "$T/fit.out" || fail "pd-fit: SBP anchor not reproduced"
grep -q "^BP spread: not estimated" "$T/fit.out" || fail "pd-fit: BP spread statement missing"
grep -q "sbp_omega\|dbp_omega" "$T/fit.out" && fail "pd-fit: still estimates a BP spread"
grep -q "between 1.04 % / 1.73 % (sessions independent" "$T/fit.out" || fail "pd-fit: per-session bounds for Table 6"
grep -q "one session's shares would be 0.0950 and 0.00044" "$T/fit.out" || fail "pd-fit: sedation independence shares"
grep -q "assumed target 0.10, a ketsim reading of 'generally resolved', not data" "$T/fit.out" ||
    fail "pd-fit: the CADSS 1.5 h target must be marked as an assumption"
grep -q '"sbp_omega"\|"dbp_omega"' "$SRC/data/pd-acute.json" && fail "data/pd-acute.json still has a BP spread"

# a changed estimate is stale
sed 's/"value": 17.4685/"value": 17.5/' "$SRC/data/pd-acute.json" >"$T/tampered.json"
cmp -s "$T/tampered.json" "$SRC/data/pd-acute.json" && fail "test setup: cadss_slope not found to tamper"
"$KETSIM" pd-fit --check "$T/tampered.json" >/dev/null 2>"$T/t.err"
[ $? -eq 1 ] || fail "pd-fit --check: a tampered cadss_slope should exit 1"
grep -q "cadss_slope is stale" "$T/t.err" || fail "pd-fit --check: does not name cadss_slope"

# --write then --check round trip
cp "$T/tampered.json" "$T/w.json"
"$KETSIM" pd-fit --write "$T/w.json" >/dev/null 2>&1 || fail "pd-fit --write: exit $?"
"$KETSIM" pd-fit --check "$T/w.json" >/dev/null 2>&1 || fail "pd-fit --check after --write"
cmp -s "$T/w.json" "$SRC/data/pd-acute.json" || fail "pd-fit --write does not reproduce data/pd-acute.json"

# bad input
"$KETSIM" pd-fit --iv-model perez-ruixo-2021 >/dev/null 2>"$T/e1"
[ $? -eq 2 ] && grep -q "perez-ruixo-2021" "$T/e1" || fail "pd-fit: a model without an iv infusion route"
"$KETSIM" pd-fit --pd "$T/none.json" >/dev/null 2>"$T/e2"
[ $? -eq 2 ] && grep -q -- "--pd" "$T/e2" || fail "pd-fit: a missing --pd file"
"$KETSIM" pd-fit --write "$T/a.json" --check "$T/b.json" >/dev/null 2>&1
[ $? -eq 2 ] || fail "pd-fit: --write with --check"

[ $failures -eq 0 ] && echo "test_pd_fit: all passed"
exit $((failures > 0))
