/* static.c — the web UI's files (web/, built into build/web by `make`): `sleuth serve --web
 * DIR` reads every regular file under DIR into memory once, at start, and answers GET and
 * HEAD of any path outside /v1/ from that table, with no token (the login screen is one of
 * these files). Each file gets one libmicrohttpd response made at start over its bytes
 * (MHD_RESPMEM_PERSISTENT) with its headers set once, and every request for it queues that
 * same response: no copy, no allocation and no file system call per request, inline on the
 * HTTP thread.
 *
 * Paths: the request target's path is percent-decoded as a whole; a bad escape, an encoded
 * NUL, a backslash, an empty name inside it, a "." or ".." segment are a 400 — and only an
 * exact match with a file read at start is ever answered, so nothing outside DIR can be
 * named. "/" is /index.html. A symbolic link under DIR is followed when it leads to a file
 * inside DIR and refused at start (an error) when it leads out; links to folders are not
 * followed. At most SRV_WEB_MAX_BYTES in all.
 *
 * Headers on every answer: a Content-Security-Policy that allows only this origin (styles
 * also inline, images also data: and blob:, workers also blob:), X-Content-Type-Options:
 * nosniff, Referrer-Policy: no-referrer; Cache-Control no-cache (index.html and the rest),
 * or a year and immutable for /assets/ (Vite names those files by their content's hash).
 * Without an index.html, "/" answers a short page saying the UI is not built and how to
 * build it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"
#include "sleuth/util.h"

#ifndef SLEUTH_WEB_DIR
#define SLEUTH_WEB_DIR "build/web"
#endif

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                          "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                          "frame-ancestors 'none'; form-action 'self'";

static const char NOT_BUILT[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sleuth: the web UI is not built</title></head>\n"
    "<body><h1>The web UI is not built</h1>\n"
    "<p>This <code>sleuth serve</code> found no <code>index.html</code> in its web folder.</p>\n"
    "<p>To build the UI, install node and npm (<code>scripts/install-deps.sh</code> does) and run <code>make</code> in "
    "the sleuth source folder: it runs <code>npm ci</code> and Vite into <code>build/web</code>. Then restart "
    "<code>sleuth serve</code> (or give it <code>--web DIR</code>, or set <code>SLEUTH_WEB</code>, naming a built UI).</p>\n"
    "<p>The JSON API is served under <code>/v1/</code> all the same (docs/API.md).</p>\n</body></html>\n";
static const char NOT_FOUND[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>404 not found</title></head>\n"
    "<body><h1>Not found</h1><p>No such page. <a href=\"/\">The sleuth UI</a>; the API is under /v1/.</p></body></html>\n";
static const char BAD_PATH[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>400 bad path</title></head>\n"
    "<body><h1>Bad path</h1><p>The path has a bad %-escape, an encoded NUL, a backslash, or a '.' or '..' "
    "segment.</p></body></html>\n";
static const char BAD_METHOD[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>405 method not allowed</title></head>\n"
    "<body><h1>Method not allowed</h1><p>The UI's files answer GET and HEAD.</p></body></html>\n";

typedef struct web_file {
    char *path;                 /* "/index.html", "/assets/x.js": the decoded request path */
    uint8_t *data;
    size_t len;
    struct MHD_Response *resp;  /* shared by every request for it */
} web_file;

struct srv_web {
    web_file *v;
    size_t n, cap, bytes;
    const web_file *index;      /* /index.html, or NULL */
    struct MHD_Response *not_built, *not_found, *bad_path, *bad_method;
    char root[PATH_MAX];        /* realpath of DIR */
};

const char *srv_web_default_dir(void) { return SLEUTH_WEB_DIR; }

bool srv_is_api(const char *uri)
{
    return uri && !strncmp(uri, "/v1", 3) && (uri[3] == 0 || uri[3] == '/' || uri[3] == '?' || uri[3] == '#');
}

static const char *content_type(const char *path)
{
    static const struct { const char *ext, *type; } T[] = {
        {"html", "text/html; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"}, {"css", "text/css; charset=utf-8"}, {"svg", "image/svg+xml"},
        {"png", "image/png"}, {"json", "application/json"}, {"wasm", "application/wasm"}, {"ico", "image/x-icon"},
        {"txt", "text/plain; charset=utf-8"}, {"map", "application/json"}, {"woff2", "font/woff2"}};
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof T / sizeof *T; i++)
            if (!strcasecmp(dot + 1, T[i].ext)) return T[i].type;
    return "application/octet-stream";
}

/* A response over bytes that live as long as the table, with the headers every static
 * answer has. NULL when out of memory. */
static struct MHD_Response *make_resp(const void *p, size_t n, const char *type, const char *cache)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_PERSISTENT);
    if (!r) return NULL;
    if (MHD_add_response_header(r, "Content-Type", type) != MHD_YES ||
        MHD_add_response_header(r, "Content-Security-Policy", CSP) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", cache) != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static int cmp_file(const void *a, const void *b) { return strcmp(((const web_file *)a)->path, ((const web_file *)b)->path); }

/* Reads the regular file at fs (opened without blocking: a FIFO put there cannot hang the
 * start) as request path rel into the table. */
static int add_file(srv_web *w, const char *fs, const char *rel, sl_error *e)
{
    struct stat st;
    int fd = open(fs, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    web_file *f;
    size_t got = 0;
    if (fd < 0) return sl_err(e, SL_EIO, "web folder: cannot read %s: %s", fs, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return SL_OK; /* changed under us into something else: not a file to serve */
    }
    if ((uint64_t)st.st_size > SRV_WEB_MAX_BYTES - w->bytes) {
        close(fd);
        return sl_err(e, SL_ELIMIT, "web folder %s: more than %u MiB of files (at %s): the UI's files are kept in memory; "
                                    "give --web a folder with only the built UI", w->root, SRV_WEB_MAX_BYTES >> 20, rel);
    }
    if (sl_grow((void **)&w->v, &w->cap, w->n + 1, sizeof *w->v)) {
        close(fd);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    f = &w->v[w->n];
    memset(f, 0, sizeof *f);
    f->path = sl_strdup(rel);
    f->data = sl_malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!f->path || !f->data) {
        sl_free(f->path), sl_free(f->data);
        close(fd);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, f->data + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (got != (size_t)st.st_size) {
        sl_free(f->path), sl_free(f->data);
        return sl_err(e, SL_EIO, "web folder: %s changed while it was read", fs);
    }
    f->len = got;
    w->bytes += got;
    w->n++;
    return SL_OK;
}

/* Walks folder fs (request path prefix rel, "" for the root) depth first. */
static int walk(srv_web *w, const char *fs, const char *rel, int depth, sl_error *e)
{
    DIR *d;
    struct dirent *de;
    int rc = SL_OK;
    if (depth > 32) return sl_err(e, SL_ELIMIT, "web folder: %s is nested more than 32 folders deep", fs);
    if (!(d = opendir(fs))) return sl_err(e, SL_EIO, "web folder: cannot list %s: %s", fs, strerror(errno));
    while (!rc && (de = readdir(d))) {
        char cf[PATH_MAX], cr[PATH_MAX], real[PATH_MAX];
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if ((size_t)snprintf(cf, sizeof cf, "%s/%s", fs, de->d_name) >= sizeof cf ||
            (size_t)snprintf(cr, sizeof cr, "%s/%s", rel, de->d_name) >= sizeof cr) {
            rc = sl_err(e, SL_ELIMIT, "web folder: a path under %s is too long", fs);
            break;
        }
        if (lstat(cf, &st) != 0) continue; /* gone meanwhile */
        if (S_ISLNK(st.st_mode)) {
            size_t n = strlen(w->root) == 1 ? 0 : strlen(w->root); /* a root of "/" */
            if (!realpath(cf, real)) continue; /* a dangling link: nothing to serve */
            if (strncmp(real, w->root, n) || real[n] != '/') {
                rc = sl_err(e, SL_EUSAGE, "web folder %s: %s is a symbolic link that leads out of it (to %s): refused",
                            w->root, cf, real);
                break;
            }
            if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) continue; /* links to folders are not followed */
            rc = add_file(w, real, cr, e);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(w, cf, cr, depth + 1, e);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(w, cf, cr, e);
        }
    }
    closedir(d);
    return rc;
}

int srv_web_open(srv_web **out, const char *dir, bool must_exist, sl_error *e)
{
    srv_web *w = sl_calloc(1, sizeof *w);
    struct stat st;
    int rc = SL_OK;
    *out = NULL;
    if (!w) return sl_err(e, SL_ENOMEM, "out of memory");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (must_exist) {
            sl_free(w);
            return sl_err(e, SL_ENOTFOUND, "--web %s: no such folder", dir);
        }
        snprintf(w->root, sizeof w->root, "%s", dir);
    } else if (!realpath(dir, w->root)) {
        rc = sl_err(e, SL_EIO, "--web %s: %s", dir, strerror(errno));
    } else {
        rc = walk(w, w->root, "", 0, e);
    }
    if (!rc && w->n) {
        qsort(w->v, w->n, sizeof *w->v, cmp_file);
        for (size_t i = 0; i < w->n && !rc; i++) {
            web_file *f = &w->v[i];
            const char *cache = !strncmp(f->path, "/assets/", 8) ? "public, max-age=31536000, immutable" : "no-cache";
            if (!(f->resp = make_resp(f->data, f->len, content_type(f->path), cache))) rc = sl_err(e, SL_ENOMEM, "out of memory");
            if (!strcmp(f->path, "/index.html")) w->index = f;
        }
    }
    if (!rc && (!(w->not_built = make_resp(NOT_BUILT, sizeof NOT_BUILT - 1, "text/html; charset=utf-8", "no-cache")) ||
                !(w->not_found = make_resp(NOT_FOUND, sizeof NOT_FOUND - 1, "text/html; charset=utf-8", "no-cache")) ||
                !(w->bad_path = make_resp(BAD_PATH, sizeof BAD_PATH - 1, "text/html; charset=utf-8", "no-cache")) ||
                !(w->bad_method = make_resp(BAD_METHOD, sizeof BAD_METHOD - 1, "text/html; charset=utf-8", "no-cache")) ||
                MHD_add_response_header(w->bad_method, "Allow", "GET, HEAD") != MHD_YES))
        rc = sl_err(e, SL_ENOMEM, "out of memory");
    if (rc) {
        srv_web_close(w);
        return rc;
    }
    *out = w;
    return SL_OK;
}

void srv_web_close(srv_web *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        if (w->v[i].resp) MHD_destroy_response(w->v[i].resp);
        sl_free(w->v[i].path);
        sl_free(w->v[i].data);
    }
    sl_free(w->v);
    if (w->not_built) MHD_destroy_response(w->not_built);
    if (w->not_found) MHD_destroy_response(w->not_found);
    if (w->bad_path) MHD_destroy_response(w->bad_path);
    if (w->bad_method) MHD_destroy_response(w->bad_method);
    sl_free(w);
}

bool srv_web_built(const srv_web *w) { return w && w->index; }

void srv_web_stats(const srv_web *w, size_t *files, size_t *bytes)
{
    *files = w ? w->n : 0;
    *bytes = w ? w->bytes : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool srv_web_path(const char *uri, char *out, size_t cap)
{
    size_t o = 0, seg = 0;
    if (!uri || uri[0] != '/' || cap < 2) return false;
    for (size_t i = 0; uri[i] && uri[i] != '?' && uri[i] != '#'; i++) {
        char c = uri[i];
        if (c == '%') {
            int hi = uri[i + 1] ? hexval(uri[i + 1]) : -1, lo = hi >= 0 && uri[i + 2] ? hexval(uri[i + 2]) : -1;
            if (hi < 0 || lo < 0) return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0 || c == '\\' || o + 1 >= cap) return false;
        if (c == '/' && o > 0) { /* a segment ends: it may be neither empty, "." nor ".." */
            size_t n = o - seg;
            if (n == 0 || (n == 1 && out[seg] == '.') || (n == 2 && out[seg] == '.' && out[seg + 1] == '.')) return false;
        }
        out[o++] = c;
        if (c == '/') seg = o;
    }
    out[o] = 0;
    if (o == 0) return false;
    /* the last segment: "." and ".." are refused; an empty one is a folder's path */
    if ((o - seg == 1 && out[seg] == '.') || (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')) return false;
    return true;
}

struct MHD_Response *srv_web_answer(const srv_web *w, const char *method, const char *uri, unsigned *status,
                                    const char **file)
{
    char path[SRV_MAX_URI + 1];
    web_file key, *f;
    if (file) *file = NULL;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return *status = 405, w->bad_method;
    if (!srv_web_path(uri, path, sizeof path)) return *status = 400, w->bad_path;
    if (!strcmp(path, "/")) {
        if (!w->index) return *status = 200, w->not_built;
        if (file) *file = w->index->path;
        return *status = 200, w->index->resp;
    }
    key.path = path;
    f = w->n ? bsearch(&key, w->v, w->n, sizeof *w->v, cmp_file) : NULL;
    if (!f) return *status = 404, w->not_found;
    if (file) *file = f->path;
    return *status = 200, f->resp;
}
