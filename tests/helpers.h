/* helpers.h — shared by the Criterion tests: running the real `sleuth` binary
 * ($SLEUTH_BIN, set by `make test`) and reading its JSON, background processes, temp
 * folders, fixture paths (tests/data, relative to the repository root where `make test` runs).
 *
 * Temp files: the runner makes one folder, $TMPDIR/sleuth-tests-XXXXXX ($TMPDIR defaults to
 * /tmp), before the first test and removes it after the last; every test process and
 * everything it starts (sleuth, nodes, curl) gets it as $TMPDIR, so a crashed or timed-out
 * test leaves nothing behind either. $SLEUTH_KEEP_TMP=1 keeps it (its path is logged).
 * Output: nothing a test starts writes to the terminal; the runner's report is the output. */
#ifndef SLEUTH_TEST_HELPERS_H
#define SLEUTH_TEST_HELPERS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FIX "tests/data/btc"

typedef struct run_result {
    int status;   /* exit code, or 128+signal */
    char *out;    /* stdout (NUL-terminated, owned) */
    char *err;    /* stderr, the shell's own messages included */
} run_result;

/* Runs `$SLEUTH_BIN <args>` through sh -c; args is a shell fragment. */
run_result run_sleuth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs any shell command. */
run_result run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void run_free(run_result *r);
/* Runs sleuth, asserts exit 0, parses stdout as JSON (caller frees with cJSON_Delete). */
cJSON *sleuth_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs sleuth and asserts that it exits with `status` and that its stderr holds `needle`
 * (the located error message a user reads). */
void sleuth_fails(int status, const char *needle, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Asserts that r (run_sleuth's or run_sh's) exited 0, and frees it. */
void expect_ok(run_result r);
/* Writes text to path (truncating it); asserts that it could. */
void write_text(const char *path, const char *text);
/* $SLEUTH_BIN, or build/sleuth. */
const char *sleuth_bin(void);

/* Starts `exec <command>` through sh -c in the background, in a process group of its own,
 * stdin from /dev/null, stdout and stderr to /dev/null unless the command redirects them;
 * it gets SIGKILL if the test process dies first. Returns its pid (also its group's id). */
pid_t spawn_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stops what spawn_sh started: SIGTERM to its whole group (SIGKILL at once when grace_ms is
 * 0), SIGKILL to the group after grace_ms, waits for the process and for the rest of its
 * group to be gone. Returns its wait status. */
int stop_group(pid_t pid, int grace_ms);
/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back): a
 * server given it can still lose it to another process, so callers detect EADDRINUSE and
 * check that what answers is their own server. */
int free_port(void);

/* A fresh empty folder under $TMPDIR; the path is owned by the helpers and valid until the
 * test process exits, when the folder is removed. */
const char *temp_dir(void);
/* "dir/name" in one of 16 buffers used in turn (valid until 16 more calls). */
const char *path_in(const char *dir, const char *name);
/* `sleuth gen world --recipe recipe --seed seed --background-txs bg` into DIR/w, its Bitcoin
 * and Ethereum chains ingested into the store DIR/s (no tags); returns DIR, a fresh
 * temp_dir. Asserts that every command succeeds. */
const char *gen_world_store(const char *recipe, unsigned seed, unsigned bg);
/* Removes a file or a folder with everything below it (no symlinks followed). */
void rm_tree(const char *path);
/* Integer member (exact, from the raw number text); asserts it is a number. */
uint64_t jint(const cJSON *o, const char *key);
const char *jstr(const cJSON *o, const char *key);
/* Path of the one fixture file in dir whose name starts with prefix. */
const char *fixture(const char *dir, const char *prefix);
/* sha256 of every file under a folder (except lock files), for "store unchanged" checks;
 * the writer's hash tables (btc/addr.map, btc/utxo.map) count by their live entries, so
 * the same entries in other slots (an aborted batch put back) count as unchanged. */
char *tree_digest(const char *dir);

#endif
