/* Vector of doubles and its statistics; see dvec.h. */
#include "sim/base/dvec.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"

void dvec_push(dvec_t *d, double x)
{
    kvt_grow(&d->v, &d->cap, d->n + 1, sizeof *d->v, 256);
    d->v[d->n++] = x;
}

void dvec_append(dvec_t *d, const dvec_t *src)
{
    kvt_grow(&d->v, &d->cap, d->n + src->n, sizeof *d->v, 256);
    if (src->n)
        memcpy(d->v + d->n, src->v, src->n * sizeof *d->v);
    d->n += src->n;
}

void dvec_free(dvec_t *d)
{
    free(d->v);
    memset(d, 0, sizeof *d);
}

double dvec_mean(const dvec_t *d)
{
    return d->n ? gsl_stats_mean(d->v, 1, d->n) : (double)NAN;
}

double dvec_quantile(dvec_t *d, double q)
{
    if (!d->n)
        return NAN;
    gsl_sort(d->v, 1, d->n);
    return gsl_stats_quantile_from_sorted_data(d->v, 1, d->n, q);
}

void dvec_quantiles(const dvec_t *d, const double *qs, size_t nq, double *out)
{
    if (!d->n) {
        for (size_t i = 0; i < nq; i++)
            out[i] = NAN;
        return;
    }
    double *s = kvt_malloc(d->n * sizeof *s);
    memcpy(s, d->v, d->n * sizeof *s);
    gsl_sort(s, 1, d->n);
    for (size_t i = 0; i < nq; i++)
        out[i] = gsl_stats_quantile_from_sorted_data(s, 1, d->n, qs[i]);
    free(s);
}
