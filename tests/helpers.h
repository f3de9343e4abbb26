/* helpers.h — shared by the Criterion tests: running the real `sleuth` binary
 * ($SLEUTH_BIN, set by `make test`) and reading its JSON, temp folders, fixture paths
 * (tests/data, relative to the repository root where `make test` runs). */
#ifndef SLEUTH_TEST_HELPERS_H
#define SLEUTH_TEST_HELPERS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define FIX "tests/data/btc"

typedef struct run_result {
    int status;   /* exit code, or 128+signal */
    char *out;    /* stdout (NUL-terminated, owned) */
    char *err;    /* stderr */
} run_result;

/* Runs `$SLEUTH_BIN <args>` through sh -c; args is a shell fragment. */
run_result run_sleuth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs any shell command. */
run_result run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void run_free(run_result *r);
/* Runs sleuth, asserts exit 0, parses stdout as JSON (caller frees with cJSON_Delete). */
cJSON *sleuth_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A fresh empty temp folder (mkdtemp), path returned in a static-lifetime buffer. */
const char *temp_dir(void);
/* Integer member (exact, from the raw number text); asserts it is a number. */
uint64_t jint(const cJSON *o, const char *key);
const char *jstr(const cJSON *o, const char *key);
/* Path of the one fixture file in dir whose name starts with prefix. */
const char *fixture(const char *dir, const char *prefix);
/* sha256 of every file under a folder (except lock files), for "store unchanged" checks. */
char *tree_digest(const char *dir);

#endif
