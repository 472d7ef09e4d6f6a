/* The thin layer between kvtwin and SimGrid (3.32 C API). Nothing else includes SimGrid headers, so API
 * changes in later SimGrid versions stay here. It also counts the SimGrid activities kvtwin creates, for
 * the benchmarks' events-per-second figure. */
#ifndef KVTWIN_SGB_H
#define KVTWIN_SGB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sgb_host sgb_host_t;   /* a SimGrid host */
typedef struct sgb_sem sgb_sem_t;     /* a SimGrid semaphore */
typedef struct sgb_actor sgb_actor_t; /* a SimGrid actor */

/* Initialises SimGrid with kvtwin's network settings (CM02, no cross-traffic, huge TCP-gamma: a transfer
 * takes latency + bytes / bandwidth, shared max-min). sg_argv carries --cfg=/--log= options through.
 * Must be called once per process, before sgb_load_platform. */
void sgb_init(int *sg_argc, char **sg_argv);
/* Loads a platform XML file. */
void sgb_load_platform(const char *xml_path);

sgb_host_t *sgb_host(const char *name);

typedef void (*sgb_actor_fn)(void *arg);
/* Starts a long-lived actor with a small stack. Daemons are killed when the last non-daemon actor ends. */
void sgb_spawn(const char *name, sgb_host_t *host, sgb_actor_fn fn, void *arg, bool daemon);

/* The calling actor. */
sgb_actor_t *sgb_self(void);
/* Kills another actor: the activity it is blocked in (a transfer, a sleep) is cancelled and its share of
 * the links freed at once (fault injection: a transfer in flight on a failed part). */
void sgb_kill(sgb_actor_t *a);

/* Sets a link's capacity in bytes/s by its SimGrid name (one direction of a SPLITDUPLEX link is NAME_UP or
 * NAME_DOWN); the flows in progress on it are reshared at once. */
void sgb_link_set_bandwidth(const char *name, double byte_s);

/* Runs the simulation until every non-daemon actor ends, or until max_s of simulated time if max_s > 0. */
void sgb_run(double max_s);

double sgb_now(void);
void sgb_sleep_until(double t_s);
void sgb_sleep_for(double dt_s);

sgb_sem_t *sgb_sem_new(int initial);
void sgb_sem_free(sgb_sem_t *s);
void sgb_sem_post(sgb_sem_t *s);
void sgb_sem_wait(sgb_sem_t *s);
/* Waits up to timeout_s; returns true if posted, false on timeout. */
bool sgb_sem_wait_for(sgb_sem_t *s, double timeout_s);
/* Consumes every pending post without blocking. */
void sgb_sem_drain(sgb_sem_t *s);

/* Moves bytes from src to dst over the platform's route, blocking the calling actor (no receiver). */
void sgb_transfer(sgb_host_t *src, sgb_host_t *dst, double bytes);

/* SimGrid activities created so far (sleeps, semaphore waits that blocked, transfers). */
uint64_t sgb_activity_count(void);

#endif
