#!/usr/bin/env python3
"""Writes bybit_phemex.jsonl: a small Ethereum fixture in the JSON-RPC format sleuth ingests
(eth_getBlockByNumber with full transactions, then eth_getTransactionReceipt of each), for
`sleuth link`'s test of the Phemex <-> Bybit link on the commingling address.

The ADDRESSES are the real ones of ../shared/data/tags/incidents (bybit_2025-02-21.csv,
incidents_rekt_news.csv): Bybit's direct theft receiver 0x47666fab..., one of Bybit's
laundering addresses 0x1542368a..., Phemex's attacker 0x5b34414e..., and the commingling
address 0x33d057af... that ZachXBT found receiving from the initial theft addresses of
both. The block numbers and times are those of the days the incidents name (Phemex
2025-01-23, Bybit 2025-02-21, the commingling 2025-02-22). The TRANSACTION HASHES, block
hashes and amounts are NOT the chain's: the shared data holds no transactions of these
addresses, so they are made up here (hashes count up from 0x...c0de0001) and say so by
their shape. Deterministic: run it again to get the same file.
"""
import json

BYBIT = "0x47666fab8bd0ac7003bce3f5c3585383f09486e2"      # theft receiver
BYBIT_L = "0x1542368a03ad1f03d96d51b414f4738961cf4443"    # a Bybit laundering address (FBI list)
PHEMEX = "0x5b34414e95a8b8d0b16a39baf5b97cec1d517e22"     # Phemex attacker
MIX = "0x33d057af74779925c4b2e720a820387cb89f8f65"        # the commingling address
OUT = "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"        # where MIX paid on (made up)
EARLY = "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1"      # paid by MIX in January (made up)
NOISE_A = "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
NOISE_B = "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
ETH = 10**18

# (number, unix time, [(from, to, wei)])
BLOCKS = [
    (21684000, 1737633611, [(PHEMEX, MIX, 120 * ETH), (NOISE_A, NOISE_B, 1 * ETH), (MIX, EARLY, 5 * ETH)]),
    (21895000, 1740150011, [(BYBIT, BYBIT_L, 500 * ETH)]),
    (21900000, 1740210011, [(BYBIT_L, MIX, 300 * ETH), (BYBIT, MIX, 40 * ETH)]),
    (21905000, 1740270011, [(MIX, OUT, 450 * ETH)]),
]

def h(n):
    return "0x" + format(n, "064x")

lines = []
txn = 0xC0DE0000
for bi, (num, ts, txs) in enumerate(BLOCKS):
    bhash, parent = h(0xB10C0000 + num), h(0xB10C0000 + (BLOCKS[bi - 1][0] if bi else num - 1))
    btxs, rcpts = [], []
    for i, (fr, to, v) in enumerate(txs):
        txn += 1
        t = {"hash": h(txn), "from": fr, "to": to, "value": hex(v), "gas": "0x5208", "gasPrice": "0x0",
             "input": "0x", "nonce": hex(txn & 0xff), "transactionIndex": hex(i), "blockNumber": hex(num),
             "blockHash": bhash}
        btxs.append(t)
        rcpts.append({"transactionHash": t["hash"], "transactionIndex": hex(i), "blockNumber": hex(num),
                      "blockHash": bhash, "cumulativeGasUsed": hex(21000 * (i + 1)), "gasUsed": "0x5208",
                      "effectiveGasPrice": "0x0", "status": "0x1", "logs": [], "from": fr, "to": to,
                      "contractAddress": None})
    block = {"number": hex(num), "hash": bhash, "parentHash": parent, "timestamp": hex(ts),
             "miner": "0x9999999999999999999999999999999999999999", "transactions": btxs}
    lines.append({"jsonrpc": "2.0", "id": 1, "result": block})
    lines += [{"jsonrpc": "2.0", "id": 1, "result": r} for r in rcpts]

with open("bybit_phemex.jsonl", "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
