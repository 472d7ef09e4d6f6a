/* The registry of write policies: one line per policy, in the order `kvtwin policies` lists them; the first
 * is the default. A new policy is one file in sim/kv/write/ plus one line in KV_WRITE_LIST. */
#include "sim/kv/write.h"

#define KV_WRITE_LIST                                                                                                  \
    W(write_back)    /* demote on eviction */                                                                          \
    W(write_through) /* copy down at commit */                                                                         \
    W(selective)     /* demote on eviction what is likely to return */

#define W(n) extern const kv_write_ops_t kv_write_##n;
KV_WRITE_LIST
#undef W

#define W(n) &kv_write_##n.base,
static const plugin_t *const kv_writes[] = {KV_WRITE_LIST};
#undef W

const plugin_axis_t kv_write_axis = {
    .name = "write",
    .chosen_by = "kv.write_policy; kvtwin cache --write",
    .column = "when a block goes down",
    .items = kv_writes,
    .count = sizeof kv_writes / sizeof kv_writes[0],
};

const kv_write_ops_t *kv_write_find(const char *name)
{
    return PLUGIN_OPS(kv_write_ops_t, plugin_find(&kv_write_axis, name));
}

const kv_write_ops_t *kv_write_find_alias(const char *name)
{
    return PLUGIN_OPS(kv_write_ops_t, plugin_find_alias(&kv_write_axis, name));
}

const kv_write_ops_t *kv_write_at(size_t i)
{
    return i < kv_write_axis.count ? PLUGIN_OPS(kv_write_ops_t, kv_writes[i]) : NULL;
}

const kv_write_ops_t *kv_write_default(void)
{
    return kv_write_at(0);
}
