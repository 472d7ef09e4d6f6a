/* Line reader over zlib's gz* API (plain files pass through unchanged); see lineio.h.
 * zlib reports a truncated gzip member only through gzerror() after gzread() returns 0, so every end of
 * file is checked there: a short read must not pass for the end of the trace. */
#include "workloads/lineio.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WL_CHUNK_BYTES (256u * 1024u)

struct wl_lines {
    gzFile gz;
    char *buf;
    size_t cap;   /* bytes allocated (one more than usable, for the NUL) */
    size_t start; /* first byte of the unread text */
    size_t end;   /* one past the last byte read */
    int eof;
    uint64_t lineno;
    uint64_t bytes;
    char path[1024];
};

int wl_lines_open(wl_lines_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
        return -1;
    }
    gzbuffer(gz, WL_CHUNK_BYTES);
    wl_lines_t *l = calloc(1, sizeof *l);
    char *buf = malloc(WL_CHUNK_BYTES + 1);
    if (!l || !buf) {
        free(l);
        free(buf);
        gzclose(gz);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    l->gz = gz;
    l->buf = buf;
    l->cap = WL_CHUNK_BYTES + 1;
    snprintf(l->path, sizeof l->path, "%s", path);
    *out = l;
    return 0;
}

/* Reads more text after the unread part; returns bytes added, 0 at a clean end, -1 on error. */
static long wl_fill(wl_lines_t *l, char *err, size_t errlen)
{
    if (l->start > 0) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->start = 0;
    }
    if (l->cap - 1 - l->end < WL_CHUNK_BYTES / 2) {
        size_t ncap = (l->cap - 1) * 2 + 1;
        char *nb = realloc(l->buf, ncap);
        if (!nb) {
            snprintf(err, errlen, "%s:%llu: out of memory (line longer than %zu bytes)", l->path,
                     (unsigned long long)l->lineno + 1, l->cap - 1);
            return -1;
        }
        l->buf = nb;
        l->cap = ncap;
    }
    size_t room = l->cap - 1 - l->end;
    if (room > (size_t)INT_MAX)
        room = (size_t)INT_MAX;
    int got = gzread(l->gz, l->buf + l->end, (unsigned)room);
    int zerr = Z_OK;
    const char *zmsg = gzerror(l->gz, &zerr);
    if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        snprintf(err, errlen, "%s:%llu: corrupt gzip data (%s); expected a complete gzip stream or plain text",
                 l->path, (unsigned long long)l->lineno + 1, zmsg && *zmsg ? zmsg : "read error");
        return -1;
    }
    if (got == 0)
        l->eof = 1;
    l->end += (size_t)got;
    return got;
}

int wl_lines_next(wl_lines_t *l, char **line, size_t *len, char *err, size_t errlen)
{
    for (;;) {
        char *s = l->buf + l->start;
        size_t avail = l->end - l->start;
        char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl || (l->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            l->start += nl ? n + 1 : n;
            l->bytes += nl ? n + 1 : n;
            if (n > 0 && s[n - 1] == '\r')
                n--;
            s[n] = '\0'; /* the byte was '\n', '\r', or the spare byte past end */
            l->lineno++;
            *line = s;
            *len = n;
            return 1;
        }
        if (l->eof)
            return 0;
        if (wl_fill(l, err, errlen) < 0)
            return -1;
    }
}

uint64_t wl_lines_lineno(const wl_lines_t *l)
{
    return l->lineno;
}

uint64_t wl_lines_bytes(const wl_lines_t *l)
{
    return l->bytes;
}

const char *wl_lines_path(const wl_lines_t *l)
{
    return l->path;
}

void wl_lines_close(wl_lines_t *l)
{
    if (!l)
        return;
    gzclose(l->gz);
    free(l->buf);
    free(l);
}

int wl_slurp(const char *path, size_t max_bytes, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
        return -1;
    }
    gzbuffer(gz, WL_CHUNK_BYTES);
    size_t cap = WL_CHUNK_BYTES, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory", path);
            gzclose(gz);
            return -1;
        }
        if (cap - n < WL_CHUNK_BYTES / 2) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
        }
        size_t room = cap - n;
        if (room > (size_t)INT_MAX)
            room = (size_t)INT_MAX;
        int got = gzread(gz, buf + n, (unsigned)room);
        int zerr = Z_OK;
        const char *zmsg = gzerror(gz, &zerr);
        if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
            /* Count the lines decoded so far, so the error names where the damage starts. */
            unsigned long long line = 1;
            for (size_t i = 0; i < n; i++)
                line += buf[i] == '\n';
            snprintf(err, errlen, "%s:%llu: corrupt gzip data (%s); expected a complete gzip stream or plain text",
                     path, line, zmsg && *zmsg ? zmsg : "read error");
            free(buf);
            gzclose(gz);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max_bytes) {
            snprintf(err, errlen, "%s: larger than %zu bytes of text; expected one conversation per file", path,
                     max_bytes);
            free(buf);
            gzclose(gz);
            return -1;
        }
    }
    gzclose(gz);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
