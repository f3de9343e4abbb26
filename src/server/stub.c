/* stub.c — TEMPORARY placeholder so the tree links while the server is built on its
 * branch; the server branch deletes this file. Must not reach a release. */
#include "sleuth/server.h"

#define NYI(e) sl_err(e, SL_EUNSUPPORTED, "the server is not built yet")
int sl_serve_run(const sl_serve_opts *o, sl_error *e) { (void)o; return NYI(e); }
int sl_token_create(const char *d, const char *r, const char *l, char **t, cJSON **o, sl_error *e)
{ (void)d; (void)r; (void)l; *t = NULL; *o = NULL; return NYI(e); }
int sl_token_list(const char *d, cJSON **o, sl_error *e) { (void)d; *o = NULL; return NYI(e); }
int sl_token_revoke(const char *d, int64_t id, sl_error *e) { (void)d; (void)id; return NYI(e); }
