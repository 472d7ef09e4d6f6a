/* The built-in synthetic agentic workload generator (GSL random streams, deterministic by seed).
 * Sessions arrive (Poisson or bursty Gamma); each has a number of turns, a starting context that grows
 * turn by turn, output lengths, think/tool times, a shared system prompt and occasional sub-agent
 * fan-out. Defaults are fitted to the shared agentic sessions and the Mooncake trace (docs/workloads.md). */
#ifndef KVTWIN_SYNTH_H
#define KVTWIN_SYNTH_H

#include <stdint.h>

typedef struct wl_synth_cfg {
    double session_rate_per_s;     /* mean session arrival rate */
    double arrival_cv;             /* coefficient of variation of inter-arrivals: 1 = Poisson, >1 bursty Gamma */
    uint64_t sessions;             /* sessions to generate (0 = until duration_s) */
    double duration_s;             /* stop starting sessions after this time */
    double turns_mean;             /* mean turns per session */
    double turns_max;              /* cap on turns per session */
    double system_prompt_tokens;   /* shared by every session */
    double initial_context_tokens_median; /* first-turn context beyond the system prompt (lognormal median) */
    double initial_context_sigma;  /* lognormal sigma of the first-turn context */
    double growth_tokens_median;   /* context added per turn (lognormal median) */
    double growth_sigma;
    double output_tokens_median;   /* output per turn (lognormal median) */
    double output_sigma;
    double think_s_median;         /* think/tool time between turns (lognormal median) */
    double think_sigma;
    double subagent_prob;          /* probability that a turn forks sub-agents */
    double subagent_fanout_mean;   /* mean sub-agents per fork */
    double subagent_turns_mean;    /* mean turns per sub-agent */
    double max_context_tokens;     /* contexts are capped here (model context window) */
    uint32_t block_tokens;         /* tokens per block of generated ids */
} wl_synth_cfg_t;

void wl_synth_defaults(wl_synth_cfg_t *cfg);

#endif
