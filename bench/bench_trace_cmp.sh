#!/bin/sh
# bench_trace_cmp.sh — the tracing engine beside an older build, in one run (issue 10).
#   bench/bench_trace_cmp.sh OLD_BENCH_DIR STORE [ROUNDS] [HEIGHT] [MAX_NODES]
# OLD_BENCH_DIR holds bench_trace built from the older commit (e.g. `git worktree add
# /tmp/old d4402ad && make -C /tmp/old build/sleuth bench`, then /tmp/old/build/bench).
# Runs the old and the new bench_trace alternately ROUNDS times (default 3) on the same
# store and prints, per policy, the best CPU seconds of each, their ratio, the flow steps
# per second, and each one's rate as a fraction of the plain store walk's steps per second
# measured in the same process: on a shared machine only ratios of one run mean anything.
set -e
OLD=$1; STORE=$2; ROUNDS=${3:-3}; HEIGHT=${4:-1}; NODES=${5:-5000000}
NEW=$(dirname "$0")/../build/bench
[ -x "$OLD/bench_trace" ] && [ -x "$NEW/bench_trace" ] || { echo "usage: $0 OLD_BENCH_DIR STORE [ROUNDS]" >&2; exit 2; }
OUT=$(mktemp -d)
i=0
while [ $i -lt "$ROUNDS" ]; do
    "$OLD/bench_trace" "$STORE" "$HEIGHT" "$NODES" > "$OUT/old.$i"
    "$NEW/bench_trace" "$STORE" "$HEIGHT" "$NODES" > "$OUT/new.$i"
    i=$((i + 1))
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import sys, glob
out, rounds = sys.argv[1], int(sys.argv[2])
def read(which):
    best = {}
    for i in range(rounds):
        for line in open(f"{out}/{which}.{i}"):
            f = line.split()
            if len(f) > 4 and f[0] in ("poison", "haircut", "fifo", "tiho", "baseline"):
                pol, flows, sec = f[0], int(f[2]), float(f[3])
                if pol not in best or sec < best[pol][1]: best[pol] = (flows, sec)
    return best
o, n = read("old"), read("new")
print(f"{'policy':8} {'flows':>10} {'old cpu-s':>10} {'new cpu-s':>10} {'new/old':>8} {'old M/s':>8} {'new M/s':>8} {'old:walk':>9} {'new:walk':>9}")
walk = lambda b: b['baseline'][0] / b['baseline'][1]
for pol in ("poison", "haircut", "fifo", "tiho", "baseline"):
    (fo, so), (fn, sn) = o[pol], n[pol]
    assert fo == fn, f"{pol}: the engines routed {fo} and {fn} flows"
    print(f"{pol:8} {fn:>10,} {so:>10.2f} {sn:>10.2f} {sn / so:>8.2f} {fo / so / 1e6:>8.2f} {fn / sn / 1e6:>8.2f}"
          f" {fo / so / walk(o):>9.2f} {fn / sn / walk(n):>9.2f}")
PY
rm -rf "$OUT"
