/* Helpers on the run state; see pod.h. */
#include "sim/core/pod.h"

#include <stdio.h>

pf_ep_t pod_tier_endpoint(const pod_t *p, int tier, uint32_t loc, uint64_t first_block)
{
    switch (tier) {
    case KV_G1:
        return (pf_ep_t){PF_INST, loc};
    case KV_G2:
        return (pf_ep_t){PF_CPU, loc};
    case KV_G3:
        return (pf_ep_t){PF_SSD, loc};
    case KV_G35:
        return (pf_ep_t){PF_ICMS, pf_icms_of_block(&p->pf, first_block)};
    default:
        return (pf_ep_t){PF_G4, pf_g4_of_block(&p->pf, first_block)};
    }
}

void pod_fail(pod_t *p, int code, const char *msg)
{
    if (p->fail_code)
        return;
    p->fail_code = code;
    snprintf(p->fail_msg, sizeof p->fail_msg, "%s", msg);
}
