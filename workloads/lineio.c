/* Line reader over zlib (plain files pass through unchanged); see lineio.h.
 * gzip is decoded with inflate() directly rather than zlib's gz* API, which ends quietly at bytes after a
 * gzip member that are not another member: here a truncated member, a corrupt one and trailing garbage are
 * all errors, and concatenated members (gzip's own multi-member files) are read through. */
#include "workloads/lineio.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WL_CHUNK_BYTES (256u * 1024u)

/* A file read as text: plain bytes, or the members of a gzip file decoded one after the other. */
typedef struct wl_zin {
    FILE *f;
    int gz;          /* the file starts with the gzip magic */
    int zinit;       /* z is initialised */
    int member_done; /* the last member ended; what follows must be another member or nothing */
    int eof;
    z_stream z;
    unsigned char in[WL_CHUNK_BYTES];
    uint64_t raw_off; /* compressed bytes consumed, for messages */
} wl_zin_t;

static wl_zin_t *zin_open(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    wl_zin_t *z = calloc(1, sizeof *z);
    if (!z) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    z->f = f;
    int c0 = getc(f), c1 = c0 == EOF ? EOF : getc(f);
    z->gz = c0 == 0x1f && c1 == 0x8b;
    rewind(f);
    return z;
}

static void zin_close(wl_zin_t *z)
{
    if (!z)
        return;
    if (z->zinit)
        inflateEnd(&z->z);
    fclose(z->f);
    free(z);
}

/* Reads up to n bytes of text; returns the count, 0 at the end, -1 with a reason in *why. */
static long zin_read(wl_zin_t *z, char *out, size_t n, const char **why)
{
    if (z->eof || n == 0)
        return 0;
    if (!z->gz) {
        size_t got = fread(out, 1, n, z->f);
        if (got == 0) {
            if (ferror(z->f)) {
                *why = strerror(errno ? errno : EIO);
                return -1;
            }
            z->eof = 1;
        }
        return (long)got;
    }
    if (!z->zinit) {
        memset(&z->z, 0, sizeof z->z);
        if (inflateInit2(&z->z, 15 + 16) != Z_OK) {
            *why = "out of memory";
            return -1;
        }
        z->zinit = 1;
    }
    z->z.next_out = (unsigned char *)out;
    z->z.avail_out = (unsigned)(n > UINT_MAX ? UINT_MAX : n);
    while (z->z.avail_out > 0) {
        if (z->z.avail_in == 0) {
            size_t got = fread(z->in, 1, sizeof z->in, z->f);
            if (got == 0) {
                if (ferror(z->f)) {
                    *why = strerror(errno ? errno : EIO);
                    return -1;
                }
                if (!z->member_done) {
                    *why = "unexpected end of file";
                    return -1;
                }
                z->eof = 1;
                break;
            }
            z->z.next_in = z->in;
            z->z.avail_in = (unsigned)got;
        }
        if (z->member_done) {
            /* Bytes after a member: only another member may follow. */
            if (z->z.avail_in < 2 && !feof(z->f)) {
                /* The magic straddles a read: keep the byte, read more. */
                memmove(z->in, z->z.next_in, z->z.avail_in);
                size_t got = fread(z->in + z->z.avail_in, 1, sizeof z->in - z->z.avail_in, z->f);
                z->z.next_in = z->in;
                z->z.avail_in += (unsigned)got;
            }
            if (z->z.avail_in < 2 || z->z.next_in[0] != 0x1f || z->z.next_in[1] != 0x8b) {
                *why = "trailing data after the gzip stream";
                return -1;
            }
            inflateReset(&z->z);
            z->member_done = 0;
        }
        unsigned before = z->z.avail_in;
        int rc = inflate(&z->z, Z_NO_FLUSH);
        z->raw_off += before - z->z.avail_in;
        if (rc == Z_STREAM_END) {
            z->member_done = 1;
        } else if (rc == Z_BUF_ERROR && z->z.avail_in == 0) {
            continue; /* needs more input */
        } else if (rc != Z_OK) {
            *why = z->z.msg ? z->z.msg : "invalid data";
            return -1;
        }
    }
    return (long)(n - z->z.avail_out);
}

struct wl_lines {
    wl_zin_t *gz;
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
    errno = 0;
    wl_zin_t *gz = zin_open(path);
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
        return -1;
    }
    wl_lines_t *l = calloc(1, sizeof *l);
    char *buf = malloc(WL_CHUNK_BYTES + 1);
    if (!l || !buf) {
        free(l);
        free(buf);
        zin_close(gz);
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
    const char *zmsg = NULL;
    long got = zin_read(l->gz, l->buf + l->end, room, &zmsg);
    if (got < 0) {
        snprintf(err, errlen, "%s:%llu: %s (%s); expected a complete gzip stream or plain text", l->path,
                 (unsigned long long)l->lineno + 1, l->gz->gz ? "corrupt gzip data" : "read error",
                 zmsg ? zmsg : "read error");
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
    zin_close(l->gz);
    free(l->buf);
    free(l);
}

int wl_slurp(const char *path, size_t max_bytes, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    errno = 0;
    wl_zin_t *gz = zin_open(path);
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
        return -1;
    }
    size_t cap = WL_CHUNK_BYTES, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory", path);
            zin_close(gz);
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
        const char *zmsg = NULL;
        long got = zin_read(gz, buf + n, room, &zmsg);
        if (got < 0) {
            /* Count the lines decoded so far, so the error names where the damage starts. */
            unsigned long long line = 1;
            for (size_t i = 0; i < n; i++)
                line += buf[i] == '\n';
            snprintf(err, errlen, "%s:%llu: %s (%s); expected a complete gzip stream or plain text", path, line,
                     gz->gz ? "corrupt gzip data" : "read error", zmsg ? zmsg : "read error");
            free(buf);
            zin_close(gz);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max_bytes) {
            snprintf(err, errlen, "%s: larger than %zu bytes of text; expected one conversation per file", path,
                     max_bytes);
            free(buf);
            zin_close(gz);
            return -1;
        }
    }
    zin_close(gz);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
