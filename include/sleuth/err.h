/* err.h — sleuth's status codes and located error messages.
 *
 * Every fallible function returns an int status: 0 (SL_OK) is success, the rest come
 * from the one X-macro table below, which also yields each code's name, message and the
 * HTTP status a server answers with. "Not found" is a normal answer (SL_ENOTFOUND), not a
 * failure. Functions that can say more take an `sl_error *` (may be NULL) and fill it with
 * a located message — which file, which byte offset or JSON path, what was expected — and
 * the same location as fields (file, offset, line, path), so a program (the CLI's --json
 * errors, the HTTP server) need not parse the text. A code is passed on unchanged by the
 * callers that add context (sl_err_prefix).
 */
#ifndef SLEUTH_ERR_H
#define SLEUTH_ERR_H

#include <stdbool.h>
#include <stddef.h>

#define SL_MUST_USE __attribute__((warn_unused_result))

/*        name         value  message                           http */
#define SL_ERRNO_MAP(X)                                                    \
    X(OK,          0,  "ok",                                  200)       \
    X(ENOMEM,      1,  "out of memory",                       500)       \
    X(EIO,         2,  "input/output error",                  500)       \
    X(ECORRUPT,    3,  "corrupt or malformed input",          422)       \
    X(EUSAGE,      4,  "invalid arguments",                   400)       \
    X(ENOTFOUND,   5,  "not found",                           404)       \
    X(ESTORE,      6,  "store error",                         500)       \
    X(EVERSION,    7,  "unsupported store version",           500)       \
    X(EUNSUPPORTED,8,  "unsupported",                         400)       \
    X(ELIMIT,      9,  "limit exceeded",                      413)       \
    X(ECONFLICT,   10, "conflicts with stored data",          409)

enum {
#define SL_X(name, val, msg, http) SL_##name = val,
    SL_ERRNO_MAP(SL_X)
#undef SL_X
};

typedef struct sl_error {
    int code;
    char msg[600];
    /* where, when the code that found the error knows it ("" / false / 0 when not) */
    char file[256];      /* the input file */
    bool has_offset;
    unsigned long long offset; /* byte offset in that file (or in the block or document read) */
    unsigned line;       /* 1-based line of a text file (CSV) */
    char path[200];      /* JSON path of the value ("$.result.transactions[0].value") */
} sl_error;

/* Location setters: each sets its field only when it is still unset (the innermost code,
 * which saw the error first, knows best); sl_err_offset_add moves an offset known within
 * a part (a block) to the whole (the file). All accept e == NULL. */
void sl_err_file(sl_error *e, const char *file);
void sl_err_offset(sl_error *e, unsigned long long offset);
void sl_err_offset_add(sl_error *e, unsigned long long base);
void sl_err_line(sl_error *e, unsigned line);
void sl_err_path(sl_error *e, const char *path);

/* The code's symbolic name ("ECORRUPT"), fixed message, and HTTP status. */
const char *sl_strerror(int code);
const char *sl_errname(int code);
int sl_err_http(int code);

/* Records code and a printf-style message in *e (when e is not NULL) and returns code, so
 * `return sl_err(e, SL_ECORRUPT, "...")` reads as one statement. Only the first error set
 * on an sl_error is kept unless it is cleared with sl_err_clear. */
int sl_err(sl_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the message already in e with more context ("file.dat: " + msg). */
void sl_err_prefix(sl_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forgets the error (code, message and location). */
void sl_err_clear(sl_error *e);

#endif
