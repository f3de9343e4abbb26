#!/usr/bin/env python3
"""gen-incident-tagpacks.py — regenerate data/incidents/<id>.tagpack.yaml from the shared data.

Reads the incident address lists of ../shared/data/tags/incidents (CSV files and the Safe API
record of Bybit's transaction of nonce 71) and writes one GraphSense TagPack per incident of the
library (docs/INCIDENTS.md). Python 3 standard library only; the output is deterministic, so
running it twice gives the same bytes and `git diff` shows what a change of the sources did.

    python3 scripts/gen-incident-tagpacks.py [SHARED_TAGS_DIR] [OUT_DIR]

SHARED_TAGS_DIR defaults to ../shared/data/tags relative to the repository (or $SLEUTH_SHARED_TAGS),
OUT_DIR to data/incidents. incidents.yaml is hand-written and not touched.

Rules (the why is in docs/INCIDENTS.md):
- one tag per (network, address) and incident; the first source in FILE order wins, so the FBI
  PSA list and tayvano's curated pages win over the rekt.news extraction;
- EVM addresses: the EIP-55 form where any shared source spells the address in valid mixed
  case, lower case otherwise (a mixed-case spelling that fails EIP-55 counts as none);
- roles are mapped from the sources' own words by ROLE below; article text is never copied
  into labels (the rekt.news copies carry no licence), only the sources' short labels.
"""
import csv
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SLEUTH_SHARED_TAGS", os.path.join(ROOT, "..", "shared", "data", "tags"))
LASTMOD = "2025-11-25"  # the date the shared tag data was collected (MANIFEST-tags.md)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evm_checksum import eip55  # noqa: E402  (Keccak-256 and EIP-55, shared with check-incidents.py)


EVM_RE = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-fA-F])")
EVM_NETS = {"ETH", "BSC", "POLYGON", "ARB", "AVAX", "OP", "BASE", "ZKSYNC", "ETC", "XDC"}


def is_evm(net, addr):
    return net in EVM_NETS and re.fullmatch(r"0x[0-9a-fA-F]{40}", addr) is not None


# ---- the library: which source incident goes where -------------------------------------------
# source incident name -> (id, display name, victim actor id in the GraphSense ActorPack or None,
#                          perpetrator actor id or None)
INCIDENTS = {
    "Bybit 2025-02-21": ("bybit-2025", "Bybit 2025", "bybit", "lazarusgroup"),
    "Bybit": ("bybit-2025", "Bybit 2025", "bybit", "lazarusgroup"),
    "DMM Bitcoin 2024-05-31": ("dmm-bitcoin-2024", "DMM Bitcoin 2024", None, "lazarusgroup"),
    "Phemex": ("phemex-2025", "Phemex 2025", "phemex", "lazarusgroup"),
    "Ronin Bridge (Axie Infinity)": ("ronin-2022", "Ronin Bridge 2022", "roninnetwork", "lazarusgroup"),
    "Harmony Horizon Bridge": ("harmony-2022", "Harmony Horizon Bridge 2022", "harmony", "lazarusgroup"),
    "KuCoin": ("kucoin-2020", "KuCoin 2020", "kucoin", "lazarusgroup"),
    "Upbit": ("upbit-2019", "Upbit 2019", "upbit", "lazarusgroup"),
    "Coincheck (NEM/XEM, ~523M XEM)": ("coincheck-2018", "Coincheck 2018", "coincheck", None),
    "Deribit": ("deribit-2022", "Deribit 2022", "deribit", "lazarusgroup"),
    "Alphapo": ("alphapo-2023", "Alphapo 2023", "alphapo", "lazarusgroup"),
    "Stake.com": ("stake-2023", "Stake.com 2023", "stakecom", "lazarusgroup"),
    "CoinEx": ("coinex-2023", "CoinEx 2023", "coinex", "lazarusgroup"),
    "HTX (5,000 ETH)": ("htx-2023", "HTX 2023 (5,000 ETH)", "huobi", None),
    "Poloniex": ("poloniex-2023", "Poloniex 2023", "poloniex", "lazarusgroup"),
    "HECO Bridge + HTX": ("heco-htx-2023", "HECO Bridge + HTX 2023", "huobi", "lazarusgroup"),
    "Orbit Bridge": ("orbit-bridge-2023", "Orbit Bridge 2023", "orbitbridge", "lazarusgroup"),
    "WazirX": ("wazirx-2024", "WazirX 2024", "wazirx", "lazarusgroup"),
    "Indodax": ("indodax-2024", "Indodax 2024", "indodax", "lazarusgroup"),
    "BingX": ("bingx-2024", "BingX 2024", "bingbon", "lazarusgroup"),
    # DPRK UNC4736 per Radiant's Mandiant-backed post-mortem: not an actor of the ActorPack.
    "Radiant Capital": ("radiant-2024", "Radiant Capital 2024", "radiant", None),
    "Prince Group / Chen Zhi": ("prince-group-2025", "Prince Group / Chen Zhi (LuBian BTC)", None, None),
}

# source role -> library role (docs/INCIDENTS.md, "Roles")
ROLE = {
    "attacker": "exploiter", "theft_receiver": "exploiter", "attacker_eoa": "exploiter",
    "suspected_attacker": "suspected_exploiter",
    "attacker_contract": "attacker_contract", "attacker_prep": "attacker_prep",
    "attacker_infra": "laundering", "laundering": "laundering",
    "cross_incident_link": "commingling", "cex_deposit_used_by_attacker": "cashout",
    "dormant": "dormant", "attacker_or_laundering": "perpetrator",
    "victim": "victim", "victim_signer": "victim", "victim_hot_wallet": "victim",
    "victim_contract": "victim", "compromised_key": "compromised_key",
    "forfeiture": "forfeiture", "sweep": "sweep",
}
PERP = {"exploiter", "suspected_exploiter", "attacker_contract", "attacker_prep", "laundering",
        "commingling", "dormant", "perpetrator", "forfeiture"}
CATEGORY = {r: "perpetrator" for r in PERP}
CATEGORY.update({"victim": "victim", "compromised_key": "victim", "cashout": "exchange",
                 "sweep": "unknown"})
ABUSE = {"exploiter": "service_hack", "suspected_exploiter": "service_hack",
         "attacker_contract": "service_hack", "attacker_prep": "service_hack",
         "perpetrator": "service_hack", "laundering": "money_laundering",
         "commingling": "money_laundering", "dormant": "money_laundering",
         "cashout": "money_laundering", "forfeiture": "money_laundering"}
ROLE_WORDS = {"exploiter": "exploiter", "suspected_exploiter": "suspected exploiter",
              "attacker_contract": "attacker contract", "attacker_prep": "attacker preparation",
              "laundering": "laundering", "commingling": "commingling", "cashout": "cash-out",
              "dormant": "dormant funds", "perpetrator": "thief-controlled", "victim": "victim",
              "compromised_key": "compromised key", "forfeiture": "named in forfeiture complaint",
              "sweep": "sweep destination", "theft_tx": "theft transaction",
              "attack_tx": "attack transaction", "sweep_tx": "sweep transaction"}
CEX_ACTOR = {"Huobi Deposit Address": "huobi", "FTX Deposit Address": "ftx",
             "Cryptocom Deposit Address": "cryptocom"}

REKT = "https://github.com/gizatechxyz/rekommender/blob/%s/rekt_articles/%s"
# Theft transactions that the shared CSVs do not carry but the articles they cite name (read in
# the same stored copies, at the commit read): the Bybit drain (also in MANIFEST-tags.md, from Ben
# Zhou's post), the Ronin, Harmony, Stake, CoinEx, HTX, Poloniex, HECO and Orbit withdrawals, and
# the transactions that took over the WazirX and Radiant wallets.
A, B = "3190518ee7116ce4720c75be212d411456300f2c", "02d78d81b85b7a86980bb8143a31d7d59916724e"
CITED_TXS = [  # (source incident, network, hash, role, label, article)
    ("Bybit", "ETH", "0xb61413c495fdad6114a7aa863a00b2e3c28945979a10885b12b30316ea9f072c", "theft_tx",
     "401,346.76 ETH from the Bybit cold wallet (Safe) to the exploiter through the backdoored "
     "implementation", REKT % (B, "bybit-rekt.md")),
    ("Ronin Bridge (Axie Infinity)", "ETH",
     "0xc28fad5e8d5e0ce6a2eaf67b6687be5d58113e16be590824d6cfa1a94467d0b7", "theft_tx",
     "withdrawal of 173,600 ETH from the Ronin bridge", REKT % (B, "ronin-rekt.md")),
    ("Ronin Bridge (Axie Infinity)", "ETH",
     "0xed2c72ef1a552ddaec6dd1f5cddf0b59a8f37f82bdda5257d9c7c37db7bb9b08", "theft_tx",
     "withdrawal of 25.5M USDC from the Ronin bridge", REKT % (B, "ronin-rekt.md")),
    ("Harmony Horizon Bridge", "ETH",
     "0x27981c7289c372e601c9475e5b5466310be18ed10b59d1ac840145f6e7804c97", "theft_tx",
     "13.1k ETH from the Harmony ETH bridge to the exploiter", REKT % (A, "harmony-rekt.md")),
    ("Harmony Horizon Bridge", "ETH",
     "0x44256bb81181bcaf7b5662614c7ee5f6c30d14e1c8239f006f84864a9cda9f77", "theft_tx",
     "5.5M BUSD from the Harmony BUSD bridge to the exploiter", REKT % (A, "harmony-rekt.md")),
    ("Alphapo", "ETH", "0xd77012e22dbf51aceb4b759db83ef767af165c258d1c423187a6f10324d1d064", "theft_tx",
     "2,464 ETH from the Alphapo hot wallet to the hacker", REKT % (B, "alphapo-rekt.md")),
    ("Stake.com", "ETH", "0x98610e0a20b5ebb08c40e78b4d2271ae1fbd4fc3b8783b1bb7a5687918fad54e", "theft_tx",
     "6k ETH from the Stake hot wallet (first transfer, 12:48 UTC)", REKT % (A, "stake-rekt.md")),
    ("Stake.com", "POLYGON", "0x30dab44e09593c6aae593fe8b8384d07c51a23b5c9307444f1c293eb7c5f4858",
     "theft_tx", "3M MATIC from the Stake hot wallet", REKT % (A, "stake-rekt.md")),
    ("Stake.com", "BSC", "0xcc696992ac198e8fadd91dbacb8292e9ac23584e111e1e6fafa965de6ece97f0", "theft_tx",
     "12k BNB from the Stake hot wallet", REKT % (A, "stake-rekt.md")),
    ("CoinEx", "ETH", "0xb6a07c2c591e43abc63add833aaf4d6ab47e66f05cf6b49a9dda7c2317b2d61c", "theft_tx",
     "almost 4,950 ETH from a CoinEx hot wallet (first transfer, 13:20:59 UTC)",
     REKT % (A, "coinex-rekt.md")),
    ("HTX (5,000 ETH)", "ETH", "0xe9eefff04322a1e9262aad139e7b03954709a7c2ffea5ba9d1026a24fb58c029",
     "theft_tx", "4,999 ETH drained from HTX", REKT % (B, "htx-huobi-rekt.md")),
    ("Poloniex", "ETH", "0xcbf1547119ae869604585997b11d118bb423f32ae75c2fe055b7eb8d79d3ae77", "theft_tx",
     "4,900 ETH from the hot wallet Poloniex 4 (first transfer, 10:30 UTC)",
     REKT % (B, "poloniex-rekt.md")),
    ("HECO Bridge + HTX", "ETH", "0xbb6fe88427c2f3bc179075109d47a805dcfedab0e475eaca0d979311873e131b",
     "theft_tx", "first withdrawal from the HECO Bridge by the compromised operator (09:59 UTC)",
     REKT % (A, "heco-htx-rekt.md")),
    ("HECO Bridge + HTX", "ETH", "0xd773f61db2bd693d15b09e790a7c257b48ec926865be68a5f88f451242edbeda",
     "theft_tx", "first transfer out of the HTX hot wallets (10:41 UTC)",
     REKT % (A, "heco-htx-rekt.md")),
    ("Orbit Bridge", "ETH", "0xafdc36278fcef8d54824b09ec019147cfe2afd995abf6754e52d273a2c1b07ca",
     "theft_tx", "10M DAI from the Orbit Bridge (21:08 UTC)", REKT % (A, "orbit-bridge-rekt.md")),
    ("Orbit Bridge", "ETH", "0xe0bada18fdc56dec125c31b1636490f85ba66016318060a066ed7050ff7271f9",
     "theft_tx", "231 WBTC from the Orbit Bridge", REKT % (A, "orbit-bridge-rekt.md")),
    ("Orbit Bridge", "ETH", "0x639d27e564214411ad8eb06cf00d85cd90f83503a53ab5bf35dd5c6e1148ae0a",
     "theft_tx", "9,500 ETH from the Orbit Bridge", REKT % (A, "orbit-bridge-rekt.md")),
    ("Orbit Bridge", "ETH", "0x64a6f486c20671e1389b3c7948d46733325c407245a86bf510cb69ef401a3f0e",
     "theft_tx", "10M USDC from the Orbit Bridge", REKT % (A, "orbit-bridge-rekt.md")),
    ("Orbit Bridge", "ETH", "0xd8ca42941a0a2c25669267ad8d61f7f9f4118252cb502316602fe16624b80ac8",
     "theft_tx", "30M USDT from the Orbit Bridge (21:25 UTC)", REKT % (A, "orbit-bridge-rekt.md")),
    ("WazirX", "ETH", "0x48164d3adbab78c2cb9876f6e17f88e321097fcd14cadd57556866e4ef3e185d", "attack_tx",
     "upgrade of the WazirX multisig to the attacker's implementation (two compromised keys, two "
     "phished signatures)", REKT % (B, "wazirx-rekt.md")),
    ("Radiant Capital", "BSC", "0xd97b93f633aee356d992b49193e60a571b8c466bf46aaf072368f975dc11841c",
     "attack_tx", "ownership of the Pool Provider transferred to the malicious contract",
     REKT % (A, "radiant-capital-rekt2.md")),
    ("Radiant Capital", "ARB", "0x7856552db409fe51e17339ab1e0e1ce9c85d68bf0f4de4c110fc4e372ea02fb1",
     "attack_tx", "ownership of the Pool Provider transferred to the malicious contract",
     REKT % (A, "radiant-capital-rekt2.md")),
]
PSA_URL = "https://www.ic3.gov/PSA/2025/PSA250226"
COMMINGLING_URL = ("https://hk.blockchain.news/flashnews/"
                   "lazarus-group-links-bybit-and-phemex-hacks-via-on-chain-activity")


def gh_url(ref):
    """'owner/repo:path@commit[#Lnn]' (the shared CSVs' citation form) -> a GitHub blob URL."""
    m = re.search(r"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+):([^@\s)]+)@([0-9a-f]{40})(#L[0-9-]+)?", ref)
    if not m:
        return None
    return "https://github.com/%s/blob/%s/%s%s" % (m.group(1), m.group(3), m.group(2), m.group(4) or "")


def clean_label(s):
    s = re.sub(r"\s*\[mixed case in source[^\]]*\]", "", s)
    return s.replace("**", "").strip()


class Library:
    def __init__(self):
        self.packs = {}     # id -> list of tags (dicts, insertion order)
        self.seen = {}      # id -> set of keys
        self.checksum = {}  # lower-case EVM address -> EIP-55 spelling seen valid in a source
        self.notes = []     # what the generator changed or dropped, printed at the end

    def learn_case(self, text):
        for a in EVM_RE.findall(text or ""):
            if a != a.lower() and a != a[:2] + a[2:].upper() and eip55(a) == a:
                self.checksum[a.lower()] = a

    def spell(self, net, addr):
        if is_evm(net, addr):
            return self.checksum.get(addr.lower(), addr.lower())
        return addr

    def add(self, iid, tag, key):
        self.packs.setdefault(iid, [])
        seen = self.seen.setdefault(iid, set())
        if key in seen:
            return False
        seen.add(key)
        self.packs[iid].append(tag)
        return True

    def addr_tag(self, src_incident, net, addr, role, label, source, confidence, actor=None):
        iid, name, victim_actor, perp_actor = INCIDENTS[src_incident]
        addr = self.spell(net, addr)
        if actor is None:
            if role in PERP and role != "forfeiture":
                actor = perp_actor
            elif role in ("victim", "compromised_key"):
                actor = victim_actor
        tag = {"address": addr, "network": net, "currency": net,
               "label": "%s %s%s" % (name, ROLE_WORDS[role], (": " + label) if label else ""),
               "category": CATEGORY[role]}
        if role in ABUSE:
            tag["abuse"] = ABUSE[role]
        tag["source"] = source
        tag["confidence"] = confidence
        if actor:
            tag["actor"] = actor
        tag["is_cluster_definer"] = role in PERP
        tag["context"] = json.dumps({"incident": iid, "role": role})
        key = (net, addr.lower() if is_evm(net, addr) else addr)
        if not self.add(iid, tag, key):
            self.notes.append("%s: %s %s listed again (%s), first source kept" % (iid, net, addr, role))

    def tx_tag(self, src_incident, net, txh, role, label, source, confidence):
        iid, name = INCIDENTS[src_incident][:2]
        tag = {"tx_hash": txh, "network": net, "currency": net,
               "label": "%s %s: %s" % (name, ROLE_WORDS[role], label),
               "category": "perpetrator", "abuse": "service_hack",
               "source": source, "confidence": confidence,
               "context": json.dumps({"incident": iid, "role": role})}
        perp = INCIDENTS[src_incident][3]
        if perp:
            tag["actor"] = perp
        self.add(iid, tag, (net, "tx", txh.lower()))


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build(shared):
    inc = os.path.join(shared, "incidents")
    lib = Library()
    # learn EIP-55 spellings from every incident source first
    for fn in sorted(os.listdir(inc)):
        with open(os.path.join(inc, fn), encoding="utf-8") as f:
            lib.learn_case(f.read())
    with open(os.path.join(shared, "attribution_index.csv"), encoding="utf-8") as f:
        lib.learn_case(f.read())

    # 1. Bybit: tayvano's page, the FBI PSA's 51 (via Safe's BANNED_EOAS)
    for r in rows(os.path.join(inc, "bybit_2025-02-21.csv")):
        psa = r["in_fbi_psa_250226"] == "yes"
        label = clean_label(r["label"]) + (" [FBI PSA I-022625-PSA]" if psa else "")
        src = PSA_URL if psa else gh_url(r["sources"])
        role = ROLE[r["role"]]
        if r["label"].startswith("Testing"):  # tayvano's test EOA: preparation, not the theft
            role = "attacker_prep"
        lib.addr_tag(r["incident"], r["chain"], r["address"], role, label, src,
                     "authority_data" if psa else "forensic")
    safe = json.load(open(os.path.join(inc, "bybit_safe_tx_nonce71.json"), encoding="utf-8"))
    safe_src = gh_url("tayvano/lazarus-bluenoroff-research:malicious-shit/bybit-safe-tx-71.json"
                      "@992c7f10592ee525f329629126b06283aba23026")
    for t in safe["results"]:
        if t.get("isExecuted") and t.get("transactionHash"):
            lib.tx_tag("Bybit", "ETH", t["transactionHash"].lower(), "attack_tx",
                       "execTransaction of Safe nonce %d: delegatecall to %s that replaced the "
                       "Safe's masterCopy (block %d)" % (t["nonce"], lib.spell("ETH", t["to"]),
                                                         t["blockNumber"]),
                       safe_src, "service_api")
    # theft transactions named by the articles the shared CSVs cite (not in the CSVs themselves)
    for inc_name, net, txh, role, label, src in CITED_TXS:
        lib.tx_tag(inc_name, net, txh, role, label, src, "forensic")

    # 2. DMM Bitcoin
    for r in rows(os.path.join(inc, "dmm_bitcoin_2024-05-31.csv")):
        src = gh_url(r["sources"])
        lib.addr_tag(r["incident"], r["chain"], r["address"], ROLE[r["role"]], clean_label(r["label"]),
                     src, "forensic")
        if r["txid"]:
            lib.tx_tag(r["incident"], "BTC", r["txid"], "theft_tx",
                       "4,502.9 BTC from DMM Bitcoin to the exploiter %s" % r["address"], src, "forensic")

    # 3. tayvano's Ronin, KuCoin and Upbit pages
    upbit_tx = None
    for r in rows(os.path.join(inc, "incidents_tayvano_lazarus_research.csv")):
        role = ROLE[r["role"]]
        label = clean_label(r["label_in_source"])
        m = re.search(r"theft tx (0x[0-9a-f]{64})", label)
        if m:
            upbit_tx = (r["incident"], m.group(1), gh_url(r["source"]))
            label = "on-chain list of the source"
        actor = CEX_ACTOR.get(label) if role == "cashout" else None
        lib.addr_tag(r["incident"], r["chain"], r["address"], role, label, gh_url(r["source"]),
                     "forensic", actor)
    if upbit_tx:
        lib.tx_tag(upbit_tx[0], "ETH", upbit_tx[1], "theft_tx", "theft from the Upbit hot wallet",
                   upbit_tx[2], "forensic")

    # 4. rekt.news extraction (addresses only; article text is not copied)
    for r in rows(os.path.join(inc, "incidents_rekt_news.csv")):
        role = ROLE[r["role"]]
        addr, ctx = r["address"], r["context_in_source"]
        # a few long (Cardano) addresses were cut in the address column; the context has them whole
        for tok in re.findall(r"[A-Za-z0-9]+", ctx):
            if len(tok) > len(addr) and tok.lower().startswith(addr.lower()):
                lib.notes.append("%s: %s address completed from the source line: %s... -> %s" %
                                 (r["incident"], r["chain"], addr[:20], tok))
                addr = tok
        if r["incident"] == "Phemex" and "Attacker's Address" in ctx and role == "victim":
            # the CSV's hand-assigned role contradicts the article's own label for this line
            lib.notes.append("phemex-2025: %s %s: role victim in the CSV but the article labels it "
                             "the attacker's address; tagged exploiter" % (r["chain"], addr))
            role = "exploiter"
        if role == "commingling":
            for who in ("Bybit", "Phemex"):
                lib.addr_tag(who, r["chain"], addr, role,
                             "holds funds from the initial theft addresses of both Bybit and Phemex "
                             "(ZachXBT, 2025-02-22)", COMMINGLING_URL, "forensic")
            continue
        lib.addr_tag(r["incident"], r["chain"], addr, role, "%s address" % r["chain"],
                     gh_url(r["address_source"]), "forensic")

    # 5. Coincheck (NEM)
    for r in rows(os.path.join(inc, "incidents_other_sources.csv")):
        src = "https://github.com/liqtags/crypto-rekts/blob/HEAD/rekts/Coincheck.md"
        lib.addr_tag(r["incident"], r["chain"], r["address"], ROLE[r["role"]], "NEM address", src,
                     "forensic")
        m = re.search(r"malicious tx ([0-9a-f]{64})", r["label"])
        if m:
            lib.tx_tag(r["incident"], r["chain"], m.group(1), "theft_tx",
                       "NEM transfer from Coincheck to the attacker", src, "forensic")

    # 6. Prince Group / Chen Zhi (LuBian BTC): addresses of a US forfeiture complaint
    for r in rows(os.path.join(inc, "prince_group_chen_zhi_lubian_btc.csv")):
        role = "sweep" if "Sweep" in r["label_in_source"] else "forfeiture"
        label = r["label_in_source"]
        if r["also_in_ofac_sdn_2025-11-19"] == "yes":
            label += " [also OFAC SDN: Chen Zhi, TCO]"
        lib.addr_tag("Prince Group / Chen Zhi", "BTC", r["address"], role, label,
                     gh_url(r["source"]), "forensic")
        m = re.search(r"Swept (\d{4}-\d\d-\d\d) tx ([0-9a-f]+)", r["note"])
        if m:
            if len(m.group(2)) == 64:
                lib.tx_tag("Prince Group / Chen Zhi", "BTC", m.group(2), "sweep_tx",
                           "sweep of %s to bc1qeln8kcvehe6l8v6dvg3rj7nfwz5apcyera8k78" % m.group(1),
                           gh_url(r["source"]), "forensic")
            else:
                lib.notes.append("prince-group-2025: sweep tx %s is %d hex digits in the source; "
                                 "not tagged" % (m.group(2), len(m.group(2))))
    return lib


# ---- YAML output (a fixed subset: plain keys, single-quoted strings, booleans) ----------------
def q(s):
    return "'" + str(s).replace("'", "''") + "'"


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return q(v)


PACK_META = {}  # id -> (title, description) filled from INCIDENTS


def write_pack(path, iid, tags):
    name = next(n for (i, n, _, _) in INCIDENTS.values() if i == iid)
    nets = sorted({t["network"] for t in tags})
    lines = [
        "# Generated by scripts/gen-incident-tagpacks.py from ../shared/data/tags/incidents;",
        "# do not edit by hand. Licences of the sources: data/incidents/LICENSES.md.",
        "title: %s" % q("sleuth incident library: " + name),
        "creator: %s" % q("sleuth project (incident library)"),
        "description: %s" % q("Addresses and transactions of the %s incident with their role "
                              "(context.role), from the sources named per tag. Incident record: "
                              "incidents.yaml id %s." % (name, iid)),
        "is_public: true",
        "lastmod: %s" % LASTMOD,
    ]
    if len(nets) == 1:
        lines += ["network: %s" % q(nets[0]), "currency: %s" % q(nets[0])]
    lines.append("tags:")
    for t in tags:
        first = True
        for k in ("address", "tx_hash", "network", "currency", "label", "category", "abuse",
                  "source", "confidence", "actor", "is_cluster_definer", "context"):
            if k not in t or (k in ("network", "currency") and len(nets) == 1):
                continue
            lines.append(("- " if first else "  ") + "%s: %s" % (k, scalar(t[k])))
            first = False
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else SHARED
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "incidents")
    lib = build(shared)
    os.makedirs(out, exist_ok=True)
    for iid in sorted(lib.packs):
        tags = lib.packs[iid]
        write_pack(os.path.join(out, iid + ".tagpack.yaml"), iid, tags)
        na = sum(1 for t in tags if "address" in t)
        print("%-20s %4d address tags %2d tx tags" % (iid, na, len(tags) - na))
    for n in lib.notes:
        print("note:", n)


if __name__ == "__main__":
    main()
