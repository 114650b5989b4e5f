/* ketsim forecast --uncertainty: the forecast's population shares recomputed under each
 * parameter set of the calibration's uncertainty sample ("uncertainty"."sets" of the
 * parameter file, drawn by SIR, Markov chains or sequential Monte Carlo), summarised as 5th-95th
 * percentiles over the sets. */
#include "resp.h"

#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void resp_unc_sir_warning(const char *params_path, size_t n_sets, char *buf, size_t n)
{
    if (n) *buf = '\0';
    json_t *root = json_load_file(params_path, 0, NULL);
    json_t *un = json_object_get(root, "uncertainty");
    json_t *sir = json_object_get(un, "sir"), *mc = json_object_get(un, "mcmc"),
           *smc = json_object_get(un, "smc");
    json_t *dg = mc ? mc : smc; /* both record the chains' diagnostics */
    if (dg) {
        if (!json_is_true(json_object_get(dg, "converged")))
            snprintf(buf, n,
                     "the calibration's %s did not converge (largest R-hat %.3g, "
                     "smallest bulk/tail effective sample size %.0f/%.0f, for %zu sets): the "
                     "intervals are indicative and their tails are not to be trusted",
                     mc ? "Markov chains" : "sequential Monte Carlo",
                     json_number_value(json_object_get(dg, "max_rhat")),
                     json_number_value(json_object_get(dg, "min_ess_bulk")),
                     json_number_value(json_object_get(dg, "min_ess_tail")), n_sets);
    } else if (!json_is_true(json_object_get(sir, "converged")))
        snprintf(buf, n,
                 "the calibration's SIR sample did not converge (effective sample size %.0f "
                 "for %zu sets): the intervals are indicative, wider than the parameter "
                 "uncertainty where the sets fall back on the proposal, and their tails are "
                 "not to be trusted",
                 json_number_value(json_object_get(sir, "effective_sample_size")), n_sets);
    json_decref(root);
}

double resp_quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_d);
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n) return v[n - 1];
    double f = pos - (double)i;
    if (f == 0) return v[i];
    if (isinf(v[i]) || isinf(v[i + 1])) return v[i + 1];
    return v[i] + f * (v[i + 1] - v[i]);
}

/* One set, one arm: shares on the days and the median relapse (days from the last dose;
 * INFINITY when not reached by the horizon, NAN for placebo or when last dose + 24 h is
 * beyond it). */
static int one(const ks_response_params *set, const resp_unc_arm *a, const resp_unc_spec *s,
               double *D, double *surv, size_t *kc, double *resp, double *remit, double *rel,
               ks_error *err)
{
    ks_response_params q = *set;
    q.first_visit_h = a->first_h;
    q.last_visit_h = a->last_h;
    if (a->occ) {
        ks_response_states st = {NULL, NULL, NULL, NULL, D, NULL};
        int rc = ks_response_drive(&q, a->occ, s->n_grid, s->dt_h, &st, err);
        if (rc) return rc;
    } else
        memset(D, 0, s->n_grid * sizeof *D);
    for (int j = 0; j < s->n_days; j++) {
        size_t k = (size_t)llround(s->days[j] * 24 / s->dt_h);
        if (k >= s->n_grid) k = s->n_grid - 1;
        double t = (double)k * s->dt_h;
        resp[j] = ks_response_p_response_thr(&q, a->ctx, t, D[k], s->thr);
        remit[j] = s->cutoff >= 0
                       ? ks_response_p_remission(&q, a->ctx, t, D[k], s->cutoff, s->b0, s->b0_sd)
                       : NAN;
    }
    *rel = NAN;
    if (a->placebo) return KS_OK;
    /* responders 24 h after the last dose; checks every RESP_UNC_CHECK_H from then */
    size_t k0 = (size_t)llround((a->last_h + 24) / s->dt_h),
           step = (size_t)llround(RESP_UNC_CHECK_H / s->dt_h), nc = 0;
    if (k0 >= s->n_grid) return KS_OK;
    for (size_t k = k0 + step; k < s->n_grid; k += step)
        kc[nc++] = k;
    *rel = INFINITY; /* censored unless a check shows the median */
    if (nc == 0) return KS_OK;
    int rc =
        ks_response_survival_rule(&q, a->ctx, D, s->dt_h, &k0, 1, s->thr, kc, nc, s->thr, 1, surv);
    if (rc) return ks_error_set(err, rc, "relapse quadrature failed (code %d)", rc);
    for (size_t j = 0; j < nc; j++)
        if (surv[j] < 0.5) {
            *rel = ((double)kc[j] * s->dt_h - a->last_h) / 24;
            break;
        }
    return KS_OK;
}

int resp_unc_forecast(const ks_response_params *sets, size_t n_sets, const resp_unc_arm *arms,
                      int n_arms, const resp_unc_spec *s, double *out_resp, double *out_remit,
                      double *out_rel, ks_error *err)
{
    size_t na = (size_t)n_arms, nd = (size_t)s->n_days;
    double *r = malloc(n_sets * na * nd * sizeof *r), *m = malloc(n_sets * na * nd * sizeof *m),
           *l = malloc(n_sets * na * sizeof *l);
    int rc = KS_OK, bad = 0;
    ks_error first = {0}; /* the message of the lowest failing (set, arm) */
    size_t first_i = (size_t)-1;
    if (!r || !m || !l) {
        free(r), free(m), free(l);
        return ks_error_set(err, KS_ENOMEM, "--uncertainty: out of memory");
    }
    /* every (set, arm) pair on its own slot: the same bits for any thread count */
#pragma omp parallel reduction(| : bad)
    {
        double *D = malloc(s->n_grid * sizeof *D), *surv = malloc(s->n_grid * sizeof *surv);
        size_t *kc = malloc(s->n_grid * sizeof *kc);
        if (!D || !surv || !kc) bad = 1;
#pragma omp for schedule(dynamic)
        for (size_t i = 0; i < n_sets * na; i++) {
            if (bad) continue;
            size_t k = i / na, a = i % na;
            ks_error e1 = {0};
            if (one(&sets[k], &arms[a], s, D, surv, kc, r + (k * na + a) * nd,
                    m + (k * na + a) * nd, &l[k * na + a], &e1)) {
#pragma omp critical
                {
                    if (i < first_i) first_i = i, first = e1;
                }
                bad = 1;
            }
        }
        free(D), free(surv), free(kc);
    }
    if (bad)
        rc = first_i == (size_t)-1
                 ? ks_error_set(err, KS_ENOMEM, "--uncertainty: out of memory")
                 : ks_error_set(err, KS_ENUMERIC, "--uncertainty: parameter set %zu, arm %zu: %s",
                                first_i / na + 1, first_i % na + 1, first.msg);
    double *col = malloc(n_sets * sizeof *col);
    if (!rc && !col) rc = ks_error_set(err, KS_ENOMEM, "--uncertainty: out of memory");
    for (size_t a = 0; !rc && a < na; a++) {
        for (size_t j = 0; j < nd; j++) {
            for (size_t k = 0; k < n_sets; k++)
                col[k] = r[(k * na + a) * nd + j];
            out_resp[(a * nd + j) * 2] = resp_quantile(col, n_sets, 0.05);
            out_resp[(a * nd + j) * 2 + 1] = resp_quantile(col, n_sets, 0.95);
            for (size_t k = 0; k < n_sets; k++)
                col[k] = m[(k * na + a) * nd + j];
            out_remit[(a * nd + j) * 2] = s->cutoff >= 0 ? resp_quantile(col, n_sets, 0.05) : NAN;
            out_remit[(a * nd + j) * 2 + 1] =
                s->cutoff >= 0 ? resp_quantile(col, n_sets, 0.95) : NAN;
        }
        for (size_t k = 0; k < n_sets; k++)
            col[k] = l[k * na + a];
        int none = isnan(col[0]); /* placebo, or last dose + 24 h beyond the horizon */
        out_rel[a * 2] = none ? NAN : resp_quantile(col, n_sets, 0.05);
        out_rel[a * 2 + 1] = none ? NAN : resp_quantile(col, n_sets, 0.95);
    }
    free(col), free(r), free(m), free(l);
    return rc;
}
