/* Power model: instantaneous power of each component class from its utilisation, and energy per byte
 * moved. The simulation integrates it over time; pure functions of the hardware description. */
#ifndef KVTWIN_POWER_H
#define KVTWIN_POWER_H

#include "models/hw.h"

/* One GPU: idle when busy_fraction is 0; busy power between the memory-bound and the compute-bound level
 * by compute_bound_fraction. */
double pw_gpu_w(const hw_gpu_t *gpu, double busy_fraction, double compute_bound_fraction);
/* One host CPU at a utilisation in [0, 1]. */
double pw_cpu_w(const hw_node_t *node, double utilisation);
/* One SSD (local or ICMS) at a utilisation in [0, 1]. */
double pw_ssd_w(double idle_w, double active_w, double utilisation);

#endif
