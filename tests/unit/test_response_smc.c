/* The response calibration's sequential Monte Carlo sampler (src/response/smc.c), through
 * the ks_response_objfn interface on cheap analytic targets with known answers:
 * - a banana (x2 = b (x1^2 - s1^2) + e), a correlated normal pair, a direction the
 *   objective ignores (uniform between its box bounds in log units), one parameter held
 *   at its bound; from a reference normal 10x too wide: means and variances within 5
 *   Monte Carlo SEs of the sampler's own bulk ESS, the correlation likewise, converged by
 *   the stated criteria, nothing outside the bounds, the held parameter exact;
 * - two modes 15 SDs apart holding 1/3 and 2/3 of the mass, the reference centred on the
 *   smaller one: both modes found in their proportion (a random-walk chain started there
 *   never leaves it), and each island's estimate of the normalising constant agrees with
 *   the exact one (each island, and their mean, within 5 Monte Carlo SDs);
 * - two sweeps per stage: families of copies that the diagnostics see, and the sweeps at
 *   beta 1 that go on until they pass;
 * - the same bits on 1 and 3 threads;
 * - argument errors (islands, particles, sets, axes that are not orthogonal or not one per
 *   free parameter, an objective not finite at the fit or nowhere else). */
#include "ks_test.h"
#include "ketsim/response.h"
#include "sampler_targets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

typedef struct run {
    ks_response_params sets[200];
    double *parts;
    ks_response_smc_stats st;
} run;

static void sample_banana(run *r, int threads, int islands, int particles)
{
    ks_response_params p = st_mid();
    target t;
    st_centre(&t, &p);
    ks_response_uncertainty u = st_diag_ref(st_free(), 5, 3.0); /* ~10x the target's SDs */
    ks_response_smc_opts o = {islands,
                              particles,
                              KS_RESPONSE_SMC_SWEEPS_MAX,
                              KS_RESPONSE_SMC_FINAL_MAX,
                              12345,
                              threads,
                              NULL,
                              NULL,
                              NULL};
    r->parts = malloc((size_t)islands * particles * KS_RP_N * sizeof *r->parts);
    assert_non_null(r->parts);
    ks_error err = {0};
    int rc = ks_response_smc(st_banana_fn, &t, &p, &u, &o, 200, r->sets, r->parts, &r->st, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, KS_OK);
}

static void print_stats(const ks_response_smc_stats *st)
{
    for (int s = 0; s < st->islands; s++) {
        printf("island %d: %d stages, log evidence %.4f, %d ancestors; beta/accept/sweeps:", s,
               st->stages[s], st->log_evidence[s], st->ancestors[s]);
        for (int g = 0; g < st->stages[s]; g++)
            printf(" %.3g/%.2f/%d", st->beta[s][g], st->accept[s][g], st->sweeps[s][g]);
        printf("\n");
    }
    printf("final sweeps %d (acceptance %.3f), evaluations %ld, max R-hat %.4f, min ESS %.0f "
           "%.0f, converged %d\n",
           st->final_sweeps, st->final_accept, st->evaluations, st->max_rhat, st->min_ess_bulk,
           st->min_ess_tail, st->converged);
}

static void test_analytic_target(void **state)
{
    (void)state;
    run r;
    sample_banana(&r, 0, 4, 500);
    print_stats(&r.st);
    for (int s = 0; s < 4; s++) {
        assert_true(r.st.stages[s] >= 2); /* the 10x wide reference needs tempering */
        assert_true(r.st.beta[s][r.st.stages[s] - 1] == 1.0);
        for (int g = 0; g + 1 < r.st.stages[s]; g++)
            assert_true(r.st.beta[s][g] < r.st.beta[s][g + 1]);
    }
    assert_true(r.st.converged);
    assert_true(r.st.max_rhat < 1.01 && r.st.min_ess_bulk >= 400 && r.st.min_ess_tail >= 400);
    /* the moments and the correlation from the sampler's own ESS, the held parameter exact,
     * nothing outside the bounds, the sets 50 from each island */
    st_draws d = {r.parts,       (long)r.st.islands * r.st.particles,
                  r.st.islands,  r.st.ess_bulk,
                  r.st.ess_tail, r.st.rhat};
    st_check_banana(&d, r.sets);
    free(r.parts);
}

/* Two modes of log theta, MODE_D log units either side of the centre with SD MODE_S (15
 * SDs apart), 1/3 and 2/3 of the mass; log t_untrap normal with SD 0.5 (a second free parameter).
 */
#define MODE_D 1.5
#define MODE_S 0.2
static double twomode_fn(const ks_response_params *p, void *ud)
{
    const double *c = ud;
    double a = (log(p->v[G1]) - c[0] + MODE_D) / MODE_S,
           b = (log(p->v[G1]) - c[0] - MODE_D) / MODE_S;
    double y = (log(p->v[A]) - c[1]) / 0.5;
    double dens = (1.0 / 3) * exp(-0.5 * a * a) + (2.0 / 3) * exp(-0.5 * b * b);
    return -2 * log(dens) + y * y;
}

static void test_two_modes(void **state)
{
    (void)state;
    ks_response_params p = st_mid();
    double c[2] = {log(p.v[G1]), log(p.v[A])};
    p.v[G1] *= exp(-MODE_D); /* the "fit": the smaller mode */
    const int fr[2] = {G1, A};
    ks_response_uncertainty u = st_diag_ref(fr, 2, 0.5);
    u.axes[0][G1] = 2.0; /* reaches the other mode, 1.5 SDs away */
    /* 2000 particles per island: the islands' estimates of the log normalising constant
     * then have an SD of 0.031 (0.067 with 500; measured over 20 and 40 seeds), and the
     * checks below are 5 SDs (an increment left out, 0.05-0.1 here, can hide in them) */
    enum { NP = 2000 };
    ks_response_smc_opts o = {
        4, NP, KS_RESPONSE_SMC_SWEEPS_MAX, KS_RESPONSE_SMC_FINAL_MAX, 99, 0, NULL, NULL, NULL};
    double *parts = malloc(4 * NP * KS_RP_N * sizeof *parts);
    assert_non_null(parts);
    ks_response_params sets[200];
    ks_response_smc_stats st;
    ks_error err = {0};
    int rc = ks_response_smc(twomode_fn, c, &p, &u, &o, 200, sets, parts, &st, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, KS_OK);
    print_stats(&st);
    int hi_mode = 0;
    for (long t = 0; t < 4L * NP; t++)
        hi_mode += log(parts[t * KS_RP_N + G1]) > c[0];
    double share = hi_mode / (4.0 * NP);
    /* the particles of one mode cannot reach the other at beta 1 (15 SDs), so the share is
     * the tempering's: its error is binomial over the islands' families; 5 SEs from the
     * bulk ESS of log theta */
    double se = sqrt((2.0 / 3) * (1.0 / 3) / st.ess_bulk[G1]);
    printf("share in the larger mode %.4f (want 0.6667, 5 SE %.3f)\n", share, 5 * se);
    assert_true(fabs(share - 2.0 / 3) <= 5 * se);
    assert_true(share > 0.5); /* found, and preferred, from a reference about the other */
    /* the normalising constant: pi = exp(-(fn - fn(p))/2) over q0's unnormalised density
     * exp(-z^2/2) on (G1, A), both inside the bounds: Z_pi = exp(fn(p)/2) (2 pi)^(1/2)
     * MODE_S (2 pi)^(1/2) 0.5 (the modes are 7.5 SDs or more inside them); Z_q0 = 2 pi 2.0
     * 0.5 times q0's mass inside the bounds (the reference is cut there) */
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    double f0 = twomode_fn(&p, c);
    double zpi = exp(f0 / 2) * sqrt(2 * PI) * MODE_S * sqrt(2 * PI) * 0.5;
    double in = 1;
    const double sd[2] = {2.0, 0.5};
    for (int j = 0; j < 2; j++) {
        double zl = log(lo.v[fr[j]] / p.v[fr[j]]) / sd[j],
               zh = log(hi.v[fr[j]] / p.v[fr[j]]) / sd[j];
        in *= 0.5 * (erfc(-zh / sqrt(2.0)) - erfc(-zl / sqrt(2.0)));
    }
    double want = log(zpi / (2 * PI * 2.0 * 0.5 * in)), mean = 0;
    for (int s = 0; s < 4; s++) {
        printf("island %d: log evidence %.4f (exact %.4f)\n", s, st.log_evidence[s], want);
        assert_true(fabs(st.log_evidence[s] - want) < 5 * 0.031);
        mean += st.log_evidence[s] / 4;
    }
    printf("their mean %.4f\n", mean);
    assert_true(fabs(mean - want) < 5 * 0.031 / 2);
    free(parts);
}

/* What the check callback saw: calls, the last call's sweeps, R-hat and verdict. */
typedef struct seen {
    int calls, sweeps, converged;
    double rhat;
} seen;
static void on_check(int sweeps, double max_rhat, double ess_bulk, double ess_tail, int converged,
                     void *pud)
{
    (void)ess_bulk, (void)ess_tail;
    seen *w = pud;
    w->calls++, w->sweeps = sweeps, w->rhat = max_rhat, w->converged = converged;
}

/* Two sweeps per stage leave families of copies: the diagnostics see them (the ESS of
 * neighbours that share an ancestor), and the sweeps at beta 1 go on until they pass. */
static void test_final_sweeps(void **state)
{
    (void)state;
    ks_response_params p = st_mid();
    target t;
    st_centre(&t, &p);
    ks_response_uncertainty u = st_diag_ref(st_free(), 5, 3.0);
    ks_response_params sets[100];
    ks_response_smc_stats a, b;
    seen w = {0, -1, -1, 0};
    ks_response_smc_opts o = {4, 300, 2, 0, 5, 0, NULL, &w, on_check};
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 100, sets, NULL, &a, NULL),
                     KS_OK);
    print_stats(&a);
    assert_false(a.converged);
    assert_true(a.min_ess_bulk < 400);
    assert_int_equal(a.final_sweeps, 0);
    assert_true(w.calls == 1 && w.sweeps == 0 && !w.converged && w.rhat == a.max_rhat);
    o.final_max = 400;
    w.calls = 0;
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 100, sets, NULL, &b, NULL),
                     KS_OK);
    print_stats(&b);
    assert_true(b.converged);
    assert_true(b.final_sweeps > 0 && b.final_sweeps % KS_RESPONSE_SMC_CHECK == 0);
    assert_true(b.final_accept > 0.1 && b.final_accept < 0.5);
    /* checked before the sweeps and after every KS_RESPONSE_SMC_CHECK of them */
    assert_int_equal(w.calls, 1 + b.final_sweeps / KS_RESPONSE_SMC_CHECK);
    assert_true(w.sweeps == b.final_sweeps && w.converged && w.rhat == b.max_rhat);
    /* the same stages before the sweeps at beta 1 */
    assert_memory_equal(a.beta, b.beta, sizeof a.beta);
}

static void test_threads(void **state)
{
    (void)state;
    run a, b;
    sample_banana(&a, 1, 3, 100);
    sample_banana(&b, 3, 3, 100);
    assert_memory_equal(a.sets, b.sets, sizeof a.sets);
    assert_memory_equal(a.parts, b.parts, 3 * 100 * KS_RP_N * sizeof *a.parts);
    assert_true(a.st.evaluations == b.st.evaluations && a.st.final_sweeps == b.st.final_sweeps);
    free(a.parts), free(b.parts);
}

static double inf_fn(const ks_response_params *p, void *ud)
{
    (void)p, (void)ud;
    return INFINITY;
}

/* Finite only at the parameters ud points to. */
static double only_at_fn(const ks_response_params *p, void *ud)
{
    const ks_response_params *at = ud;
    return memcmp(p->v, at->v, sizeof p->v) == 0 ? 0 : INFINITY;
}

static void test_errors(void **state)
{
    (void)state;
    ks_response_params p = st_mid(), sets[10];
    target t;
    memset(&t, 0, sizeof t);
    ks_response_uncertainty u = st_diag_ref(st_free(), 5, 1.0);
    ks_error err = {0};
    ks_response_smc_opts o = {1, 100, 10, 10, 1, 1, NULL, NULL, NULL};
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "islands"));
    o.islands = 2, o.particles = 19;
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "particles"));
    o.particles = 20;
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 41, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "sets"));
    o.sweeps_max = 1;
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    o.sweeps_max = 10;
    ks_response_uncertainty skew = u;
    skew.axes[1][st_free()[0]] = 0.5; /* axis 1 leans on axis 0's parameter */
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &skew, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "orthogonal"));
    ks_response_uncertainty fewer = u;
    fewer.n_axes = 4; /* the fifth free parameter has no axis */
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &fewer, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    ks_response_uncertainty held = u;
    held.axes[0][H] = 0.1; /* an axis that moves the held parameter */
    assert_int_equal(ks_response_smc(st_banana_fn, &t, &p, &held, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_int_equal(ks_response_smc(inf_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_ENUMERIC);
    assert_non_null(strstr(err.msg, "not finite at the fit"));
    assert_int_equal(ks_response_smc(only_at_fn, &p, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_ENUMERIC);
    assert_non_null(strstr(err.msg, "no start for particle 1 of island 1 with a finite"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analytic_target), cmocka_unit_test(test_two_modes),
        cmocka_unit_test(test_final_sweeps),    cmocka_unit_test(test_threads),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
