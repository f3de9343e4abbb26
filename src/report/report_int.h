/* report_int.h — private to src/report/: the one signature every chain's look-up report
 * has (lookup.c picks the chain model, runs it and checks memory and writes), and where it
 * writes: text to a FILE, or a JSON document it hands over. */
#ifndef SLEUTH_REPORT_INT_H
#define SLEUTH_REPORT_INT_H

#include "sleuth/report.h"

/* Exactly one of text (write the lines there) and json (set *json to the document, which
 * the caller then owns) is used: text when it is not NULL. */
typedef struct sl_report_sink {
    FILE *text;
    cJSON **json;
} sl_report_sink;

/* A report on one chain model: resolves rq->arg (SL_EUSAGE, SL_ENOTFOUND with a message)
 * and then writes to k. Writes and allocations are checked by the caller (lookup.c). */
typedef int (*sl_report_fn)(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);

/* btc_lookup.c */
int sl_report_btc_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_btc_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_btc_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
/* eth_lookup.c */
int sl_report_eth_block(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_eth_tx(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
int sl_report_eth_address(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);
/* info.c */
int sl_report_info(sl_store *s, const sl_report_sink *k, const sl_report_req *rq, sl_error *e);

#endif
