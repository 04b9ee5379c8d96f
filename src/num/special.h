/*
 * special.h: special functions and the distribution functions built on them.
 *
 * What the rest of gemel needs to turn samples into answers: the normal,
 * Student t and chi-square CDFs and quantiles (confidence intervals,
 * goodness-of-fit tests), the regularized incomplete gamma and beta functions
 * behind them, and accurate log-probabilities for the Poisson and binomial
 * samplers.
 *
 * Accuracy. The incomplete gamma and beta functions use the series and
 * continued fractions of Numerical Recipes (modified Lentz), with prefactors
 * x^a e^-x / Gamma(a+1) and x^a (1-x)^b / B(a,b) computed by Loader's
 * saddle-point method ("Fast and accurate computation of binomial
 * probabilities", 2000), so they keep full relative accuracy for large
 * parameters where exp(a log x - x - lgamma(a)) would lose digits. Quantiles
 * are refined by safeguarded Newton iteration on the accurate CDF (or on its
 * complement, whichever is the smaller tail), so they are accurate to about
 * 1e-14 relative: far better than the 1e-10 that confidence intervals need.
 *
 * Cost. Near the mean the expansions need O(sqrt(a)) terms (a the largest
 * shape parameter): microseconds for the parameters of everyday models.
 * Iterations are capped at 10^6, so no call takes more than a few
 * milliseconds; the price is accuracy near the mean when a shape parameter
 * exceeds about 2e9 (the CDF of a Poisson with mean 1e12, say). The Student
 * t functions stay exact for any df (their small parameter 1/2 is handled by
 * a large-parameter expansion).
 *
 * Conventions. Every function is pure, thread-safe (no static state; lgamma_r,
 * not lgamma, so signgam is never written) and total: arguments outside the
 * domain give NaN, and so does any NaN argument. Infinite arguments are
 * accepted where the limit exists (gm_normal_cdf(-INFINITY) is 0).
 */
#ifndef GM_NUM_SPECIAL_H
#define GM_NUM_SPECIAL_H

/* log|Gamma(x)|, thread-safe (lgamma_r). +inf at the poles 0, -1, -2, ... */
double gm_lgamma(double x);

/*
 * Regularized incomplete gamma functions, a > 0, x >= 0:
 *   P(a, x) = (1/Gamma(a)) * integral_0^x t^(a-1) e^-t dt,   Q = 1 - P.
 * Each is computed directly (not as 1 minus the other) where it is the
 * smaller one, so both keep relative accuracy in their tails.
 * x = +inf gives P = 1. NaN for a <= 0, x < 0.
 */
double gm_gamma_p(double a, double x);
double gm_gamma_q(double a, double x);

/* The x >= 0 with P(a, x) = p, for a > 0 and p in [0, 1] (p = 1 gives +inf). */
double gm_gamma_p_inv(double a, double p);

/*
 * Regularized incomplete beta function I_x(a, b), a > 0, b > 0, x in [0, 1]:
 * the CDF at x of a Beta(a, b) variable. NaN outside the domain.
 */
double gm_beta_inc(double a, double b, double x);

/* Scaled complementary error function exp(x*x) * erfc(x), for x >= 0
   (finite and accurate where erfc itself underflows); NaN for x < 0. */
double gm_erfcx(double x);

/* Standard normal CDF Phi(x) and survival function 1 - Phi(x), each with
   relative accuracy in its own small tail. */
double gm_normal_cdf(double x);
double gm_normal_sf(double x);

/* Standard normal quantile: the x with Phi(x) = p, p in [0, 1] (0 and 1 give
   -inf and +inf). Acklam's rational approximation refined by one Halley step
   on erfc: about 1e-15 relative. */
double gm_normal_quantile(double p);

/*
 * Student t with df > 0 degrees of freedom (fractional df allowed; df =
 * +inf is the normal). gm_t_cdf is P(T <= t). gm_t_quantile is its inverse
 * for p in [0, 1], accurate to about 1e-14 relative (df = 1 and 2 use the
 * closed forms). The 97.5% quantile with 9 df is 2.2621571627409915.
 */
double gm_t_cdf(double t, double df);
double gm_t_quantile(double p, double df);

/* Chi-square with df > 0 degrees of freedom: CDF and quantile (p in [0, 1]). */
double gm_chi2_cdf(double x, double df);
double gm_chi2_quantile(double p, double df);

/*
 * log P(X = k) for X ~ Poisson(mean), k a non-negative integer (as a double),
 * mean >= 0; and for X ~ Binomial(n, p), n a non-negative integer, p in [0, 1].
 * -inf where the probability is 0 (k outside the support); NaN for invalid
 * parameters or a non-integer k. Loader's method: accurate to a few ulps
 * even for means and n of 10^12 and more.
 */
double gm_poisson_logpmf(double k, double mean);
double gm_binomial_logpmf(double k, double n, double p);

#endif
