/* Table-driven binding between JSON objects and C structs.
 *
 * A spec lists the keys an object may hold: each key maps to a struct member with a kind, an allowed range,
 * a unit and a one-line help. One table validates a config (unknown keys, wrong types, out-of-range
 * values, each reported with its JSON path), writes the struct back to JSON (the resolved scenario) and
 * prints the help of a section (`kvtwin help`, `kvtwin policies`). Keys carry their unit in the name. */
#ifndef KVTWIN_BASE_JSONBIND_H
#define KVTWIN_BASE_JSONBIND_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

typedef enum jb_kind {
    JB_DOUBLE, /* double */
    JB_INT,    /* int */
    JB_UINT,   /* unsigned (uint32_t) */
    JB_U64,    /* uint64_t, read through a double: exact up to 2^53 */
    JB_BOOL,   /* bool */
    JB_STRING, /* char[size] */
    JB_CHOICE, /* int index into choices[] (JSON: one of the names) */
    JB_OBJECT, /* nested struct bound with sub */
    JB_JSON,   /* const cJSON * borrowed from the bound tree: an object checked later by its owner */
    JB_JSONA,  /* the same for an array (a list of records, e.g. the scenario's faults) */
    JB_PLUGIN, /* char[size]: the name of a policy of a plug-in axis (sim/base/plugin.h), checked there */
} jb_kind_t;

enum {
    JB_REQUIRED = 1u << 0, /* must be present */
    JB_GT_MIN = 1u << 1,   /* min is exclusive: value > min */
    JB_HIDDEN = 1u << 2,   /* not printed by jb_help */
};

struct jb_spec;

typedef struct jb_field {
    const char *key;
    jb_kind_t kind;
    size_t offset;
    size_t size;
    double min, max;
    unsigned flags;
    const char *const *choices; /* JB_CHOICE: NULL-terminated names */
    const void *sub;            /* JB_OBJECT: its jb_spec_t; JB_PLUGIN: its plugin_axis_t */
    const char *unit;
    const char *help;
} jb_field_t;

typedef struct jb_error {
    char path[256]; /* JSON path of the offending value, e.g. hardware.gpu.hbm_capacity_bytes */
    char msg[512];  /* what was wrong and what was expected */
} jb_error_t;

typedef struct jb_spec {
    const char *name;
    const jb_field_t *fields; /* terminated by an entry whose key is NULL */
    /* Optional cross-field check after binding; fills err (path relative to this object) and returns -1. */
    int (*check)(void *dst, jb_error_t *err);
} jb_spec_t;

#define JB_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
/* Field declarations: the JSON key is the member's name, so units live in member names. */
#define JB_DBL(type, m, lo, hi, unit, help)                                                                            \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), lo, hi, 0, NULL, NULL, unit, help                   \
    }
#define JB_DBL_POS(type, m, hi, unit, help)                                                                            \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, hi, JB_GT_MIN, NULL, NULL, unit, help            \
    }
#define JB_INTF(type, m, lo, hi, help)                                                                                 \
    {                                                                                                                  \
#m, JB_INT, offsetof(type, m), JB_MEMBER_SIZE(type, m), lo, hi, 0, NULL, NULL, NULL, help                      \
    }
#define JB_UINTF(type, m, lo, hi, unit, help)                                                                          \
    {                                                                                                                  \
#m, JB_UINT, offsetof(type, m), JB_MEMBER_SIZE(type, m), lo, hi, 0, NULL, NULL, unit, help                     \
    }
#define JB_U64F(type, m, lo, hi, unit, help)                                                                           \
    {                                                                                                                  \
#m, JB_U64, offsetof(type, m), JB_MEMBER_SIZE(type, m), lo, hi, 0, NULL, NULL, unit, help                      \
    }
#define JB_BOOLF(type, m, help)                                                                                        \
    {                                                                                                                  \
#m, JB_BOOL, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 1, 0, NULL, NULL, NULL, help                       \
    }
#define JB_STR(type, m, help)                                                                                          \
    {                                                                                                                  \
#m, JB_STRING, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, NULL, NULL, NULL, help                     \
    }
#define JB_CHOICEF(type, m, names, help)                                                                               \
    {                                                                                                                  \
#m, JB_CHOICE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, names, NULL, NULL, help                    \
    }
#define JB_OBJ(type, m, spec, help)                                                                                    \
    {                                                                                                                  \
#m, JB_OBJECT, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, NULL, &(spec), NULL, help                  \
    }
#define JB_PLUGINF(type, m, axis, help)                                                                                \
    {                                                                                                                  \
#m, JB_PLUGIN, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, NULL, &(axis), NULL, help                  \
    }
#define JB_JSONF(type, m, help)                                                                                        \
    {                                                                                                                  \
#m, JB_JSON, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, NULL, NULL, NULL, help                       \
    }
#define JB_JSONAF(type, m, help)                                                                                       \
    {                                                                                                                  \
#m, JB_JSONA, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, 0, NULL, NULL, NULL, help                      \
    }
#define JB_END                                                                                                         \
    {                                                                                                                  \
        NULL, JB_DOUBLE, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL                                                         \
    }

/* Binds obj into dst. Absent keys keep dst's current values (the caller sets defaults first).
 * base_path prefixes error paths ("" for the root). Returns 0, or -1 with err filled. */
int jb_bind(const jb_spec_t *spec, const cJSON *obj, void *dst, const char *base_path, jb_error_t *err);

/* Same as jb_bind for a single key of spec: binds value into the member named key. */
int jb_bind_key(const jb_spec_t *spec, const char *key, const cJSON *value, void *dst, const char *base_path,
                jb_error_t *err);

/* The struct as a JSON object holding every non-hidden key of spec. */
cJSON *jb_to_json(const jb_spec_t *spec, const void *src);

/* Looks up a field by key; NULL if spec has no such key. */
const jb_field_t *jb_find(const jb_spec_t *spec, const char *key);

/* Prints one line per key: key, kind and range, unit, help; nested objects indented. */
void jb_help(const jb_spec_t *spec, FILE *out, int indent);

/* "a, b, c": the keys of spec, for error messages. */
void jb_key_list(const jb_spec_t *spec, char *buf, size_t len);

/* Parses "k=v,k2=v2" (values as JSON, else as strings) into a new JSON object; NULL with msg on error. */
cJSON *jb_parse_kv_list(const char *text, char *msg, size_t msglen);

#endif
