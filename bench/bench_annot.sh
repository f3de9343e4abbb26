#!/bin/sh
# bench_annot.sh — what keeping the annotations (OP_RETURN payloads, EVM memos and known
# event logs: include/sleuth/annot.h) costs an ingest. The baseline is sleuth built from the
# commit before annotations existed (BASE), run in the same session, interleaved with this
# tree's sleuth on the same inputs: the bundled real Bitcoin blocks (tests/data/btc/blocks:
# 14 mainnet blocks, 14,685 txs, 4,218 OP_RETURN outputs), the bundled mainnet Ethereum
# blocks (tests/data/eth/mev) and a generated chain (bench/gen_blk). Each figure is the
# median of REPS runs into a new store, of the wall time and of the CPU time (user + system:
# steadier than the wall time on a machine shared with other work; the wall time also
# holds the fsyncs). Figures: docs/LAUNDERING.md.
#
# usage: bench/bench_annot.sh [OUTDIR]      (default bench/out, git-ignored)
#   env: TXS (500000), SEED (1), REPS (5), BASE (default: the parent of the commit that
#        added src/store/annot.c)
set -eu
cd "$(dirname "$0")/.."
: "${TXS:=500000}" "${SEED:=1}" "${REPS:=5}"
OUT=${1:-bench/out}
BITS=0x1f7fffff # as bench_ingest.sh (sl_btc_bits_target and regtest's 0x207fffff)
if [ -z "${BASE:-}" ]; then
    BASE=$(git log --diff-filter=A --format=%H -- src/store/annot.c | tail -1)^
fi
BLK=$OUT/blocks-$TXS-$SEED-$BITS
SRC=$OUT/annot-base-src

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

make -s
make -s bench
mkdir -p "$OUT"
echo "== baseline: $(git rev-parse --short "$BASE") (before annotations), this tree: $(git rev-parse --short HEAD)"
if [ ! -x "$SRC/build/sleuth" ] || [ "$(cat "$SRC/REV" 2>/dev/null)" != "$(git rev-parse "$BASE")" ]; then
    rm -rf "$SRC"
    mkdir -p "$SRC"
    git archive "$BASE" | tar -x -C "$SRC"
    nice make -s -j2 -C "$SRC" build/sleuth
    git rev-parse "$BASE" > "$SRC/REV"
fi
echo "nproc $(nproc), cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"

echo "== generate ($TXS txs, seed $SEED)"
if [ ! -f "$BLK/DONE" ]; then
    rm -rf "$BLK"
    mkdir -p "$BLK"
    build/bench/gen_blk --txs "$TXS" --seed "$SEED" --bits "$BITS" "$BLK" > "$BLK/gen.txt"
    touch "$BLK/DONE"
fi

# one(BIN, CHAIN ARGS...): "wall cpu" seconds of one ingest into a new store
one() {
    bin=$1; shift
    rm -rf "$OUT/annot-store"
    /usr/bin/time -f "%e %U %S" -o "$OUT/annot-time" "$bin" ingest "$@" --quiet --store "$OUT/annot-store" > /dev/null
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$OUT/annot-time"
}

# case NAME ARGS...: REPS interleaved runs of each binary; medians and the ratios
case_() {
    name=$1; shift
    : > "$OUT/annot-base.t"; : > "$OUT/annot-new.t"
    i=0
    while [ "$i" -lt "$REPS" ]; do
        one "$SRC/build/sleuth" "$@" >> "$OUT/annot-base.t"
        one build/sleuth "$@" >> "$OUT/annot-new.t"
        i=$((i + 1))
    done
    bw=$(cut -d' ' -f1 "$OUT/annot-base.t" | median); nw=$(cut -d' ' -f1 "$OUT/annot-new.t" | median)
    bc=$(cut -d' ' -f2 "$OUT/annot-base.t" | median); nc=$(cut -d' ' -f2 "$OUT/annot-new.t" | median)
    rows=$(sqlite3 "$OUT/annot-store/annot.db" 'SELECT count(*) FROM annot' 2>/dev/null || echo "?")
    awk -v nm="$name" -v bw="$bw" -v nw="$nw" -v bc="$bc" -v nc="$nc" -v r="$rows" 'BEGIN {
        printf "%-26s wall %7.2f -> %7.2f s (x%.3f)   cpu %7.2f -> %7.2f s (x%.3f)   %s rows\n",
               nm, bw, nw, nw / bw, bc, nc, (bc > 0 ? nc / bc : 0), r }'
}

echo "== ingest, median of $REPS runs each"
case_ "real btc blocks (14)" btc tests/data/btc/blocks
case_ "real eth blocks (mev, 35)" eth tests/data/eth/mev
case_ "generated btc ($TXS txs)" btc --network regtest "$BLK"
rm -rf "$OUT/annot-store" "$OUT/annot-base.t" "$OUT/annot-new.t" "$OUT/annot-time"
