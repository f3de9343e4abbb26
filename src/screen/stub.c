/* stub.c — TEMPORARY placeholder so the tree links while the screening module is built on
 * its branch; the screening branch deletes this file. Must not reach a release. */
#include "sleuth/screen.h"

#define NYI(e) sl_err(e, SL_EUNSUPPORTED, "screening is not built yet")
int sl_exposure_build(sl_store *s, const char *d, const sl_exposure_build_opts *o, sl_exposure_build_report *r, sl_error *e)
{ (void)s; (void)d; (void)o; (void)r; return NYI(e); }
int sl_exposure_update(sl_store *s, const char *d, bool *c, sl_error *e) { (void)s; (void)d; *c = false; (void)e; return SL_OK; }
int sl_screen_open(sl_screen **o, sl_store *s, const char *d, const char *r, sl_error *e) { *o = NULL; (void)s; (void)d; (void)r; return NYI(e); }
int sl_screen_refresh(sl_screen *sc, sl_error *e) { (void)sc; return NYI(e); }
void sl_screen_close(sl_screen *sc) { (void)sc; }
int sl_screen_json(sl_screen *sc, const sl_screen_req *rq, cJSON **out, sl_error *e) { (void)sc; (void)rq; *out = NULL; return NYI(e); }
