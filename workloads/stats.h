/* Trace statistics: what `kvtwin trace stats` prints and what the generator's defaults are fitted from.
 *
 * Fed with a reader's records in file order. Hit rates are those of an infinite cache (it never evicts):
 * a request hits the longest leading run of its block ids already seen; hit tokens = min(k x block, input).
 * Token-weighted = sum of hit tokens / sum of input tokens; request-averaged = mean of hit / input;
 * block-level = sum of k / sum of ids. The main-agent figures (VALIDATION.md section 2) use a cache fed by
 * main-agent requests only; "all requests" adds the sub-agents'. A conversation is a top-level session
 * with its sub-agents (a file of a session directory). Percentiles interpolate linearly between order
 * statistics (numpy's default). */
#ifndef KVTWIN_STATS_H
#define KVTWIN_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "workloads/reader.h"
#include "workloads/request.h"
#include "workloads/synth.h"

typedef struct wl_stats wl_stats_t;

/* absolute_time: arrival_s is one clock for the whole trace (request logs, native files); session
 * directories have one clock per conversation, so no arrival rate is computed. */
wl_stats_t *wl_stats_new(bool absolute_time);
void wl_stats_free(wl_stats_t *st);

/* Adds one record; file names where it came from (kept for the first inconsistent-ids sample). */
int wl_stats_add(wl_stats_t *st, const wl_request_t *req, const wl_sess_info_t *info, const char *file);

/* Summary as JSON (every figure printed), computed from what was added. */
cJSON *wl_stats_json(wl_stats_t *st);
/* Human-readable summary. */
void wl_stats_print(wl_stats_t *st, FILE *out);

/* ---- fitting the generator ---- */
typedef struct wl_fit wl_fit_t;

wl_fit_t *wl_fit_new(void);
void wl_fit_free(wl_fit_t *f);
/* Pools what st saw into the fit (session shape from session traces, arrivals from request logs). */
void wl_fit_add(wl_fit_t *f, wl_stats_t *st);
/* Overwrites in cfg the parameters the inputs allow to fit; returns how many. notes receives what could
 * not be fitted and why. */
int wl_fit_result(wl_fit_t *f, wl_synth_cfg_t *cfg, char *notes, size_t noteslen);
/* The fitted parameters as a JSON object {key: value} (only those fitted). */
cJSON *wl_fit_json(wl_fit_t *f); /* percentiles sort samples in place: not const */

#endif
