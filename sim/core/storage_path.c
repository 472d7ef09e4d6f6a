/* Per-I/O storage path model; see storage_path.h. Units: bytes, bytes/s, seconds, joules. */
#include "sim/core/storage_path.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "sim/base/mix.h"

static bool sp_io_modelled(const hw_icms_t *ic)
{
    return ic->io_bytes > 0;
}

double sp_icms_ios(const hw_icms_t *ic, double bytes)
{
    if (!sp_io_modelled(ic) || bytes <= 0)
        return 1;
    return ceil(bytes / ic->io_bytes - 1e-9);
}

double sp_icms_dpu_byte_s(const hw_icms_t *ic)
{
    double per_dpu = INFINITY;
    if (!ic->crypto_off)
        per_dpu = fmin(per_dpu, ic->dpu_crypto_byte_s);
    if (!ic->crc_off && ic->dpu_crc_byte_s > 0)
        per_dpu = fmin(per_dpu, ic->dpu_crc_byte_s);
    if (sp_io_modelled(ic) && ic->dpu_arm_per_io_s > 0) {
        double cores = ic->dpu_arm_cores ? ic->dpu_arm_cores : 1;
        per_dpu = fmin(per_dpu, cores * ic->io_bytes / ic->dpu_arm_per_io_s);
    }
    return ic->dpus_per_enclosure * per_dpu;
}

double sp_icms_latency_s(const hw_icms_t *ic)
{
    return ic->dpu_latency_s + ic->ssd_latency_s + (sp_io_modelled(ic) ? ic->dpu_arm_per_io_s : 0);
}

double sp_icms_ssd_byte_s(const hw_icms_t *ic, bool write)
{
    double per_ssd = write ? ic->ssd_write_byte_s : ic->ssd_read_byte_s;
    if (sp_io_modelled(ic)) {
        double iops = write ? ic->ssd_write_iops : ic->ssd_read_iops;
        if (iops > 0)
            per_ssd = fmin(per_ssd, iops * ic->io_bytes);
        double rtt = sp_icms_latency_s(ic);
        /* Little's law: queue_depth commands in flight, each held for one round trip. */
        if (ic->queue_depth > 0 && rtt > 0)
            per_ssd = fmin(per_ssd, ic->queue_depth * ic->io_bytes / rtt);
    }
    return ic->ssds_per_enclosure * per_ssd;
}

double sp_icms_engine_j_per_byte(const hw_icms_t *ic)
{
    return (ic->crypto_off ? 0 : ic->crypto_j_per_byte) + (ic->crc_off ? 0 : ic->crc_j_per_byte);
}

double sp_g4_latency_s(const hw_g4_t *g)
{
    return g->protocol_latency_s + g->per_io_cpu_s + g->metadata_ops_per_object * g->metadata_op_s;
}

uint32_t sp_stripe_enclosure(uint64_t block, uint32_t n_enc, uint32_t width)
{
    assert(n_enc > 0);
    if (width <= 1)
        return (uint32_t)(kvt_mix64(block) % n_enc);
    uint32_t w = width < n_enc ? width : n_enc;
    uint64_t group = block / w;
    return (uint32_t)((kvt_mix64(group) % n_enc + block % w) % n_enc);
}

uint32_t sp_stripe_split(uint64_t first_block, uint64_t blocks, uint32_t n_enc, uint32_t width, uint64_t *per_enc)
{
    memset(per_enc, 0, n_enc * sizeof *per_enc);
    if (blocks == 0)
        return 0;
    if (width <= 1) {
        per_enc[sp_stripe_enclosure(first_block, n_enc, 1)] = blocks;
        return 1;
    }
    uint32_t w = width < n_enc ? width : n_enc;
    uint64_t end = first_block + blocks; /* exclusive */
    for (uint64_t g = first_block / w; g * w < end; g++) {
        uint64_t lo = g * w > first_block ? g * w : first_block;
        uint64_t hi = g * w + w < end ? g * w + w : end;
        uint32_t base = (uint32_t)(kvt_mix64(g) % n_enc);
        for (uint64_t b = lo; b < hi; b++)
            per_enc[(base + b % w) % n_enc]++;
    }
    uint32_t touched = 0;
    for (uint32_t e = 0; e < n_enc; e++)
        touched += per_enc[e] > 0;
    return touched;
}
