/* In-run conservation: every timed run checks at its end that nothing was created or lost in its
 * bookkeeping, and fails (exit 1, no results published) naming the quantity that does not add up:
 *   requests   arrived = completed + rejected + unfinished, and the time series counts the same arrivals
 *              and completions;
 *   tokens     a completed request's input = reused + computed; output tokens credited over time = the
 *              tokens the requests that left had decoded;
 *   bytes      per tier and kind of move: bytes submitted = bytes moved + bytes still queued or in flight
 *              + bytes of transfers that failed (faults), and the time series holds the bytes moved;
 *   links      per link class (c2c, pcie, dram, up, ...): bytes that entered = bytes that left + in flight
 *              + bytes of the transfers cancelled on them by a fault;
 *   joules     per energy component: the summary's classes sum to its IT total, the facility total is
 *              IT x PUE, and transfer and busy-GPU energy agree with the time series.
 * KVTWIN_CONSERVE_INJECT=QUANTITY (requests, tokens, bytes, links or joules) adds a unit to one side of
 * that quantity's balance, so the failure can be seen (tests, docs/testing.md). */
#ifndef KVTWIN_CONSERVE_H
#define KVTWIN_CONSERVE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "sim/core/pod.h"

typedef struct xfer_job xfer_job_t;

/* Per-link classes of the platform; call after pf_build. */
void conserve_init(pod_t *p);
void conserve_free(pod_t *p);

/* Ledger hooks of the transfer layer. */
void conserve_submit(pod_t *p, const xfer_job_t *job);
void conserve_begin(pod_t *p, const xfer_job_t *job, const pf_route_t *r);
void conserve_end(pod_t *p, const xfer_job_t *job, const pf_route_t *r);
/* A job that failed (a fault on its path): its bytes left the books as failed, and r (NULL if it never
 * started) gives back the bytes it had put on its links. */
void conserve_fail(pod_t *p, const xfer_job_t *job, const pf_route_t *r);

/* After metrics_finish and the summary: 0, or -1 with a one-line message naming the quantity. */
int conserve_check(const pod_t *p, const cJSON *summary, char *err, size_t errlen);

#endif
