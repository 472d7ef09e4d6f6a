/* Table-driven JSON <-> struct binding; see jsonbind.h. Numbers are read as doubles and range-checked
 * before conversion, so 1e400, -1 or 3.5 for an integer are rejected with their path, never truncated. */
#define _POSIX_C_SOURCE 200809L
#include "sim/base/jsonbind.h"

#include "sim/base/plugin.h"
#include "sim/base/safetext.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void jb_join(char *out, size_t len, const char *base, const char *key)
{
    if (base && base[0])
        snprintf(out, len, "%s.%s", base, key);
    else
        snprintf(out, len, "%s", key);
}

static int jb_fail(jb_error_t *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int jb_fail(jb_error_t *err, const char *path, const char *fmt, ...)
{
    if (err) {
        snprintf(err->path, sizeof err->path, "%s", path);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        kvt_escape_inplace(err->path, sizeof err->path);
        kvt_escape_inplace(err->msg, sizeof err->msg);
    }
    return -1;
}

const jb_field_t *jb_find(const jb_spec_t *spec, const char *key)
{
    for (const jb_field_t *f = spec->fields; f->key; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

void jb_key_list(const jb_spec_t *spec, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const jb_field_t *f = spec->fields; f->key && used + 1 < len; f++) {
        if (f->flags & JB_HIDDEN)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->key);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void jb_choice_list(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *c = choices; *c && used + 1 < len; c++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *c);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static const char *jb_type_name(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

static void jb_range_text(const jb_field_t *f, char *buf, size_t len)
{
    const char *lo_op = (f->flags & JB_GT_MIN) ? ">" : ">=";
    if (isinf(f->max))
        snprintf(buf, len, "%s %g", lo_op, f->min);
    else
        snprintf(buf, len, "%s %g and <= %g", lo_op, f->min, f->max);
}

static int jb_number(const jb_field_t *f, const cJSON *v, const char *path, bool integral, double *out, jb_error_t *err)
{
    char range[96];
    jb_range_text(f, range, sizeof range);
    if (cJSON_IsString(v)) {
        /* "10m", "0x10", "64x": a number with something after it. Units are in the key names only. */
        const char *t = v->valuestring;
        bool numberish = (t[0] >= '0' && t[0] <= '9') || ((t[0] == '-' || t[0] == '+' || t[0] == '.') && t[1]);
        bool unit = f->unit && f->unit[0];
        char hint[128] = "";
        if (numberish && unit)
            snprintf(hint, sizeof hint, "; values take no units or suffixes: write the number in %s", f->unit);
        else if (numberish)
            snprintf(hint, sizeof hint, "; values take no units or suffixes");
        return jb_fail(err, path, "expected %s %s%s%s, got a string (\"%.64s\"%s)",
                       integral ? "an integer" : "a number", range, unit ? " " : "", unit ? f->unit : "", t, hint);
    }
    if (!cJSON_IsNumber(v))
        return jb_fail(err, path, "expected %s %s%s%s, got %s", integral ? "an integer" : "a number", range,
                       f->unit ? " " : "", f->unit ? f->unit : "", jb_type_name(v));
    double x = v->valuedouble;
    if (!isfinite(x))
        return jb_fail(err, path, "expected a finite number %s, got %g", range, x);
    if (integral && x != floor(x))
        return jb_fail(err, path, "expected an integer %s, got %g", range, x);
    bool low = (f->flags & JB_GT_MIN) ? !(x > f->min) : !(x >= f->min);
    if (low || x > f->max)
        return jb_fail(err, path, "expected a value %s%s%s, got %g", range, f->unit ? " " : "", f->unit ? f->unit : "",
                       x);
    *out = x;
    return 0;
}

static int jb_bind_field(const jb_field_t *f, const cJSON *v, void *dst, const char *path, jb_error_t *err)
{
    char *p = (char *)dst + f->offset;
    double x;
    switch (f->kind) {
    case JB_DOUBLE:
        assert(f->size == sizeof(double));
        if (jb_number(f, v, path, false, &x, err))
            return -1;
        *(double *)p = x;
        return 0;
    case JB_INT:
        assert(f->size == sizeof(int));
        if (jb_number(f, v, path, true, &x, err))
            return -1;
        *(int *)p = (int)x;
        return 0;
    case JB_UINT:
        assert(f->size == sizeof(uint32_t));
        if (jb_number(f, v, path, true, &x, err))
            return -1;
        *(uint32_t *)p = (uint32_t)x;
        return 0;
    case JB_U64:
        assert(f->size == sizeof(uint64_t));
        if (jb_number(f, v, path, true, &x, err))
            return -1;
        *(uint64_t *)p = (uint64_t)x;
        return 0;
    case JB_BOOL:
        assert(f->size == sizeof(bool));
        if (cJSON_IsString(v))
            return jb_fail(err, path, "expected true or false, got a string (\"%.64s\")", v->valuestring);
        if (!cJSON_IsBool(v))
            return jb_fail(err, path, "expected true or false, got %s", jb_type_name(v));
        *(bool *)p = cJSON_IsTrue(v);
        return 0;
    case JB_STRING:
        if (!cJSON_IsString(v))
            return jb_fail(err, path, "expected a string, got %s", jb_type_name(v));
        if (strlen(v->valuestring) >= f->size)
            return jb_fail(err, path, "expected a string of at most %zu characters", f->size - 1);
        memcpy(p, v->valuestring, strlen(v->valuestring) + 1);
        return 0;
    case JB_CHOICE: {
        assert(f->size == sizeof(int) && f->choices);
        char names[512];
        jb_choice_list(f->choices, names, sizeof names);
        if (!cJSON_IsString(v))
            return jb_fail(err, path, "expected one of: %s; got %s", names, jb_type_name(v));
        for (int i = 0; f->choices[i]; i++) {
            if (strcmp(f->choices[i], v->valuestring) == 0) {
                *(int *)p = i;
                return 0;
            }
        }
        return jb_fail(err, path, "unknown value \"%s\"; expected one of: %s", v->valuestring, names);
    }
    case JB_PLUGIN: {
        /* As a choice, so that a policy name reads and fails like one; the names come from the registry. */
        const plugin_axis_t *axis = f->sub;
        char names[512];
        plugin_names(axis, names, sizeof names);
        if (!cJSON_IsString(v))
            return jb_fail(err, path, "expected one of: %s; got %s", names, jb_type_name(v));
        if (!plugin_find(axis, v->valuestring))
            return jb_fail(err, path, "unknown value \"%s\"; expected one of: %s", v->valuestring, names);
        assert(strlen(v->valuestring) < f->size && "policy name longer than its field");
        memcpy(p, v->valuestring, strlen(v->valuestring) + 1);
        return 0;
    }
    case JB_OBJECT:
        return jb_bind(f->sub, v, p, path, err);
    case JB_JSON:
        assert(f->size == sizeof(const cJSON *));
        if (!cJSON_IsObject(v) && !cJSON_IsNull(v))
            return jb_fail(err, path, "expected an object, got %s", jb_type_name(v));
        *(const cJSON **)p = cJSON_IsNull(v) ? NULL : v;
        return 0;
    case JB_JSONA:
        assert(f->size == sizeof(const cJSON *));
        if (!cJSON_IsArray(v) && !cJSON_IsNull(v))
            return jb_fail(err, path, "expected an array, got %s", jb_type_name(v));
        *(const cJSON **)p = cJSON_IsNull(v) ? NULL : v;
        return 0;
    }
    return jb_fail(err, path, "internal: unknown field kind");
}

int jb_bind_key(const jb_spec_t *spec, const char *key, const cJSON *value, void *dst, const char *base_path,
                jb_error_t *err)
{
    char path[256];
    jb_join(path, sizeof path, base_path, key);
    const jb_field_t *f = jb_find(spec, key);
    if (!f) {
        char keys[1024];
        jb_key_list(spec, keys, sizeof keys);
        return jb_fail(err, path, "unknown key \"%s\"; valid keys: %s", key, keys);
    }
    return jb_bind_field(f, value, dst, path, err);
}

int jb_bind(const jb_spec_t *spec, const cJSON *obj, void *dst, const char *base_path, jb_error_t *err)
{
    if (!cJSON_IsObject(obj))
        return jb_fail(err, base_path && base_path[0] ? base_path : "(root)", "expected an object, got %s",
                       jb_type_name(obj));
    for (const cJSON *item = obj->child; item; item = item->next) {
        if (jb_bind_key(spec, item->string, item, dst, base_path, err))
            return -1;
    }
    for (const jb_field_t *f = spec->fields; f->key; f++) {
        if ((f->flags & JB_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(obj, f->key)) {
            char path[256];
            jb_join(path, sizeof path, base_path, f->key);
            return jb_fail(err, path, "missing required key \"%s\" (%s)", f->key, f->help ? f->help : "");
        }
    }
    if (spec->check) {
        jb_error_t sub = {{0}, {0}};
        if (spec->check(dst, &sub)) {
            char path[256];
            if (sub.path[0])
                jb_join(path, sizeof path, base_path, sub.path);
            else
                snprintf(path, sizeof path, "%s", base_path && base_path[0] ? base_path : "(root)");
            return jb_fail(err, path, "%s", sub.msg);
        }
    }
    return 0;
}

cJSON *jb_to_json(const jb_spec_t *spec, const void *src)
{
    cJSON *obj = cJSON_CreateObject();
    for (const jb_field_t *f = spec->fields; f->key; f++) {
        if (f->flags & JB_HIDDEN)
            continue;
        const char *p = (const char *)src + f->offset;
        cJSON *v = NULL;
        switch (f->kind) {
        case JB_DOUBLE:
            v = cJSON_CreateNumber(*(const double *)p);
            break;
        case JB_INT:
            v = cJSON_CreateNumber(*(const int *)p);
            break;
        case JB_UINT:
            v = cJSON_CreateNumber(*(const uint32_t *)p);
            break;
        case JB_U64:
            v = cJSON_CreateNumber((double)*(const uint64_t *)p);
            break;
        case JB_BOOL:
            v = cJSON_CreateBool(*(const bool *)p);
            break;
        case JB_STRING:
        case JB_PLUGIN:
            v = cJSON_CreateString(p);
            break;
        case JB_CHOICE: {
            int i = *(const int *)p;
            v = cJSON_CreateString(i >= 0 ? f->choices[i] : "");
            break;
        }
        case JB_OBJECT:
            v = jb_to_json(f->sub, p);
            break;
        case JB_JSON: {
            const cJSON *j = *(const cJSON *const *)p;
            v = j ? cJSON_Duplicate(j, 1) : cJSON_CreateObject();
            break;
        }
        case JB_JSONA: {
            const cJSON *j = *(const cJSON *const *)p;
            v = j ? cJSON_Duplicate(j, 1) : cJSON_CreateArray();
            break;
        }
        }
        cJSON_AddItemToObject(obj, f->key, v);
    }
    return obj;
}

static const char *jb_kind_name(jb_kind_t k)
{
    switch (k) {
    case JB_DOUBLE:
        return "number";
    case JB_INT:
    case JB_UINT:
    case JB_U64:
        return "integer";
    case JB_BOOL:
        return "bool";
    case JB_STRING:
        return "string";
    case JB_CHOICE:
    case JB_PLUGIN:
        return "choice";
    case JB_OBJECT:
    case JB_JSON:
        return "object";
    case JB_JSONA:
        return "array";
    }
    return "?";
}

void jb_help(const jb_spec_t *spec, FILE *out, int indent)
{
    for (const jb_field_t *f = spec->fields; f->key; f++) {
        if (f->flags & JB_HIDDEN)
            continue;
        char what[160];
        if (f->kind == JB_CHOICE) {
            char names[120];
            jb_choice_list(f->choices, names, sizeof names);
            snprintf(what, sizeof what, "one of %s", names);
        } else if (f->kind == JB_PLUGIN) {
            char names[120];
            plugin_names(f->sub, names, sizeof names);
            snprintf(what, sizeof what, "one of %s", names);
        } else if (f->kind == JB_DOUBLE || f->kind == JB_INT || f->kind == JB_UINT || f->kind == JB_U64) {
            char range[96];
            jb_range_text(f, range, sizeof range);
            snprintf(what, sizeof what, "%s %s", jb_kind_name(f->kind), range);
        } else {
            snprintf(what, sizeof what, "%s", jb_kind_name(f->kind));
        }
        fprintf(out, "%*s%-28s %-30s %s%s%s\n", indent, "", f->key, what, f->help ? f->help : "",
                (f->flags & JB_REQUIRED) ? " (required)" : "", "");
        if (f->kind == JB_OBJECT)
            jb_help(f->sub, out, indent + 2);
    }
}

cJSON *jb_parse_kv_list(const char *text, char *msg, size_t msglen)
{
    cJSON *obj = cJSON_CreateObject();
    char *copy = strdup(text ? text : "");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok) {
            snprintf(msg, msglen, "expected key=value in \"%s\"", tok);
            cJSON_Delete(obj);
            free(copy);
            return NULL;
        }
        *eq = '\0';
        const char *val = eq + 1;
        cJSON *v = cJSON_ParseWithOpts(val, NULL, 1); /* whole value: 10x is a string, not 10 */
        if (!v)
            v = cJSON_CreateString(val);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, tok);
        cJSON_AddItemToObject(obj, tok, v);
    }
    free(copy);
    return obj;
}
