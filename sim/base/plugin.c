/* Policy plug-ins: lookup, names, parameter binding and help shared by every axis; see plugin.h. */
#include "sim/base/plugin.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"

const plugin_t *plugin_find(const plugin_axis_t *axis, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < axis->count; i++)
        if (strcmp(axis->items[i]->name, name) == 0)
            return axis->items[i];
    return NULL;
}

const plugin_t *plugin_find_alias(const plugin_axis_t *axis, const char *name)
{
    const plugin_t *p = plugin_find(axis, name);
    for (size_t i = 0; !p && name && i < axis->count; i++)
        for (const char *const *a = axis->items[i]->aliases; a && *a && !p; a++)
            if (strcmp(*a, name) == 0)
                p = axis->items[i];
    return p;
}

void plugin_names(const plugin_axis_t *axis, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < axis->count && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", axis->items[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static bool plugin_has_params(const plugin_t *p)
{
    return p->params && p->params->fields[0].key;
}

void *plugin_bind(const plugin_t *p, const cJSON *params, jb_error_t *err)
{
    void *b = kvt_malloc(p->params_size ? p->params_size : 1);
    if (p->params_size)
        memcpy(b, p->params_default, p->params_size);
    if (!params || cJSON_IsNull(params))
        return b;
    if (cJSON_IsObject(params) && params->child && !plugin_has_params(p)) {
        snprintf(err->path, sizeof err->path, "%s", params->child->string);
        snprintf(err->msg, sizeof err->msg, "unknown parameter \"%s\": policy %s takes no parameters",
                 params->child->string, p->name);
        free(b);
        return NULL;
    }
    static const jb_field_t none[] = {JB_END};
    static const jb_spec_t empty = {"params", none, NULL};
    if (jb_bind(p->params ? p->params : &empty, params, b, "", err)) {
        free(b);
        return NULL;
    }
    return b;
}

int plugin_validate(const plugin_axis_t *axis, const char *name, const cJSON *params, jb_error_t *err)
{
    const plugin_t *p = plugin_find(axis, name);
    if (!p) {
        char names[512];
        plugin_names(axis, names, sizeof names);
        snprintf(err->path, sizeof err->path, "%s", "");
        snprintf(err->msg, sizeof err->msg, "unknown policy \"%s\"; valid policies: %s", name ? name : "(null)", names);
        return -1;
    }
    void *b = plugin_bind(p, params, err);
    if (!b)
        return -1;
    free(b);
    return 0;
}

const void *plugin_params(const plugin_t *p, const void *bound)
{
    return bound ? bound : p->params_default;
}

/* " (note; also: a, b)" or "". */
static void plugin_tail(const plugin_t *p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (p->note)
        used += (size_t)snprintf(buf, len, " (%s", p->note);
    for (const char *const *a = p->aliases; a && *a && used + 1 < len; a++) {
        bool first = a == p->aliases;
        int w =
            snprintf(buf + used, len - used, "%s%s%s", first ? (used ? "; " : " (") : ", ", first ? "alias: " : "", *a);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used && used + 1 < len)
        snprintf(buf + used, len - used, ")");
}

void plugin_print(const plugin_t *p, FILE *out)
{
    char tail[256];
    plugin_tail(p, tail, sizeof tail);
    fprintf(out, "%-16s %s%s\n", p->name, p->summary, tail);
    if (!plugin_has_params(p)) {
        fprintf(out, "    (no parameters)\n");
        return;
    }
    cJSON *defaults = jb_to_json(p->params, p->params_default);
    for (const jb_field_t *f = p->params->fields; f->key; f++) {
        if (f->flags & JB_HIDDEN)
            continue;
        char *val = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(defaults, f->key));
        char range[64] = "";
        if (f->kind == JB_DOUBLE || f->kind == JB_INT || f->kind == JB_UINT || f->kind == JB_U64)
            snprintf(range, sizeof range, "%s%g..%g", (f->flags & JB_GT_MIN) ? ">" : "", f->min, f->max);
        fprintf(out, "    %-26s default %-8s %-18s %s%s%s%s\n", f->key, val ? val : "?", range, f->help,
                f->unit ? " [" : "", f->unit ? f->unit : "", f->unit ? "]" : "");
        cJSON_free(val);
    }
    cJSON_Delete(defaults);
}

void plugin_markdown(const plugin_axis_t *axis, const plugin_t *only, FILE *out)
{
    fprintf(out, "| policy | %s | parameters (default) |\n|---|---|---|\n", axis->column);
    for (size_t i = 0; i < axis->count; i++) {
        const plugin_t *p = axis->items[i];
        if (only && p != only)
            continue;
        char tail[256];
        plugin_tail(p, tail, sizeof tail);
        fprintf(out, "| `%s` | %s%s | ", p->name, p->summary, tail);
        int k = 0;
        if (plugin_has_params(p)) {
            cJSON *defaults = jb_to_json(p->params, p->params_default);
            for (const jb_field_t *f = p->params->fields; f->key; f++, k++) {
                char *val = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(defaults, f->key));
                fprintf(out, "%s`%s` (%s%s%s): %s", k ? "; " : "", f->key, val ? val : "?", f->unit ? " " : "",
                        f->unit ? f->unit : "", f->help);
                cJSON_free(val);
            }
            cJSON_Delete(defaults);
        }
        fprintf(out, "%s |\n", k ? "" : "none");
    }
}
