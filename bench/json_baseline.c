/* json_baseline.c — the raw parse speed of the JSON library (cJSON) on the same files sleuth
 * ingests: every JSON-lines document parsed and freed, nothing else. The baseline that
 * bench_eth.sh prints sleuth's ingest rate against. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    double bytes = 0, t = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        char *buf;
        long n;
        struct timespec a, b;
        const char *p, *end;
        if (!f) { perror(argv[i]); return 1; }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) return 1;
        fclose(f);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (p = buf, end = buf + n; p < end;) {
            const char *ret;
            cJSON *j;
            while (p < end && (*p == '\n' || *p == ' ')) p++;
            if (p >= end) break;
            j = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &ret, 0);
            if (!j) { fprintf(stderr, "%s: parse error\n", argv[i]); return 1; }
            cJSON_Delete(j);
            p = ret;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        t += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        bytes += (double)n;
        free(buf);
    }
    printf("{\"bytes\": %.0f, \"seconds\": %.3f, \"mb_per_s\": %.1f}\n", bytes, t, bytes / 1e6 / t);
    return 0;
}
