/* fuzz_ingest.c — libFuzzer target for the whole Bitcoin ingest (src/ingest/btc_ingest.c,
 * src/util/util.c's file decoding, src/store/): framing scan, chain selection, prevout
 * loading, validation and the write pass into a real store.
 *
 * The store lives in one temporary folder (on /dev/shm when it exists) and always starts
 * a run holding exactly the genesis block, so every input sees the same state. Each input
 * is written to a file and ingested
 *   1. as-is, named blk00000.dat (blk framing when it starts with the magic, else a raw block),
 *   2. wrapped in one blk frame (magic, length), so the bytes are a block inside a blk file,
 *   3. as a .hex and as a .zst raw block file (sl_file_open's decoders),
 *   4. as a prevouts JSON file, named for block 91880 so both the positional and the
 *      txid-keyed formats apply, next to that (real) block as a raw file.
 * No input may crash, and an ingest that fails must leave the store's counts exactly as
 * they were (sl_btc_meta_get before and after). When an ingest succeeds and changes the
 * store, the store is deleted and rebuilt before the next ingest.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sleuth/btc.h"
#include "sleuth/ingest.h"
#include "sleuth/store.h"
#include "sleuth/util.h"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_ingest: invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* Block 0 and block 91880 of Bitcoin mainnet (raw bytes, hex) — from the shared fixtures. */
#include "fuzz_ingest_blocks.h"

#define H91880 "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721"

static char g_dir[256], g_store[300], g_genesis[300], g_b91880[300];
static sl_store *g_s;

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(n == 0 || fwrite(p, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

static void write_hex_file(const char *path, const char *hex)
{
    write_file(path, hex, strlen(hex));
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static int ingest(const char *path, const char *prevouts, sl_error *e)
{
    const char *paths[1] = {path};
    const char *po[1] = {prevouts};
    sl_ingest_opts o = {0};
    sl_ingest_report r;
    o.quiet = true;
    o.prevouts = po;
    o.n_prevouts = prevouts ? 1 : 0;
    return sl_ingest_btc(g_s, paths, 1, &o, &r, e);
}

/* (Re)creates the store holding only the genesis block. */
static void store_reset(void)
{
    sl_error e = {0};
    if (g_s) sl_store_close(g_s);
    g_s = NULL;
    nftw(g_store, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    CHECK(sl_store_open(&g_s, g_store, SL_STORE_WRITE, &e) == SL_OK);
    if (ingest(g_genesis, NULL, &e) != SL_OK) {
        fprintf(stderr, "fuzz_ingest: genesis: %s\n", e.msg);
        abort();
    }
    CHECK(sl_btc_meta_get(g_s)->n_blocks == 1);
}

static void cleanup(void)
{
    if (g_s) sl_store_close(g_s);
    g_s = NULL;
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A crash (abort) skips atexit: remove the folders of runs whose process is gone. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *de;
    if (!d) return;
    while ((de = readdir(d))) {
        long pid;
        char p[300];
        if (sscanf(de->d_name, "sleuth-fuzz-ingest-%ld", &pid) != 1 || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(p, sizeof p, "%s/%s", base, de->d_name);
        nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    (void)argc, (void)argv;
    remove_stale(base);
    snprintf(g_dir, sizeof g_dir, "%s/sleuth-fuzz-ingest-%ld", base, (long)getpid());
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    CHECK(mkdir(g_dir, 0700) == 0);
    snprintf(g_store, sizeof g_store, "%s/store", g_dir);
    snprintf(g_genesis, sizeof g_genesis, "%s/genesis.hex", g_dir);
    snprintf(g_b91880, sizeof g_b91880, "%s/0091880_" H91880 ".hex", g_dir);
    write_hex_file(g_genesis, GENESIS_HEX);
    write_hex_file(g_b91880, B91880_HEX);
    atexit(cleanup);
    store_reset();
    return 0;
}

/* One ingest of path (+ prevouts); checks the store is untouched on failure. */
static void run(const char *path, const char *prevouts)
{
    sl_btc_meta before = *sl_btc_meta_get(g_s), after;
    sl_error e = {0};
    int rc = ingest(path, prevouts, &e);
    after = *sl_btc_meta_get(g_s);
    if (rc != SL_OK) {
        CHECK(e.code == rc && e.msg[0]);
        CHECK(rc == SL_ECORRUPT || rc == SL_EUSAGE || rc == SL_ENOTFOUND || rc == SL_ELIMIT || rc == SL_ECONFLICT);
        if (memcmp(&before, &after, sizeof before) != 0) {
            fprintf(stderr, "fuzz_ingest: failed ingest (%s) changed the store's counts\n", e.msg);
            abort();
        }
        return;
    }
    if (memcmp(&before, &after, sizeof before) != 0) {
        CHECK(after.n_blocks > before.n_blocks && after.n_tx > before.n_tx && after.n_in >= before.n_in);
        store_reset();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char p[400];
    uint8_t *framed;
    if (size > (1u << 20)) return 0;

    /* 1. as-is: blk framing or a raw block */
    snprintf(p, sizeof p, "%s/blk00000.dat", g_dir);
    write_file(p, data, size);
    run(p, NULL);

    /* 2. one blk frame around the bytes */
    framed = malloc(size + 8);
    CHECK(framed);
    memcpy(framed, sl_btc_net_default()->magic, 4);
    sl_put_le32(framed + 4, (uint32_t)size);
    memcpy(framed + 8, data, size);
    snprintf(p, sizeof p, "%s/blk00001.dat", g_dir);
    write_file(p, framed, size + 8);
    free(framed);
    run(p, NULL);

    /* 3. the file decoders */
    snprintf(p, sizeof p, "%s/block.hex", g_dir);
    write_file(p, data, size);
    run(p, NULL);
    snprintf(p, sizeof p, "%s/block.zst", g_dir);
    write_file(p, data, size);
    run(p, NULL);

    /* 4. prevouts for block 91880 */
    snprintf(p, sizeof p, "%s/0091880_" H91880 ".json", g_dir);
    write_file(p, data, size);
    run(g_b91880, p);
    return 0;
}
