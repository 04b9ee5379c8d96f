#include "num/special.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>

#define LN_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define LN_2PI 1.8378770664093454836
#define SQRT_2PI 2.5066282746310005024
#define INV_SQRT_PI 0.56418958354775628695
#define FPMIN 1e-300 /* Lentz's guard against a zero denominator */

/* One step of the modified Lentz algorithm for a continued fraction
   ... + a/(b + ...): updates the running ratios c and d and returns the
   factor by which the convergent changes (1 when it has converged). */
static inline double lentz_step(double a, double b, double *c, double *d)
{
    *d = b + a * *d;
    if (fabs(*d) < FPMIN)
        *d = FPMIN;
    *c = b + a / *c;
    if (fabs(*c) < FPMIN)
        *c = FPMIN;
    *d = 1 / *d;
    return *c * *d;
}
#define CF_EPS 1e-16

double gm_lgamma(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

static double clamp01(double v)
{
    return v < 0 ? 0.0 : (v > 1 ? 1.0 : v);
}

/* ------------------------------------------------------------------------ */
/* Loader's building blocks                                                  */

/*
 * stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n) for real n > 0, the
 * error of Stirling's formula. Above 15 its asymptotic series is exact to
 * double precision with the terms used; below, lgamma is accurate enough
 * because the quantities subtracted are small.
 */
static double stirlerr(double n)
{
    const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680,
                 s4 = 1.0 / 1188;
    if (n > 15.0) {
        double nn = n * n;
        if (n > 500)
            return (s0 - s1 / nn) / n;
        if (n > 80)
            return (s0 - (s1 - s2 / nn) / nn) / n;
        if (n > 35)
            return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
        return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
    }
    if (n == floor(n) && n >= 1) {
        /* Exact values (40-digit arithmetic) for the integers the discrete
           samplers hit most: no lgamma call, no cancellation. */
        static const double table[15] = {
            0.08106146679532725822,  0.041340695955409294094, 0.027677925684998339149,
            0.020790672103765093112, 0.016644691189821192163, 0.013876128823070747999,
            0.011896709945891770095, 0.010411265261972096497, 0.0092554621827127329177,
            0.0083305634333628712565, 0.007573675487951840795, 0.0069428401072095298657,
            0.0064089941880042070684, 0.0059513701127588477356, 0.005554733551962801371,
        };
        return table[(int)n - 1];
    }
    return gm_lgamma(n + 1.0) - (n + 0.5) * log(n) + n - LN_SQRT_2PI;
}

/*
 * bd0(x, m) = x log(x/m) + m - x >= 0, the deviance term. Near x = m the
 * direct formula cancels catastrophically; the series in v = (x-m)/(x+m)
 * (from log((1+v)/(1-v)) = 2(v + v^3/3 + ...)) does not.
 */
static double bd0(double x, double m)
{
    if (x == 0)
        return m;
    if (fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double ej = 2 * x * v;
        v *= v;
        for (int j = 1; j < 1000; j++) {
            ej *= v;
            double s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return x * log(x / m) + m - x;
}

/* m^x e^-m / Gamma(x + 1) for real x >= 0, m >= 0. */
static double dpois_raw(double x, double m)
{
    if (m == 0)
        return x == 0 ? 1.0 : 0.0;
    if (isinf(m))
        return 0.0;
    if (x == 0)
        return exp(-m);
    if (x < 1) /* the saddle-point form would scale by 1/sqrt(x); direct is exact here */
        return exp(x * log(m) - m - gm_lgamma(x + 1));
    return exp(-stirlerr(x) - bd0(x, m)) / sqrt(2 * M_PI * x);
}

/*
 * Gamma(k+j+1) / (Gamma(k+1) Gamma(j+1)) p^k q^j, for real k, j > 0 and
 * p + q = 1 (both passed, so that neither is computed as 1 minus the other).
 * n = k + j is passed separately from k and j: when k >> j it rounds, and
 * the small one must stay exact.
 */
static double dbinom_raw(double k, double j, double p, double q)
{
    double n = k + j;
    double lc = stirlerr(n) - stirlerr(k) - stirlerr(j) - bd0(k, n * p) - bd0(j, n * q);
    double lf = LN_2PI + log(k) + log(j) - log(n);
    return exp(lc - 0.5 * lf);
}

/* ------------------------------------------------------------------------ */
/* Incomplete gamma                                                          */

/* Iteration cap: both expansions need O(sqrt(a)) terms near x = a. Past
   a ~ 2e9 the cap (a few milliseconds) bounds the time and costs accuracy
   near the mean: the documented limit of these functions. */
#define MAX_ITERATIONS 1000000.0

static long gamma_maxit(double a)
{
    return (long)fmin(200 + 20 * sqrt(a), MAX_ITERATIONS);
}

/* P(a, x) by its series; for x < a + 1. */
static double gamma_p_series(double a, double x)
{
    double pre = dpois_raw(a, x);
    if (pre == 0)
        return 0.0;
    double sum = 1, term = 1;
    long maxit = gamma_maxit(a);
    for (long n = 1; n < maxit; n++) {
        term *= x / (a + (double)n);
        sum += term;
        if (term < sum * CF_EPS)
            break;
    }
    return pre * sum;
}

/* Q(a, x) by its continued fraction (modified Lentz); for x >= a + 1. */
static double gamma_q_cf(double a, double x)
{
    double pre = a * dpois_raw(a, x); /* x^a e^-x / Gamma(a) */
    if (pre == 0)
        return 0.0;
    /* x - a first: exact when x is close to a, so b >= 1 even where a + 1
       rounds to a */
    double b = (x - a) + 1, c = 1 / FPMIN, d = 1 / b, h = d;
    long maxit = gamma_maxit(a);
    for (long i = 1; i < maxit; i++) {
        double an = -(double)i * ((double)i - a);
        b += 2;
        double del = lentz_step(an, b, &c, &d);
        h *= del;
        if (fabs(del - 1) < CF_EPS)
            break;
    }
    return pre * h;
}

/* Both tails at once: *p = P(a, x), *q = Q(a, x), the smaller one direct. */
static void gamma_pq(double a, double x, double *p, double *q)
{
    if (a > 1e20) {
        /* Wilson-Hilferty: (x/a)^(1/3) is normal with mean 1 - 1/(9a) and
           variance 1/(9a), to O(1/a): below double precision here. */
        double s = sqrt(1 / (9 * a));
        double z = (cbrt(x / a) - (1 - 1 / (9 * a))) / s;
        *p = gm_normal_cdf(z);
        *q = gm_normal_sf(z);
        return;
    }
    if (x == 0) {
        *p = 0, *q = 1;
    } else if (isinf(x)) {
        *p = 1, *q = 0;
    } else if (x < a + 1) {
        *p = gamma_p_series(a, x);
        *q = 1 - *p;
    } else {
        *q = gamma_q_cf(a, x);
        *p = 1 - *q;
    }
    /* Rounding (or the iteration cap, for absurd a) must not leave [0, 1]. */
    *p = clamp01(*p);
    *q = clamp01(*q);
}

double gm_gamma_p(double a, double x)
{
    if (!(a > 0) || !(x >= 0) || isinf(a))
        return (double)NAN;
    double p, q;
    gamma_pq(a, x, &p, &q);
    return p;
}

double gm_gamma_q(double a, double x)
{
    if (!(a > 0) || !(x >= 0) || isinf(a))
        return (double)NAN;
    double p, q;
    gamma_pq(a, x, &p, &q);
    return q;
}

/* ------------------------------------------------------------------------ */
/* Safeguarded Newton iteration in log space                                 */

/*
 * Solve g(u) = 0 for a monotone g (increasing when rising, else decreasing),
 * starting at u. eval returns g(u) and sets *dg to g'(u) (possibly not
 * finite). A bracket of the root is kept; a Newton step that leaves it, or
 * is not finite, is replaced by bisection (or by a step of 2 while one side
 * is still open). The quantiles below work in u = log x, where log-CDFs are
 * nearly linear in both tails, so Newton converges in a few steps.
 */
typedef double (*root_fn)(double u, const void *ctx, double *dg);

static double solve_monotone(root_fn eval, const void *ctx, double u, bool rising)
{
    double lo = -HUGE_VAL, hi = HUGE_VAL;
    for (int it = 0; it < 300; it++) {
        double dg;
        double g = eval(u, ctx, &dg);
        if (g == 0)
            return u;
        if (isnan(g))
            return (double)NAN;
        bool past = rising ? g > 0 : g < 0; /* u is beyond the root */
        if (past)
            hi = u;
        else
            lo = u;
        double un = u - g / dg;
        if (!isfinite(un) || !(un > lo && un < hi)) {
            if (isfinite(lo) && isfinite(hi))
                un = 0.5 * (lo + hi);
            else
                un = past ? u - 2 : u + 2;
        }
        double tol = 1e-15 * fmax(1.0, fabs(u));
        if (fabs(un - u) <= tol || (isfinite(lo) && isfinite(hi) && hi - lo <= tol))
            return un;
        u = un;
    }
    return u;
}

typedef struct gamma_inv_ctx {
    double a, logt; /* target: log P (lower) or log Q (upper) */
    bool lower;
} gamma_inv_ctx;

static double gamma_inv_eval(double u, const void *vctx, double *dg)
{
    const gamma_inv_ctx *c = vctx;
    double x = exp(u), p, q;
    gamma_pq(c->a, x, &p, &q);
    double f = c->lower ? p : q;
    double dens = c->a * dpois_raw(c->a, x); /* x * density at x */
    *dg = (c->lower ? dens : -dens) / f;
    return log(f) - c->logt;
}

double gm_gamma_p_inv(double a, double p)
{
    if (!(a > 0) || isinf(a) || !(p >= 0 && p <= 1))
        return (double)NAN;
    if (p == 0)
        return 0.0;
    if (p == 1)
        return HUGE_VAL;
    gamma_inv_ctx c = {.a = a, .lower = p <= 0.5};
    c.logt = c.lower ? log(p) : log1p(-p);
    /* Start: Wilson-Hilferty where it is positive, else the small-x
       behaviour P ~ x^a / Gamma(a+1). */
    double z = gm_normal_quantile(p), x0;
    double w = 1 - 1 / (9 * a) + z / (3 * sqrt(a));
    if (w > 0.05)
        x0 = a * w * w * w;
    else
        x0 = exp((log(p) + gm_lgamma(a + 1)) / a);
    if (!(x0 > 0) || !isfinite(x0))
        x0 = a;
    double u = solve_monotone(gamma_inv_eval, &c, log(x0), c.lower);
    return exp(u);
}

/* ------------------------------------------------------------------------ */
/* Incomplete beta                                                           */

/* Continued fraction for I_x(a, b) (Numerical Recipes' betacf, modified
   Lentz); converges fast for x < (a+1)/(a+b+2). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - (qab * x) / qap;
    if (fabs(d) < FPMIN)
        d = FPMIN;
    d = 1 / d;
    double h = d;
    double m_max = fmin(200 + 20 * sqrt(fmax(a, b)), MAX_ITERATIONS);
    for (double m = 1; m < m_max; m++) {
        double m2 = 2 * m;
        /* ratios first: (a+m)(a+b+m) alone overflows for shape
           parameters beyond 1e154 */
        double aa = m * ((b - m) * x / (qam + m2)) / (a + m2);
        h *= lentz_step(aa, 1, &c, &d);
        aa = -((a + m) / (a + m2)) * ((qab + m) * x / (qap + m2));
        double del = lentz_step(aa, 1, &c, &d);
        h *= del;
        if (fabs(del - 1) < CF_EPS)
            break;
    }
    return h;
}

/* I_x(a, b) evaluated by the continued fraction on this side. The prefactor
   x^a y^b / (a B(a, b)) is b/(a+b) times a binomial probability. */
static double beta_side(double a, double b, double x, double y)
{
    double pre = b / (a + b) * dbinom_raw(a, b, x, y);
    if (pre == 0)
        return 0.0;
    return pre * beta_cf(a, b, x);
}

/* The hypergeometric series I_x(a, b) = x^a y^b / (a B(a, b)) *
   sum_n (a+b)_n / (a+1)_n x^n. Its terms peak near n = (a+b) x, so it is
   fast exactly where the continued fraction is slow: a small parameter a
   against a large b, with (a+b) x moderate. */
static double beta_series(double a, double b, double x, double y)
{
    double pre = b / (a + b) * dbinom_raw(a, b, x, y);
    if (pre == 0)
        return 0.0;
    double sum = 1, term = 1;
    for (double n = 0; n < MAX_ITERATIONS; n++) {
        double ratio = (a + b + n) * x / (a + 1 + n);
        term *= ratio;
        sum += term;
        if (ratio < 1 && term < sum * CF_EPS)
            break;
    }
    return pre * sum;
}

/*
 * I_x(a, b) for a large parameter a (>= 2000), a small b (<= 10) and x near 1
 * (y <= 0.3), where the continued fraction loses about a * eps to
 * cancellation. With u = -log(t), 1 - I_x(a, b) is an integral of
 * u^(b-1) e^(-a u) g(u) where g(u) = ((1 - e^-u)/u)^(b-1) is smooth; expanding
 * g = sum c_k u^k turns I_x(a, b) into incomplete gamma functions:
 *
 *   I_x(a, b) = Gamma(a+b) / (Gamma(a) a^b) *
 *               sum_k c_k (b)_k Q(b + k, a u0) / a^k,   u0 = -log x,
 *
 * (Didonato and Morris's BGRAT idea). Successive terms shrink like
 * (b + k) / a near the mean and like u0 / (2 pi) in the tail.
 */
static double beta_large_a(double a, double b, double y)
{
    /* log g = (b-1) [-u/2 + log(sinh(u/2)/(u/2))], the second term's series
       sum_n 2^(2n) B_2n (u/2)^(2n) / (2n (2n)!). */
    static const double sinhc[6] = {1.0 / 6, -1.0 / 180, 1.0 / 2835, -1.0 / 37800,
                                    1.0 / 467775, -691.0 / 3831077250.0};
    enum { K = 40 };
    double alpha[K + 1] = {0}, c[K + 1];
    alpha[1] = -(b - 1) / 2;
    for (int n = 1; n <= 6; n++)
        alpha[2 * n] = (b - 1) * sinhc[n - 1] / ldexp(1.0, 2 * n);
    /* c = exp(sum alpha_k u^k) by the power-series exponential recurrence. */
    c[0] = 1;
    for (int n = 1; n <= K; n++) {
        double s = 0;
        for (int k = 1; k <= n && k <= 12; k++)
            s += k * alpha[k] * c[n - k];
        c[n] = s / n;
    }
    double u0 = -log1p(-y), z = a * u0;
    double lpre = (a + b - 0.5) * log1p(b / a) - b + stirlerr(a + b) - stirlerr(a);
    double sum = 0, rising = 1; /* (b)_k / a^k */
    for (int k = 0; k <= K; k++) {
        double p, q;
        gamma_pq(b + k, z, &p, &q);
        double term = c[k] * rising * q;
        sum += term;
        if (fabs(term) < fabs(sum) * CF_EPS && k > 1)
            break;
        rising *= (b + k) / a;
    }
    return exp(lpre) * sum;
}

/* I_x(a, b) with y = 1 - x given exactly by the caller; see beta_inc2. */
static double beta_inc_raw(double a, double b, double x, double y)
{
    if (x <= 0)
        return 0.0;
    if (y <= 0)
        return 1.0;
    /*
     * One small and one large parameter (Student t with many degrees of
     * freedom, binomial tails): near the mean the continued fraction needs
     * O(sqrt(b)) terms and loses about b * eps to cancellation. There the
     * series on the small parameter's side converges in O((a+b) x) terms,
     * and the large-parameter expansion covers what the series cannot
     * give to full relative accuracy (an answer close to 1, whose
     * complement is wanted).
     */
    if (a <= 10 && b >= 50 && x <= 0.5) {
        if ((a + b) * x <= 1000) {
            double s = beta_series(a, b, x, y);
            if (s <= 0.9)
                return s;
        }
        if (b >= 2000 && x <= 0.3)
            return 1 - beta_large_a(b, a, x);
    }
    if (b <= 10 && a >= 50 && y <= 0.5) {
        if (a >= 2000 && y <= 0.3)
            return beta_large_a(a, b, y);
        if ((a + b) * y <= 1000) {
            /* keeps 13 digits while the answer 1 - c >= 1e-3; smaller
               answers lie far below the mean, where the continued
               fraction converges fast */
            double c = beta_series(b, a, y, x);
            if (c <= 0.999)
                return 1 - c;
        }
    }
    if (x > (a + 1) / (a + b + 2))
        return 1 - beta_side(b, a, y, x);
    return beta_side(a, b, x, y);
}

static double beta_inc2(double a, double b, double x, double y)
{
    return clamp01(beta_inc_raw(a, b, x, y));
}

double gm_beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || isinf(a) || isinf(b) || !(x >= 0 && x <= 1))
        return (double)NAN;
    return beta_inc2(a, b, x, 1 - x);
}

/* ------------------------------------------------------------------------ */
/* Normal                                                                    */

double gm_erfcx(double x)
{
    if (!(x >= 0))
        return (double)NAN;
    if (x < 4)
        return exp(x * x) * erfc(x);
    if (isinf(x))
        return 0.0;
    /* Laplace's continued fraction erfc(x) = exp(-x^2)/sqrt(pi) *
       1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by modified Lentz. */
    double f = x, c = x, d = 0;
    for (int n = 1; n < 500; n++) {
        double del = lentz_step(0.5 * n, x, &c, &d);
        f *= del;
        if (fabs(del - 1) < CF_EPS)
            break;
    }
    return INV_SQRT_PI / f;
}

/*
 * Q(ax) = P(Z > ax) for ax >= 0. erfc(ax / sqrt 2) inherits the rounding of
 * the product ax / sqrt 2 amplified by ax^2 (3e-13 relative at ax = 37);
 * in the far tail Q(ax) = exp(-ax^2/2) erfcx(ax/sqrt 2) / 2 instead, with
 * ax^2 split exactly into hi + lo (fma), so that only erfcx, which varies
 * slowly, sees a rounded argument.
 */
static double normal_upper(double ax)
{
    if (!(ax > 5.7))
        return 0.5 * erfc(ax * M_SQRT1_2);
    if (isinf(ax))
        return 0.0;
    double hi = ax * ax, lo = fma(ax, ax, -hi);
    return 0.5 * exp(-0.5 * hi) * exp(-0.5 * lo) * gm_erfcx(ax * M_SQRT1_2);
}

double gm_normal_cdf(double x)
{
    return x < 0 ? normal_upper(-x) : 1 - normal_upper(x);
}

double gm_normal_sf(double x)
{
    return x > 0 ? normal_upper(x) : 1 - normal_upper(-x);
}

/* Acklam's rational approximation (relative error < 1.15e-9) for p <= 0.5,
   returning x <= 0. */
static double acklam_lower(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double gm_normal_quantile(double p)
{
    if (!(p >= 0 && p <= 1))
        return (double)NAN;
    if (p == 0)
        return -HUGE_VAL;
    if (p == 1)
        return HUGE_VAL;
    /* Work in the lower tail, where p is exact; 1 - p is exact for p >= 0.5. */
    bool upper = p > 0.5;
    double t = upper ? 1 - p : p;
    double x = acklam_lower(t);
    /* One Halley step on Phi(x) - t: cubic convergence takes the 1e-9 of the
       approximation to the accuracy of erfc. */
    double dens = exp(-0.5 * x * x) / SQRT_2PI;
    if (dens > 0 && t >= DBL_MIN) {
        double e = gm_normal_cdf(x) - t;
        double u = e / dens;
        x = x - u / (1 + 0.5 * x * u);
    }
    return upper ? -x : x;
}

/* ------------------------------------------------------------------------ */
/* Student t                                                                 */

/* P(T > t) for t >= 0: 0.5 I_x(df/2, 1/2) with x = df/(df + t^2). */
static double t_upper(double t, double df)
{
    if (isinf(t))
        return 0.0;
    if (t == 0)
        return 0.5;
    double r = df / t / t; /* df / t^2 without overflowing t^2 */
    return 0.5 * beta_inc2(0.5 * df, 0.5, r / (1 + r), 1 / (1 + r));
}

/* P(0 < T < t) for t >= 0: 0.5 I_y(1/2, df/2) with y = t^2/(df + t^2). */
static double t_center(double t, double df)
{
    if (isinf(t))
        return 0.5;
    if (t == 0)
        return 0.0;
    double r = df / t / t;
    return 0.5 * beta_inc2(0.5, 0.5 * df, 1 / (1 + r), r / (1 + r));
}

/* log of the t density's constant 1/(sqrt(df) B(df/2, 1/2)). For large df
   the lgamma difference is formed from Stirling remainders, without the
   cancellation of two huge lgamma values. */
static double t_log_const(double df)
{
    double a = 0.5 * df, lr;
    if (a < 10) {
        lr = gm_lgamma(a + 0.5) - gm_lgamma(a);
    } else {
        /* lgamma(z) = (z - 1/2) log z - z + log sqrt(2 pi) + stirlerr(z) at
           z = a + 1/2 and z = a, subtracted by hand. */
        lr = a * log1p(0.5 / a) - 0.5 + 0.5 * log(a) + stirlerr(a + 0.5) - stirlerr(a);
    }
    return lr - 0.5 * log(M_PI) - 0.5 * log(df);
}

static double t_log_pdf(double t, double df, double lconst)
{
    return lconst - 0.5 * (df + 1) * log1p(t / df * t);
}

typedef struct t_inv_ctx {
    double df, lconst, logt;
    bool center; /* solve P(0 < T < t) = target, else P(T > t) = target */
} t_inv_ctx;

static double t_inv_eval(double u, const void *vctx, double *dg)
{
    const t_inv_ctx *c = vctx;
    double t = exp(u);
    double f = c->center ? t_center(t, c->df) : t_upper(t, c->df);
    double dens = exp(t_log_pdf(t, c->df, c->lconst) + u); /* t * pdf(t) */
    *dg = (c->center ? dens : -dens) / f;
    return log(f) - c->logt;
}

double gm_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return (double)NAN;
    if (isinf(df))
        return gm_normal_cdf(t);
    if (t == 0)
        return 0.5;
    double tail = t_upper(fabs(t), df);
    return t > 0 ? 1 - tail : tail;
}

double gm_t_quantile(double p, double df)
{
    if (!(p >= 0 && p <= 1) || !(df > 0))
        return (double)NAN;
    if (p == 0)
        return -HUGE_VAL;
    if (p == 1)
        return HUGE_VAL;
    if (p == 0.5)
        return 0.0;
    double sign = p < 0.5 ? -1.0 : 1.0;
    /* By symmetry solve for t > 0 with tail = P(T > t) (exact: 1 - p is exact
       for p >= 0.5) or, near the centre, with d = P(0 < T < t) = |p - 1/2|
       (exact for p >= 1/4). */
    double tail = p < 0.5 ? p : 1 - p;
    double d = 0.5 - tail; /* = |p - 1/2|, exact when tail >= 1/4 */
    if (df == 1) /* Cauchy; tan is well conditioned only near 0 */
        return tail < 0.25 ? sign / tan(M_PI * tail) : sign * tan(M_PI * d);
    if (df == 2)
        return sign * 2 * d / sqrt(2 * tail * (1 - tail));
    if (isinf(df) || df > 1e15) {
        /* The first Cornish-Fisher term is below 1e-15 relative here. */
        double z = -gm_normal_quantile(tail);
        return sign * (z + (z * z * z + z) / (4 * df));
    }
    t_inv_ctx c = {.df = df, .lconst = t_log_const(df)};
    double t0;
    double z = -gm_normal_quantile(tail);
    if (tail >= 0.25) {
        c.center = true;
        c.logt = log(d);
        t0 = d / exp(c.lconst); /* P(0 < T < t) ~ pdf(0) t, an underestimate */
    } else {
        c.center = false;
        c.logt = log(tail);
        double t_cf = z + (z * z * z + z) / (4 * df) +
                      (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df);
        /* Tail asymptote P(T > t) ~ c df^((df-1)/2) t^-df / ... */
        double lt_tail = (c.lconst + 0.5 * (df + 1) * log(df) - log(df) - c.logt) / df;
        t0 = df < 4 ? fmin(exp(lt_tail), fmax(t_cf, z)) : t_cf;
        if (!(t0 > 0) || !isfinite(t0))
            t0 = z > 0 ? z : 1.0;
    }
    double u = solve_monotone(t_inv_eval, &c, log(t0), c.center);
    return sign * exp(u);
}

/* ------------------------------------------------------------------------ */
/* Chi-square                                                                */

double gm_chi2_cdf(double x, double df)
{
    if (isnan(x) || !(df > 0))
        return (double)NAN;
    if (x <= 0)
        return 0.0;
    return gm_gamma_p(0.5 * df, 0.5 * x);
}

double gm_chi2_quantile(double p, double df)
{
    if (!(df > 0))
        return (double)NAN;
    return 2 * gm_gamma_p_inv(0.5 * df, p);
}

/* ------------------------------------------------------------------------ */
/* Discrete log-probabilities                                                */

double gm_poisson_logpmf(double k, double mean)
{
    if (!(mean >= 0) || isinf(mean) || isnan(k))
        return (double)NAN;
    if (k != floor(k))
        return (double)NAN;
    if (k < 0 || isinf(k))
        return -HUGE_VAL;
    if (mean == 0)
        return k == 0 ? 0.0 : -HUGE_VAL;
    if (k == 0)
        return -mean;
    return -stirlerr(k) - bd0(k, mean) - 0.5 * (LN_2PI + log(k));
}

double gm_binomial_logpmf(double k, double n, double p)
{
    if (!(n >= 0) || isinf(n) || n != floor(n) || !(p >= 0 && p <= 1) || isnan(k))
        return (double)NAN;
    if (k != floor(k))
        return (double)NAN;
    if (k < 0 || k > n)
        return -HUGE_VAL;
    double q = 1 - p;
    if (k == 0)
        return n == 0 ? 0.0 : (p == 1 ? -HUGE_VAL : n * log1p(-p));
    if (k == n)
        return p == 0 ? -HUGE_VAL : n * log(p);
    if (p == 0 || p == 1)
        return -HUGE_VAL;
    double j = n - k;
    double lc = stirlerr(n) - stirlerr(k) - stirlerr(j) - bd0(k, n * p) - bd0(j, n * q);
    return lc - 0.5 * (LN_2PI + log(k) + log(j) - log(n));
}
