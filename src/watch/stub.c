/* stub.c — TEMPORARY placeholder so the tree links while the watch module is built on its
 * branch; the watch branch deletes this file. Must not reach a release. */
#include "sleuth/watch.h"

#define NYI(e) sl_err(e, SL_EUNSUPPORTED, "watchlists are not built yet")
int sl_watch_open(sl_watch **w, const char *d, int m, sl_error *e) { *w = NULL; (void)d; (void)m; return NYI(e); }
void sl_watch_close(sl_watch *w) { (void)w; }
int sl_watch_spec_from_json(const cJSON *j, sl_watch_spec *s, sl_error *e) { (void)j; (void)s; return NYI(e); }
int sl_watchlist_add(sl_watch *w, sl_store *s, const char *d, const sl_watch_spec *sp, cJSON **o, sl_error *e)
{ (void)w; (void)s; (void)d; (void)sp; *o = NULL; return NYI(e); }
int sl_watchlist_remove(sl_watch *w, int64_t id, sl_error *e) { (void)w; (void)id; return NYI(e); }
int sl_watchlist_json(sl_watch *w, cJSON **o, sl_error *e) { (void)w; *o = NULL; return NYI(e); }
int sl_alerts_json(sl_watch *w, int64_t si, uint64_t st, uint64_t l, cJSON **o, sl_error *e)
{ (void)w; (void)si; (void)st; (void)l; *o = NULL; return NYI(e); }
int sl_alert_ack(sl_watch *w, int64_t id, const char *by, sl_error *e) { (void)w; (void)id; (void)by; return NYI(e); }
int sl_watch_run(const sl_watch_opts *o, sl_error *e) { (void)o; return NYI(e); }
