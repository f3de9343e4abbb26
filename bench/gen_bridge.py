#!/usr/bin/env python3
"""gen_bridge.py — a busy bridge for bench/bench_bridge.sh: N deposits on ethereum into one
deposit address and their N releases on arbitrum from one release address, as JSON-RPC dumps
(`sleuth ingest eth`), plus the bridge's pairing rule.

    bench/gen_bridge.py OUT_DIR N

ethereum: block 1 funds 1,000 users (from a funder with no history); then 100 deposits a
block (12 s apart), user i % 1000 paying the deposit address D (1 + i % 97) * 10^15 wei.
arbitrum: block 1 funds the release address R; then R pays each depositor 0.1% less, 60 s
after the deposit, in the same order. Every deposit pairs with its own release under the
rule (window 3600 s, fee <= 50 bps, same address). Prints the hash of deposit N/2, the one
the bench traces from."""
import os
import sys

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
T0, USERS, PER = 1700000000, 1000, 100
D = "0xb1d9e000000000000000000000000000000000d1"
R = "0xb1d9e000000000000000000000000000000000e1"
F = "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"


def user(i):
    return "0x%040x" % (0x5500000000 + i % USERS)


def write_chain(path, tag, first, txs):
    """txs: (from, to, value, time) after the funding block `first` (a list of the same)."""
    with open(path, "w") as f:
        blocks = [first] + [txs[i:i + PER] for i in range(0, len(txs), PER)]
        k = 0
        for b, chunk in enumerate(blocks, 1):
            bh = "0x%064x" % (tag << 40 | b)
            ph = "0x%064x" % (tag << 40 | (b - 1))
            ts = chunk[0][3]
            items = []
            receipts = []
            for j, (fr, to, v, _) in enumerate(chunk):
                k += 1
                h = "0x%064x" % (tag << 48 | k)
                items.append('{"hash":"%s","from":"%s","to":"%s","value":"0x%x","gas":"0x5208","gasPrice":"0x0",'
                             '"input":"0x","nonce":"0x%x","transactionIndex":"0x%x","blockNumber":"0x%x","blockHash":"%s"}'
                             % (h, fr, to, v, k, j, b, bh))
                receipts.append('{"jsonrpc":"2.0","id":%d,"result":{"transactionHash":"%s","transactionIndex":"0x%x",'
                                '"blockNumber":"0x%x","blockHash":"%s","cumulativeGasUsed":"0x5208","gasUsed":"0x5208",'
                                '"effectiveGasPrice":"0x0","status":"0x1","logs":[],"from":"%s","to":"%s",'
                                '"contractAddress":null}}\n' % (k, h, j, b, bh, fr, to))
            f.write('{"jsonrpc":"2.0","id":%d,"result":{"number":"0x%x","hash":"%s","parentHash":"%s","timestamp":"0x%x",'
                    '"miner":"0x9999999999999999999999999999999999999999","transactions":[%s]}}\n'
                    % (b, b, bh, ph, ts, ",".join(items)))
            f.writelines(receipts)


deps, rels = [], []
for i in range(n):
    t = T0 + 12 * (1 + i // PER)
    v = (1 + i % 97) * 10**15
    deps.append((user(i), D, v, t))
    rels.append((R, user(i), v - v // 1000, t + 60))
write_chain(os.path.join(out, "eth.jsonl"), 0xe, [(F, user(i), 10**24, T0) for i in range(USERS)], deps)
write_chain(os.path.join(out, "arb.jsonl"), 0xa, [(F, R, 10**27, T0)], rels)
with open(os.path.join(out, "rules.yaml"), "w") as f:
    f.write("bridges:\n  - name: busy-bridge\n    from: {chain: ethereum, address: \"%s\"}\n"
            "    to: {chain: arbitrum, address: \"%s\"}\n    window: 3600\n    max_fee_bps: 50\n"
            "    same_address: true\n" % (D, R))
print("0x%064x" % (0xe << 48 | (USERS + n // 2 + 1)))
