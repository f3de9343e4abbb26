#!/bin/sh
# bench_eth.sh — Ethereum-family ingest benchmark (not part of make test).
#   bench/bench_eth.sh [NBLOCKS] [TXS_PER_BLOCK]     default 10000 x 200 = 2,000,000 txs
# Generates JSON-RPC dumps (bench/gen_eth.c), measures the raw cJSON parse speed on the same
# files (bench/json_baseline.c), then `sleuth ingest eth` on them: MB/s, flows/s, the ratio
# to the raw parse, store bytes per flow and peak memory (GNU time).
set -e
NB=${1:-10000}; TPB=${2:-200}
OUT=${BENCH_DIR:-bench/out}
mkdir -p build "$OUT"
cc -O2 -Wall -Wextra -o build/gen_eth bench/gen_eth.c
cc -O2 -Wall -Wextra -o build/json_baseline bench/json_baseline.c -lcjson
make -s build/sleuth
rm -rf "$OUT/dumps" "$OUT/store"; mkdir -p "$OUT/dumps"
echo "generating $NB blocks x $TPB txs ..."
build/gen_eth "$OUT/dumps" "$NB" "$TPB" 500
du -sh "$OUT/dumps"
echo "raw cJSON parse of the same files:"
BASE=$(build/json_baseline "$OUT"/dumps/*.jsonl); echo "$BASE"
echo "sleuth ingest eth:"
/usr/bin/time -v build/sleuth ingest eth --quiet --json --store "$OUT/store" "$OUT/dumps" > "$OUT/ingest.json" 2> "$OUT/time.txt"
cat "$OUT/ingest.json"
PEAK=$(grep "Maximum resident" "$OUT/time.txt" | awk '{print $NF}')
STORE=$(du -sB1 "$OUT/store" | cut -f1)
python3 - "$OUT/ingest.json" "$BASE" "$PEAK" "$STORE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); b = json.loads(sys.argv[2]); peak = int(sys.argv[3]); store = int(sys.argv[4])
mbs = r["bytes"] / 1e6 / r["seconds"]; pmbs = r["bytes"] / 1e6 / r["parse_seconds"]
print(f"txs {r['txs_added']:,}  flows {r['flows_added']:,}  input {r['bytes']/1e6:,.0f} MB")
print(f"ingest {r['seconds']:.1f} s: {mbs:.1f} MB/s, {r['flows_added']/r['seconds']:,.0f} flows/s, {r['txs_added']/r['seconds']:,.0f} tx/s")
print(f"parse phase alone {pmbs:.1f} MB/s; raw cJSON {b['mb_per_s']:.1f} MB/s; ingest/raw = {mbs/b['mb_per_s']:.2f}")
print(f"store {store/1e6:,.0f} MB = {store/r['flows_added']:.1f} bytes per flow; peak memory {peak/1024:,.0f} MB")
PY
