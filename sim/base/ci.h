/* Confidence intervals of a mean over independent replicates (runs with different seeds): Student's t,
 * two-sided. Used by `kvtwin run --replicates` and reusable by studies. */
#ifndef KVTWIN_BASE_CI_H
#define KVTWIN_BASE_CI_H

#include <stddef.h>

typedef struct kvt_ci {
    size_t n; /* finite samples used (NaN ones are skipped) */
    double mean;
    double sd;   /* sample standard deviation (n - 1); 0 when n < 2 */
    double half; /* half-width of the interval: mean +- half; NaN when n < 2 */
} kvt_ci_t;

/* Mean and two-sided `level` (e.g. 0.95) t-interval of x[0..n). */
kvt_ci_t kvt_ci_t_interval(const double *x, size_t n, double level);

#endif
