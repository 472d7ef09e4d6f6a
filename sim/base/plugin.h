/* Policy plug-ins: the part every policy axis shares (eviction, write, fetch-or-recompute, prefetch,
 * admission, routing).
 *
 * Each axis has its own ops table (its hooks), and every ops table starts with a plugin_t: the policy's
 * name, one-line summary and parameter table. One registry per axis (a plugin_axis_t) lists its policies
 * in the order `kvtwin policies` prints them. Finding a policy by name, listing the names, binding and
 * validating parameters over the defaults and printing help are written once, here, for every axis.
 *
 * Parameters are bound into a struct of params_size bytes that starts as a copy of params_default, with a
 * jsonbind table (sim/base/jsonbind.h) that validates them and prints their help; a policy with no
 * parameters leaves params NULL (or an empty table) and params_size 0. */
#ifndef KVTWIN_BASE_PLUGIN_H
#define KVTWIN_BASE_PLUGIN_H

#include <stddef.h>
#include <stdio.h>

#include "sim/base/jsonbind.h"

typedef struct plugin {
    const char *name;
    const char *summary;        /* one line for `kvtwin policies` and docs/policies.md */
    const char *note;           /* optional, printed after the summary in parentheses */
    const char *const *aliases; /* optional other names, NULL-terminated: accepted where the axis allows */
    const jb_spec_t *params;    /* parameter table; NULL (or no fields): no parameters */
    size_t params_size;         /* size of the struct the table binds */
    const void *params_default; /* that struct with every default */
} plugin_t;

typedef struct plugin_axis {
    const char *name;      /* "eviction", "write", ... */
    const char *chosen_by; /* the config keys and options that name a policy of this axis */
    const char *column;    /* markdown column heading of the summaries ("what it evicts") */
    const plugin_t *const *items;
    size_t count;
} plugin_axis_t;

/* The ops table of an axis from its plugin_t (the plugin_t is its first member). */
#define PLUGIN_OPS(type, plugin) ((const type *)(const void *)(plugin))

/* NULL if the axis has no policy of that name (aliases are not names). */
const plugin_t *plugin_find(const plugin_axis_t *axis, const char *name);

/* Like plugin_find, also matching aliases. */
const plugin_t *plugin_find_alias(const plugin_axis_t *axis, const char *name);

/* "a, b, c": every name of the axis, in registry order. */
void plugin_names(const plugin_axis_t *axis, char *buf, size_t len);

/* Binds params (NULL or JSON null: the defaults) over the defaults into a new malloc'd struct; NULL with err
 * filled (path relative to the params object) on bad input. Free it with free(). */
void *plugin_bind(const plugin_t *p, const cJSON *params, jb_error_t *err);

/* Checks a name and its parameters. Returns 0, or -1 with err filled: err->path is relative to the params
 * object, "" when the name itself is wrong; an unknown name lists the valid ones. */
int plugin_validate(const plugin_axis_t *axis, const char *name, const cJSON *params, jb_error_t *err);

/* bound if not NULL, else the policy's defaults: what a policy instance reads. */
const void *plugin_params(const plugin_t *p, const void *bound);

/* One policy: name, summary (and note, aliases), then one line per parameter with its default and range. */
void plugin_print(const plugin_t *p, FILE *out);

/* One axis as a markdown table: name, summary, parameters with defaults. only: that policy alone (NULL: all). */
void plugin_markdown(const plugin_axis_t *axis, const plugin_t *only, FILE *out);

#endif
