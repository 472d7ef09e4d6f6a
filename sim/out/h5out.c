/* HDF5 output; see h5out.h. Requests go through an HDF5 packet table in batches of 1024 rows, so memory
 * stays flat however long the run. Compound types mirror req_record_t and ts_bucket_t field by field, except
 * that a per-tier array becomes one scalar column per tier (NAME_g1, NAME_g2, NAME_g3, NAME_g35, NAME_g4), so
 * every table loads as a flat data frame (docs/data.md). Strings are UTF-8. */
#include "sim/out/h5out.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/version.h"

#define H5OUT_BATCH 1024

struct h5out {
    hid_t file;
    hid_t req_type;
    hid_t req_table;
    req_record_t batch[H5OUT_BATCH];
    size_t nbatch;
    bool failed;
};

/* Column suffixes of the tiers: G1 -> g1, G3.5 -> g35. */
static const char *const h5_tier_suffix[KV_NTIERS] = {"g1", "g2", "g3", "g35", "g4"};

/* One scalar member per tier for an array field of KV_NTIERS elements of type base at offset off. */
static void h5_insert_tiers(hid_t t, const char *name, size_t off, hid_t base)
{
    size_t sz = H5Tget_size(base);
    for (int k = 0; k < KV_NTIERS; k++) {
        char col[64];
        snprintf(col, sizeof col, "%s_%s", name, h5_tier_suffix[k]);
        H5Tinsert(t, col, off + (size_t)k * sz, base);
    }
}

/* A scalar UTF-8 string attribute (H5LT's helper writes ASCII). */
static int h5_attr_utf8(hid_t obj, const char *name, const char *value)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, strlen(value) + 1);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, str, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, str, value) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    H5Tclose(str);
    return rc;
}

/* What the requests table's outcome column holds (req_outcome_t); also in docs/data.md. */
static const char h5_outcome_codes[] = "0 = completed, 1 = rejected (does not fit even in an empty G1), 2 = unfinished when the run ended";

static hid_t h5_request_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(req_record_t));
#define F(name, type) H5Tinsert(t, #name, HOFFSET(req_record_t, name), type)
    F(id, H5T_NATIVE_UINT64);
    F(session, H5T_NATIVE_UINT64);
    F(turn, H5T_NATIVE_UINT32);
    F(instance, H5T_NATIVE_UINT32);
    F(outcome, H5T_NATIVE_INT32);
    F(input_tokens, H5T_NATIVE_UINT32);
    F(output_tokens, H5T_NATIVE_UINT32);
    F(found_tokens, H5T_NATIVE_UINT32);
    F(reused_tokens, H5T_NATIVE_UINT32);
    F(computed_tokens, H5T_NATIVE_UINT32);
    h5_insert_tiers(t, "hit_tokens", HOFFSET(req_record_t, hit_tokens), H5T_NATIVE_UINT32);
    F(arrival_s, H5T_NATIVE_DOUBLE);
    F(admit_s, H5T_NATIVE_DOUBLE);
    F(ready_s, H5T_NATIVE_DOUBLE);
    F(first_token_s, H5T_NATIVE_DOUBLE);
    F(done_s, H5T_NATIVE_DOUBLE);
    F(loaded_bytes, H5T_NATIVE_DOUBLE);
    F(ttft_s, H5T_NATIVE_DOUBLE);
    F(tpot_s, H5T_NATIVE_DOUBLE);
    F(e2e_s, H5T_NATIVE_DOUBLE);
#undef F
    return t;
}

h5out_t *h5out_open(const char *path, bool per_request, char *err, size_t errlen)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5out_t *h = calloc(1, sizeof *h);
    h->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (h->file < 0) {
        snprintf(err, errlen, "%s: cannot create the HDF5 file", path);
        free(h);
        return NULL;
    }
    h->req_table = -1;
    if (per_request) {
        h->req_type = h5_request_type();
        hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_deflate(plist, 1); /* level 1: most of the size gain for a fraction of the time */
        h->req_table = H5PTcreate(h->file, "requests", h->req_type, H5OUT_BATCH, plist);
        H5Pclose(plist);
        if (h->req_table < 0) {
            snprintf(err, errlen, "%s: cannot create the requests table", path);
            H5Tclose(h->req_type);
            H5Fclose(h->file);
            free(h);
            return NULL;
        }
    }
    return h;
}

static void h5out_flush(h5out_t *h)
{
    if (h->nbatch && h->req_table >= 0 && H5PTappend(h->req_table, h->nbatch, h->batch) < 0)
        h->failed = true;
    h->nbatch = 0;
}

void h5out_request(void *ctx, const req_record_t *row)
{
    h5out_t *h = ctx;
    if (h->req_table < 0)
        return;
    h->batch[h->nbatch++] = *row;
    if (h->nbatch == H5OUT_BATCH)
        h5out_flush(h);
}

/* A row of the time series: the bucket plus its time and derived rates. */
typedef struct ts_row {
    double t_s;
    double arrivals, completions, output_tokens, input_tokens;
    double output_tokens_per_s;
    double gpu_busy_fraction, gpu_stall_fraction;
    double power_it_w;
    double load_bytes[KV_NTIERS];
    double writeback_bytes;
    double prefetch_bytes;
    double running, waiting, loading;
    double used_blocks[KV_NTIERS];
} ts_row_t;

static int h5out_timeseries(h5out_t *h, const pod_t *p)
{
    uint32_t n;
    double dt;
    const ts_bucket_t *b = metrics_buckets(p->m, &n, &dt);
    ts_row_t *rows = calloc(n ? n : 1, sizeof *rows);
    double inst = p->pf.n_inst, gpus = p->pf.n_inst * (double)p->pf.inst_gpus;
    double static_w = metrics_static_w(p->m);
    for (uint32_t i = 0; i < n; i++) {
        ts_row_t *r = &rows[i];
        r->t_s = (i + 1) * dt;
        r->arrivals = b[i].arrivals;
        r->completions = b[i].completions;
        r->output_tokens = b[i].output_tokens;
        r->input_tokens = b[i].input_tokens;
        r->output_tokens_per_s = b[i].output_tokens / dt;
        r->gpu_busy_fraction = b[i].gpu_busy_s / (inst * dt);
        r->gpu_stall_fraction = b[i].gpu_stall_s / (inst * dt);
        double idle_s = inst * dt - b[i].gpu_busy_s;
        r->power_it_w = (b[i].gpu_busy_j + p->gpu_idle_w * (gpus / inst) * idle_s + b[i].transfer_j) / dt + static_w;
        memcpy(r->load_bytes, b[i].load_bytes, sizeof r->load_bytes);
        r->writeback_bytes = b[i].writeback_bytes;
        r->prefetch_bytes = b[i].prefetch_bytes;
        r->running = b[i].running;
        r->waiting = b[i].waiting;
        r->loading = b[i].loading;
        memcpy(r->used_blocks, b[i].used_blocks, sizeof r->used_blocks);
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ts_row_t));
#define F(name, type) H5Tinsert(t, #name, HOFFSET(ts_row_t, name), type)
    F(t_s, H5T_NATIVE_DOUBLE);
    F(arrivals, H5T_NATIVE_DOUBLE);
    F(completions, H5T_NATIVE_DOUBLE);
    F(output_tokens, H5T_NATIVE_DOUBLE);
    F(input_tokens, H5T_NATIVE_DOUBLE);
    F(output_tokens_per_s, H5T_NATIVE_DOUBLE);
    F(gpu_busy_fraction, H5T_NATIVE_DOUBLE);
    F(gpu_stall_fraction, H5T_NATIVE_DOUBLE);
    F(power_it_w, H5T_NATIVE_DOUBLE);
    h5_insert_tiers(t, "load_bytes", HOFFSET(ts_row_t, load_bytes), H5T_NATIVE_DOUBLE);
    F(writeback_bytes, H5T_NATIVE_DOUBLE);
    F(prefetch_bytes, H5T_NATIVE_DOUBLE);
    F(running, H5T_NATIVE_DOUBLE);
    F(waiting, H5T_NATIVE_DOUBLE);
    F(loading, H5T_NATIVE_DOUBLE);
    h5_insert_tiers(t, "used_blocks", HOFFSET(ts_row_t, used_blocks), H5T_NATIVE_DOUBLE);
#undef F
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(h->file, "timeseries", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = ds >= 0 && (n == 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0) ? 0 : -1;
    if (ds >= 0) {
        H5LTset_attribute_double(h->file, "timeseries", "interval_s", &dt, 1);
        H5Dclose(ds);
    }
    H5Sclose(space);
    H5Tclose(t);
    free(rows);
    return rc;
}

typedef struct tier_row {
    char name[8];
    int32_t enabled;
    kv_tier_stats_t s;
} tier_row_t;

static int h5out_tiers(h5out_t *h, const pod_t *p)
{
    tier_row_t rows[KV_NTIERS];
    const sc_kv_tier_t *cfg[KV_NTIERS] = {&p->sc->kv.g1, &p->sc->kv.g2, &p->sc->kv.g3, &p->sc->kv.g35, &p->sc->kv.g4};
    for (int k = 0; k < KV_NTIERS; k++) {
        memset(&rows[k], 0, sizeof rows[k]);
        snprintf(rows[k].name, sizeof rows[k].name, "%s", kv_tier_name(k));
        rows[k].enabled = cfg[k]->enabled;
        kv_tier_stats(p->kv, k, &rows[k].s);
    }
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, sizeof rows[0].name);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(tier_row_t));
    H5Tinsert(t, "tier", HOFFSET(tier_row_t, name), str);
    H5Tinsert(t, "enabled", HOFFSET(tier_row_t, enabled), H5T_NATIVE_INT32);
#define F(name) H5Tinsert(t, #name, HOFFSET(tier_row_t, s) + offsetof(kv_tier_stats_t, name), H5T_NATIVE_UINT64)
    F(capacity_blocks);
    F(used_blocks);
    F(pinned_blocks);
    F(hit_blocks);
    F(inserted_blocks);
    F(evicted_blocks);
    F(demoted_in_blocks);
    F(promoted_out_blocks);
#undef F
    hsize_t dims[1] = {KV_NTIERS};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(h->file, "tiers", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = ds >= 0 && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0 ? 0 : -1;
    if (ds >= 0) {
        H5LTset_attribute_double(h->file, "tiers", "block_bytes", &p->block_bytes, 1);
        H5Dclose(ds);
    }
    H5Sclose(space);
    H5Tclose(t);
    H5Tclose(str);
    return rc;
}

int h5out_finish(h5out_t *h, const pod_t *p, const char *scenario_json, bool timeseries, char *err,
                 size_t errlen)
{
    h5out_flush(h);
    int rc = h->failed ? -1 : 0;
    if (timeseries && h5out_timeseries(h, p))
        rc = -1;
    if (h5out_tiers(h, p))
        rc = -1;
    unsigned long seed = (unsigned long)p->sc->seed;
    rc |= h5_attr_utf8(h->file, "scenario", scenario_json);
    rc |= H5LTset_attribute_ulong(h->file, "/", "seed", &seed, 1) < 0 ? -1 : 0;
    rc |= h5_attr_utf8(h->file, "kvtwin_version", KVTWIN_VERSION);
    rc |= h5_attr_utf8(h->file, "simgrid_version", kvt_simgrid_version());
    if (h->req_table >= 0) {
        hid_t ds = H5Dopen2(h->file, "requests", H5P_DEFAULT);
        rc |= ds < 0 || h5_attr_utf8(ds, "outcome_codes", h5_outcome_codes) ? -1 : 0;
        if (ds >= 0)
            H5Dclose(ds);
        H5PTclose(h->req_table);
        H5Tclose(h->req_type);
    }
    if (H5Fclose(h->file) < 0)
        rc = -1;
    free(h);
    if (rc)
        snprintf(err, errlen, "run.h5: cannot write the results");
    return rc;
}

void h5out_abort(h5out_t *h)
{
    if (!h)
        return;
    if (h->req_table >= 0) {
        H5PTclose(h->req_table);
        H5Tclose(h->req_type);
    }
    H5Fclose(h->file);
    free(h);
}
