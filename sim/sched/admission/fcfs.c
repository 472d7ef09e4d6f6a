/* First come, first served with a full reservation: the oldest waiting request goes next, and it reserves
 * G1 room for its whole prompt and every output token at admission, so a running request never runs out of
 * room and nothing is preempted. The head of the queue blocks the ones behind it until it fits. */
#include "sim/sched/admit.h"

static uint32_t fcfs_next(sched_admitter_t *a, const sched_queue_t *q)
{
    (void)a;
    return q->n_waiting > 0 ? 0 : SCHED_ADMIT_NONE;
}

static uint32_t fcfs_reserve(sched_admitter_t *a, const sched_req_t *r)
{
    (void)a;
    return r->extra_blocks;
}

const sched_admit_ops_t sched_admit_fcfs = {
    .base =
        {
            .name = "fcfs",
            .summary = "oldest first; reserves G1 room for the whole prompt and output (no preemption)",
        },
    .next = fcfs_next,
    .reserve = fcfs_reserve,
};
