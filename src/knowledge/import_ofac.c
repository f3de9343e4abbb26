/* import_ofac.c — placeholder (OFAC SDN advanced XML importer). */
#include "knowledge/tags_int.h"
int sl_tags__import_xml(sl_tags_imp *im, FILE *f, bool bz2, sl_error *e)
{
    (void)f, (void)bz2;
    return sl_tags__bad(im, 0, NULL, e, "XML not supported yet");
}
