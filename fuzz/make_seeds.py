#!/usr/bin/env python3
"""make_seeds.py — rebuilds the seed corpora in fuzz/corpus/<target>/ from the shared real
data (/work/shared/data/bitcoin, or the folder given as the first argument).

Seeds are small real inputs: mainnet blocks 0, 1, 91880, 170060 and 482683 (segwit), the
first blocks of a real blk00000.dat, single transactions cut out of those blocks, the
scriptPubKeys they pay to, addresses of every kind, and prevout JSON in both formats.
Crash inputs found by the campaigns live beside these as regress-* files; this script
leaves them alone.
"""
import hashlib
import os
import subprocess
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/bitcoin"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MAGIC = bytes.fromhex("f9beb4d9")


def block(prefix):
    d = os.path.join(DATA, "blocks")
    name = next(n for n in sorted(os.listdir(d)) if n.startswith(prefix + "_"))
    return name, open(os.path.join(d, name), "rb").read()


def varint(b, i):
    v = b[i]
    if v < 0xFD:
        return v, i + 1
    n = {0xFD: 2, 0xFE: 4, 0xFF: 8}[v]
    return int.from_bytes(b[i + 1:i + 1 + n], "little"), i + 1 + n


def txs(blk):
    """Yields (tx bytes, [(value, scriptPubKey)], [prev outpoints]) for each tx of a block."""
    n, i = varint(blk, 80)
    for _ in range(n):
        start = i
        i += 4
        segwit = blk[i] == 0 and blk[i + 1] == 1
        if segwit:
            i += 2
        nin, i = varint(blk, i)
        ins = []
        for _ in range(nin):
            ins.append((blk[i:i + 32], int.from_bytes(blk[i + 32:i + 36], "little")))
            sl, i = varint(blk, i + 36)
            i += sl + 4
        nout, i = varint(blk, i)
        outs = []
        for _ in range(nout):
            v = int.from_bytes(blk[i:i + 8], "little")
            sl, i = varint(blk, i + 8)
            outs.append((v, blk[i:i + sl]))
            i += sl
        if segwit:
            for _ in range(nin):
                k, i = varint(blk, i)
                for _ in range(k):
                    l, i = varint(blk, i)
                    i += l
        i += 4
        yield blk[start:i], outs, ins


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    blocks = {h: block(h) for h in ["0000000", "0000001", "0091880", "0170060", "0482683"]}
    blk00000 = open(os.path.join(DATA, "consecutive", "nbitcoin_blk00000_h000000-000299.dat"), "rb").read()
    # the first whole frames that fit in 4 KB
    off = 0
    while off + 8 <= len(blk00000):
        ln = int.from_bytes(blk00000[off + 4:off + 8], "little")
        if off + 8 + ln > 4096:
            break
        off += 8 + ln
    blk_head = blk00000[:off]

    # fuzz_block: whole blocks, the first block of blk00000 unframed, single transactions
    for h, (name, b) in blocks.items():
        put("block", "block-" + h + ".bin", b)
    o2 = (8 + 285) + (8 + int.from_bytes(blk00000[8 + 285 + 4:8 + 285 + 8], "little"))
    put("block", "blk00000-block2.bin", blk00000[o2 + 8:o2 + 8 + int.from_bytes(blk00000[o2 + 4:o2 + 8], "little")])
    scripts = {}
    for h in ["0091880", "0170060", "0482683"]:
        for k, (tx, outs, _) in enumerate(txs(blocks[h][1])):
            if k < 2 or (h == "0482683" and tx[4] == 0 and k < 6):
                put("block", "tx-%s-%d.bin" % (h, k), tx)
            for v, s in outs:
                scripts.setdefault(len(s) and s[0], s)

    # fuzz_script: first byte = network (0 bitcoin .. 6 litecoin-regtest), then a script or
    # a string
    for k, s in enumerate(scripts.values()):
        put("script", "spk-%d.bin" % k, b"\x00" + s)
    hand = {
        "p2pk-compressed": "21" + "02" + "11" * 32 + "ac",
        "p2sh": "a914" + "22" * 20 + "87",
        "p2wpkh": "0014" + "33" * 20,
        "p2wsh": "0020" + "44" * 32,
        "p2tr": "5120" + "55" * 32,
        "witness-v2": "5210" + "66" * 16,
        "multisig-1of2": "51" + "21" + "02" + "77" * 32 + "21" + "03" + "88" * 32 + "52ae",
        "op-return": "6a0b68656c6c6f20776f726c64",
    }
    for n, hx in hand.items():
        put("script", "spk-" + n + ".bin", b"\x00" + bytes.fromhex(hx))
    addrs = [
        (0, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        (0, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
        (0, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        (0, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"),
        (0, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        (0, "BC1SW50QGDZ25J"),
        (1, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),
        (1, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"),
        (4, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"),
        (5, "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"),
        (0, "0496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858ee"),
        (0, "02" + "ab" * 32),
    ]
    for k, (net, a) in enumerate(addrs):
        put("script", "addr-%d.txt" % k, bytes([net]) + a.encode())

    # fuzz_ingest: raw blocks, the head of a real blk file, hex and zstd files, prevouts
    for h in ["0000000", "0000001", "0091880", "0482683"]:
        put("ingest", "block-" + h + ".bin", blocks[h][1])
    put("ingest", "blk00000-head.dat", blk_head)
    put("ingest", "block-0000001.hex", blocks["0000001"][1].hex().encode() + b"\n")
    z = subprocess.run(["zstd", "-q", "-c", "-19"], input=blocks["0000001"][1], stdout=subprocess.PIPE, check=True)
    put("ingest", "block-0000001.zst", z.stdout)
    b91880 = blocks["0091880"][1]
    tx1 = list(txs(b91880))[1]
    prev_txid, prev_vout = tx1[2][0]
    put("ingest", "prevouts-positional.json",
        b'[{"txout": {"value": 5000000000, "script_pubkey": "76a914aa691c133d402a784a7a187178729b8494114f1588ac"},'
        b' "is_coinbase": false, "creation_height": 91812}]')
    put("ingest", "prevouts-txid.json",
        ('[{"txid": "%s", "vout": %d, "value_sats": 5000000000, "script_pubkey": '
         '"4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"}]'
         % (prev_txid[::-1].hex(), prev_vout)).encode())


if __name__ == "__main__":
    main()
