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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

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

static ks_response_params mid(void)
{
    ks_response_params p, lo, hi;
    ks_response_params_bounds(&lo, &hi);
    for (int i = 0; i < KS_RP_N; i++)
        p.v[i] = sqrt(lo.v[i] * hi.v[i]);
    p.v[H] = lo.v[H];
    p.first_visit_h = p.last_visit_h = 0;
    return p;
}

typedef struct target {
    double c[KS_RP_N]; /* centre, log units */
} target;

/* -2 log density: the banana in (A, BN) and the correlated pair (G1, G2). */
static double banana_fn(const ks_response_params *p, void *ud)
{
    const target *t = ud;
    double a = log(p->v[A]) - t->c[A], b = log(p->v[BN]) - t->c[BN];
    double g1 = (log(p->v[G1]) - t->c[G1]) / SG1, g2 = (log(p->v[G2]) - t->c[G2]) / SG2;
    double e = b - BB * (a * a - SA * SA);
    return a * a / (SA * SA) + e * e / (SB * SB) +
           (g1 * g1 - 2 * RHO * g1 * g2 + g2 * g2) / (1 - RHO * RHO);
}

/* A reference normal with SD sd along each free parameter of fr. */
static ks_response_uncertainty diag_ref(const int *fr, int nf, double sd)
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

typedef struct run {
    ks_response_params sets[200];
    double *parts;
    ks_response_smc_stats st;
} run;

static const int FR5[5] = {A, BN, G1, G2, U};

static void sample_banana(run *r, int threads, int islands, int particles)
{
    ks_response_params p = mid();
    target t;
    for (int i = 0; i < KS_RP_N; i++)
        t.c[i] = log(p.v[i]);
    ks_response_uncertainty u = diag_ref(FR5, 5, 3.0); /* ~10x the target's SDs */
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
    int rc = ks_response_smc(banana_fn, &t, &p, &u, &o, 200, r->sets, r->parts, &r->st, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, KS_OK);
}

static void moments(const run *r, int i, double *mean, double *var)
{
    long T = (long)r->st.islands * r->st.particles;
    double s = 0, s2 = 0;
    for (long t = 0; t < T; t++)
        s += log(r->parts[t * KS_RP_N + i]);
    s /= T;
    for (long t = 0; t < T; t++) {
        double d = log(r->parts[t * KS_RP_N + i]) - s;
        s2 += d * d;
    }
    *mean = s, *var = s2 / (T - 1);
}

static void check_known(const run *r, int i, double want_mean, double want_var, double kurt)
{
    double m, v, ess = r->st.ess_bulk[i];
    moments(r, i, &m, &v);
    double tm = 5 * sqrt(want_var / ess), tv = 5 * want_var * sqrt((kurt - 1) / ess);
    printf("param %d: mean %.4f (want %.4f, tol %.3f), var %.4f (want %.4f, tol %.4f), ESS "
           "bulk %.0f tail %.0f, R-hat %.4f\n",
           i, m, want_mean, tm, v, want_var, tv, ess, r->st.ess_tail[i], r->st.rhat[i]);
    assert_true(fabs(m - want_mean) <= tm);
    assert_true(fabs(v - want_var) <= tv);
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
    ks_response_params p = mid(), lo, hi;
    ks_response_params_bounds(&lo, &hi);
    for (int s = 0; s < 4; s++) {
        assert_true(r.st.stages[s] >= 2); /* the 10x wide reference needs tempering */
        assert_true(r.st.beta[s][r.st.stages[s] - 1] == 1.0);
        for (int g = 0; g + 1 < r.st.stages[s]; g++)
            assert_true(r.st.beta[s][g] < r.st.beta[s][g + 1]);
    }
    check_known(&r, A, log(p.v[A]), SA * SA, 3);
    /* log t_delay - centre = BB (a^2 - SA^2) + e: variance 2 BB^2 SA^4 + SB^2, fourth
     * central moment 60 BB^4 SA^8 + 12 BB^2 SA^4 SB^2 + 3 SB^4 (chi-square(1)'s are 2, 60), a
     * kurtosis of 6.8 */
    double vb = 2 * BB * BB * pow(SA, 4) + SB * SB,
           m4b =
               60 * pow(BB, 4) * pow(SA, 8) + 12 * BB * BB * pow(SA, 4) * SB * SB + 3 * pow(SB, 4);
    check_known(&r, BN, log(p.v[BN]), vb, m4b / (vb * vb));
    check_known(&r, G1, log(p.v[G1]), SG1 * SG1, 3);
    check_known(&r, G2, log(p.v[G2]), SG2 * SG2, 3);
    double w = log(hi.v[U] / lo.v[U]);
    check_known(&r, U, log(lo.v[U]) + w / 2, w * w / 12, 1.8);
    long T = 4L * 500;
    double m1, v1, m2, v2, cv = 0;
    moments(&r, G1, &m1, &v1), moments(&r, G2, &m2, &v2);
    for (long t = 0; t < T; t++)
        cv += (log(r.parts[t * KS_RP_N + G1]) - m1) * (log(r.parts[t * KS_RP_N + G2]) - m2);
    double rho = cv / (T - 1) / sqrt(v1 * v2);
    double ess = fmin(r.st.ess_bulk[G1], r.st.ess_bulk[G2]);
    printf("correlation %.4f (want %.2f)\n", rho, RHO);
    assert_true(fabs(rho - RHO) <= 5 * (1 - RHO * RHO) / sqrt(ess));
    assert_true(r.st.converged);
    assert_true(r.st.max_rhat < 1.01 && r.st.min_ess_bulk >= 400 && r.st.min_ess_tail >= 400);
    assert_true(isnan(r.st.rhat[H]) && isnan(r.st.ess_bulk[H]));
    for (long t = 0; t < T; t++)
        for (int i = 0; i < KS_RP_N; i++) {
            double v = r.parts[t * KS_RP_N + i];
            assert_true(v >= lo.v[i] && v <= hi.v[i]);
            if (i != A && i != BN && i != G1 && i != G2 && i != U) assert_true(v == p.v[i]);
        }
    /* the sets are particles, 50 from each island */
    int per[4] = {0};
    for (int j = 0; j < 200; j++) {
        long hit = -1;
        for (long t = 0; t < T && hit < 0; t++)
            if (memcmp(r.parts + t * KS_RP_N, r.sets[j].v, sizeof r.sets[j].v) == 0) hit = t;
        assert_true(hit >= 0);
        per[hit / 500]++;
    }
    for (int s = 0; s < 4; s++)
        assert_int_equal(per[s], 50);
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
    ks_response_params p = mid();
    double c[2] = {log(p.v[G1]), log(p.v[A])};
    p.v[G1] *= exp(-MODE_D); /* the "fit": the smaller mode */
    const int fr[2] = {G1, A};
    ks_response_uncertainty u = diag_ref(fr, 2, 0.5);
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
    ks_response_params p = mid();
    target t;
    for (int i = 0; i < KS_RP_N; i++)
        t.c[i] = log(p.v[i]);
    ks_response_uncertainty u = diag_ref(FR5, 5, 3.0);
    ks_response_params sets[100];
    ks_response_smc_stats a, b;
    seen w = {0, -1, -1, 0};
    ks_response_smc_opts o = {4, 300, 2, 0, 5, 0, NULL, &w, on_check};
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 100, sets, NULL, &a, NULL), KS_OK);
    print_stats(&a);
    assert_false(a.converged);
    assert_true(a.min_ess_bulk < 400);
    assert_int_equal(a.final_sweeps, 0);
    assert_true(w.calls == 1 && w.sweeps == 0 && !w.converged && w.rhat == a.max_rhat);
    o.final_max = 400;
    w.calls = 0;
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 100, sets, NULL, &b, NULL), KS_OK);
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
    ks_response_params p = mid(), sets[10];
    target t;
    memset(&t, 0, sizeof t);
    ks_response_uncertainty u = diag_ref(FR5, 5, 1.0);
    ks_error err = {0};
    ks_response_smc_opts o = {1, 100, 10, 10, 1, 1, NULL, NULL, NULL};
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "islands"));
    o.islands = 2, o.particles = 19;
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "particles"));
    o.particles = 20;
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 41, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "sets"));
    o.sweeps_max = 1;
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &u, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    o.sweeps_max = 10;
    ks_response_uncertainty skew = u;
    skew.axes[1][FR5[0]] = 0.5; /* axis 1 leans on axis 0's parameter */
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &skew, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "orthogonal"));
    ks_response_uncertainty fewer = u;
    fewer.n_axes = 4; /* the fifth free parameter has no axis */
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &fewer, &o, 10, sets, NULL, NULL, &err),
                     KS_EINVAL);
    ks_response_uncertainty held = u;
    held.axes[0][H] = 0.1; /* an axis that moves the held parameter */
    assert_int_equal(ks_response_smc(banana_fn, &t, &p, &held, &o, 10, sets, NULL, NULL, &err),
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
