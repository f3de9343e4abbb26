/* incident_wip.c — TEMPORARY (branch wip-report only; delete when wip-annot is merged):
 * weak stand-ins for the annotations' open and close (annot.h), so this branch links and
 * the incident report runs before that helper's code lands (the detectors take a NULL
 * annotation handle: no crossings, said in their findings). The real definitions, strong,
 * win at link time as soon as their objects are in the archive. */
#include "sleuth/annot.h"

#define WEAK __attribute__((weak))

WEAK int sl_annot_open(sl_annot **a, sl_store *s, sl_error *e)
{
    (void)s;
    *a = NULL;
    return sl_err(e, SL_EUNSUPPORTED, "annotations are not built in this checkout");
}

WEAK void sl_annot_close(sl_annot *a) { (void)a; }
