#!/usr/bin/env python3
"""check-incidents.py — check the built-in incident library (data/incidents) and count it.

    python3 scripts/check-incidents.py [--shared DIR] [--data DIR]

Checks every data/incidents/*.tagpack.yaml against the GraphSense TagPack schema (mandatory
header and tag fields, after header inheritance; no unknown fields; address xor tx_hash;
confidence, category and abuse from the taxonomies; actor ids from the ActorPack; the
context JSON {"incident", "role"} with a documented role) and the cross references with
data/incidents/incidents.yaml (each incident names an existing pack, each pack belongs to one
incident, the tags' incident is the pack's, every network of the pack is among the incident's chains). Also: EVM addresses are EIP-55
or lower case, no (network, address) twice in a pack, the Bybit pack holds the FBI's 51, and
the Bybit-Phemex commingling address is in both packs; base58check and bech32 addresses
(BTC, LTC, DOGE, ZEC, TRX, ADA, ATOM) pass their checksums. Prints the counts per incident and
exits 1 on any error.

The schema and taxonomies are read from ../shared/data/tags/graphsense when present
(--shared or $SLEUTH_SHARED_TAGS); without them a built-in copy of the mandatory fields and
confidence ids is used and the concept/actor checks are skipped (said in the output).
Python 3 standard library; PyYAML is used when installed, else a small reader of the subset
these files use (the generator's output and incidents.yaml's layout).
"""
import csv
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "incidents")

ROLES = {  # docs/INCIDENTS.md, "Roles"
    "exploiter", "suspected_exploiter", "attacker_contract", "attacker_prep", "perpetrator",
    "laundering", "commingling", "dormant", "cashout", "victim", "compromised_key",
    "forfeiture", "sweep", "theft_tx", "attack_tx", "sweep_tx",
}
TX_ROLES = {"theft_tx", "attack_tx", "sweep_tx"}
# TagPack network code -> sleuth chain name (docs/INCIDENTS.md, "Chains")
CHAIN = {"BTC": "btc", "ETH": "ethereum", "TRX": "tron", "BSC": "bsc", "POLYGON": "polygon",
         "ARB": "arbitrum", "AVAX": "avalanche", "BASE": "base", "OP": "optimism",
         "ZKSYNC": "zksync", "ETC": "ethereum-classic", "LTC": "litecoin", "BCH": "bitcoin-cash",
         "DOGE": "dogecoin", "XRP": "xrp", "XLM": "stellar", "SOL": "solana", "SUI": "sui",
         "ADA": "cardano", "DOT": "polkadot", "ALGO": "algorand", "ATOM": "cosmos",
         "FIL": "filecoin", "ZEC": "zcash", "XDC": "xdc", "XEM": "nem"}
EVM = {"ETH", "BSC", "POLYGON", "ARB", "AVAX", "BASE", "OP", "ZKSYNC", "ETC", "XDC"}
COMMINGLING = "0x33d057af74779925c4b2e720a820387cb89f8f65"
PSA_URL = "https://www.ic3.gov/PSA/2025/PSA250226"

# built-in copy of graphsense-tagpack-tool's tagpack_schema.yaml (a14a159) and confidence.csv
BUILTIN_SCHEMA = {
    "header": {"title": True, "creator": True, "description": False, "owner": False,
               "is_public": False, "tags": True},
    "tag": {"label": True, "source": True, "currency": True, "network": True, "context": False,
            "confidence": True, "is_cluster_definer": False, "lastmod": False, "category": False,
            "abuse": False, "address": False, "tx_hash": False, "actor": False,
            "concepts": False, "tag_type": False},
}
BUILTIN_CONFIDENCE = {"override", "ownership", "ledger_immanent", "manual_transaction",
                      "service_api", "forensic_investigation", "authority_data",
                      "trusted_provider", "service_data", "forensic", "untrusted_transaction",
                      "web_crawl", "heuristic", "unknown"}

# ---- YAML -------------------------------------------------------------------------------------
try:
    import yaml  # PyYAML

    def load_yaml(path):
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    YAML_IMPL = "PyYAML " + yaml.__version__
except ImportError:  # the subset these files use
    yaml = None
    YAML_IMPL = "built-in subset reader"

    def _scalar(v):
        v = v.strip()
        if v.startswith("'") and v.endswith("'"):
            return v[1:-1].replace("''", "'")
        if v.startswith('"') and v.endswith('"'):
            return json.loads(v)
        if v in ("true", "false"):
            return v == "true"
        if v.startswith("[") and v.endswith("]"):
            return [_scalar(x) for x in _split(v[1:-1])]
        if v.startswith("{") and v.endswith("}"):
            out = {}
            for item in _split(v[1:-1]):
                k, _, val = item.partition(":")
                out[k.strip()] = _scalar(val)
            return out
        return v

    def _split(s):
        parts, depth, cur, quote = [], 0, "", None
        for c in s:
            if quote:
                cur += c
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
                cur += c
            elif c in "[{":
                depth += 1
                cur += c
            elif c in "]}":
                depth -= 1
                cur += c
            elif c == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += c
        if cur.strip():
            parts.append(cur)
        return parts

    def load_yaml(path):
        """Maps of scalars, lists of maps (one nesting level below a top-level list) and flow
        collections: enough for the TagPacks and incidents.yaml, nothing more."""
        root, stack = {}, []
        with open(path, encoding="utf-8") as f:
            lines = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
        # stack of (indent, container)
        stack = [(-1, root)]
        last_key = {}
        for li, ln in enumerate(lines):
            ind = len(ln) - len(ln.lstrip(" "))
            body = ln.strip()
            while stack and ind <= stack[-1][0] and not (body.startswith("- ") and
                                                         isinstance(stack[-1][1], list) and
                                                         ind == stack[-1][0]):
                stack.pop()
            cont = stack[-1][1]
            if body.startswith("- "):
                if not isinstance(cont, list):
                    raise ValueError("%s: list item outside a list: %s" % (path, ln))
                body = body[2:]
                if ":" in body and not body.startswith(("'", '"', "{")):
                    item = {}
                    cont.append(item)
                    stack.append((ind + 1, item))
                    cont, ind = item, ind + 2
                else:
                    cont.append(_scalar(body))
                    continue
            key, _, val = body.partition(":")
            key = key.strip()
            if val.strip() == "":
                # a nested block follows: a list if the next line is "- ", else a map
                nxt = lines[li + 1] if li + 1 < len(lines) else ""
                child = [] if nxt.strip().startswith("- ") else {}
                cont[key] = child
                stack.append((ind if isinstance(child, list) else ind, child))
                if isinstance(child, list):
                    stack[-1] = (len(nxt) - len(nxt.lstrip(" ")), child)
            else:
                cont[key] = _scalar(val)
            last_key[id(cont)] = key
        return root


# ---- checksums -----------------------------------------------------------------------------
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evm_checksum import eip55  # noqa: E402  (Keccak-256 and EIP-55, shared with gen-incident-tagpacks.py)


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check_ok(a):
    n = 0
    for c in a:
        if c not in B58:
            return False
        n = n * 58 + B58.index(c)
    raw = b"\0" * (len(a) - len(a.lstrip("1"))) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return len(raw) > 4 and hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def bech32_ok(a):
    """bech32 or bech32m checksum, any length (Cardano addresses are longer than BIP-173's 90)."""
    a = a.lower()
    i = a.rfind("1")
    hrp, data = a[:i], a[i + 1:]
    if i < 1 or not data or any(c not in BECH for c in data):
        return False
    gen, chk = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3], 1
    for v in [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + [BECH.find(c) for c in data]:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for k in range(5):
            chk ^= gen[k] if (top >> k) & 1 else 0
    return chk in (1, 0x2bc830a3)


def checksum_ok(net, a):
    """None where this script has no checksum rule for the network."""
    if net in ("BTC", "LTC") and a.lower().startswith(("bc1", "ltc1")):
        return bech32_ok(a)
    if net in ("BTC", "LTC", "DOGE", "ZEC", "TRX"):
        return base58check_ok(a)
    if net in ("ADA", "ATOM"):
        return bech32_ok(a)
    return None


# ---- the check ----------------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.errors = []

    def err(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))


def load_taxonomies(shared, rep):
    gs = os.path.join(shared, "graphsense") if shared else None
    schema, conf, concepts, actors, note = BUILTIN_SCHEMA, BUILTIN_CONFIDENCE, None, None, []
    if gs and os.path.isdir(gs):
        sp = os.path.join(gs, "schema", "tagpack_schema.yaml")
        if yaml and os.path.exists(sp):
            raw = load_yaml(sp)
            schema = {part: {k: bool(v.get("mandatory")) for k, v in raw[part].items()}
                      for part in ("header", "tag")}
        with open(os.path.join(gs, "schema", "confidence.csv"), encoding="utf-8") as f:
            conf = {r["id"] for r in csv.DictReader(f)}
        with open(os.path.join(gs, "schema", "concepts.yaml"), encoding="utf-8") as f:
            concepts = set(re.findall(r"^ +id: (\S+)$", f.read(), re.M))
        with open(os.path.join(gs, "actors", "graphsense.actorpack.yaml"), encoding="utf-8") as f:
            actors = set(re.findall(r"^- id: (\S+)$", f.read(), re.M))
        note.append("%s, confidence ids, %d concepts and %d actors from %s" %
                    ("schema" if schema is not BUILTIN_SCHEMA else "built-in schema copy",
                     len(concepts), len(actors), gs))
    else:
        note.append("shared graphsense folder not found: built-in schema and confidence ids; "
                    "concepts and actors not checked")
    return schema, conf, concepts, actors, note


def check_pack(path, iid, tax, rep):
    schema, conf, concepts, actors, _ = tax
    name = os.path.basename(path)
    try:
        pack = load_yaml(path)
    except Exception as e:  # a YAML error is a located error of its own
        rep.err(name, "not valid YAML: %s" % e)
        return None
    for k, mand in schema["header"].items():
        if mand and k not in pack:
            rep.err(name, "header field %s missing" % k)
    header_defaults = {k: v for k, v in pack.items() if k in schema["tag"]}
    for k in pack:
        if k not in schema["header"] and k not in schema["tag"]:
            rep.err(name, "unknown header field %s" % k)
    counts = {"address": 0, "tx": 0, "roles": {}, "actor": 0, "networks": set(), "fbi": 0}
    seen = set()
    for n, t in enumerate(pack.get("tags") or [], 1):
        where = "%s: tag %d" % (name, n)
        eff = dict(header_defaults)
        eff.update(t)
        for k in t:
            if k not in schema["tag"]:
                rep.err(where, "unknown field %s" % k)
        for k, mand in schema["tag"].items():
            if mand and k not in eff:
                rep.err(where, "mandatory field %s missing" % k)
        if ("address" in t) == ("tx_hash" in t):
            rep.err(where, "needs exactly one of address and tx_hash")
        if eff.get("confidence") not in conf:
            rep.err(where, "confidence %r is not a taxonomy id" % eff.get("confidence"))
        for k in ("category", "abuse"):
            if k in eff and concepts is not None and eff[k] not in concepts:
                rep.err(where, "%s %r is not a concept of the taxonomy" % (k, eff[k]))
        if "actor" in eff:
            counts["actor"] += 1
            if actors is not None and eff["actor"] not in actors:
                rep.err(where, "actor %r is not in the ActorPack" % eff["actor"])
        if not str(eff.get("source", "")).startswith("https://"):
            rep.err(where, "source is not a URL: %r" % eff.get("source"))
        net = eff.get("network")
        if net not in CHAIN:
            rep.err(where, "network %r has no sleuth chain name (CHAIN)" % net)
        if eff.get("currency") != net:
            rep.err(where, "currency %r differs from network %r" % (eff.get("currency"), net))
        counts["networks"].add(net)
        try:
            ctx = json.loads(eff.get("context", ""))
        except ValueError:
            ctx = None
        if not isinstance(ctx, dict) or set(ctx) != {"incident", "role"}:
            rep.err(where, "context is not {\"incident\", \"role\"}: %r" % eff.get("context"))
            continue
        if ctx["incident"] != iid:
            rep.err(where, "context incident %r in the pack of %s" % (ctx["incident"], iid))
        role = ctx["role"]
        if role not in ROLES:
            rep.err(where, "role %r is not a documented role" % role)
        counts["roles"][role] = counts["roles"].get(role, 0) + 1
        if "tx_hash" in t:
            counts["tx"] += 1
            if role not in TX_ROLES:
                rep.err(where, "transaction tag with address role %s" % role)
            h = t["tx_hash"]
            if not re.fullmatch(r"(0x)?[0-9a-f]{64}", h) or ((net in EVM) != h.startswith("0x")):
                rep.err(where, "tx_hash %r is not a %s transaction hash" % (h, net))
            key = (net, "tx", h)
        else:
            counts["address"] += 1
            if role in TX_ROLES:
                rep.err(where, "address tag with transaction role %s" % role)
            a = t["address"]
            if net in EVM:
                if not re.fullmatch(r"0x[0-9a-fA-F]{40}", a):
                    rep.err(where, "%s address %r is not 20 bytes of hex" % (net, a))
                elif a != a.lower() and eip55(a) != a:
                    rep.err(where, "%r fails EIP-55 (and is not lower case)" % a)
                a = a.lower()
            elif checksum_ok(net, a) is False:
                rep.err(where, "%s address %r fails its checksum" % (net, a))
            if eff.get("source") == PSA_URL:
                counts["fbi"] += 1
            key = (net, a)
        if key in seen:
            rep.err(where, "%s %s tagged twice" % key[:2])
        seen.add(key)
    return counts


def main():
    args = sys.argv[1:]
    shared = os.environ.get("SLEUTH_SHARED_TAGS", os.path.join(ROOT, "..", "shared", "data", "tags"))
    if "--shared" in args:
        shared = args[args.index("--shared") + 1]
    global DATA
    if "--data" in args:
        DATA = args[args.index("--data") + 1]
    rep = Report()
    tax = load_taxonomies(shared, rep)
    inc_path = os.path.join(DATA, "incidents.yaml")
    lib = load_yaml(inc_path)
    incidents = lib.get("incidents") or []
    ids = [i.get("id") for i in incidents]
    packs_on_disk = sorted(f for f in os.listdir(DATA) if f.endswith(".tagpack.yaml"))
    listed = {}
    results = {}
    notes = []
    for n, inc in enumerate(incidents, 1):
        iid = inc.get("id")
        where = "incidents.yaml: incident %d (%s)" % (n, iid)
        for k in ("id", "name", "date", "tagpack"):
            if k not in inc:
                rep.err(where, "%s missing" % k)
        for k in inc:
            if k not in ("id", "name", "date", "victim", "chains", "stolen", "attack",
                         "laundering", "aftermath", "attribution", "tagpack", "sources"):
                rep.err(where, "unknown key %s" % k)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-(19|20)\d\d", str(iid)):
            rep.err(where, "id is not a victim-year slug")
        if not (isinstance(inc.get("date"), str) and re.fullmatch(r"\d{4}-\d\d-\d\d", inc["date"])):
            rep.err(where, "date is not a quoted YYYY-MM-DD string")
        elif not str(iid).endswith(inc["date"][:4]):
            rep.err(where, "id year differs from the date's")
        if ids.count(iid) > 1:
            rep.err(where, "id used twice")
        for s in inc.get("stolen") or []:
            for k, v in s.items():
                if k not in ("asset", "amount", "usd"):
                    rep.err(where, "stolen: unknown key %s" % k)
                elif k != "asset" and not (isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?", v)):
                    rep.err(where, "stolen: %s %r is not a decimal string" % (k, v))
        att = inc.get("attribution")
        if att:
            for k in att:
                if k not in ("actor", "by", "date", "confidence", "source"):
                    rep.err(where, "attribution: unknown key %s" % k)
            if att.get("confidence") not in ("high", "medium", "low"):
                rep.err(where, "attribution confidence %r" % att.get("confidence"))
            if tax[3] is not None and att.get("actor") not in tax[3]:
                notes.append("%s: attribution actor %r is not an ActorPack id" % (iid, att.get("actor")))
        tp = inc.get("tagpack")
        listed.setdefault(tp, []).append(iid)
        if tp != "%s.tagpack.yaml" % iid:
            rep.err(where, "tagpack %r is not <id>.tagpack.yaml" % tp)
        if tp not in packs_on_disk:
            rep.err(where, "tagpack %r does not exist" % tp)
            continue
        c = check_pack(os.path.join(DATA, tp), iid, tax, rep)
        if c is None:
            continue
        results[iid] = c
        chains = set(inc.get("chains") or [])
        netchains = {CHAIN.get(x, x) for x in c["networks"]}
        if not netchains <= chains:  # a chain may have no tagged address; a tag needs its chain
            rep.err(where, "chains %s lack the pack's networks %s" %
                    (sorted(map(str, chains)), sorted(map(str, netchains - chains))))
    for p in packs_on_disk:
        if p not in listed:
            rep.err(p, "no incident in incidents.yaml names this pack")
    for tp, who in listed.items():
        if len(who) > 1:
            rep.err(tp, "named by several incidents: %s" % ", ".join(who))
    # the two facts the tests rely on
    if "bybit-2025" in results and results["bybit-2025"]["fbi"] != 51:
        rep.err("bybit-2025.tagpack.yaml", "%d FBI PSA addresses, expected 51" %
                results["bybit-2025"]["fbi"])
    for iid in ("bybit-2025", "phemex-2025"):
        p = os.path.join(DATA, iid + ".tagpack.yaml")
        pk = load_yaml(p) if os.path.exists(p) else {"tags": []}
        ok = any(str(t.get("address", "")).lower() == COMMINGLING and
                 json.loads(t.get("context", "{}")).get("role") == "commingling"
                 for t in pk.get("tags") or [])
        if not ok:
            rep.err(iid + ".tagpack.yaml", "commingling address %s missing" % COMMINGLING)

    print("check-incidents: %s; %s" % (YAML_IMPL, "; ".join(tax[4])))
    print("%-20s %5s %3s %6s %4s  %s" % ("incident", "addr", "tx", "actor", "nets", "roles"))
    ta = tt = 0
    for iid in ids:
        c = results.get(iid)
        if not c:
            continue
        ta += c["address"]
        tt += c["tx"]
        roles = ", ".join("%s %d" % kv for kv in sorted(c["roles"].items()))
        print("%-20s %5d %3d %6d %4d  %s" % (iid, c["address"], c["tx"], c["actor"],
                                            len(c["networks"]), roles))
    print("%-20s %5d %3d" % ("total (%d incidents)" % len(results), ta, tt))
    if "bybit-2025" in results:
        print("bybit-2025: %d tags from the FBI PSA I-022625-PSA" % results["bybit-2025"]["fbi"])
    for n in notes:
        print("note:", n)
    for e in rep.errors:
        print("error:", e)
    print("%d error(s)" % len(rep.errors))
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
