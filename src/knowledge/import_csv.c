/* import_csv.c — placeholder. */
#include "knowledge/tags_int.h"
int sl_tags__import_csv(sl_tags_imp *im, FILE *f, sl_error *e)
{
    (void)f;
    return sl_tags__bad(im, 0, NULL, e, "CSV not supported yet");
}
