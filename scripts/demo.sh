#!/bin/sh
# make demo: ingest the bundled real mainnet blocks into a fresh store and show what
# sleuth answers about them — Bitcoin's first transfer (block 170, Satoshi to Hal
# Finney), an address history, and a 2024 block with its fees reconciled.
set -e
cd "$(dirname "$0")/.."
S=${SLEUTH_DEMO_STORE:-build/demo-store}
B=build/sleuth
D=tests/data/btc
rm -rf "$S"
echo "== ingest heights 0-599 (Bitcoin Core blk*.dat framing) and 14 single mainnet blocks with their spent outputs"
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
echo "Store left in $S — try: $B address --store $S 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
