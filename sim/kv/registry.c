/* The registry of eviction policies: one line per policy, in the order `kvtwin policies` lists them.
 * A new policy is one file in sim/kv/policies/ plus one line in KV_POLICY_LIST. Also the helpers that
 * validate, bind and print a policy's parameters from its table. */
#include <stdlib.h>
#include <string.h>

#include "sim/kv/policy.h"

#define KV_POLICY_LIST                                                                                            \
    P(lru)         /* least recently used */                                                                     \
    P(fifo)        /* first in, first out */                                                                     \
    P(lfu)         /* least frequently used with dynamic aging */                                                \
    P(s3fifo)      /* small and main FIFO queues with a ghost queue */                                           \
    P(sieve)       /* FIFO with a visited bit and a moving hand */                                               \
    P(arc)         /* adaptive replacement cache */                                                              \
    P(leaf_lru)    /* LRU among leaves of the prefix tree (radix style) */                                       \
    P(cost)        /* GDSF-like: recompute time saved per byte */                                                \
    P(session_ttl) /* protects sessions between turns, TTL learned from gaps */                                  \
    P(belady)      /* offline optimum from future references */

#define P(n) extern const kv_policy_ops_t kv_policy_##n;
KV_POLICY_LIST
#undef P

#define P(n) &kv_policy_##n,
static const kv_policy_ops_t *const kv_policies[] = {KV_POLICY_LIST};
#undef P

size_t kv_policy_count(void)
{
    return sizeof kv_policies / sizeof kv_policies[0];
}

const kv_policy_ops_t *kv_policy_at(size_t i)
{
    return i < kv_policy_count() ? kv_policies[i] : NULL;
}

const kv_policy_ops_t *kv_policy_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < kv_policy_count(); i++)
        if (strcmp(kv_policies[i]->name, name) == 0)
            return kv_policies[i];
    return NULL;
}

void kv_policy_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < kv_policy_count() && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", kv_policies[i]->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void *kv_policy_bind(const kv_policy_ops_t *ops, const cJSON *params, jb_error_t *err)
{
    void *p = malloc(ops->params_size ? ops->params_size : 1);
    if (!p) {
        snprintf(err->path, sizeof err->path, "%s", "");
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    if (ops->params_size)
        memcpy(p, ops->params_default, ops->params_size);
    if (!params || cJSON_IsNull(params))
        return p;
    if (cJSON_IsObject(params) && params->child && !ops->params->fields[0].key) {
        snprintf(err->path, sizeof err->path, "%s", params->child->string);
        snprintf(err->msg, sizeof err->msg, "unknown parameter \"%s\": policy %s takes no parameters",
                 params->child->string, ops->name);
        free(p);
        return NULL;
    }
    if (jb_bind(ops->params, params, p, "", err)) {
        free(p);
        return NULL;
    }
    return p;
}

int kv_policy_validate(const char *name, const cJSON *params, jb_error_t *err)
{
    const kv_policy_ops_t *ops = kv_policy_find(name);
    if (!ops) {
        char names[512];
        kv_policy_names(names, sizeof names);
        snprintf(err->path, sizeof err->path, "%s", "");
        snprintf(err->msg, sizeof err->msg, "unknown policy \"%s\"; valid policies: %s", name ? name : "(null)",
                 names);
        return -1;
    }
    void *p = kv_policy_bind(ops, params, err);
    if (!p)
        return -1;
    free(p);
    return 0;
}

void kv_policy_print(const kv_policy_ops_t *ops, FILE *out)
{
    fprintf(out, "%-12s %s%s\n", ops->name, ops->summary, ops->needs_next_use ? " (offline: needs the future)" : "");
    if (!ops->params->fields[0].key) {
        fprintf(out, "    (no parameters)\n");
        return;
    }
    cJSON *defaults = jb_to_json(ops->params, ops->params_default);
    for (const jb_field_t *f = ops->params->fields; f->key; f++) {
        if (f->flags & JB_HIDDEN)
            continue;
        char *val = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(defaults, f->key));
        char range[64] = "";
        if (f->kind == JB_DOUBLE || f->kind == JB_INT || f->kind == JB_UINT || f->kind == JB_U64)
            snprintf(range, sizeof range, "%s%g..%g", (f->flags & JB_GT_MIN) ? ">" : "", f->min, f->max);
        fprintf(out, "    %-26s default %-8s %-18s %s%s%s%s\n", f->key, val ? val : "?", range, f->help,
                f->unit ? " [" : "", f->unit ? f->unit : "", f->unit ? "]" : "");
        free(val);
    }
    cJSON_Delete(defaults);
}
