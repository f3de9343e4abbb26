/* cli_tags.c — the knowledge layer in the commands (the library's, src/report/knowledge.c):
 * the tags and clusters `address` and `tx` print, the names, tags, clusters and --stop-at
 * of `trace`, the tag guard of `cluster build`, and the incident library imported when an
 * ingest creates a store. The commands run one at a time, so the state a command keeps
 * between its calls here is one sl_knowledge at a time. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sleuth/tags.h"
#include "sleuth/util.h"

void cli_tags_after_ingest(const char *store)
{
    sl_tags *t = NULL;
    sl_error e = {0};
    if (sl_tags_exists(store)) return;
    /* out of memory is main's to report (one line); anything else is said here */
    if (sl_tags_open(&t, store, SL_TAGS_CREATE, &e) && e.code != SL_ENOMEM && !sl_alloc_failures())
        fprintf(stderr, "sleuth: note: the incident library was not imported: %s\n", e.msg);
    sl_tags_close(t);
}

void cli_tags_json(sl_store *s, const char *store, cJSON *j)
{
    sl_knowledge *k;
    sl_error e = {0};
    if (sl_knowledge_open(&k, s, store, &e)) return; /* out of memory: main says so */
    sl_knowledge_json(k, j);
    sl_knowledge_close(k);
}

void cli_tags_text(sl_store *s, const char *store, cJSON *j)
{
    sl_knowledge *k;
    sl_error e = {0};
    if (sl_knowledge_open(&k, s, store, &e)) return;
    if (sl_knowledge_text(k, stdout, j)) {} /* a failed write shows in stdout's error state */
    sl_knowledge_close(k);
}

static sl_knowledge *HELD; /* the one command's knowledge between its calls */

void cli_tags_trace(sl_trace_req *rq, sl_store *s, const char *store)
{
    sl_error e = {0};
    cli_tags_trace_done();
    if (!sl_knowledge_open(&HELD, s, store, &e) && sl_knowledge_trace(HELD, rq, store)) {} /* names are optional */
}

void cli_tags_trace_done(void)
{
    sl_knowledge_close(HELD);
    HELD = NULL;
}

const struct sl_cluster_tagger *cli_tags_cluster_tagger(sl_store *s, const char *store, const char *chain)
{
    sl_error e = {0};
    cli_tags_cluster_done();
    if (sl_knowledge_open(&HELD, s, store, &e)) return NULL;
    return sl_knowledge_cluster_tagger(HELD, chain);
}

void cli_tags_cluster_done(void) { cli_tags_trace_done(); }
