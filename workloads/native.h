/* kvtwin's native session format (JSON Lines), written by `kvtwin gen` and read by the "native" reader.
 * The format is specified in docs/workloads.md; in short, an optional header line
 * {"kvtwin_native": 1, "block_tokens": 64, ...} and then one request per line, in order of arrival:
 * {"session", "parent", "parent_turn", "turn", "last", "fork", "arrival_s", "think_s", "tool_s", "api_s",
 *  "input_tokens", "output_tokens", "block_tokens", "block_ids" | "prefix": [{"stream", "tokens"}],
 *  "shared_prefix_tokens"}. */
#ifndef KVTWIN_NATIVE_H
#define KVTWIN_NATIVE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "workloads/blockid.h"
#include "workloads/reader.h"
#include "workloads/request.h"

#define WL_NATIVE_VERSION 1

typedef struct wl_native_writer wl_native_writer_t;

/* Creates path (gzip-compressed if it ends in .gz). extra (may be NULL) is merged into the header line
 * (e.g. the generator's parameters and seed). */
int wl_native_create(wl_native_writer_t **out, const char *path, uint32_t block_tokens, const cJSON *extra, char *err,
                     size_t errlen);
/* Writes one request: block ids from runs when n_runs > 0 (raw stream numbers), else req's ids. The
 * think/tool split of req->think_s comes from info->tool_s. */
int wl_native_write(wl_native_writer_t *w, const wl_request_t *req, const wl_sess_info_t *info, const wl_run_t *runs,
                    uint32_t n_runs);
/* Flushes and closes; -1 (with err) if anything failed to be written. */
int wl_native_close(wl_native_writer_t *w, char *err, size_t errlen);

#endif
