#!/bin/sh
# tests/ui/fixture.sh — builds the store the browser test (tests/ui/e2e.mjs) runs against,
# from what the repository bundles only, in a few seconds:
#
#   - a generated three-chain world (`sleuth gen world --recipe dmm --seed 1`: Bitcoin regtest,
#     Ethereum and Tron, a DMM-style theft laundered through CoinJoin, THORChain, a DEX and a
#     USDT bridge to Tron, part of the loot dormant), its chains ingested, its bridge rule
#     imported with its tags;
#   - the real Ethereum mainnet block 18,000,011 with receipts, logs and traces
#     (tests/data/eth/graphsense), into the same `ethereum` chain;
#   - real tags: the world's TagPacks and incident record, GraphSense's public TagPacks
#     (tests/data/tags/graphsense: Lazarus, OFAC, Tornado Cash, Ronin, exchanges) and the
#     curated attribution index (tests/data/tags/csv/attribution_index.csv);
#   - the clustering and the exposure index built, and one analyst token.
#
# Why no real Bitcoin blocks: a store holds one Bitcoin-family network, and the generated
# world's Bitcoin is regtest (`sleuth ingest btc` refuses mainnet blocks into a regtest store:
# "magic f9beb4d9 belongs to bitcoin, the store's network is regtest"). The theft, its
# laundering, the incident and dormant funds — what the UI must show — are in the world; the
# real data is the Ethereum block and the tags. The OFAC SDN XML is left out because its
# import alone takes ~7 s; GraphSense's ofac.yaml carries the same sanctioned addresses.
#
# Usage: tests/ui/fixture.sh DIR    (DIR must not exist or be empty; $SLEUTH_BIN or build/sleuth)
# Writes DIR/s (the store), DIR/w (the world) and DIR/fixture.json:
#   {"store","token","incident","theft_tx","dormant_address","exploiter"}
set -e
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: tests/ui/fixture.sh DIR" >&2; exit 2; }
D=$1
B=${SLEUTH_BIN:-build/sleuth}
[ -x "$B" ] || { echo "fixture: $B is not built (make)" >&2; exit 1; }
if [ -e "$D" ] && [ -n "$(ls -A "$D")" ]; then echo "fixture: $D is not empty" >&2; exit 2; fi
mkdir -p "$D"
W=$D/w; S=$D/s
$B gen world --recipe dmm --seed 1 --out "$W" --quiet
$B ingest btc --network regtest --store "$S" "$W/btc" --quiet >/dev/null
$B ingest eth --store "$S" --chain ethereum "$W/eth" --quiet >/dev/null
$B ingest tron --store "$S" "$W/tron" --quiet >/dev/null
$B ingest eth --store "$S" --chain ethereum tests/data/eth/graphsense --quiet >/dev/null
$B tags import --store "$S" "$W"/tags/*.yaml "$W/incidents.yaml" \
   tests/data/tags/graphsense/*.yaml tests/data/tags/csv/attribution_index.csv >/dev/null
$B cluster build --store "$S" >/dev/null
$B exposure build --store "$S" --quiet
TOKEN=$($B token create --store "$S" --role analyst --label e2e 2>/dev/null)
THEFT=$(sed -n "s/^- tx_hash: '\\([0-9a-f]*\\)'.*/\\1/p" "$W/tags/incident.tagpack.yaml" | head -1)
EXPLOITER=$(grep -m1 ',thief,exploiter' "$W/truth-addresses.csv" | cut -d, -f2)
DORMANT=$(grep -m1 ',thief,dormant' "$W/truth-addresses.csv" | cut -d, -f2)
for v in "$TOKEN" "$THEFT" "$EXPLOITER" "$DORMANT"; do
  [ -n "$v" ] || { echo "fixture: the world lacks the token, theft, exploiter or dormant address" >&2; exit 1; }
done
cat > "$D/fixture.json" <<EOF
{"store": "$(cd "$S" && pwd)", "token": "$TOKEN", "incident": "world-dmm-1",
 "theft_tx": "$THEFT", "exploiter": "$EXPLOITER", "dormant_address": "$DORMANT"}
EOF
