/* fuzz_incidents.c — libFuzzer target for the incident library's reader
 * (src/knowledge/incidents.c over the YAML tree of yaml_tree.c): each input is written to
 * one scratch file (/dev/shm when there is one) and read with sl_incidents_read.
 * Properties: no crash, leak or sanitizer report; an error is located (a message naming
 * the file) and leaves the list empty; on success every incident has an id, its amounts are
 * counted right, and sl_incident_find finds each incident by its id (the first of that id).
 * Seeds: fuzz/corpus/incidents (data/incidents/incidents.yaml, cuts of it, small shapes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_scratch.h"
#include "sleuth/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_incident_list l;
    sl_error e = {0};
    const char *path = fuzz_scratch_write("incidents", data, size);
    int rc = sl_incidents_read(path, &l, &e);
    if (rc) {
        if (l.n || l.v) abort();
        if (!strstr(e.msg, path) && rc != SL_ENOMEM) abort();
        return 0;
    }
    for (size_t i = 0; i < l.n; i++) {
        const sl_incident *in = &l.v[i], *g;
        if (!in->id) abort();
        if (in->nstolen && !in->stolen) abort();
        if (!(g = sl_incident_find(&l, in->id)) || strcmp(g->id, in->id) || g > in) abort();
        if (in->name && !sl_incident_find(&l, in->name)) abort();
    }
    sl_incident_list_free(&l);
    return 0;
}
