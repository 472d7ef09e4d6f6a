/* Wall-clock helpers of the program: a progress line on stderr and a monotonic clock for timing lines and
 * benchmarks. Never used for simulated time or seeds. */
#ifndef KVTWIN_BASE_PROGRESS_H
#define KVTWIN_BASE_PROGRESS_H

#include <stdbool.h>

/* A progress line on stderr, redrawn in place, shown only when stderr is a terminal and not quiet. */
typedef struct progress {
    bool enabled;
    double last_wall_s;
    double start_wall_s;
} progress_t;

void progress_init(progress_t *p, bool quiet);
/* fraction in [0, 1] (or < 0 if unknown) drives the ETA; text is the rest of the line. */
void progress_update(progress_t *p, double fraction, const char *text);
void progress_done(progress_t *p);

/* Monotonic wall-clock seconds, for progress and benchmarks (never for simulated time or seeds). */
double wall_clock_s(void);

#endif
