/* A growable vector of doubles with the summary statistics every report uses: mean and quantiles by
 * linear interpolation between order statistics (GSL's definition, as numpy's default). */
#ifndef KVTWIN_BASE_DVEC_H
#define KVTWIN_BASE_DVEC_H

#include <stddef.h>

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec_t;

void dvec_push(dvec_t *d, double x);
void dvec_append(dvec_t *d, const dvec_t *src);
void dvec_free(dvec_t *d);
/* NAN when empty. */
double dvec_mean(const dvec_t *d);
/* Sorts d in place, then the q-quantile (q in [0, 1]); NAN when empty. */
double dvec_quantile(dvec_t *d, double q);
/* Quantiles qs[0..nq) of a sorted copy of d into out (d unchanged); NAN each when empty. */
void dvec_quantiles(const dvec_t *d, const double *qs, size_t nq, double *out);

#endif
