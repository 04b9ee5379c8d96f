#include "num/stats.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

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
/* Time average                                                              */

void gm_timeavg_init(gm_timeavg *a, double t0, double value)
{
    a->t_start = t0;
    a->t_last = t0;
    a->value = value;
    a->area = 0;
    a->max = value;
}

void gm_timeavg_set(gm_timeavg *a, double t, double value)
{
    if (t > a->t_last) {
        a->area += a->value * (t - a->t_last);
        a->t_last = t;
    }
    a->value = value;
    if (value > a->max)
        a->max = value;
}

void gm_timeavg_reset(gm_timeavg *a, double t)
{
    if (t < a->t_last)
        t = a->t_last;
    gm_timeavg_init(a, t, a->value);
}

double gm_timeavg_mean(const gm_timeavg *a, double t_now)
{
    double span = t_now - a->t_start;
    if (!(span > 0))
        return a->value;
    double area = a->area;
    if (t_now > a->t_last)
        area += a->value * (t_now - a->t_last);
    return area / span;
}

/* ------------------------------------------------------------------------ */
/* P-squared                                                                 */

void gm_p2_init(gm_p2 *q, double p)
{
    memset(q, 0, sizeof *q);
    if (isnan(p))
        p = 0.5;
    p = p < 0 ? 0 : (p > 1 ? 1 : p);
    q->p = p;
    /* Markers at the minimum, p/2, p, (1+p)/2 and the maximum. */
    const double want[5] = {1, 1 + 2 * p, 1 + 4 * p, 3 + 2 * p, 5};
    const double inc[5] = {0, p / 2, p, (1 + p) / 2, 1};
    for (int i = 0; i < 5; i++) {
        q->pos[i] = i + 1;
        q->want[i] = want[i];
        q->inc[i] = inc[i];
    }
}

/* Piecewise-parabolic (P^2) prediction of marker i moved by d = +-1. */
static double p2_parabolic(const gm_p2 *q, int i, double d)
{
    const double *h = q->q, *n = q->pos;
    return h[i] + d / (n[i + 1] - n[i - 1]) *
                      ((n[i] - n[i - 1] + d) * (h[i + 1] - h[i]) / (n[i + 1] - n[i]) +
                       (n[i + 1] - n[i] - d) * (h[i] - h[i - 1]) / (n[i] - n[i - 1]));
}

void gm_p2_add(gm_p2 *q, double x)
{
    if (q->count < 5) {
        /* Insertion into the sorted first five. */
        int i = (int)q->count;
        while (i > 0 && q->q[i - 1] > x) {
            q->q[i] = q->q[i - 1];
            i--;
        }
        q->q[i] = x;
        q->count++;
        return;
    }
    q->count++;
    int k; /* the cell q[k] <= x < q[k+1] */
    if (x < q->q[0]) {
        q->q[0] = x;
        k = 0;
    } else if (x >= q->q[4]) {
        q->q[4] = x;
        k = 3;
    } else {
        k = 0;
        while (k < 3 && x >= q->q[k + 1])
            k++;
    }
    for (int i = k + 1; i < 5; i++)
        q->pos[i] += 1;
    for (int i = 0; i < 5; i++)
        q->want[i] += q->inc[i];
    /* Move the middle markers towards their desired positions, by one
       position at most, parabolically when that keeps the heights
       ordered, else linearly. */
    for (int i = 1; i <= 3; i++) {
        double d = q->want[i] - q->pos[i];
        if ((d >= 1 && q->pos[i + 1] - q->pos[i] > 1) ||
            (d <= -1 && q->pos[i - 1] - q->pos[i] < -1)) {
            double s = d > 0 ? 1.0 : -1.0;
            double h = p2_parabolic(q, i, s);
            if (!(q->q[i - 1] < h && h < q->q[i + 1])) {
                int j = i + (int)s;
                h = q->q[i] + s * (q->q[j] - q->q[i]) / (q->pos[j] - q->pos[i]);
            }
            q->q[i] = h;
            q->pos[i] += s;
        }
    }
}

double gm_p2_value(const gm_p2 *q)
{
    if (q->count == 0)
        return (double)NAN;
    if (q->count < 5) {
        double at = q->p * (double)(q->count - 1);
        int i = (int)at;
        if (i >= (int)q->count - 1)
            return q->q[q->count - 1];
        return q->q[i] + (at - i) * (q->q[i + 1] - q->q[i]);
    }
    if (q->p <= 0)
        return q->q[0];
    if (q->p >= 1)
        return q->q[4];
    return q->q[2];
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

int gm_ci_from_tally(const gm_tally *t, double level, gm_ci *out)
{
    if (!t || t->n < 2 || !level_ok(level) || !out)
        return GM_EINVAL;
    fill_ci(out, t->n, t->mean, gm_tally_sd(t), level);
    return GM_OK;
}

/* ------------------------------------------------------------------------ */
/* Batch means                                                               */

void gm_bm_init(gm_batchmeans *b, unsigned nbatches)
{
    memset(b, 0, sizeof *b);
    if (nbatches == 0)
        nbatches = 20;
    if (nbatches < 2)
        nbatches = 2;
    if (nbatches > GM_BM_MAX_BATCHES)
        nbatches = GM_BM_MAX_BATCHES;
    b->k = nbatches;
    b->size = 1;
}

void gm_bm_add(gm_batchmeans *b, double x)
{
    b->n++;
    /* Neumaier's compensated sum: a batch may hold billions of values. */
    double t = b->cur_sum + x;
    if (fabs(b->cur_sum) >= fabs(x))
        b->cur_c += (b->cur_sum - t) + x;
    else
        b->cur_c += (x - t) + b->cur_sum;
    b->cur_sum = t;
    if (++b->cur_n < b->size)
        return;
    b->mean[b->full++] = (b->cur_sum + b->cur_c) / (double)b->size;
    b->cur_n = 0;
    b->cur_sum = b->cur_c = 0;
    if (b->full == 2 * b->k) {
        /* Merge neighbours: k batches of twice the size. */
        for (unsigned i = 0; i < b->k; i++)
            b->mean[i] = 0.5 * b->mean[2 * i] + 0.5 * b->mean[2 * i + 1];
        b->full = b->k;
        b->size *= 2;
    }
}

int gm_bm_ci(const gm_batchmeans *b, double level, gm_ci *out)
{
    if (!b || b->full < 2 || !level_ok(level) || !out)
        return GM_EINVAL;
    return gm_ci_mean(b->mean, b->full, level, out);
}
