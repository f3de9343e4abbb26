/* bench_screen.c — the cost of one screen in process (issue 13, "Speed and load"):
 *   build/bench/bench_screen STORE SUBJECTS_FILE [N]
 * opens the store and a screener (sl_screen_open) as the HTTP server does, then screens
 * N subjects (default 200,000) drawn in turn from the file (one per line), one thread:
 * sl_screen_text (the JSON text a server sends), then sl_screen_json (that text as a cJSON
 * tree, what the CLI prints). Prints screens per second and mean/p50/p99 microseconds per
 * screen beside a baseline measured in the same run: the subject resolved to its address
 * id (the flow view's addr_find) and nothing else, the floor any screen pays before it
 * reads the index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "sleuth/screen.h"
#include "sleuth/store.h"

static char **subjects;
static size_t n_subjects;

static void read_subjects(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t cap = 0;
    if (!f) { perror(path); exit(1); }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        if (n_subjects == cap) subjects = realloc(subjects, (cap = cap ? cap * 2 : 1024) * sizeof *subjects);
        subjects[n_subjects++] = strdup(line);
    }
    fclose(f);
    if (!n_subjects) { fprintf(stderr, "%s: no subjects\n", path); exit(1); }
}

static void report(const char *what, uint64_t *lat, size_t n, uint64_t total_ns)
{
    qsort(lat, n, sizeof *lat, cmp_u64);
    printf("| %s | %.0f | %.2f | %.2f | %.2f |\n", what, n / (total_ns / 1e9), total_ns / 1e3 / n, lat[n / 2] / 1e3,
           lat[n * 99 / 100] / 1e3);
}

int main(int argc, char **argv)
{
    sl_store *s;
    sl_screen *sc;
    sl_flow_set *fs;
    sl_error e = {0};
    size_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 200000, bytes = 0;
    uint64_t *lat, t0, t;
    if (argc < 3) { fprintf(stderr, "usage: bench_screen STORE SUBJECTS_FILE [N]\n"); return 2; }
    read_subjects(argv[2]);
    lat = malloc(n * sizeof *lat);
    if (sl_store_open(&s, argv[1], SL_STORE_RDONLY, &e) || sl_screen_open(&sc, s, argv[1], NULL, &e) ||
        sl_flow_set_open(&fs, s, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    { /* subjects the store does not hold (a world's unused addresses) are left out */
        size_t k = 0;
        for (size_t i = 0; i < n_subjects; i++) {
            sl_screen_req rq = {.subject = subjects[i]};
            const char *txt;
            size_t len;
            if (!sl_screen_text(sc, &rq, &txt, &len, &e)) subjects[k++] = subjects[i];
        }
        n_subjects = k;
        if (!k) { fprintf(stderr, "no subject of the file is in the store\n"); return 1; }
    }
    printf("| loop (one thread, %zu subjects) | screens/s | mean us | p50 us | p99 us |\n|---|---|---|---|---|\n",
           n_subjects);
    /* baseline: resolve the subject only */
    t0 = ns();
    for (size_t i = 0; i < n; i++) {
        uint64_t a = ns();
        uint32_t id;
        sl_error ae = {0};
        for (size_t k = 0; k < sl_flow_set_count(fs); k++) {
            const sl_flow_view *v = sl_flow_set_at(fs, k);
            if (!v->m->addr_find(v, subjects[i % n_subjects], &id, &ae)) break;
        }
        lat[i] = ns() - a;
    }
    t = ns() - t0;
    report("baseline: address id only", lat, n, t);
    for (int pass = 0; pass < 2; pass++) {
        t0 = ns();
        for (size_t i = 0; i < n; i++) {
            uint64_t a = ns();
            sl_screen_req rq = {.subject = subjects[i % n_subjects]};
            int rc;
            if (!pass) { /* the server's path: the JSON text in the screener's buffer */
                const char *txt;
                size_t len;
                rc = sl_screen_text(sc, &rq, &txt, &len, &e);
                bytes += len;
            } else { /* the CLI's: that text parsed into a cJSON tree */
                cJSON *j = NULL;
                rc = sl_screen_json(sc, &rq, &j, &e);
                cJSON_Delete(j);
            }
            if (rc) {
                fprintf(stderr, "%s: %s\n", rq.subject, e.msg);
                return 1;
            }
            lat[i] = ns() - a;
        }
        t = ns() - t0;
        report(pass ? "sl_screen_json (the text parsed to a cJSON tree)" : "sl_screen_text (JSON text: what a server sends)",
               lat, n, t);
    }
    printf("\nmean answer: %.0f bytes\n", (double)bytes / n);
    sl_flow_set_close(fs);
    sl_screen_close(sc);
    sl_store_close(s);
    return 0;
}
