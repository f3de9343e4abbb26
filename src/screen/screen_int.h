/* screen_int.h — private to src/screen/: the screening categories, the on-disk exposure
 * index (exposure.c writes it, index.c maps and searches it) and the rules (rules.c).
 *
 * The index is one file, STORE/exposure/index.bin, written to index.bin.tmp and renamed
 * (a kill -9 leaves the old file or the new one). Little-endian, fixed-width records:
 *
 *   OFFSET SIZE MEANING (header, 128 bytes)
 *   0      8    magic "SLEXPO01"
 *   8      4    format version (SL_EXPO_VERSION)
 *   12     4    policy (sl_policy)
 *   16     4    max hops
 *   20     4    chains (n_chains)
 *   24     8    entries, 32 records, 40 sources, 48 path steps, 56 string bytes
 *   64     8    tag-store version: tags ^ subjects << 32 at build
 *   72     8    tag-store version: mtime (ns) ^ size << 40 of knowledge/tags.db
 *   80     8    build time (unix seconds)
 *   88     8    stamp: a number the frontier file beside it repeats (0: none, older builds)
 *   96     32   zero
 *   then, each section starting on a 16-byte boundary, in this order:
 *   chains   n_chains x 64: u16 chain id, u16 0, u32 tip height, 32 tip hash, 24 name
 *   entries  n x 16: u16 chain, u16 0, u32 address id, u32 first record, u32 records
 *            sorted by (chain, address id): a screen is a binary search
 *   self     n x 4: per entry the source its own tags make (UINT32_MAX none)
 *   records  n x 64 (below), grouped by entry
 *   sources  n x 32 (below)
 *   paths    n x 8: flow ids (per the source's chain), a record's path is a run of them
 *   strings  NUL-terminated texts; offset 0 is ""
 *
 *   record: 0 u128 amount (base units), 16 u128 received (what the address received in
 *   that asset in all: the share's denominator), 32 u32 source, 36 u32 asset, 40 u32 first
 *   path step, 44 u8 direction (1 in, 2 out), 45 u8 hops (1 = direct), 46 u8 path steps,
 *   47 u8 0, 48 u128 what the address received in the asset in all, before `received` is
 *   raised to `amount` where taint went round a loop (0 in older builds: the update then
 *   rebuilds).
 *   source: 0 u16 chain, 2 u8 kind (1 address, 2 tx), 3 u8 0, 4 u32 categories (bit
 *   mask of SL_CAT_*), 8 u64 address or tx id, 16 u32 label, 20 u32 incident, 24 u32
 *   actor, 28 u32 address or txid as written (string offsets).
 */
#ifndef SLEUTH_SCREEN_INT_H
#define SLEUTH_SCREEN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sleuth/flow.h"
#include "sleuth/screen.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

#define SL_EXPO_MAGIC "SLEXPO01"
#define SL_EXPO_VERSION 1u
#define SL_EXPO_HDR 128u
#define SL_EXPO_CHAIN 64u
#define SL_EXPO_ENTRY 16u
#define SL_EXPO_RECORD 64u
#define SL_EXPO_SOURCE 32u
#define SL_EXPO_MAX_PATH 32u
#define SL_EXPO_DEFAULT_HOPS 4u

/* The screening categories (bit numbers of a source's mask). The first ones are the
 * risky ones: their sources are traced max_hops deep; the services only one hop. */
enum {
    SL_CAT_STOLEN, SL_CAT_SANCTIONED, SL_CAT_DPRK, SL_CAT_MIXER, SL_CAT_SCAM, SL_CAT_RANSOMWARE,
    SL_CAT_DARKNET, SL_CAT_TERRORISM, SL_CAT_CSAM, SL_CAT_LAUNDERING,
    SL_CAT_EXCHANGE, SL_CAT_GAMBLING, SL_CAT_DEFI, SL_CAT_BRIDGE, SL_CAT_PAYMENT, SL_CAT_MARKET,
    SL_CAT_SERVICE,
    SL_CAT_N
};
#define SL_CAT_RISKY_MASK ((1u << (SL_CAT_LAUNDERING + 1)) - 1u)
/* Categories that are services: the first one a trace meets ends it. */
#define SL_CAT_SERVICE_MASK                                                                           \
    ((1u << SL_CAT_MIXER) | (1u << SL_CAT_EXCHANGE) | (1u << SL_CAT_GAMBLING) | (1u << SL_CAT_DEFI) | \
     (1u << SL_CAT_BRIDGE) | (1u << SL_CAT_PAYMENT) | (1u << SL_CAT_MARKET) | (1u << SL_CAT_SERVICE))
const char *sl_cat_name(unsigned c);
/* The category named s (SL_CAT_N when none). */
unsigned sl_cat_parse(const char *s);
/* The categories tag t puts its subject in (mask). Pure. */
uint32_t sl_cat_of_tag(const sl_tag *t);

/* The mapped index (index.c). */
typedef struct sl_expo_chain { uint16_t chain; uint32_t height; uint8_t hash[32]; char name[25]; } sl_expo_chain;
typedef struct sl_expo_rec {
    sl_u128 amount, received, received_all;
    uint32_t source, asset, path;
    uint8_t dir, hops, path_n;
} sl_expo_rec;
typedef struct sl_expo_src {
    uint16_t chain;
    uint8_t kind;
    uint32_t cats;
    uint64_t id;
    const char *label, *incident, *actor, *name;
} sl_expo_src;

typedef struct sl_expo {
    void *map;
    size_t size;
    uint64_t ino, mtime_ns;   /* of the file mapped (refresh remaps when they change) */
    uint32_t policy, max_hops, n_chains;
    uint64_t n_entries, n_records, n_sources, n_paths, n_strings;
    uint64_t tags_count, tags_mtime, built, stamp;
    const uint8_t *chains, *entries, *self, *records, *sources, *paths;
    const char *strings;
} sl_expo;

/* Maps path: SL_OK, SL_ENOTFOUND (no file), SL_ECORRUPT (located), SL_EIO. */
int sl_expo_open(sl_expo *x, const char *path, sl_error *e);
void sl_expo_close(sl_expo *x);
void sl_expo_chain_at(const sl_expo *x, uint32_t i, sl_expo_chain *c);
/* The entry of (chain, addr): true with its records' range and its own source. */
bool sl_expo_find(const sl_expo *x, uint16_t chain, uint32_t addr, uint32_t *first, uint32_t *n, uint32_t *self);
void sl_expo_rec_at(const sl_expo *x, uint32_t i, sl_expo_rec *r);
void sl_expo_src_at(const sl_expo *x, uint32_t i, sl_expo_src *s);
uint64_t sl_expo_path_at(const sl_expo *x, uint32_t i);

/* The tag-store version of store_dir: its tag and subject counts, the main file's mtime
 * and size (a reader does not change them; an import does). */
int sl_expo_tags_version(const char *store_dir, uint64_t *count, uint64_t *mtime, sl_error *e);
/* The tips of the store's chains as the index records them (at most cap). */
size_t sl_expo_tips(sl_store *s, const sl_flow_set *fs, sl_expo_chain *out, size_t cap);

/* ---- the frontier beside the index (frontier.c) ----
 * STORE/exposure/frontier.bin, written with every index (before it, by rename too): what
 * `exposure update` needs to continue from the index instead of rebuilding it. Per source,
 * where its forward trace stopped while funds were still held and could move on: the
 * unspent tainted outputs below the hop limit (UTXO: "spent" keys, flow ids) and the
 * tainted accounts (accounts: "pays" keys, address ids; with the source's own account);
 * the sources whose trace must be run again at every update (flags: truncated or failed
 * traces); the count of each chain's transactions (UTXO) or flows (accounts) at the build,
 * so that the update reads only what came after. Little-endian:
 *
 *   OFFSET SIZE MEANING (header, 64 bytes)
 *   0      8    magic "SLEXFR01"
 *   8      4    format version (SL_FRONT_VERSION)
 *   12     4    chains (n_chains)
 *   16     8    stamp: the index's (header offset 88); another one: the files do not match
 *   24     8    sources (the index's)
 *   32     8    keys
 *   40     24   zero
 *   chains   n_chains x 16: u16 chain id, u16 0, u32 0, u64 transactions (UTXO) or flows
 *   flags    n_sources x 1, padded to 16: SL_SCREEN_IN / SL_SCREEN_OUT bits
 *   keys     n x 16: u64 id, u16 chain, u8 kind (SL_FRONT_*), u8 0, u32 source;
 *            sorted by (chain, kind, id, source), no repeats
 */
#define SL_FRONT_MAGIC "SLEXFR01"
#define SL_FRONT_VERSION 1u
enum { SL_FRONT_SPENT = 1, SL_FRONT_PAYS = 2 };
typedef struct sl_expo_key { uint64_t id; uint32_t source; uint16_t chain; uint8_t kind; } sl_expo_key;
typedef struct sl_expo_count { uint16_t chain; uint64_t count; } sl_expo_count;
typedef struct sl_expo_frontier {
    uint64_t stamp, n_sources;
    sl_expo_count chains[64];
    uint32_t n_chains;
    uint8_t *flags;        /* n_sources */
    sl_expo_key *keys;
    size_t n_keys, cap_keys;
} sl_expo_frontier;
/* Reads STORE/exposure/frontier.bin into f (sl_malloc'd: sl_expo_frontier_free). SL_OK,
 * SL_ENOTFOUND (none), SL_ECORRUPT (located), SL_EIO, SL_ENOMEM. */
int sl_expo_frontier_read(const char *store_dir, sl_expo_frontier *f, sl_error *e);
/* Sorts and dedupes f's keys, then writes the file (tmp, fsync, rename). */
int sl_expo_frontier_write(const char *store_dir, sl_expo_frontier *f, sl_error *e);
/* The range [*lo, *hi) of f's keys (sorted) with (chain, kind, id). */
void sl_expo_frontier_find(const sl_expo_frontier *f, uint16_t chain, uint8_t kind, uint64_t id, size_t *lo, size_t *hi);
/* Appends a key: SL_OK or SL_ENOMEM. */
int sl_expo_frontier_add(sl_expo_frontier *f, uint16_t chain, uint8_t kind, uint64_t id, uint32_t source);
void sl_expo_frontier_free(sl_expo_frontier *f);
/* Writes b as STORE/exposure/NAME: NAME.tmp, fsync, rename, fsync of the folder. */
int sl_expo_write_file(const char *store_dir, const char *name, const sl_buf *b, sl_error *e);
/* What a chain of the store holds now: its transactions (UTXO) or flows (accounts). */
uint64_t sl_expo_chain_count(sl_store *s, const sl_flow_view *v);

/* ---- rules (rules.c) ---- */
enum { SL_LEVEL_NONE, SL_LEVEL_LOW, SL_LEVEL_MEDIUM, SL_LEVEL_HIGH, SL_LEVEL_SEVERE };
const char *sl_level_name(int level);
enum { SL_EXP_SELF = 1, SL_EXP_DIRECT = 2, SL_EXP_INDIRECT = 4 };
typedef struct sl_rule {
    uint32_t cats;          /* categories it applies to (mask) */
    unsigned dirs;          /* SL_SCREEN_IN | SL_SCREEN_OUT */
    unsigned exposure;      /* SL_EXP_* mask */
    double min_share;       /* of what the subject received in the asset, 0..1 */
    double min_amount;      /* in whole units of the asset (1 = 1 BTC, 1 ETH) */
    uint32_t max_hops;      /* 0: any */
    int level;
    unsigned line;
    char name[64];
} sl_rule;
typedef struct sl_rules {
    sl_rule *v;
    size_t n;
    char path[256];
} sl_rules;
/* Parses a rules file (docs/SCREENING.md); errors SL_ECORRUPT "path:line: field: what",
 * SL_EIO, SL_ENOMEM. */
int sl_rules_load(sl_rules *r, const char *path, sl_error *e);
/* The same from memory (fuzzing, tests); name is what errors call it. */
int sl_rules_parse(sl_rules *r, const char *name, const char *data, size_t len, sl_error *e);
void sl_rules_free(sl_rules *r);

#endif
