/* Energy accounting of a run, per component class. Busy GPU energy comes from each iteration's power
 * (models/power.h) times its duration; bytes moved add the per-byte energy of the links and parts they crossed
 * (SerDes, NIC and DPU load shares, SSD bytes and I/Os, host CPU per-I/O work); the engine's host cores draw
 * while their GPUs iterate; every class also draws its idle (static) power over the run. Totals are sums of the classes by construction,
 * so the run's conservation check compares the summary's total with the per-class figures it prints.
 * Joules, watts, seconds. */
#ifndef KVTWIN_ENERGY_H
#define KVTWIN_ENERGY_H

#include <stdint.h>

typedef enum en_class {
    EN_GPU = 0,   /* GPUs: busy by iteration, idle otherwise */
    EN_HOST_CPU,  /* host CPUs: idle, the engine's busy cores, per-I/O work */
    EN_DRAM,      /* host memory: background power and bytes */
    EN_LINKS,     /* NVLink-C2C and PCIe bytes */
    EN_NIC,       /* node NIC ports: idle power, SerDes and load share per byte */
    EN_DPU,       /* front-end BlueField DPUs of the compute nodes: idle and per byte */
    EN_LOCAL_SSD, /* G3 drives: idle power, bytes and I/Os */
    EN_ICMS,      /* ICMS enclosures: BlueField-4s, SSDs, enclosure overhead, bytes */
    EN_G4,        /* G4 storage servers */
    EN_SWITCH,    /* leaf, spine and NVLink switches, optics per byte */
    EN_OTHER,     /* node fans, boards, conversion */
    EN_CLASSES
} en_class_t;

/* "gpu", "host_cpu", ... as written in summary.json. */
const char *en_class_name(int c);

typedef struct en_static {
    double w[EN_CLASSES]; /* static power of each class over the whole pod */
} en_static_t;

#endif
