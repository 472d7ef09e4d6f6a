/* The registry of admission policies: one line per policy, in the order `kvtwin policies` lists them; the
 * first (fcfs) is the default of deployment.admission. A new policy is one file in sim/sched/admission/ plus one line in SCHED_ADMIT_LIST. */
#include "sim/sched/admit.h"

#include <string.h>

#define SCHED_ADMIT_LIST A(fcfs) /* oldest first, full reservation */ A(paged) /* paged KV, preemption */

#define A(n) extern const sched_admit_ops_t sched_admit_##n;
SCHED_ADMIT_LIST
#undef A

#define A(n) &sched_admit_##n.base,
static const plugin_t *const sched_admits[] = {SCHED_ADMIT_LIST};
#undef A

const plugin_axis_t sched_admit_axis = {
    .name = "admission",
    .chosen_by = "deployment.admission (parameters: deployment.admission_params)",
    .column = "what it admits",
    .items = sched_admits,
    .count = sizeof sched_admits / sizeof sched_admits[0],
};

const sched_admit_ops_t *sched_admit_find(const char *name)
{
    return PLUGIN_OPS(sched_admit_ops_t, plugin_find(&sched_admit_axis, name));
}

const sched_admit_ops_t *sched_admit_at(size_t i)
{
    return i < sched_admit_axis.count ? PLUGIN_OPS(sched_admit_ops_t, sched_admits[i]) : NULL;
}

int sched_admitter_init(sched_admitter_t *a, const sched_admit_ops_t *ops, const void *params, uint32_t inst, char *err,
                        size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->ops = ops;
    a->params = plugin_params(&ops->base, params);
    a->inst = inst;
    if (ops->init && ops->init(a, err, errlen)) {
        a->ops = NULL;
        return -1;
    }
    return 0;
}

void sched_admitter_fini(sched_admitter_t *a)
{
    if (a->ops && a->ops->fini)
        a->ops->fini(a);
    memset(a, 0, sizeof *a);
}
