/* The registry of kvtwin commands: one line per command, in the order `kvtwin help` lists them. */
#include "sim/cli/cli.h"

extern const kvt_cmd_t kvt_cmd_run, kvt_cmd_study, kvt_cmd_cache, kvt_cmd_policies, kvt_cmd_hw,
    kvt_cmd_model_time, kvt_cmd_fit, kvt_cmd_gen, kvt_cmd_trace;

const kvt_cmd_t *const kvt_commands[] = {
    &kvt_cmd_run,        /* timed pod simulation of one scenario */
    &kvt_cmd_study,      /* several scenarios side by side (the main job) */
    &kvt_cmd_cache,      /* cache-only replay: hit rates per policy and capacity */
    &kvt_cmd_policies,   /* list eviction/write policies and their parameters */
    &kvt_cmd_hw,         /* hardware presets with derived figures */
    &kvt_cmd_model_time, /* step-time model for given shapes */
    &kvt_cmd_fit,        /* fit step-time efficiency factors to measurements */
    &kvt_cmd_gen,        /* synthetic agentic workload to the native format */
    &kvt_cmd_trace,      /* trace statistics */
    NULL,
};
