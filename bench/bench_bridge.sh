#!/bin/sh
# bench_bridge.sh — the cost of a trace through a busy bridge (docs/LAUNDERING.md "Bridges"):
# bench/gen_bridge.py writes N deposit/release pairs (ethereum -> arbitrum, one rule), the
# trace starts from deposit N/2 and crosses to its release. Measured in the same run, the
# runs interleaved, best of $REPS (default 3), wall s / CPU s / max RSS:
#   before  $BASE (a sleuth built from main, when given): pairs on every pass
#   off     this tree with SLEUTH_BRIDGE_CACHE=off: pairs on every pass, as before
#   cold    this tree, no cache file yet: pairs once, writes STORE/knowledge/bridges.cache
#   warm    this tree, the cache file made by an earlier run: no pairing at all
# and checks that the four JSON outputs are byte-identical.
# Usage: [N=100000] [BASE=/path/to/old/sleuth] [WORK=/tmp/sleuth-bench-bridge] bench/bench_bridge.sh
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build/sleuth
N=${N:-100000}
REPS=${REPS:-3}
WORK=${WORK:-/tmp/sleuth-bench-bridge}
BASE=${BASE:-}
[ -x "$B" ] || make -s build/sleuth
rm -rf "$WORK"; mkdir -p "$WORK"
h=$(python3 bench/gen_bridge.py "$WORK" "$N")
S=$WORK/s
$B ingest eth --quiet --store "$S" --chain ethereum "$WORK/eth.jsonl" >/dev/null
$B ingest eth --quiet --store "$S" --chain arbitrum "$WORK/arb.jsonl" >/dev/null
$B tags import --store "$S" "$WORK/rules.yaml" >/dev/null

one() { # label env-prefix binary -> appends "wall cpu rss" to $WORK/$label
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" env $2 "$3" trace --store "$S" --chain ethereum --tx "$h:0" --json \
        > "$WORK/$1.json"
    awk '{printf "%.2f %.2f %d\n", $1, $2 + $3, $4 / 1024}' "$WORK/t" >> "$WORK/$1.times"
}
for i in $(seq "$REPS"); do
    [ -n "$BASE" ] && one before "X=1" "$BASE"
    one off SLEUTH_BRIDGE_CACHE=off "$B"
    rm -rf "$S/knowledge/bridges.cache"
    one cold "X=1" "$B"
    one warm "X=1" "$B"
done
best() { sort -n "$WORK/$1.times" | head -1 | awk '{printf "%s s / %s s / %s MB", $1, $2, $3}'; }
echo "| $N pairs | wall / CPU / max RSS (best of $REPS) |"
echo "|---|---|"
for k in before off cold warm; do [ -f "$WORK/$k.times" ] && echo "| $k | $(best $k) |"; done
for k in before cold warm; do
    [ -f "$WORK/$k.json" ] || continue
    cmp -s "$WORK/off.json" "$WORK/$k.json" && echo "$k: same JSON as off" || { echo "$k: JSON DIFFERS"; exit 1; }
done
grep -o '"passes":[0-9]*' "$WORK/warm.json"
rm -rf "$WORK"
