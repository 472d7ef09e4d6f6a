/* The registry of eviction policies: one line per policy, in the order `kvtwin policies` lists them.
 * A new policy is one file in sim/kv/policies/ plus one line in KV_POLICY_LIST. Lookup, names and
 * parameter binding are the plug-in helpers of sim/base/plugin.h. */
#include "sim/kv/policy.h"

#define KV_POLICY_LIST                                                                                                 \
    P(lru)         /* least recently used */                                                                           \
    P(fifo)        /* first in, first out */                                                                           \
    P(lfu)         /* least frequently used with dynamic aging */                                                      \
    P(s3fifo)      /* small and main FIFO queues with a ghost queue */                                                 \
    P(sieve)       /* FIFO with a visited bit and a moving hand */                                                     \
    P(arc)         /* adaptive replacement cache */                                                                    \
    P(leaf_lru)    /* LRU among leaves of the prefix tree (radix style) */                                             \
    P(cost)        /* GDSF-like: recompute time saved per byte */                                                      \
    P(session_ttl) /* protects sessions between turns, TTL learned from gaps */                                        \
    P(marconi)     /* recency plus FLOPs saved per byte (Marconi) */                                                   \
    P(lpc)         /* recency plus learned conversation-continuation probability (LPC) */                              \
    P(belady)      /* offline optimum from future references */

#define P(n) extern const kv_policy_ops_t kv_policy_##n;
KV_POLICY_LIST
#undef P

#define P(n) &kv_policy_##n.base,
static const plugin_t *const kv_policies[] = {KV_POLICY_LIST};
#undef P

const plugin_axis_t kv_policy_axis = {
    .name = "eviction",
    .chosen_by = "kv.gN.policy, kv.gN.params; kvtwin cache --policy, --params",
    .column = "what it evicts",
    .items = kv_policies,
    .count = sizeof kv_policies / sizeof kv_policies[0],
};

size_t kv_policy_count(void)
{
    return kv_policy_axis.count;
}

const kv_policy_ops_t *kv_policy_at(size_t i)
{
    return i < kv_policy_axis.count ? PLUGIN_OPS(kv_policy_ops_t, kv_policies[i]) : NULL;
}

const kv_policy_ops_t *kv_policy_find(const char *name)
{
    return PLUGIN_OPS(kv_policy_ops_t, plugin_find(&kv_policy_axis, name));
}

void kv_policy_names(char *buf, size_t len)
{
    plugin_names(&kv_policy_axis, buf, len);
}

int kv_policy_validate(const char *name, const cJSON *params, jb_error_t *err)
{
    return plugin_validate(&kv_policy_axis, name, params, err);
}
