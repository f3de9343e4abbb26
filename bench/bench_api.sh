#!/bin/sh
# bench_api.sh — the HTTP API under load (issue 13 "Speed and load"): `sleuth serve` on
# loopback, driven by wrk (Debian) with keep-alive connections, for the same duration each
# in one run:
#   1. GET /v1/health           the ceiling: HTTP, routing and JSON with no store and no token
#   2. GET /v1/screen/<addr>    screening, addresses rotated from a file (bench/api_rotate.lua),
#                               with the bearer token (auth and the rate limit on every request)
#   3. GET /v1/address/<addr>   a store look-up over the same addresses, for comparison
# and prints throughput, p50/p99 latency and the error count of each, and the ratio of each to
# the health ceiling.
#
# Usage: bench/bench_api.sh
#   STORE=DIR      a store to serve (default: a generated world of $BG background txs, built
#                  here with its tags, clusters and, when the screening module has it, the
#                  exposure index)
#   ADDRS=FILE     addresses to screen, one a line (default: the first $NADDR (5000) of the
#                  world's truth-addresses.csv; with STORE and no ADDRS, the output addresses of
#                  the store's last 200 blocks); those the store does not hold are left out
#   BG=N           background txs of the generated world (default 20000)
#   TAGSET=N       extra tagged services in it (bench/world_tagset.py; default 2000, 0: none)
#   DUR=10s        wrk duration per endpoint;  CONNS=64 connections;  WRK_THREADS=2
#   THREADS=N      sleuth serve --threads (default: the cores)
#   PORT=18481     where to listen;  WORK=/tmp/sleuth-bench-api (scratch, removed at the end)
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build/sleuth
WORK=${WORK:-/tmp/sleuth-bench-api}
BG=${BG:-20000}
DUR=${DUR:-10s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
PORT=${PORT:-18481}
THREADS=${THREADS:-$(nproc)}
[ -x "$B" ] || make -s build/sleuth
command -v wrk >/dev/null || { echo "bench_api.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

if [ -z "${STORE:-}" ]; then
    STORE=$WORK/s
    echo "building a world of $BG background txs in $WORK ..." >&2
    $B gen world --recipe dmm --seed 1 --background-txs "$BG" --out "$WORK/w" --quiet
    $B ingest btc --network regtest --store "$STORE" "$WORK/w/btc" --quiet >/dev/null
    $B ingest eth --store "$STORE" --chain ethereum "$WORK/w/eth" --quiet >/dev/null
    $B ingest tron --store "$STORE" "$WORK/w/tron" --quiet >/dev/null
    $B tags import --store "$STORE" "$WORK"/w/tags/*.yaml "$WORK/w/incidents.yaml" >/dev/null
    if [ "${TAGSET:-2000}" -gt 0 ]; then # a realistic number of tagged services (bench/world_tagset.py)
        if python3 bench/world_tagset.py "$WORK/w" "$WORK/tagset.yaml" --count "${TAGSET:-2000}" >&2; then
            $B tags import --store "$STORE" "$WORK/tagset.yaml" >/dev/null
        else
            echo "(no extra tag set: a bigger BG or a smaller TAGSET)" >&2
        fi
    fi
    $B cluster build --store "$STORE" --quiet >/dev/null
    $B exposure build --store "$STORE" --quiet >/dev/null 2>&1 || echo "(no exposure index: $($B exposure build --store "$STORE" 2>&1 | head -1))" >&2
    [ -n "${ADDRS:-}" ] || { cut -d, -f2 "$WORK/w/truth-addresses.csv" | grep -v '^address$' | head -${NADDR:-5000} > "$WORK/addrs"; ADDRS=$WORK/addrs; }
fi
if [ -z "${ADDRS:-}" ]; then # the output addresses of the last 200 blocks of the store
    tip=$($B info --store "$STORE" --json | jq '.btc.tip_height // 0')
    lo=$((tip > 200 ? tip - 200 : 0))
    for h in $(seq "$lo" "$tip"); do
        $B block --store "$STORE" --json "$h" | jq -r '.txids[]' | head -50 | while read -r t; do
            $B tx --store "$STORE" --json "$t" | jq -r '.outputs[].address // empty'
        done
    done | sort -u > "$WORK/addrs"
    ADDRS=$WORK/addrs
fi
n=$(wc -l < "$ADDRS")
[ "$n" -gt 0 ] || { echo "bench_api.sh: no addresses in $ADDRS" >&2; exit 1; }
TOKEN=$($B token create --store "$STORE" --role read --label bench --quiet)

$B serve --store "$STORE" --listen "127.0.0.1:$PORT" --threads "$THREADS" --per-ip $((CONNS + 16)) --quiet &
SERVER=$!
i=0
until curl -sf "http://127.0.0.1:$PORT/v1/health" >/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "bench_api.sh: the server did not start" >&2; exit 1; }
    sleep 0.05
done
sleep 1.1 # the token table is reloaded within a second of the token's creation

# only addresses the store holds (a world lists users that never transacted): a 404 is an
# error to wrk, and the target is zero errors
python3 - "$ADDRS" "$PORT" "$TOKEN" > "$WORK/held" <<'PY'
import http.client, sys
path, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for a in open(path).read().split():
    c.request("GET", "/v1/address/%s?limit=1" % a, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    if r.status == 200:
        print(a)
PY
ADDRS=$WORK/held
n=$(wc -l < "$ADDRS")
[ "$n" -gt 0 ] || { echo "bench_api.sh: the store holds none of the addresses" >&2; exit 1; }

# one wrk run: label, path prefix ("" for health) -> "label rps p50 p99 errors"
run() {
    if [ -z "$2" ]; then
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DUR" --latency "http://127.0.0.1:$PORT/v1/health" > "$WORK/out"
    else
        ADDRS_FILE=$ADDRS PREFIX=$2 TOKEN=$TOKEN wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DUR" --latency \
            -s bench/api_rotate.lua "http://127.0.0.1:$PORT" > "$WORK/out"
    fi
    awk -v label="$1" '
        /^Requests\/sec/ {rps = $2}
        $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
        /Non-2xx or 3xx responses/ {err += $NF}
        /Socket errors/ {gsub(",", ""); err += $4 + $6 + $8 + $10}
        END {printf "%s %s %s %s %d\n", label, rps, p50, p99, err}' "$WORK/out"
}

echo "store: $STORE ($($B info --store "$STORE" --json | jq '[.chains[].txs] | add') txs), $n addresses, serve --threads $THREADS, wrk -t$WRK_THREADS -c$CONNS -d$DUR on $(nproc) cores"
echo
echo "| endpoint | requests/s | p50 | p99 | errors (non-2xx + socket) | vs health |"
echo "|---|---|---|---|---|---|"
run health "" > "$WORK/r-h"
run screen /v1/screen/ > "$WORK/r-s"
run address /v1/address/ > "$WORK/r-a"
base=$(awk '{print $2}' "$WORK/r-h")
for f in h s a; do
    awk -v base="$base" '{printf "| %s | %.0f | %s | %s | %d | %.2f |\n", $1, $2, $3, $4, $5, ($2 / base)}' "$WORK/r-$f"
done
[ "$(awk '{print $5}' "$WORK/r-s")" = 0 ] || echo "note: screens answered with errors (is the screening module built and the exposure index there?): $(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/screen/$(head -1 "$ADDRS")" | head -c 200)"
