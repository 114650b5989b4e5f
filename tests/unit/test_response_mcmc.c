/* The response calibration's Markov-chain sampler and its diagnostics
 * (src/response/mcmc.c):
 * - R-hat and ESS on small fixed sequences against values computed independently (a
 *   Python stdlib script, written from the formulas of the header, not from this code):
 *   a sequence whose Geyer sum stops at a negative pair, one whose pairs must be made
 *   monotone, a trend that only the split R-hat sees, a difference in spread that only
 *   the folded R-hat sees, ties, an odd length;
 * - the sampler through the ks_response_objfn interface on a cheap analytic target with a
 *   known answer: a correlated normal pair, a banana (x2 = b (x1^2 - s1^2) + e) and a
 *   direction the objective ignores (uniform between the box bounds in log units), one
 *   parameter held at its bound; a deliberately 10x too wide starting proposal, so that a
 *   sampler without adaptation fails the acceptance check; means and variances within a
 *   tolerance from the sampler's own ESS;
 * - a normal whose mode lies beyond a bound: never a draw outside, the mean of the
 *   truncated normal;
 * - the same bits on 1 and 3 threads; the sets are draws, an equal share from each chain;
 * - argument errors. */
#include "ks_test.h"
#include "ketsim/response.h"
#include "sampler_targets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- diagnostics */

static const double C1[10] = {0.1, 0.5, 0.9, 1.2, 0.8, 0.3, -0.2, -0.5, -0.1, 0.4};
static const double C2[10] = {1.0, 1.3, 0.7, 0.2, 0.4, 0.9, 1.5, 1.1, 0.6, 0.0};
static const double S1[16] = {0.0, 0.5, -0.6, 0.5, 0.9, 1.2, 2.0, 2.6,
                              2.6, 2.6, 2.6,  1.6, 1.8, 0.4, 1.3, 1.5};
static const double S2[16] = {0.0,  -1.0, -1.3, -1.5, -0.2, 0.8,  1.1,  0.4,
                              -0.7, -1.1, -1.9, -1.0, -1.8, -0.4, -1.3, -2.0};

static void join(double *x, const double *a, const double *b, int n)
{
    memcpy(x, a, (size_t)n * sizeof *x);
    memcpy(x + n, b, (size_t)n * sizeof *x);
}

static void test_basic_hand(void **state)
{
    (void)state;
    double x[32];
    join(x, C1, C2, 10);
    /* W = mean within variance, var+ = 9/10 W + var(means): sqrt(var+/W) */
    KS_ASSERT_CLOSE(ks_response_mcmc_rhat_basic(x, 2, 10), 1.12241053336353, 1e-12, 0);
    /* one Geyer pair (1 + rho_1 = 1.58103), the next is negative: tau = 2.16207 */
    KS_ASSERT_CLOSE(ks_response_mcmc_ess_basic(x, 2, 10), 9.25040682675134, 1e-12, 0);
    /* one chain: no between-chain term */
    KS_ASSERT_CLOSE(ks_response_mcmc_ess_basic(C1, 1, 10), 4.68037089731639, 1e-12, 0);
    join(x, S1, S2, 16);
    KS_ASSERT_CLOSE(ks_response_mcmc_rhat_basic(x, 2, 16), 1.79307553873945, 1e-12, 0);
    /* eight positive pairs 1.864, 1.482, 1.248, 1.231, 1.256, 1.337, 1.405, 1.365: the
     * last four are lowered to 1.231 (initial monotone sequence); without that
     * tau = 21.378 and ESS 1.497 */
    KS_ASSERT_CLOSE(ks_response_mcmc_ess_basic(x, 2, 16), 1.56082330916962, 1e-12, 0);
    /* no spread: NAN */
    const double flat[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_true(isnan(ks_response_mcmc_rhat_basic(flat, 2, 4)));
    assert_true(isnan(ks_response_mcmc_ess_basic(flat, 2, 4)));
}

static void test_diagnose_hand(void **state)
{
    (void)state;
    double x[32], r, eb, et;
    join(x, C1, C2, 10);
    assert_int_equal(ks_response_mcmc_diagnose(x, 2, 10, &r, &eb, &et, NULL), KS_OK);
    KS_ASSERT_CLOSE(r, 1.23364804455882, 1e-10, 0);
    KS_ASSERT_CLOSE(eb, 7.92268267637152, 1e-10, 0);
    KS_ASSERT_CLOSE(et, 26.0205999132796, 1e-10, 0); /* tau at its floor 1/log10(20) */
    /* a trend shared by both chains: the chains agree (R-hat without the split 0.95), the
     * halves do not */
    const double t1[10] = {0.0, 0.1, 0.2, 0.3, 0.4, 1.0, 1.1, 1.2, 1.3, 1.4};
    const double t2[10] = {0.05, 0.15, 0.25, 0.35, 0.45, 1.05, 1.15, 1.25, 1.35, 1.45};
    join(x, t1, t2, 10);
    KS_ASSERT_CLOSE(ks_response_mcmc_rhat_basic(x, 2, 10), 0.950876788373061, 1e-12, 0);
    assert_int_equal(ks_response_mcmc_diagnose(x, 2, 10, &r, &eb, &et, NULL), KS_OK);
    KS_ASSERT_CLOSE(r, 1.74972751457687, 1e-10, 0);
    KS_ASSERT_CLOSE(eb, 4.01002671213301, 1e-10, 0);
    KS_ASSERT_CLOSE(et, 21.7391304347826, 1e-10, 0);
    /* ties (2.6 four times) averaged; folded R-hat 1.11 below the bulk one */
    join(x, S1, S2, 16);
    assert_int_equal(ks_response_mcmc_diagnose(x, 2, 16, &r, &eb, &et, NULL), KS_OK);
    KS_ASSERT_CLOSE(r, 1.75301852999105, 1e-10, 0);
    KS_ASSERT_CLOSE(eb, 3.18686883497018, 1e-10, 0);
    /* the indicator of the 95th percentile is constant within every half: no tail ESS */
    assert_true(isnan(et));
    /* the same centre, ten times the spread: the bulk R-hat is 0.944, the folded one (the
     * distance from the median) 1.766, and R-hat is the larger */
    const double v1[10] = {0.1, -0.1, 0.2, -0.2, 0.05, -0.05, 0.15, -0.15, 0.12, -0.12};
    const double v2[10] = {2, -2, 1.5, -1.5, 3, -3, 2.5, -2.5, 1, -1};
    join(x, v1, v2, 10);
    assert_int_equal(ks_response_mcmc_diagnose(x, 2, 10, &r, &eb, &et, NULL), KS_OK);
    KS_ASSERT_CLOSE(r, 1.7656701904193, 1e-10, 0);
    KS_ASSERT_CLOSE(eb, 26.0205999132796, 1e-10, 0);
    KS_ASSERT_CLOSE(et, 21.7391304347826, 1e-10, 0);
    /* odd length: the middle draw of each chain dropped (chains of 15) */
    double y[30];
    memcpy(y, S1, 15 * sizeof *y);
    memcpy(y + 15, S2, 15 * sizeof *y);
    assert_int_equal(ks_response_mcmc_diagnose(y, 2, 15, &r, &eb, NULL, NULL), KS_OK);
    KS_ASSERT_CLOSE(r, 1.73903853462344, 1e-10, 0);
    KS_ASSERT_CLOSE(eb, 3.76920064486637, 1e-10, 0);
    ks_error err = {0};
    assert_int_equal(ks_response_mcmc_diagnose(y, 2, 3, &r, NULL, NULL, &err), KS_EINVAL);
}

/* ---------------------------------------------------------------- the sampler */

typedef struct run {
    ks_response_params sets[200];
    double *draws;
    ks_response_mcmc_stats st;
} run;

static void sample(run *r, int threads, int chains, int draws, int burn)
{
    ks_response_params p = st_mid();
    target t;
    st_centre(&t, &p);
    ks_response_uncertainty u = st_diag_ref(st_free(), 5, 3.0); /* ~10x the target's SDs */
    ks_response_mcmc_opts o = {chains, draws, burn, 12345, threads, NULL, NULL};
    r->draws = malloc((size_t)chains * draws * KS_RP_N * sizeof *r->draws);
    assert_non_null(r->draws);
    ks_error err = {0};
    int rc = ks_response_mcmc(st_banana_fn, &t, &p, &u, &o, 200, r->sets, r->draws, &r->st, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, KS_OK);
}

static void test_analytic_target(void **state)
{
    (void)state;
    run r;
    sample(&r, 0, 4, 20000, 5000);
    printf("acceptance %.3f, outside %.3f, lambda %.3g %.3g %.3g %.3g\n", r.st.accept_rate,
           r.st.outside_rate, r.st.scale_lambda[0], r.st.scale_lambda[1], r.st.scale_lambda[2],
           r.st.scale_lambda[3]);
    /* adaptation brings the 10x too wide start to a working acceptance (target 0.234);
     * without it ~1 % */
    assert_true(r.st.accept_rate > 0.12 && r.st.accept_rate < 0.45);
    for (int c = 0; c < 4; c++)
        assert_true(r.st.accept[c] > 0.1);
    /* converged by the stated criteria */
    assert_true(r.st.converged);
    assert_true(r.st.max_rhat < 1.01);
    /* the moments and the correlation from the sampler's own ESS, the held parameter exact,
     * nothing outside the bounds, the sets 50 from each chain */
    st_draws d = {r.draws,       (long)r.st.chains * r.st.draws,
                  r.st.chains,   r.st.ess_bulk,
                  r.st.ess_tail, r.st.rhat};
    st_check_banana(&d, r.sets);
    free(r.draws);
}

/* the mode of log theta beyond its upper bound: a normal truncated at the bound */
#define TMU 1.0 /* the mode, log units above the upper bound */
static double wall_fn(const ks_response_params *p, void *ud)
{
    const double *c = ud;
    double z = log(p->v[G1]) - c[0], y = (log(p->v[A]) - c[1]) / 0.5;
    return z * z + y * y;
}

static void test_bound(void **state)
{
    (void)state;
    ks_response_params p = st_mid(), lo, hi;
    ks_response_params_bounds(&lo, &hi);
    p.v[G1] = hi.v[G1] * exp(-0.3);
    double c[2] = {log(hi.v[G1]) + TMU, log(p.v[A])};
    ks_response_uncertainty u;
    memset(&u, 0, sizeof u);
    u.free[G1] = u.free[A] = 1;
    u.axes[0][G1] = 1, u.axes[1][A] = 0.5;
    u.n_free = u.n_axes = 2, u.scale = 1;
    ks_response_mcmc_opts o = {4, 5000, 2000, 7, 0, NULL, NULL};
    double *dr = malloc(4 * 5000 * KS_RP_N * sizeof *dr);
    ks_response_params sets[100];
    ks_response_mcmc_stats st;
    assert_int_equal(ks_response_mcmc(wall_fn, c, &p, &u, &o, 100, sets, dr, &st, NULL), KS_OK);
    double s = 0;
    for (long t = 0; t < 4 * 5000; t++) {
        assert_true(dr[t * KS_RP_N + G1] <= hi.v[G1]);
        s += log(dr[t * KS_RP_N + G1]);
    }
    s /= 4 * 5000;
    /* N(mode, 1) cut at beta = -TMU: mean = mode - phi(beta)/Phi(beta) (the lower bound
     * 8 SDs away) */
    double beta = -TMU, phi = exp(-beta * beta / 2) / sqrt(2 * 3.14159265358979323846),
           Phi = 0.5 * erfc(-beta / sqrt(2.0));
    double want = c[0] - phi / Phi;
    double var = 1 - beta * phi / Phi - (phi / Phi) * (phi / Phi);
    printf("truncated: mean %.4f, want %.4f (ESS %.0f), outside %.3f, acceptance %.3f, lambda "
           "%.3g\n",
           s, want, st.ess_bulk[G1], st.outside_rate, st.accept_rate, st.scale_lambda[0]);
    assert_true(fabs(s - want) <= 5 * sqrt(var / st.ess_bulk[G1]));
    assert_true(st.outside_rate > 0.02); /* the bound was met */
    free(dr);
}

static void test_threads(void **state)
{
    (void)state;
    run a, b;
    sample(&a, 1, 3, 1500, 500);
    sample(&b, 3, 3, 1500, 500);
    assert_memory_equal(a.sets, b.sets, sizeof a.sets);
    assert_memory_equal(a.draws, b.draws, 3 * 1500 * KS_RP_N * sizeof *a.draws);
    assert_true(a.st.max_rhat == b.st.max_rhat && a.st.min_ess_bulk == b.st.min_ess_bulk);
    free(a.draws), free(b.draws);
}

static double inf_fn(const ks_response_params *p, void *ud)
{
    (void)p, (void)ud;
    return INFINITY;
}

static void test_errors(void **state)
{
    (void)state;
    ks_response_params p = st_mid(), sets[10];
    target t;
    memset(&t, 0, sizeof t);
    ks_response_uncertainty u = st_diag_ref(st_free(), 5, 1.0);
    ks_error err = {0};
    ks_response_mcmc_opts o = {1, 100, 10, 1, 1, NULL, NULL};
    assert_int_equal(ks_response_mcmc(st_banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "chains"));
    o.chains = 2, o.draws = 3;
    assert_int_equal(ks_response_mcmc(st_banana_fn, &t, &p, &u, &o, 5, sets, NULL, NULL, &err),
                     KS_EINVAL);
    o.draws = 4;
    assert_int_equal(ks_response_mcmc(st_banana_fn, &t, &p, &u, &o, 9, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "sets"));
    assert_int_equal(ks_response_mcmc(inf_fn, &t, &p, &u, &o, 2, sets, NULL, NULL, &err),
                     KS_ENUMERIC);
    assert_non_null(strstr(err.msg, "not finite at the fit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_hand),      cmocka_unit_test(test_diagnose_hand),
        cmocka_unit_test(test_analytic_target), cmocka_unit_test(test_bound),
        cmocka_unit_test(test_threads),         cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
