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
        e->file[0] = 0;
        e->path[0] = 0;
        e->has_offset = false;
        e->offset = 0;
        e->line = 0;
    }
}

void sl_err_file(sl_error *e, const char *file)
{
    if (e && !e->file[0] && file) snprintf(e->file, sizeof e->file, "%s", file);
}

void sl_err_offset(sl_error *e, unsigned long long offset)
{
    if (e && !e->has_offset) e->has_offset = true, e->offset = offset;
}

void sl_err_offset_add(sl_error *e, unsigned long long base)
{
    if (e && e->has_offset) e->offset += base;
}

void sl_err_line(sl_error *e, unsigned line)
{
    if (e && !e->line) e->line = line;
}

void sl_err_path(sl_error *e, const char *path)
{
    if (e && !e->path[0] && path) snprintf(e->path, sizeof e->path, "%s", path);
}
