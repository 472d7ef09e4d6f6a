/* Progress line and wall clock; see progress.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/base/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double wall_clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(progress_t *p, bool quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->start_wall_s = wall_clock_s();
    p->last_wall_s = 0;
}

void progress_update(progress_t *p, double fraction, const char *text)
{
    if (!p->enabled)
        return;
    double now = wall_clock_s();
    if (now - p->last_wall_s < 0.2)
        return;
    p->last_wall_s = now;
    double elapsed = now - p->start_wall_s;
    char eta[32] = "ETA --";
    if (fraction > 0.01 && fraction <= 1.0)
        snprintf(eta, sizeof eta, "ETA %.0fs", elapsed * (1.0 - fraction) / fraction);
    fprintf(stderr, "\r\033[K%s  %s", text, eta);
    fflush(stderr);
}

void progress_done(progress_t *p)
{
    if (p->enabled && p->last_wall_s > 0) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}
