/* Exposure summaries on the exact solution.
 *
 * Between two consecutive breakpoints of a run (dose, infusion and output times) the
 * inputs are constant, so each output is smooth there and its exact slope is known
 * (ks_sim_eval_segment). Each segment is split at its interior turning point, found
 * by bisection on the slope; Cmax is the largest of the breakpoint values and the
 * turning-point maxima, and threshold crossings are found by bisection on each
 * monotone piece. A segment is assumed to have at most one interior turning point,
 * which holds for the absorption and distribution curves of these models; output
 * times are breakpoints too, so a finer grid splits segments further. */
#include "ketsim/summary.h"
#include "sim/sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct seg_ctx {
    ks_sim *s;
    size_t j;     /* output column */
    double *vals; /* scratch: one value per output */
    double *slp;  /* scratch: one slope per output */
    ks_error *err;
} seg_ctx;

static int at(seg_ctx *c, size_t k, double h, double *v, double *slope)
{
    int rc = ks_sim_eval_segment(c->s, k, h, c->vals, c->slp, c->err);
    if (rc) return rc;
    *v = c->vals[c->j];
    if (slope) *slope = c->slp[c->j];
    return KS_OK;
}

/* The turning point inside segment k of length L: slope changes sign there. */
static int turning_point(seg_ctx *c, size_t k, double L, double *hm)
{
    double lo = 0.0, hi = L, v, s0, s;
    int rc = at(c, k, 0.0, &v, &s0);
    for (int it = 0; it < 60 && !rc; it++) {
        double mid = 0.5 * (lo + hi);
        rc = at(c, k, mid, &v, &s);
        if ((s > 0) == (s0 > 0))
            lo = mid;
        else
            hi = mid;
    }
    *hm = 0.5 * (lo + hi);
    return rc;
}

/* Time above thr on a monotone piece [h0, h1] of segment k with end values v0, v1. */
static int above_on_piece(seg_ctx *c, size_t k, double h0, double h1, double v0, double v1,
                          double thr, double *total)
{
    int a = v0 > thr, b = v1 > thr;
    if (a && b) *total += h1 - h0;
    if (a == b) return KS_OK;
    double lo = h0, hi = h1, v;
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        int rc = at(c, k, mid, &v, NULL);
        if (rc) return rc;
        if ((v > thr) == a)
            lo = mid;
        else
            hi = mid;
    }
    double cross = 0.5 * (lo + hi);
    *total += a ? cross - h0 : h1 - cross;
    return KS_OK;
}

/* Walk the segments from breakpoint k0 to k1 (inclusive ends). */
/* With `last` = 0 the value at breakpoint k1 itself (after a dose given then) is not a
 * candidate: a session ends just before the next dose. */
static int scan_segments(seg_ctx *c, const double *cp, size_t k0, size_t k1, double thr, int last,
                         ks_summary *o)
{
    double total = 0.0;
    int rc = KS_OK;
    for (size_t k = k0; k <= k1 && !rc; k++) {
        double va, sa;
        if (k == k1 && !last) break;
        if ((rc = at(c, k, 0.0, &va, &sa))) break;
        if (va > o->cmax) {
            o->cmax = va;
            o->tmax = cp[k];
        }
        if (k == k1) break;
        double L = cp[k + 1] - cp[k], vb, sb;
        if ((rc = at(c, k, L, &vb, &sb))) break;
        if (k + 1 == k1 && !last && vb > o->cmax) { /* the left limit at the session end */
            o->cmax = vb;
            o->tmax = cp[k1];
        }
        double hm = -1.0, vm = 0.0;
        if ((sa > 0 && sb < 0) || (sa < 0 && sb > 0)) {
            if ((rc = turning_point(c, k, L, &hm)) || (rc = at(c, k, hm, &vm, NULL))) break;
            if (sa > 0 && vm > o->cmax) {
                o->cmax = vm;
                o->tmax = cp[k] + hm;
            }
        }
        if (isnan(thr)) continue;
        if (hm >= 0) {
            rc = above_on_piece(c, k, 0.0, hm, va, vm, thr, &total);
            if (!rc) rc = above_on_piece(c, k, hm, L, vm, vb, thr, &total);
        } else {
            rc = above_on_piece(c, k, 0.0, L, va, vb, thr, &total);
        }
    }
    if (!isnan(thr)) o->time_above = total;
    return rc;
}

/* lambda_z as NCA estimates it: log-linear regression over the last k >= 3 positive
 * points after Tmax, taking the largest k whose adjusted R^2 is within 1e-4 of the
 * best. Sums run from the end with times centred on the last point (O(n), stable). */
static void terminal_slope(const double *t, const double *c, size_t n, double tmax, ks_summary *o)
{
    o->lambda_z = o->t_half = o->auc_inf = NAN;
    o->n_lambda = 0;
    size_t last = n;
    while (last > 0 && !(c[last - 1] > 0))
        last--; /* trailing zeros: underflow */
    if (last < 3) return;
    o->tlast = t[last - 1];
    o->clast = c[last - 1];
    double tc = t[last - 1], st = 0, sy = 0, stt = 0, sty = 0, syy = 0, best = -INFINITY;
    for (size_t k = 1; k <= last; k++) {
        size_t i = last - k;
        if (!(c[i] > 0) || !(t[i] > tmax)) break;
        double x = t[i] - tc, y = log(c[i]);
        st += x;
        sy += y;
        stt += x * x;
        sty += x * y;
        syy += y * y;
        if (k < 3) continue;
        double dn = (double)k, vt = stt - st * st / dn, vy = syy - sy * sy / dn;
        double cty = sty - st * sy / dn;
        if (!(vt > 0)) continue;
        double slope = cty / vt;
        if (!(slope < 0)) continue;
        double r2 = vy > 0 ? cty * cty / (vt * vy) : 1.0;
        double adj = 1.0 - (1.0 - r2) * (dn - 1.0) / (dn - 2.0);
        if (adj > best - 1e-4) {
            best = fmax(best, adj);
            o->lambda_z = -slope;
            o->n_lambda = (int)k;
        }
    }
    if (o->n_lambda) {
        o->t_half = log(2.0) / o->lambda_z;
        o->auc_inf = o->auc_last + o->clast / o->lambda_z;
    }
}

int ks_summary_compute(ks_sim *s, size_t j, double threshold, ks_summary *o, ks_error *err)
{
    size_t n = ks_sim_n_times(s);
    const double *t = ks_sim_times(s), *c = ks_sim_output(s, j), *auc = ks_sim_output_auc(s, j);
    if (!c) return ks_error_set(err, KS_ESTATE, "summary: no output %zu (run first)", j);
    if (n < 2) return ks_error_set(err, KS_EINVAL, "summary: needs at least two output times");
    const double *cp;
    size_t ncp;
    if (ks_sim_checkpoints(s, &cp, &ncp)) return ks_error_set(err, KS_ESTATE, "summary: run first");
    memset(o, 0, sizeof *o);
    o->cmax = -INFINITY;
    o->threshold = threshold;
    o->time_above = NAN;
    o->auc_last = auc[n - 1];
    o->tlast = t[n - 1];
    o->clast = c[n - 1];
    size_t no = ks_sim_n_outputs(s);
    seg_ctx ctx = {s, j, malloc(no * sizeof(double)), malloc(no * sizeof(double)), err};
    int rc = ctx.vals && ctx.slp ? KS_OK : ks_error_set(err, KS_ENOMEM, "out of memory");
    if (!rc)
        rc = scan_segments(&ctx, cp, ks_sim_last_at_or_before(cp, ncp, t[0]),
                           ks_sim_last_at_or_before(cp, ncp, t[n - 1]), threshold, 1, o);
    free(ctx.vals);
    free(ctx.slp);
    if (!rc) terminal_slope(t, c, n, o->tmax, o);
    return rc;
}

int ks_summary_sessions(ks_sim *s, size_t j, const double *starts, size_t n, double threshold,
                        ks_session_summary *out, ks_error *err)
{
    size_t nt = ks_sim_n_times(s);
    const double *t = ks_sim_times(s);
    if (!ks_sim_output(s, j)) return ks_error_set(err, KS_ESTATE, "sessions: run first");
    const double *cp;
    size_t ncp;
    if (ks_sim_checkpoints(s, &cp, &ncp) || nt < 2)
        return ks_error_set(err, KS_ESTATE, "sessions: run first, with two or more times");
    size_t no = ks_sim_n_outputs(s);
    seg_ctx ctx = {s, j, malloc(no * sizeof(double)), malloc(no * sizeof(double)), err};
    int rc = ctx.vals && ctx.slp ? KS_OK : ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        double a = starts[i], b = i + 1 < n ? starts[i + 1] : t[nt - 1];
        if (i && !(a > starts[i - 1]))
            rc = ks_error_set(err, KS_EINVAL, "sessions: start times must increase");
        if (!rc && !(a >= t[0] && b <= t[nt - 1] && b > a))
            rc = ks_error_set(err, KS_EINVAL,
                              "session %zu (%g-%g h) is outside the simulated "
                              "times",
                              i + 1, a, b);
        if (rc) break;
        /* Dose times are breakpoints; the checkpoints at a and b exist. */
        size_t ka = ks_sim_last_at_or_before(cp, ncp, a), kb = ks_sim_last_at_or_before(cp, ncp, b);
        ks_session_summary *o = &out[i];
        ks_summary sm;
        memset(&sm, 0, sizeof sm);
        sm.cmax = -INFINITY;
        sm.time_above = NAN;
        rc = scan_segments(&ctx, cp, ka, kb, threshold, i + 1 == n, &sm);
        if (rc) break;
        o->start_h = a;
        o->end_h = b;
        o->cmax = sm.cmax;
        o->tmax = sm.tmax;
        o->time_above = sm.time_above;
        /* Trough: the value just before the session's first input. */
        o->trough = 0.0;
        if (ka > 0) rc = at(&ctx, ka - 1, cp[ka] - cp[ka - 1], &o->trough, NULL);
        double auc_a, auc_b;
        if (!rc) rc = ks_sim_auc_at(s, j, ka, &auc_a);
        if (!rc) rc = ks_sim_auc_at(s, j, kb, &auc_b);
        if (!rc) o->auc = auc_b - auc_a;
    }
    free(ctx.vals);
    free(ctx.slp);
    return rc;
}
