#!/bin/sh
# bench_laundering.sh — issue 12's measurements on generated worlds (sleuth gen world):
#   1. quality: for each recipe and seed, `detect --incident --json` scored against the
#      world's truth.json by scripts/score-world.py (suspects' precision and recall, thief
#      transactions found, Tornado leads, the loot's final location);
#   2. cost and growth: at several background sizes, the wall and CPU time of `detect`,
#      `incident report` and a cross-chain `trace` from the theft, each beside the baselines
#      measured in the same run: the same trace without crossings (the plain engine over the
#      same store) and a detect without crossings.
# Usage: bench/bench_laundering.sh [quality|cost|all] (default all). Sizes: $SIZES (default
# "20000 200000 2000000"); seeds for quality: $SEEDS (default "1 2 3 11 12 13"; 11-13 were
# never looked at while the detectors were written). Scratch space: $WORK (default
# /tmp/sleuth-bench-laundering), deleted at the end. TRACE_MAX: skip the trace with crossings
# above that many background txs (it takes minutes at 2M). Prints markdown tables.
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build/sleuth
WORK=${WORK:-/tmp/sleuth-bench-laundering}
SIZES=${SIZES:-"20000 200000 2000000"}
SEEDS=${SEEDS:-"1 2 3 11 12 13"}
what=${1:-all}
[ -x "$B" ] || make -s build/sleuth
rm -rf "$WORK"; mkdir -p "$WORK"

world() { # recipe seed background -> $WORK/w-$1-$2-$3 and its store s-...
    w=$WORK/w-$1-$2-$3; s=$WORK/s-$1-$2-$3
    $B gen world --recipe "$1" --seed "$2" --background-txs "$3" --out "$w" --quiet
    $B ingest btc --network regtest --store "$s" "$w/btc" --quiet >/dev/null
    $B ingest eth --store "$s" --chain ethereum "$w/eth" --quiet >/dev/null
    $B ingest tron --store "$s" "$w/tron" --quiet >/dev/null
    $B tags import --store "$s" "$w"/tags/*.yaml "$w/incidents.yaml" >/dev/null
}

. bench/timed.sh

if [ "$what" = quality ] || [ "$what" = all ]; then
    echo "## Quality (background 20,000 transactions)"
    echo
    echo "| world | suspects precision / recall (recall of those that held >= 1% of the loot) | thief txs found | Tornado withdrawals named right | loot located right |"
    echo "|---|---|---|---|---|"
    for r in dmm bybit; do
        for seed in $SEEDS; do
            world "$r" "$seed" 20000
            s=$WORK/s-$r-$seed-20000; w=$WORK/w-$r-$seed-20000
            $B detect --store "$s" --incident "world-$r-$seed" --json > "$WORK/d.json"
            python3 scripts/score-world.py --json --min-share 0.01 "$w/truth.json" "$WORK/d.json" > "$WORK/score.json"
            python3 - "$r" "$seed" "$WORK/score.json" <<'EOF'
import json, sys
r, seed, path = sys.argv[1], sys.argv[2], sys.argv[3]
s = json.load(open(path))
def g(*ks, d=None):
    x = s
    for k in ks:
        if not isinstance(x, dict) or k not in x: return d
        x = x[k]
    return x
sus = g('suspects', d={})
fnd = g('findings', d={})
tor = g('tornado', d={})
fin = g('final', d={})
def f(v): return '-' if v is None else ('%.3f' % v if isinstance(v, float) else str(v))
print('| %s seed %s | %s / %s (%s) | %s/%s | %s of %s | %s |' % (
    r, seed, f(sus.get('precision')), f(sus.get('recall')), f(sus.get('recall_above_min_share')),
    fnd.get('found', '-'), fnd.get('thief_txs', '-'), tor.get('right_leads', '-'), tor.get('withdrawals', '-'),
    f(fin.get('fraction'))))
EOF
            rm -rf "$s" "$w"
        done
    done
    echo
fi

if [ "$what" = cost ] || [ "$what" = all ]; then
    echo "## Cost by background size (dmm, seed 7; best of 3; wall s / CPU s)"
    echo
    echo "| background txs | store txs | detect | detect --no-crossings | incident report | trace (crossings) | trace --no-crossings (baseline) |"
    echo "|---|---|---|---|---|---|---|"
    for n in $SIZES; do
        world dmm 7 "$n"
        s=$WORK/s-dmm-7-$n; w=$WORK/w-dmm-7-$n
        theft=$(sed -n "s/^- tx_hash: '\([0-9a-f]*\)'.*/\1/p" "$w/tags/incident.tagpack.yaml" | head -1)
        txs=$($B info --store "$s" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(c.get("txs", 0) for c in d.get("chains", [])))' 2>/dev/null || echo "?")
        d=$(timed $B detect --store "$s" --incident world-dmm-7 --json)
        dn=$(timed $B detect --store "$s" --incident world-dmm-7 --json --no-crossings)
        ir=$(timed $B incident report --store "$s" world-dmm-7 --json)
        if [ "$n" -le "${TRACE_MAX:-100000000}" ]; then t=$(timed $B trace --store "$s" --tx "$theft:0" --json)
        else t="(not run: TRACE_MAX)"; fi
        tn=$(timed $B trace --store "$s" --tx "$theft:0" --json --no-crossings)
        echo "| $n | $txs | $d | $dn | $ir | $t | $tn |"
        rm -rf "$s" "$w"
    done
    echo
fi
rm -rf "$WORK"
