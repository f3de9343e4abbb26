#!/usr/bin/env python3
"""make_eth.py — writes tornado_chain.jsonl, the Ethereum fixture of tests/test_detect.c: per
block an eth_getBlockByNumber answer (full transactions), an eth_getBlockReceipts answer and a
trace_block answer (parity traces: every tx's top call, and the Tornado pool's payouts as
internal calls), in the shape `sleuth gen world` writes. Gas prices make Tutela's rule
checkable by hand (wei; 1 ETH = 10**18):

  block 1 (t0)        V -> S 100 ETH (the theft, tx 0x..f001);
                      S -> F1..F5 20 ETH each (fan-out, equal slices; gas 7 gwei);
                      W2 -> F1 0.01 ETH three times (W2 and F1 linked by 3 txs; gas 20 gwei)
  block 2 (t0+600)    deposits into the 10 ETH pool 0x910cbd52…: F1 and F2 (gas 13.37 gwei,
                      no one else's), U1 and U2 (gas 20 gwei); each logs Tornado Deposit
  block 3 (t0+4200)   withdrawals, relayer R -> pool (value 0), pool pays recipient 9.9 ETH
                      and R 0.1 ETH, logs Withdrawal:
                        wd1 -> W1, gas 13.37 gwei  (unique gas price: lead 0.7)
                        wd2 -> F3, gas 20 gwei     (address match: F3 is a fan-out slice: 0.9)
                        wd3 -> W2, gas 20 gwei     (3 linking txs with depositor F1: 0.5)
                        wd4 -> U3, gas 20 gwei     (amount and timing only: no lead)
Run: python3 tests/data/detect/make_eth.py > tests/data/detect/tornado_chain.jsonl
"""
import json

ETH = 10**18
GWEI = 10**9
T0 = 1740000000
POOL = "910cbd523d972eb0a6f4cae4618ad62622b39dbf"
T_TC_DEPOSIT = "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196"
T_TC_WITHDRAWAL = "e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931"
A = {n: (h * 20) for n, h in [("S", "5e"), ("F1", "f1"), ("F2", "f2"), ("F3", "f3"), ("F4", "f4"), ("F5", "f5"),
                                ("U1", "a1"), ("U2", "a2"), ("U3", "a3"), ("W1", "b1"), ("W2", "b2"), ("R", "ee"), ("V", "7a")]}
MINER = "99" * 20


def h32(n):
    return "0x%064x" % n


def word(v):
    return ("00" * 12 + v) if isinstance(v, str) else "%064x" % v


class Chain:
    def __init__(self):
        self.txn = 0
        self.out = []

    def block(self, number, t, txs):
        bh = h32(0xB000 + number)
        full, receipts, traces = [], [], []
        for i, tx in enumerate(txs):
            self.txn += 1
            th = h32(0xF000 + self.txn)
            tx["hash"] = th
            full.append({"hash": th, "from": "0x" + tx["from"], "to": "0x" + tx["to"], "value": hex(tx["value"]),
                         "gas": "0x30d40", "gasPrice": hex(tx["gas"]), "input": tx.get("input", "0x"),
                         "nonce": hex(self.txn), "transactionIndex": hex(i), "blockNumber": hex(number),
                         "blockHash": bh})
            logs = []
            for k, (topics, data) in enumerate(tx.get("logs", [])):
                logs.append({"address": "0x" + POOL, "topics": topics, "data": data, "blockNumber": hex(number),
                             "transactionHash": th, "transactionIndex": hex(i), "blockHash": bh,
                             "logIndex": hex(k), "removed": False})
            receipts.append({"transactionHash": th, "transactionIndex": hex(i), "blockHash": bh,
                             "blockNumber": hex(number), "from": "0x" + tx["from"], "to": "0x" + tx["to"],
                             "cumulativeGasUsed": "0x30d40", "gasUsed": "0x5208", "effectiveGasPrice": hex(tx["gas"]),
                             "contractAddress": None, "status": "0x1", "type": "0x0", "logs": logs})
            calls = [(tx["from"], tx["to"], tx["value"], [])] + [(POOL, to, v, [k]) for k, (to, v) in
                                                                 enumerate(tx.get("internal", []))]
            for frm, to, v, addr in calls:
                traces.append({"action": {"callType": "call", "from": "0x" + frm, "to": "0x" + to, "value": hex(v),
                                          "gas": "0x0", "input": "0x"},
                               "blockHash": bh, "blockNumber": number, "result": {"gasUsed": "0x0", "output": "0x"},
                               "subtraces": len(tx.get("internal", [])) if not addr else 0, "traceAddress": addr,
                               "transactionHash": th, "transactionPosition": i, "type": "call"})
        self.out.append({"jsonrpc": "2.0", "id": number, "result": {
            "number": hex(number), "hash": bh, "parentHash": h32(0xB000 + number - 1), "timestamp": hex(t),
            "miner": "0x" + MINER, "transactions": full}})
        self.out.append({"jsonrpc": "2.0", "id": number, "result": receipts})
        self.out.append({"jsonrpc": "2.0", "id": number, "result": traces})


def deposit(frm, gas, n):
    return {"from": A[frm], "to": POOL, "value": 10 * ETH, "gas": gas, "input": "0xb214faa5" + "%064x" % n,
            "logs": [(["0x" + T_TC_DEPOSIT, h32(0xC000 + n)], "0x" + word(n) + word(T0 + 600))]}


def withdrawal(to, gas, n):
    data = "0x" + word(A[to]) + "%064x" % (0xD000 + n) + word(ETH // 10)
    return {"from": A["R"], "to": POOL, "value": 0, "gas": gas, "input": "0x21a0adb6" + "%064x" % n,
            "internal": [(A[to], 99 * ETH // 10), (A["R"], ETH // 10)],
            "logs": [(["0x" + T_TC_WITHDRAWAL, "0x" + word(A["R"])], data)]}


c = Chain()
c.block(1, T0, [{"from": A["V"], "to": A["S"], "value": 100 * ETH, "gas": 7 * GWEI}] +
        [{"from": A["S"], "to": A["F%d" % k], "value": 20 * ETH, "gas": 7 * GWEI} for k in range(1, 6)] +
        [{"from": A["W2"], "to": A["F1"], "value": ETH // 100, "gas": 20 * GWEI} for _ in range(3)])
c.block(2, T0 + 600, [deposit("F1", 13370000000, 1), deposit("F2", 13370000000, 2), deposit("U1", 20 * GWEI, 3),
                      deposit("U2", 20 * GWEI, 4)])
c.block(3, T0 + 4200, [withdrawal("W1", 13370000000, 1), withdrawal("F3", 20 * GWEI, 2),
                       withdrawal("W2", 20 * GWEI, 3), withdrawal("U3", 20 * GWEI, 4)])
for o in c.out:
    print(json.dumps(o))
