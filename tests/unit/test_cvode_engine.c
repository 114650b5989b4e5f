/* The exact engine against SUNDIALS CVODE on hand-written ODEs of the same
 * structures. The ODEs are written here from the model definitions, independently
 * of the engine's matrix assembly, so a wrong matrix, a wrong dose split or a wrong
 * step shows up as a difference. Target: 1e-8 relative. */
#include "ks_test.h"
#include "ks_models_test.h"
#include "ketsim/ketsim.h"

#include <cvode/cvode.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdlib.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#define MAXS 16

typedef struct ode_par {
    double p[32];
    double rate[MAXS]; /* zero-order inputs active in the current segment */
} ode_par;
typedef void (*rhs_fn)(const double *x, double *dx, const double *p);
typedef struct tbolus {
    double t;
    int state;
    double amount;
} tbolus;
typedef struct tinf {
    double t0, t1;
    int state;
    double rate;
} tinf;

typedef struct problem {
    int n;
    rhs_fn f;
    ode_par par;
    tbolus b[32];
    int nb;
    tinf inf[32];
    int ni;
} problem;

static int cv_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
    (void)t;
    problem *pr = ud;
    double *x = N_VGetArrayPointer(y), *dx = N_VGetArrayPointer(ydot);
    pr->f(x, dx, pr->par.p);
    for (int i = 0; i < pr->n; i++)
        dx[i] += pr->par.rate[i];
    return 0;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Integrate piecewise between events; X[k*n + i] = state i at times[k] (after
 * boluses given at that time, like the engine). */
static void cvode_solve(problem *pr, const double *times, int nt, double *X)
{
    int n = pr->n;
    double ev[256];
    int ne = 0;
    ev[ne++] = 0.0;
    for (int i = 0; i < pr->nb; i++)
        ev[ne++] = pr->b[i].t;
    for (int i = 0; i < pr->ni; i++) {
        ev[ne++] = pr->inf[i].t0;
        ev[ne++] = pr->inf[i].t1;
    }
    ev[ne++] = times[nt - 1] + 1.0;
    qsort(ev, (size_t)ne, sizeof *ev, cmpd);

    SUNContext ctx;
    assert_int_equal(SUNContext_Create(NULL, &ctx), 0);
    N_Vector y = N_VNew_Serial(n, ctx);
    double *x = N_VGetArrayPointer(y);
    memset(x, 0, (size_t)n * sizeof *x);
    void *mem = CVodeCreate(CV_BDF, ctx);
    assert_non_null(mem);
    assert_int_equal(CVodeInit(mem, cv_rhs, 0.0, y), CV_SUCCESS);
    assert_int_equal(CVodeSStolerances(mem, 1e-12, 1e-14), CV_SUCCESS);
    SUNMatrix J = SUNDenseMatrix(n, n, ctx);
    SUNLinearSolver LS = SUNLinSol_Dense(y, J, ctx);
    assert_int_equal(CVodeSetLinearSolver(mem, LS, J), CV_SUCCESS);
    CVodeSetUserData(mem, pr);
    CVodeSetMaxNumSteps(mem, 1000000);
    int k = 0;
    for (int e = 0; e + 1 < ne && k < nt; e++) {
        double ta = ev[e], tb = ev[e + 1];
        if (tb == ta) continue;
        for (int i = 0; i < pr->nb; i++)
            if (pr->b[i].t == ta) x[pr->b[i].state] += pr->b[i].amount;
        double mid = 0.5 * (ta + tb);
        memset(pr->par.rate, 0, sizeof pr->par.rate);
        for (int i = 0; i < pr->ni; i++)
            if (pr->inf[i].t0 <= mid && mid < pr->inf[i].t1)
                pr->par.rate[pr->inf[i].state] += pr->inf[i].rate;
        assert_int_equal(CVodeReInit(mem, ta, y), CV_SUCCESS);
        CVodeSetStopTime(mem, tb);
        while (k < nt && times[k] == ta)
            memcpy(X + (size_t)k++ * n, x, (size_t)n * sizeof *x);
        while (k < nt && times[k] < tb) {
            sunrealtype tret;
            assert_true(CVode(mem, times[k], y, &tret, CV_NORMAL) >= 0);
            memcpy(X + (size_t)k++ * n, x, (size_t)n * sizeof *x);
        }
        if (tb <= times[nt - 1]) {
            sunrealtype tret;
            assert_true(CVode(mem, tb, y, &tret, CV_NORMAL) >= 0);
        }
    }
    assert_int_equal(k, nt);
    CVodeFree(&mem);
    SUNLinSolFree(LS);
    SUNMatDestroy(J);
    N_VDestroy(y);
    SUNContext_Free(&ctx);
}

/* Compare a ketsim output column with the reference series: 1e-8 relative where the
 * value is above 1e-6 of its peak, else 1e-8 of the peak absolute. */
static double compare(const double *got, const double *want, int nt)
{
    double peak = 0.0, worst = 0.0;
    for (int k = 0; k < nt; k++)
        peak = fmax(peak, fabs(want[k]));
    assert_true(peak > 0);
    for (int k = 0; k < nt; k++) {
        double tol = fabs(want[k]) > 1e-6 * peak ? 1e-8 * fabs(want[k]) : 1e-8 * peak;
        if (!(fabs(got[k] - want[k]) <= tol))
            fail_msg("point %d: ketsim %.15g vs CVODE %.15g (tolerance %.3g)", k, got[k], want[k],
                     tol);
        if (fabs(want[k]) > 1e-6 * peak) worst = fmax(worst, fabs(got[k] / want[k] - 1.0));
    }
    return worst;
}

/* Run ketsim for `doses` and check every listed output against obs(X). */
typedef void (*obs_fn)(const double *x, const double *p, double *out);

static void check(const char *json, const ks_covariates *cov, const ks_dose *doses, int nd,
                  problem *pr, const double *times, int nt, const char *const *outs, int no,
                  obs_fn obs)
{
    ks_error err = {0};
    ks_model *m = NULL;
    ks_sim *s = NULL;
    if (ks_model_load_string(json, "test", &m, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    if (cov) assert_int_equal(ks_sim_set_covariates(s, cov, &err), KS_OK);
    for (int i = 0; i < nd; i++)
        if (ks_sim_add_dose(s, &doses[i], &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_sim_set_times(s, times, (size_t)nt, &err), KS_OK);
    if (ks_sim_run(s, &err)) fail_msg("%s", err.msg);
    double *X = calloc((size_t)nt * pr->n, sizeof *X);
    double *want = calloc((size_t)nt * no, sizeof *want);
    cvode_solve(pr, times, nt, X);
    for (int k = 0; k < nt; k++) {
        double o[8];
        obs(X + (size_t)k * pr->n, pr->par.p, o);
        for (int j = 0; j < no; j++)
            want[j * nt + k] = o[j];
    }
    for (int j = 0; j < no; j++) {
        int idx = ks_sim_output_index(s, outs[j]);
        if (idx < 0) fail_msg("no output %s", outs[j]);
        double worst = compare(ks_sim_output(s, (size_t)idx), want + (size_t)j * nt, nt);
        print_message("  %-26s max relative difference to CVODE %.2e\n", outs[j], worst);
    }
    free(X);
    free(want);
    ks_sim_free(s);
    ks_model_free(m);
}

static int grid(double until, double step, double *t)
{
    int n = 0;
    for (double v = 0; v <= until + 1e-12; v = ++n * step)
        t[n] = v;
    return n;
}

/* ---- 1-compartment: iv bolus, iv infusion, oral with lag and F, repeated */
static void rhs_1cmt(const double *x, double *dx, const double *p)
{
    double V = p[0], CL = p[1], KA = p[2];
    dx[0] = -CL / V * x[0] + KA * x[1];
    dx[1] = -KA * x[1];
}
static void obs_1cmt(const double *x, const double *p, double *o)
{
    o[0] = x[0] / p[0] * 1000;
}

static void test_1cmt_iv_and_oral(void **state)
{
    (void)state;
    double t[400];
    int nt = grid(48, 0.25, t);
    problem pr = {2,
                  rhs_1cmt,
                  {.p = {20, 2, 1.5}},
                  {{0, 0, 100}, {12.25, 1, 0.7 * 50}},
                  2,
                  {{6, 7.5, 0, 80 / 1.5}},
                  1};
    ks_dose d[] = {{0, 100, 0, "iv"}, {6, 80, 1.5, "iv"}, {12, 50, 0, "oral"}};
    const char *outs[] = {"cp_drug_ng_ml"};
    check(MODEL_1CMT, NULL, d, 3, &pr, t, nt, outs, 1, obs_1cmt);
}

/* ---- 2-compartment with allometric CL, two infusions overlapping a bolus */
static void rhs_2cmt(const double *x, double *dx, const double *p)
{
    double V1 = p[0], V2 = p[1], CL = p[2], Q = p[3];
    dx[0] = -(CL + Q) / V1 * x[0] + Q / V2 * x[1];
    dx[1] = Q / V1 * x[0] - Q / V2 * x[1];
}
static void obs_2cmt(const double *x, const double *p, double *o)
{
    o[0] = x[0] / p[0] * 1000;
}

static void test_2cmt_iv(void **state)
{
    (void)state;
    double t[400];
    int nt = grid(24, 1.0 / 12, t);
    double w = 32.5, CL = 90 * pow(w / 70, 0.75);
    problem pr = {2,
                  rhs_2cmt,
                  {.p = {38.7, 102, CL, 215}},
                  {{1, 0, 10}},
                  1,
                  {{0, 2.0 / 3, 0, 30 * 1.5}, {0.5, 1.5, 0, 20}},
                  2};
    ks_covariates cov = {0};
    ks_covariates_set(&cov, "weight", w, NULL);
    ks_dose d[] = {{0, 30, 2.0 / 3, "iv"}, {0.5, 20, 1.0, "iv"}, {1, 10, 0, "iv"}};
    const char *outs[] = {"cp_drug_ng_ml"};
    check(MODEL_2CMT, &cov, d, 3, &pr, t, nt, outs, 1, obs_2cmt);
}

/* ---- 3-compartment micro-constants (per minute), V1 per kg, effect site: infusion then bolus */
static void rhs_3cmt(const double *x, double *dx, const double *p)
{
    double V1 = p[0], k10 = p[1], k12 = p[2], k13 = p[3], k21 = p[4], k31 = p[5], ke0 = p[6];
    dx[0] = -(k10 + k12 + k13) * x[0] + k21 * x[1] + k31 * x[2];
    dx[1] = k12 * x[0] - k21 * x[1];
    dx[2] = k13 * x[0] - k31 * x[2];
    dx[3] = ke0 * (x[0] / V1 - x[3]);
}
static void obs_3cmt(const double *x, const double *p, double *o)
{
    o[0] = x[0] / p[0] * 1000;
    o[1] = x[3] * 1000;
}

static void test_3cmt_iv_effect(void **state)
{
    (void)state;
    double t[400];
    int nt = grid(24, 1.0 / 12, t);
    double w = 70;
    problem pr = {4,
                  rhs_3cmt,
                  {.p = {0.063 * w, 0.4381 * 60, 0.5921 * 60, 0.59 * 60, 0.247 * 60, 0.0146 * 60,
                         0.652 * 60}},
                  {{12, 0, 20}},
                  1,
                  {{0, 40.0 / 60, 0, 35 / (40.0 / 60)}},
                  1};
    ks_covariates cov = {0};
    ks_covariates_set(&cov, "weight", w, NULL);
    ks_dose d[] = {{0, 35, 40.0 / 60, "iv"}, {12, 20, 0, "iv"}};
    const char *outs[] = {"cp_drug_ng_ml", "ce_drug_ng_ml"};
    check(MODEL_3CMT, &cov, d, 2, &pr, t, nt, outs, 2, obs_3cmt);
}

/* ---- parent + metabolite through a transit chain, molar conversion, effect sites */
static void rhs_metab(const double *x, double *dx, const double *p)
{
    double V1 = p[0], V2 = p[1], CL = p[2], Q = p[3], FM = p[4], ktr = 3 / p[5];
    double VM1 = p[6], VM2 = p[7], CLM = p[8], QM = p[9], ke0p = p[10], ke0m = p[11];
    double conv = 223.70 / 237.73;
    dx[0] = -(CL + Q) / V1 * x[0] + Q / V2 * x[1];
    dx[1] = Q / V1 * x[0] - Q / V2 * x[1];
    dx[2] = CL / V1 * x[0] - ktr * x[2];
    dx[3] = ktr * (x[2] - x[3]);
    dx[4] = ktr * (x[3] - x[4]);
    dx[5] = FM * conv * ktr * x[4] - (CLM + QM) / VM1 * x[5] + QM / VM2 * x[6];
    dx[6] = QM / VM1 * x[5] - QM / VM2 * x[6];
    dx[7] = ke0p * (x[0] / V1 - x[7]);
    dx[8] = ke0m * (x[5] / VM1 - x[8]);
}
static void obs_metab(const double *x, const double *p, double *o)
{
    o[0] = x[0] / p[0] * 1000;
    o[1] = x[5] / p[6] * 1000;
    o[2] = x[7] * 1000;
    o[3] = x[8] * 1000;
}

static void test_parent_metabolite(void **state)
{
    (void)state;
    double t[800];
    int nt = grid(48, 1.0 / 12, t);
    problem pr = {
        9,
        rhs_metab,
        {.p = {60, 150, 80, 120, 0.6, 20.0 / 60, 100, 200, 40, 30, log(2) / (6.1 / 60), 3}},
        {{24, 0, 20}},
        1,
        {{0, 40.0 / 60, 0, 35 * 1.5}},
        1};
    ks_dose d[] = {{0, 35, 40.0 / 60, "iv"}, {24, 20, 0, "iv"}};
    const char *outs[] = {"cp_parent_ng_ml", "cp_metab_ng_ml", "ce_parent_ng_ml", "ce_metab_ng_ml"};
    check(MODEL_METAB, NULL, d, 2, &pr, t, nt, outs, 4, obs_metab);
}

/* ---- Perez-Ruixo 2021 esketamine nasal structure, from the shipped model file,
 * against the ODEs as the nlmixr2lib encoding writes them (typical values). */
enum { PR_DEPOT, PR_DEPOT2, PR_DEPOT3, PR_C, PR_P1, PR_P2, PR_LIVER, PR_NC, PR_NP, PR_CE, PR_N };
static void rhs_pr(const double *x, double *dx, const double *p)
{
    double ka_n = p[0], ka_sw = p[1], ka_po = p[2], Vc = p[3], Q1 = p[4], Vp = p[5], Q2 = p[6];
    double Vp2 = p[7], Qh = p[8], Vh = p[9], kel = p[10], kmet = p[11], Vcn = p[12], CLn = p[13];
    double Vpn = p[14], Q3 = p[15], ke0 = p[16];
    dx[PR_DEPOT] = -ka_n * x[PR_DEPOT];
    dx[PR_DEPOT2] = -ka_sw * x[PR_DEPOT2];
    dx[PR_DEPOT3] = -ka_po * x[PR_DEPOT3];
    dx[PR_C] = ka_n * x[PR_DEPOT] + Q1 / Vp * x[PR_P1] + Q2 / Vp2 * x[PR_P2] +
               Qh / Vh * x[PR_LIVER] - (Q1 / Vc + Q2 / Vc + Qh / Vc) * x[PR_C];
    dx[PR_P1] = Q1 / Vc * x[PR_C] - Q1 / Vp * x[PR_P1];
    dx[PR_P2] = Q2 / Vc * x[PR_C] - Q2 / Vp2 * x[PR_P2];
    dx[PR_LIVER] = ka_sw * x[PR_DEPOT2] + ka_po * x[PR_DEPOT3] + Qh / Vc * x[PR_C] -
                   (Qh / Vh + kel + kmet) * x[PR_LIVER];
    dx[PR_NC] = kmet * x[PR_LIVER] + Q3 / Vpn * x[PR_NP] - (CLn / Vcn + Q3 / Vcn) * x[PR_NC];
    dx[PR_NP] = Q3 / Vcn * x[PR_NC] - Q3 / Vpn * x[PR_NP];
    dx[PR_CE] = ke0 * (x[PR_C] / Vc - x[PR_CE]);
}
static void obs_pr(const double *x, const double *p, double *o)
{
    o[0] = x[PR_C] / p[3] * 1000;
    o[1] = x[PR_NC] / p[12] * 1000;
    o[2] = x[PR_CE] * 1000;
}

static void test_perez_ruixo_nasal(void **state)
{
    (void)state;
    char *json = ks_test_read_file(ks_test_path("models/esketamine/perez-ruixo-2021.json"));
    assert_non_null(json);
    double t[800];
    int nt = grid(36, 1.0 / 12, t);
    /* Table 3 typical values (see the model file), age 45, non-Asian. */
    double FRn = 0.54, Fgut = 0.64, Dsw = 0.53, Dpo = 0.32;
    double frn84 = FRn * (1 + 2 * 0.62) / 3, frn56 = FRn * (1 + 0.62) / 2;
    problem pr = {PR_N,
                  rhs_pr,
                  {.p = {2.93, 1.45, 0.97, 192, 84.3, 143, 37.6, 417, 151, 101, 1.11, 2.77, 70, 38,
                         115, 26.1, log(2) / (6.1 / 60)}},
                  {{0, PR_DEPOT, 84 * frn84}, {12, PR_DEPOT, 56 * frn56}, {20, PR_C, 14}},
                  3,
                  {{0, Dsw, PR_DEPOT2, 84 * (1 - frn84) * Fgut / Dsw},
                   {12, 12 + Dsw, PR_DEPOT2, 56 * (1 - frn56) * Fgut / Dsw},
                   {6, 6 + Dpo, PR_DEPOT3, 30 * Fgut / Dpo},
                   {24, 24 + 40.0 / 60, PR_C, 28 * 1.5}},
                  4};
    ks_dose d[] = {{0, 84, 0, "nasal"},
                   {6, 30, 0, "oral"},
                   {12, 56, 0, "nasal"},
                   {20, 14, 0, "iv"},
                   {24, 28, 40.0 / 60, "iv"}};
    const char *outs[] = {"cp_esketamine_ng_ml", "cp_noresketamine_ng_ml", "ce_esketamine_ng_ml"};
    check(json, NULL, d, 5, &pr, t, nt, outs, 3, obs_pr);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1cmt_iv_and_oral),  cmocka_unit_test(test_2cmt_iv),
        cmocka_unit_test(test_3cmt_iv_effect),    cmocka_unit_test(test_parent_metabolite),
        cmocka_unit_test(test_perez_ruixo_nasal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
