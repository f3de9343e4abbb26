#!/bin/sh
# bench_trace_cmp.sh — the tracing engine beside an older build, in one run (issue 10).
#   bench/bench_trace_cmp.sh btc  OLD_BENCH_DIR STORE [ROUNDS] [HEIGHT] [MAX_NODES]
#   bench/bench_trace_cmp.sh acct OLD_BENCH_DIR STORE [ROUNDS] [TX_ID] [MAX_NODES]
# OLD_BENCH_DIR holds bench_trace and bench_trace_acct built from the older commit (e.g.
# `git worktree add /tmp/old d4402ad && make -C /tmp/old build/sleuth bench`, then
# /tmp/old/build/bench). Runs the old and the new bench alternately ROUNDS times (default
# 3) on the same store and prints, per policy (and direction), the best CPU seconds of
# each, their ratio and the flow steps per second; for btc also each one's rate as a
# fraction of the plain store walk's, measured in the same process. On a shared machine
# only ratios of one run mean anything.
set -e
KIND=$1; OLD=$2; STORE=$3; ROUNDS=${4:-3}
NEW=$(dirname "$0")/../build/bench
if [ "$KIND" = btc ]; then BIN=bench_trace; A1=${5:-1}; A2=${6:-5000000};
elif [ "$KIND" = acct ]; then BIN=bench_trace_acct; A1=${5:-0}; A2=${6:-1000000};
else echo "usage: $0 btc|acct OLD_BENCH_DIR STORE [ROUNDS] [ARG] [MAX_NODES]" >&2; exit 2; fi
[ -x "$OLD/$BIN" ] && [ -x "$NEW/$BIN" ] || { echo "$0: $BIN missing in $OLD or $NEW (make bench)" >&2; exit 2; }
OUT=$(mktemp -d)
i=0
while [ $i -lt "$ROUNDS" ]; do
    "$OLD/$BIN" "$STORE" "$A1" "$A2" > "$OUT/old.$i"
    "$NEW/$BIN" "$STORE" "$A1" "$A2" > "$OUT/new.$i"
    i=$((i + 1))
done
python3 - "$OUT" "$ROUNDS" "$KIND" <<'PY'
import sys
out, rounds, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
POL = ("poison", "haircut", "fifo", "lifo", "tiho", "baseline")
def read(which):
    best = {}
    for i in range(rounds):
        for line in open(f"{out}/{which}.{i}"):
            f = line.split()
            if not f or f[0] not in POL or len(f) < 5: continue
            if kind == "btc": key, flows, sec = f[0], int(f[2]), float(f[3])
            elif f[0] == "baseline": key, flows, sec = "baseline", int(f[3]), float(f[4])
            else: key, flows, sec = f"{f[0]} {f[1]}", int(f[3]), float(f[4])
            if key not in best or sec < best[key][1]: best[key] = (flows, sec)
    return best
o, n = read("old"), read("new")
walk = lambda b: b["baseline"][0] / b["baseline"][1]
print(f"{'policy':18} {'flows':>10} {'old cpu-s':>10} {'new cpu-s':>10} {'new/old':>8} {'old M/s':>8} {'new M/s':>8}"
      + (f" {'old:walk':>9} {'new:walk':>9}" if kind == "btc" else ""))
for key in sorted(o, key=lambda k: (k == "baseline", POL.index(k.split()[0]), k)):
    (fo, so), (fn, sn) = o[key], n[key]
    assert fo == fn, f"{key}: the engines routed {fo} and {fn} flows"
    rate = lambda f, s: f / s / 1e6 if s > 0 else float("inf")
    line = f"{key:18} {fn:>10,} {so:>10.3f} {sn:>10.3f} {sn / so if so else 0:>8.2f} {rate(fo, so):>8.2f} {rate(fn, sn):>8.2f}"
    if kind == "btc": line += f" {rate(fo, so) * 1e6 / walk(o):>9.2f} {rate(fn, sn) * 1e6 / walk(n):>9.2f}"
    print(line)
PY
rm -rf "$OUT"
