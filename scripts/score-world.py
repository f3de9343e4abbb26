#!/usr/bin/env python3
"""score-world.py — scores `sleuth detect --json` against a generated world's truth.json
(`sleuth gen world`, conventions in docs/LAUNDERING.md):

  suspects   precision and recall of suspect_addresses against truth's thief_addresses
             (recall also over the thief addresses that got at least --min-share of the
             loot, which is all a detector that keeps suspects above a share can find)
  findings   the share of findings that name a thief transaction or address, and the
             recall of truth's thief_txs by stage (a thief tx is found when a finding
             names it; "stage ok" when that finding's stage is the tx's)
  tornado    recall and precision of truth's tornado_links among the tornado leads
  final      the fraction of the loot whose final location detect reports right: held
             (a suspect or a still-dormant finding names the address), exchange, otc,
             mixer (a finding of that kind names it); amounts in ETH at the world's price
             (1 BTC = 18.5 ETH, 1 ETH = 2,700 USDT)

usage: score-world.py TRUTH.json DETECT.json [--min-confidence C] [--min-share S] [--json]
Exit 0; the scores on stdout (text, or one JSON object with --json).
"""
import argparse
import json
import sys

DECIMALS = {"BTC": 8, "ETH": 18, "USDT": 6}
IN_ETH = {"BTC": 18.5, "ETH": 1.0, "USDT": 1 / 2700.0}


def chain_key(c):
    c = (c or "").lower()
    return "btc" if c in ("btc", "bitcoin", "regtest", "testnet", "signet") else c


def addr_key(chain, a):
    c = chain_key(chain)
    return (c, a.lower() if a.startswith("0x") else a)


def tx_key(chain, t):
    t = t.lower()
    return (chain_key(chain), t[2:] if t.startswith("0x") else t)


def eth_value(asset, amount):
    sym = (asset or "").upper()
    if sym.startswith("USDT"):
        sym = "USDT"
    d = DECIMALS.get(sym)
    if d is None:
        return 0.0
    return int(amount) / 10 ** d * IN_ETH[sym]


def ratio(a, b):
    return round(a / b, 4) if b else None


def score(truth, det, min_conf, min_share):
    out = {}
    # ---- suspects
    thieves = {addr_key(t["chain"], t["address"]): t for t in truth.get("thief_addresses", [])}
    big = {k for k, t in thieves.items() if float(t.get("max_share", 1)) >= min_share}
    sus = {addr_key(s["chain"], s["address"]): s for s in det.get("suspect_addresses", [])
           if s.get("confidence", 0) >= min_conf}
    hit = set(sus) & set(thieves)
    services = {addr_key(s["chain"], s["address"]) for s in truth.get("services", [])}
    out["suspects"] = {
        "reported": len(sus), "thief_addresses": len(thieves), "true_positives": len(hit),
        "precision": ratio(len(hit), len(sus)), "recall": ratio(len(hit), len(thieves)),
        "recall_above_min_share": ratio(len(set(sus) & big), len(big)),
        "services_reported": len(set(sus) & services),
    }
    # ---- findings
    ttx = {tx_key(t["chain"], t["tx"]): t.get("stage") for t in truth.get("thief_txs", [])}
    finals = {addr_key(f["chain"], f["address"]) for f in truth.get("final", [])}
    good = 0
    found = {}
    for f in det.get("findings", []):
        txs = {tx_key(t["chain"], t["tx"]) for t in f.get("txs", [])}
        addrs = {addr_key(a["chain"], a["address"]) for a in f.get("addresses", [])}
        if txs & set(ttx) or addrs & (set(thieves) | finals):
            good += 1
        for t in txs & set(ttx):
            found[t] = found.get(t) or (f.get("stage") == ttx[t])
    by_stage = {}
    for t, st in ttx.items():
        s = by_stage.setdefault(st or "?", {"txs": 0, "found": 0, "stage_ok": 0})
        s["txs"] += 1
        if t in found:
            s["found"] += 1
            s["stage_ok"] += bool(found[t])
    for s in by_stage.values():
        s["recall"] = ratio(s["found"], s["txs"])
    nf = len(det.get("findings", []))
    out["findings"] = {"reported": nf, "naming_thief_tx_or_address": good, "precision": ratio(good, nf),
                       "thief_txs": len(ttx), "found": len(found), "recall": ratio(len(found), len(ttx)),
                       "by_stage": by_stage}
    # ---- tornado links
    # A pool does not say which deposit a withdrawal pays out: a lead is right when its
    # withdrawal is one of the thief's (withdrawal-level); the pair is "among the candidates"
    # when the finding also names the deposit truth pairs it with.
    links = {(l["deposit_tx"].lower(), l["withdrawal_tx"].lower()) for l in truth.get("tornado_links", [])}
    wds = {w for _, w in links}
    got, right_leads, pairs = set(), 0, set()
    leads = 0
    for f in det.get("findings", []):
        if f.get("kind") != "tornado" or "withdrawal" not in f.get("rule", ""):
            continue
        leads += 1
        txs = [t["tx"].lower() for t in f.get("txs", [])]
        w = txs[0] if txs else ""
        if w in wds:
            right_leads += 1
            got.add(w)
        for d, w2 in links:
            if w2 == w and d in txs:
                pairs.add((d, w2))
    out["tornado"] = {"links": len(links), "withdrawals": len(wds), "leads": leads, "right_leads": right_leads,
                      "recall": ratio(len(got), len(wds)), "precision": ratio(right_leads, leads),
                      "pair_among_candidates": ratio(len(pairs), len(links))}
    # ---- final locations
    kinds = {"exchange": "exchange-deposit", "otc": "otc", "mixer": "tornado"}
    named = {}
    for f in det.get("findings", []):
        for a in f.get("addresses", []):
            named.setdefault(addr_key(a["chain"], a["address"]), set()).add(f.get("kind"))
    total = right = 0.0
    rows = {}
    for f in truth.get("final", []):
        k = addr_key(f["chain"], f["address"])
        v = eth_value(f.get("asset"), f.get("amount", "0"))
        kind = f.get("kind", "other")
        if kind == "held":
            ok = k in sus or "still-dormant" in named.get(k, set())
        elif kind in kinds:
            ok = kinds[kind] in named.get(k, set())
        else:
            ok = k in named or k in sus
        total += v
        right += v if ok else 0
        r = rows.setdefault(kind, {"eth": 0.0, "right_eth": 0.0, "places": 0, "right": 0})
        r["eth"] += v
        r["places"] += 1
        if ok:
            r["right_eth"] += v
            r["right"] += 1
    for r in rows.values():
        r["fraction"] = ratio(r["right_eth"], r["eth"])
        r["eth"] = round(r["eth"], 3)
        r["right_eth"] = round(r["right_eth"], 3)
    out["final"] = {"loot_eth": round(total, 3), "right_eth": round(right, 3), "fraction": ratio(right, total),
                    "by_kind": rows}
    out["detect_seconds"] = det.get("seconds")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("truth")
    ap.add_argument("detect")
    ap.add_argument("--min-confidence", type=float, default=0.0)
    ap.add_argument("--min-share", type=float, default=0.001)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with open(a.truth) as f:
        truth = json.load(f)
    with open(a.detect) as f:
        det = json.load(f)
    s = score(truth, det, a.min_confidence, a.min_share)
    if a.json:
        json.dump(s, sys.stdout, indent=1)
        print()
        return 0
    p = s["suspects"]
    print(f"suspects  reported {p['reported']}, thieves {p['thief_addresses']}, right {p['true_positives']}: "
          f"precision {p['precision']}, recall {p['recall']} (above min share: {p['recall_above_min_share']}); "
          f"services reported {p['services_reported']}")
    fd = s["findings"]
    print(f"findings  {fd['reported']}, naming a thief tx/address {fd['naming_thief_tx_or_address']}: precision "
          f"{fd['precision']}; thief txs found {fd['found']}/{fd['thief_txs']} (recall {fd['recall']})")
    for st, r in sorted(fd["by_stage"].items()):
        print(f"  stage {st:12} {r['found']}/{r['txs']} found, {r['stage_ok']} with the right stage")
    t = s["tornado"]
    print(f"tornado   withdrawals {t['withdrawals']}, leads {t['leads']}, right {t['right_leads']}: recall {t['recall']}, "
          f"precision {t['precision']}; truth's deposit among the candidates: {t['pair_among_candidates']}")
    fl = s["final"]
    print(f"final     {fl['right_eth']} of {fl['loot_eth']} ETH-equivalent located right: {fl['fraction']}")
    for k, r in sorted(fl["by_kind"].items()):
        print(f"  {k:9} {r['right']}/{r['places']} places, {r['right_eth']} of {r['eth']} ETH: {r['fraction']}")
    print(f"detect    {s['detect_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
