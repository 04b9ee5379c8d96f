#include "num/stats.h"

#include <math.h>
#include <stdbool.h>

#include "base/err.h"
#include "num/special.h"

/* ------------------------------------------------------------------------ */
/* Tally                                                                     */

void gm_tally_init(gm_tally *t)
{
    t->n = 0;
    t->mean = 0;
    t->m2 = 0;
    t->min = HUGE_VAL;
    t->max = -HUGE_VAL;
}

void gm_tally_add(gm_tally *t, double x)
{
    t->n++;
    double d = x - t->mean;
    t->mean += d / (double)t->n;
    t->m2 += d * (x - t->mean);
    if (x < t->min)
        t->min = x;
    if (x > t->max)
        t->max = x;
}

void gm_tally_merge(gm_tally *into, const gm_tally *other)
{
    if (other->n == 0)
        return;
    if (into->n == 0) {
        *into = *other;
        return;
    }
    double na = (double)into->n, nb = (double)other->n, n = na + nb;
    double delta = other->mean - into->mean;
    into->mean += delta * (nb / n);
    into->m2 += other->m2 + delta * delta * (na / n) * nb;
    into->n += other->n;
    if (other->min < into->min)
        into->min = other->min;
    if (other->max > into->max)
        into->max = other->max;
}

double gm_tally_var(const gm_tally *t)
{
    return t->n < 2 ? 0.0 : t->m2 / (double)(t->n - 1);
}

double gm_tally_sd(const gm_tally *t)
{
    return sqrt(gm_tally_var(t));
}

/* ------------------------------------------------------------------------ */
/* Confidence intervals                                                      */

static bool level_ok(double level)
{
    return level > 0 && level < 1;
}

static void fill_ci(gm_ci *out, uint64_t n, double mean, double sd, double level)
{
    double t = gm_t_quantile(0.5 + 0.5 * level, (double)(n - 1));
    out->n = n;
    out->mean = mean;
    out->sd = sd;
    out->half = t * sd / sqrt((double)n);
    out->lo = mean - out->half;
    out->hi = mean + out->half;
}

int gm_ci_mean(const double *x, size_t n, double level, gm_ci *out)
{
    if (!x || n < 2 || !level_ok(level) || !out)
        return GM_EINVAL;
    /* Two passes: exact enough for data with a large common offset. */
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += (x[i] - mean) / (double)(i + 1);
    double ss = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        ss += d * d;
        c += d; /* rounding in the mean; removed below */
    }
    double var = (ss - c * c / (double)n) / (double)(n - 1);
    fill_ci(out, n, mean, sqrt(var > 0 ? var : 0), level);
    return GM_OK;
}
