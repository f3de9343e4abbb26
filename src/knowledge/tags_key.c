/* tags_key.c — the tag store's keys and vocabularies: the network codes of tag packs,
 * label CSVs and OFAC (BTC, XBT, ETH, MATIC, BEP20, TRX, ...) mapped onto sleuth's chain
 * names, the canonical text of an address on each chain (with its checksum checked:
 * EIP-55, Base58Check, bech32/bech32m), and the GraphSense confidence and concept
 * taxonomies, read from the repository's copies in data/taxonomy/ which the build
 * compiles into the program (.incbin), so a store never depends on where it runs.
 * The table below is the one docs/TAGS.md ("Network codes") documents. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "knowledge/tags_int.h"
#include "sleuth/crypto.h"
#include "sleuth/eth.h"
#include "sleuth/util.h"

__asm__(".section .rodata\n"
        ".global sl_tax_confidence_csv\n"
        "sl_tax_confidence_csv:\n"
        ".incbin \"data/taxonomy/confidence.csv\"\n"
        ".byte 0\n"
        ".global sl_tax_concepts_yaml\n"
        "sl_tax_concepts_yaml:\n"
        ".incbin \"data/taxonomy/concepts.yaml\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char sl_tax_confidence_csv[], sl_tax_concepts_yaml[];

/* code -> sleuth chain (or the code for chains sleuth does not ingest). */
static const struct { const char *code, *chain; } NETS[] = {
    {"btc", "btc"},        {"xbt", "btc"},         {"bitcoin", "btc"},     {"ltc", "btc"},
    {"litecoin", "btc"},   {"eth", "ethereum"},    {"ethereum", "ethereum"}, {"bsc", "bsc"},
    {"bep20", "bsc"},      {"bnb", "bnb"},         {"bep2", "bnb"},        {"matic", "polygon"},
    {"polygon", "polygon"}, {"avax", "avalanche"}, {"avalanche", "avalanche"}, {"arb", "arbitrum"},
    {"arbitrum", "arbitrum"}, {"base", "base"},    {"trx", "tron"},        {"tron", "tron"},
    {"op", "optimism"},    {"optimism", "optimism"}, {"ftm", "fantom"},   {"fantom", "fantom"},
    {"gnosis", "gnosis"},  {"celo", "celo"},       {"etc", "etc"},         {"bch", "bch"},
};

static bool evm_chain(const char *c)
{
    static const char *const E[] = {"ethereum", "bsc", "polygon", "avalanche", "arbitrum", "base",
                                    "optimism", "fantom", "gnosis", "celo", "etc", "zksync"};
    for (size_t i = 0; i < sizeof E / sizeof *E; i++)
        if (!strcmp(c, E[i])) return true;
    return false;
}

void sl_tags_network(char out[32], const char *code, const char *address)
{
    size_t i;
    char lc[32];
    for (i = 0; code && code[i] && i < sizeof lc - 1; i++) lc[i] = (char)tolower((unsigned char)code[i]);
    lc[i] = 0;
    /* stable coins and tokens named by asset: the address says the chain */
    if (!strcmp(lc, "usdt") || !strcmp(lc, "usdc") || !lc[0]) {
        if (address && address[0] == '0' && (address[1] == 'x' || address[1] == 'X')) snprintf(out, 32, "ethereum");
        else if (address && address[0] == 'T' && strlen(address) == 34) snprintf(out, 32, "tron");
        else if (!lc[0]) snprintf(out, 32, "btc");
        else snprintf(out, 32, "%s", lc);
        return;
    }
    for (i = 0; i < sizeof NETS / sizeof *NETS; i++)
        if (!strcmp(lc, NETS[i].code)) { snprintf(out, 32, "%s", NETS[i].chain); return; }
    snprintf(out, 32, "%s", lc);
}

static int btc_check(const char *a, sl_error *e)
{
    static const char *const HRP[] = {"bc", "tb", "bcrt", "ltc", "tltc", "rltc"};
    uint8_t buf[64];
    const char *sep = strrchr(a, '1');
    if (sep && sep > a) {
        size_t h = (size_t)(sep - a);
        for (size_t i = 0; i < sizeof HRP / sizeof *HRP; i++) {
            if (strlen(HRP[i]) != h || strncasecmp(a, HRP[i], h)) continue;
            int wv, r = sl_segwit_decode(&wv, buf, sizeof buf, HRP[i], a);
            if (r == -2) return sl_err(e, SL_EUSAGE, "'%s': bad bech32 checksum", a);
            if (r < 0) return sl_err(e, SL_EUSAGE, "'%s': not a valid bech32/bech32m address", a);
            return SL_OK;
        }
    }
    int r = sl_base58check_decode(buf, sizeof buf, a);
    if (r == -2) return sl_err(e, SL_EUSAGE, "'%s': bad Base58Check checksum", a);
    if (r != 21) return sl_err(e, SL_EUSAGE, "'%s': not a Bitcoin-family address (Base58Check or bech32)", a);
    return SL_OK;
}

int sl_tags_key(char out_chain[32], char out_addr[128], const char *chain, const char *address, sl_error *e)
{
    size_t n;
    while (address && isspace((unsigned char)*address)) address++;
    if (!address || !*address) return sl_err(e, SL_EUSAGE, "empty address");
    n = strlen(address);
    while (n && isspace((unsigned char)address[n - 1])) n--;
    if (n >= 128) return sl_err(e, SL_EUSAGE, "address too long (%zu characters)", n);
    memcpy(out_addr, address, n);
    out_addr[n] = 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out_addr[i] < ' ' || out_addr[i] == 0x7f)
            return sl_err(e, SL_EUSAGE, "address contains a control character");
    if (chain && *chain) sl_tags_network(out_chain, chain, out_addr);
    else sl_tags_network(out_chain, "", out_addr);
    if (evm_chain(out_chain) && out_addr[0] != '0' && chain && *chain) {
        /* not an EVM account (Avalanche's X-chain "X-avax1..."): the network's own code */
        size_t i;
        for (i = 0; chain[i] && i < 31; i++) out_chain[i] = (char)tolower((unsigned char)chain[i]);
        out_chain[i] = 0;
        if (evm_chain(out_chain)) return sl_err(e, SL_EUSAGE, "'%s': not a 0x address of 40 hex digits (%s)", out_addr, out_chain);
        return SL_OK;
    }
    if (evm_chain(out_chain)) {
        sl_eth_addr a;
        if (!sl_eth_addr_parse(&a, out_addr))
            return sl_err(e, SL_EUSAGE, "'%s': not a 0x address of 40 hex digits (%s)", out_addr, out_chain);
        if (!sl_eth_addr_checksum_ok(out_addr))
            return sl_err(e, SL_EUSAGE, "'%s': bad EIP-55 checksum (mixed case that does not match)", out_addr);
        for (char *p = out_addr; *p; p++) *p = (char)tolower((unsigned char)*p);
        return SL_OK;
    }
    if (!strcmp(out_chain, "tron")) {
        sl_eth_addr a;
        if (!sl_tron_addr_decode(&a, out_addr)) return sl_err(e, SL_EUSAGE, "'%s': not a Tron address (Base58Check T...)", out_addr);
        return SL_OK;
    }
    if (!strcmp(out_chain, "btc")) return btc_check(out_addr, e);
    return SL_OK; /* chains sleuth does not ingest: as written */
}

/* ---- taxonomies ---- */

typedef struct conf_ent { char id[32]; int level; } conf_ent;
static conf_ent CONF[64];
static size_t NCONF;
static char **CONCEPTS;
static size_t NCONCEPTS;
static pthread_once_t TAX_ONCE = PTHREAD_ONCE_INIT;

static void load_confidence(void)
{
    const char *p = sl_tax_confidence_csv;
    p = strchr(p, '\n'); /* header */
    while (p && *++p && NCONF < sizeof CONF / sizeof *CONF) {
        const char *eol = strchr(p, '\n'), *comma = strchr(p, ','), *last;
        if (!eol) eol = p + strlen(p);
        if (!comma || comma > eol) { p = eol; continue; }
        last = eol;
        while (last > p && last[-1] != ',') last--;
        snprintf(CONF[NCONF].id, sizeof CONF[NCONF].id, "%.*s", (int)(comma - p), p);
        CONF[NCONF].level = atoi(last);
        NCONF++;
        p = *eol ? eol : NULL;
    }
}

/* concepts.yaml: the top-level keys (but `scheme`) are the concept ids. */
static void load_concepts(void)
{
    yaml_parser_t ps;
    yaml_event_t ev;
    int depth = 0;
    bool key = true, done = false;
    size_t cap = 0;
    if (!yaml_parser_initialize(&ps)) return;
    yaml_parser_set_input_string(&ps, (const unsigned char *)sl_tax_concepts_yaml, strlen(sl_tax_concepts_yaml));
    while (!done && yaml_parser_parse(&ps, &ev)) {
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 1) key = true;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: depth--; break;
        case YAML_SCALAR_EVENT:
            if (depth == 1) {
                if (key && strcmp((char *)ev.data.scalar.value, "scheme")) {
                    if (NCONCEPTS == cap) {
                        size_t nc = cap ? cap * 2 : 128;
                        char **nv = sl_realloc(CONCEPTS, nc * sizeof *nv);
                        if (!nv) { done = true; break; }
                        CONCEPTS = nv, cap = nc;
                    }
                    CONCEPTS[NCONCEPTS] = sl_strdup((char *)ev.data.scalar.value);
                    if (CONCEPTS[NCONCEPTS]) NCONCEPTS++;
                }
                key = !key;
            }
            break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&ps);
}

static void load_tax(void) { load_confidence(); load_concepts(); }

int sl_tags__confidence_level(const char *id)
{
    pthread_once(&TAX_ONCE, load_tax);
    for (size_t i = 0; id && i < NCONF; i++)
        if (!strcmp(CONF[i].id, id)) return CONF[i].level;
    return -1;
}

bool sl_tags__concept_ok(const char *c)
{
    pthread_once(&TAX_ONCE, load_tax);
    for (size_t i = 0; c && i < NCONCEPTS; i++)
        if (!strcmp(CONCEPTS[i], c)) return true;
    return false;
}
