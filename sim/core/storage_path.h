/* Per-I/O model of the two storage paths, as link capacities, fixed latencies and per-byte energies that
 * the platform puts on its routes (platform.c), and the stripe arithmetic that spreads a request's blocks
 * over the ICMS enclosures.
 *
 * ICMS (G3.5): each NVMe-oF command of io_bytes is terminated on a BlueField-4 Arm core (dpu_arm_per_io_s
 * of one of dpu_arm_cores), passes the inline crypto and CRC engines (each a byte-rate cap, each with an
 * off switch and an energy per byte) and lands on an SSD limited by its bandwidth, its IOPS at io_bytes
 * and, with queue_depth commands outstanding, by Little's law: queue_depth x io_bytes per command round
 * trip (DPU + Arm + SSD latency). A hop of B bytes thus pays one command's round trip as fixed latency and
 * streams the rest at the smallest of these rates, shared max-min with the other flows: small I/Os make
 * the path IOPS-bound, large ones bandwidth-bound.
 * G4: the x86 controller's CPU per I/O (already a cap on its link), metadata operations per object (an
 * object = one hop's bytes on one server, a serial chain of lookups) and the protocol round trip as fixed
 * latency; replication divides the write media rate (platform.c).
 * With every per-I/O key at 0/false the rates and latencies are those of the bandwidth-only model. */
#ifndef KVTWIN_STORAGE_PATH_H
#define KVTWIN_STORAGE_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "models/hw.h"

/* Commands a hop of `bytes` issues (1 when the I/O size is not modelled). */
double sp_icms_ios(const hw_icms_t *ic, double bytes);
/* Byte rate of one enclosure's DPUs (Arm command rate, crypto and CRC engines); INFINITY if nothing caps it. */
double sp_icms_dpu_byte_s(const hw_icms_t *ic);
/* Byte rate of one enclosure's SSDs, reading or writing (bandwidth, IOPS, queue depth). */
double sp_icms_ssd_byte_s(const hw_icms_t *ic, bool write);
/* Fixed latency of a hop: one command's round trip through the DPU and an SSD. */
double sp_icms_latency_s(const hw_icms_t *ic);
/* Energy per byte of the DPU's engines that are on. */
double sp_icms_engine_j_per_byte(const hw_icms_t *ic);

/* Fixed latency of a G4 hop: protocol round trip, controller CPU for one I/O, the metadata chain. */
double sp_g4_latency_s(const hw_g4_t *g);

/* The enclosure holding block `block` of n_enc when runs of `width` consecutive blocks are striped over
 * consecutive enclosures (width 0/1: one hashed enclosure per block). */
uint32_t sp_stripe_enclosure(uint64_t block, uint32_t n_enc, uint32_t width);
/* Splits a hop of `blocks` blocks from first_block over the enclosures: per_enc[n_enc] receives each
 * enclosure's block count; returns the number of enclosures touched. Width 0/1 keeps the whole hop on the
 * enclosure of first_block (the unstriped path). */
uint32_t sp_stripe_split(uint64_t first_block, uint64_t blocks, uint32_t n_enc, uint32_t width, uint64_t *per_enc);

#endif
