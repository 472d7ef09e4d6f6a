/* Step-time model; see steptime.h for the assumptions.
 * Everything that does not depend on the iteration's shape (per-token FLOPs and bytes per GPU, peak rates
 * times efficiencies) is folded into the model at creation, so st_step is a few dozen multiplications
 * and one pow() (MoE expert coverage). Units: seconds, bytes, FLOPs; all per GPU unless named instance. */
#include "models/steptime.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Activations and collectives travel at 16 bits even when weights and KV are FP8 or FP4 (TensorRT-LLM and
 * vLLM keep BF16/FP16 activations between GEMMs). */
#define ST_ACT_BYTES 2.0

struct st_model {
    st_deploy_t dep;
    st_calib_t cal;
    hw_gpu_t gpu;
    llm_t llm;
    llm_params_t params;
    unsigned gpus;

    /* rates after efficiency */
    double lin_flop_s;  /* weight GEMMs */
    double attn_flop_s; /* attention matmuls */
    double mem_byte_s;  /* HBM */
    double link_byte_s; /* NVLink per direction */

    /* per GPU, summed over the layers a GPU meets in one pass of the whole pipeline */
    double lin_flops_per_token;    /* GEMM FLOPs per token through all layers (head excluded) */
    double head_flops_per_logit;   /* LM head FLOPs per token that needs logits */
    double dense_weight_bytes;     /* non-expert weights read once per step */
    double expert_weight_bytes;    /* all routed-expert weights (read in the touched fraction) */
    double expert_pick;            /* k / E: chance a token picks a given expert (0 = dense) */
    double act_bytes_per_token;    /* activation traffic per token */
    double prefill_flops_per_pair; /* attention FLOPs per (query, key) pair per layer */
    double decode_flops_per_pair;
    double kv_bytes_token_layer; /* KV bytes per token per layer on one GPU */
    double global_layers, window_layers, window_tokens, layers;

    /* communication per step */
    double ar_lat_s, a2a_lat_s, p2p_lat_s; /* fixed latency of one collective of each kind */
    double ar_per_token_s;                 /* one all-reduce: seconds per token of payload */
    double a2a_per_token_s;                /* one all-to-all (MoE dispatch or combine) */
    double p2p_per_token_s;                /* one pipeline send */
    double ar_per_step;                    /* all-reduces per step */
    double a2a_per_step;
    double p2p_per_step;
    double nvlink_bytes_per_token; /* bytes a GPU sends per token of the step */

    double weight_bytes_per_gpu;
    double kv_bytes_token_gpu; /* all global layers of the GPU's stage */
};

void st_shape_add_prefill(st_shape_t *s, double chunk, double ctx_before)
{
    if (chunk <= 0)
        return;
    s->prefill_tokens += chunk;
    s->prefill_attn_pairs += chunk * (ctx_before + (chunk + 1.0) / 2.0);
    s->prefill_seqs += 1.0;
}

void st_shape_add_decode(st_shape_t *s, double ctx)
{
    s->decode_seqs += 1.0;
    s->decode_ctx_tokens += ctx;
}

/* Efficiencies are shares of a peak: outside (0, 1] the roofline would beat the hardware. */
static int st_check_calib(const st_calib_t *c, char *err, size_t errlen)
{
    const double eff[3] = {c->compute_efficiency, c->memory_efficiency, c->comm_efficiency};
    static const char *const names[3] = {"compute_efficiency", "memory_efficiency", "comm_efficiency"};
    for (int i = 0; i < 3; i++) {
        if (!(eff[i] > 0 && eff[i] <= 1)) {
            snprintf(err, errlen, "calibration %s %g is not in (0, 1]", names[i], eff[i]);
            return -1;
        }
    }
    if (c->step_overhead_s < 0 || c->per_seq_overhead_s < 0 || c->collective_latency_s < 0 ||
        c->prefill_overhead_s < 0) {
        snprintf(err, errlen, "calibration overheads and latencies must be >= 0");
        return -1;
    }
    return 0;
}

st_model_t *st_model_create(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_calib_t *cal,
                            char *err, size_t errlen)
{
    assert(gpu && llm && dep && err);
    const llm_parallel_t *par = &dep->par;
    if (llm_check_parallel(llm, par, err, errlen))
        return NULL;
    unsigned gpus = par->tp * par->pp;
    if (gpu->nvlink_domain_gpus && gpus > gpu->nvlink_domain_gpus) {
        snprintf(err, errlen, "an instance of %u GPUs (tp %u x pp %u) exceeds the NVLink domain of %u GPUs of %s", gpus,
                 par->tp, par->pp, gpu->nvlink_domain_gpus, gpu->name);
        return NULL;
    }
    double peak_lin = hw_gpu_peak_flop_s(gpu, dep->compute_dtype);
    if (peak_lin <= 0) {
        snprintf(err, errlen, "%s has no %s tensor cores (compute_dtype)", gpu->name,
                 llm_dtype_name(dep->compute_dtype));
        return NULL;
    }
    if (dep->weight_dtype < dep->compute_dtype) {
        /* Weights narrower than the compute are dequantised on the fly (fine); wider weights than the
         * compute would need a conversion pass no engine does. */
        snprintf(err, errlen, "weights in %s cannot feed %s matmuls (weight_dtype must be as narrow as compute_dtype)",
                 llm_dtype_name(dep->weight_dtype), llm_dtype_name(dep->compute_dtype));
        return NULL;
    }
    if (!cal)
        cal = hw_gpu_calib(gpu, dep->compute_dtype);
    if (st_check_calib(cal, err, errlen))
        return NULL;

    st_model_t *m = calloc(1, sizeof *m);
    assert(m);
    m->dep = *dep;
    m->cal = *cal;
    m->gpu = *gpu;
    m->llm = *llm;
    m->gpus = gpus;
    llm_params(llm, &m->params);
    const llm_params_t *p = &m->params;

    double tp = par->tp, pp = par->pp, ep = par->ep;
    double wb = llm_dtype_bytes(dep->weight_dtype);
    bool fp8_attn = dep->kv_dtype != LLM_DT_BF16 && dep->compute_dtype != LLM_DT_BF16 && gpu->fp8_dense_flop_s > 0;
    m->lin_flop_s = peak_lin * cal->compute_efficiency;
    m->attn_flop_s = (fp8_attn ? gpu->fp8_dense_flop_s : gpu->bf16_dense_flop_s) * cal->compute_efficiency;
    m->mem_byte_s = gpu->hbm_bandwidth_byte_s * cal->memory_efficiency;
    m->link_byte_s = gpu->nvlink_bandwidth_byte_s * cal->comm_efficiency;

    double L = llm->layers, h = llm->hidden;
    double k = llm->experts_active, E = llm->experts;
    double per_token_params = L * p->attn_per_layer + p->dense_ffn_layers * p->dense_ffn_per_layer +
                              p->moe_layers * (p->router_per_layer + (k + llm->shared_experts) * p->expert);
    m->lin_flops_per_token = 2.0 * per_token_params / tp;
    m->head_flops_per_logit = 2.0 * p->lm_head / tp;
    double dense_params = L * p->attn_per_layer + p->dense_ffn_layers * p->dense_ffn_per_layer +
                          p->moe_layers * (p->router_per_layer + llm->shared_experts * p->expert) + p->lm_head;
    m->dense_weight_bytes = dense_params * wb / tp;
    m->expert_weight_bytes = p->moe_layers * E * p->expert * wb / tp;
    m->expert_pick = E > 0 ? k / E : 0.0;

    /* Activation traffic: residual stream and norms at full width on every GPU, the projections' inputs
     * and outputs split by TP; each tensor written once and read once. */
    double q_dim, kv_dim, o_dim;
    if (llm->attention == LLM_ATTN_MLA) {
        q_dim = (double)llm->heads * (llm->qk_nope_head_dim + llm->qk_rope_head_dim);
        kv_dim = (double)llm->kv_lora_rank + llm->qk_rope_head_dim;
        o_dim = (double)llm->heads * llm->v_head_dim;
    } else {
        q_dim = (double)llm->heads * llm->head_dim;
        kv_dim = 2.0 * llm->kv_heads * llm->head_dim;
        o_dim = q_dim;
    }
    double ffn_width = (llm->experts ? (k + llm->shared_experts) : 1.0) * llm->intermediate;
    double ffn_mats = llm->ungated_ffn ? 2.0 : 3.0;
    m->act_bytes_per_token = 2.0 * ST_ACT_BYTES * L * (4.0 * h + (q_dim + kv_dim + o_dim + ffn_mats * ffn_width) / tp);

    /* Attention FLOPs per pair per layer: QK^T and AV over the GPU's heads. MLA prefill runs with
     * decompressed keys and values; MLA decode absorbs the up-projections and attends over the latent. */
    double heads_gpu = llm->heads / tp;
    if (llm->attention == LLM_ATTN_MLA) {
        m->prefill_flops_per_pair =
            2.0 * heads_gpu * ((double)llm->qk_nope_head_dim + llm->qk_rope_head_dim + llm->v_head_dim);
        m->decode_flops_per_pair = 2.0 * heads_gpu * (2.0 * llm->kv_lora_rank + llm->qk_rope_head_dim);
    } else {
        m->prefill_flops_per_pair = 2.0 * heads_gpu * 2.0 * llm->head_dim;
        m->decode_flops_per_pair = m->prefill_flops_per_pair;
    }
    double kv_share = llm->attention == LLM_ATTN_MLA ? 1.0 : llm_kv_heads_per_gpu(llm, par->tp) / llm->kv_heads;
    m->kv_bytes_token_layer = llm_kv_bytes_per_token_layer(llm, dep->kv_dtype) * kv_share;
    m->layers = L;
    m->window_layers = llm->sliding_window_layers;
    m->global_layers = L - llm->sliding_window_layers;
    m->window_tokens = llm->sliding_window_tokens;

    /* Collectives. Ring all-reduce moves 2 (tp - 1) / tp of the payload per GPU. Every layer all-reduces
     * after attention and after its FFN; with expert parallelism a MoE layer dispatches and combines its
     * tokens' k expert copies with two all-to-alls instead (a GPU keeps 1/ep of them local). */
    double tok_bytes = h * ST_ACT_BYTES;
    m->ar_lat_s = 2.0 * (tp - 1.0) * cal->collective_latency_s;
    m->a2a_lat_s = (ep - 1.0) * cal->collective_latency_s;
    m->p2p_lat_s = cal->collective_latency_s;
    if (par->tp > 1) {
        double ring = 2.0 * (tp - 1.0) / tp;
        m->ar_per_token_s = ring * tok_bytes / m->link_byte_s;
        double moe_ar = par->ep > 1 ? 0.0 : p->moe_layers;
        m->ar_per_step = L + p->dense_ffn_layers + moe_ar;
        m->nvlink_bytes_per_token += m->ar_per_step * ring * tok_bytes;
    }
    if (par->ep > 1) {
        double a2a_bytes = k * tok_bytes * (ep - 1.0) / ep / tp;
        m->a2a_per_token_s = a2a_bytes / m->link_byte_s;
        m->a2a_per_step = 2.0 * p->moe_layers;
        m->nvlink_bytes_per_token += m->a2a_per_step * a2a_bytes;
    }
    if (par->pp > 1) {
        m->p2p_per_token_s = tok_bytes / m->link_byte_s;
        m->p2p_per_step = pp - 1.0;
        m->nvlink_bytes_per_token += (pp - 1.0) * tok_bytes / (tp * pp); /* each GPU sends its share */
    }

    m->weight_bytes_per_gpu = p->total * wb / (tp * pp);
    m->kv_bytes_token_gpu = m->kv_bytes_token_layer * m->global_layers / pp;
    if (m->weight_bytes_per_gpu >= gpu->hbm_capacity_bytes) {
        snprintf(err, errlen,
                 "%s weights need %.1f GB per GPU in %s at tp %u x pp %u, more than the %.1f GB of HBM of %s",
                 llm->name, m->weight_bytes_per_gpu / 1e9, llm_dtype_name(dep->weight_dtype), par->tp, par->pp,
                 gpu->hbm_capacity_bytes / 1e9, gpu->name);
        free(m);
        return NULL;
    }
    return m;
}

void st_model_destroy(st_model_t *m)
{
    free(m);
}

/* The roofline of one operation class: the larger of its compute and memory times, credited to the side
 * that bounds it. */
static double st_roof(double flops, double flop_s, double bytes, double byte_s, double *cb_s, double *mb_s)
{
    double tc = flops / flop_s, tm = bytes / byte_s;
    if (tc >= tm) {
        *cb_s += tc;
        return tc;
    }
    *mb_s += tm;
    return tm;
}

/* Running sums of one iteration: roofline time, its compute- and memory-bound parts, FLOPs and bytes. */
typedef struct st_acc {
    double t, cb, mb, flops, bytes;
} st_acc_t;

/* Weight GEMMs for every token of the step; the LM head only for tokens that need logits. */
static void st_gemms(const st_model_t *m, const st_shape_t *s, double T, st_acc_t *a)
{
    double logits = s->decode_seqs + s->prefill_seqs;
    double touched = m->expert_pick > 0 ? 1.0 - pow(1.0 - m->expert_pick, T) : 0.0;
    double gemm_flops = T * m->lin_flops_per_token + logits * m->head_flops_per_logit;
    double gemm_bytes = m->dense_weight_bytes + touched * m->expert_weight_bytes + T * m->act_bytes_per_token;
    a->t = st_roof(gemm_flops, m->lin_flop_s, gemm_bytes, m->mem_byte_s, &a->cb, &a->mb);
    a->flops = gemm_flops;
    a->bytes = gemm_bytes;
}

/* Prefill attention: causal pairs; KV of the context before each chunk read once, new KV written. */
static void st_prefill_attention(const st_model_t *m, const st_shape_t *s, st_acc_t *a)
{
    double P = s->prefill_tokens, pairs = s->prefill_attn_pairs;
    double chunk = P / (s->prefill_seqs > 0 ? s->prefill_seqs : 1.0);
    double ctx_before = (pairs - P * (chunk + 1.0) / 2.0) / chunk;
    if (ctx_before < 0)
        ctx_before = 0;
    double read = ctx_before + P, pairs_w = pairs, read_w = read;
    if (m->window_layers > 0) {
        pairs_w = fmin(pairs, P * m->window_tokens);
        read_w = fmin(read, P + s->prefill_seqs * m->window_tokens);
    }
    double f = m->prefill_flops_per_pair * (m->global_layers * pairs + m->window_layers * pairs_w);
    double b = m->kv_bytes_token_layer * (m->global_layers * read + m->window_layers * read_w + m->layers * P);
    a->t += st_roof(f, m->attn_flop_s, b, m->mem_byte_s, &a->cb, &a->mb);
    a->flops += f;
    a->bytes += b;
}

/* Decode attention: each request reads its whole KV (windowed layers at most the window). */
/* Inlined into both callers: it is most of a fast-forwarded decode step's cost. The arithmetic is the same
 * either way (check_models: decode_step_matches_st_step_bit_for_bit). */
#define ST_HOT static inline __attribute__((always_inline))

ST_HOT void st_decode_attention(const st_model_t *m, double seqs, double C, st_acc_t *a)
{
    double Cw = C;
    if (m->window_layers > 0)
        Cw = fmin(C, seqs * m->window_tokens);
    double pairs = m->global_layers * C + m->window_layers * Cw;
    double f = m->decode_flops_per_pair * pairs;
    double b = m->kv_bytes_token_layer * (pairs + m->layers * seqs);
    a->t += st_roof(f, m->attn_flop_s, b, m->mem_byte_s, &a->cb, &a->mb);
    a->flops += f;
    a->bytes += b;
}

/* Collectives, not overlapped with compute. */
static double st_comm(const st_model_t *m, double T)
{
    return m->ar_per_step * (T * m->ar_per_token_s + m->ar_lat_s) +
           m->a2a_per_step * (T * m->a2a_per_token_s + m->a2a_lat_s) +
           m->p2p_per_step * (T * m->p2p_per_token_s + m->p2p_lat_s);
}

static double st_overhead(const st_model_t *m, const st_shape_t *s)
{
    return m->cal.step_overhead_s + m->cal.per_seq_overhead_s * (s->decode_seqs + s->prefill_seqs) +
           (s->prefill_tokens > 0 ? m->cal.prefill_overhead_s : 0.0);
}

ST_HOT void st_finish(const st_model_t *m, const st_acc_t *a, double T, double comm, double over, st_time_t *out)
{
    out->compute_s = a->cb;
    out->memory_s = a->mb;
    out->comm_s = comm;
    out->overhead_s = over;
    out->time_s = a->t + comm + over;
    out->flops = a->flops * m->dep.par.tp;
    out->hbm_bytes = a->bytes * m->dep.par.tp;
    out->nvlink_bytes = T * m->nvlink_bytes_per_token;
    out->compute_bound_fraction = out->time_s > 0 ? a->cb / out->time_s : 0.0;
}

void st_step(const st_model_t *m, const st_shape_t *s, st_time_t *out)
{
    memset(out, 0, sizeof *out);
    double T = s->prefill_tokens + s->decode_seqs;
    if (T <= 0)
        return;
    st_acc_t a = {0, 0, 0, 0, 0};
    st_gemms(m, s, T, &a);
    if (s->prefill_tokens > 0)
        st_prefill_attention(m, s, &a);
    if (s->decode_seqs > 0)
        st_decode_attention(m, s->decode_seqs, s->decode_ctx_tokens, &a);
    st_finish(m, &a, T, st_comm(m, T), st_overhead(m, s), out);
}

void st_decode_base(const st_model_t *m, double decode_seqs, st_decode_base_t *b)
{
    memset(b, 0, sizeof *b);
    b->seqs = decode_seqs;
    if (decode_seqs <= 0)
        return;
    st_shape_t s = {.decode_seqs = decode_seqs};
    st_acc_t a = {0, 0, 0, 0, 0};
    st_gemms(m, &s, decode_seqs, &a);
    b->t = a.t;
    b->cb = a.cb;
    b->mb = a.mb;
    b->flops = a.flops;
    b->bytes = a.bytes;
    b->comm = st_comm(m, decode_seqs);
    b->over = st_overhead(m, &s);
}

void st_decode_step(const st_model_t *m, const st_decode_base_t *b, double ctx_tokens, st_time_t *out)
{
    memset(out, 0, sizeof *out);
    if (b->seqs <= 0)
        return;
    st_acc_t a = {b->t, b->cb, b->mb, b->flops, b->bytes};
    st_decode_attention(m, b->seqs, ctx_tokens, &a);
    st_finish(m, &a, b->seqs, b->comm, b->over, out);
}

double st_prefill_time_s(const st_model_t *m, double tokens, double ctx_before)
{
    st_shape_t s = {0};
    st_shape_add_prefill(&s, tokens, ctx_before);
    st_time_t t;
    st_step(m, &s, &t);
    return t.time_s;
}

double st_weight_bytes_per_gpu(const st_model_t *m)
{
    return m->weight_bytes_per_gpu;
}

double st_kv_budget_bytes_per_gpu(const st_model_t *m, double activation_reserve_fraction)
{
    double left = m->gpu.hbm_capacity_bytes * (1.0 - activation_reserve_fraction) - m->weight_bytes_per_gpu;
    return left > 0 ? left : 0.0;
}

double st_kv_bytes_per_token_per_gpu(const st_model_t *m)
{
    return m->kv_bytes_token_gpu;
}

double st_kv_capacity_tokens(const st_model_t *m, double activation_reserve_fraction)
{
    return st_kv_budget_bytes_per_gpu(m, activation_reserve_fraction) / m->kv_bytes_token_gpu;
}

unsigned st_gpus(const st_model_t *m)
{
    return m->gpus;
}

const st_calib_t *st_calib(const st_model_t *m)
{
    return &m->cal;
}

const st_deploy_t *st_deploy(const st_model_t *m)
{
    return &m->dep;
}

int st_steady_state(const st_model_t *m, double isl, double osl, double max_batch, double activation_reserve_fraction,
                    st_steady_t *out)
{
    memset(out, 0, sizeof *out);
    assert(isl >= 1 && osl >= 2);
    /* Paged KV: a request holds its context as it grows, isl + osl / 2 tokens on average. */
    double fit = floor(st_kv_capacity_tokens(m, activation_reserve_fraction) / (isl + osl / 2.0));
    double b = max_batch > 0 ? fmin(fit, max_batch) : fit;
    if (b < 1)
        return -1;
    /* A request decodes for osl - 1 steps (its first token comes from the prefill), so b / (osl - 1)
     * requests finish and as many prompts are prefilled per step. */
    double rate = b / (osl - 1.0);
    st_shape_t s = {0};
    s.decode_seqs = b;
    s.decode_ctx_tokens = b * (isl + osl / 2.0);
    s.prefill_tokens = rate * isl;
    s.prefill_seqs = rate;
    s.prefill_attn_pairs = rate * isl * (isl + 1.0) / 2.0;
    st_time_t t;
    st_step(m, &s, &t);
    out->batch = b;
    out->step_s = t.time_s;
    out->output_tok_s = rate * osl / t.time_s;
    out->compute_bound_fraction = t.compute_bound_fraction;
    out->hbm_bytes_per_s = t.hbm_bytes / t.time_s;
    out->nvlink_bytes_per_s = t.nvlink_bytes / t.time_s;
    out->step = t;
    return 0;
}

double st_prefill_batch_time_s(const st_model_t *m, double batch, double isl)
{
    st_shape_t s = {0};
    s.prefill_tokens = batch * isl;
    s.prefill_seqs = batch;
    s.prefill_attn_pairs = batch * isl * (isl + 1.0) / 2.0;
    st_time_t t;
    st_step(m, &s, &t);
    return t.time_s;
}

double st_static_batch_time_s(const st_model_t *m, double batch, double isl, double osl)
{
    double total = st_prefill_batch_time_s(m, batch, isl);
    st_time_t t;
    for (double i = 1; i < osl; i++) {
        st_shape_t d = {0};
        d.decode_seqs = batch;
        d.decode_ctx_tokens = batch * (isl + i);
        st_step(m, &d, &t);
        total += t.time_s;
    }
    return total;
}
