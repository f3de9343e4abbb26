/* err.c — the status-code table of err.h and the located error messages. */
#include "sleuth/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sl_strerror(int code)
{
    switch (code) {
#define SL_X(name, val, msg, http) case val: return msg;
        SL_ERRNO_MAP(SL_X)
#undef SL_X
    }
    return "unknown error";
}

const char *sl_errname(int code)
{
    switch (code) {
#define SL_X(name, val, msg, http) case val: return #name;
        SL_ERRNO_MAP(SL_X)
#undef SL_X
    }
    return "EUNKNOWN";
}

int sl_err_http(int code)
{
    switch (code) {
#define SL_X(name, val, msg, http) case val: return http;
        SL_ERRNO_MAP(SL_X)
#undef SL_X
    }
    return 500;
}

int sl_err(sl_error *e, int code, const char *fmt, ...)
{
    if (e && e->code == 0) {
        va_list ap;
        e->code = code;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sl_err_prefix(sl_error *e, const char *fmt, ...)
{
    char old[sizeof e->msg];
    size_t n;
    va_list ap;
    if (!e)
        return;
    memcpy(old, e->msg, sizeof old);
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    n = strlen(e->msg);
    if (n < sizeof e->msg - 1)
        memcpy(e->msg + n, old, strnlen(old, sizeof e->msg - 1 - n)), e->msg[sizeof e->msg - 1] = 0,
            e->msg[n + strnlen(old, sizeof e->msg - 1 - n)] = 0;
}

void sl_err_clear(sl_error *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = 0;
    }
}
