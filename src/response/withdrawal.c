/* ketsim: a randomised-withdrawal trial like SUSTAIN-1 (Daly 2019) predicted by the response
 * model (ks_response_withdraw; the design and its assumptions are in response.h and
 * docs/response-model.md, "SUSTAIN-1: a prediction, then a fitted figure"). Virtual patients with
 * their within-patient fluctuation paths, the same patients in both arms. */
#include "ketsim/response.h"
#include "ketsim/trial.h"
#include "response_internal.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WD_DT KS_RESPONSE_WD_DT_H
#define OP_WEEKLY_FIRST_D 28.0 /* weeks 5-8: weekly at 28, 35, 42, 49 */
#define OP_WEEKLY_LAST_D 49.0
#define END_D (KS_WD_RAND_D + KS_WD_HORIZON_D)
#define MAX_DOSES 160
/* weeks 13-16: the weekly assessments of the end of optimisation */
static const double REMIT_D[4] = {84, 91, 98, 105};

/* Grid index of a time in days (the visits fall on the grid). */
static size_t kd(double t_d)
{
    return (size_t)llround(24.0 * t_d / WD_DT);
}

/* Per schedule: both arms' occupancy on the grid, and the grid indices the drug state's
 * computation uses (occupancy() says why they hold): from kL on the esketamine arm's
 * occupancy repeats every per points; the placebo arm's equals it up to kpre (kL + a
 * multiple of per) and is 0 from kz on. */
struct ks_response_withdrawal {
    double *occ[KS_WD_N_SCHEDULES][2];
    size_t n[KS_WD_N_SCHEDULES][2];
    size_t kL[KS_WD_N_SCHEDULES], per[KS_WD_N_SCHEDULES], kpre[KS_WD_N_SCHEDULES],
        kz[KS_WD_N_SCHEDULES];
};

void ks_response_withdrawal_free(ks_response_withdrawal *w)
{
    if (!w) return;
    for (int s = 0; s < KS_WD_N_SCHEDULES; s++)
        for (int a = 0; a < 2; a++)
            free(w->occ[s][a]);
    free(w);
}

static int bad_design(int schedule, int arm, ks_error *err)
{
    if (schedule < 0 || schedule >= KS_WD_N_SCHEDULES)
        return ks_error_set(err, KS_EINVAL, "withdrawal: schedule %d is not one", schedule);
    if (arm != KS_WD_ESK && arm != KS_WD_PLACEBO)
        return ks_error_set(err, KS_EINVAL, "withdrawal: arm %d is not one", arm);
    return KS_OK;
}

/* After the weekly doses of weeks 5-8: the first dose and the interval (d). */
static void after_week8(int schedule, double *first_d, double *every_d)
{
    *every_d = schedule == KS_WD_WEEKLY ? 7.0 : 14.0;
    *first_d = OP_WEEKLY_LAST_D + *every_d;
}

int ks_response_withdrawal_doses(int schedule, int arm, ks_dose *doses, size_t cap, size_t *n,
                                 ks_error *err)
{
    *n = 0;
    int rc = bad_design(schedule, arm, err);
    if (rc) return rc;
    size_t k = 0;
#define PUT(t_d, mg)                                                                               \
    do {                                                                                           \
        if (k >= cap) return ks_error_set(err, KS_EINVAL, "withdrawal: more than %zu doses", cap); \
        doses[k++] = (ks_dose){24.0 * (t_d), (mg), 0.0, "nasal"};                                  \
    } while (0)
    for (int i = 0; i < KS_ESK_INDUCTION_N; i++)
        PUT(KS_ESK_INDUCTION_DAYS[i], i == 0 ? KS_ESK_FIRST_MG : KS_ESK_MG);
    for (double t = OP_WEEKLY_FIRST_D; t <= OP_WEEKLY_LAST_D; t += 7)
        PUT(t, KS_ESK_MG);
    double t, every;
    after_week8(schedule, &t, &every);
    /* placebo: the esketamine doses stop at randomisation (the spray is placebo) */
    double stop = arm == KS_WD_PLACEBO ? KS_WD_RAND_D : END_D;
    for (; t < stop; t += every)
        PUT(t, KS_ESK_MG);
#undef PUT
    *n = k;
    return KS_OK;
}

void ks_response_withdrawal_checks(int schedule, double *check_d, size_t *n)
{
    /* the visits after randomisation: the first at 119 d in both schedules (a week after
     * randomisation; the every-other-week lattice from 63 d passes 119 d) */
    double every = schedule == KS_WD_WEEKLY ? 7.0 : 14.0;
    size_t k = 0;
    for (double t = KS_WD_RAND_D + 7; t <= END_D + 1e-9 && k < KS_WD_MAX_CHECKS; t += every)
        check_d[k++] = t - KS_WD_RAND_D;
    *n = k;
}

/* The occupancy of both arms of a schedule from one short simulation. From the start of
 * the schedule's periodic lattice (weekly from 28 d; every other week from 49 d, the
 * week-8 dose) the doses are periodic; ks_response_occupancy keeps a dose's PK tail for
 * KS_RESPONSE_OCC_TAIL_H (8 d) after the last dose and its occupancy is below 1e-5 there.
 * So once every dose of the last LATTICE_HISTORY_D (two tails, 16 d) is a lattice dose,
 * each interval sees the same doses at the same offsets, and the occupancy repeats with the
 * interval. The simulation runs the esketamine arm's doses up to the first lattice dose L
 * with such a history one interval before it, and on to L + 8 d without a further dose:
 *   - esketamine arm: the simulation before L, then the interval before L repeated;
 *   - placebo arm: the esketamine arm's up to the last dose before randomisation (105 d),
 *     then the simulation's tail after L shifted there (cut, as the whole simulation's,
 *     KS_RESPONSE_OCC_TAIL_H after that dose: every other week the next lattice time, 119 d,
 *     is later than that), then 0
 *     (as ks_response_occupancy sets it 8 d after the last dose).
 * tests/unit/test_response_withdrawal.c checks both arms of both schedules against the
 * whole simulation of their doses. Simulating every arm whole takes about 70 s; this, about
 * 160 simulated days instead of 760, a few seconds. */
#define LATTICE_HISTORY_D (2.0 * KS_RESPONSE_OCC_TAIL_H / 24.0)
static int occupancy(const ks_model *m, const ks_pd *pd, int s, ks_response_withdrawal *w,
                     ks_error *err)
{
    double **occ = w->occ[s];
    ks_covariates cov = {0};
    ks_response_calib_cov(&cov);
    ks_dose doses[MAX_DOSES];
    size_t nd;
    int rc = ks_response_withdrawal_doses(s, KS_WD_ESK, doses, MAX_DOSES, &nd, err);
    if (rc) return rc;
    double first, every;
    after_week8(s, &first, &every);
    double lat0 = s == KS_WD_WEEKLY ? OP_WEEKLY_FIRST_D : OP_WEEKLY_LAST_D;
    double L = lat0;
    while (L - every < lat0 + LATTICE_HISTORY_D)
        L += every;
    double last_pre = L; /* the last lattice dose before randomisation */
    while (last_pre + every < KS_WD_RAND_D)
        last_pre += every;
    size_t m_sim = 0;
    while (m_sim < nd && doses[m_sim].time_h <= 24.0 * L)
        m_sim++;
    double tail_d = KS_RESPONSE_OCC_TAIL_H / 24.0;
    double *run = NULL;
    size_t nr = 0;
    rc = ks_response_occupancy(m, pd, &cov, doses, m_sim, 24.0 * (L + tail_d), WD_DT, &run, &nr,
                               err);
    if (rc) return rc;
    size_t n_all = kd(END_D) + 1, kL = kd(L), per = kd(every), kpre = kd(last_pre);
    double *e = malloc(n_all * sizeof *e), *p = malloc(n_all * sizeof *p);
    if (!e || !p) {
        free(run);
        free(e);
        free(p);
        return ks_error_set(err, KS_ENOMEM, "withdrawal: out of memory");
    }
    for (size_t k = 0; k < n_all; k++)
        e[k] = k < kL ? run[k] : e[k - per];
    for (size_t k = 0; k < n_all; k++) {
        if (k <= kpre)
            p[k] = e[k];
        else {
            size_t j = k - kpre + kL;
            p[k] = j < nr ? run[j] : 0.0;
        }
    }
    free(run);
    occ[KS_WD_ESK] = e;
    occ[KS_WD_PLACEBO] = p;
    w->n[s][0] = w->n[s][1] = n_all;
    size_t kz = n_all;
    while (kz > 0 && p[kz - 1] == 0.0)
        kz--;
    w->kL[s] = kL;
    w->per[s] = per;
    w->kpre[s] = kpre;
    w->kz[s] = kz;
    /* what ks_response_withdrawal_drug relies on: true by construction above (asserted
     * here so that a change to the construction fails loudly instead of giving a drug
     * state from the wrong occupancy) */
    int ok = kL > 0 && per > 0 && kpre >= kL && (kpre - kL) % per == 0 && kpre < n_all;
    for (size_t k = kL; ok && k < n_all; k++)
        ok = e[k] == e[k - per];
    for (size_t k = 0; ok && k <= kpre; k++)
        ok = p[k] == e[k];
    if (!ok)
        return ks_error_set(err, KS_ENUMERIC,
                            "withdrawal: the maintenance lattice is not periodic");
    return KS_OK;
}

int ks_response_withdrawal_create(const ks_model *esk_nasal, const ks_pd *pd,
                                  ks_response_withdrawal **out, ks_error *err)
{
    *out = NULL;
    ks_response_withdrawal *w = calloc(1, sizeof *w);
    if (!w) return ks_error_set(err, KS_ENOMEM, "withdrawal: out of memory");
    int rc = KS_OK;
    for (int s = 0; s < KS_WD_N_SCHEDULES && !rc; s++) {
        rc = occupancy(esk_nasal, pd, s, w, err);
        if (rc) ks_error_prefix(err, "withdrawal design (schedule %d)", s);
    }
    if (rc) {
        ks_response_withdrawal_free(w);
        return rc;
    }
    *out = w;
    return KS_OK;
}

const double *ks_response_withdrawal_occ(const ks_response_withdrawal *w, int schedule, int arm,
                                         size_t *n)
{
    *n = 0;
    if (!w || bad_design(schedule, arm, NULL)) return NULL;
    *n = w->n[schedule][arm];
    return w->occ[schedule][arm];
}

/* exp(A dt) (row-major, NX x NX) for A the drive at zero occupancy: rows as response.c's
 * rhs with o = 0, linear with constant coefficients (its exact solution, GSL's matrix
 * exponential). */
static int step_matrix(const ks_response_params *p, double e[KS_RESPONSE_NX * KS_RESPONSE_NX],
                       ks_error *err)
{
    const int nx = KS_RESPONSE_NX;
    double ku = log(2.0) / p->v[KS_RP_T_UNTRAP_H], kdl = 2.0 / p->v[KS_RP_T_DELAY_H],
           ks = log(2.0) / (24.0 * p->v[KS_RP_T_SPINE_D]),
           kc = log(2.0) / (24.0 * p->v[KS_RP_T_CONS_D]);
    double a[KS_RESPONSE_NX * KS_RESPONSE_NX] = {0};
    a[0 * nx + 0] = -ku;
    a[1 * nx + 0] = kdl;
    a[1 * nx + 1] = -kdl;
    a[2 * nx + 1] = kdl;
    a[2 * nx + 2] = -kdl;
    a[3 * nx + 2] = ks;
    a[3 * nx + 3] = -ks;
    a[4 * nx + 3] = kc;
    a[4 * nx + 4] = -kc;
    for (int q = 0; q < nx * nx; q++)
        a[q] *= WD_DT;
    gsl_matrix_view A = gsl_matrix_view_array(a, nx, nx), E = gsl_matrix_view_array(e, nx, nx);
    /* No gsl_set_error_handler_off() around it: the handler is process-global and this runs
     * inside OpenMP-parallel objective evaluations (Hessian, MCMC chains), where swapping it
     * races and can leave it off for the whole process. The matrices are square and of one
     * size, so GSL's only failure left is an allocation inside it (its default handler then
     * aborts with a message, as everywhere else in ketsim). */
    int g = gsl_linalg_exponential_ss(&A.matrix, &E.matrix, GSL_PREC_DOUBLE);
    return g ? ks_error_set(err, KS_ENUMERIC, "withdrawal: matrix exponential failed (%d)", g)
             : KS_OK;
}

/* y = E x (NX x NX row-major) */
static void mat_vec(const double *E, const double *x, double *y)
{
    for (int q = 0; q < KS_RESPONSE_NX; q++) {
        y[q] = 0;
        for (int i = 0; i < KS_RESPONSE_NX; i++)
            y[q] += E[q * KS_RESPONSE_NX + i] * x[i];
    }
}

/* D from the state: w_fast T + S + w_cons C (as ks_response_drive) */
static double d_of(const ks_response_params *p, const double *x)
{
    return p->v[KS_RP_W_FAST] * x[0] + x[3] + p->v[KS_RP_W_CONS] * x[4];
}

/* The drug state over one maintenance interval (per + 1 grid points of the periodic
 * occupancy) as an affine map of the state x at its start: the state at its end is
 * Phi x + beta and D at point j is c[j] + r[j] . x (r: (per + 1) x NX). The drive is linear
 * in its state, so the map is exact (to the integrator's tolerance): beta and c from one
 * drive from 0; column 0 (trapped T) from a drive from T = 1 minus that; columns 1-4 from
 * exp(A dt)^j, since from a state with T = 0 the occupancy never enters (T stays 0 and the
 * rest is linear with constant coefficients). */
typedef struct {
    double Phi[KS_RESPONSE_NX][KS_RESPONSE_NX], beta[KS_RESPONSE_NX];
    double *r, *c;
} period_map;

static int period_map_make(const ks_response_params *p, const double *occ, size_t per,
                           const double *E, period_map *pm, ks_error *err)
{
    const int nx = KS_RESPONSE_NX;
    pm->r = malloc((per + 1) * nx * sizeof *pm->r);
    pm->c = malloc((per + 1) * sizeof *pm->c);
    double *d = malloc((per + 1) * sizeof *d);
    int rc =
        !pm->r || !pm->c || !d ? ks_error_set(err, KS_ENOMEM, "withdrawal: out of memory") : KS_OK;
    double x0[KS_RESPONSE_NX] = {0}, xe[KS_RESPONSE_NX];
    ks_response_states st = {0};
    st.D = pm->c;
    if (!rc) rc = ks_response_drive_from(p, occ, per + 1, WD_DT, x0, &st, pm->beta, err);
    x0[0] = 1.0;
    st.D = d;
    if (!rc) rc = ks_response_drive_from(p, occ, per + 1, WD_DT, x0, &st, xe, err);
    if (!rc) {
        for (int q = 0; q < nx; q++)
            pm->Phi[q][0] = xe[q] - pm->beta[q];
        for (size_t j = 0; j <= per; j++)
            pm->r[j * nx] = d[j] - pm->c[j];
        for (int i = 1; i < nx; i++) {
            double x[KS_RESPONSE_NX] = {0}, y[KS_RESPONSE_NX];
            x[i] = 1.0;
            pm->r[i] = d_of(p, x);
            for (size_t j = 1; j <= per; j++) {
                mat_vec(E, x, y);
                memcpy(x, y, sizeof y);
                pm->r[j * nx + (size_t)i] = d_of(p, x);
            }
            for (int q = 0; q < nx; q++)
                pm->Phi[q][i] = x[q];
        }
    }
    free(d);
    return rc;
}

static void period_map_free(period_map *pm)
{
    free(pm->r);
    free(pm->c);
}

/* Both arms' drug states (want[a]: wanted; D[a] of w->n[schedule][a] points, allocated
 * here) without integrating the whole 756 days: the drive up to the first lattice dose kL,
 * then the maintenance interval's affine map carried forward (the esketamine arm's
 * occupancy repeats from kL); the placebo arm is the esketamine arm's up to the last
 * lattice dose before randomisation (kpre, the same doses), then the drive over its tail
 * to kz and the exact decay after it. tests/unit/test_response_withdrawal.c checks it
 * against ks_response_drive over the whole grid. */
static int drug_arms(const ks_response_withdrawal *w, const ks_response_params *p, int schedule,
                     const int want[2], double *D[2], ks_error *err)
{
    D[0] = D[1] = NULL;
    const int nx = KS_RESPONSE_NX;
    size_t kL = w->kL[schedule], per = w->per[schedule], kpre = w->kpre[schedule],
           kz = w->kz[schedule], me = w->n[schedule][KS_WD_ESK], mp = w->n[schedule][KS_WD_PLACEBO];
    const double *e = w->occ[schedule][KS_WD_ESK], *po = w->occ[schedule][KS_WD_PLACEBO];
    /* the esketamine arm's state is computed to its end when it is wanted, else to kpre */
    double *d = malloc(me * sizeof *d), *dp = want[KS_WD_PLACEBO] ? malloc(mp * sizeof *dp) : NULL;
    if (!d || (want[KS_WD_PLACEBO] && !dp)) {
        free(d);
        free(dp);
        return ks_error_set(err, KS_ENOMEM, "withdrawal: out of memory");
    }
    period_map pm = {0};
    double E[KS_RESPONSE_NX * KS_RESPONSE_NX], x[KS_RESPONSE_NX], xpre[KS_RESPONSE_NX];
    ks_response_states st = {0};
    st.D = d;
    /* the part that failed, for the error (a drive's time is from the part's start) */
    const char *part = "the decay matrix";
    int rc = step_matrix(p, E, err);
    if (!rc) {
        part = "the drive to the first lattice dose";
        rc = ks_response_drive_from(p, e, kL + 1, WD_DT, NULL, &st, x, err);
    }
    if (!rc) {
        part = "the maintenance interval's map (time from the first lattice dose)";
        rc = period_map_make(p, e + kL, per, E, &pm, err);
    }
    size_t kend = want[KS_WD_ESK] ? me - 1 : kpre;
    if (kL == kpre) memcpy(xpre, x, sizeof x);
    for (size_t k0 = kL; !rc && k0 < kend; k0 += per) {
        for (size_t j = 1; j <= per && k0 + j <= kend; j++) {
            const double *rj = pm.r + j * (size_t)nx;
            double v = pm.c[j];
            for (int i = 0; i < nx; i++)
                v += rj[i] * x[i];
            d[k0 + j] = v;
        }
        if (k0 + per > kend) break; /* the esketamine arm's last, partial interval */
        double y[KS_RESPONSE_NX];
        mat_vec(&pm.Phi[0][0], x, y);
        for (int q = 0; q < nx; q++)
            x[q] = y[q] + pm.beta[q];
        if (k0 + per == kpre) memcpy(xpre, x, sizeof x);
    }
    if (!rc && dp) {
        /* the same patients on the same doses up to kpre: the same numbers, bit for bit */
        memcpy(dp, d, (kpre + 1) * sizeof *dp);
        memcpy(x, xpre, sizeof x);
        size_t kt = kz > kpre ? (kz < mp - 1 ? kz : mp - 1) : kpre;
        if (kt > kpre) {
            double keep = dp[kpre];
            ks_response_states tail = {0};
            tail.D = dp + kpre;
            part = "the placebo arm's last dose's tail (time from that dose)";
            rc = ks_response_drive_from(p, po + kpre, kt - kpre + 1, WD_DT, x, &tail, x, err);
            dp[kpre] = keep;
        }
        for (size_t k = kt + 1; !rc && k < mp; k++) {
            double y[KS_RESPONSE_NX];
            mat_vec(E, x, y);
            memcpy(x, y, sizeof y);
            dp[k] = d_of(p, x);
        }
    }
    period_map_free(&pm);
    if (rc || !want[KS_WD_ESK]) {
        free(d);
        d = NULL;
    }
    if (rc) {
        free(dp);
        ks_error_prefix(err, "withdrawal drug state (schedule %d), %s", schedule, part);
        return rc;
    }
    D[KS_WD_ESK] = d;
    D[KS_WD_PLACEBO] = dp;
    return KS_OK;
}

int ks_response_withdrawal_drug(const ks_response_withdrawal *w, const ks_response_params *p,
                                int schedule, int arm, double **D, size_t *n, ks_error *err)
{
    *D = NULL;
    *n = 0;
    int rc = bad_design(schedule, arm, err);
    if (!rc) rc = ks_response_params_check(p, err);
    if (rc) return rc;
    int want[2] = {arm == KS_WD_ESK, arm == KS_WD_PLACEBO};
    double *Dv[2];
    rc = drug_arms(w, p, schedule, want, Dv, err);
    if (rc) return rc;
    *D = Dv[arm];
    *n = w->n[schedule][arm];
    return KS_OK;
}

int ks_response_withdrawal_drug_both(const ks_response_withdrawal *w, const ks_response_params *p,
                                     int schedule, double *D[2], size_t n[2], ks_error *err)
{
    D[0] = D[1] = NULL;
    n[0] = n[1] = 0;
    int rc = bad_design(schedule, KS_WD_ESK, err);
    if (!rc) rc = ks_response_params_check(p, err);
    if (rc) return rc;
    const int want[2] = {1, 1};
    rc = drug_arms(w, p, schedule, want, D, err);
    if (rc) return rc;
    n[0] = w->n[schedule][0];
    n[1] = w->n[schedule][1];
    return KS_OK;
}

/* Per patient: 0 not an entrant, 1 entrant not in stable remission, 2 stable remitter; and
 * for a stable remitter the check index of the relapse date per arm (-1: none). */
typedef struct {
    signed char status;
    short rel[2];
} wd_slot;

int ks_response_withdraw(const ks_response_withdrawal *w, const ks_response_params *p_in,
                         int schedule, uint64_t n, uint64_t seed, int threads,
                         ks_response_withdrawal_result *out, ks_error *err)
{
    int rc = bad_design(schedule, KS_WD_ESK, err);
    if (rc) return rc;
    if (n < 1) return ks_error_set(err, KS_EINVAL, "withdrawal: n: no patients");
    rc = ks_response_params_check(p_in, err);
    if (rc) return rc;
    /* the oral antidepressant starts with the first dose at 0 */
    ks_response_params p = *p_in;
    p.first_visit_h = 0;
    p.last_visit_h = 0;
    double *D[2] = {NULL, NULL};
    size_t nD[2] = {0, 0};
    wd_slot *slot = NULL;
    rc = ks_response_withdrawal_drug_both(w, &p, schedule, D, nD, err);
    if (rc) goto done;
    double chk[KS_WD_MAX_CHECKS];
    size_t nc;
    ks_response_withdrawal_checks(schedule, chk, &nc);
    for (size_t j = 0; j < nc; j++)
        if (kd(KS_WD_RAND_D + chk[j]) >= nD[0] || kd(KS_WD_RAND_D + chk[j]) >= nD[1]) {
            rc = ks_error_set(err, KS_EINVAL, "withdrawal: check %g d beyond the drug state",
                              chk[j]);
            goto done;
        }
    if (n > SIZE_MAX / sizeof *slot) {
        rc = ks_error_set(err, KS_EINVAL, "withdrawal: n: %llu patients is too many",
                          (unsigned long long)n);
        goto done;
    }
    slot = malloc(n * sizeof *slot);
    if (!slot) {
        rc = ks_error_set(err, KS_ENOMEM, "withdrawal: out of memory for %llu patients",
                          (unsigned long long)n);
        goto done;
    }
    int fl = p.v[KS_RP_FLUCT] > 0 && p.v[KS_RP_OMEGA_PHI] > 0;
    int nthr = threads > 0 ? threads : omp_get_max_threads();
    const int ctx = KS_CTX_ORAL_AD;
#pragma omp parallel for schedule(dynamic, 64) num_threads(nthr)
    for (uint64_t i = 0; i < n; i++) {
        double th, ph, z[2];
        ks_response_patient(&p, ctx, seed, i, &th, &ph);
        ks_rng_normal2(seed, 0, i, KS_RNG_RESPONSE, 1, z);
        double b0 = fmin(60.0, fmax(1.0, 37.7 + 5.49 * z[0]));
        ks_response_path path;
        if (fl) ks_response_path_init(&path, &p, seed, 0, i);
        wd_slot *o = &slot[i];
        o->status = 0;
        o->rel[0] = o->rel[1] = -1;
        /* The score at day t_d in arm a: the path at that time (times ascending). */
#define SCORE(a, t_d)                                                                              \
    ks_response_score(&p, ctx, b0, th, fl ? ph *ks_response_path_factor(&path, 24.0 * (t_d)) : ph, \
                      24.0 * (t_d), D[a][kd(t_d)])
        if (SCORE(0, KS_WD_ENTRY_D) > 0.5 * b0) continue;
        o->status = 1;
        int le[4];
        for (int q = 0; q < 4; q++)
            le[q] = SCORE(0, REMIT_D[q]) <= KS_WD_REMIT_MADRS;
        if (!(le[2] && le[3] && (le[0] || le[1]))) continue;
        o->status = 2;
        /* the maintenance assessments: one path factor per check, both arms */
        int hi[2][KS_WD_MAX_CHECKS];
        for (size_t j = 0; j < nc; j++) {
            double t = KS_WD_RAND_D + chk[j], th_h = 24.0 * t;
            double phj = fl ? ph * ks_response_path_factor(&path, th_h) : ph;
            for (int a = 0; a < 2; a++)
                hi[a][j] = ks_response_score(&p, ctx, b0, th, phj, th_h, D[a][kd(t)]) >=
                           KS_WD_RELAPSE_MADRS;
        }
#undef SCORE
        for (int a = 0; a < 2; a++)
            o->rel[a] = (short)ks_response_withdrawal_first_relapse(hi[a], chk, nc);
    }
    memset(out, 0, sizeof *out);
    out->schedule = schedule;
    out->n = n;
    out->n_checks = nc;
    out->horizon_d = KS_WD_HORIZON_D;
    for (size_t j = 0; j < nc; j++)
        out->check_d[j] = chk[j];
    uint64_t cnt[2][KS_WD_MAX_CHECKS] = {{0}};
    for (uint64_t i = 0; i < n; i++) {
        out->n_entrants += slot[i].status >= 1;
        if (slot[i].status != 2) continue;
        out->n_stable++;
        for (int a = 0; a < 2; a++)
            if (slot[i].rel[a] >= 0) cnt[a][slot[i].rel[a]]++;
    }
    out->stable_share = (double)out->n_stable / (double)n;
    out->stable_share_op = out->n_entrants ? (double)out->n_stable / (double)out->n_entrants : NAN;
    for (int a = 0; a < 2; a++) {
        uint64_t c = 0;
        out->median_d[a] = out->n_stable ? INFINITY : NAN;
        out->share_by_exposure[a] = out->n_stable ? 0.0 : NAN;
        for (size_t j = 0; j < nc; j++) {
            c += cnt[a][j];
            double f = out->n_stable ? (double)c / (double)out->n_stable : NAN;
            out->cum_relapse[a][j] = f;
            if (out->n_stable && isinf(out->median_d[a]) && f >= 0.5) out->median_d[a] = chk[j];
            if (chk[j] <= KS_WD_EXPOSURE_D) out->share_by_exposure[a] = f;
        }
        out->relapsed[a] = c;
    }
done:
    free(slot);
    free(D[0]);
    free(D[1]);
    return rc;
}

int ks_response_withdrawal_first_relapse(const int *high, const double *t_d, size_t n)
{
    for (size_t j = 0; j + 1 < n; j++) {
        double gap = t_d[j + 1] - t_d[j];
        if (high[j] && high[j + 1] && gap >= KS_WD_GAP_MIN_D && gap <= KS_WD_GAP_MAX_D)
            return (int)j;
    }
    return -1;
}

double ks_response_withdrawal_hr(const ks_response_withdrawal_result *r)
{
    double s_esk = 1 - r->share_by_exposure[KS_WD_ESK];
    double s_pbo = 1 - r->share_by_exposure[KS_WD_PLACEBO];
    if (!(s_pbo < 1) || !(s_esk > 0) || !(s_pbo > 0)) return NAN;
    return log(s_esk) / log(s_pbo);
}

/* ---------------------------------------------------------------- the quadrature */

/* The stable deviate z2 at which a patient's log-score reduction L = exp(sb z2 + su w) G +
 * th d equals thr (G the typical non-drug part at the time, d the drug state): L >= thr
 * <=> z2 >= the value, L <= thr <=> z2 <= it. -inf when the drug alone reaches thr (so
 * every z2 has L >= thr and none L < thr), +inf when no z2 does (G = 0). As c_fluct in
 * response.c, with the log-score threshold of each rule. */
static double wq_bound(double G, double d, double th, double thr, double su, double sb, double w)
{
    double a = thr - th * (d > 0 ? d : 0.0);
    if (a <= 0) return -HUGE_VAL;
    return G > 0 ? (log(a / G) - su * w) / sb : HUGE_VAL;
}

static double wq_tail(double z)
{
    return 0.5 * erfc(z / sqrt(2.0)); /* P(Z >= z) */
}

/* the innovations' Philox key (fixed: the quadrature is deterministic) */
#define WQ_SEED 20261124u
/* nodes per partial sum: the same bits for any thread count */
#define WQ_BLOCK 32
#define WQ_MAX_EVENTS (1 + 4 + KS_WD_MAX_CHECKS)

int ks_response_withdraw_quad(const ks_response_withdrawal *w, const ks_response_params *p,
                              int schedule, int m, int threads, ks_response_withdrawal_result *out,
                              ks_error *err)
{
    return ks_response_withdraw_quad_key(w, p, schedule, m, WQ_SEED, threads, out, err);
}

static int wq_check(const ks_response_params *p, int schedule, int m, ks_error *err)
{
    int rc = bad_design(schedule, KS_WD_ESK, err);
    if (rc) return rc;
    if (m < 2 || m % 2 || m > (1 << 24))
        return ks_error_set(err, KS_EINVAL, "withdrawal quadrature: m %d is not an even 2..2^24",
                            m);
    rc = ks_response_params_check(p, err);
    if (rc) return rc;
    if (!(p->v[KS_RP_OMEGA_PHI] > 0) || !(p->v[KS_RP_OMEGA_THETA] > 0))
        return ks_error_set(err, KS_EINVAL,
                            "withdrawal quadrature: omega_phi and omega_theta must be > 0 (the "
                            "z2 integral is closed-form in omega_phi; use ks_response_withdraw)");
    return KS_OK;
}

int ks_response_withdraw_quad_key(const ks_response_withdrawal *w, const ks_response_params *p_in,
                                  int schedule, int m, uint64_t key, int threads,
                                  ks_response_withdrawal_result *out, ks_error *err)
{
    int rc = wq_check(p_in, schedule, m, err);
    if (rc) return rc;
    /* the drive does not read the visit times: p_in as it is (the quadrature sets them) */
    double *D[2] = {NULL, NULL};
    size_t nD[2] = {0, 0};
    rc = ks_response_withdrawal_drug_both(w, p_in, schedule, D, nD, err);
    if (!rc)
        rc = ks_response_withdraw_quad_drug(p_in, schedule, (const double *const *)D, nD, m, key,
                                            threads, out, err);
    free(D[0]);
    free(D[1]);
    return rc;
}

int ks_response_withdraw_quad_drug(const ks_response_params *p_in, int schedule,
                                   const double *const D[2], const size_t nD[2], int m,
                                   uint64_t key, int threads, ks_response_withdrawal_result *out,
                                   ks_error *err)
{
    int rc = wq_check(p_in, schedule, m, err);
    if (rc) return rc;
    ks_response_params p = *p_in;
    p.first_visit_h = 0;
    p.last_visit_h = 0;
    double *acc = NULL;
    double chk[KS_WD_MAX_CHECKS];
    size_t nc;
    ks_response_withdrawal_checks(schedule, chk, &nc);
    /* the event times (d): entry, the four remission reads, the checks */
    double ev[WQ_MAX_EVENTS];
    size_t ne = 0;
    ev[ne++] = KS_WD_ENTRY_D;
    for (int q = 0; q < 4; q++)
        ev[ne++] = REMIT_D[q];
    for (size_t j = 0; j < nc; j++)
        ev[ne++] = KS_WD_RAND_D + chk[j];
    for (size_t e = 0; e < ne; e++)
        if (kd(ev[e]) >= nD[0] || kd(ev[e]) >= nD[1]) {
            rc =
                ks_error_set(err, KS_EINVAL, "withdrawal: check %g d beyond the drug state", ev[e]);
            goto done;
        }
    /* per event: the typical non-drug part, the drug state per arm, the OU transition from
     * the event before over the hourly lattice (w constant within an hour; the times are
     * whole days) */
    const int ctx = KS_CTX_ORAL_AD;
    double G[WQ_MAX_EVENTS], d0[WQ_MAX_EVENTS], d1[WQ_MAX_EVENTS], ta[WQ_MAX_EVENTS],
        tb[WQ_MAX_EVENTS];
    double om = p.v[KS_RP_OMEGA_PHI], omt = p.v[KS_RP_OMEGA_THETA], f = p.v[KS_RP_FLUCT];
    double sb = om * sqrt(1 - f), su = om * sqrt(f), tau_h = 24 * p.v[KS_RP_T_FLUCT_D];
    int fl = f > 0;
    for (size_t e = 0; e < ne; e++) {
        double th_h = 24.0 * ev[e];
        G[e] = ks_response_nondrug(&p, ctx, th_h);
        d0[e] = D[0][kd(ev[e])];
        d1[e] = D[1][kd(ev[e])];
        double hr = floor(th_h + 1e-9), prev = e ? floor(24.0 * ev[e - 1] + 1e-9) : 0;
        ta[e] = e && fl ? exp(-(hr - prev) / tau_h) : 0;
        tb[e] = sqrt(1 - ta[e] * ta[e]);
    }
    /* a relapse can start at check j when the next check is 5-15 d later */
    int pair_ok[KS_WD_MAX_CHECKS];
    for (size_t j = 0; j < nc; j++) {
        int hi[2] = {1, 1};
        pair_ok[j] =
            j + 1 < nc && ks_response_withdrawal_first_relapse(hi, chk + j, 2) == 0 ? 1 : 0;
    }
    const int nn = m / 2;
    const int nblk = (nn + WQ_BLOCK - 1) / WQ_BLOCK;
    /* per block: entrants, stable, then the relapse numerators of both arms */
    const size_t stride = 2 + 2 * nc;
    acc = calloc((size_t)nblk * stride, sizeof *acc);
    if (!acc) {
        rc = ks_error_set(err, KS_ENOMEM, "withdrawal quadrature: out of memory");
        goto done;
    }
    const double ln2 = log(2.0);
    int nthr = threads > 0 ? threads : omp_get_max_threads();
    /* Nodes i = 0..m/2-1, each twice (innovations with sign +1 then -1: antithetic): z1 at
     * the midpoint quantile (i + 1/2)/(m/2), the path's start w_0 and the baseline's
     * deviate at the points of the additive recurrence with the plastic number's
     * reciprocals (R2, a Kronecker lattice in two dimensions), the innovations fixed
     * Philox draws of node i. z2 in closed form: every rule is a bound on it. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr)
    for (int blk = 0; blk < nblk; blk++) {
        double *s = acc + (size_t)blk * stride;
        double wv[WQ_MAX_EVENTS], inn[WQ_MAX_EVENTS];
        for (int i = blk * WQ_BLOCK; i < nn && i < (blk + 1) * WQ_BLOCK; i++) {
            double u1 = (i + 0.5) / nn;
            double u2 = fmod(0.5 + i * 0.7548776662466927, 1.0);
            double u3 = fmod(0.5 + i * 0.5698402909980532, 1.0);
            double th = p.v[KS_RP_THETA] * exp(omt * gsl_cdf_ugaussian_Pinv(u1));
            double b0 = fmin(60.0, fmax(1.0, 37.7 + 5.49 * gsl_cdf_ugaussian_Pinv(u3)));
            double thr_rem = log(b0 / KS_WD_REMIT_MADRS), thr_hi = log(b0 / KS_WD_RELAPSE_MADRS);
            if (fl)
                for (size_t e = 1; e < ne; e += 2) {
                    double r[2];
                    ks_rng_normal2(key, 0, (uint64_t)i, KS_RNG_RESPONSE,
                                   (uint32_t)(1 + (e - 1) / 2), r);
                    inn[e] = r[0];
                    if (e + 1 < ne) inn[e + 1] = r[1];
                }
            for (int sg = 1; sg >= -1; sg -= 2) {
                wv[0] = fl ? gsl_cdf_ugaussian_Pinv(u2) : 0.0;
                for (size_t e = 1; e < ne; e++)
                    wv[e] = fl ? ta[e] * wv[e - 1] + tb[e] * sg * inn[e] : 0.0;
                /* entry (>= 50 % at 27 d) and stable remission: lower bounds on z2 */
                double ze = wq_bound(G[0], d0[0], th, ln2, su, sb, wv[0]);
                double zr[4];
                for (int q = 0; q < 4; q++)
                    zr[q] = wq_bound(G[1 + q], d0[1 + q], th, thr_rem, su, sb, wv[1 + q]);
                double zs = fmax(fmax(ze, fmax(zr[2], zr[3])), fmin(zr[0], zr[1]));
                double pe = wq_tail(ze), ps = wq_tail(zs);
                s[0] += pe;
                s[1] += ps;
                if (!(ps > 0)) continue;
                /* relapse at j: MADRS >= 22 at j and j + 1, z2 <= the smaller bound; relapsed
                 * by j: z2 below the running maximum R, and stable: z2 >= zs */
                for (int a = 0; a < 2; a++) {
                    const double *dd = a ? d1 : d0;
                    double *num = s + 2 + (size_t)a * nc;
                    double R = -HUGE_VAL, v = 0, prev_hi = 0;
                    for (size_t j = 0; j < nc; j++) {
                        size_t e = 5 + j;
                        double hj = j ? prev_hi : wq_bound(G[e], dd[e], th, thr_hi, su, sb, wv[e]);
                        double hn = j + 1 < nc ? wq_bound(G[e + 1], dd[e + 1], th, thr_hi, su, sb,
                                                          wv[e + 1])
                                               : -HUGE_VAL;
                        prev_hi = hn;
                        double r = pair_ok[j] ? fmin(hj, hn) : -HUGE_VAL;
                        if (r > R) {
                            R = r;
                            v = R > zs ? ps - wq_tail(R) : 0.0;
                        }
                        num[j] += v;
                    }
                }
            }
        }
    }
    double tot[2 + 2 * KS_WD_MAX_CHECKS] = {0};
    for (int blk = 0; blk < nblk; blk++)
        for (size_t k = 0; k < stride; k++)
            tot[k] += acc[(size_t)blk * stride + k];
    memset(out, 0, sizeof *out);
    out->schedule = schedule;
    out->n = (uint64_t)m; /* evaluations; the counts below are not defined: 0 */
    out->n_checks = nc;
    out->horizon_d = KS_WD_HORIZON_D;
    for (size_t j = 0; j < nc; j++)
        out->check_d[j] = chk[j];
    double pe = tot[0] / m, ps = tot[1] / m;
    out->stable_share = ps;
    out->stable_share_op = pe > 0 ? ps / pe : NAN;
    for (int a = 0; a < 2; a++) {
        out->median_d[a] = ps > 0 ? INFINITY : NAN;
        out->share_by_exposure[a] = ps > 0 ? 0.0 : NAN;
        for (size_t j = 0; j < nc; j++) {
            double fj = ps > 0 ? tot[2 + (size_t)a * nc + j] / tot[1] : NAN;
            out->cum_relapse[a][j] = fj;
            if (ps > 0 && isinf(out->median_d[a]) && fj >= 0.5) out->median_d[a] = chk[j];
            if (chk[j] <= KS_WD_EXPOSURE_D) out->share_by_exposure[a] = fj;
        }
    }
done:
    free(acc);
    return rc;
}
