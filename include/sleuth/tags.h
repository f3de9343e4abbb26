/* tags.h — the tag store: what the world says an address or a transaction is ("Binance
 * deposit", "OFAC SDN: Lazarus Group", "Bybit exploiter"), with where each statement came
 * from, kept in SQLite at STORE_DIR/knowledge/tags.db (WAL journal), and the importers
 * that fill it: GraphSense TagPacks and ActorPacks (YAML, libyaml), the OFAC SDN advanced
 * XML (libxml2; .xml or .xml.bz2), and label CSVs (etherscan service labels, dawsbot
 * eth-labels, attribution_index.csv). docs/TAGS.md has the formats, the category mapping,
 * the confidence scale and the network-code table.
 *
 * Keys are chain-neutral text: (chain, address) where chain is the name sleuth gives it
 * ("btc" for the Bitcoin family, litecoin included; "ethereum", "bsc", "polygon",
 * "avalanche", "arbitrum", "base", "tron") or, for chains sleuth does not ingest, the
 * lower-case network code ("bch", "xmr", ...); the address is canonical text (EVM: lower-case
 * 0x hex; Bitcoin, Tron and the rest as written). sl_tags_key normalises both.
 *
 * An import is one SQLite transaction per file: a file with an error imports nothing and
 * leaves the database as it was. Importing a file again replaces what that file (by its
 * name) brought before.
 *
 * Threads: one handle per thread (SQLite connections are not shared here); several
 * processes may read while one writes (WAL).
 */
#ifndef SLEUTH_TAGS_H
#define SLEUTH_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sleuth/chains.h"
#include "sleuth/err.h"

typedef struct sl_tags sl_tags;

/* One tag. In a list returned by the store every string is owned by the list (free the
 * list with sl_tag_list_free); NULL means "not given". */
typedef struct sl_tag {
    char *chain;         /* sleuth chain name or lower-case network code */
    char *address;       /* canonical address, or NULL for a transaction tag */
    char *tx_hash;       /* transaction tag (lower-case, 0x kept for EVM), or NULL */
    char *label;
    char *category;      /* concept (taxonomy): exchange, mixing_service, perpetrator, ... */
    char *abuse;         /* concept: sanction, hacking, money_laundering, ... */
    char *concepts;      /* JSON array of further concepts, or NULL */
    char *source;        /* the citation (URI or words) */
    char *confidence;    /* confidence id (taxonomy): authority_data, forensic, ... */
    int level;           /* its numeric level, 0..100 */
    char *actor;         /* actor id (ActorPack), or NULL */
    char *actor_label;   /* the actor's label when the store knows the actor */
    bool is_cluster_definer;
    char *context;       /* JSON text, or NULL */
    char *incident;      /* context's "incident", or NULL */
    char *role;          /* context's "role", or NULL */
    char *lastmod;       /* YYYY-MM-DD..., or NULL */
    char *pack;          /* title of the pack (or the kind of file) it came from */
    char *file;          /* base name of the file it came from ("(added)" for tags add) */
} sl_tag;

typedef struct sl_tag_list {
    sl_tag *v;
    size_t n, cap;
} sl_tag_list;
void sl_tag_list_free(sl_tag_list *l);

/* Open flags. */
enum {
    SL_TAGS_RDONLY = 0,   /* the db must exist (SL_ENOTFOUND when the store has none) */
    SL_TAGS_CREATE = 1,   /* create STORE_DIR/knowledge/tags.db when missing; a new db gets
                           * the incident library imported (sl_tags_data_dir) */
    SL_TAGS_NO_LIBRARY = 2, /* with CREATE: do not import the incident library */
};

/* Opens the tag db of the store at store_dir. *out owned by the caller (sl_tags_close).
 * Errors: SL_ENOTFOUND (RDONLY, no tag db), SL_ESTORE (SQLite failed: message says why),
 * SL_ECORRUPT (a library file failed to import while creating: nothing is created),
 * SL_ENOMEM. */
int sl_tags_open(sl_tags **out, const char *store_dir, unsigned flags, sl_error *e) SL_MUST_USE;
void sl_tags_close(sl_tags *t);
/* True when the store at store_dir has a tag db. */
bool sl_tags_exists(const char *store_dir);

/* The folder of the data sleuth ships (data/, with incidents/): $SLEUTH_DATA when set,
 * else the path compiled in (SLEUTH_DATA_DIR). Static string. */
const char *sl_tags_data_dir(void);

/* Normalises a chain name or network code and an address into the store's key: out_chain
 * (cap 32) and out_addr (cap 128). Validates the address for the chains sleuth knows
 * (EVM: 0x + 40 hex, a mixed-case one must pass EIP-55; Bitcoin family: Base58Check or
 * bech32/bech32m; Tron: Base58Check T-address); chain NULL or "" guesses from the address
 * form (0x: ethereum, T: tron, else btc). Errors: SL_EUSAGE with the reason in words. */
int sl_tags_key(char out_chain[32], char out_addr[128], const char *chain, const char *address,
                sl_error *e) SL_MUST_USE;
/* The sleuth chain for a network or currency code of a tag pack or CSV ("BTC", "XBT",
 * "ETH", "MATIC", "POLYGON", "BEP20", ...; case-insensitive), given the address to tell
 * stable coins on several chains apart; writes the lower-case code for the others.
 * out has cap 32. */
void sl_tags_network(char out[32], const char *code, const char *address);

/* Tags of an address (chain as sl_tags_key takes it; the address in any case it is
 * written), best first (sl_tags_best's order). *out is filled (free with
 * sl_tag_list_free); an address without tags gives SL_OK and an empty list.
 * Errors: SL_EUSAGE (not an address of that chain), SL_ESTORE, SL_ENOMEM. */
int sl_tags_for_address(sl_tags *t, const char *chain, const char *address, sl_tag_list *out,
                        sl_error *e) SL_MUST_USE;
/* Tags of an address of a store by its chain-neutral key (chains.h): the address as the
 * chain writes it (sl_addr_format), looked up under its chain's name ("btc" for the
 * Bitcoin family). An address the store cannot format has no tags (SL_OK, empty list).
 * Threads: t's and s's. */
int sl_tags_for_ref(sl_tags *t, sl_store *s, sl_addr_ref a, sl_tag_list *out, sl_error *e) SL_MUST_USE;
/* Tags of a transaction (hash as written, 0x optional on EVM chains; chain NULL: any). */
int sl_tags_for_tx(sl_tags *t, const char *chain, const char *tx_hash, sl_tag_list *out, sl_error *e) SL_MUST_USE;
/* Every tag whose context names incident `incident` (exact id), ordered by chain and
 * address. Same ownership and errors. */
int sl_tags_for_incident(sl_tags *t, const char *incident, sl_tag_list *out, sl_error *e) SL_MUST_USE;
/* Every tag, or those of one source (NULL: all), in insertion order (export). */
int sl_tags_all(sl_tags *t, const char *source, sl_tag_list *out, sl_error *e) SL_MUST_USE;

/* The best of n tags by GraphSense's rule: cluster definers first, then the highest
 * confidence level, then the earliest given. NULL when n is 0. Pure. */
const sl_tag *sl_tags_best(const sl_tag *v, size_t n);
/* Compares two tags by that rule (< 0: a is better). qsort-style, pure. */
int sl_tags_cmp(const sl_tag *a, const sl_tag *b);
/* True when a and b cannot name one owner: two exchanges with different actors (or,
 * without actors, different labels), or an exchange and a perpetrator/thief (category
 * perpetrator, or abuse hacking/service_hack/exploit/money_laundering...). Pure. */
bool sl_tags_conflict(const sl_tag *a, const sl_tag *b);
/* True when tag t matches category c of a --stop-at list: its category, abuse or one of
 * its concepts is c, or is what an alias means (mixer: mixing_service, bridge:
 * defi_bridge, dex: defi_dex, sanctioned: sanction, thief/hacker: perpetrator). Pure. */
bool sl_tag_is(const sl_tag *t, const char *c);

/* What one import did. */
typedef struct sl_tags_import_stats {
    uint64_t tags;        /* tags stored */
    uint64_t duplicates;  /* tags given twice in the file (stored once) */
    uint64_t actors;      /* actors stored (ActorPacks) */
    uint64_t warnings;    /* accepted with a warning (see warn) */
    char warn[300];       /* the first warning, located ("file:line: ...") */
    char kind[32];        /* "tagpack", "actorpack", "ofac-sdn-xml", "csv:attribution_index", ... */
    char detail[600];     /* OFAC: distinct addresses per asset ("XBT 517, ETH 77, ..."), else "" */
} sl_tags_import_stats;

/* Import options. */
typedef struct sl_tags_import_opts {
    bool strict;          /* warnings (unknown concept, missing confidence) become errors */
    uint64_t max_line;    /* CSV: longest line accepted (0: 1 MiB) */
} sl_tags_import_opts;

/* Imports one file (kind from its content: a YAML mapping with `tags` or `actors`, an XML
 * document (plain or bzip2) whose root is <Sanctions>, a CSV with a known header) in one
 * transaction. opts may be NULL. Errors: SL_ECORRUPT with file, line and field in e
 * (nothing imported), SL_EIO, SL_EUNSUPPORTED (not a kind it knows), SL_ESTORE, SL_ENOMEM. */
int sl_tags_import(sl_tags *t, const char *path, const sl_tags_import_opts *opts, sl_tags_import_stats *st,
                   sl_error *e) SL_MUST_USE;
/* The same from memory (fuzzing, tests); name is what errors call the input. */
int sl_tags_import_mem(sl_tags *t, const char *name, const char *data, size_t len, const sl_tags_import_opts *opts,
                       sl_tags_import_stats *st, sl_error *e) SL_MUST_USE;

/* Adds one tag an analyst asserts (file "(added)"). Fields as in sl_tag; chain, address
 * (or tx_hash), label, source and category are required; confidence NULL: "forensic".
 * Validates the address, the confidence id and the category. Errors: SL_EUSAGE in words,
 * SL_ESTORE. */
int sl_tags_add(sl_tags *t, const sl_tag *tag, sl_error *e) SL_MUST_USE;

/* Writes every tag (or those of source) as one GraphSense TagPack to f: a header
 * (title, creator, description) and every field explicit on each tag, so importing it
 * gives the same tags. Errors: SL_EIO, SL_ESTORE, SL_ENOMEM. */
int sl_tags_export(sl_tags *t, FILE *f, const char *source, sl_error *e) SL_MUST_USE;

/* Counts: tags and distinct subjects in the db (tags info). */
int sl_tags_count(sl_tags *t, uint64_t *tags, uint64_t *subjects, sl_error *e) SL_MUST_USE;

/* An actor of an ActorPack; strings owned by the caller's sl_tags_actor_free. */
typedef struct sl_tags_actor {
    char *id, *label, *uri, *categories, *jurisdictions, *context, *file;
} sl_tags_actor;
/* The actor with id, SL_ENOTFOUND when unknown. */
int sl_tags_actor_get(sl_tags *t, const char *id, sl_tags_actor *out, sl_error *e) SL_MUST_USE;
void sl_tags_actor_free(sl_tags_actor *a);

/* ---- output (src/knowledge/tags_out.c), shared by `tags show` and the look-up reports ---- */

/* The JSON array of n tags (docs/JSON.md "tags"): label, category, abuse, concepts,
 * source, confidence, confidence_level, actor, actor_label, is_cluster_definer, context,
 * incident, role, lastmod, chain, address or tx_hash, pack, file. Caller owns it (a
 * cJSON *, declared void * so this header needs no cJSON); NULL when out of memory. */
void *sl_tags_json(const sl_tag *v, size_t n);
/* Text lines for n tags, each at most 100 columns, indented by indent spaces: label,
 * category, confidence, actor, then "source ... (file)". Returns SL_OK or SL_EIO. */
int sl_tags_text(FILE *f, const sl_tag *v, size_t n, size_t indent);

/* ---- the incident library (data/incidents/incidents.yaml; src/knowledge/incidents.c) ---- */

typedef struct sl_incident_amount {
    char *asset, *amount, *usd;
} sl_incident_amount;

/* One incident of incidents.yaml; strings owned by the list. */
typedef struct sl_incident {
    char *id, *name, *date, *victim, *chains;  /* chains: comma-joined */
    sl_incident_amount *stolen;
    size_t nstolen;
    char *route_in, *method, *laundering, *aftermath;
    char *attr_actor, *attr_by, *attr_date, *attr_confidence, *attr_source;
    char *tagpack;
    char *sources;  /* newline-joined */
    bool local;     /* one of the store's own records (knowledge/incidents.d), not the library's */
} sl_incident;

typedef struct sl_incident_list {
    sl_incident *v;
    size_t n;
} sl_incident_list;
void sl_incident_list_free(sl_incident_list *l);

/* Reads an incidents.yaml (path) into *out. Errors: SL_EIO, SL_ECORRUPT (located: file,
 * line, field), SL_ENOMEM. */
int sl_incidents_read(const char *path, sl_incident_list *out, sl_error *e) SL_MUST_USE;
/* Every incident a store knows: the library's, then the store's own (the .yaml files of
 * STORE_DIR/knowledge/incidents.d in name order, `local` set) whose id the library does not hold (the
 * first of an id wins, as sl_incident_lookup finds them). store_dir NULL: the library only.
 * Errors: those of sl_incidents_read (a bad store file names itself), SL_ENOMEM. */
int sl_incidents_all(const char *store_dir, sl_incident_list *out, sl_error *e) SL_MUST_USE;
/* The incident of l whose id is name, or whose name equals it ignoring case, or NULL. */
const sl_incident *sl_incident_find(const sl_incident_list *l, const char *name);

/* ---- store-local incident records (STORE_DIR/knowledge/incidents.d/, issue 12) ---- */

/* True when the file at path looks like an incident list: a line that starts with the
 * top-level key `incidents:` (tag packs have `tags:`). Reads at most its first 64 KiB. */
bool sl_incidents_is_file(const char *path);
/* Validates the incident list at path (sl_incidents_read) and copies it, byte for byte, to
 * STORE_DIR/knowledge/incidents.d/<its first id>.yaml, replacing what an import of a list
 * with the same first id put there (so importing a file again replaces it). *n gets how
 * many incidents it holds. Errors: SL_ECORRUPT (located, nothing copied), SL_EUSAGE (an
 * empty list, or a first id that is not a slug of [a-z0-9._-]), SL_EIO, SL_ENOMEM. */
int sl_incidents_import(const char *store_dir, const char *path, size_t *n, sl_error *e) SL_MUST_USE;
/* Finds the incident `name` (id, or name in any case): the built-in library
 * (sl_tags_data_dir()/incidents/incidents.yaml) first, then STORE_DIR/knowledge/incidents.d/
 * *.yaml in name order (store_dir NULL: the library only). On SL_OK, *out holds the list
 * it came from (free with sl_incident_list_free), *inc points into it and from (cap bytes)
 * names the file. SL_ENOTFOUND names the places looked in; SL_ECORRUPT / SL_EIO for a
 * file that cannot be read. */
int sl_incident_lookup(const char *store_dir, const char *name, sl_incident_list *out, const sl_incident **inc,
                       char *from, size_t cap, sl_error *e) SL_MUST_USE;

#endif
