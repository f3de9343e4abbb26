#!/bin/sh
# bench_deposit.sh — deposit-address clustering on a generated chain with known owners:
# generates it (bench/gen_deposit.c), ingests it, and prints precision, recall and speed
# (bench/bench_deposit.c). docs/DEPOSIT.md holds the figures of a run.
#   bench/bench_deposit.sh [NBLOCKS [ACTIONS_PER_BLOCK [SEED]]]     (defaults 20000 20 1)
# From the repository root after `make build/sleuth bench`. Uses $TMPDIR (default /tmp).
set -eu
NB=${1:-20000} APB=${2:-20} SEED=${3:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-deposit.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/in"
build/bench/gen_deposit "$W/in" "$NB" "$APB" "$SEED"
build/sleuth ingest eth --store "$W/s" "$W"/in/chain-*.jsonl
build/bench/bench_deposit "$W/s" "$W/in/truth.csv"
