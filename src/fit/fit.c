/* Estimating a route parameter from a published Tmax: bisection on log(parameter). */
#include "ketsim/fit.h"
#include "ketsim/sim.h"
#include "ketsim/summary.h"
#include "model/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output grid points per horizon: the summary assumes at most one turning point
 * between two output times, which a fine grid guarantees for absorption curves. */
#define GRID_N 2400
#define HORIZON0_H 24.0
#define HORIZON_MAX_H 1e5

/* Tmax over [0, horizon] on a grid of GRID_N + 1 points; *cmax for the checks. */
static int tmax_within(const ks_model *m, const char *route, double dose_mg,
                       const ks_covariates *cov, const char *column, double horizon, double *tmax_h,
                       double *cmax, ks_error *err)
{
    ks_sim *s = NULL;
    double *t = malloc((GRID_N + 1) * sizeof *t);
    if (!t) return ks_error_set(err, KS_ENOMEM, "fit: out of memory");
    for (int i = 0; i <= GRID_N; i++)
        t[i] = horizon * i / GRID_N;
    ks_dose d = {0.0, dose_mg, 0.0, route};
    const ks_covariates none = {0};
    int rc = ks_sim_create(m, &s, err);
    if (!rc) rc = ks_sim_set_covariates(s, cov ? cov : &none, err);
    if (!rc) rc = ks_sim_add_dose(s, &d, err);
    if (!rc) rc = ks_sim_set_times(s, t, GRID_N + 1, err);
    if (!rc) rc = ks_sim_run(s, err);
    if (!rc) {
        int j = ks_sim_output_index(s, column);
        ks_summary sm;
        if (j < 0)
            rc = ks_error_set(err, KS_ENOTFOUND, "model %s has no output %s", m->name, column);
        else if (!(rc = ks_summary_compute(s, (size_t)j, NAN, &sm, err))) {
            *tmax_h = sm.tmax;
            *cmax = sm.cmax;
        }
    }
    ks_sim_free(s);
    free(t);
    return rc;
}

int ks_fit_measure_tmax(const ks_model *m, const char *route, double dose_mg,
                        const ks_covariates *cov, double *tmax_h, ks_error *err)
{
    if (!m || !route || !tmax_h)
        return ks_error_set(err, KS_EINVAL, "ks_fit_measure_tmax: NULL argument");
    if (!(dose_mg > 0) || !isfinite(dose_mg))
        return ks_error_set(err, KS_EINVAL, "fit: the dose %g mg must be positive", dose_mg);
    int ri = ks_model_route_index(m, route);
    if (ri < 0)
        return ks_error_set(err, KS_ENOTFOUND, "model %s has no route \"%s\"", m->name, route);
    const char *analyte = m->analytes[m->routes[ri].analyte].name;
    char column[96];
    snprintf(column, sizeof column, "cp_%.80s_ng_ml", analyte);
    double cmax = 0.0;
    for (double h = HORIZON0_H; h <= HORIZON_MAX_H; h *= 4) {
        double tm = 0.0;
        int rc = tmax_within(m, route, dose_mg, cov, column, h, &tm, &cmax, err);
        if (rc) return rc;
        /* No concentration yet (a long lag), or a peak in the last grid interval, which
         * may be the horizon cutting a rising curve: look further. */
        if (cmax > 0 && tm < h * (1.0 - 1.0 / GRID_N)) {
            *tmax_h = tm;
            return KS_OK;
        }
    }
    if (!(cmax > 0))
        return ks_error_set(err, KS_ENUMERIC,
                            "route %s of model %s gives no %s concentration within %g h", route,
                            m->name, analyte, HORIZON_MAX_H);
    return ks_error_set(err, KS_ENUMERIC,
                        "route %s of model %s: %s still rises at %g h (no peak found)", route,
                        m->name, analyte, HORIZON_MAX_H);
}

/* Set the free parameter to x (ketsim's unit) in its own published unit. */
static int set_value(ks_model *m, int pi, double x, ks_error *err)
{
    ks_dim d;
    double f;
    const ks_mparam *p = &m->params[pi];
    if (ks_unit_lookup(p->unit, &d, &f, err)) return KS_EUNIT;
    char name[128], unit[32];
    snprintf(name, sizeof name, "%s", p->name);
    snprintf(unit, sizeof unit, "%s", p->unit);
    return ks_model_set_param(m, name, x / f, unit, err);
}

typedef struct fit_ctx {
    ks_model *m;
    const ks_fit_spec *sp;
    int pi;
    int n;
} fit_ctx;

static int tmax_at(fit_ctx *c, double x, double *tm, ks_error *err)
{
    int rc = set_value(c->m, c->pi, x, err);
    if (!rc) rc = ks_fit_measure_tmax(c->m, c->sp->route, c->sp->dose_mg, c->sp->cov, tm, err);
    c->n++;
    return rc;
}

static int param_index_of(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

/* Check the spec; find the parameter and the bracket. */
static int prepare(const ks_model *m, const ks_fit_spec *sp, int *pi, double *lo, double *hi,
                   ks_error *err)
{
    if (!sp->route || !sp->param)
        return ks_error_set(err, KS_EINVAL, "ks_fit_solve_tmax: NULL route or parameter");
    if (!(sp->target_tmax_h > 0) || !isfinite(sp->target_tmax_h))
        return ks_error_set(err, KS_EINVAL, "fit: the target Tmax %g h must be positive",
                            sp->target_tmax_h);
    if (ks_model_route_index(m, sp->route) < 0)
        return ks_error_set(err, KS_ENOTFOUND, "model %s has no route \"%s\"", m->name, sp->route);
    *pi = param_index_of(m, sp->param);
    if (*pi < 0)
        return ks_error_set(err, KS_ENOTFOUND, "model %s has no parameter \"%s\"", m->name,
                            sp->param);
    ks_dim dim = m->params[*pi].dim;
    if (dim != KS_DIM_RATE && dim != KS_DIM_TIME)
        return ks_error_set(err, KS_EUNIT,
                            "parameter %s of model %s is a %s (\"%s\"): fit-route estimates a "
                            "rate constant or a time",
                            sp->param, m->name, ks_dim_name(dim), m->params[*pi].unit);
    *lo = sp->lo;
    *hi = sp->hi;
    if (*lo == 0 && *hi == 0) {
        *lo = dim == KS_DIM_RATE ? KS_FIT_RATE_LO : KS_FIT_TIME_LO;
        *hi = dim == KS_DIM_RATE ? KS_FIT_RATE_HI : KS_FIT_TIME_HI;
    }
    if (!(*lo > 0) || !(*hi > *lo) || !isfinite(*hi))
        return ks_error_set(err, KS_EINVAL, "fit: the bracket [%g, %g] %s needs 0 < low < high",
                            *lo, *hi, ks_dim_unit(dim));
    return KS_OK;
}

/* Bisection on log x; `up` is 1 when Tmax increases with x. */
static int bisect(fit_ctx *c, double lo, double hi, int up, double target, ks_error *err)
{
    for (int it = 0; it < 400 && log(hi / lo) > KS_FIT_REL_TOL; it++) {
        double mid = sqrt(lo * hi), tm;
        int rc = tmax_at(c, mid, &tm, err);
        if (rc) return rc;
        if ((tm < target) == up)
            lo = mid;
        else
            hi = mid;
    }
    double x = sqrt(lo * hi), tm;
    return tmax_at(c, x, &tm, err);
}

int ks_fit_solve_tmax(ks_model *m, const ks_fit_spec *sp, ks_fit_result *out, ks_error *err)
{
    if (!m || !sp || !out) return ks_error_set(err, KS_EINVAL, "ks_fit_solve_tmax: NULL argument");
    int pi = -1;
    double lo = 0.0, hi = 0.0;
    int rc = prepare(m, sp, &pi, &lo, &hi, err);
    if (rc) return rc;
    const double original = m->params[pi].published;
    char unit[32], name[128];
    snprintf(unit, sizeof unit, "%s", m->params[pi].unit);
    snprintf(name, sizeof name, "%s", m->params[pi].name);
    fit_ctx c = {m, sp, pi, 0};
    double t_lo, t_hi, target = sp->target_tmax_h;
    if ((rc = tmax_at(&c, lo, &t_lo, err)) || (rc = tmax_at(&c, hi, &t_hi, err))) goto restore;
    const char *iu = ks_dim_unit(m->params[pi].dim);
    if (fabs(t_hi - t_lo) <= KS_FIT_TMAX_TOL_H) {
        rc = ks_error_set(err, KS_ENUMERIC,
                          "parameter %s does not change the Tmax of route %s (%.6g h from %g to "
                          "%g %s)",
                          name, sp->route, t_lo, lo, hi, iu);
        goto restore;
    }
    int up = t_hi > t_lo;
    double t_min = up ? t_lo : t_hi, t_max = up ? t_hi : t_lo;
    if (target < t_min || target > t_max) {
        rc = ks_error_set(err, KS_EINVAL,
                          "target Tmax %.4g min is not attainable by route %s with %s in [%g, %g] "
                          "%s: Tmax ranges from %.4g min (%s = %g %s) to %.4g min (%s = %g %s)%s",
                          target * 60, sp->route, name, lo, hi, iu, t_min * 60, name, up ? lo : hi,
                          iu, t_max * 60, name, up ? hi : lo, iu,
                          target < t_min ? "; it is shorter than the fastest absorption allows"
                                         : "; it is longer than the bracket allows");
        goto restore;
    }
    if ((rc = bisect(&c, lo, hi, up, target, err))) goto restore;
    double x = m->params[pi].value, tm;
    if ((rc = ks_fit_measure_tmax(m, sp->route, sp->dose_mg, sp->cov, &tm, err))) goto restore;
    c.n++;
    if (fabs(tm - target) > KS_FIT_TMAX_TOL_H) {
        rc = ks_error_set(err, KS_ENUMERIC,
                          "no %s gives Tmax %.6g h for route %s: the closest, %g %s, gives %.6g "
                          "h (Tmax is not monotone in %s here)",
                          name, target, sp->route, x, iu, tm, name);
        goto restore;
    }
    *out = (ks_fit_result){
        x,  m->params[pi].published, m->params[pi].unit, iu, tm, lo, hi, t_lo, t_hi, KS_FIT_REL_TOL,
        c.n};
    return KS_OK;
restore:;
    ks_error keep = err ? *err : (ks_error){0};
    ks_model_set_param(m, name, original, unit, NULL);
    if (err) *err = keep;
    return rc;
}
