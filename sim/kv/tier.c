/* The tier table's kv columns as data; see tier.h. */
#include "sim/kv/tier.h"

#include <string.h>

const kv_tier_info_t kv_tiers[KV_NTIERS] = {
#define KV_TIER_INFO(id, name, key, scope, endpoint, energy, label, help) [KV_##id] = {name, key, label, help, scope},
    KV_TIER_TABLE(KV_TIER_INFO)
#undef KV_TIER_INFO
};

const char *kv_tier_name(int tier)
{
    return tier >= 0 && tier < KV_NTIERS ? kv_tiers[tier].name : "?";
}

int kv_tier_by_name(const char *name)
{
    for (int t = 0; t < KV_NTIERS; t++)
        if (strcmp(kv_tiers[t].name, name) == 0)
            return t;
    return -1;
}

const char *kv_scope_name(int scope)
{
    static const char *const names[KV_SCOPES] = {"instance", "domain", "pod", "shared"};
    return scope >= 0 && scope < KV_SCOPES ? names[scope] : "?";
}
