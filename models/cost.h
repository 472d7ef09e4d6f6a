/* Cost model: capital and operating cost of a pod configuration in dollars per hour, ready for TCO
 * reports ($ per million tokens = cost per hour / million output tokens per hour). */
#ifndef KVTWIN_COST_H
#define KVTWIN_COST_H

#include "models/hw.h"

typedef struct cost_breakdown {
    double capex_usd;           /* purchase price of everything in the pod */
    double capex_usd_per_h;     /* amortised over depreciation_years */
    double maintenance_usd_per_h;
    double facility_usd_per_h;
    double energy_usd_per_h;    /* at the given average IT power, PUE applied */
    double total_usd_per_h;
} cost_breakdown_t;

/* Cost of the pod at an average IT power (watts, before PUE). */
void cost_pod(const hw_pod_t *pod, double avg_it_power_w, cost_breakdown_t *out);

#endif
