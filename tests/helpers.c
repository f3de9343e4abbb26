/* helpers.c — see helpers.h. */
#include "helpers.h"

#include <openssl/sha.h>

#include "sleuth/util.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------- the run's temp folder ---------------- */

static char g_root[PATH_MAX];

static const char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* In the runner, before any test process exists: they all inherit $TMPDIR. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    snprintf(g_root, sizeof g_root, "%s/sleuth-tests-XXXXXX", tmp_base());
    if (!mkdtemp(g_root)) {
        cr_log_warn("cannot make a temp folder under %s: %s", tmp_base(), strerror(errno));
        g_root[0] = 0;
        return;
    }
    setenv("TMPDIR", g_root, 1);
}

/* In the runner, after every test process has ended (crashed and timed-out ones too). */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (!g_root[0]) return;
    if (getenv("SLEUTH_KEEP_TMP")) cr_log_info("kept %s", g_root);
    else rm_tree(g_root);
}

/* The folders this test process made, removed when it exits. */
static char **g_dirs;
static size_t g_ndirs;

static void remove_dirs(void)
{
    for (size_t i = 0; i < g_ndirs; i++) {
        if (!getenv("SLEUTH_KEEP_TMP")) rm_tree(g_dirs[i]);
        free(g_dirs[i]);
    }
    free(g_dirs);
    g_dirs = NULL;
    g_ndirs = 0;
}

const char *temp_dir(void)
{
    char p[PATH_MAX];
    char **q;
    snprintf(p, sizeof p, "%s/sleuth-test-XXXXXX", tmp_base());
    cr_assert_not_null(mkdtemp(p), "mkdtemp %s: %s", p, strerror(errno));
    if (!g_dirs) atexit(remove_dirs);
    q = realloc(g_dirs, (g_ndirs + 1) * sizeof *g_dirs);
    cr_assert_not_null(q);
    g_dirs = q;
    cr_assert_not_null(g_dirs[g_ndirs] = strdup(p));
    return g_dirs[g_ndirs++];
}

const char *path_in(const char *dir, const char *name)
{
    static char buf[16][PATH_MAX];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

/* ---------------- processes ---------------- */

const char *sleuth_bin(void)
{
    const char *b = getenv("SLEUTH_BIN");
    return b && *b ? b : "build/sleuth";
}

/* An unlinked file under $TMPDIR to capture a child's output: nothing to clean up. */
static int capture_fd(void)
{
    char p[PATH_MAX];
    int fd;
    snprintf(p, sizeof p, "%s/sleuth-run-XXXXXX", tmp_base());
    fd = mkstemp(p);
    cr_assert_geq(fd, 0, "mkstemp %s: %s", p, strerror(errno));
    unlink(p);
    return fd;
}

static char *read_all(int fd)
{
    struct stat st;
    char *b;
    ssize_t n = 0;
    cr_assert_eq(fstat(fd, &st), 0);
    cr_assert_not_null(b = malloc((size_t)st.st_size + 1));
    while (n < st.st_size) {
        ssize_t r = pread(fd, b + n, (size_t)(st.st_size - n), n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += r;
    }
    b[n] = 0;
    close(fd);
    return b;
}

/* Forks `sh -c cmd` with stdin from /dev/null and stdout/stderr to out/err (-1: /dev/null).
 * The child dies with the test process; group: in a process group of its own. */
static pid_t start(const char *cmd, int out, int err, bool group)
{
    pid_t parent = getpid(), pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (group) setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* the test process died before prctl */
        dup2(nul, 0);
        dup2(out >= 0 ? out : nul, 1);
        dup2(err >= 0 ? err : nul, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (group) setpgid(pid, pid); /* as in the child: the group exists whichever runs first */
    return pid;
}

static int wait_for(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid %d: %s", (int)pid, strerror(errno));
    return st;
}

static run_result vrun(bool sleuth, const char *fmt, va_list ap)
{
    char cmd[8192], full[9000];
    int o = capture_fd(), e = capture_fd(), st;
    run_result r;
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    snprintf(full, sizeof full, "%s%s%s", sleuth ? sleuth_bin() : "", sleuth ? " " : "", cmd);
    st = wait_for(start(full, o, e, false));
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = read_all(o);
    r.err = read_all(e);
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

void sleuth_fails(int status, const char *needle, const char *fmt, ...)
{
    va_list ap;
    run_result r;
    va_start(ap, fmt);
    r = vrun(true, fmt, ap);
    va_end(ap);
    cr_assert_eq(r.status, status, "exit %d, not %d: %s", r.status, status, r.err);
    cr_assert(strstr(r.err, needle), "no \"%s\" in: %s", needle, r.err);
    run_free(&r);
}

void expect_ok(run_result r)
{
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    run_free(&r);
}

void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    cr_assert(fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
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

pid_t spawn_sh(const char *fmt, ...)
{
    char cmd[8192], full[8200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "exec %s", cmd);
    return start(full, -1, -1, true);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

int stop_group(pid_t pid, int grace_ms)
{
    int st = 0;
    bool reaped = false;
    kill(-pid, grace_ms > 0 ? SIGTERM : SIGKILL);
    for (int t = 0; t < grace_ms && !reaped; t += 10) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) reaped = true;
        else sleep_ms(10);
    }
    kill(-pid, SIGKILL); /* the rest of the group too, should the leader have left children */
    if (!reaped) st = wait_for(pid);
    for (int t = 0; kill(-pid, 0) == 0; t += 10) { /* members that are not our children */
        cr_assert_lt(t, 10000, "process group %d still alive 10 s after SIGKILL", (int)pid);
        sleep_ms(10);
    }
    return st;
}

int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;
    if (fd < 0) return -1;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* ---------------- JSON and fixtures ---------------- */

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

static int cmp_rec16(const void *a, const void *b) { return memcmp(a, b, 16); }
static int cmp_rec32(const void *a, const void *b) { return memcmp(a, b, 32); }

/* The live entries of one of the writer's hash tables (btc/addr.map: 16-byte slots after a
 * 128-byte header, id 0xFFFFFFFF = removed; btc/utxo.map: 32-byte slots), sorted, with
 * the table's key: the same set of entries gives the same text however the slots lie. */
static void map_entries(const char *path, size_t slot, bool addr, char *out, size_t cap)
{
    sl_file f;
    sl_error e = {0};
    size_t n = 0, k = 0;
    uint8_t *v;
    unsigned char md[32];
    out[0] = 0;
    if (sl_file_open(&f, path, &e) != SL_OK) return;
    v = malloc(f.len + 32);
    memcpy(v, f.data + 16, 32); /* the key */
    n = 32;
    for (size_t o = 128; o + slot <= f.len; o += slot) {
        uint64_t w0;
        memcpy(&w0, f.data + o, 8);
        if (!w0 || (addr && sl_le32(f.data + o + 8) == 0xffffffffu)) continue;
        memcpy(v + n, f.data + o, slot);
        n += slot;
        k++;
    }
    qsort(v + 32, k, slot, slot == 16 ? cmp_rec16 : cmp_rec32);
    SHA256(v, n, md);
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, cap - 2 * i, "%02x", md[i]);
    snprintf(out + 16, cap - 16, " %zu", k);
    free(v);
    sl_file_close(&f);
}

char *tree_digest(const char *dir)
{
    /* every file byte for byte, but the writer's two hash tables by their entries */
    run_result r = run_sh("cd '%s' && find . -type f ! -name 'LOCK' ! -name 'lock.mdb' ! -name '*.map' -print0 | "
                          "sort -z | xargs -0 sha256sum | sha256sum", dir);
    char p[600], a[64], u[64], *s;
    snprintf(p, sizeof p, "%s/btc/addr.map", dir);
    map_entries(p, 16, true, a, sizeof a);
    snprintf(p, sizeof p, "%s/btc/utxo.map", dir);
    map_entries(p, 32, false, u, sizeof u);
    s = malloc(strlen(r.out) + 160);
    sprintf(s, "%s addr.map %s utxo.map %s", r.out, a, u);
    free(r.out);
    free(r.err);
    return s;
}

const char *gen_world_store(const char *recipe, unsigned seed, unsigned bg)
{
    const char *d = temp_dir();
    run_result r = run_sleuth("gen world --recipe %s --seed %u --out %s/w --background-txs %u --quiet", recipe, seed, d, bg);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest btc --quiet --network regtest --store %s/s %s/w/btc", d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest eth --quiet --store %s/s --chain ethereum %s/w/eth", d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = run_sleuth("ingest tron --quiet --store %s/s %s/w/tron", d, d);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    return d;
}
