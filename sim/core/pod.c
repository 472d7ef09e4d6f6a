/* Helpers on the run state; see pod.h. */
#include "sim/core/pod.h"

#include "sim/core/faults.h"

#include <assert.h>
#include <stdio.h>

/* The tier table's endpoint column (sim/kv/tier.h). */
static const uint8_t pod_tier_kind[KV_NTIERS] = {
#define POD_TIER_KIND(id, name, key, scope, endpoint, energy, label, help) [KV_##id] = endpoint,
    KV_TIER_TABLE(POD_TIER_KIND)
#undef POD_TIER_KIND
};

pf_ep_t pod_tier_endpoint(const pod_t *p, int tier, uint32_t loc, uint64_t first_block)
{
    assert(tier >= 0 && tier < KV_NTIERS);
    pf_ep_t ep = {pod_tier_kind[tier], loc};
    if (kv_tiers[tier].scope >= KV_SCOPE_POD) {
        /* One tier instance served by several endpoints: the block id picks the one. */
        assert(ep.kind == PF_ICMS || ep.kind == PF_G4);
        ep.idx = ep.kind == PF_ICMS ? pf_icms_of_block(&p->pf, first_block) : pf_g4_of_block(&p->pf, first_block);
        /* Around a failed enclosure or server. */
        ep.idx = ep.kind == PF_ICMS ? faults_enclosure(p, ep.idx) : faults_g4_server(p, ep.idx);
    }
    return ep;
}

uint32_t pod_tier_loc(const pod_t *p, int tier, uint32_t inst)
{
    assert(tier >= 0 && tier < KV_NTIERS && inst < p->pf.n_inst);
    return kv_scope_loc(kv_tiers[tier].scope, inst, p->pf.domain_of_inst[inst]);
}

void pod_fail(pod_t *p, int code, const char *msg)
{
    if (p->fail_code)
        return;
    p->fail_code = code;
    snprintf(p->fail_msg, sizeof p->fail_msg, "%s", msg);
}
