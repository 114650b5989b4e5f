/* The analytic target both samplers of the response calibration are tested on
 * (tests/unit/test_response_mcmc.c, tests/unit/test_response_smc.c), and the checks they
 * make on its draws. Through the ks_response_objfn interface, with a known answer:
 * - a banana in (A, BN): log t_untrap ~ N(c, SA^2), log t_delay = c + BB (a^2 - SA^2) + e
 *   with e ~ N(0, SB^2);
 * - a correlated normal pair (G1, G2) with SDs SG1, SG2 and correlation RHO;
 * - U, a direction the objective ignores: uniform between its box bounds in log units;
 * - H held at its lower bound (not free).
 * Header-only (static inline): each test program includes it once. */
#ifndef KS_TEST_SAMPLER_TARGETS_H
#define KS_TEST_SAMPLER_TARGETS_H

#include "ks_test.h"
#include "ketsim/response.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Free parameters (log units; index into the 19): A = t_untrap_h, BN = t_delay_h: banana;
 * G1 = theta, G2 = t_nondrug_d: correlated normal; U = w_cons: not in the objective; H =
 * omega_theta: held at its lower bound. */
enum { A = KS_RP_T_UNTRAP_H, BN = KS_RP_T_DELAY_H, G1 = KS_RP_THETA, G2 = KS_RP_T_NONDRUG_D };
enum { U = KS_RP_W_CONS, H = KS_RP_OMEGA_THETA };
#define SA 0.4  /* SD of log t_untrap */
#define SB 0.2  /* SD of the banana's noise */
#define BB 1.0  /* banana curvature */
#define SG1 0.3 /* SD of log theta */
#define SG2 0.5 /* SD of log t_nondrug */
#define RHO 0.8 /* their correlation */

typedef struct target {
    double c[KS_RP_N]; /* centre, log units */
} target;

/* The geometric middle of every box, H at its lower bound. */
static inline ks_response_params st_mid(void)
{
    ks_response_params p, lo, hi;
    ks_response_params_bounds(&lo, &hi);
    for (int i = 0; i < KS_RP_N; i++)
        p.v[i] = sqrt(lo.v[i] * hi.v[i]);
    p.v[H] = lo.v[H];
    p.first_visit_h = p.last_visit_h = 0;
    return p;
}

static inline void st_centre(target *t, const ks_response_params *p)
{
    for (int i = 0; i < KS_RP_N; i++)
        t->c[i] = log(p->v[i]);
}

/* -2 log density (scale 1): the banana in (A, BN) and the correlated pair (G1, G2). */
static inline double st_banana_fn(const ks_response_params *p, void *ud)
{
    const target *t = ud;
    double a = log(p->v[A]) - t->c[A], b = log(p->v[BN]) - t->c[BN];
    double g1 = (log(p->v[G1]) - t->c[G1]) / SG1, g2 = (log(p->v[G2]) - t->c[G2]) / SG2;
    double e = b - BB * (a * a - SA * SA);
    return a * a / (SA * SA) + e * e / (SB * SB) +
           (g1 * g1 - 2 * RHO * g1 * g2 + g2 * g2) / (1 - RHO * RHO);
}

/* A reference (or starting proposal) normal with SD sd along each free parameter of fr. */
static inline ks_response_uncertainty st_diag_ref(const int *fr, int nf, double sd)
{
    ks_response_uncertainty u;
    memset(&u, 0, sizeof u);
    for (int j = 0; j < nf; j++) {
        u.free[fr[j]] = 1;
        u.axes[j][fr[j]] = sd;
    }
    u.n_free = u.n_axes = nf;
    u.scale = 1;
    return u;
}

/* the free parameters of the banana target (5) */
static inline const int *st_free(void)
{
    static const int f[5] = {A, BN, G1, G2, U};
    return f;
}

/* What a sampler says of its T draws (T x KS_RP_N values, in groups: chains or islands). */
typedef struct st_draws {
    const double *x;
    long T;
    int groups;
    const double *ess_bulk, *ess_tail, *rhat; /* per parameter */
} st_draws;

/* mean and variance of log parameter i over the draws */
static inline void st_moments(const st_draws *d, int i, double *mean, double *var)
{
    double s = 0, s2 = 0;
    for (long t = 0; t < d->T; t++)
        s += log(d->x[t * KS_RP_N + i]);
    s /= (double)d->T;
    for (long t = 0; t < d->T; t++) {
        double v = log(d->x[t * KS_RP_N + i]) - s;
        s2 += v * v;
    }
    *mean = s, *var = s2 / (double)(d->T - 1);
}

/* Mean and variance of log parameter i within 5 Monte Carlo SEs from the sampler's own
 * bulk ESS: sd/sqrt(ESS) for the mean, var sqrt((kurtosis - 1)/ESS) for the variance. */
static inline void st_check_known(const st_draws *d, int i, double want_mean, double want_var,
                                  double kurt)
{
    double m, v, ess = d->ess_bulk[i];
    st_moments(d, i, &m, &v);
    double tm = 5 * sqrt(want_var / ess), tv = 5 * want_var * sqrt((kurt - 1) / ess);
    printf("param %d: mean %.4f (want %.4f, tol %.3f), var %.4f (want %.4f, tol %.4f), ESS "
           "bulk %.0f tail %.0f, R-hat %.4f\n",
           i, m, want_mean, tm, v, want_var, tv, ess, d->ess_tail[i], d->rhat[i]);
    assert_true(fabs(m - want_mean) <= tm);
    assert_true(fabs(v - want_var) <= tv);
}

/* Every check on the banana target's draws: the five free parameters' moments, the pair's
 * correlation, the held parameter and the fixed ones exact, nothing outside the bounds,
 * and the 200 sets drawn from the draws, an equal share from each group. */
static inline void st_check_banana(const st_draws *d, const ks_response_params *sets)
{
    ks_response_params p = st_mid(), lo, hi;
    ks_response_params_bounds(&lo, &hi);
    st_check_known(d, A, log(p.v[A]), SA * SA, 3);
    /* log t_delay - centre = BB (a^2 - SA^2) + e: variance 2 BB^2 SA^4 + SB^2, fourth
     * central moment 60 BB^4 SA^8 + 12 BB^2 SA^4 SB^2 + 3 SB^4 (chi-square(1)'s are 2, 60), a
     * kurtosis of 6.8 */
    double vb = 2 * BB * BB * pow(SA, 4) + SB * SB,
           m4b =
               60 * pow(BB, 4) * pow(SA, 8) + 12 * BB * BB * pow(SA, 4) * SB * SB + 3 * pow(SB, 4);
    st_check_known(d, BN, log(p.v[BN]), vb, m4b / (vb * vb));
    st_check_known(d, G1, log(p.v[G1]), SG1 * SG1, 3);
    st_check_known(d, G2, log(p.v[G2]), SG2 * SG2, 3);
    /* w_cons: uniform over [log lo, log hi] (kurtosis 1.8) */
    double w = log(hi.v[U] / lo.v[U]);
    st_check_known(d, U, log(lo.v[U]) + w / 2, w * w / 12, 1.8);
    /* the correlation of the pair: within 5 SE (1 - rho^2)/sqrt(ESS) */
    double m1, v1, m2, v2, cv = 0;
    st_moments(d, G1, &m1, &v1), st_moments(d, G2, &m2, &v2);
    for (long t = 0; t < d->T; t++)
        cv += (log(d->x[t * KS_RP_N + G1]) - m1) * (log(d->x[t * KS_RP_N + G2]) - m2);
    double rho = cv / (double)(d->T - 1) / sqrt(v1 * v2);
    double ess = fmin(d->ess_bulk[G1], d->ess_bulk[G2]);
    printf("correlation %.4f (want %.2f)\n", rho, RHO);
    assert_true(fabs(rho - RHO) <= 5 * (1 - RHO * RHO) / sqrt(ess));
    assert_true(isnan(d->rhat[H]) && isnan(d->ess_bulk[H]));
    for (long t = 0; t < d->T; t++)
        for (int i = 0; i < KS_RP_N; i++) {
            double v = d->x[t * KS_RP_N + i];
            assert_true(v >= lo.v[i] && v <= hi.v[i]);
            if (i != A && i != BN && i != G1 && i != G2 && i != U) assert_true(v == p.v[i]);
        }
    int per[16] = {0};
    long per_group = d->T / d->groups;
    assert_true(d->groups <= 16 && 200 % d->groups == 0);
    for (int j = 0; j < 200; j++) {
        long hit = -1;
        for (long t = 0; t < d->T && hit < 0; t++)
            if (memcmp(d->x + t * KS_RP_N, sets[j].v, sizeof sets[j].v) == 0) hit = t;
        assert_true(hit >= 0);
        per[hit / per_group]++;
    }
    for (int g = 0; g < d->groups; g++)
        assert_int_equal(per[g], 200 / d->groups);
}

#endif
