#!/bin/sh
# bench_screen.sh — issue 13's screening measurements on generated worlds (sleuth gen world
# --recipe dmm --seed 7) at several background sizes ($SIZES, default "20000 200000
# 2000000"): per size
#   1. `exposure build`: wall and CPU seconds, sources, exposed addresses, index bytes and
#      bytes per exposed address, beside a baseline measured in the same run: one plain
#      `sleuth trace` of the incident's exploiter (haircut, 4 hops, ending at the services,
#      no crossings), the unit of work the build repeats per tagged source;
#   2. screens in process, one thread (build/bench/bench_screen): per screen the JSON text
#      a server sends (sl_screen_text) and the cJSON tree (sl_screen_json), mean/p50/p99 us
#      and screens per second, beside the floor (the subject resolved to its address id), on
#      two subject lists: the addresses the loot reached (every answer has exposure: the
#      worst case) and every address of the world's truth-addresses.csv (a realistic mix);
#      the bench process's peak RSS.
# Scratch space: $WORK (default /tmp/sleuth-bench-screen), deleted at the end. Prints
# markdown tables.
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build/sleuth
BS=$PWD/build/bench/bench_screen
WORK=${WORK:-/tmp/sleuth-bench-screen}
SIZES=${SIZES:-"20000 200000 2000000"}
N=${N:-200000}
STOP=exchange,coinjoin,mixer,bridge,dex,market
[ -x "$B" ] || make -s build/sleuth
[ -x "$BS" ] || make -s -C bench ../build/bench/bench_screen
rm -rf "$WORK"; mkdir -p "$WORK"

. bench/timed.sh

echo "## exposure build (dmm seed 7; best of 3)"
echo
echo "| background txs | store txs | trace of the incident (baseline) wall / cpu s | exposure build wall / cpu s | sources | exposed addresses | index bytes | bytes per address |"
echo "|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    w=$WORK/w-$n; s=$WORK/s-$n
    $B gen world --recipe dmm --seed 7 --background-txs "$n" --out "$w" --quiet
    $B ingest btc --network regtest --store "$s" "$w/btc" --quiet >/dev/null
    $B ingest eth --store "$s" --chain ethereum "$w/eth" --quiet >/dev/null
    $B tags import --store "$s" "$w"/tags/*.yaml "$w/incidents.yaml" >/dev/null
    ex=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['theft']['exploiter'])" "$w/truth.json")
    txs=$($B info --store "$s" --json | python3 -c "import json,sys; print(sum(c.get('txs',0) for c in json.load(sys.stdin)['chains']))")
    tr=$(timed $B trace --store "$s" --address "$ex" --policy haircut --max-hops 4 --stop-at $STOP --no-crossings --json)
    bu=$(timed $B exposure build --store "$s" --quiet)
    $B exposure build --store "$s" --json > "$WORK/b.json"
    python3 - "$n" "$txs" "$tr" "$bu" "$WORK/b.json" <<'PY'
import json, sys
n, txs, tr, bu, path = sys.argv[1:6]
b = json.load(open(path))
per = b['bytes'] / b['entities'] if b['entities'] else 0
print('| %s | %s | %s / %s | %s / %s | %d | %d | %d | %.0f |' % (n, txs, *tr.split(), *bu.split(), b['sources'], b['entities'], b['bytes'], per))
PY
    # subject lists for the screens
    $B trace --store "$s" --address "$ex" --policy haircut --max-hops 4 --stop-at $STOP --no-crossings --json > "$WORK/t.json"
    python3 - "$WORK/t.json" "$WORK/exposed-$n.txt" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
s = {f['to'] for f in t['flows']} | {x['address'] for x in t['endpoints']}
open(sys.argv[2], 'w').write('\n'.join(sorted(a for a in s if not a.startswith('('))) + '\n')
PY
    tail -n +2 "$w/truth-addresses.csv" | cut -d, -f2 > "$WORK/all-$n.txt"
done
echo
for n in $SIZES; do
    s=$WORK/s-$n
    for list in exposed all; do
        echo "### background $n, subjects: $list"
        echo
        /usr/bin/time -f "%M" -o "$WORK/rss" nice "$BS" "$s" "$WORK/$list-$n.txt" "$N"
        echo
        echo "bench process peak RSS: $(cat "$WORK/rss") KiB"
        echo
    done
done
rm -rf "$WORK"
