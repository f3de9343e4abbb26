/* detect_int.h — what the files of the laundering detectors share (laundering.h is the
 * public side): the run's context (the flow set, the optional annotation and tag stores,
 * the parameters, the result being filled), the service classification of addresses (a
 * tag of their own or of their cluster), the notes the detectors leave on addresses for
 * the suspects (fan-out slice, peel-chain link, THORChain destination, exchange deposit,
 * Tornado lead), and the helpers that append findings. One thread: the store handle's.
 */
#ifndef SLEUTH_DETECT_INT_H
#define SLEUTH_DETECT_INT_H

#include <stdarg.h>

#include "sleuth/cluster.h"
#include "sleuth/hashtab.h"
#include "sleuth/laundering.h"

/* Rounds of trace-then-take-crossings at most (a swap chain BTC -> ETH -> USDT -> ... is a
 * few rounds deep). */
#define DETECT_MAX_ROUNDS 12

/* What kind of service an address is (its own tag, else its cluster's). */
enum {
    DET_SVC_NONE = 0,
    DET_SVC_EXCHANGE,
    DET_SVC_MIXER,
    DET_SVC_DEX,
    DET_SVC_BRIDGE,   /* bridges and THORChain vaults/routers */
    DET_SVC_OTC,
    DET_SVC_OTHER,    /* another service (defi, payment processor, ...) */
};

/* Notes left on an address by the detectors (bits of det_note.bits). */
enum {
    DET_N_SOURCE = 1u << 0,     /* received the loot from the theft itself (hop 0) or is the source */
    DET_N_FANOUT = 1u << 1,     /* received an equal slice of a fan-out */
    DET_N_PEEL = 1u << 2,       /* a link of a peel chain */
    DET_N_CONSOL = 1u << 3,     /* where tainted coins were consolidated */
    DET_N_RAPID = 1u << 4,      /* passed value on within minutes */
    DET_N_DORMANT = 1u << 5,    /* held stolen value idle for days */
    DET_N_THORDEST = 1u << 6,   /* named as the destination of a THORChain swap memo */
    DET_N_EXDEPOSIT = 1u << 7,  /* an exchange's deposit address (forwards to its hot wallet) */
    DET_N_LEAD = 1u << 8,       /* a Tornado withdrawal linked by Tutela's rules */
    DET_N_SWAPDEST = 1u << 9,   /* received the output of a DEX swap or a bridge */
    DET_N_MIXED = 1u << 10,     /* received an output of a CoinJoin the taint went through */
};

typedef struct det_note {
    uint64_t key;               /* sl_addr_ref_key */
    uint32_t bits;
    double lead;                /* Tornado lead confidence (DET_N_LEAD) */
    char lead_why[96];
    sl_det_amount lead_amount;
    uint64_t lead_time;
} det_note;

/* What an address received over all the traces (for suspects). */
typedef struct det_recv {
    uint64_t key;
    sl_det_amount amount;       /* the asset it received most of (by share) */
    double share;               /* of the loot entering that asset */
    uint64_t first_seen;
} det_recv;

typedef struct det_ctx {
    const sl_flow_set *fs;
    const sl_detect_input *in;
    sl_annot *a;
    sl_tags *tags;
    sl_store *s;                /* params->store: clusters and the tip time; NULL: none */
    const sl_detect_params *p;
    sl_detect_result *r;
    sl_error *e;
    sl_trace_links links;       /* params->extra_links, then the crossings the loot reached */
    size_t *xc_of_link;         /* link i is crossing xc_of_link[i] (SIZE_MAX: declared) */
    sl_ht xc_from;              /* (chain, departing flow) -> first crossing index + 1 */
    sl_ht xc_asked;             /* (chain, tx) whose crossings were looked for */
    sl_ht svc;                  /* address key -> service kind + 1 */
    sl_ht svc_cl;               /* cluster key -> service kind + 1 */
    struct { uint16_t chain; bool tried; sl_cluster *cl; } cls[8];
    size_t n_cls;
    sl_ht notes_ix;             /* address key -> index + 1 into notes */
    det_note *notes; size_t n_notes, cap_notes;
    char no_tags_note[64];      /* said in the evidence when tags are missing */
} det_ctx;

/* The service kind of an address (cached). DET_SVC_NONE without tags; label (cap 96,
 * may be NULL) gets the tag's label. */
int det_service(det_ctx *c, sl_addr_ref a, char *label, size_t cap);
const char *det_service_name(int kind);
/* The address as its chain writes it (out: SL_FLOW_NAME_MAX). */
void det_addr_name(const det_ctx *c, sl_addr_ref a, char *out);
/* The note of an address (created on first use); NULL when out of memory. */
det_note *det_note_of(det_ctx *c, sl_addr_ref a);
int det_mark(det_ctx *c, sl_addr_ref a, uint32_t bits) SL_MUST_USE;
const det_note *det_note_get(const det_ctx *c, sl_addr_ref a);

/* A new finding appended to r (zeroed but for kind, stage, confidence and rule), NULL
 * when out of memory. The pointer is valid until the next det_finding. */
sl_finding *det_finding(det_ctx *c, sl_det_kind k, sl_stage st, double conf, const char *rule);
int det_f_addr(sl_finding *f, sl_addr_ref a) SL_MUST_USE;
int det_f_tx(sl_finding *f, sl_tx_ref t) SL_MUST_USE;
/* Appends "; "-separated evidence (truncated at the field's size). */
void det_f_ev(sl_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void det_f_time(sl_finding *f, uint64_t t);
/* An amount as text ("1.5 BTC") of an asset on a chain. */
void det_amount_str(const det_ctx *c, char *out, size_t cap, uint16_t chain, uint32_t asset, sl_u128 v);

/* The detector families (each appends findings and notes; SL_OK or SL_ENOMEM). */
int det_flow(det_ctx *c);       /* detect_flow.c: fan-out, peel, consolidation, rapid, dormancy */
int det_mix(det_ctx *c);        /* detect_mix.c: CoinJoin, Tornado Cash */
int det_swap(det_ctx *c);       /* detect_swap.c: swaps, bridges, exchanges, OTC */

/* What entered asset (chain, asset) over all the traces: source + linked in. */
sl_u128 det_entered(const det_ctx *c, uint16_t chain, uint32_t asset);
/* The payment's time through its view. */
uint64_t det_flow_time(const det_ctx *c, uint16_t chain, uint64_t flow);

#endif
