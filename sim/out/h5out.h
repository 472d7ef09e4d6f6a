/* run.h5: the per-request table (streamed in batches while the run goes), the time series, per-tier
 * counters, and attributes holding the resolved scenario, the seed, the kvtwin and SimGrid versions. */
#ifndef KVTWIN_H5OUT_H
#define KVTWIN_H5OUT_H

#include <stddef.h>

#include "sim/out/metrics.h"

typedef struct h5out h5out_t;

h5out_t *h5out_open(const char *path, bool per_request, char *err, size_t errlen);
/* metrics_row_fn: appends one request row. */
void h5out_request(void *ctx, const req_record_t *row);
/* What run.h5 holds of a finished run besides its per-request rows. */
typedef struct h5out_run {
    const metrics_t *m;   /* the time series */
    const kv_mgr_t *kv;   /* the tier counters */
    const scenario_t *sc; /* tiers enabled, seed */
    double block_bytes;   /* KV bytes of one block */
} h5out_run_t;

/* Writes the time series, tier counters and attributes, then closes the file. */
int h5out_finish(h5out_t *h, const h5out_run_t *run, const char *scenario_json, bool timeseries, char *err,
                 size_t errlen);
/* Closes without finishing (failed run). */
void h5out_abort(h5out_t *h);

#endif
