/* SimGrid 3.32 backend; see sgb.h. Actors get 1 MiB stacks instead of SimGrid's 8 MiB: kvtwin's own call
 * stacks stay under 16 KiB (the test suite passes with 16, not with 8), and 1 MiB leaves room for the
 * deepest input a reader takes inside the dispatcher: cJSON's 1,000 levels of nesting in a native trace
 * line need 64 to 128 KiB (64 overflows, 128 gives the clean error). Sanitizer builds, whose frames
 * are several times larger, get 4 MiB. sg_actor_set_stacksize counts KiB: until 2026-12-04 this file
 * passed 64 * 1024 meaning bytes and got 64 MiB per actor (135 GB of address space for the 1,152-GPU pod;
 * the pages a stack never touched cost no memory, so results and resident memory were the same). */
#include "sim/core/sgb.h"

#include <assert.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/config.h>
#include <xbt/log.h>

#if defined(__SANITIZE_ADDRESS__)
#define SGB_STACK_KIB 4096u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SGB_STACK_KIB 4096u
#endif
#endif
#ifndef SGB_STACK_KIB
#define SGB_STACK_KIB 1024u /* sg_actor_set_stacksize takes KiB */
#endif

static uint64_t sgb_activities;

/* Below SimGrid's numerical accuracy a wait is no wait (SimGrid would log and round it). */
#define SGB_MIN_WAIT_S 1e-9

void sgb_init(int *sg_argc, char **sg_argv)
{
    /* Only warnings by default; --log=... on the command line still overrides. */
    xbt_log_control_set("root.thres:warning");
    simgrid_init(sg_argc, sg_argv);
    sg_cfg_set_string("network/model", "CM02");
    sg_cfg_set_boolean("network/crosstraffic", "no");
    sg_cfg_set_double("network/TCP-gamma", 1e15);
}

void sgb_load_platform(const char *xml_path)
{
    simgrid_load_platform(xml_path);
}

sgb_host_t *sgb_host(const char *name)
{
    sg_host_t h = sg_host_by_name(name);
    assert(h && "host missing from the generated platform");
    return (sgb_host_t *)h;
}

typedef struct sgb_start {
    sgb_actor_fn fn;
    void *arg;
} sgb_start_t;

static void sgb_trampoline(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sgb_start_t *st = sg_actor_self_get_data();
    sgb_actor_fn fn = st->fn;
    void *arg = st->arg;
    free(st);
    sg_actor_self_set_data(NULL);
    fn(arg);
}

void sgb_spawn(const char *name, sgb_host_t *host, sgb_actor_fn fn, void *arg, bool daemon)
{
    sgb_start_t *st = malloc(sizeof *st);
    st->fn = fn;
    st->arg = arg;
    sg_actor_t a = sg_actor_init(name, (sg_host_t)host);
    sg_actor_set_stacksize(a, SGB_STACK_KIB);
    sg_actor_set_data(a, st);
    sg_actor_start(a, sgb_trampoline, 0, NULL);
    if (daemon)
        sg_actor_daemonize(a);
}

sgb_actor_t *sgb_self(void)
{
    return (sgb_actor_t *)sg_actor_self();
}

void sgb_kill(sgb_actor_t *a)
{
    sg_actor_kill((sg_actor_t)a);
}

void sgb_link_set_bandwidth(const char *name, double byte_s)
{
    sg_link_t l = sg_link_by_name(name);
    assert(l && "link missing from the generated platform");
    sg_link_set_bandwidth(l, byte_s);
}

void sgb_run(double max_s)
{
    if (max_s > 0)
        simgrid_run_until(max_s);
    else
        simgrid_run();
}

double sgb_now(void)
{
    return simgrid_get_clock();
}

void sgb_sleep_until(double t_s)
{
    if (t_s - simgrid_get_clock() < SGB_MIN_WAIT_S)
        return;
    sgb_activities++;
    sg_actor_sleep_until(t_s);
}

void sgb_sleep_for(double dt_s)
{
    if (dt_s < SGB_MIN_WAIT_S)
        return;
    sgb_activities++;
    sg_actor_sleep_for(dt_s);
}

sgb_sem_t *sgb_sem_new(int initial)
{
    return (sgb_sem_t *)sg_sem_init(initial);
}

void sgb_sem_free(sgb_sem_t *s)
{
    sg_sem_destroy((sg_sem_t)s);
}

void sgb_sem_post(sgb_sem_t *s)
{
    sg_sem_release((sg_sem_t)s);
}

void sgb_sem_wait(sgb_sem_t *s)
{
    if (sg_sem_would_block((sg_sem_t)s))
        sgb_activities++;
    sg_sem_acquire((sg_sem_t)s);
}

bool sgb_sem_wait_for(sgb_sem_t *s, double timeout_s)
{
    if (timeout_s < SGB_MIN_WAIT_S)
        timeout_s = 0;
    if (sg_sem_would_block((sg_sem_t)s))
        sgb_activities++;
    return sg_sem_acquire_timeout((sg_sem_t)s, timeout_s) == 0;
}

void sgb_sem_drain(sgb_sem_t *s)
{
    while (!sg_sem_would_block((sg_sem_t)s))
        sg_sem_acquire((sg_sem_t)s);
}

void sgb_transfer(sgb_host_t *src, sgb_host_t *dst, double bytes)
{
    sgb_activities++;
    sg_host_sendto((sg_host_t)src, (sg_host_t)dst, bytes);
}

uint64_t sgb_activity_count(void)
{
    return sgb_activities;
}
