/* The SUSTAIN-1 quadrature (ks_response_withdraw_quad, response_internal.h) against the
 * virtual patients of ks_response_withdraw (themselves checked count for count against a
 * brute force in test_response_withdrawal.c):
 * - accuracy: for the shipped fit (fluct_share 0.83, t_fluct 41 d) every other week and a
 *   faster fluctuation (0.5, 14 d) weekly, each output (stable_share, stable_share_op,
 *   share_by_exposure per arm, cum_relapse per arm at every check) of the quadrature at
 *   M = 4096 within Z_ONE combined SEs of 30 000 virtual patients (SE_vp binomial; SE_q
 *   the SD of the quadrature over 6 other Philox keys), the headline quantities within
 *   Z_HEAD; a mutant with the OU transition over a gap of g hours taken as exp(-g / (2
 *   tau)) (a path that decorrelates half as fast) fails it (bench numbers in
 *   docs/response-model.md, "Toward fitting it: a quadrature");
 * - the medians within one visit interval;
 * - determinism: the same bits twice and for 1 or 2 threads; another key differs;
 * - errors: m odd or < 2, omega_phi 0, a schedule that is not one. */
#include "ks_test.h"
#include "ketsim/ketsim.h"
#include "ketsim/response.h"
#include "response/response_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_VP 30000
#define M_Q 4096
#define K_SE 6
/* The bounds, set before looking (a stated multiple of the combined SE): the four headline
 * quantities each within 3 SE; the curve (about 90 or 45 checks per arm, strongly
 * correlated) with no check beyond 4 SE. */
#define Z_HEAD 3.0
#define Z_ONE 4.0
#define NX (4 + 2 * KS_WD_MAX_CHECKS)

static ks_model *esk;
static ks_pd *pd;
static ks_response_params P0;
static ks_response_withdrawal *W;

static int setup(void **state)
{
    (void)state;
    ks_error err = {0};
    if (ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &esk, &err) ||
        ks_pd_load(ks_test_path("data/pd-acute.json"), &pd, &err) ||
        ks_response_params_load(ks_test_path("data/response-params.json"), &P0, &err) ||
        ks_response_withdrawal_create(esk, pd, &W, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ks_response_withdrawal_free(W);
    ks_model_free(esk);
    ks_pd_free(pd);
    return 0;
}

static size_t flat(const ks_response_withdrawal_result *r, double *x)
{
    size_t k = 0;
    x[k++] = r->stable_share;
    x[k++] = r->stable_share_op;
    x[k++] = r->share_by_exposure[0];
    x[k++] = r->share_by_exposure[1];
    for (int a = 0; a < 2; a++)
        for (size_t j = 0; j < r->n_checks; j++)
            x[k++] = r->cum_relapse[a][j];
    return k;
}

static void accuracy(const ks_response_params *p_in, int schedule)
{
    ks_error err = {0};
    ks_response_withdrawal_result vp, q, qk;
    assert_int_equal(ks_response_withdraw(W, p_in, schedule, N_VP, 20261122, 0, &vp, &err), 0);
    ks_response_params p = *p_in;
    p.first_visit_h = p.last_visit_h = 0;
    double *D[2];
    size_t nD[2];
    for (int a = 0; a < 2; a++)
        assert_int_equal(ks_response_withdrawal_drug(W, &p, schedule, a, &D[a], &nD[a], &err), 0);
    const double *Dc[2] = {D[0], D[1]};
    assert_int_equal(ks_response_withdraw_quad(W, p_in, schedule, M_Q, 0, &q, &err), 0);
    /* the quadrature on given drug states is the same bits */
    assert_int_equal(
        ks_response_withdraw_quad_drug(p_in, schedule, Dc, nD, M_Q, 20261124, 0, &qk, &err), 0);
    assert_memory_equal(&q, &qk, sizeof q);
    double xv[NX], xq[NX], xk[K_SE][NX];
    size_t nx = flat(&vp, xv);
    flat(&q, xq);
    for (int k = 0; k < K_SE; k++) {
        assert_int_equal(
            ks_response_withdraw_quad_drug(p_in, schedule, Dc, nD, M_Q, 7 + k, 0, &qk, &err), 0);
        flat(&qk, xk[k]);
    }
    free(D[0]);
    free(D[1]);
    assert_int_equal(q.n_checks, vp.n_checks);
    double den[4] = {(double)vp.n, (double)vp.n_entrants, (double)vp.n_stable, (double)vp.n_stable};
    double zmax = 0;
    for (size_t i = 0; i < nx; i++) {
        double v = xv[i] * (1 - xv[i]) / (i < 3 ? den[i] : den[3]), m = 0, s2 = 0;
        for (int k = 0; k < K_SE; k++)
            m += xk[k][i] / K_SE;
        for (int k = 0; k < K_SE; k++)
            s2 += (xk[k][i] - m) * (xk[k][i] - m) / (K_SE - 1);
        double se = sqrt(v + s2), z = (xq[i] - xv[i]) / se;
        if (i < 4) {
            printf("  output %zu: virtual patients %.5f, quadrature %.5f, combined SE %.5f: "
                   "z %+.2f\n",
                   i, xv[i], xq[i], se, z);
            assert_true(fabs(z) <= Z_HEAD);
        } else if (se > 0) {
            zmax = fmax(zmax, fabs(z));
            assert_true(fabs(z) <= Z_ONE);
        } else
            assert_true(xq[i] == xv[i]);
    }
    printf(
        "  schedule %d, f %g: cum_relapse max |z| %.2f over %zu checks (both arms); medians %g/%g "
        "(virtual patients) %g/%g (quadrature) d\n",
        schedule, p_in->v[KS_RP_FLUCT], zmax, nx - 4, vp.median_d[0], vp.median_d[1], q.median_d[0],
        q.median_d[1]);
    /* something to catch: both arms relapse, the arms differ somewhere */
    assert_true(q.cum_relapse[1][q.n_checks - 1] > 0.2);
    double every = schedule == KS_WD_WEEKLY ? 7 : 14;
    for (int a = 0; a < 2; a++)
        if (isfinite(vp.median_d[a]) || isfinite(q.median_d[a]))
            assert_true(fabs(q.median_d[a] - vp.median_d[a]) <= every + 1e-9);
}

static void test_accuracy_shipped(void **state)
{
    (void)state;
    assert_true(P0.v[KS_RP_FLUCT] > 0); /* the shipped fit has a fluctuation */
    accuracy(&P0, KS_WD_BIWEEKLY);
}

static void test_accuracy_fast_fluct(void **state)
{
    (void)state;
    ks_response_params p = P0;
    p.v[KS_RP_FLUCT] = 0.5; /* test values, not a fit */
    p.v[KS_RP_T_FLUCT_D] = 14;
    accuracy(&p, KS_WD_WEEKLY);
}

static void test_deterministic_and_errors(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_response_withdrawal_result a, b, c;
    memset(&a, 0x55, sizeof a);
    memset(&b, 0xaa, sizeof b);
    assert_int_equal(ks_response_withdraw_quad(W, &P0, KS_WD_WEEKLY, 1000, 1, &a, &err), 0);
    assert_int_equal(ks_response_withdraw_quad(W, &P0, KS_WD_WEEKLY, 1000, 2, &b, &err), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(ks_response_withdraw_quad(W, &P0, KS_WD_WEEKLY, 1000, 2, &c, &err), 0);
    assert_memory_equal(&a, &c, sizeof a);
    assert_true(a.n == 1000 && a.n_stable == 0 && a.relapsed[0] == 0);
    assert_true(a.stable_share > 0 && a.stable_share < 1);
    /* another key: other innovations, another (close) result */
    assert_int_equal(ks_response_withdraw_quad_key(W, &P0, KS_WD_WEEKLY, 1000, 99, 2, &c, &err), 0);
    assert_true(c.cum_relapse[1][20] != a.cum_relapse[1][20]);
    /* errors */
    assert_int_equal(ks_response_withdraw_quad(W, &P0, KS_WD_WEEKLY, 999, 1, &c, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "m 999"));
    assert_int_equal(ks_response_withdraw_quad(W, &P0, KS_WD_WEEKLY, 0, 1, &c, &err), KS_EINVAL);
    assert_int_equal(ks_response_withdraw_quad(W, &P0, 2, 1000, 1, &c, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "schedule"));
    ks_response_params p = P0;
    p.v[KS_RP_OMEGA_PHI] = 0;
    assert_int_equal(ks_response_withdraw_quad(W, &p, KS_WD_WEEKLY, 1000, 1, &c, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "omega_phi"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_shipped),
        cmocka_unit_test(test_accuracy_fast_fluct),
        cmocka_unit_test(test_deterministic_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
