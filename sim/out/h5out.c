/* HDF5 output; see h5out.h. Requests go through an HDF5 packet table in batches of 1024 rows, so memory
 * stays flat however long the run. The compound types come from the column tables of metrics.h
 * (METRICS_REQUEST_COLUMNS, METRICS_TS_COLUMNS) and kv.h (KV_TIER_STATS), so a column is spelled once; a
 * per-tier array becomes one scalar column per tier (NAME_g1 ... NAME_g4, by the tier table's keys), so every
 * table loads as a flat data frame (docs/data.md). Strings are UTF-8.
 *
 * Byte-identical files: object time tracking is off (HDF5 would stamp every dataset with the wall clock)
 * and rows are copied whole from zeroed structs, so no stray padding byte reaches the file.
 * A failed write (a full disk) must not crash: HDF5 1.10 leaves a file whose H5Fclose failed half closed,
 * and its exit handler then crashes on it. So the library's exit handler is never installed (H5dont_atexit);
 * after a failure the file is left to the process's end, and the temporary results folder is removed. */
#include "sim/out/h5out.h"

#include <assert.h>
#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/version.h"

#define H5OUT_BATCH 1024

/* HDF5 types of the column types of metrics.h. */
#define H5OUT_TYPE_U32 H5T_NATIVE_UINT32
#define H5OUT_TYPE_I32 H5T_NATIVE_INT32
#define H5OUT_TYPE_U64 H5T_NATIVE_UINT64
#define H5OUT_TYPE_F64 H5T_NATIVE_DOUBLE

struct h5out {
    hid_t file;
    hid_t req_type;
    hid_t req_table;
    req_record_t batch[H5OUT_BATCH];
    size_t nbatch;
    bool failed;
    int write_errno; /* errno of the first failed write, 0 if unknown */
    char path[1024];
};

static void h5out_note_failure(h5out_t *h)
{
    if (!h->failed)
        h->write_errno = errno;
    h->failed = true;
}

/* Dataset creation properties shared by every dataset: no timestamps. */
static hid_t h5_dcpl(void)
{
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(plist, 0);
    return plist;
}

/* Adds a member of n values of base: a scalar when n is 1, else one scalar column per tier (NAME_KEY with the
 * tier table's config key: hit_tokens_g1 ... hit_tokens_g4), so that no column is an array. */
static void h5_member(hid_t t, const char *name, size_t offset, hid_t base, size_t n)
{
    if (n == 1) {
        H5Tinsert(t, name, offset, base);
        return;
    }
    assert(n == KV_NTIERS);
    size_t sz = H5Tget_size(base);
    for (size_t k = 0; k < n; k++) {
        char col[64];
        snprintf(col, sizeof col, "%s_%s", name, kv_tiers[k].key);
        H5Tinsert(t, col, offset + k * sz, base);
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
static const char h5_outcome_codes[] =
    "0 = completed, 1 = rejected (does not fit even in an empty G1), 2 = unfinished when the run ended";

static hid_t h5_request_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(req_record_t));
#define H5OUT_REQ_MEMBER(name, type, shape)                                                                            \
    h5_member(t, #name, HOFFSET(req_record_t, name), H5OUT_TYPE_##type, MT_N_##shape);
    METRICS_REQUEST_COLUMNS(H5OUT_REQ_MEMBER)
#undef H5OUT_REQ_MEMBER
    return t;
}

h5out_t *h5out_open(const char *path, bool per_request, char *err, size_t errlen)
{
    H5dont_atexit(); /* fails harmlessly once the library is initialised */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5out_t *h = kvt_calloc(1, sizeof *h);
    snprintf(h->path, sizeof h->path, "%s", path);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0); /* the root group */
    errno = 0;
    h->file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (h->file < 0) {
        snprintf(err, errlen, "%s: cannot create the HDF5 file (%s)", path, errno ? strerror(errno) : "HDF5 error");
        free(h);
        return NULL;
    }
    h->req_table = -1;
    if (per_request) {
        h->req_type = h5_request_type();
        hid_t plist = h5_dcpl();
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
    errno = 0;
    if (h->nbatch && h->req_table >= 0 && H5PTappend(h->req_table, h->nbatch, h->batch) < 0)
        h5out_note_failure(h);
    h->nbatch = 0;
}

void h5out_request(void *ctx, const req_record_t *row)
{
    h5out_t *h = ctx;
    if (h->req_table < 0)
        return;
    memcpy(&h->batch[h->nbatch++], row, sizeof *row); /* padding bytes included: the row was zeroed */
    if (h->nbatch == H5OUT_BATCH)
        h5out_flush(h);
}

/* Writes n rows of compound type t as the dataset name (chunked, compressed); 0, or -1 with the failure
 * noted. */
static int h5_write_table(h5out_t *h, const char *name, hid_t t, hsize_t n, const void *rows)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = h5_dcpl();
    errno = 0;
    hid_t ds = H5Dcreate2(h->file, name, t, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    int rc = ds >= 0 && (n == 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0) ? 0 : -1;
    if (rc)
        h5out_note_failure(h);
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(space);
    return rc;
}

static int h5out_timeseries(h5out_t *h, const metrics_t *m)
{
    double dt;
    uint32_t n = metrics_ts_rows(m, &dt);
    ts_row_t *rows = kvt_calloc(n ? n : 1, sizeof *rows);
    for (uint32_t i = 0; i < n; i++)
        metrics_ts_row(m, i, &rows[i]);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ts_row_t));
#define H5OUT_TS_MEMBER(name, shape) h5_member(t, #name, HOFFSET(ts_row_t, name), H5T_NATIVE_DOUBLE, MT_N_##shape);
    METRICS_TS_COLUMNS(H5OUT_TS_MEMBER)
#undef H5OUT_TS_MEMBER
    int rc = h5_write_table(h, "timeseries", t, n, rows);
    if (rc == 0)
        H5LTset_attribute_double(h->file, "timeseries", "interval_s", &dt, 1);
    H5Tclose(t);
    free(rows);
    return rc;
}

typedef struct tier_row {
    char name[8];
    int32_t enabled;
    kv_tier_stats_t s;
} tier_row_t;

static int h5out_tiers(h5out_t *h, const h5out_run_t *run)
{
    tier_row_t rows[KV_NTIERS];
    for (int k = 0; k < KV_NTIERS; k++) {
        memset(&rows[k], 0, sizeof rows[k]);
        snprintf(rows[k].name, sizeof rows[k].name, "%s", kv_tier_name(k));
        rows[k].enabled = run->sc->kv.tier[k].enabled;
        kv_tier_stats(run->kv, k, &rows[k].s);
    }
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, sizeof rows[0].name);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(tier_row_t));
    H5Tinsert(t, "tier", HOFFSET(tier_row_t, name), str);
    H5Tinsert(t, "enabled", HOFFSET(tier_row_t, enabled), H5T_NATIVE_INT32);
#define H5OUT_STAT_MEMBER(name)                                                                                        \
    H5Tinsert(t, #name, HOFFSET(tier_row_t, s) + offsetof(kv_tier_stats_t, name), H5T_NATIVE_UINT64);
    KV_TIER_STATS(H5OUT_STAT_MEMBER)
#undef H5OUT_STAT_MEMBER
    int rc = h5_write_table(h, "tiers", t, KV_NTIERS, rows);
    if (rc == 0)
        H5LTset_attribute_double(h->file, "tiers", "block_bytes", &run->block_bytes, 1);
    H5Tclose(t);
    H5Tclose(str);
    return rc;
}

/* Per-instance utilisation over the measured window (metrics_instance). */
static int h5out_instances(h5out_t *h, const metrics_t *m)
{
    uint32_t n = metrics_instances(m);
    inst_row_t *rows = kvt_calloc(n ? n : 1, sizeof *rows);
    for (uint32_t i = 0; i < n; i++)
        metrics_instance(m, i, &rows[i]);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(inst_row_t));
    H5Tinsert(t, "instance", HOFFSET(inst_row_t, instance), H5T_NATIVE_UINT32);
    H5Tinsert(t, "busy_fraction", HOFFSET(inst_row_t, busy), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "stall_fraction", HOFFSET(inst_row_t, stall), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "idle_fraction", HOFFSET(inst_row_t, idle), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "compute_utilisation", HOFFSET(inst_row_t, compute_utilisation), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "hbm_utilisation", HOFFSET(inst_row_t, hbm_utilisation), H5T_NATIVE_DOUBLE);
    int rc = h5_write_table(h, "instances", t, n, rows);
    H5Tclose(t);
    free(rows);
    return rc;
}

int h5out_finish(h5out_t *h, const h5out_run_t *run, const char *scenario_json, bool timeseries, char *err,
                 size_t errlen)
{
    h5out_flush(h);
    int rc = h->failed ? -1 : 0;
    if (timeseries && h5out_timeseries(h, run->m))
        rc = -1;
    if (h5out_tiers(h, run))
        rc = -1;
    if (h5out_instances(h, run->m))
        rc = -1;
    unsigned long seed = (unsigned long)run->sc->seed;
    rc |= h5_attr_utf8(h->file, "scenario", scenario_json);
    rc |= H5LTset_attribute_ulong(h->file, "/", "seed", &seed, 1) < 0 ? -1 : 0;
    rc |= h5_attr_utf8(h->file, "kvtwin_version", KVTWIN_VERSION);
    rc |= h5_attr_utf8(h->file, "simgrid_version", kvt_simgrid_version());
    if (h->req_table >= 0) {
        hid_t ds = H5Dopen2(h->file, "requests", H5P_DEFAULT);
        rc |= ds < 0 || h5_attr_utf8(ds, "outcome_codes", h5_outcome_codes) ? -1 : 0;
        if (ds >= 0)
            H5Dclose(ds);
        errno = 0;
        if (H5PTclose(h->req_table) < 0) {
            h5out_note_failure(h);
            rc = -1;
        }
        H5Tclose(h->req_type);
    }
    errno = 0;
    if (H5Fclose(h->file) < 0) {
        h5out_note_failure(h);
        rc = -1;
    }
    if (rc)
        snprintf(err, errlen, "%s: cannot write the results (%s)", h->path,
                 h->write_errno ? strerror(h->write_errno) : "HDF5 write error");
    free(h);
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
