/* helpers.c — see helpers.h. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    if (!f) return strdup("");
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    b[n] = 0;
    fclose(f);
    return b;
}

static run_result vrun(bool sleuth, const char *fmt, va_list ap)
{
    char cmd[8192], full[9000], o[64], e[64];
    const char *bin = getenv("SLEUTH_BIN");
    run_result r;
    int st;
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    snprintf(o, sizeof o, "/tmp/sleuth-t-%d-o", getpid());
    snprintf(e, sizeof e, "/tmp/sleuth-t-%d-e", getpid());
    snprintf(full, sizeof full, "%s%s%s >%s 2>%s", sleuth ? (bin ? bin : "build/sleuth") : "", sleuth ? " " : "", cmd,
             o, e);
    st = system(full);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(o);
    r.err = slurp(e);
    unlink(o);
    unlink(e);
    return r;
}

run_result run_sleuth(const char *fmt, ...)
{
    va_list ap;
    run_result r;
    va_start(ap, fmt);
    r = vrun(true, fmt, ap);
    va_end(ap);
    return r;
}

run_result run_sh(const char *fmt, ...)
{
    va_list ap;
    run_result r;
    va_start(ap, fmt);
    r = vrun(false, fmt, ap);
    va_end(ap);
    return r;
}

void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

cJSON *sleuth_json(const char *fmt, ...)
{
    va_list ap;
    run_result r;
    cJSON *j;
    va_start(ap, fmt);
    r = vrun(true, fmt, ap);
    va_end(ap);
    cr_assert_eq(r.status, 0, "sleuth exited %d: %s", r.status, r.err);
    j = cJSON_Parse(r.out);
    cr_assert_not_null(j, "not JSON: %s", r.out);
    run_free(&r);
    return j;
}

const char *temp_dir(void)
{
    static char buf[16][64];
    static int k;
    char *p = buf[k++ % 16];
    strcpy(p, "/tmp/sleuth-test-XXXXXX");
    cr_assert_not_null(mkdtemp(p));
    return p;
}

uint64_t jint(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", key);
    cr_assert(v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0, "%s out of exact range", key);
    return (uint64_t)v->valuedouble;
}

const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(v), "%s is not a string", key);
    return v->valuestring;
}

const char *fixture(const char *dir, const char *prefix)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    DIR *d = opendir(dir);
    struct dirent *de;
    cr_assert_not_null(d, "no fixture folder %s", dir);
    p[0] = 0;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) snprintf(p, 512, "%s/%s", dir, de->d_name);
    closedir(d);
    cr_assert(p[0], "no fixture %s/%s*", dir, prefix);
    return p;
}

char *tree_digest(const char *dir)
{
    run_result r = run_sh("cd '%s' && find . -type f ! -name 'LOCK' ! -name 'lock.mdb' -print0 | sort -z | "
                          "xargs -0 sha256sum | sha256sum", dir);
    char *s = r.out;
    free(r.err);
    return s;
}
