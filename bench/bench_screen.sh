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
#      the bench process's peak RSS;
#   3. per size in $UPDATE_SIZES (default 300000): `exposure update` after appending the
#      last ~1% of a world's transactions (its last blocks on both chains) to a store indexed
#      at the other 99%, beside a full `exposure build` of the same store at the same tips,
#      measured in the same run (best of 3 each; the update is timed on copies of the
#      99% index), and whether the two indexes hold the same records.
# Scratch space: $WORK (default /tmp/sleuth-bench-screen), deleted at the end. Prints
# markdown tables.
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build/sleuth
BS=$PWD/build/bench/bench_screen
WORK=${WORK:-/tmp/sleuth-bench-screen}
SIZES=${SIZES-"20000 200000 2000000"}
UPDATE_SIZES=${UPDATE_SIZES-300000}
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
    $B ingest tron --store "$s" "$w/tron" --quiet >/dev/null
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

[ -z "$UPDATE_SIZES" ] || {
echo "## exposure update after appending ~1% more transactions (dmm seed 7; best of 3)"
echo
echo "| background txs | store txs before / after | appended txs | exposure update (continued) wall / cpu s | sources traced again | full exposure build wall / cpu s | full / update (wall) | same records |"
echo "|---|---|---|---|---|---|---|---|"
}
for n in $UPDATE_SIZES; do
    w=$WORK/u-$n; s=$WORK/us-$n
    $B gen world --recipe dmm --seed 7 --background-txs "$n" --out "$w" --quiet
    # the first 99% of the blocks (Bitcoin blk frames; Ethereum: three lines a block) and the rest
    python3 - "$w" <<'PY'
import glob, os, struct, sys
w = sys.argv[1]
d = open(w + '/btc/blk00000.dat', 'rb').read()
fr, p = [], 0
while p + 8 <= len(d):
    n = struct.unpack('<I', d[p + 4:p + 8])[0]; fr.append(d[p:p + 8 + n]); p += 8 + n
for x in ('a/btc', 'a/eth', 'b/btc', 'b/eth'): os.makedirs(w + '/' + x, exist_ok=True)
k = len(fr) * 99 // 100
open(w + '/a/btc/blk00000.dat', 'wb').write(b''.join(fr[:k]))
open(w + '/b/btc/blk00000.dat', 'wb').write(b''.join(fr[k:]))
L = []
for f in sorted(glob.glob(w + '/eth/*.json')): L += open(f).read().splitlines(True)
k = len(L) // 3 * 99 // 100 * 3
open(w + '/a/eth/e.json', 'w').write(''.join(L[:k])); open(w + '/b/eth/e.json', 'w').write(''.join(L[k:]))
PY
    txs() { $B info --store "$1" --json | python3 -c "import json,sys; print(sum(c.get('txs',0) for c in json.load(sys.stdin)['chains']))"; }
    $B ingest btc --network regtest --store "$s" "$w/a/btc" --quiet >/dev/null
    $B ingest eth --store "$s" --chain ethereum "$w/a/eth" --quiet >/dev/null
    $B tags import --store "$s" "$w"/tags/*.yaml "$w/incidents.yaml" >/dev/null
    $B exposure build --store "$s" --quiet
    before=$(txs "$s")
    cp "$s/exposure/index.bin" "$WORK/index.99"; cp "$s/exposure/frontier.bin" "$WORK/frontier.99"
    $B ingest btc --network regtest --store "$s" "$w/b/btc" --quiet >/dev/null
    $B ingest eth --store "$s" --chain ethereum "$w/b/eth" --quiet >/dev/null
    after=$(txs "$s")
    # one run each (the update is no longer due once done), three times, alternating
    once() { /usr/bin/time -f "%e %U %S" -o "$WORK/t" "$@" >/dev/null 2>&1 || true; awk '{printf "%.3f %.3f", $1, $2 + $3}' "$WORK/t"; }
    best_u=""; best_b=""
    for i in 1 2 3; do
        cp "$WORK/index.99" "$s/exposure/index.bin"; cp "$WORK/frontier.99" "$s/exposure/frontier.bin"
        t=$(once $B exposure update --store "$s" --quiet)
        best_u=$(printf '%s\n%s\n' "$best_u" "$t" | awk 'NF' | sort -n | head -1)
        t=$(once $B exposure build --store "$s" --quiet)
        best_b=$(printf '%s\n%s\n' "$best_b" "$t" | awk 'NF' | sort -n | head -1)
    done
    cp "$WORK/index.99" "$s/exposure/index.bin"; cp "$WORK/frontier.99" "$s/exposure/frontier.bin"
    $B exposure update --store "$s" --json > "$WORK/u.json"
    cp "$s/exposure/index.bin" "$WORK/index.cont"
    $B exposure build --store "$s" --quiet
    python3 - "$n" "$before" "$after" "$best_u" "$best_b" "$WORK/u.json" "$WORK/index.cont" "$s/exposure/index.bin" <<'PY'
import json, struct, sys
n, before, after, tu, tb, uj, a, b = sys.argv[1:9]
def records(p):  # (chain, address, direction, source, asset, amount, hops, received) of an index
    d = open(p, 'rb').read()
    nch, = struct.unpack_from('<I', d, 20); ne, nr = struct.unpack_from('<2Q', d, 24)
    al = lambda x: (x + 15) & ~15
    ent = al(128 + nch * 64); rec = al(al(ent + ne * 16) + ne * 4); out = set()
    for i in range(ne):
        ch, _, ad, first, k = struct.unpack_from('<HHIII', d, ent + i * 16)
        for r in range(first, first + k):
            p = rec + r * 64; s, asset = struct.unpack_from('<II', d, p + 32)
            out.add((ch, ad, d[p + 44], s, asset, d[p:p + 16], d[p + 45], d[p + 16:p + 32]))
    return out
u = json.load(open(uj)); ra, rb = records(a), records(b)
wu, wb = float(tu.split()[0]), float(tb.split()[0])
print('| %s | %s / %s | %d | %s / %s (%s) | %d of %d | %s / %s | %.1fx | %s (%d records) |' % (
    n, before, after, int(after) - int(before), *tu.split(), u['how'], u['retraced'], u['sources'], *tb.split(),
    wb / wu if wu else 0, 'yes' if ra == rb else 'NO', len(rb)))
PY
done
rm -rf "$WORK"
