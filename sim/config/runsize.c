/* Up-front size check of a run; see runsize.h. The estimate counts what grows with the pod: one SimGrid
 * actor (the stack pages it touches, counted as 64 KiB, plus its bookkeeping) per engine, transfer and
 * write-back worker, the SimGrid hosts and links of every instance and domain, and kvtwin's own
 * per-instance state. It is a floor: the KV tiers grow with the workload and are not counted. */
#define _DEFAULT_SOURCE
#include "sim/config/runsize.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#define RS_ACTOR_BYTES (64.0 * 1024 + 4096) /* stack used (under 16 KiB of its 1 MiB) + SimGrid's record */
#define RS_INSTANCE_BYTES 16384.0           /* hosts, links, engine, queues, metrics of one instance */
#define RS_DOMAIN_BYTES 16384.0             /* hosts and links of one domain (CPU, DRAM, NVMe, NIC) */

static double rs_instances(const scenario_t *sc, double *domains)
{
    double gpus = (double)sc->hw.nodes * sc->hw.node.gpus;
    double inst_gpus = (double)sc->deploy.tp * sc->deploy.pp;
    double n_inst = sc->deploy.instances ? sc->deploy.instances : floor(gpus / inst_gpus);
    double per_domain = inst_gpus <= sc->hw.node.gpus ? floor(sc->hw.node.gpus / inst_gpus) : 1;
    *domains = ceil(n_inst / (per_domain > 0 ? per_domain : 1));
    return n_inst;
}

double run_size_estimate_bytes(const scenario_t *sc)
{
    double domains;
    double n_inst = rs_instances(sc, &domains);
    double actors = n_inst * (1.0 + sc->kv.transfer_workers) + (domains + 1) * sc->kv.writeback_workers + 2;
    double storage = (sc->hw.icms.present ? sc->hw.icms.enclosures : 0) + (sc->hw.g4.present ? sc->hw.g4.servers : 0);
    return actors * RS_ACTOR_BYTES + n_inst * RS_INSTANCE_BYTES + (domains + storage) * RS_DOMAIN_BYTES;
}

double run_size_machine_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (phys == 0 || (double)rl.rlim_cur < phys))
        phys = (double)rl.rlim_cur;
    return phys;
}

double run_size_max_mappings(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (!f)
        return 0;
    double v = 0;
    if (fscanf(f, "%lf", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

int run_size_check(const scenario_t *sc, bool guard_pages, char *err, size_t errlen)
{
    double domains;
    double n_inst = rs_instances(sc, &domains);
    const char *key = sc->deploy.instances ? "deployment.instances" : "hardware.nodes";
    char msg[512];
    if (n_inst > (double)UINT32_MAX) {
        snprintf(msg, sizeof msg, "%.4g GPUs make %.4g instances, more than a run can hold (2^32 - 1)",
                 (double)sc->hw.nodes * sc->hw.node.gpus, n_inst);
        cfg_doc_error(&sc->doc, key, msg, err, errlen);
        return -1;
    }
    double need = run_size_estimate_bytes(sc), have = run_size_machine_bytes();
    if (have > 0 && need > have) {
        snprintf(msg, sizeof msg,
                 "simulating %.4g instances needs at least %.3g GB of memory and this machine has %.3g GB; "
                 "expected a smaller pod",
                 n_inst, need / 1e9, have / 1e9);
        cfg_doc_error(&sc->doc, key, msg, err, errlen);
        return -1;
    }
    double actors = n_inst * (1.0 + sc->kv.transfer_workers) + (domains + 1) * sc->kv.writeback_workers + 2;
    double maps = run_size_max_mappings();
    /* Room for the libraries' and the heap's own mappings. */
    if (guard_pages && maps > 0 && 2 * actors > maps - 2000) {
        snprintf(msg, sizeof msg,
                 "simulating %.4g instances needs %.4g SimGrid actors, each costing 2 memory mappings, and this "
                 "machine allows %.0f (vm.max_map_count); expected a smaller pod, or raise vm.max_map_count, or "
                 "pass --cfg=contexts/guard-size:0",
                 n_inst, actors, maps);
        cfg_doc_error(&sc->doc, key, msg, err, errlen);
        return -1;
    }
    return 0;
}
