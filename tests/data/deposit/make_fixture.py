#!/usr/bin/env python3
"""make_fixture.py - writes chain.jsonl, the hand-checked deposit-clustering fixture
(tests/test_deposit.c), as JSON-RPC responses sleuth ingests: per block
eth_getBlockByNumber (full txs), eth_getBlockReceipts, and trace_block where a block has
internal transfers. Gas price 0 so fees do not blur the amounts. The truth is in
tests/test_deposit.c's header comment. Run: python3 make_fixture.py > chain.jsonl"""
import json

E = 10**18
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

def a(tag, n=0):
    """An address: a 2-hex-digit tag repeated, the last byte n."""
    return "0x" + tag * 19 + "%02x" % n

C1, C2, C3, C6, C7, C8, C9 = a("c1"), a("c2"), a("c3"), a("c6"), a("c7"), a("c8"), a("c9")
D1, D2, D3, D4, D5 = a("d1"), a("d2"), a("d3"), a("d4"), a("d5")
E1, E2 = a("e1"), a("e2")
H1, H2, F = a("a1"), a("a2"), a("f0")
R, T, Q, M = a("b0"), a("b1"), a("b2"), a("b3")

ntx = [0]
def th():
    ntx[0] += 1
    return "0x" + "%064x" % (0xd000 + ntx[0])

def tx(frm, to, value, logs=(), internal=()):
    return {"hash": th(), "from": frm, "to": to, "value": value, "logs": list(logs), "internal": list(internal)}

def token(frm, to, amount):
    return tx(frm, USDT, 0, logs=[(USDT, frm, to, amount)])

blocks = {
    1000: [tx(C1, D1, 1 * E), tx(C6, D4, 1 * E), tx(C8, E1, 3 * E)],
    1001: [tx(C2, D2, 2 * E), tx(C9, E2, 4 * E)],
    1002: [token(C3, D3, 500 * 10**6)],
    1003: [tx(F, D3, 10**15)],                                  # gas top-up for the token sweep
    1005: [tx(C7, D5, 1 * E)],
    1006: [tx(D5, H1, 98 * 10**16)],                            # 0.02 ETH short: outside alpha
    1010: [tx(D1, H1, 999580000000000000)],
    1020: [tx(a("90", i), R, 1 * E, internal=[(R, T, 1 * E)]) for i in range(5)],   # a router
    1030: [tx(E1, H2, 2999900000000000000), tx(E2, H2, 3999900000000000000)],       # only 2 deposits
    1050: [token(D3, H1, 500 * 10**6)],
    1100: [tx(D2, H1, 1999500000000000000)],
    1200: [tx(C1, D1, E // 2)],
    1201: [tx(D1, H1, 499600000000000000)],
    4201: [tx(D4, H1, 999600000000000000)],                     # 3,201 blocks later: after tau
    1500: [tx(H1, a("77", i), E // 10) for i in range(3)] +     # withdrawals: H1 and H2 pay out
          [tx(H2, a("77", 3 + i), E // 10) for i in range(3)],
    1600: [tx(a("60", i), a("61", i), 2 * E) for i in range(3)],  # G1..G3 are paid, and pass it on
    1610: [tx(a("61", i), M, 2 * E - 10**15) for i in range(3)],  # to merchant M, who never pays out
}
for i in range(9):                                              # a relay with 9 customers
    assert 1300 + 2 * i not in blocks and 1301 + 2 * i not in blocks
    blocks[1300 + 2 * i] = [tx(a("80", i), Q, 10**17)]
    blocks[1301 + 2 * i] = [tx(Q, H1, 99900000000000000)]

out = []
for n in sorted(blocks):
    bh = "0x" + "%064x" % (0xb0000 + n)
    txs = blocks[n]
    out.append({"jsonrpc": "2.0", "id": 1, "result": {
        "number": hex(n), "hash": bh, "parentHash": "0x" + "%064x" % (0xb0000 + n - 1),
        "timestamp": hex(1700000000 + 12 * n), "miner": "0x" + "99" * 20,
        "transactions": [{"hash": t["hash"], "from": t["from"], "to": t["to"], "value": hex(t["value"]),
                          "gas": "0x30d40", "gasPrice": "0x0", "input": "0x", "nonce": hex(i),
                          "transactionIndex": hex(i), "blockNumber": hex(n), "blockHash": bh}
                         for i, t in enumerate(txs)]}})
    li = 0
    rec = []
    for i, t in enumerate(txs):
        logs = []
        for (tok, f, to, amt) in t["logs"]:
            logs.append({"address": tok, "topics": [TRANSFER, "0x" + "0" * 24 + f[2:], "0x" + "0" * 24 + to[2:]],
                         "data": "0x%064x" % amt, "blockNumber": hex(n), "transactionHash": t["hash"],
                         "transactionIndex": hex(i), "blockHash": bh, "logIndex": hex(li), "removed": False})
            li += 1
        rec.append({"transactionHash": t["hash"], "transactionIndex": hex(i), "blockHash": bh, "blockNumber": hex(n),
                    "from": t["from"], "to": t["to"], "cumulativeGasUsed": hex(21000 * (i + 1)), "gasUsed": "0x5208",
                    "effectiveGasPrice": "0x0", "contractAddress": None, "status": "0x1", "logs": logs})
    out.append({"jsonrpc": "2.0", "id": 2, "result": rec})
    if any(t["internal"] for t in txs):
        tr = []
        for i, t in enumerate(txs):
            tr.append({"action": {"callType": "call", "from": t["from"], "to": t["to"], "value": hex(t["value"]),
                                  "gas": "0x30d40", "input": "0x"}, "blockHash": bh, "blockNumber": n,
                       "result": {"gasUsed": "0x5208", "output": "0x"}, "subtraces": len(t["internal"]),
                       "traceAddress": [], "transactionHash": t["hash"], "transactionPosition": i, "type": "call"})
            for k, (f, to, v) in enumerate(t["internal"]):
                tr.append({"action": {"callType": "call", "from": f, "to": to, "value": hex(v), "gas": "0x1000",
                                      "input": "0x"}, "blockHash": bh, "blockNumber": n,
                           "result": {"gasUsed": "0x0", "output": "0x"}, "subtraces": 0, "traceAddress": [k],
                           "transactionHash": t["hash"], "transactionPosition": i, "type": "call"})
        out.append({"jsonrpc": "2.0", "id": 3, "result": tr})
for o in out:
    print(json.dumps(o, separators=(",", ":")))
