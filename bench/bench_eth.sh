#!/bin/sh
# bench_eth.sh — Ethereum-family ingest benchmark (not part of make test).
#   bench/bench_eth.sh [TXS_PER_BLOCK] [NBLOCKS...]      default 200 txs, 1000 and 5000 blocks
#   BASE_BIN=/path/to/older/sleuth bench/bench_eth.sh    also runs that build on the same files
# For each size: generates JSON-RPC dumps (bench/gen_eth.c), measures the raw cJSON parse
# speed on the same files (bench/json_baseline.c), then `sleuth ingest eth` under GNU time:
# MB/s (wall and per CPU second: the machine is shared, so CPU seconds are the steadier
# figure), the ratio to the raw parse, pass 1 (parse + check) and pass 2 (write) seconds,
# store bytes per flow and peak memory. Outputs are removed after each size.
set -e
TPB=${1:-200}; [ $# -gt 0 ] && shift
SIZES=${*:-1000 5000}
OUT=${BENCH_DIR:-bench/out}
mkdir -p build "$OUT"
cc -O2 -Wall -Wextra -o build/gen_eth bench/gen_eth.c
cc -O2 -Wall -Wextra -o build/json_baseline bench/json_baseline.c -lcjson
make -s build/sleuth
run() { # label binary
    rm -rf "$OUT/store"
    /usr/bin/time -f "%e %U %S %M" "$2" ingest eth --quiet --json --store "$OUT/store" "$OUT/dumps" > "$OUT/ingest.json" 2> "$OUT/time.txt"
    python3 - "$1" "$OUT/ingest.json" "$OUT/base.json" "$(tail -1 "$OUT/time.txt")" "$(du -sB1 "$OUT/store" | cut -f1)" <<'PY'
import json, sys
lab = sys.argv[1]; r = json.load(open(sys.argv[2])); b = json.load(open(sys.argv[3]))
wall, user, sys_, peak = sys.argv[4].split(); cpu = float(user) + float(sys_); store = int(sys.argv[5])
mb = r["bytes"] / 1e6; mbs = mb / r["seconds"]; cmbs = mb / cpu
print(f"  {lab:8} {r['txs_added']:>9,} txs {r['flows_added']:>10,} flows  {mb:7,.0f} MB  {r['seconds']:6.1f} s  "
      f"{mbs:6.1f} MB/s (raw cJSON {b['mb_per_s']:.1f}: {mbs / b['mb_per_s']:.2f})  "
      f"CPU {cpu:6.1f} s {cmbs:6.1f} MB/s (raw cJSON per CPU s {b['cpu_mb_per_s']:.1f}: {cmbs / b['cpu_mb_per_s']:.2f})  "
      f"pass 1 {r['parse_seconds']:.1f} s, pass 2 {r['seconds'] - r['parse_seconds']:.1f} s, {r['commits']} commits  "
      f"store {store / r['flows_added']:.0f} B/flow  peak RSS {int(peak) / 1024:,.0f} MB")
PY
}
for NB in $SIZES; do
    rm -rf "$OUT/dumps" "$OUT/store"; mkdir -p "$OUT/dumps"
    build/gen_eth "$OUT/dumps" "$NB" "$TPB" 500
    echo "== $NB blocks x $TPB txs ($(du -sh "$OUT/dumps" | cut -f1))"
    /usr/bin/time -f "%U %S" build/json_baseline "$OUT"/dumps/*.jsonl > "$OUT/base.raw" 2> "$OUT/base.time"
    python3 - "$OUT/base.raw" "$(tail -1 "$OUT/base.time")" > "$OUT/base.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); u, s = map(float, sys.argv[2].split())
b["cpu_mb_per_s"] = b["bytes"] / 1e6 / (u + s); print(json.dumps(b))
PY
    echo "  raw cJSON: $(cat "$OUT/base.json")"
    run sleuth build/sleuth
    [ -n "$BASE_BIN" ] && run baseline "$BASE_BIN"
    rm -rf "$OUT/dumps" "$OUT/store"
done
rm -rf "$OUT"
