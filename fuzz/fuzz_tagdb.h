/* fuzz_tagdb.h — the scratch tag db of the tag-importer targets (fuzz_ofac, fuzz_labeljson):
 * a fresh folder in /dev/shm when it is writable (each input is one or more SQLite
 * transactions, twice as fast in memory), else under /tmp, created with SL_TAGS_CREATE
 * without the incident library, and removed when the fuzzer exits normally (a crashed run
 * leaves it: /dev/shm/sleuth-fuzz-<name>*). */
#ifndef SLEUTH_FUZZ_TAGDB_H
#define SLEUTH_FUZZ_TAGDB_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sleuth/tags.h"

static sl_tags *fuzz_tagdb;
static char fuzz_tagdb_dir[96];

static int fuzz_tagdb_rm(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static void fuzz_tagdb_cleanup(void)
{
    sl_tags_close(fuzz_tagdb);
    fuzz_tagdb = NULL;
    nftw(fuzz_tagdb_dir, fuzz_tagdb_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* The db, opened on the first call; aborts when it cannot be made. */
static sl_tags *fuzz_tagdb_get(const char *name)
{
    sl_error e = {0};
    if (fuzz_tagdb) return fuzz_tagdb;
    snprintf(fuzz_tagdb_dir, sizeof fuzz_tagdb_dir, "/dev/shm/sleuth-fuzz-%sXXXXXX", name);
    if (!mkdtemp(fuzz_tagdb_dir)) {
        snprintf(fuzz_tagdb_dir, sizeof fuzz_tagdb_dir, "/tmp/sleuth-fuzz-%sXXXXXX", name);
        if (!mkdtemp(fuzz_tagdb_dir)) abort();
    }
    setenv("SLEUTH_DATA", "/nonexistent", 1);
    if (sl_tags_open(&fuzz_tagdb, fuzz_tagdb_dir, SL_TAGS_CREATE | SL_TAGS_NO_LIBRARY, &e)) abort();
    atexit(fuzz_tagdb_cleanup);
    return fuzz_tagdb;
}

#endif
