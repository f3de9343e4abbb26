/* alloc.c — the one allocator seam (util.h): sl_malloc, sl_calloc, sl_realloc,
 * sl_strdup and sl_free over the C library's, the failure injection of
 * $SLEUTH_TEST_ALLOC_FAIL (the Nth allocation and every later one return NULL, so a test
 * can walk every allocation of a command and check that each failure is reported, not
 * crashed on), and cJSON's hooks pointed at the seam before main runs. */
#include "sleuth/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t fail_at;  /* 0: no injection; else the 1-based allocation that fails first */
static uint64_t count;    /* allocations so far */
static uint64_t failures; /* allocations that failed */
static int env_read;      /* fail_at read from the environment */

/* getenv allocates nothing, so reading it here cannot recurse. Racing threads may both
 * read it; they store the same value. */
static uint64_t limit(void)
{
    if (!__atomic_load_n(&env_read, __ATOMIC_ACQUIRE)) {
        const char *s = getenv("SLEUTH_TEST_ALLOC_FAIL");
        uint64_t v = 0;
        for (; s && *s >= '0' && *s <= '9'; s++) {
            if (v > (UINT64_MAX - 9) / 10) { v = 0; break; }
            v = v * 10 + (uint64_t)(*s - '0');
        }
        if (s && *s) v = 0; /* trailing junk: not a number, no injection */
        __atomic_store_n(&fail_at, v, __ATOMIC_RELAXED);
        __atomic_store_n(&env_read, 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&fail_at, __ATOMIC_RELAXED);
}

/* Counts one allocation; true when it is to fail. */
static bool injected(void)
{
    uint64_t at = limit(), n = __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    if (at && n >= at) {
        errno = ENOMEM;
        return true;
    }
    return false;
}

static void *failed(void)
{
    __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    errno = ENOMEM;
    return NULL;
}

void *sl_malloc(size_t n)
{
    void *p;
    if (injected() || !(p = malloc(n ? n : 1))) return failed();
    return p;
}

void *sl_calloc(size_t count_, size_t size)
{
    void *p;
    if (injected() || (size && count_ > SIZE_MAX / size)) return failed();
    if (!(p = calloc(count_ && size ? count_ : 1, count_ && size ? size : 1))) return failed();
    return p;
}

void *sl_realloc(void *p, size_t n)
{
    void *q;
    if (injected() || !(q = realloc(p, n ? n : 1))) return failed();
    return q;
}

char *sl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sl_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void sl_free(void *p) { free(p); }

uint64_t sl_alloc_failures(void) { return __atomic_load_n(&failures, __ATOMIC_RELAXED); }

/* cJSON allocates through the seam from the start of the process: before main, so no
 * cJSON object is ever freed by a different allocator than made it. (With hooks other
 * than malloc/free cJSON does not use realloc: it allocates and copies.) */
void sl_alloc_cjson_hooks(void)
{
    cJSON_Hooks h = {sl_malloc, sl_free};
    cJSON_InitHooks(&h);
}

__attribute__((constructor)) static void cjson_hooks(void) { sl_alloc_cjson_hooks(); }
