/* fuzz_scratch.h — the scratch file of the targets whose parser reads a path (fuzz_incidents,
 * fuzz_bridge_rules): each input is written to one file, in /dev/shm when it is writable
 * (else /tmp), named sleuth-fuzz-<name>-<pid>.yaml and removed when the fuzzer exits
 * normally. fuzz_scratch_write aborts when the file cannot be written (a harness fault, not
 * a finding to keep). */
#ifndef SLEUTH_FUZZ_SCRATCH_H
#define SLEUTH_FUZZ_SCRATCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_scratch_path[96];

static void fuzz_scratch_cleanup(void) { unlink(fuzz_scratch_path); }

/* Writes data to the scratch file of name and returns its path. */
static const char *fuzz_scratch_write(const char *name, const uint8_t *data, size_t size)
{
    FILE *f;
    if (!fuzz_scratch_path[0]) {
        snprintf(fuzz_scratch_path, sizeof fuzz_scratch_path, "%s/sleuth-fuzz-%s-%d.yaml",
                 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", name, (int)getpid());
        atexit(fuzz_scratch_cleanup);
    }
    if (!(f = fopen(fuzz_scratch_path, "wb"))) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f)) abort();
    return fuzz_scratch_path;
}

#endif
