/* Binding of the scenario's "workload" section to wl_config_t (workloads/source.h), the generator's
 * parameters nested as "synth". One table validates, prints help and writes the resolved scenario back.
 * Units: seconds, tokens, sessions; rates per second. */
#include <math.h>
#include <stdio.h>

#include "sim/base/jsonbind.h"
#include "sim/config/scenario.h"
#include "workloads/source.h"
#include "workloads/synth.h"

static int synth_check(void *dst, jb_error_t *err)
{
    char msg[256];
    if (wl_synth_check(dst, msg, sizeof msg) == 0)
        return 0;
    /* wl_synth_check names the field first: "field: what was expected". */
    const char *colon = msg;
    while (*colon && *colon != ':' && *colon != ' ')
        colon++;
    snprintf(err->path, sizeof err->path, "%.*s", (int)(colon - msg), msg);
    snprintf(err->msg, sizeof err->msg, "%s", *colon == ':' ? colon + 2 : msg);
    return -1;
}

#define S wl_synth_cfg_t
static const jb_field_t synth_fields[] = {
    JB_DBL_POS(S, session_rate_per_s, 1e6, "1/s", "mean rate of new sessions"),
    JB_DBL(S, arrival_cv, 0, 100, "",
           "coefficient of variation of session inter-arrivals (1 = Poisson, > 1 bursty Gamma, 0 = periodic)"),
    JB_U64F(S, sessions, 0, 1e12, "sessions", "sessions to generate (0 = until duration_s)"),
    JB_DBL(S, duration_s, 0, 1e9, "s", "no session starts after this time (used when sessions is 0)"),
    JB_DBL(S, turns_mean, 1, 1e6, "turns", "mean turns (requests) per session, geometric"),
    JB_DBL(S, turns_max, 1, 1e6, "turns", "cap on turns per session"),
    JB_DBL(S, system_prompt_tokens, 0, 1e7, "tokens", "system + tool prompt shared by every main agent"),
    JB_DBL(S, initial_context_tokens_median, 0, 1e8, "tokens",
           "first-turn context beyond the system prompt (lognormal median)"),
    JB_DBL(S, initial_context_sigma, 0, 10, "", "lognormal sigma of the first-turn context"),
    JB_DBL(S, growth_tokens_median, 0, 1e8, "tokens",
           "context added per turn besides the previous output (lognormal median)"),
    JB_DBL(S, growth_sigma, 0, 10, "", "lognormal sigma of the growth per turn"),
    JB_DBL(S, output_tokens_median, 1, 1e7, "tokens", "output per turn (lognormal median)"),
    JB_DBL(S, output_sigma, 0, 10, "", "lognormal sigma of the output per turn"),
    JB_DBL(S, think_s_median, 0, 1e7, "s",
           "user think time when a turn hands control back to the user (lognormal median)"),
    JB_DBL(S, think_sigma, 0, 10, "", "lognormal sigma of the think time"),
    JB_DBL(S, subagent_prob, 0, 1, "", "probability that a turn forks sub-agents"),
    JB_DBL(S, subagent_fanout_mean, 1, 1e4, "agents", "mean sub-agents per fork (1 + Poisson)"),
    JB_DBL(S, subagent_turns_mean, 1, 1e6, "turns", "mean turns per sub-agent, geometric"),
    JB_DBL_POS(S, max_context_tokens, 1e9, "tokens",
               "context window: a session compacts to a fresh summary when it would exceed it"),
    JB_UINTF(S, block_tokens, 1, 1 << 20, "tokens", "tokens per block of the generated ids"),
    JB_DBL(S, user_turn_prob, 0, 1, "", "probability that a turn hands control back to the user (else a tool runs)"),
    JB_DBL(S, tool_s_median, 0, 1e7, "s", "tool time between turns (lognormal median)"),
    JB_DBL(S, tool_sigma, 0, 10, "", "lognormal sigma of the tool time"),
    JB_DBL(S, subagent_prompt_tokens, 0, 1e7, "tokens", "system + tool prompt shared by every sub-agent"),
    JB_DBL(S, subagent_spawn_s, 0, 1e6, "s", "delay from the forking turn's completion to the sub-agents' first turn"),
    JB_DBL(S, api_base_s, 0, 1e6, "s",
           "nominal service time: constant part (generated timeline, original/api-scaled timing)"),
    JB_DBL(S, api_s_per_input_token, 0, 1, "s/token", "nominal service time per input token"),
    JB_DBL(S, api_s_per_output_token, 0, 10, "s/token", "nominal service time per output token"),
    JB_DBL(S, warm_start_s, 0, 1e7, "s",
           "warm start: session arrivals begin this long before 0 and the sessions still running at 0 start "
           "there in progress (the stationary population); 0 = cold start, the first session at 0"),
    JB_END,
};
#undef S
static const jb_spec_t synth_spec = {"synth", synth_fields, synth_check};

#define W wl_config_t
static const jb_field_t workload_fields[] = {
    JB_CHOICEF(W, format, wl_format_names,
               "trace format; auto detects it from the file (an empty path means synthetic)"),
    JB_STR(W, path, "trace file or directory of session files (relative to the scenario file)"),
    JB_CHOICEF(W, replay, wl_replay_names,
               "open: arrivals at the trace's times; closed: a session's next turn waits for the previous one"),
    JB_DBL_POS(W, time_scale, 1e6, "",
               "trace times (open-loop arrivals, closed-loop session starts) are multiplied by this"),
    JB_CHOICEF(W, timing, wl_timing_names,
               "closed loop: think-only (completion + think), original (recorded gaps), api-scaled (recorded service "
               "time x api_scale + think)"),
    JB_DBL(W, api_scale, 0, 1e6, "", "api-scaled timing: the recorded service time is multiplied by this"),
    JB_UINTF(W, max_sessions, 0, UINT32_MAX, "sessions", "closed loop: cap on concurrent sessions (0 = none)"),
    JB_DBL(W, ramp_up_s, 0, 1e9, "s",
           "closed loop: the first max_sessions sessions start spread over this; open loop: session files are "
           "staggered over it"),
    JB_BOOLF(W, warm_shared_prefix, "give the system + tool prompt blocks of every session ids shared across sessions"),
    JB_U64F(W, max_requests, 0, 1e15, "requests", "stop after this many requests (0 = all)"),
    JB_DBL(W, max_arrival_s, 0, 1e12, "s", "no request arrives after this time (0 = no limit)"),
    JB_BOOLF(W, skip_bad, "count and skip malformed records instead of failing"),
    JB_BOOLF(W, allow_backwards_time,
             "count timestamps going backwards (and deliver them at the previous time) instead of failing"),
    JB_CHOICEF(W, context_overflow, wl_overflow_names,
               "requests whose input + output exceed the model's context window: warn (simulate as given, report at "
               "the end), truncate (cut the input, keeping its leading tokens), reject, or error"),
    JB_DBL(W, timestamp_bucket_s, 0, 3600, "s",
           "Mooncake: requests sharing a timestamp are spread over up to this (0 = not)"),
    JB_UINTF(W, default_block_tokens, 1, 1 << 20, "tokens", "block size for traces without block ids (Azure)"),
    JB_U64F(W, seed, 0, 9007199254740992.0, "",
            "seed of the generator's random streams (the scenario's seed by default)"),
    JB_OBJ(W, synth, synth_spec, "synthetic agentic generator (format synthetic)"),
    JB_END,
};
#undef W

const jb_spec_t cfg_workload_spec = {"workload", workload_fields, NULL};
