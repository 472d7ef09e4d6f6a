/* Fetch-or-recompute decision and break-even bandwidths; see fetch.h. */
#include "sim/kv/fetch.h"

#include <assert.h>
#include <math.h>

double kv_fetch_load_s(const double bytes[KV_NTIERS], const kv_fetch_hop_t hop[KV_NTIERS])
{
    double worst = 0;
    for (int t = KV_G2; t < KV_NTIERS; t++) {
        if (!(bytes[t] > 0))
            continue;
        if (!(hop[t].bandwidth_byte_s > 0))
            return INFINITY;
        double s = hop[t].latency_s + bytes[t] / hop[t].bandwidth_byte_s;
        if (s > worst)
            worst = s;
    }
    return worst;
}

uint32_t kv_fetch_decide(const st_model_t *st, const uint8_t *tier_of, uint32_t prefix, double input_tokens,
                         uint32_t block_tokens, double block_bytes, const kv_fetch_hop_t hop[KV_NTIERS],
                         kv_fetch_plan_t *plan)
{
    assert(st && plan && (prefix == 0 || tier_of));
    double full = st_prefill_time_s(st, input_tokens, 0);
    *plan = (kv_fetch_plan_t){0, 0, 0, full, full, full};
    double bytes[KV_NTIERS] = {0};
    double max_reuse = input_tokens >= 1 ? input_tokens - 1 : 0;
    for (uint32_t u = 1; u <= prefix; u++) {
        int t = tier_of[u - 1];
        assert(t >= KV_G1 && t < KV_NTIERS);
        if (t != KV_G1)
            bytes[t] += block_bytes;
        /* Within a run of blocks from one tier each further block costs the same bytes and saves more prefill
         * than the one before (attention grows with depth): the total is concave there, so its minimum lies at
         * the end of a run or before the run starts. Only run ends (and 0) are tried. */
        if (u < prefix && tier_of[u] == t)
            continue;
        double reused = fmin((double)u * block_tokens, max_reuse);
        double load = kv_fetch_load_s(bytes, hop);
        double rec = st_prefill_time_s(st, input_tokens - reused, reused);
        if (load + rec <= plan->total_s) {
            plan->use = u;
            plan->reused_tokens = reused;
            plan->load_s = load;
            plan->recompute_s = rec;
            plan->total_s = load + rec;
        }
    }
    return plan->use;
}

double kv_fetch_break_even_byte_s(const st_model_t *st, double ctx_tokens, double kv_bytes_per_token, double latency_s)
{
    double t = st_prefill_time_s(st, ctx_tokens, 0) - latency_s;
    return t > 0 ? ctx_tokens * kv_bytes_per_token / t : (double)INFINITY;
}

double kv_fetch_break_even_eq2_byte_s(const llm_t *m, double ctx_tokens, double kv_bytes_per_token, double a, double b,
                                      double gpus, double peak_flop_s_per_gpu)
{
    double n = ctx_tokens, d = m->hidden;
    double flops = m->layers * (a * n * n * d + b * n * d * d);
    double t = flops / (gpus * peak_flop_s_per_gpu);
    return n * kv_bytes_per_token / t;
}
