#!/usr/bin/env python3
"""world_tagset.py — a realistic tag set for a generated world (sleuth gen world), for the
screening and API benchmarks (bench/bench_api.sh with a big store).

A generated world tags only its ~16 services. A screening service runs with thousands of
tagged services and risky addresses, so this adds a TagPack that tags background Ethereum
addresses which receive often (the ones a real tag set would name: deposit addresses, hot
wallets, games, contracts) across the taxonomy's categories, in fixed proportions, chosen
by a seeded random draw (the same world and seed give the same file):

    world_tagset.py WORLD_DIR OUT.yaml [--count N] [--seed S] [--min-receipts K]

The addresses are read from WORLD_DIR/eth/*.json (the "to" fields); addresses the world
already tags (tags/*.yaml) are left out. Prints how many of each category it wrote.
"""
import argparse
import glob
import os
import random
import re
import sys

MIX = [  # (share, category, abuse, label)
    (0.60, "exchange", None, "Bench exchange deposit"),
    (0.15, "gambling", None, "Bench gambling service"),
    (0.12, "defi_dex", None, "Bench DEX router"),
    (0.05, "market", None, "Bench marketplace"),
    (0.03, "mixing_service", None, "Bench mixer"),
    (0.03, "user", "sanction", "Bench sanctioned address"),
    (0.02, "user", "scam", "Bench scam address"),
]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("world")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-receipts", type=int, default=3)
    a = ap.parse_args()
    tagged = set()
    for f in glob.glob(os.path.join(a.world, "tags", "*.yaml")):
        tagged |= {m.lower() for m in re.findall(r"address: '([^']+)'", open(f).read())}
    counts = {}
    pat = re.compile(rb'"to":"(0x[0-9a-f]{40})"')
    for f in sorted(glob.glob(os.path.join(a.world, "eth", "*.json"))):
        with open(f, "rb") as fh:
            for m in pat.finditer(fh.read()):
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    pool = sorted(x.decode() for x, c in counts.items() if c >= a.min_receipts and x.decode() not in tagged)
    if len(pool) < a.count:
        sys.exit(f"world_tagset: only {len(pool)} addresses receive {a.min_receipts}+ times; ask for fewer")
    rnd = random.Random(a.seed)
    pick = rnd.sample(pool, a.count)
    out, made, i = [], {}, 0
    for share, cat, abuse, label in MIX:
        n = round(share * a.count) if (share, cat) != MIX[-1][:2] else a.count - i
        for addr in pick[i:i + n]:
            out.append(f"- address: '{addr}'\n  label: '{label} {len(out) + 1}'\n  category: '{cat}'\n"
                       + (f"  abuse: '{abuse}'\n" if abuse else "") + "  network: 'ETH'\n  currency: 'ETH'\n")
        made[label] = n
        i += n
    with open(a.out, "w") as fh:
        fh.write("title: 'bench tag set (bench/world_tagset.py)'\ncreator: 'bench/world_tagset.py'\n"
                 "is_public: true\nlastmod: 2024-06-01\nsource: 'bench/world_tagset.py'\n"
                 "confidence: 'service_data'\ntags:\n" + "".join(out))
    for k, v in made.items():
        print(f"{v:6d}  {k}")

if __name__ == "__main__":
    main()
