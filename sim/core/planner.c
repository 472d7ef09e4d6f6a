/* The planner; see planner.h. */
#include "sim/core/planner.h"

#include "sim/core/disagg.h"
#include "sim/core/engine.h"
#include "sim/out/metrics.h"

/* Moves the boundary instance to the other pool: it keeps what it runs, takes no new work for switch_s. */
static void planner_move(pod_t *p, bool to_prefill)
{
    disagg_stats_t *s = p->dg;
    const sc_planner_t *pl = &p->sc->deploy.disagg.planner;
    uint32_t inst = to_prefill ? p->pf.n_prefill : p->pf.n_prefill - 1;
    p->pf.n_prefill += to_prefill ? 1 : -1;
    s->switching = true;
    s->switch_inst = inst;
    s->switch_until = sgb_now() + pl->switch_s;
    engine_t *e = &p->eng[inst];
    e->max_seqs = disagg_max_seqs(p, inst);
    e->max_tokens = disagg_max_tokens(p, inst);
    if (to_prefill)
        s->moves_to_prefill++;
    else
        s->moves_to_decode++;
    metrics_planner_move(p->m, sgb_now(), to_prefill ? 1 : -1);
}

static void planner_main(void *arg)
{
    pod_t *p = arg;
    disagg_stats_t *s = p->dg;
    const sc_planner_t *pl = &p->sc->deploy.disagg.planner;
    for (;;) {
        sgb_sleep_for(pl->interval_s);
        double now = sgb_now();
        double n = s->n_done, ttft = n > 0 ? s->ttft_sum / n : 0, tpot = n > 0 ? s->tpot_sum / n : 0;
        s->ttft_sum = s->tpot_sum = s->n_done = 0;
        if (s->switching) {
            /* Still switching, or switched within the last interval: its effect is not in the samples yet. */
            if (now < s->switch_until + pl->interval_s)
                continue;
            s->switching = false;
        }
        if (n == 0)
            continue;
        double over_ttft = ttft / pl->ttft_target_s, over_tpot = tpot / pl->tpot_target_s;
        if (over_ttft > 1 && over_ttft >= over_tpot && p->pf.n_inst - p->pf.n_prefill > 1)
            planner_move(p, true);
        else if (over_tpot > 1 && over_tpot > over_ttft && p->pf.n_prefill > 1)
            planner_move(p, false);
    }
}

void planner_start(pod_t *p, sgb_host_t *host)
{
    sgb_spawn("planner", host, planner_main, p, true);
}
