#!/bin/sh
# make demo: ingest the bundled real mainnet blocks into a fresh store and show what
# sleuth answers about them, then run sleuth's main job on a generated three-chain world (a
# DMM-style theft laundered through CoinJoin, THORChain, a DEX and a USDT bridge to Tron:
# detect, trace, report) — Bitcoin's first transfer (block 170, Satoshi to Hal
# Finney), an address history, and a 2024 block with its fees reconciled.
set -e
cd "$(dirname "$0")/.."
S=${SLEUTH_DEMO_STORE:-build/demo-store}
B=build/sleuth
D=tests/data/btc
rm -rf "$S"
echo "== ingest heights 0-599 (blk*.dat framing), then 14 single mainnet blocks with their spent outputs"
$B ingest btc --store "$S" $D/consecutive/*.dat
echo "== a reorg, as a watcher meets it: undo the blocks above height 589, then ingest them again"
$B rollback --store "$S" --chain btc --to 589
$B ingest btc --store "$S" $D/consecutive/*.dat
$B ingest btc --store "$S" $D/blocks/* $(for f in $D/prevouts/*; do printf -- '--prevouts %s ' "$f"; done)
echo
echo "== sleuth info"
$B info --store "$S"
echo
echo "== the first bitcoin transfer: sleuth tx f4184fc5…"
$B tx --store "$S" f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16
echo
echo "== Satoshi's block-9 key: sleuth address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
$B address --store "$S" 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S
echo
echo "== a 2024 block (fees from the bundled spent-output view): sleuth block 866342 --json"
$B block --store "$S" 866342 --json | head -c 900; echo " …"
echo
echo "== follow the money: Satoshi's block-9 coinbase forward (haircut), every satoshi accounted for"
$B trace --store "$S" --tx 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9:0 --policy haircut --top 3
echo
echo "== Ethereum: block 18,000,011 (2023) with its receipts, logs and traces"
$B ingest eth --store "$S" tests/data/eth/graphsense
$B tx --store "$S" 0x60d0277e1dbdfa137994565b8a99a21bcfb0676adec6eb7b907430dcbb6e6a5e
echo
echo "== the Bybit Safe transaction (nonce 71) checked before signing: exit status 3 means do not sign"
$B safe verify tests/data/safe/bybit_safe_tx_nonce71.json | head -12 || true
echo
echo "== attribution: the incident library every new store gets (sleuth incidents), and one of them"
$B incidents --store "$S" | head -8
$B tags show --store "$S" 1B6rJRfjTXwEy36SCs5zofGMmdv2kdZw7P | head -8
echo
echo "== OFAC's SDN list imported: the Ronin bridge exploiter is Lazarus Group"
$B tags import --store "$S" tests/data/tags/ofac/sdn_advanced_2025-11-19.xml.bz2 | tail -1
$B tags show --store "$S" 0x098B716B8Aaf21512996dC57EB0615e2383E2f96 | grep -A4 "OFAC"
echo
echo "== clustering (common-input ownership, CoinJoins excluded) and the evidence of a merge"
$B cluster build --store "$S"
$B cluster show --store "$S" 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py
$B cluster why --store "$S" 1DNdPgBZRWjDj1JbVZQEYMv7jvqJF7R4Py 1ADpf5rHERc2PmVAZZFoH7WbougKvkPDVD
echo
echo "== linking thefts: what the Bybit and Phemex incidents share (the commingling address)"
$B link --store "$S" bybit-2025 phemex-2025 | head -12
echo
echo "== laundering analysis: a generated DMM-style world on Bitcoin, Ethereum and Tron (sleuth gen"
echo "   world), ingested, the stages detected, the loot traced across THORChain and the USDT bridge"
echo "   to Tron (the world ships the bridge's pairing rule, tags/bridges.yaml), the incident reported"
W=build/world-dmm-1; WS=build/world-store
rm -rf "$W" "$WS"
$B gen world --recipe dmm --seed 1 --out "$W" --quiet
$B ingest btc --network regtest --store "$WS" "$W/btc" --quiet
$B ingest eth --store "$WS" --chain ethereum "$W/eth" --quiet
$B ingest tron --store "$WS" "$W/tron" --quiet
$B tags import --store "$WS" "$W"/tags/*.yaml "$W/incidents.yaml" | tail -1
THEFT=$(sed -n "s/^- tx_hash: '\\([0-9a-f]*\\)'.*/\\1/p" "$W/tags/incident.tagpack.yaml" | head -1)
echo "-- detect (first lines; suspects at the end of the report)"
$B detect --store "$WS" --incident world-dmm-1 > build/world-detect.txt
head -5 build/world-detect.txt
sed -n '/^suspect addresses/,$p' build/world-detect.txt | head -8
echo "-- the theft traced forward (haircut) through CoinJoins, THORChain BTC -> ETH, a DEX into USDT"
echo "   and the bridge to Tron, where most of it reached an OTC desk"
$B trace --store "$WS" --tx "$THEFT:0" --policy haircut --top 3 > build/world-trace.txt
head -32 build/world-trace.txt
echo "   ... (all of it in build/world-trace.txt); its top path, from the theft to the Tron OTC desk:"
sed -n '/^  #1 /,/^  #2 /p' build/world-trace.txt | sed '$d'
echo "-- the incident report (text head; the HTML is self-contained: open it in a browser)"
$B incident report --store "$WS" world-dmm-1 --html build/incident-world-dmm-1.html | head -30
echo "   HTML report: build/incident-world-dmm-1.html"
$B incident compare --store "$WS" world-dmm-1 bybit-2025 | head -24
echo
echo "== screening: every tagged source traced once (exposure build), then any address is a look-up"
$B exposure build --store "$WS" --quiet
DORMANT=$(grep -m1 ',thief,dormant' "$W/truth-addresses.csv" | cut -d, -f2)
$B screen --store "$WS" "$DORMANT" | head -8
echo "   watch the loot: $B watchlist add --store $WS --incident world-dmm-1 \\"
echo "                       --min-amount 0.1"
echo "   the API and the web UI: $B token create --store $WS --role analyst"
echo "                   $B serve --store $WS    # then http://127.0.0.1:8080/"
echo "Store left in $S (real blocks) and $WS (the generated world)"
echo "try: $B address --store $S 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
