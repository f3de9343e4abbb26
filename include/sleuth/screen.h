/* screen.h — exposure screening: how much of what an address, a cluster or a transaction
 * received (direction "in": where did it come from) or sent (direction "out": where did it
 * go) is tied to tagged entities, directly (the counterparty itself is tagged) or
 * indirectly (within N hops, stopping at the first service, as Chainalysis defines it),
 * under a named taint policy (haircut by default), broken down by category of the tag
 * taxonomy (stolen funds by incident, sanctioned, mixer, DPRK-attributed, exchange,
 * gambling, ...), with a risk level (none/low/medium/high/severe) from a rules file and
 * the reasons behind it (which tag, which path, how much, how many hops, the top
 * contributing sources with their share).
 *
 * `exposure build` precomputes, from every tagged source, what reaches every address
 * within N hops, so that a screen is a look-up (STORE/exposure/, src/screen/). The index
 * records the policy, the hop limit and the store tip it was built at; every answer
 * repeats them. sl_exposure_update brings an index up to the store's tip after blocks
 * were added or rolled back (the watcher calls it after every commit).
 *
 * Threads: one sl_screen per thread, over a store handle of that thread (the screener
 * reads the chains through it and maps the index read-only; it never opens the tag store:
 * the sources' labels are in the index); sl_screen_json and sl_screen_text are then safe
 * to call from that thread at any rate. Building and updating take the exposure index's
 * write lock (STORE/exposure/lock: one at a time; a second gets SL_ECONFLICT); readers
 * keep answering from the index they mapped until sl_screen_refresh.
 */
#ifndef SLEUTH_SCREEN_H
#define SLEUTH_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sleuth/err.h"
#include "sleuth/store.h"
#include "sleuth/trace.h"

enum { SL_SCREEN_IN = 1, SL_SCREEN_OUT = 2, SL_SCREEN_BOTH = 3 };

typedef struct sl_exposure_build_opts {
    sl_policy policy;      /* SL_POLICY_HAIRCUT by default */
    uint32_t max_hops;     /* 0: the default, 4 (docs/SCREENING.md); at most 255 */
    bool quiet;            /* no progress on the terminal */
} sl_exposure_build_opts;

typedef struct sl_exposure_build_report {
    uint64_t sources;      /* tagged sources traced */
    uint64_t entities;     /* addresses with a non-zero exposure */
    uint64_t bytes;        /* size of the index on disk */
    double seconds;
    uint64_t skipped;      /* sources whose trace failed (an amount above 2^128, ...): left out */
    char skip_why[200];    /* the first such failure */
    sl_policy policy;      /* as built */
    uint32_t max_hops;
} sl_exposure_build_report;

/* Builds (or rebuilds) the exposure index of the store in store_dir from its tags (the
 * tag store) and its chains, read through s (a reader handle is enough); o NULL: the
 * defaults (haircut, 4 hops). The new index replaces the old one
 * atomically (rename): a kill -9 leaves the old or the new. *r is filled (also on error:
 * seconds). Errors: SL_ENOTFOUND (no tag store: "import tags first"), SL_ECONFLICT
 * (another build runs), SL_EUSAGE (max_hops above 255), SL_EIO/SL_ESTORE with the path,
 * SL_ENOMEM. */
int sl_exposure_build(sl_store *s, const char *store_dir, const sl_exposure_build_opts *o,
                      sl_exposure_build_report *r, sl_error *e) SL_MUST_USE;
typedef struct sl_exposure_update_report {
    bool changed;          /* the index was rewritten */
    bool full;             /* by a full rebuild; why says why */
    char why[160];
    uint64_t sources;      /* sources in the index written */
    uint64_t retraced;     /* continued: the sources traced again (new receipts, frontier spent) */
    uint64_t read;         /* continued: the new transactions (UTXO) and flows (accounts) read */
    double seconds;
} sl_exposure_update_report;
/* Brings the index up to the store's tip (s's snapshot: take a new one first) after blocks
 * were added or rolled back, or tags imported. Nothing to do when the recorded tips and the
 * tag-store version are the store's (microseconds; r->changed false). After blocks were
 * only appended it continues from the index (docs/SCREENING.md, "Keeping up"): it reads the
 * new blocks, traces again only the sources whose funds they moved (the index's frontier
 * file says where each trace stopped while the funds were still held) or that received
 * in them, and keeps every other record, with what its address received grown by the new
 * receipts: the result equals a full build at the new tip. A full rebuild with the index's
 * own options (r->full, r->why) when the tags changed, a chain was rolled back below the
 * index's tips, the chains are not the index's, or the frontier file is missing or not the
 * index's. No index: SL_OK, nothing done; an index that does not check out is rebuilt with
 * the defaults. Same errors as sl_exposure_build. r is filled (also on error: seconds). */
int sl_exposure_update(sl_store *s, const char *store_dir, sl_exposure_update_report *r, sl_error *e) SL_MUST_USE;

typedef struct sl_screen sl_screen;
/* Opens a screener over the store s (borrowed: it must outlive the screener; one thread)
 * and the index in store_dir, with the rules of rules_path (NULL: the shipped default,
 * data/screen/rules.yaml). Errors: SL_ECORRUPT (a rules file that does not parse: file,
 * line, what), SL_EIO, SL_ENOMEM. No exposure index is not an error: answers then say
 * "exposure not built" and hold the direct exposure only. */
int sl_screen_open(sl_screen **out, sl_store *s, const char *store_dir, const char *rules_path,
                   sl_error *e) SL_MUST_USE;
/* Moves the screener to the store's latest commit (sl_store_snapshot on the borrowed s)
 * and to the latest index (remapped when the file was replaced). Errors: the store's,
 * SL_ECORRUPT for an index that does not check out, SL_ENOMEM. */
int sl_screen_refresh(sl_screen *sc, sl_error *e) SL_MUST_USE;
void sl_screen_close(sl_screen *sc);

typedef struct sl_screen_req {
    const char *subject;   /* an address, a txid/0x hash, or "cluster:<chain>:<id>" */
    const char *chain;     /* NULL: any chain of the store that knows the subject */
    unsigned direction;    /* SL_SCREEN_IN, _OUT, _BOTH (0 = both) */
    uint32_t top;          /* top contributing sources listed (0: 5) */
} sl_screen_req;

/* Screens one subject: *out gets the answer document (caller frees with cJSON_Delete):
 * subject, kind, chain, policy, max_hops, index (built, policy, max_hops, tips per chain:
 * height and hash, tag-store version), risk level, the subject's own categories, reasons
 * (rule, level, category, direction, direct/indirect/self, amount, share, hops, the top
 * sources with the path of the top one), and per direction what it received, direct and
 * indirect sums by category and the top sources (schema: docs/JSON.md, "sleuth screen"). It is the
 * text of sl_screen_text parsed. Errors: SL_EUSAGE (a subject that is no address, tx or
 * cluster of any chain, or of --chain), SL_ENOTFOUND (valid, but the store does not hold
 * it; or a cluster id that is none), SL_ENOMEM. */
int sl_screen_json(sl_screen *sc, const sl_screen_req *rq, cJSON **out, sl_error *e) SL_MUST_USE;
/* The same answer as compact JSON text, for servers: *json (NUL-terminated, *len bytes)
 * points into the screener's own buffer, valid until the next call on sc or
 * sl_screen_close; no allocation once the buffers have grown to the largest answer. Same
 * errors. */
int sl_screen_text(sl_screen *sc, const sl_screen_req *rq, const char **json, size_t *len, sl_error *e) SL_MUST_USE;

#endif
