/* Exposure summaries: Cmax/Tmax refined on the exact solution, exact AUC,
 * NCA-style terminal slope, time above a threshold with exact crossings. */
#include "ketsim/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Value of output j at time t, exactly. */
static int value_at(ks_sim *s, size_t j, double t, double *v, double *buf, ks_error *err)
{
    int rc = ks_sim_eval(s, t, buf, err);
    if (rc == KS_OK) *v = buf[j];
    return rc;
}

/* Golden-section search for the maximum on [a, b]. */
static int refine_max(ks_sim *s, size_t j, double a, double b, double *tbest, double *cbest,
                      double *buf, ks_error *err)
{
    const double g = (sqrt(5.0) - 1.0) / 2.0;
    double x1 = b - g * (b - a), x2 = a + g * (b - a), f1, f2;
    int rc;
    if ((rc = value_at(s, j, x1, &f1, buf, err)) || (rc = value_at(s, j, x2, &f2, buf, err)))
        return rc;
    for (int it = 0; it < 80 && b - a > 1e-9 * fmax(1.0, b); it++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            if ((rc = value_at(s, j, x2, &f2, buf, err))) return rc;
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            if ((rc = value_at(s, j, x1, &f1, buf, err))) return rc;
        }
    }
    double t = f1 > f2 ? x1 : x2, f = fmax(f1, f2);
    if (f > *cbest) {
        *cbest = f;
        *tbest = t;
    }
    return KS_OK;
}

/* Log-linear regression of the last n points; returns slope and adjusted R^2. */
static int loglin(const double *t, const double *c, size_t from, size_t to, double *slope,
                  double *adj_r2)
{
    size_t n = to - from;
    double st = 0, sy = 0, stt = 0, sty = 0, syy = 0;
    for (size_t i = from; i < to; i++) {
        if (!(c[i] > 0)) return 0;
        double y = log(c[i]);
        st += t[i];
        sy += y;
        stt += t[i] * t[i];
        sty += t[i] * y;
        syy += y * y;
    }
    double dn = (double)n;
    double vt = stt - st * st / dn, vy = syy - sy * sy / dn, cty = sty - st * sy / dn;
    if (!(vt > 0)) return 0;
    *slope = cty / vt;
    double r2 = vy > 0 ? (cty * cty) / (vt * vy) : 1.0;
    *adj_r2 = 1.0 - (1.0 - r2) * (dn - 1.0) / (dn - 2.0);
    return 1;
}

static void terminal_slope(const double *t, const double *c, size_t n, size_t imax, ks_summary *o)
{
    o->lambda_z = o->t_half = o->auc_inf = NAN;
    o->n_lambda = 0;
    double best_r2 = -INFINITY;
    for (size_t k = 3; k + imax < n; k++) {
        double slope, r2;
        if (!loglin(t, c, n - k, n, &slope, &r2) || !(slope < 0)) continue;
        /* Prefer more points unless the fit is clearly worse (NCA convention). */
        if (r2 > best_r2 - 1e-4) {
            best_r2 = fmax(best_r2, r2);
            o->lambda_z = -slope;
            o->n_lambda = (int)k;
        }
    }
    if (o->n_lambda) {
        o->t_half = log(2.0) / o->lambda_z;
        o->auc_inf = o->auc_last + o->clast / o->lambda_z;
    }
}

/* Time above threshold over [t[0], t[n-1]] with crossings found by bisection. */
static int time_above(ks_sim *s, size_t j, const double *t, const double *c, size_t n, double thr,
                      double *out, double *buf, ks_error *err)
{
    double total = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        int a = c[i] > thr, b = c[i + 1] > thr;
        if (a && b) {
            total += t[i + 1] - t[i];
            continue;
        }
        if (!a && !b) continue;
        double lo = t[i], hi = t[i + 1];
        for (int it = 0; it < 60; it++) {
            double mid = 0.5 * (lo + hi), v;
            int rc = value_at(s, j, mid, &v, buf, err);
            if (rc) return rc;
            if ((v > thr) == a)
                lo = mid;
            else
                hi = mid;
        }
        total += a ? 0.5 * (lo + hi) - t[i] : t[i + 1] - 0.5 * (lo + hi);
    }
    *out = total;
    return KS_OK;
}

int ks_summary_compute(ks_sim *s, size_t j, double threshold, ks_summary *o, ks_error *err)
{
    size_t n = ks_sim_n_times(s);
    const double *t = ks_sim_times(s), *c = ks_sim_output(s, j), *auc = ks_sim_output_auc(s, j);
    if (!c) return ks_error_set(err, KS_ESTATE, "summary: no output %zu (run first)", j);
    if (n < 2) return ks_error_set(err, KS_EINVAL, "summary: needs at least two output times");
    memset(o, 0, sizeof *o);
    double *buf = malloc((ks_sim_n_outputs(s) + 1) * sizeof *buf);
    if (!buf) return ks_error_set(err, KS_ENOMEM, "out of memory");
    size_t imax = 0;
    for (size_t i = 1; i < n; i++)
        if (c[i] > c[imax]) imax = i;
    o->cmax = c[imax];
    o->tmax = t[imax];
    int rc = KS_OK;
    /* The peak may lie between grid points (absorption); search both neighbours. */
    if (imax > 0) rc = refine_max(s, j, t[imax - 1], t[imax], &o->tmax, &o->cmax, buf, err);
    if (!rc && imax + 1 < n)
        rc = refine_max(s, j, t[imax], t[imax + 1], &o->tmax, &o->cmax, buf, err);
    o->tlast = t[n - 1];
    o->clast = c[n - 1];
    o->auc_last = auc[n - 1] - auc[0];
    terminal_slope(t, c, n, imax, o);
    o->threshold = threshold;
    o->time_above = NAN;
    if (!rc && isfinite(threshold))
        rc = time_above(s, j, t, c, n, threshold, &o->time_above, buf, err);
    free(buf);
    return rc;
}
