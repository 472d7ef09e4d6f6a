/* The KV tiers, defined once. Every module that needs to know which tiers exist, what they are called, which
 * key configures them, or how many of each a pod has (their scope) reads it from this table; adding a tier
 * is one row here plus the code for what is new about it (its hardware capacity, its platform endpoint).
 *
 * Rows are listed fastest first; the order is the tier id (kv_tier_id_t), the order of every per-tier array
 * and of every per-tier list in the outputs. A slower tier's scope is never narrower than a faster one's
 * (an instance's path goes G1[inst] -> G2[domain] -> ... -> G4[0]).
 *
 * Columns: id (KV_<id>), name (printed, and the key of per-tier figures in summary.json), config key
 * (kv.<key> in scenarios), scope, platform endpoint kind (pf_kind_t of sim/core/platform.h), energy class of
 * the tier's media (en_class_t of sim/out/energy.h), label for tables, help of the config key.
 * The endpoint and energy columns name identifiers of higher layers: an X-macro column is only tokens until
 * a layer expands it, and only the layers that define them do (sim/core/pod.c, sim/out/metrics.c), so this
 * header depends on nothing and the table still has one place. */
#ifndef KVTWIN_KV_TIER_H
#define KVTWIN_KV_TIER_H

#include <assert.h>
#include <stdint.h>

/* clang-format off */
#define KV_TIER_TABLE(X)                                                                                          \
    X(G1,  "G1",   "g1",  KV_SCOPE_INSTANCE, PF_INST, EN_GPU,       "G1 (HBM)",        "G1: GPU HBM, per instance") \
    X(G2,  "G2",   "g2",  KV_SCOPE_DOMAIN,   PF_CPU,  EN_DRAM,      "G2 (DRAM)",       "G2: host DRAM, per domain") \
    X(G3,  "G3",   "g3",  KV_SCOPE_DOMAIN,   PF_SSD,  EN_LOCAL_SSD, "G3 (local NVMe)", "G3: local NVMe, per domain") \
    X(G35, "G3.5", "g35", KV_SCOPE_POD,      PF_ICMS, EN_ICMS,      "G3.5 (ICMS)",                                 \
      "G3.5: ICMS pod flash behind BlueField-4 DPUs, shared")                                                      \
    X(G4,  "G4",   "g4",  KV_SCOPE_SHARED,   PF_G4,   EN_G4,        "G4 (storage)",    "G4: shared storage")
/* clang-format on */

typedef enum kv_tier_id {
#define KV_TIER_ENUM(id, name, key, scope, endpoint, energy, label, help) KV_##id,
    KV_TIER_TABLE(KV_TIER_ENUM)
#undef KV_TIER_ENUM
        KV_NTIERS
} kv_tier_id_t;

/* How many instances of a tier a pod has, and which one serves a given model instance. */
typedef enum kv_scope {
    KV_SCOPE_INSTANCE = 0, /* one per model instance (its own) */
    KV_SCOPE_DOMAIN,       /* one per domain: the nodes an instance's GPUs sit on */
    KV_SCOPE_POD,          /* one per pod, shared by every instance */
    KV_SCOPE_SHARED,       /* one, outside the pod (shared storage); like POD inside the simulator */
    KV_SCOPES
} kv_scope_t;

typedef struct kv_tier_info {
    const char *name;  /* "G3.5" */
    const char *key;   /* "g35": the scenario's kv.g35 */
    const char *label; /* "G3.5 (ICMS)" */
    const char *help;  /* help of the config key */
    kv_scope_t scope;
} kv_tier_info_t;

extern const kv_tier_info_t kv_tiers[KV_NTIERS];

/* "G1", "G2", "G3", "G3.5", "G4"; "?" out of range. */
const char *kv_tier_name(int tier);
/* The tier of that name (as kv_tier_name spells it), or -1. */
int kv_tier_by_name(const char *name);
/* "instance", "domain", "pod", "shared". */
const char *kv_scope_name(int scope);

/* The tier instance of that scope on model instance inst's path (inst's domain is domain). */
static inline uint32_t kv_scope_loc(int scope, uint32_t inst, uint32_t domain)
{
    assert(scope >= 0 && scope < KV_SCOPES);
    return scope == KV_SCOPE_INSTANCE ? inst : scope == KV_SCOPE_DOMAIN ? domain : 0;
}

/* Tier instances of that scope in a pod of n_inst model instances on n_domains domains. */
static inline uint32_t kv_scope_count(int scope, uint32_t n_inst, uint32_t n_domains)
{
    assert(scope >= 0 && scope < KV_SCOPES);
    return scope == KV_SCOPE_INSTANCE ? n_inst : scope == KV_SCOPE_DOMAIN ? n_domains : 1;
}

#endif
