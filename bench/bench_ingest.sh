#!/bin/sh
# bench_ingest.sh — full ingest of a generated chain of >= 5 million transactions, with its
# baselines measured in the same run: the read floor (cat blk*.dat > /dev/null) and the
# parse floor (bench_parse over the same files: parse vs SHA-256d). Then the look-up
# latencies (bench_lookup) on the store just built. Figures: docs/BENCHMARKS.md.
#
# usage: bench/bench_ingest.sh [OUTDIR]      (default bench/out, git-ignored)
#   env: TXS (5000000), SEED (1), BITS (nBits of the generated chain, see below),
#        LOOKUPS (100000), PARSE_REPS (2)
# The generated blocks are kept in OUTDIR/blocks-TXS-SEED-BITS and reused; the store
# OUTDIR/store is rebuilt on every run.
#
# BITS defaults to 0x1f7fffff, not regtest's 0x207fffff: sleuth's sl_btc_bits_target
# rejects exponent 32 with a mantissa above 0xff as "overflow" (Core only rejects that
# from exponent 33), so a chain with regtest's real nBits fails the proof-of-work check.
# Set BITS=0x207fffff once that is fixed.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-bench/out}
TXS=${TXS:-5000000}
SEED=${SEED:-1}
BITS=${BITS:-0x1f7fffff}
LOOKUPS=${LOOKUPS:-100000}
PARSE_REPS=${PARSE_REPS:-2}
BLK=$OUT/blocks-$TXS-$SEED-$BITS
STORE=$OUT/store

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

make -s
make -s bench
mkdir -p "$OUT"

echo "== machine"
echo "nproc $(nproc)"
echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "sha_ni $(grep -q -m1 -w sha_ni /proc/cpuinfo && echo yes || echo no)"
echo "mem $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
df -h "$OUT" | tail -1

echo "== generate ($TXS txs, seed $SEED, nBits $BITS)"
if [ ! -f "$BLK/DONE" ]; then
    rm -rf "$BLK"
    mkdir -p "$BLK"
    t0=$(now)
    build/bench/gen_blk --txs "$TXS" --seed "$SEED" --bits "$BITS" "$BLK" > "$BLK/gen.txt"
    echo "generated in $(secs "$t0" "$(now)") s"
    touch "$BLK/DONE"
else
    echo "reusing $BLK"
fi
cat "$BLK/gen.txt"
RAW=$(cat "$BLK"/blk*.dat | wc -c)
echo "raw blk bytes $RAW"

echo "== read floor: cat blk*.dat > /dev/null"
t0=$(now)
cat "$BLK"/blk*.dat > /dev/null
T_READ=$(secs "$t0" "$(now)")
echo "read_seconds $T_READ"

echo "== parse floor: bench_parse on the same files"
build/bench/bench_parse --reps "$PARSE_REPS" "$BLK"

echo "== ingest"
rm -rf "$STORE"
/usr/bin/time -v -o "$OUT/time.txt" build/sleuth ingest btc --network regtest --quiet --store "$STORE" "$BLK" \
    > "$OUT/ingest.txt"
cat "$OUT/ingest.txt"
NTX=$(sed -n 's/.*(\([0-9]*\) txs.*/\1/p' "$OUT/ingest.txt")
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$OUT/time.txt")
USR=$(awk -F': ' '/User time/ { print $2 }' "$OUT/time.txt")
SYS=$(awk -F': ' '/System time/ { print $2 }' "$OUT/time.txt")
RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time.txt")
STORE_ALLOC=$(du -sB1 "$STORE" | cut -f1)
STORE_APP=$(du -sb "$STORE" | cut -f1)
awk -v n="$NTX" -v w="$WALL" -v u="$USR" -v s="$SYS" -v r="$RSS" -v sa="$STORE_ALLOC" -v sp="$STORE_APP" \
    -v raw="$RAW" -v tr="$T_READ" 'BEGIN {
    printf "txs %d\nwall_seconds %.2f\nuser_seconds %.2f\nsys_seconds %.2f\n", n, w, u, s
    printf "ingest_tx_per_s %.0f (one core: the ingest is single-threaded)\n", n / w
    printf "ingest_tx_per_cpu_s %.0f\n", n / (u + s)
    printf "peak_rss_mib %.1f\n", r / 1024
    printf "store_bytes_on_disk %.0f (apparent %.0f)\n", sa, sp
    printf "store_bytes_per_tx %.1f (apparent %.1f)\n", sa / n, sp / n
    printf "raw_bytes_per_tx %.1f\n", raw / n
    printf "store_over_raw %.1f%% (apparent %.1f%%), target <= 40%%\n", 100 * sa / raw, 100 * sp / raw
    printf "read_floor_MB_s %.0f, ingest_MB_s %.1f, ingest/read time ratio %.1f\n", raw / tr / 1e6, raw / w / 1e6, w / tr
}'
echo "== per-transaction cost by file (bytes on disk / apparent, per tx; x 1.2e9 txs)"
for f in "$STORE"/btc/*.col "$STORE"/index/data.mdb; do
    stat -c '%n %b %B %s' "$f"
done | awk -v n="$NTX" '{ a = $2 * $3; t += a; tp += $4; name = $1; sub(/.*\//, "", name)
    printf "%-12s %8.1f B/tx disk %8.1f B/tx apparent   at 1.2e9 txs: %7.1f GB\n", name, a / n, $4 / n, a / n * 1.2e9 / 1e9 }
    END { printf "%-12s %8.1f B/tx disk %8.1f B/tx apparent   at 1.2e9 txs: %7.1f GB\n", "total", t / n, tp / n, t / n * 1.2e9 / 1e9 }'
build/sleuth info --store "$STORE"

echo "== look-ups"
build/bench/bench_lookup --n "$LOOKUPS" "$STORE"
