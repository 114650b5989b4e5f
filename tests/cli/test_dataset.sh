#!/usr/bin/env bash
# ketsim dataset predict and simulate --dataset-out: NONMEM-style datasets from the CLI.
set -euo pipefail
KETSIM=${1:?ketsim}; SRC=${2:?source dir}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
NM="$SRC/../shared/data/nonmem-conformance/nmtest.csv"

# NONMEM's own output for subjects 1-26: PRED matches cp to 1e-4 relative / 1e-6 absolute.
"$KETSIM" dataset predict --model "$SRC/tests/data/advan2.json" --data "$NM" --lag 2=lagt \
    --bioav 2=bioav --rate 2=rat2 --duration 2=dur2 --out "$T/pred.csv" 2> "$T/err"
head -1 "$T/pred.csv" | grep -q ',mode,PRED$' || fail "header: $(head -1 "$T/pred.csv")"
bad=$(awk -F, 'NR>1 && $6==0 && $1<100 { d=$3-$16; if (d<0) d=-d; a=($3<0?-$3:$3);
      if (d > 1e-6 && d > 1e-4*a) b++; n++ } END { print n " " b+0 }' "$T/pred.csv")
[ "$bad" = "3406 0" ] || fail "rows/bad: $bad"

# Export from a simulation, import, predict: the same concentrations as the table.
"$KETSIM" simulate --model perez-ruixo-2021 --dose 84mg --route nasal --until 12h --every 1h \
    --quiet --out "$T/sim.csv" --dataset-out "$T/doses.csv"
"$KETSIM" dataset predict --model perez-ruixo-2021 --data "$T/doses.csv" --out "$T/back.csv" 2>/dev/null
paste -d, <(awk -F, 'NR>1 {print $2}' "$T/sim.csv") \
          <(awk -F, 'NR>1 && $5==0 {print $NF}' "$T/back.csv") |
    awk -F, '{ d=$1-$2; if (d<0) d=-d; if (d > 1e-6*($1+1)) { print "row " NR ": " $0; exit 1 } }' ||
    fail "round trip through --dataset-out differs"

# Bad records: one line naming file, line and column; non-zero exit; no output file.
printf 'ID,TIME,AMT,EVID,CMT\n1,0,100,1,1\n1,1,100,7,1\n' > "$T/bad.csv"
if "$KETSIM" dataset predict --model domino-1982 --weight 70 --data "$T/bad.csv" --out "$T/o.csv" 2> "$T/e"; then
    fail "EVID 7 accepted"; fi
[ "$(wc -l < "$T/e")" = 1 ] || fail "more than one line: $(cat "$T/e")"
grep -q "bad.csv:3: column EVID" "$T/e" || fail "message: $(cat "$T/e")"
[ ! -e "$T/o.csv" ] || fail "output file left behind"
if "$KETSIM" dataset predict --model domino-1982 --data "$T/bad.csv" --lag x=y 2> "$T/e"; then
    fail "--lag x=y accepted"; fi
grep -q -- "--lag" "$T/e" || fail "message: $(cat "$T/e")"
"$KETSIM" dataset --help | grep -q example || fail "help"
echo "dataset: ok"
