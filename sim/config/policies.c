/* The list of policy axes; see policies.h. */
#include "sim/config/policies.h"

#include "sim/kv/fetch.h"
#include "sim/kv/policy.h"
#include "sim/kv/prefetch.h"
#include "sim/kv/write.h"
#include "sim/sched/admit.h"
#include "sim/sched/route.h"

static const plugin_axis_t *const cfg_axes[] = {
    &kv_policy_axis, &kv_write_axis, &kv_fetch_axis, &kv_prefetch_axis, &sched_admit_axis, &sched_route_axis,
};

size_t cfg_policy_axis_count(void)
{
    return sizeof cfg_axes / sizeof cfg_axes[0];
}

const plugin_axis_t *cfg_policy_axis_at(size_t i)
{
    return i < cfg_policy_axis_count() ? cfg_axes[i] : NULL;
}
