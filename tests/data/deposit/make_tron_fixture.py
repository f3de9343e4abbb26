#!/usr/bin/env python3
"""make_tron_fixture.py - writes tron_blocks.json, tron_transactions.json, tron_logs.json:
a hand-checked Tron deposit fixture in the GraphSense Tron schema sleuth ingests (the
records are copies of the real ones in tests/data/tron with their fields changed; needs
zstdcat). Truth in tests/test_deposit.c (tron_fixture). Run from the repository root:
python3 tests/data/deposit/make_tron_fixture.py"""
import copy, json, subprocess

def load(name):
    return json.loads(subprocess.run(["zstdcat", "tests/data/tron/" + name], capture_output=True, check=True).stdout)

BT = load("trx_blocks.json.zst")[0]
TXS = load("trx_transactions.json.zst")
T_TRX = next(t for t in TXS if t["transaction_type"] == 1)
T_TRC20 = next(t for t in TXS if t["transaction_type"] == 31)
LT = load("trx_logs.json.zst")[0]
USDT = "0xa614f803b6fd780986a42c78ec9c7f77e6ded13c"   # USDT-TRC20, TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t
TRX = 10**6                                         # sun

def a(tag, n=0):
    return "0x" + tag * 19 + "%02x" % n

C1, C2, C3, C4 = a("c1"), a("c2"), a("c3"), a("c4")
D1, D2, D3, D4 = a("d1"), a("d2"), a("d3"), a("d4")
H = a("a1")

blocks = {
    100: [("trx", C1, D1, 100 * TRX), ("trx", C2, D2, 250 * TRX), ("usdt", C3, D3, 1000 * 10**6),
          ("trx", C4, D4, 50 * TRX)],
    130: [("trx", D1, H, 99 * TRX)],                 # 1 TRX short: within alpha (2 TRX)
    140: [("trx", D2, H, 2495 * TRX // 10)],         # 0.5 TRX short
    150: [("usdt", D3, H, 1000 * 10**6)],            # exact
    160: [("trx", D4, H, 45 * TRX)],                 # 5 TRX short: outside alpha
    170: [("trx", H, a("77", i), 10 * TRX) for i in range(3)],   # withdrawals
}
ob, ot, ol = [], [], []
n = 0
for num in sorted(blocks):
    number = 60000000 + num
    bh = "0x%064x" % (0xb0000000 + number)
    b = copy.deepcopy(BT)
    b.update(parent_hash="0x%064x" % (0xb0000000 + number - 1), block_hash=bh, block_id=number,
             block_id_group=number // 1000, partition=number // 100000, timestamp=1700000000 + 3 * num,
             transaction_count=len(blocks[num]), size=1000, gas_used=0)
    ob.append(b)
    for i, (kind, f, to, v) in enumerate(blocks[num]):
        n += 1
        h = "0x%064x" % (0xd000 + n)
        t = copy.deepcopy(T_TRX if kind == "trx" else T_TRC20)
        t.update(transaction_index=i, from_address=f, to_address=to if kind == "trx" else USDT,
                 value=v if kind == "trx" else 0, block_timestamp=b["timestamp"], block_hash=bh, tx_hash=h,
                 tx_hash_prefix=h[2:7], block_id=number, block_id_group=number // 1000, partition=number // 100000,
                 receipt_cumulative_gas_used=0, receipt_gas_used=0, gas=0, nonce=0)
        if kind == "usdt":
            t["input"] = "0xa9059cbb" + "0" * 24 + to[2:] + "%064x" % v
            l = copy.deepcopy(LT)
            l.update(log_index=len(ol), transaction_index=i, block_hash=bh, address=USDT, data="0x%064x" % v,
                     topics=[LT["topics"][0], "0x" + "0" * 24 + f[2:], "0x" + "0" * 24 + to[2:]], tx_hash=h,
                     block_id=number, block_id_group=number // 1000, partition=number // 100000)
            ol.append(l)
        ot.append(t)
for name, recs in (("tron_blocks.json", ob), ("tron_transactions.json", ot), ("tron_logs.json", ol)):
    with open("tests/data/deposit/" + name, "w") as f:
        json.dump(recs, f, indent=0)
        f.write("\n")
