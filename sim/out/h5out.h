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
/* Writes the time series, tier counters and attributes, then closes the file. */
int h5out_finish(h5out_t *h, const pod_t *p, const char *scenario_json, bool timeseries, char *err,
                 size_t errlen);
/* Closes without finishing (failed run). */
void h5out_abort(h5out_t *h);

#endif
