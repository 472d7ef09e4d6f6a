/* Reader lookup, format detection, directory listing and the multi-file stream with --skip-bad
 * accounting; see reader.h. */
#define _POSIX_C_SOURCE 200809L
#include "workloads/reader.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/base/alloc.h"
#include "sim/base/safetext.h"
#include "workloads/lineio.h"
#include "workloads/source.h"

const wl_reader_ops_t *wl_reader_by_format(int format)
{
    for (int i = 0; wl_readers[i]; i++)
        if (i + 1 == format)
            return wl_readers[i];
    return NULL;
}

const wl_reader_ops_t *wl_reader_by_name(const char *name)
{
    for (const wl_reader_ops_t *const *r = wl_readers; *r; r++)
        if (strcmp((*r)->name, name) == 0)
            return *r;
    return NULL;
}

static bool wl_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static bool wl_trace_name(const char *name)
{
    static const char *const sufs[] = {".json", ".json.gz", ".jsonl", ".jsonl.gz", ".csv", ".csv.gz", NULL};
    if (name[0] == '.')
        return false;
    for (const char *const *s = sufs; *s; s++)
        if (wl_has_suffix(name, *s))
            return true;
    return false;
}

static int wl_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void wl_free_inputs(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int wl_list_inputs(const char *path, char ***names, size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        char **v = malloc(sizeof *v);
        if (!v || !(v[0] = strdup(path))) {
            free(v);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        *names = v;
        *n = 1;
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, cnt = 0;
    char **v = NULL;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!wl_trace_name(e->d_name))
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 32;
            v = kvt_realloc(v, cap, sizeof *v);
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!(v[cnt] = malloc(len))) {
            rc = -1;
            break;
        }
        snprintf(v[cnt], len, "%s/%s", path, e->d_name);
        cnt++;
    }
    closedir(d);
    if (rc) {
        wl_free_inputs(v, cnt);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (cnt == 0) {
        free(v);
        snprintf(err, errlen, "%s: no trace files; expected *.json[.gz], *.jsonl[.gz] or *.csv[.gz] in it", path);
        return -1;
    }
    qsort(v, cnt, sizeof *v, wl_cmp_names);
    *names = v;
    *n = cnt;
    return 0;
}

static const wl_reader_ops_t *wl_detect_file(const char *path, char *err, size_t errlen)
{
    wl_lines_t *l;
    if (wl_lines_open(&l, path, err, errlen))
        return NULL;
    char *line = NULL;
    size_t len = 0;
    int rc;
    while ((rc = wl_lines_next(l, &line, &len, err, errlen)) == 1 && len == 0)
        ;
    if (rc < 0) {
        wl_lines_close(l);
        return NULL;
    }
    const wl_reader_ops_t *best = NULL;
    int best_score = 0;
    for (const wl_reader_ops_t *const *r = wl_readers; *r; r++) {
        int sc = (*r)->probe(path, rc == 1 ? line : "");
        if (sc > best_score) {
            best_score = sc;
            best = *r;
        }
    }
    wl_lines_close(l);
    if (!best) {
        char names[256] = "";
        size_t used = 0;
        for (const wl_reader_ops_t *const *r = wl_readers; *r; r++)
            used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0, "%s%s",
                                     used ? ", " : "", (*r)->name);
        snprintf(err, errlen, "%s:1: unknown trace format; expected one of %s (or set the format)", path, names);
    }
    return best;
}

const wl_reader_ops_t *wl_reader_detect(const char *path, char *err, size_t errlen)
{
    char **names;
    size_t n;
    if (wl_list_inputs(path, &names, &n, err, errlen))
        return NULL;
    const wl_reader_ops_t *r = wl_detect_file(names[0], err, errlen);
    wl_free_inputs(names, n);
    return r;
}

struct wl_stream {
    char **files;
    size_t nfiles;
    size_t cur;
    bool is_dir;
    const wl_reader_ops_t *ops;
    void *st;
    wl_stream_opts_t o;
    uint64_t skipped;
    uint64_t backwards_done; /* from files already closed */
    char first_skip[512];
};

int wl_stream_open(wl_stream_t **out, const char *path, const wl_stream_opts_t *o, char *err, size_t errlen)
{
    *out = NULL;
    wl_stream_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    s->o = *o;
    struct stat st;
    s->is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (wl_list_inputs(path, &s->files, &s->nfiles, err, errlen)) {
        free(s);
        return -1;
    }
    if (o->format != WL_FMT_AUTO) {
        s->ops = wl_reader_by_format(o->format);
        if (!s->ops) {
            snprintf(err, errlen, "%s: format %d has no reader", path, o->format);
            wl_stream_close(s);
            return -1;
        }
    } else if (!(s->ops = wl_detect_file(s->files[0], err, errlen))) {
        kvt_escape_inplace(err, errlen);
        wl_stream_close(s);
        return -1;
    }
    if (s->is_dir && !s->ops->sessions) {
        snprintf(err, errlen,
                 "%s: a directory holds one conversation per file, which the %s format does not "
                 "have; expected a file",
                 path, s->ops->name);
        wl_stream_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

int wl_stream_next(wl_stream_t *s, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    for (;;) {
        if (!s->st) {
            if (s->cur >= s->nfiles)
                return WL_REC_EOF;
            wl_reader_opts_t ro = s->o.reader;
            ro.conv_index = (uint32_t)s->cur;
            ro.time_offset_s = s->o.stagger_s * (double)s->cur;
            if (s->ops->open(&s->st, s->files[s->cur], &ro, err, errlen)) {
                s->st = NULL;
                kvt_escape_inplace(err, errlen);
                return WL_REC_FATAL;
            }
        }
        int rc = s->ops->next(s->st, req, info, err, errlen);
        if (rc == WL_REC_OK)
            return rc;
        if (rc != WL_REC_EOF)
            kvt_escape_inplace(err, errlen); /* the record's own bytes may be in the message */
        if (rc == WL_REC_EOF) {
            s->backwards_done += s->ops->backwards(s->st);
            s->ops->close(s->st);
            s->st = NULL;
            s->cur++;
            continue;
        }
        if (rc == WL_REC_BAD && s->o.skip_bad) {
            if (s->skipped++ == 0)
                snprintf(s->first_skip, sizeof s->first_skip, "%s", err);
            continue;
        }
        return WL_REC_FATAL;
    }
}

const wl_reader_ops_t *wl_stream_reader(const wl_stream_t *s)
{
    return s->ops;
}

size_t wl_stream_file_index(const wl_stream_t *s)
{
    return s->cur;
}

size_t wl_stream_files(const wl_stream_t *s)
{
    return s->nfiles;
}

const char *wl_stream_file_name(const wl_stream_t *s)
{
    return s->cur < s->nfiles ? s->files[s->cur] : "";
}

uint64_t wl_stream_skipped(const wl_stream_t *s)
{
    return s->skipped;
}

const char *wl_stream_first_skip(const wl_stream_t *s)
{
    return s->first_skip;
}

uint64_t wl_stream_backwards(const wl_stream_t *s)
{
    return s->backwards_done + (s->st ? s->ops->backwards(s->st) : 0);
}

void wl_stream_close(wl_stream_t *s)
{
    if (!s)
        return;
    if (s->st)
        s->ops->close(s->st);
    wl_free_inputs(s->files, s->nfiles);
    free(s);
}
