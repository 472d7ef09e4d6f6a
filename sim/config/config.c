/* Config documents: loading, presets, --set and error locations; see config.h.
 * Where a merged value came from is found again by walking each source's text along the value's JSON
 * path, newest source first, so no position bookkeeping is needed during merging. */
#define _POSIX_C_SOURCE 200809L
#include "sim/config/config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/base/alloc.h"
#include "sim/base/jsonpos.h"
#include "sim/base/safetext.h"

const char *cfg_config_dir(void)
{
    const char *env = getenv("KVTWIN_CONFIG_DIR");
    if (env && *env)
        return env;
#ifdef KVTWIN_CONFIG_DIR
    return KVTWIN_CONFIG_DIR;
#else
    return "configs";
#endif
}

static char *cfg_slurp(const char *path, size_t *len_out, int *errno_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *errno_out = errno;
        return NULL;
    }
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = kvt_realloc(buf, cap, 1);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        *errno_out = EIO;
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len_out = n;
    return buf;
}

/* Finds a key that appears twice in one object (cJSON keeps both and lookups see only the first, so the
 * file would say two things at once). Returns 1 with the JSON path of the second one's object and the key. */
static int cfg_find_duplicate(const cJSON *node, const char *at, char *path, size_t pathlen, const char **key)
{
    int i = 0;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        if (cJSON_IsObject(node) && c->string) {
            for (const cJSON *d = node->child; d != c; d = d->next) {
                if (d->string && strcmp(d->string, c->string) == 0) {
                    snprintf(path, pathlen, "%s", at);
                    *key = c->string;
                    return 1;
                }
            }
        }
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            char sub[512];
            if (cJSON_IsArray(node))
                snprintf(sub, sizeof sub, "%s[%d]", at, i);
            else if (at[0])
                snprintf(sub, sizeof sub, "%s.%s", at, c->string);
            else
                snprintf(sub, sizeof sub, "%s", c->string);
            if (cfg_find_duplicate(c, sub, path, pathlen, key))
                return 1;
        }
    }
    return 0;
}

int cfg_read_json_file(const char *path, char **text, cJSON **root, char *err, size_t errlen)
{
    size_t len = 0;
    int e = 0;
    char *buf = cfg_slurp(path, &len, &e);
    if (!buf) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(e));
        return -1;
    }
    if (len == 0) {
        snprintf(err, errlen, "%s:1:1: malformed JSON (empty file; expected an object)", path);
        free(buf);
        return -1;
    }
    if (strlen(buf) != len) {
        jp_pos_t p = jp_pos_of_offset(buf, strlen(buf));
        snprintf(err, errlen, "%s:%d:%d: malformed JSON (NUL byte in text)", path, p.line, p.column);
        free(buf);
        return -1;
    }
    const char *end = NULL;
    cJSON *r = cJSON_ParseWithOpts(buf, &end, 1);
    if (!r) {
        jp_pos_t p = jp_parse_error_pos(buf);
        snprintf(err, errlen, "%s:%d:%d: malformed JSON (expected a value, a comma or a closing bracket here)", path,
                 p.line, p.column);
        free(buf);
        return -1;
    }
    char dpath[512];
    const char *dkey = NULL;
    if (cfg_find_duplicate(r, "", dpath, sizeof dpath, &dkey)) {
        char full[700];
        if (dpath[0])
            snprintf(full, sizeof full, "%s.%s", dpath, dkey);
        else
            snprintf(full, sizeof full, "%s", dkey);
        size_t off = 0;
        jp_locate(buf, len, full, &off, NULL);
        jp_pos_t p = jp_pos_of_offset(buf, off);
        snprintf(err, errlen, "%s:%d:%d: %s: duplicate key \"%s\" in one object; expected each key once", path, p.line,
                 p.column, full, dkey);
        kvt_escape_inplace(err, errlen);
        cJSON_Delete(r);
        free(buf);
        return -1;
    }
    *text = buf;
    *root = r;
    return 0;
}

static void cfg_add_source(cfg_doc_t *d, const char *label, char *text, const char *mount)
{
    if (d->nsrc == CFG_MAX_SOURCES) {
        free(text);
        return;
    }
    cfg_source_t *s = &d->src[d->nsrc++];
    s->label = strdup(label);
    s->text = text;
    snprintf(s->mount, sizeof s->mount, "%s", mount);
}

static void cfg_set_dir(cfg_doc_t *d, const char *path)
{
    snprintf(d->dir, sizeof d->dir, "%s", path);
    char *slash = strrchr(d->dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(d->dir, sizeof d->dir, ".");
}

int cfg_doc_load(cfg_doc_t *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    char *text;
    cJSON *root;
    if (cfg_read_json_file(path, &text, &root, err, errlen))
        return -1;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s:1:1: expected a JSON object at the top level", path);
        cJSON_Delete(root);
        free(text);
        return -1;
    }
    d->root = root;
    cfg_set_dir(d, path);
    cfg_add_source(d, path, text, "");
    return 0;
}

void cfg_doc_init_from(cfg_doc_t *d, cJSON *root, const char *label, const char *dir)
{
    memset(d, 0, sizeof *d);
    d->root = root;
    snprintf(d->dir, sizeof d->dir, "%s", dir ? dir : ".");
    char *text = cJSON_Print(root);
    cfg_add_source(d, label, text, "");
}

void cfg_json_merge(cJSON *base, const cJSON *over)
{
    for (const cJSON *o = over->child; o; o = o->next) {
        cJSON *b = cJSON_GetObjectItemCaseSensitive(base, o->string);
        if (b && cJSON_IsObject(b) && cJSON_IsObject(o)) {
            cfg_json_merge(b, o);
            continue;
        }
        cJSON *copy = cJSON_Duplicate(o, 1);
        if (b)
            cJSON_ReplaceItemInObjectCaseSensitive(base, o->string, copy);
        else
            cJSON_AddItemToObject(base, o->string, copy);
    }
}

void cfg_doc_normalize_preset(cfg_doc_t *d, const char *section)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(d->root, section);
    if (s && cJSON_IsString(s)) {
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddStringToObject(obj, "preset", s->valuestring);
        cJSON_ReplaceItemInObjectCaseSensitive(d->root, section, obj);
    }
}

/* A --set path is keys joined by dots: no empty key, no control bytes. */
static bool cfg_set_path_ok(const char *path)
{
    if (!path[0] || path[0] == '.')
        return false;
    for (const char *c = path; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '[' || *c == ']')
            return false;
        if (*c == '.' && (c[1] == '.' || c[1] == '\0'))
            return false;
    }
    return true;
}

int cfg_doc_set(cfg_doc_t *d, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        snprintf(err, errlen, "--set %s: expected PATH=VALUE (for example hardware.icms.enclosures=8)", assignment);
        kvt_escape_inplace(err, errlen);
        return -1;
    }
    char path[256];
    size_t plen = (size_t)(eq - assignment);
    if (plen >= sizeof path) {
        snprintf(err, errlen, "--set %s: path too long", assignment);
        kvt_escape_inplace(err, errlen);
        return -1;
    }
    memcpy(path, assignment, plen);
    path[plen] = '\0';
    if (!cfg_set_path_ok(path)) {
        snprintf(err, errlen,
                 "--set %s: expected PATH=VALUE where PATH is keys joined by dots (for example "
                 "hardware.icms.enclosures=8)",
                 assignment);
        kvt_escape_inplace(err, errlen);
        return -1;
    }
    if (!cJSON_IsObject(d->root)) {
        snprintf(err, errlen, "--set %s: the document is not an object", assignment);
        kvt_escape_inplace(err, errlen);
        return -1;
    }
    const char *value_text = eq + 1;
    /* The whole value must be JSON (10m, 0x10, truex or 64x are not), else it is a bare string: a number
     * key given such a string then fails with its path, the expected type and its unit. */
    cJSON *value = cJSON_ParseWithOpts(value_text, NULL, 1);
    char *stored;
    if (!value) {
        value = cJSON_CreateString(value_text);
        stored = cJSON_PrintUnformatted(value);
    } else {
        stored = strdup(value_text);
    }

    cJSON *node = d->root;
    char *copy = strdup(path), *save = NULL;
    char *tok = strtok_r(copy, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        if (!cJSON_IsObject(node)) {
            snprintf(err, errlen, "--set %s: \"%s\" lies inside a value that is not an object", assignment, tok);
            kvt_escape_inplace(err, errlen);
            free(copy);
            free(stored);
            cJSON_Delete(value);
            return -1;
        }
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, tok);
        if (!next) {
            if (child)
                cJSON_ReplaceItemInObjectCaseSensitive(node, tok, value);
            else
                cJSON_AddItemToObject(node, tok, value);
            break;
        }
        if (!child) {
            child = cJSON_CreateObject();
            cJSON_AddItemToObject(node, tok, child);
        }
        node = child;
        tok = next;
    }
    free(copy);
    char label[512];
    snprintf(label, sizeof label, "--set %s", assignment);
    cfg_add_source(d, label, stored, path);
    return 0;
}

void cfg_list_presets(const char *kind, char *buf, size_t len)
{
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/%s", cfg_config_dir(), kind);
    buf[0] = '\0';
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    /* Sorted so the message is stable. */
    char names[128][64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < 128) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0 && l - 5 < 64) {
            memcpy(names[n], e->d_name, l - 5);
            names[n][l - 5] = '\0';
            n++;
        }
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    size_t used = 0;
    for (int i = 0; i < n && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int cfg_doc_resolve_preset(cfg_doc_t *d, const char *section, const char *kind, char *err, size_t errlen)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(d->root, section);
    if (!s || !cJSON_IsObject(s))
        return 0;
    cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "preset");
    if (!name)
        return 0;
    char path[256];
    snprintf(path, sizeof path, "%s.preset", section);
    if (!cJSON_IsString(name) || !name->valuestring[0] || strchr(name->valuestring, '/')) {
        cfg_doc_error(d, path, "expected a preset name (a string)", err, errlen);
        return -1;
    }
    char file[1400];
    snprintf(file, sizeof file, "%s/%s/%s.json", cfg_config_dir(), kind, name->valuestring);
    if (access(file, R_OK) != 0) {
        char names[1024], msg[1400];
        cfg_list_presets(kind, names, sizeof names);
        snprintf(msg, sizeof msg, "unknown %s preset \"%s\"; available: %s", kind, name->valuestring, names);
        cfg_doc_error(d, path, msg, err, errlen);
        return -1;
    }
    char *text;
    cJSON *preset;
    if (cfg_read_json_file(file, &text, &preset, err, errlen))
        return -1;
    if (!cJSON_IsObject(preset)) {
        snprintf(err, errlen, "%s:1:1: expected a JSON object at the top level", file);
        cJSON_Delete(preset);
        free(text);
        return -1;
    }
    /* The overrides are the section minus its "preset" key. */
    cJSON *over = cJSON_Duplicate(s, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(over, "preset");
    cfg_json_merge(preset, over);
    cJSON_Delete(over);
    cJSON_DeleteItemFromObjectCaseSensitive(preset, "preset");
    cJSON_ReplaceItemInObjectCaseSensitive(d->root, section, preset);
    /* The preset is the oldest layer under this section: insert it before the other sources. */
    if (d->nsrc < CFG_MAX_SOURCES) {
        memmove(&d->src[1], &d->src[0], (size_t)d->nsrc * sizeof d->src[0]);
        d->nsrc++;
        d->src[0].label = strdup(file);
        d->src[0].text = text;
        snprintf(d->src[0].mount, sizeof d->src[0].mount, "%s", section);
    } else {
        free(text);
    }
    return 0;
}

/* The part of path below mount, or NULL if mount is not a prefix of path. */
static const char *cfg_relative(const char *path, const char *mount)
{
    size_t m = strlen(mount);
    if (m == 0)
        return path;
    if (strncmp(path, mount, m) != 0)
        return NULL;
    if (path[m] == '\0')
        return path + m;
    if (path[m] == '.')
        return path + m + 1;
    if (path[m] == '[')
        return path + m;
    return NULL;
}

/* Number of components of a dotted path ("" has none). */
static int cfg_path_depth(const char *path)
{
    if (!path[0])
        return 0;
    int n = 1;
    for (const char *c = path; *c; c++)
        n += (*c == '.' || *c == '[');
    return n;
}

void cfg_doc_error(const cfg_doc_t *d, const char *path, const char *msg, char *out, size_t outlen)
{
    /* Newest source that holds the exact path wins; otherwise the one holding the deepest ancestor. A --set
     * of the path or of an ancestor replaced what older sources said there, so they are not its origin
     * (a preset file is read after every --set and is never hidden that way). */
    int best = -1, best_depth = -1;
    size_t best_off = 0;
    bool exact = false;
    int shadow = -1;
    for (int i = d->nsrc - 1; i >= 0 && shadow < 0; i--)
        if (strncmp(d->src[i].label, "--set ", 6) == 0 && cfg_relative(path, d->src[i].mount))
            shadow = i;
    for (int i = d->nsrc - 1; i >= 0; i--) {
        const cfg_source_t *s = &d->src[i];
        const char *rel = cfg_relative(path, s->mount);
        if (!rel)
            continue;
        bool preset = s->mount[0] && strncmp(s->label, "--set ", 6) != 0;
        if (i < shadow && !preset)
            continue;
        size_t off = 0;
        int matched = 0;
        if (jp_locate(s->text, strlen(s->text), rel, &off, &matched) == 0) {
            best = i;
            best_off = off;
            exact = true;
            break;
        }
        int depth = cfg_path_depth(s->mount) + matched;
        if (depth > best_depth) {
            best = i;
            best_off = off;
            best_depth = depth;
        }
    }
    /* A key no source holds may have been created by a --set of a path below it ("--set foo.bar=1"). */
    for (int i = d->nsrc - 1; i >= 0 && !exact && path && path[0]; i--) {
        if (strncmp(d->src[i].label, "--set ", 6) == 0 && cfg_relative(d->src[i].mount, path)) {
            best = i;
            best_off = 0;
            break;
        }
    }
    const char *p = path && path[0] ? path : "(root)";
    if (best < 0) {
        snprintf(out, outlen, "%s: %s", p, msg);
    } else if (strncmp(d->src[best].label, "--set ", 6) == 0) {
        snprintf(out, outlen, "%s: %s: %s", d->src[best].label, p, msg);
    } else {
        jp_pos_t pos = jp_pos_of_offset(d->src[best].text, best_off);
        snprintf(out, outlen, "%s:%d:%d: %s: %s", d->src[best].label, pos.line, pos.column, p, msg);
    }
    kvt_escape_inplace(out, outlen);
}

void cfg_doc_origin_dir(const cfg_doc_t *d, const char *path, char *out, size_t outlen)
{
    for (int i = d->nsrc - 1; i >= 0; i--) {
        const cfg_source_t *s = &d->src[i];
        const char *rel = cfg_relative(path, s->mount);
        size_t off;
        if (!rel || jp_locate(s->text, strlen(s->text), rel, &off, NULL) != 0)
            continue;
        if (strncmp(s->label, "--set ", 6) == 0) {
            snprintf(out, outlen, ".");
            return;
        }
        snprintf(out, outlen, "%s", s->label);
        char *slash = strrchr(out, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(out, outlen, ".");
        return;
    }
    snprintf(out, outlen, "%s", d->dir);
}

void cfg_doc_path(const cfg_doc_t *d, const char *rel, char *out, size_t outlen)
{
    if (!rel[0] || rel[0] == '/')
        snprintf(out, outlen, "%s", rel);
    else
        snprintf(out, outlen, "%s/%s", d->dir, rel);
}

void cfg_doc_free(cfg_doc_t *d)
{
    cJSON_Delete(d->root);
    for (int i = 0; i < d->nsrc; i++) {
        free(d->src[i].label);
        free(d->src[i].text);
    }
    memset(d, 0, sizeof *d);
}

int cfg_write_json_atomic(const char *path, const cJSON *value, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    char *text = cJSON_Print(value);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write (%s)", tmp, strerror(errno));
        free(text);
        return -1;
    }
    int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    free(text);
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
