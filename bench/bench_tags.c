/* bench_tags.c — address -> tags look-up time of the tag store (sl_tags_for_address: key
 * normalisation and checksum, one indexed SQLite query, the tag structs built) on a
 * generated store of N tags (default 500,000; argv[1]), p50 and p99 over 100,000 random
 * look-ups (half hits, half misses), against the floor measured in the same run: the bare
 * indexed SELECT of one column on the same database, without the library around it.
 *   build/bench/bench_tags [N]
 * Not part of `make test`; docs/TAGS.md quotes the numbers. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sleuth/tags.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void addr_of(char out[43], uint64_t i)
{
    /* a deterministic lower-case EVM address per index (all one case: no checksum) */
    snprintf(out, 43, "0x%016llx%016llx%08x", (unsigned long long)(i * 0x9e3779b97f4a7c15ull),
             (unsigned long long)(i ^ 0xdeadbeefcafef00dull), (unsigned)(i * 2654435761u));
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 500000, q = 100000;
    char dir[] = "/tmp/sleuth-bench-tagsXXXXXX", csv[256], a[43];
    sl_tags *t;
    sl_error e = {0};
    sl_tags_import_stats st;
    double *lat = malloc(q * sizeof *lat), *base = malloc(q * sizeof *base), t0;
    if (!mkdtemp(dir) || !lat || !base) return 1;
    snprintf(csv, sizeof csv, "%s/labels.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "chain,address,category,label,actor,dprk_related,confidence,source_file\n");
    for (size_t i = 0; i < n; i++) {
        addr_of(a, i);
        fprintf(f, "ETH,%s,exchange,Exchange deposit %zu,ex%zu,no,web_crawl,bench\n", a, i, i % 100);
    }
    fclose(f);
    setenv("SLEUTH_DATA", "/nonexistent", 1);
    if (sl_tags_open(&t, dir, SL_TAGS_CREATE, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    t0 = now_us();
    if (sl_tags_import(t, csv, NULL, &st, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    printf("import: %zu tags in %.2f s (%.0f tags/s, one transaction)\n", n, (now_us() - t0) / 1e6,
           n / ((now_us() - t0) / 1e6));

    char db[300];
    sqlite3 *raw;
    sqlite3_stmt *s;
    snprintf(db, sizeof db, "%s/knowledge/tags.db", dir);
    sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(raw, "SELECT id FROM tags WHERE subject = ?1 AND chain = 'ethereum'", -1, &s, NULL);
    for (size_t i = 0; i < q; i++) {
        sl_tag_list l;
        uint64_t k = next() % (2 * n); /* >= n: a miss */
        addr_of(a, k);
        t0 = now_us();
        if (sl_tags_for_address(t, "ethereum", a, &l, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        lat[i] = now_us() - t0;
        if ((k < n) != (l.n == 1)) { fprintf(stderr, "wrong answer for %s\n", a); return 1; }
        sl_tag_list_free(&l);
        t0 = now_us();
        sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
        while (sqlite3_step(s) == SQLITE_ROW) {}
        sqlite3_reset(s);
        base[i] = now_us() - t0;
    }
    qsort(lat, q, sizeof *lat, cmpd);
    qsort(base, q, sizeof *base, cmpd);
    printf("address -> tags, %zu look-ups on %zu tags: p50 %.2f us, p99 %.2f us\n", q, n, lat[q / 2], lat[q * 99 / 100]);
    printf("floor (bare indexed SELECT, same db):     p50 %.2f us, p99 %.2f us\n", base[q / 2], base[q * 99 / 100]);
    printf("ratio to the floor: p50 %.2f, p99 %.2f\n", lat[q / 2] / base[q / 2], lat[q * 99 / 100] / base[q * 99 / 100]);
    sqlite3_finalize(s);
    sqlite3_close(raw);
    sl_tags_close(t);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    free(lat), free(base);
    return 0;
}
