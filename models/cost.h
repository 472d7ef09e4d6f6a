/* Cost model: capital and operating cost of a pod configuration in dollars per hour, ready for TCO
 * reports ($ per million tokens = cost per hour / million output tokens per hour).
 * Capex = GPUs + nodes (without GPUs) + fabric switches and optics + ICMS (DPUs, flash, chassis) + G4
 * (servers, media); amortised straight-line over depreciation_years of 8,760 h. Maintenance is a yearly
 * share of capex; facility cost is per kW of IT power per year; energy is the average IT power times PUE
 * times the electricity price. Prices carry the date in hw_cost_t.price_date; sources in
 * docs/parameters.md. Units: dollars, watts, hours. */
#ifndef KVTWIN_COST_H
#define KVTWIN_COST_H

#include "models/hw.h"

typedef struct cost_breakdown {
    double capex_usd;       /* purchase price of everything in the pod */
    double capex_usd_per_h; /* amortised over depreciation_years */
    double maintenance_usd_per_h;
    double facility_usd_per_h;
    double energy_usd_per_h; /* at the given average IT power, PUE applied */
    double total_usd_per_h;
    /* capex by component */
    double gpus_usd;
    double nodes_usd;
    double fabric_usd;
    double icms_usd;
    double g4_usd;
} cost_breakdown_t;

/* Cost of the pod at an average IT power (watts, before PUE). */
void cost_pod(const hw_pod_t *pod, double avg_it_power_w, cost_breakdown_t *out);

/* Dollars per million output tokens at a pod-wide output rate (tokens/s); infinite at rate 0. */
double cost_usd_per_mtoken(const cost_breakdown_t *c, double output_tok_s);

#endif
