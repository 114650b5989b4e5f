/* The antidepressant response model: drive (CVODE), population quadrature, virtual
 * patients. Equations in include/ketsim/response.h and docs/response-model.md. */
#include "ketsim/response.h"
#include "ketsim/trial.h"
#include "response_internal.h"

#include <cvode/cvode.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdlib.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

static const char *const NAMES[KS_RP_N] = {
    "t_untrap_h",  "k_trap",      "w_fast",      "t_delay_h",  "t_spine_d",
    "theta",       "omega_theta", "phi_saline",  "phi_active", "phi_anaesthesia",
    "phi_oral_ad", "t_oral_ad_d", "phi_soc",     "omega_phi",  "t_nondrug_d",
    "t_cons_d",    "w_cons",      "fluct_share", "t_fluct_d"};
static const char *const UNITS[KS_RP_N] = {"h", "1", "1", "h", "d", "1", "1", "1", "1", "1",
                                           "1", "d", "1", "1", "d", "d", "1", "1", "d"};
static const char *const MEANINGS[KS_RP_N] = {
    "half-life of untrapping of ketamine from closed NMDA channels",
    "NMDA occupancy at which the trapped block reaches half its maximum",
    "weight of the trapped block (fast component) relative to the synapse state",
    "mean delay from block to synapse formation (two transit stages)",
    "half-life of the drug-induced synapse state (its decay is relapse)",
    "median drug sensitivity (log-score reduction per unit drug state)",
    "between-patient SD of log drug sensitivity",
    "non-drug log-score reduction, awake inert placebo (saline)",
    "non-drug log-score reduction, awake active placebo / open label / drug arm",
    "non-drug log-score reduction, treatment during general anaesthesia",
    "non-drug log-score reduction at plateau, newly started oral antidepressant",
    "half-time of the oral-antidepressant component",
    "non-drug log-score reduction, inpatient standard of care at suicide risk",
    "between-patient SD of log non-drug component",
    "half-life of the waning of the visit-bound non-drug component after the last visit",
    "half-life of the consolidated (persistent) share of the new synapses",
    "weight of the consolidated synapse state relative to the synapse state",
    "share of the non-drug spread that fluctuates within a patient (Ornstein-Uhlenbeck)",
    "correlation time of the within-patient fluctuation"};
_Static_assert(sizeof NAMES / sizeof *NAMES == KS_RP_N, "names");
static const char *const CTX[KS_CTX_N] = {"saline", "active", "anaesthesia", "oral-ad", "soc"};

const char *ks_response_param_name(int i)
{
    return i >= 0 && i < KS_RP_N ? NAMES[i] : NULL;
}
const char *ks_response_param_unit(int i)
{
    return i >= 0 && i < KS_RP_N ? UNITS[i] : NULL;
}
const char *ks_response_param_meaning(int i)
{
    return i >= 0 && i < KS_RP_N ? MEANINGS[i] : NULL;
}
const char *ks_response_context_name(int ctx)
{
    return ctx >= 0 && ctx < KS_CTX_N ? CTX[ctx] : (ctx == KS_CTX_NONE ? "none" : "?");
}

int ks_response_context_parse(const char *name, int *ctx, ks_error *err)
{
    for (int i = 0; i < KS_CTX_N; i++)
        if (name && strcmp(name, CTX[i]) == 0) {
            *ctx = i;
            return KS_OK;
        }
    return ks_error_set(err, KS_EINVAL,
                        "unknown context \"%s\" (saline, active, anaesthesia, oral-ad, soc)",
                        name ? name : "");
}

int ks_response_params_check(const ks_response_params *p, ks_error *err)
{
    for (int i = 0; i < KS_RP_N; i++) {
        double v = p->v[i];
        int omega = i == KS_RP_OMEGA_THETA || i == KS_RP_OMEGA_PHI || i == KS_RP_FLUCT;
        if (!isfinite(v) || (omega ? v < 0 : v <= 0) || (i == KS_RP_K_TRAP && v > 1) ||
            (i == KS_RP_FLUCT && v >= 1))
            return ks_error_set(err, KS_EINVAL, "response parameter %s = %g is out of its domain",
                                NAMES[i], v);
    }
    if (!(isfinite(p->first_visit_h) && p->first_visit_h >= 0 && isfinite(p->last_visit_h) &&
          p->last_visit_h >= p->first_visit_h))
        return ks_error_set(err, KS_EINVAL,
                            "response design: first visit %g h, last visit %g h (need 0 <= first "
                            "<= last)",
                            p->first_visit_h, p->last_visit_h);
    return KS_OK;
}

/* ---------------------------------------------------------------- occupancy */

int ks_response_occupancy(const ks_model *model, const ks_pd *pd, const ks_covariates *cov,
                          const ks_dose *doses, size_t n_doses, double until_h, double dt_h,
                          double **occ, size_t *n, ks_error *err)
{
    *occ = NULL;
    *n = 0;
    if (!(dt_h > 0) || !(until_h > 0) || !isfinite(until_h) || until_h / dt_h > 1e7)
        return ks_error_set(err, KS_EINVAL, "response grid: until %g h, step %g h", until_h, dt_h);
    size_t m_all = (size_t)floor(until_h / dt_h + 1e-9) + 1;
    /* The PK and effect site are simulated up to KS_RESPONSE_OCC_TAIL_H after the end of
     * the last dose; later occupancy is set to 0 (below 1e-5 there for the shipped
     * models, esketamine's noresketamine tail being the longest:
     * tests/unit/test_response_cvode.c checks it). */
    double last = 0;
    for (size_t i = 0; i < n_doses; i++)
        if (doses[i].time_h + doses[i].duration_h > last)
            last = doses[i].time_h + doses[i].duration_h;
    double sim_until =
        last + KS_RESPONSE_OCC_TAIL_H < until_h ? last + KS_RESPONSE_OCC_TAIL_H : until_h;
    size_t m = (size_t)floor(sim_until / dt_h + 1e-9) + 1;
    if (m > m_all) m = m_all;
    double *t = malloc(m * sizeof *t);
    if (!t) return ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t k = 0; k < m; k++)
        t[k] = (double)k * dt_h;
    ks_sim *sim = NULL;
    ks_pd_course *c = NULL;
    int rc = ks_sim_create(model, &sim, err);
    if (!rc) rc = ks_sim_set_covariates(sim, cov, err);
    for (size_t i = 0; !rc && i < n_doses; i++)
        rc = ks_sim_add_dose(sim, &doses[i], err);
    if (!rc) rc = ks_sim_set_times(sim, t, m, err);
    if (!rc) rc = ks_sim_run(sim, err);
    if (!rc) rc = ks_pd_run(pd, sim, &c, err);
    if (!rc) {
        double *o = calloc(m_all, sizeof *o);
        if (!o)
            rc = ks_error_set(err, KS_ENOMEM, "out of memory");
        else {
            memcpy(o, c->occ, m * sizeof *o);
            *occ = o;
            *n = m_all;
        }
    }
    ks_pd_course_free(c);
    ks_sim_free(sim);
    free(t);
    return rc;
}

/* ---------------------------------------------------------------- drive (CVODE) */

typedef struct drive_ctx {
    const double *occ;
    size_t n;
    double dt, ku, kt, kd, ks, kc;
} drive_ctx;

static double occ_at(const drive_ctx *c, double t)
{
    double x = t / c->dt;
    if (x <= 0) return c->occ[0];
    size_t k = (size_t)x;
    if (k + 1 >= c->n) return c->occ[c->n - 1];
    double f = x - (double)k;
    return c->occ[k] + f * (c->occ[k + 1] - c->occ[k]);
}

static int rhs(sunrealtype t, N_Vector y, N_Vector yd, void *ud)
{
    const drive_ctx *c = ud;
    const double *x = N_VGetArrayPointer(y);
    double *d = N_VGetArrayPointer(yd);
    double o = occ_at(c, t);
    d[0] = c->ku * (o / c->kt * (1.0 - x[0]) - x[0]);
    d[1] = c->kd * (x[0] - x[1]);
    d[2] = c->kd * (x[1] - x[2]);
    d[3] = c->ks * (x[2] - x[3]);
    d[4] = c->kc * (x[3] - x[4]);
    return 0;
}

int ks_response_drive(const ks_response_params *p, const double *occ, size_t n, double dt_h,
                      ks_response_states *out, ks_error *err)
{
    return ks_response_drive_from(p, occ, n, dt_h, NULL, out, NULL, err);
}

int ks_response_drive_from(const ks_response_params *p, const double *occ, size_t n, double dt_h,
                           const double x0[KS_RESPONSE_NX], ks_response_states *out,
                           double x_end[KS_RESPONSE_NX], ks_error *err)
{
    int rc = ks_response_params_check(p, err);
    if (rc) return rc;
    if (!occ || n < 2 || !(dt_h > 0))
        return ks_error_set(err, KS_EINVAL, "response drive: need >= 2 occupancy values");
    for (size_t k = 0; k < n; k++)
        if (!(occ[k] >= 0 && occ[k] < 1))
            return ks_error_set(err, KS_EINVAL, "response drive: occupancy[%zu] = %g not in [0,1)",
                                k, occ[k]);
    drive_ctx c = {occ,
                   n,
                   dt_h,
                   log(2.0) / p->v[KS_RP_T_UNTRAP_H],
                   p->v[KS_RP_K_TRAP],
                   2.0 / p->v[KS_RP_T_DELAY_H],
                   log(2.0) / (24.0 * p->v[KS_RP_T_SPINE_D]),
                   log(2.0) / (24.0 * p->v[KS_RP_T_CONS_D])};
    /* next[k]: the first interval j >= k over which the occupancy rises (a dose), or n.
     * Over rising intervals the steps are at most one grid interval; a falling stretch
     * is integrated with free steps up to the next rise, never across it. */
    size_t *next = malloc(n * sizeof *next);
    if (!next) return ks_error_set(err, KS_ENOMEM, "out of memory");
    next[n - 1] = n;
    for (size_t k = n - 1; k-- > 0;)
        next[k] = occ[k + 1] > occ[k] ? k : next[k + 1];

    SUNContext sctx = NULL;
    N_Vector y = NULL;
    SUNMatrix J = NULL;
    SUNLinearSolver LS = NULL;
    void *mem = NULL;
    if (SUNContext_Create(NULL, &sctx)) {
        free(next);
        return ks_error_set(err, KS_ENOMEM, "response drive: SUNDIALS context");
    }
    y = N_VNew_Serial(KS_RESPONSE_NX, sctx);
    mem = CVodeCreate(CV_BDF, sctx);
    if (y) J = SUNDenseMatrix(KS_RESPONSE_NX, KS_RESPONSE_NX, sctx);
    if (J) LS = SUNLinSol_Dense(y, J, sctx);
    if (!y || !mem || !J || !LS) {
        rc = ks_error_set(err, KS_ENOMEM, "response drive: CVODE allocation");
        goto done;
    }
    double *x = N_VGetArrayPointer(y);
    if (x0)
        memcpy(x, x0, KS_RESPONSE_NX * sizeof *x);
    else
        memset(x, 0, KS_RESPONSE_NX * sizeof *x);
    if (CVodeInit(mem, rhs, 0.0, y) || CVodeSStolerances(mem, 1e-8, 1e-10) ||
        CVodeSetLinearSolver(mem, LS, J) || CVodeSetUserData(mem, &c) ||
        CVodeSetMaxNumSteps(mem, 100000)) {
        rc = ks_error_set(err, KS_ENUMERIC, "response drive: CVODE set-up failed");
        goto done;
    }
    double *T = out->T, *M1 = out->M1, *M2 = out->M2, *S = out->S, *D = out->D, *C = out->C;
    double wf = p->v[KS_RP_W_FAST], wc = p->v[KS_RP_W_CONS];
#define STORE(k)                                                                                   \
    do {                                                                                           \
        if (T) T[k] = x[0];                                                                        \
        if (M1) M1[k] = x[1];                                                                      \
        if (M2) M2[k] = x[2];                                                                      \
        if (S) S[k] = x[3];                                                                        \
        if (D) D[k] = wf * x[0] + x[3] + wc * x[4];                                                \
        if (C) C[k] = x[4];                                                                        \
    } while (0)
    STORE(0);
    int was_free = 0;
    for (size_t k = 1; k < n; k++) {
        size_t r = next[k - 1]; /* interval k-1 rises when r == k-1 */
        double tn = 0;
        CVodeGetCurrentTime(mem, &tn);
        double stop = r >= n ? (double)(n - 1) * dt_h : (double)r * dt_h;
        if (r == k - 1 && was_free) {
            /* A dose starts where the free stretch stopped (its stop time): restart the
             * method there. The step-size and order history of a long flat stretch fails
             * the error test at the kink of the rising occupancy (CVODE flag -3 for a
             * first dose after time 0). y holds the solution at (k-1) dt = tn. */
            if (CVodeReInit(mem, (double)(k - 1) * dt_h, y)) {
                rc = ks_error_set(err, KS_ENUMERIC, "response drive: CVODE restart failed");
                goto done;
            }
        }
        was_free = 0;
        if (r != k - 1 && stop >= (double)k * dt_h && stop >= tn) {
            was_free = 1;
            CVodeSetMaxStep(mem, 0.0);
            CVodeSetStopTime(mem, stop);
        } else {
            CVodeSetMaxStep(mem, dt_h);
            CVodeSetStopTime(mem, (double)(n - 1) * dt_h);
        }
        double tret;
        int f = CVode(mem, (double)k * dt_h, y, &tret, CV_NORMAL);
        if (f < 0) {
            rc =
                ks_error_set(err, KS_ENUMERIC, "response drive: CVODE failed at t = %g h (flag %d)",
                             (double)k * dt_h, f);
            goto done;
        }
        STORE(k);
    }
#undef STORE
    if (x_end) memcpy(x_end, x, KS_RESPONSE_NX * sizeof *x);
done:
    if (LS) SUNLinSolFree(LS);
    if (J) SUNMatDestroy(J);
    if (mem) CVodeFree(&mem);
    if (y) N_VDestroy(y);
    SUNContext_Free(&sctx);
    free(next);
    return rc;
}

double ks_response_nondrug(const ks_response_params *p, int ctx, double t_h)
{
    /* Time from the first visit (the first dose): nothing before it. With the first
     * visit at 0 (the calibration) this is t_h itself, bit for bit. */
    double t1 = p->first_visit_h > 0 ? p->first_visit_h : 0.0;
    if (t_h <= t1 || ctx < 0 || ctx >= KS_CTX_N) return 0.0;
    double phi;
    switch (ctx) {
    case KS_CTX_SALINE:
        phi = p->v[KS_RP_PHI_SALINE];
        break;
    case KS_CTX_ACTIVE:
        phi = p->v[KS_RP_PHI_ACTIVE];
        break;
    case KS_CTX_ANAES:
        phi = p->v[KS_RP_PHI_ANAES];
        break;
    case KS_CTX_SOC:
        phi = p->v[KS_RP_PHI_SOC];
        break;
    default:
        return p->v[KS_RP_PHI_AD] * (1.0 - exp2(-(t_h - t1) / (24.0 * p->v[KS_RP_T_AD_D])));
    }
    double after = t_h - (p->last_visit_h > 0 ? p->last_visit_h : 0.0);
    return after > 0 ? phi * exp2(-after / (24.0 * p->v[KS_RP_T_NONDRUG_D])) : phi;
}

/* ---------------------------------------------------------------- quadrature */

/* E over Z ~ N(0,1) restricted to [lo, hi] of f(Z), i.e. the integral of f(z) phi(z)
 * dz over [lo, hi], by composite Simpson with n (even) intervals. The integrands are
 * smooth on the intervals used (kinks are split off by the callers). */
typedef double (*zfun)(double z, const void *ud);
static double simpson_normal(zfun f, const void *ud, double lo, double hi, int n)
{
    if (!(hi > lo)) return 0.0;
    double h = (hi - lo) / n, s = 0;
    for (int i = 0; i <= n; i++) {
        double z = lo + h * i;
        double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        s += w * f(z, ud) * exp(-0.5 * z * z);
    }
    return s * h / 3.0 * 0.3989422804014327; /* 1/sqrt(2 pi) */
}
#define Z_MAX 8.5
#define N_SIMPSON 400

static double phi_of(const ks_response_params *p, int ctx, double t_h)
{
    return ks_response_nondrug(p, ctx, t_h);
}

/* P(theta_i d >= c) over theta_i lognormal. */
static double p_theta_above(const ks_response_params *p, double d, double c)
{
    if (c <= 0) return 1.0;
    if (d <= 0) return 0.0;
    double th = p->v[KS_RP_THETA], om = p->v[KS_RP_OMEGA_THETA];
    double lz = log(c / (d * th));
    if (om <= 0) return lz <= 0 ? 1.0 : 0.0;
    return 0.5 * erfc(lz / om / sqrt(2.0));
}

typedef struct above_ud {
    const ks_response_params *p;
    double f, om, d, c;
} above_ud;

static double above_f(double z, const void *ud)
{
    const above_ud *u = ud;
    double c = u->c - u->f * exp(u->om * z);
    /* At the upper end (z -> z*) the threshold left for the drug tends to 0 from above:
     * use the limit (1 with a drug state, 0 without), not the rounding of c to either
     * side (which would make the integral jump). */
    if (c <= 1e-12 * u->c) return u->d > 0 ? 1.0 : 0.0;
    return p_theta_above(u->p, u->d, c);
}

typedef struct above1_ud {
    double th, omt, f, om, d, c;
} above1_ud;

/* Given z1 (the sensitivity deviate): P over z2 of phi_i f >= c - theta_i d, a normal tail
 * (1 where the drug alone reaches c). */
static double above1_f(double z, const void *ud)
{
    const above1_ud *u = ud;
    double left = u->c - u->th * exp(u->omt * z) * u->d;
    if (left <= 1e-12 * u->c) return 1.0; /* the limit at the crossing, not its rounding */
    return 0.5 * erfc(log(left / u->f) / u->om / sqrt(2.0));
}

/* P(phi_i g + theta_i d >= c) with a drug state: over z1 (the sensitivity deviate) by
 * Simpson, the z2 part as a closed-form normal tail (above1_f). The pieces: the point z1*
 * above which the drug alone reaches c (share 1 there, in closed form); the centre z1c of
 * the sigmoid, where the typical non-drug part closes the rest of the gap, with a window of
 * 8 of its widths f omega_phi / (omega_theta (c - f)) on either side, so that a steep
 * sigmoid (small omega_phi / omega_theta) is resolved. (Until 2026-11-22 the integral ran
 * over z2 outside; with omega_theta near 0.05 and a small drug state that integrand is a
 * sigmoid a fraction of a node wide, squeezed against z*, and the share a week after one
 * infusion was 0.4 percentage points off.) */
static double p_above_drug(const ks_response_params *p, double f, double d, double c)
{
    double om = p->v[KS_RP_OMEGA_PHI], omt = p->v[KS_RP_OMEGA_THETA], th = p->v[KS_RP_THETA];
    double z1s = log(c / (th * d)) / omt; /* theta_i d >= c above it */
    if (z1s <= -Z_MAX) return 1.0;
    double hi = z1s < Z_MAX ? z1s : Z_MAX;
    double tail = z1s < Z_MAX ? 0.5 * erfc(z1s / sqrt(2.0)) : 0.0;
    above1_ud u = {th, omt, f, om, d, c};
    double cut[4] = {-Z_MAX, hi, hi, hi};
    if (c > f) {
        double zc = log((c - f) / (th * d)) / omt, w = 8 * f * om / (omt * (c - f));
        cut[1] = fmin(fmax(zc - w, -Z_MAX), hi);
        cut[2] = fmin(fmax(zc + w, -Z_MAX), hi);
    }
    double sum = tail;
    for (int i = 0; i < 3; i++)
        sum += simpson_normal(above1_f, &u, cut[i], cut[i + 1], N_SIMPSON);
    return sum;
}

static double p_above(const ks_response_params *p, int ctx, double t_h, double d, double c)
{
    double f = phi_of(p, ctx, t_h), om = p->v[KS_RP_OMEGA_PHI], omt = p->v[KS_RP_OMEGA_THETA];
    if (f <= 0 || om <= 0) return p_theta_above(p, d, c - f);
    if (c <= 0) return 1.0;
    if (d > 0 && omt > 0) return p_above_drug(p, f, d, c);
    /* no drug state (or no spread of sensitivity): over z2, the non-drug part alone reaches
     * c above z* = ln(c/f)/omega (probability 1), below it the closed form in z1 (a step
     * at the typical drug part when omega_theta is 0, split there) */
    double zs = log(c / f) / om;
    double hi = zs < Z_MAX ? zs : Z_MAX;
    double tail = zs < Z_MAX ? 0.5 * erfc(zs / sqrt(2.0)) : 0.0;
    above_ud u = {p, f, om, d, c};
    double th = p->v[KS_RP_THETA];
    double zm = d > 0 && c > th * d ? log((c - th * d) / f) / om : -HUGE_VAL;
    if (zm > -Z_MAX && zm < hi)
        return tail + simpson_normal(above_f, &u, -Z_MAX, zm, N_SIMPSON) +
               simpson_normal(above_f, &u, zm, hi, N_SIMPSON);
    return tail + simpson_normal(above_f, &u, -Z_MAX, hi, N_SIMPSON);
}

double ks_response_p_response(const ks_response_params *p, int ctx, double t_h, double d)
{
    return p_above(p, ctx, t_h, d, log(2.0));
}

double ks_response_p_response_thr(const ks_response_params *p, int ctx, double t_h, double d,
                                  double thr)
{
    return p_above(p, ctx, t_h, d, thr);
}

typedef struct remit_ud {
    const ks_response_params *p;
    int ctx;
    double t, d, cutoff, m, sd;
} remit_ud;

static double remit_f(double z, const void *ud)
{
    const remit_ud *u = ud;
    double b0 = u->m + u->sd * z;
    return p_above(u->p, u->ctx, u->t, u->d, log(b0 / u->cutoff));
}

double ks_response_p_remission(const ks_response_params *p, int ctx, double t_h, double d,
                               double cutoff, double b0_mean, double b0_sd)
{
    if (b0_sd <= 0) return b0_mean <= cutoff ? 1.0 : p_above(p, ctx, t_h, d, log(b0_mean / cutoff));
    /* baselines at or below the cutoff are remitted: split there */
    double zc = (cutoff - b0_mean) / b0_sd;
    double lo = zc > -Z_MAX ? zc : -Z_MAX;
    double below = zc > -Z_MAX ? 0.5 * erfc(-zc / sqrt(2.0)) : 0.0;
    remit_ud u = {p, ctx, t_h, d, cutoff, b0_mean, b0_sd};
    return below + simpson_normal(remit_f, &u, lo, Z_MAX, 100);
}

typedef struct mexp_ud {
    double a, om;
} mexp_ud;

static double mexp_f(double z, const void *ud)
{
    const mexp_ud *u = ud;
    return exp(-u->a * exp(u->om * z));
}

static double mean_exp(double typ, double om, double scale)
{
    if (typ * scale == 0) return 1.0;
    if (om <= 0) return exp(-typ * scale);
    mexp_ud u = {typ * scale, om};
    return simpson_normal(mexp_f, &u, -Z_MAX, Z_MAX, N_SIMPSON);
}

double ks_response_mean_ratio(const ks_response_params *p, int ctx, double t_h, double d)
{
    return mean_exp(phi_of(p, ctx, t_h), p->v[KS_RP_OMEGA_PHI], 1.0) *
           mean_exp(p->v[KS_RP_THETA], p->v[KS_RP_OMEGA_THETA], d > 0 ? d : 0.0);
}

double ks_response_mean_diff_ratio(const ks_response_params *p, int ctx, double t_h, double d)
{
    return mean_exp(phi_of(p, ctx, t_h), p->v[KS_RP_OMEGA_PHI], 1.0) *
           (1.0 - mean_exp(p->v[KS_RP_THETA], p->v[KS_RP_OMEGA_THETA], d > 0 ? d : 0.0));
}

/* Nodes of the survival quadrature over z1 (the patient's drug-sensitivity deviate). */
#define N_SURV 1000

int ks_response_survival(const ks_response_params *p, int ctx, const double *D, size_t k0,
                         size_t k1, double dt_h, size_t step, double *surv)
{
    return ks_response_survival_thr(p, ctx, D, k0, k1, dt_h, step, log(2.0), surv);
}

/* Within-patient fluctuation (fluct_share f > 0): log phi_i(t) = om (sqrt(1-f) zb +
 * sqrt(f) w(t)), w a stationary Ornstein-Uhlenbeck process of unit variance and correlation
 * time t_fluct_d, so that at any one time phi_i is the lognormal of the other quantities.
 * Survival (survival_fluct, survival_rule_fluct below): common random numbers over z1 and
 * w at the event times, KS_RESPONSE_FLUCT_M nodes (z1 and w_0 on a stratified lattice,
 * the path's innovations fixed Philox draws), the stable part zb integrated in closed form (a
 * normal tail of a running maximum, as without fluctuation): smooth in the parameters,
 * deterministic. */
#define KS_FLUCT_SEED 20261123u
static int survival_rule_fluct(const ks_response_params *p, int ctx, const double *D, double dt_h,
                               const size_t *k_resp, size_t n_resp, double thr_resp,
                               const size_t *k_check, size_t n_check, double thr_keep,
                               int consecutive, double *surv, double *cohort);

/* surv[j] at k0 + j step, j < m: the cohort responding at k0 (thr), relapse = below thr at
 * any later check; surv[0] = 1 (0 without a cohort). */
static int survival_fluct(const ks_response_params *p, int ctx, const double *D, size_t k0,
                          size_t m, double dt_h, size_t step, double thr, double *surv)
{
    size_t *kc = malloc((m > 1 ? m - 1 : 1) * sizeof *kc);
    if (!kc) return KS_ENOMEM;
    for (size_t j = 1; j < m; j++)
        kc[j - 1] = k0 + j * step;
    double cohort = 0;
    int rc =
        survival_rule_fluct(p, ctx, D, dt_h, &k0, 1, thr, kc, m - 1, thr, 1, surv + 1, &cohort);
    surv[0] = cohort > 1e-300 ? 1.0 : 0.0;
    free(kc);
    return rc;
}

int ks_response_survival_thr(const ks_response_params *p, int ctx, const double *D, size_t k0,
                             size_t k1, double dt_h, size_t step, double thr, double *surv)
{
    if (ctx == KS_CTX_ORAL_AD || step == 0 || k1 < k0 || !(thr > 0) || !isfinite(thr))
        return KS_EINVAL;
    double t0 = (double)k0 * dt_h;
    if (t0 < p->last_visit_h) return KS_EINVAL;
    size_t m = (k1 - k0) / step + 1;
    if (p->v[KS_RP_FLUCT] > 0 && p->v[KS_RP_OMEGA_PHI] > 0)
        return survival_fluct(p, ctx, D, k0, m, dt_h, step, thr, surv);
    double om = p->v[KS_RP_OMEGA_PHI], omt = p->v[KS_RP_OMEGA_THETA];
    /* A patient (theta_i, z2) responds at s (thr: ln 2 for a >= 50 % reduction,
     * ln(1/0.7) for >= 30 %) <=> phi_ctx exp(om z2) g(s) >= thr - theta_i D(s).
     * Responding at every point up to t <=> z2 >= zreq(theta_i, t), the largest over s <= t
     * of ln((thr - theta_i D(s)) / (phi_ctx g(s))) / om (no constraint where
     * theta_i D(s) >= thr). So for each theta_i the share is a normal tail of a running
     * maximum, continuous in theta_i: Simpson over z1 has no step to straddle, also where
     * the drug state is gone (D = 0) and the non-drug part alone decides. With om = 0 the
     * roles swap: theta_i >= the running maximum of (thr - g(s)) / D(s), a closed form. */
    int nz = omt > 0 ? N_SURV : 0;
    double h = nz ? 2.0 * Z_MAX / nz : 0.0;
    double *zreq = malloc((size_t)(nz + 1) * sizeof *zreq),
           *th = malloc((size_t)(nz + 1) * sizeof *th);
    if (!zreq || !th) {
        free(zreq), free(th);
        return KS_ENOMEM;
    }
    for (int i = 0; i <= nz; i++) {
        zreq[i] = -HUGE_VAL;
        th[i] = p->v[KS_RP_THETA] * (nz ? exp(omt * (-Z_MAX + h * i)) : 1.0);
    }
    double need = 0, first = 0;
    int never = 0;
    for (size_t j = 0; j < m; j++) {
        size_t k = k0 + j * step;
        double g = ks_response_nondrug(p, ctx, (double)k * dt_h), v = 0;
        if (om <= 0) {
            double c = thr - g;
            if (c > 0) {
                if (D[k] <= 0)
                    never = 1;
                else if (c / D[k] > need)
                    need = c / D[k];
            }
            v = never ? 0.0 : p_theta_above(p, 1.0, need);
        } else {
            for (int i = 0; i <= nz; i++) {
                double a = thr - th[i] * (D[k] > 0 ? D[k] : 0.0);
                if (a <= 0) continue;
                double z = g > 0 ? log(a / g) / om : HUGE_VAL;
                if (z > zreq[i]) zreq[i] = z;
            }
            if (!nz)
                v = 0.5 * erfc(zreq[0] / sqrt(2.0));
            else {
                for (int i = 0; i <= nz; i++) {
                    double z = -Z_MAX + h * i;
                    double w = (i == 0 || i == nz) ? 1 : (i % 2 ? 4 : 2);
                    v += w * 0.5 * erfc(zreq[i] / sqrt(2.0)) * exp(-0.5 * z * z);
                }
                v *= h / 3.0 * 0.3989422804014327;
            }
        }
        if (j == 0) first = v;
        surv[j] = first > 1e-12 ? v / first : 0.0;
    }
    free(zreq), free(th);
    return KS_OK;
}

/* The z2 above which a patient of sensitivity theta_i has a log-score reduction of at
 * least thr at grid point k: -inf when the drug alone reaches thr, +inf when nothing can. */
static double z_above(const ks_response_params *p, int ctx, const double *D, size_t k, double dt_h,
                      double theta_i, double thr)
{
    double g = ks_response_nondrug(p, ctx, (double)k * dt_h);
    double a = thr - theta_i * (D[k] > 0 ? D[k] : 0.0);
    if (a <= 0) return -HUGE_VAL;
    return g > 0 ? log(a / g) / p->v[KS_RP_OMEGA_PHI] : HUGE_VAL;
}

/* The reduction needed from the non-drug part at grid point k, as the stable deviate zb
 * above which a patient of sensitivity th with fluctuation term su w responds (thr): -inf
 * when the drug alone reaches thr, +inf when nothing can. */
static double c_fluct(const ks_response_params *p, int ctx, const double *D, size_t k, double dt_h,
                      double th, double thr, double su, double sb, double w)
{
    double g = ks_response_nondrug(p, ctx, (double)k * dt_h);
    double a = thr - th * (D[k] > 0 ? D[k] : 0.0);
    if (a <= 0) return -HUGE_VAL;
    return g > 0 ? (log(a / g) - su * w) / sb : HUGE_VAL;
}

/* ks_response_survival_rule with within-patient fluctuation (and survival_fluct through
 * it): the common random numbers above, the OU path carried exactly over the gaps between
 * the event times (k_resp, then k_check) on the hourly lattice of the virtual patients
 * (ks_response_path: w constant within an hour, so two events in the same hour see the
 * same w). *cohort (may be NULL): the cohort's share. */
static int survival_rule_fluct(const ks_response_params *p, int ctx, const double *D, double dt_h,
                               const size_t *k_resp, size_t n_resp, double thr_resp,
                               const size_t *k_check, size_t n_check, double thr_keep,
                               int consecutive, double *surv, double *cohort)
{
    double om = p->v[KS_RP_OMEGA_PHI], omt = p->v[KS_RP_OMEGA_THETA], f = p->v[KS_RP_FLUCT];
    double sb = om * sqrt(1 - f), su = om * sqrt(f), tau = 24 * p->v[KS_RP_T_FLUCT_D];
    size_t ne = n_resp + n_check;
    double *num = calloc(n_check ? n_check : 1, sizeof *num), *w = malloc(ne * sizeof *w);
    if (!num || !w) {
        free(num), free(w);
        return KS_ENOMEM;
    }
    double den = 0;
    /* M/2 nodes i, each twice (the path's innovations with sign +1, then -1: antithetic):
     * z1 and the path's start w_0 on a two-dimensional lattice (z1 at the midpoint
     * quantiles (i + 1/2)/(M/2), w_0 at the golden-ratio Kronecker points: stratified, so
     * that as f -> 0 the z1 integral is a midpoint rule, not Monte Carlo), the innovations
     * fixed Philox draws of node i. */
    const int nn = KS_RESPONSE_FLUCT_M / 2;
    for (int q = 0; q < 2 * nn; q++) {
        int i = q / 2;
        double sg = q % 2 ? -1.0 : 1.0;
        double u1 = (i + 0.5) / nn, u2 = fmod(0.5 + i * 0.6180339887498949, 1.0);
        double th = p->v[KS_RP_THETA] * exp(omt * gsl_cdf_ugaussian_Pinv(u1)), prev = 0;
        for (size_t e = 0; e < ne; e++) { /* the path at every event time */
            size_t k = e < n_resp ? k_resp[e] : k_check[e - n_resp];
            double hr = floor((double)k * dt_h + 1e-9); /* as ks_response_path_w */
            if (e == 0)
                w[e] = gsl_cdf_ugaussian_Pinv(u2);
            else {
                double r[2], a = exp(-fabs(hr - prev) / tau);
                ks_rng_normal2(KS_FLUCT_SEED, 0, (uint64_t)i, KS_RNG_RESPONSE,
                               (uint32_t)(1 + (e - 1) / 2), r);
                w[e] = a * w[e - 1] + sqrt(1 - a * a) * sg * r[(e - 1) % 2];
            }
            prev = hr;
        }
        double zc = HUGE_VAL;
        for (size_t r = 0; r < n_resp; r++)
            zc = fmin(zc, c_fluct(p, ctx, D, k_resp[r], dt_h, th, thr_resp, su, sb, w[r]));
        den += 0.5 * erfc(zc / sqrt(2.0));
        double zm = zc;
        for (size_t j = 0; j < n_check; j++) {
            const double *wc = w + n_resp;
            double zr = c_fluct(p, ctx, D, k_check[j], dt_h, th, thr_keep, su, sb, wc[j]);
            if (consecutive == 2)
                zr = j + 1 < n_check ? fmin(zr, c_fluct(p, ctx, D, k_check[j + 1], dt_h, th,
                                                        thr_keep, su, sb, wc[j + 1]))
                                     : -HUGE_VAL;
            if (zr > zm) zm = zr;
            num[j] += 0.5 * erfc(zm / sqrt(2.0));
        }
    }
    for (size_t j = 0; j < n_check; j++)
        surv[j] = den > 1e-300 ? num[j] / den : 0.0;
    if (cohort) *cohort = den / (2 * nn);
    free(num), free(w);
    return KS_OK;
}

int ks_response_survival_rule(const ks_response_params *p, int ctx, const double *D, double dt_h,
                              const size_t *k_resp, size_t n_resp, double thr_resp,
                              const size_t *k_check, size_t n_check, double thr_keep,
                              int consecutive, double *surv)
{
    if (ctx < 0 || ctx >= KS_CTX_N || n_resp == 0 || n_check == 0 || !(thr_resp > 0) ||
        !(thr_keep > 0) || !isfinite(thr_resp) || !isfinite(thr_keep) ||
        (consecutive != 1 && consecutive != 2) || !(p->v[KS_RP_OMEGA_PHI] > 0) ||
        !(p->v[KS_RP_OMEGA_THETA] > 0) || !(dt_h > 0))
        return KS_EINVAL;
    for (size_t j = 1; j < n_check; j++)
        if (k_check[j] <= k_check[j - 1]) return KS_EINVAL;
    for (size_t j = 1; j < n_resp; j++) /* the path runs through them in order */
        if (k_resp[j] <= k_resp[j - 1]) return KS_EINVAL;
    for (size_t j = 0; j < n_resp; j++)
        if (k_resp[j] >= k_check[0]) return KS_EINVAL;
    if (p->v[KS_RP_FLUCT] > 0)
        return survival_rule_fluct(p, ctx, D, dt_h, k_resp, n_resp, thr_resp, k_check, n_check,
                                   thr_keep, consecutive, surv, NULL);
    /* Patient (theta_i, z2). In the cohort <=> reduction >= thr_resp at ANY of k_resp <=>
     * z2 >= zc, the smallest z_above there. Relapsed at check j <=> below thr_keep at j (and
     * at j+1 when consecutive; the last check cannot be confirmed then) <=> z2 < zr_j,
     * zr_j = z_above(j) (or the smaller of j, j+1). Not relapsed through j <=> z2 >=
     * max(zc, max over j' <= j of zr_j'): per theta_i a normal tail of a running maximum,
     * Simpson over z1 as in ks_response_survival_thr. */
    const int nz = N_SURV;
    const double h = 2.0 * Z_MAX / nz, omt = p->v[KS_RP_OMEGA_THETA];
    double *zc = malloc((size_t)(nz + 1) * sizeof *zc), *zm = malloc((size_t)(nz + 1) * sizeof *zm);
    if (!zc || !zm) {
        free(zc), free(zm);
        return KS_ENOMEM;
    }
    double cohort = 0;
    for (int i = 0; i <= nz; i++) {
        double z = -Z_MAX + h * i, th = p->v[KS_RP_THETA] * exp(omt * z);
        zc[i] = HUGE_VAL;
        for (size_t r = 0; r < n_resp; r++)
            zc[i] = fmin(zc[i], z_above(p, ctx, D, k_resp[r], dt_h, th, thr_resp));
        zm[i] = zc[i];
        double w = (i == 0 || i == nz) ? 1 : (i % 2 ? 4 : 2);
        cohort += w * 0.5 * erfc(zc[i] / sqrt(2.0)) * exp(-0.5 * z * z);
    }
    for (size_t j = 0; j < n_check; j++) {
        double v = 0;
        for (int i = 0; i <= nz; i++) {
            double z = -Z_MAX + h * i, th = p->v[KS_RP_THETA] * exp(omt * z);
            double zr = z_above(p, ctx, D, k_check[j], dt_h, th, thr_keep);
            if (consecutive == 2)
                zr = j + 1 < n_check
                         ? fmin(zr, z_above(p, ctx, D, k_check[j + 1], dt_h, th, thr_keep))
                         : -HUGE_VAL;
            if (zr > zm[i]) zm[i] = zr;
            double w = (i == 0 || i == nz) ? 1 : (i % 2 ? 4 : 2);
            v += w * 0.5 * erfc(zm[i] / sqrt(2.0)) * exp(-0.5 * z * z);
        }
        surv[j] = cohort > 1e-300 ? v / cohort : 0.0;
    }
    free(zc), free(zm);
    return KS_OK;
}

double ks_response_p_sustained(const ks_response_params *p, int ctx, const double *D, size_t k0,
                               size_t k1, double dt_h)
{
    if (k1 < k0) return NAN;
    size_t step = (size_t)llround(KS_RESPONSE_RELAPSE_CHECK_H / dt_h); /* daily checks */
    if (step < 1) step = 1;
    size_t m = (k1 - k0) / step + 1;
    double *sv = malloc(m * sizeof *sv);
    double r = NAN;
    if (sv && ks_response_survival(p, ctx, D, k0, k1, dt_h, step, sv) == KS_OK) r = sv[m - 1];
    free(sv);
    return r;
}

/* ---------------------------------------------------------------- patients */

void ks_response_patient(const ks_response_params *p, int ctx, uint64_t seed, uint64_t patient,
                         double *theta_i, double *phi_i)
{
    ks_response_patient_rep(p, ctx, seed, 0, patient, theta_i, phi_i);
}

void ks_response_patient_rep(const ks_response_params *p, int ctx, uint64_t seed,
                             uint32_t replicate, uint64_t patient, double *theta_i, double *phi_i)
{
    (void)ctx;
    double z[2];
    ks_rng_normal2(seed, replicate, patient, KS_RNG_RESPONSE, 0, z);
    *theta_i = p->v[KS_RP_THETA] * exp(p->v[KS_RP_OMEGA_THETA] * z[0]);
    /* multiplies the context's phi; the stable part with fluctuation (with f = 0,
     * sqrt(1 - f) is 1 and the product the same bits as omega_phi z2) */
    double f = p->v[KS_RP_FLUCT];
    *phi_i = exp(p->v[KS_RP_OMEGA_PHI] * (f > 0 ? sqrt(1 - f) * z[1] : z[1]));
}

void ks_response_path_init(ks_response_path *path, const ks_response_params *p, uint64_t seed,
                           uint32_t replicate, uint64_t patient)
{
    double f = p->v[KS_RP_FLUCT], om = p->v[KS_RP_OMEGA_PHI];
    memset(path, 0, sizeof *path);
    path->seed = seed;
    path->patient = patient;
    path->replicate = replicate;
    path->on = f > 0 && om > 0;
    path->a = exp(-1.0 / (24.0 * p->v[KS_RP_T_FLUCT_D]));
    path->b = sqrt(1 - path->a * path->a);
    path->su = om * sqrt(f);
    path->hour = -1;
}

/* Normal number n of the path: index 2 + n/2, component n % 2 (one Philox call a pair). */
static double path_normal(ks_response_path *path, uint64_t n)
{
    uint32_t idx = (uint32_t)(2 + n / 2);
    if (path->pidx != idx) {
        ks_rng_normal2(path->seed, path->replicate, path->patient, KS_RNG_RESPONSE, idx,
                       path->pair);
        path->pidx = idx;
    }
    return path->pair[n % 2];
}

double ks_response_path_w(ks_response_path *path, double t_h)
{
    if (!(t_h >= 0 && t_h < KS_RESPONSE_PATH_MAX_H)) return NAN;
    if (!path->on) return 0.0;
    /* the lattice hour; a time within 1e-9 h below a whole hour (k dt_h on a grid that
     * divides the hour, rounded) counts as that hour */
    int64_t k = (int64_t)floor(t_h + 1e-9);
    if (k < path->hour) path->hour = -1; /* back in time: restart */
    if (path->hour < 0) {
        path->w = path_normal(path, 0);
        path->hour = 0;
    }
    while (path->hour < k) {
        path->hour++;
        path->w = path->a * path->w + path->b * path_normal(path, (uint64_t)path->hour);
    }
    return path->w;
}

double ks_response_path_factor(ks_response_path *path, double t_h)
{
    double w = ks_response_path_w(path, t_h);
    if (isnan(w)) return NAN;
    return path->on ? exp(path->su * w) : 1.0;
}

double ks_response_score(const ks_response_params *p, int ctx, double b0, double theta_i,
                         double phi_i, double t_h, double d)
{
    return b0 * exp(-(phi_i * ks_response_nondrug(p, ctx, t_h) + theta_i * (d > 0 ? d : 0.0)));
}
