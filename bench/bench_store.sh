#!/bin/sh
# bench_store.sh — how the store's cost grows (issue 9): fresh ingests of prefixes of one
# generated chain at several sizes, an append to the largest store, the store's bytes per
# transaction, peak memory, a memory-limited run, and look-ups — each beside a baseline from
# the same run: the SHA-256d hashing floor over the same bytes (bench_parse), and, when
# BASE names a previous commit's sleuth binary, that binary's fresh ingest at BASE_SIZES.
# Figures: docs/BENCHMARKS.md ("Store v2").
#
# usage: bench/bench_store.sh [OUTDIR]           (default bench/out; needs ~2.3x the chain's
#                                                 size free: 50M txs = ~21 GB of blocks)
#   env: SIZES ("1000000 5000000 20000000 50000000"), APPEND (1000000), SEED (7),
#        BASE (path of a previous sleuth binary), BASE_SIZES ("1000000 5000000"),
#        MEM (e.g. 2.7G: one more run of the largest size inside a memory cgroup of that
#        size with --memory MEM; needs root and cgroup v1 at /sys/fs/cgroup/memory),
#        KEEP (1: keep the chain and the stores), SLEUTH (the binary measured; default build/sleuth)
# The chain is generated once (deterministic: gen_blk --seed) into OUTDIR/chain-TOTAL-SEED
# in 64 MiB files; a size is the first files holding at least that many transactions
# (the exact count is the ingest's own report).
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-bench/out}
SIZES=${SIZES:-"1000000 5000000 20000000 50000000"}
APPEND=${APPEND:-1000000}
SEED=${SEED:-7}
BASE=${BASE:-}
BASE_SIZES=${BASE_SIZES:-"1000000 5000000"}
MEM=${MEM:-}
KEEP=${KEEP:-0}
S=${SLEUTH:-$PWD/build/sleuth} # SLEUTH: a copy, so rebuilding during a long run cannot swap it

make -s
make -s bench
mkdir -p "$OUT"
MAX=0
for n in $SIZES; do [ "$n" -gt "$MAX" ] && MAX=$n; done
TOTAL=$((MAX + APPEND + APPEND / 4))
CH=$OUT/chain-$TOTAL-$SEED

echo "== machine: nproc $(nproc), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== generate $TOTAL txs (seed $SEED)"
if [ ! -f "$CH/DONE" ]; then
    rm -rf "$CH"
    mkdir -p "$CH"
    build/bench/gen_blk --txs "$TOTAL" --seed "$SEED" --file-mb 64 --bits 0x207fffff "$CH" > "$CH/gen.txt"
    touch "$CH/DONE"
fi
grep -E "^(blocks|txs|files)" "$CH/gen.txt" || true
GEN_TXS=$(awk '$1 == "txs" { print $2 }' "$CH/gen.txt")
GEN_BYTES=$(cat "$CH"/blk*.dat | wc -c)
echo "chain: $GEN_TXS txs, $GEN_BYTES bytes"

# files_for N: the first blk files holding >= N txs (by the chain's mean bytes per tx)
files_for() {
    awk -v n="$1" -v tx="$GEN_TXS" -v by="$GEN_BYTES" 'BEGIN { need = n * by / tx }
        { sum += $1; print $2; if (sum >= need) exit }' <<EOF
$(for f in "$CH"/blk*.dat; do printf '%s %s\n' "$(stat -c %s "$f")" "$f"; done)
EOF
}

# run LABEL STORE BIN FILES...: one ingest under GNU time; prints a RESULT line
run() {
    label=$1 st=$2 bin=$3
    shift 3
    /usr/bin/time -f "%U %S %e %M" -o "$OUT/time.txt" "$bin" ingest btc --quiet --json --network regtest \
        --store "$st" "$@" > "$OUT/ingest.json"
    python3 - "$label" "$OUT/ingest.json" "$OUT/time.txt" "$(du -sB1 "$st" | cut -f1)" <<'PY'
import json, sys
label, js, tf, store = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split(), int(sys.argv[4])
u, s, w, rss = float(tf[0]), float(tf[1]), float(tf[2]), int(tf[3])
n = js["txs_added"]
print(f"RESULT {label} txs={n} cpu_s={u+s:.2f} wall_s={w:.2f} cpu_us_per_tx={(u+s)/n*1e6:.2f} "
      f"tx_per_s_wall={n/w:,.0f} tx_per_cpu_s={n/(u+s):,.0f} store_bytes={store} peak_rss_mib={rss/1024:.0f}")
PY
}

echo "== hashing floor (bench_parse over the first size's files)"
# shellcheck disable=SC2046
build/bench/bench_parse --reps 2 $(files_for "$(echo "$SIZES" | cut -d' ' -f1)") | grep -E "^(floor|parse|RESULT)"

for n in $SIZES; do
    echo "== fresh ingest of $n txs"
    rm -rf "$OUT/store"
    # shellcheck disable=SC2046
    run "fresh-$n" "$OUT/store" "$S" $(files_for "$n")
    if [ -n "$BASE" ] && echo " $BASE_SIZES " | grep -q " $n "; then
        rm -rf "$OUT/store-base"
        # shellcheck disable=SC2046
        run "base-fresh-$n" "$OUT/store-base" "$BASE" $(files_for "$n")
        rm -rf "$OUT/store-base"
    fi
done

echo "== append $APPEND txs to the $MAX store"
HAVE=$(files_for "$MAX" | wc -l)
NEXT=$(files_for "$((MAX + APPEND))" | tail -n +"$((HAVE + 1))")
B0=$(du -sB1 "$OUT/store" | cut -f1)
# shellcheck disable=SC2086
run "append-$APPEND" "$OUT/store" "$S" $NEXT
B1=$(du -sB1 "$OUT/store" | cut -f1)
echo "store grew by $((B1 - B0)) bytes"
echo "(compare its tx_per_s_wall with fresh-$(echo "$SIZES" | cut -d' ' -f1)'s: the issue asks >= 0.8)"

echo "== look-ups on the $MAX store (warm), then one cold round after dropping the page cache"
build/bench/bench_lookup --n 100000 --rounds 2 "$OUT/store" | grep -E "round|p50|RESULT"
if [ -w /proc/sys/vm/drop_caches ]; then
    sync
    echo 3 > /proc/sys/vm/drop_caches
    build/bench/bench_lookup --n 20000 --rounds 1 "$OUT/store" | grep -E "round|p50|RESULT"
fi

if [ -n "$MEM" ] && [ -d /sys/fs/cgroup/memory ]; then
    echo "== $MAX txs inside a $MEM memory cgroup, --memory $MEM"
    rm -rf "$OUT/store"
    CG=/sys/fs/cgroup/memory/sleuth-bench
    mkdir -p "$CG"
    python3 -c "
import re,sys; m=re.match(r'([0-9.]+)([KMG]?)', '$MEM'); v=float(m[1])*{'':1,'K':1<<10,'M':1<<20,'G':1<<30}[m[2]]
open('$CG/memory.limit_in_bytes','w').write(str(int(v)))"
    # shellcheck disable=SC2046
    sh -c "echo \$\$ > $CG/tasks; exec /usr/bin/time -f '%U %S %e %M' -o $OUT/time.txt $S ingest btc --quiet --json \
        --network regtest --memory $MEM --store $OUT/store $(files_for "$MAX" | tr '\n' ' ')" > "$OUT/ingest.json"
    python3 - "$OUT/ingest.json" "$OUT/time.txt" <<'PY'
import json, sys
js, tf = json.load(open(sys.argv[1])), open(sys.argv[2]).read().split()
u, s, w, rss = float(tf[0]), float(tf[1]), float(tf[2]), int(tf[3])
n = js["txs_added"]
print(f"RESULT memory-limited txs={n} cpu_s={u+s:.2f} wall_s={w:.2f} tx_per_s_wall={n/w:,.0f} peak_rss_mib={rss/1024:.0f}")
PY
    echo "cgroup peak: $(cat $CG/memory.max_usage_in_bytes) bytes"
    rmdir "$CG" 2>/dev/null || true
fi
[ "$KEEP" = 1 ] || rm -rf "$OUT/store" "$CH"
