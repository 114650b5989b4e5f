#!/usr/bin/env bash
# ketsim pd-validate: the checked-in docs/validation-acute.md is what the command writes
# now (stale fails: run `make validate-acute`), and the report keeps its key rows.
# usage: bash test_pd_validate.sh <path-to-ketsim> <source-dir>
set -u
KETSIM=${1:?usage: test_pd_validate.sh KETSIM SOURCE_DIR}
SRC=${2:?usage: test_pd_validate.sh KETSIM SOURCE_DIR}
export KETSIM_MODELS="$SRC/models" KETSIM_DATA="$SRC/data"
T=$(mktemp -d "${TMPDIR:-/tmp}/ks_pdval.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
"$KETSIM" pd-validate --out "$T/v.md" 2>"$T/v.err" || fail "pd-validate: exit $? ($(cat "$T/v.err"))"
if ! cmp -s "$T/v.md" "$SRC/docs/validation-acute.md"; then
    diff "$SRC/docs/validation-acute.md" "$T/v.md" | head -n 20 >&2
    fail "docs/validation-acute.md is stale: run \`make validate-acute\` and commit the result"
fi
for s in "largest mean SBP/DBP rise | IV | 7.4 / 6.0 mmHg" "pooled mean SBP rise" \
    "share with SBP rise >= 40 mmHg, >= 65 y | esk 56/84 mg, 70 y | 17 % of patients at least once in 8 sessions" \
    "**not modelled**" "0 of 684 infusions" "share sedated, if sessions were independent" \
    "fit (assumed reading)" "a ketsim assumption, not data" \
    "time of the CADSS peak" "a clinician decides"; do
    grep -qF "$s" "$T/v.md" || fail "report lacks \"$s\""
done
"$KETSIM" pd-validate --out "$T/no/such/dir/v.md" >/dev/null 2>"$T/e"
[ $? -ne 0 ] && grep -q -- "--out" "$T/e" || fail "pd-validate: an unwritable --out must fail naming --out"
[ $failures -eq 0 ] && echo "test_pd_validate: all passed"
exit $((failures > 0))
