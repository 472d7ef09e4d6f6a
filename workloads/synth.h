/* The built-in synthetic agentic workload generator (GSL random streams, deterministic by seed).
 * Sessions arrive (Poisson or bursty Gamma); each has a number of turns, a starting context that grows
 * turn by turn, output lengths, think/tool times, a shared system prompt and occasional sub-agent
 * fan-out. Defaults are fitted to the shared agentic sessions and the Mooncake trace (docs/workloads.md);
 * `kvtwin trace stats --fit` recomputes them.
 *
 * Each session tree draws from its own GSL generator seeded from (run seed, session index), and the
 * arrival process from one seeded from (run seed, arrivals), so a session does not change when another
 * one's parameters do. */
#ifndef KVTWIN_SYNTH_H
#define KVTWIN_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct wl_synth_cfg {
    double session_rate_per_s;            /* mean session arrival rate */
    double arrival_cv;                    /* coefficient of variation of inter-arrivals: 1 = Poisson, >1 bursty Gamma */
    uint64_t sessions;                    /* sessions to generate (0 = until duration_s) */
    double duration_s;                    /* stop starting sessions after this time */
    double turns_mean;                    /* mean turns per session */
    double turns_max;                     /* cap on turns per session */
    double system_prompt_tokens;          /* shared by every session */
    double initial_context_tokens_median; /* first-turn context beyond the system prompt (lognormal median) */
    double initial_context_sigma;         /* lognormal sigma of the first-turn context */
    double growth_tokens_median;          /* context added per turn (lognormal median) */
    double growth_sigma;
    double output_tokens_median; /* output per turn (lognormal median) */
    double output_sigma;
    double think_s_median; /* think/tool time between turns (lognormal median) */
    double think_sigma;
    double subagent_prob;        /* probability that a turn forks sub-agents */
    double subagent_fanout_mean; /* mean sub-agents per fork */
    double subagent_turns_mean;  /* mean turns per sub-agent */
    double max_context_tokens;   /* contexts are capped here (model context window) */
    uint32_t block_tokens;       /* tokens per block of generated ids */
    /* Added with the fit: the agentic traces separate tool time from user think time. */
    double user_turn_prob; /* probability that a turn hands control back to the user (think_s law);
                                      otherwise the agent runs a tool (tool_s law) */
    double tool_s_median;  /* tool time between turns (lognormal median) */
    double tool_sigma;
    double subagent_prompt_tokens; /* system + tool prompt of sub-agents, shared by all of them */
    double subagent_spawn_s;       /* from the forking turn's completion to the sub-agents' first turn */
    double api_base_s;             /* nominal service time = base + per input token + per output token; */
    double api_s_per_input_token;  /* used for the generated timeline (arrival_s, api_s in `kvtwin gen`) */
    double api_s_per_output_token; /* and by the original / api-scaled timing strategies */
    /* Warm start: the arrival process runs from -warm_start_s, and the sessions still running at 0 start
     * there in progress (at the turn their nominal timeline has reached, with the context it has grown to;
     * earlier turns are not issued). 0 = every session starts at its first turn, the first at 0. */
    double warm_start_s;
    /* Not a key: set by a timed run that issues no arrival after its end (sim.duration_s). Every arrival of
     * a turn comes at least the sum of the delays before it after its session's start (service times only
     * add, in every replay and timing mode), so an agent's script stops at the first turn whose start plus
     * delays passes horizon_s: that turn is kept (its arrival is the run's end-of-arrivals event if it is
     * the first past the end), the rest only counted (wl_script_t.n_cut). Each session draws from its own
     * seed, so the turns built are the ones a full script would hold. A long-lived session (agentic: ~15 h)
     * then costs memory for the turns a run can reach, not for its whole life. 0 = build whole scripts. */
    double horizon_s;
} wl_synth_cfg_t;

void wl_synth_defaults(wl_synth_cfg_t *cfg);

/* Cross-field checks (a run length, sane medians); -1 with a message naming the field. */
int wl_synth_check(const wl_synth_cfg_t *cfg, char *err, size_t errlen);

struct wl_script;
typedef struct wl_synth wl_synth_t;

int wl_synth_open(wl_synth_t **out, const wl_synth_cfg_t *cfg, uint64_t seed, char *err, size_t errlen);
/* The next session tree, in order of start (script->start_s); 1, 0 when no more sessions, -1 out of
 * memory. With a warm start, the sessions begun before 0 come first at their time, merged with the new ones
 * (script->first_turn > 0 or script->origin_s < 0 marks them); sessions counts only the new ones. Stream ids in the scripts' runs are the raw integers of the native format ("stream": n). */
int wl_synth_next(wl_synth_t *g, struct wl_script **out);
void wl_synth_close(wl_synth_t *g);

/* Raw stream numbers the generator uses (native "prefix" streams). */
#define WL_SYNTH_STREAM_SYSTEM 0u   /* the main agents' system + tool prompt */
#define WL_SYNTH_STREAM_SUBAGENT 1u /* the sub-agents' system + tool prompt */
#define WL_SYNTH_STREAM_FIRST 16u   /* sessions' own streams: 16 + session * 65536 + epoch */

#endif
