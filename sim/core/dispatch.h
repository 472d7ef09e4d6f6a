/* The dispatcher: one actor that pulls requests from the workload source at their arrival times, routes
 * each to an instance and hands it to that instance's engine. In closed loop it sleeps until the next
 * scheduled turn and is woken when a completion schedules an earlier one. Also the sampler, a daemon that
 * reads the gauges (running, waiting, loading requests; blocks per tier) at every interval and drives the
 * progress line. */
#ifndef KVTWIN_DISPATCH_H
#define KVTWIN_DISPATCH_H

#include "sim/base/exitcodes.h"
#include "sim/base/progress.h"
#include "sim/core/pod.h"
#include "sim/sched/sched.h"

/* Prepares a request freshly read from the source for the engines (block clamping, reservations). */
void dispatch_prepare(const pod_t *p, sim_req_t *r);

/* The request as routing and admission policies see it (sim/sched/sched.h). */
sched_req_t dispatch_sched_req(const sim_req_t *r);

void dispatch_start(pod_t *p, sgb_host_t *host);

/* A request left the system (the source has heard of it): wakes the dispatcher if that changed what it waits
 * for, an arrival earlier than the one it sleeps until or the source's end; otherwise it sleeps on. */
void dispatch_note_completion(pod_t *p);
void dispatch_start_sampler(pod_t *p, sgb_host_t *host, progress_t *progress);

#endif
