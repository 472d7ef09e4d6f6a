/* Cost model; see cost.h. */
#include "models/cost.h"

#include <math.h>
#include <string.h>

#define COST_HOURS_PER_YEAR 8760.0

void cost_pod(const hw_pod_t *pod, double avg_it_power_w, cost_breakdown_t *out)
{
    memset(out, 0, sizeof *out);
    out->gpus_usd = (double)hw_pod_gpus(pod) * pod->gpu.price_usd;
    out->nodes_usd = (double)pod->nodes * pod->node.price_usd;
    hw_fabric_size_t fs;
    hw_fabric_sizing(pod, &fs);
    out->fabric_usd =
        fs.leaf_equivalents * pod->fabric.switch_price_usd + (double)fs.switch_ports * pod->fabric.optics_price_usd;
    const hw_icms_t *c = &pod->icms;
    if (c->present) {
        double dpus = (double)c->enclosures * c->dpus_per_enclosure;
        double flash = (double)c->enclosures * c->ssds_per_enclosure * c->ssd_capacity_bytes;
        out->icms_usd =
            dpus * c->dpu_price_usd + flash * c->flash_usd_per_byte + c->enclosures * c->enclosure_price_usd;
    }
    const hw_g4_t *g = &pod->g4;
    if (g->present)
        out->g4_usd = g->servers * g->server_price_usd + g->capacity_bytes * g->replication * g->usd_per_byte;
    out->capex_usd = out->gpus_usd + out->nodes_usd + out->fabric_usd + out->icms_usd + out->g4_usd;

    const hw_cost_t *k = &pod->cost;
    out->capex_usd_per_h = out->capex_usd / (k->depreciation_years * COST_HOURS_PER_YEAR);
    out->maintenance_usd_per_h = out->capex_usd * k->maintenance_fraction_per_year / COST_HOURS_PER_YEAR;
    out->facility_usd_per_h = avg_it_power_w / 1000.0 * k->facility_usd_per_kw_year / COST_HOURS_PER_YEAR;
    out->energy_usd_per_h = avg_it_power_w / 1000.0 * pod->energy.pue * k->electricity_usd_per_kwh;
    out->total_usd_per_h =
        out->capex_usd_per_h + out->maintenance_usd_per_h + out->facility_usd_per_h + out->energy_usd_per_h;
}

double cost_usd_per_mtoken(const cost_breakdown_t *c, double output_tok_s)
{
    if (output_tok_s <= 0)
        return INFINITY;
    return c->total_usd_per_h / (output_tok_s * 3600.0 / 1e6);
}
