#!/usr/bin/env python3
"""make_eth.py — writes eth_block.jsonl, the Ethereum JSON-RPC fixture of tests/test_annot.c:
one eth_getBlockByNumber answer (full transactions) and one eth_getBlockReceipts answer for
block 4660 (0x1234), whose transactions carry what ingest keeps for laundering analysis
(include/sleuth/annot.h). The ABI encoding is written out word by word here (head words,
then each dynamic string as length word + bytes padded to 32), so every value the test
asserts can be checked by hand against this file:

  tx 0  0x..a0  swapper -> DEX pool, 1 ETH, type 2 (maxFee 3 gwei, tip 1 gwei, base fee
                1 gwei; receipt effectiveGasPrice 2 gwei). Logs 0: USDT Transfer pool ->
                swapper 2,700,000,000 (2,700 USDT); 1: the pool's Uniswap V2 Swap(sender =
                router, amount0In 1e18, amount1In 0, amount0Out 0, amount1Out 2.7e9, to =
                swapper).
  tx 1  0x..a1  thief -> THORChain router, 2 ETH, legacy gasPrice 20 gwei, input
                depositWithExpiry(vault, 0, 2e18, memo, 1717200000); log 2: router
                Deposit(to = vault, asset = 0, amount 2e18, memo), memo
                "=:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0/1/0".
  tx 2  0x..a2  vault -> router, 0.5 ETH, gasPrice 25 gwei, input transferOut(dest, 0,
                5e17, memo); log 3: router TransferOut(vault, to = dest, asset 0, amount
                5e17, memo "OUT:" + 64 upper-case hex digits).
  tx 3  0x..a3  user -> vault, 0.1 ETH, input = the ASCII memo
                "SWAP:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0" (a THORChain memo
                in calldata), gasPrice 30 gwei.
  tx 4  0x..a4  the same kind of tx as 3 but failed (status 0): no annotation.
  tx 5  0x..a5  a Uniswap V3 pool's Swap with amount0 = -5 (two's complement) and a Tornado
                Cash Deposit(commitment, leafIndex 7, timestamp 1717200001) in one tx
                (logs 4 and 5), gasPrice 40 gwei, input a 36-byte call (not text).
Run: python3 tests/data/annot/make_eth.py > tests/data/annot/eth_block.jsonl
"""
import json

BLOCK = 0x1234
BHASH = "0x" + "00" * 30 + "12" + "34"
ROUTER = "d37bbe5744d730a1d98d8dc97c42f0ca46ad7146"
VAULT = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"
POOL = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
V3POOL = "b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3"
UNIROUTER = "7a250d5630b4cf539739df2c5dacb4c659f2488d"
USDT = "dac17f958d2ee523a2206206994597c13d831ec7"
TORNADO = "12d66f87a04a9e220743712ce6d9bb1b5616b8fc"  # the 0.1 ETH pool
SWAPPER = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
THIEF = "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e"
DEST = "de5de5de5de5de5de5de5de5de5de5de5de5de5d"
USER = "0505050505050505050505050505050505050505"
MINER = "9999999999999999999999999999999999999999"
INBOUND = "9A3F1C2B4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8"

T_TRANSFER = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
T_V2SWAP = "d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
T_V3SWAP = "c42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
T_DEPOSIT = "ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"
T_OUT = "a9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7"
T_TC_DEPOSIT = "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196"
SEL_DEPOSIT_EXPIRY = "44bc937b"  # depositWithExpiry(address,address,uint256,string,uint256)
SEL_TRANSFER_OUT = "574da717"    # transferOut(address,address,uint256,string)

DEPOSIT_MEMO = "=:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0/1/0"
OUT_MEMO = "OUT:" + INBOUND
INPUT_MEMO = "SWAP:BTC.BTC:bcrt1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh:0"
GWEI = 10**9
ETH = 10**18


def word(v):
    """One ABI head word: an int (two's complement when negative) or a 20-byte address."""
    if isinstance(v, str):
        return "00" * 12 + v
    return "%064x" % (v % (1 << 256))


def string_tail(s):
    """A dynamic string's tail: its length word, then its bytes zero-padded to 32."""
    b = s.encode().hex()
    pad = (-len(s)) % 32
    return word(len(s)) + b + "00" * pad


def abi(*args):
    """abi.encode of static words (ints, hex addresses) and dynamic strings (("s", text))."""
    heads, tails = [], []
    n = len(args)
    for a in args:
        if isinstance(a, tuple):  # ("s", text): a dynamic string
            heads.append(None)
            tails.append(string_tail(a[1]))
        else:
            heads.append(word(a))
    out, off = [], 32 * n
    k = 0
    for h in heads:
        if h is None:
            out.append(word(off))
            off += len(tails[k]) // 2
            k += 1
        else:
            out.append(h)
    return "".join(out) + "".join(tails)


def h(n):
    return "0x" + "00" * 31 + "%02x" % n


def tx(i, frm, to, value, gas_price, inp, typ=0, extra=None):
    t = {"hash": h(0xa0 + i), "from": "0x" + frm, "to": "0x" + to, "value": hex(value), "gas": hex(300000),
         "input": "0x" + inp, "nonce": hex(i), "transactionIndex": hex(i), "blockNumber": hex(BLOCK),
         "blockHash": BHASH, "type": hex(typ)}
    if typ == 2:
        t.update(extra)
        t["gasPrice"] = hex(gas_price)  # what nodes put there for type 2: the effective price
    else:
        t["gasPrice"] = hex(gas_price)
    return t


def log(i, addr, topics, data, txi):
    return {"address": "0x" + addr, "topics": ["0x" + t for t in topics], "data": "0x" + data,
            "logIndex": hex(i), "transactionIndex": hex(txi), "transactionHash": h(0xa0 + txi),
            "blockNumber": hex(BLOCK), "blockHash": BHASH, "removed": False}


def receipt(i, frm, to, gas_used, price, status, logs):
    return {"transactionHash": h(0xa0 + i), "transactionIndex": hex(i), "blockNumber": hex(BLOCK),
            "blockHash": BHASH, "from": "0x" + frm, "to": "0x" + to, "cumulativeGasUsed": hex(21000 * (i + 1)),
            "gasUsed": hex(gas_used), "effectiveGasPrice": hex(price), "status": hex(status), "logs": logs,
            "contractAddress": None, "type": "0x0"}


txs = [
    tx(0, SWAPPER, POOL, ETH, 2 * GWEI, "", 2, {"maxFeePerGas": hex(3 * GWEI), "maxPriorityFeePerGas": hex(GWEI)}),
    tx(1, THIEF, ROUTER, 2 * ETH, 20 * GWEI,
       SEL_DEPOSIT_EXPIRY + abi(VAULT, 0, 2 * ETH, ("s", DEPOSIT_MEMO), 1717200000)),
    tx(2, VAULT, ROUTER, ETH // 2, 25 * GWEI, SEL_TRANSFER_OUT + abi(DEST, 0, ETH // 2, ("s", OUT_MEMO))),
    tx(3, USER, VAULT, ETH // 10, 30 * GWEI, INPUT_MEMO.encode().hex()),
    tx(4, USER, VAULT, ETH // 10, 30 * GWEI, INPUT_MEMO.encode().hex()),
    tx(5, SWAPPER, V3POOL, 0, 40 * GWEI, "128acb08" + word(SWAPPER)),
]
receipts = [
    receipt(0, SWAPPER, POOL, 90000, 2 * GWEI, 1, [
        log(0, USDT, [T_TRANSFER, word(POOL), word(SWAPPER)], word(2700 * 10**6), 0),
        log(1, POOL, [T_V2SWAP, word(UNIROUTER), word(SWAPPER)], abi(ETH, 0, 0, 2700 * 10**6), 0)]),
    receipt(1, THIEF, ROUTER, 60000, 20 * GWEI, 1, [
        log(2, ROUTER, [T_DEPOSIT, word(VAULT), word(0)], abi(2 * ETH, ("s", DEPOSIT_MEMO)), 1)]),
    receipt(2, VAULT, ROUTER, 60000, 25 * GWEI, 1, [
        log(3, ROUTER, [T_OUT, word(VAULT), word(DEST)], abi(0, ETH // 2, ("s", OUT_MEMO)), 2)]),
    receipt(3, USER, VAULT, 22000, 30 * GWEI, 1, []),
    receipt(4, USER, VAULT, 22000, 30 * GWEI, 0, []),
    receipt(5, SWAPPER, V3POOL, 150000, 40 * GWEI, 1, [
        log(4, V3POOL, [T_V3SWAP, word(UNIROUTER), word(SWAPPER)],
            abi(-5, 1234, 79228162514264337593543950336, 10**18, -3), 5),
        log(5, TORNADO, [T_TC_DEPOSIT, "c0" * 32], abi(7, 1717200001), 5)]),
]
block = {"number": hex(BLOCK), "hash": BHASH, "parentHash": "0x" + "00" * 30 + "12" + "33",
         "timestamp": hex(1717200000), "miner": "0x" + MINER, "baseFeePerGas": hex(GWEI), "transactions": txs}
print(json.dumps({"jsonrpc": "2.0", "id": 1, "result": block}))
print(json.dumps({"jsonrpc": "2.0", "id": 2, "result": receipts}))
