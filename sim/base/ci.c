/* Student-t confidence intervals of a mean; see ci.h. half = t_{(1+level)/2, n-1} * sd / sqrt(n). */
#include "sim/base/ci.h"

#include <assert.h>
#include <math.h>

#include <gsl/gsl_cdf.h>

kvt_ci_t kvt_ci_t_interval(const double *x, size_t n, double level)
{
    assert(level > 0 && level < 1);
    kvt_ci_t c = {0, NAN, 0, NAN};
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            sum += x[i];
            c.n++;
        }
    if (c.n == 0)
        return c;
    c.mean = sum / (double)c.n;
    if (c.n < 2)
        return c;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            ss += (x[i] - c.mean) * (x[i] - c.mean);
    c.sd = sqrt(ss / (double)(c.n - 1));
    c.half = gsl_cdf_tdist_Pinv(0.5 + level / 2, (double)(c.n - 1)) * c.sd / sqrt((double)c.n);
    return c;
}
