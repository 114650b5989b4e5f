/* ketsim trial --response FILE: the MADRS response of the trial's patients to its
 * regimen (docs/trial.md, docs/response-model.md). The typical drug state of the
 * regimen comes once from the calibrated PK models (racemic IV: domino-1982, nasal
 * esketamine: perez-ruixo-2021, as in the calibration), then each patient's draws
 * (ks_response_patient) give the score at every output time (ks_response_trial). */
#include "resp.h"
#include "ketsim/io.h"
#include "ketsim/trial.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DT_H (1.0 / 12.0) /* the 5-minute grid of the drug state */

static int bad(int print, const char *fmt, ...)
{
    if (print) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        cli_error("trial", "%s", msg);
    }
    return 2;
}

static int num(int print, const char *opt, const char *text, double lo, double hi, double *v)
{
    return resp_parse_score("trial", print, opt, text, lo, hi, v);
}

int trial_resp_setup(trial_resp *r, int print, const trial_resp_opts *o)
{
    memset(r, 0, sizeof *r);
    r->out = o->out;
    r->b0_sd = 0;
    r->cutoff = 10;
    r->ctx = -1;
    r->pctx = -1;
    ks_error err = {0};
    char xwarn[512] = ""; /* HAM-D baseline or cutoff beyond the linking's last anchor */
    if (o->hamd && o->madrs)
        return bad(print, "--madrs and --hamd: give the baseline on one scale only");
    if (!o->hamd && !o->madrs)
        return bad(print, "--response: give the patients' baseline with --madrs SCORE (or --hamd)");
    if (o->hamd) { /* HAM-D in and out, MADRS inside (ks_response_hamd_to_madrs) */
        r->hamd = 1;
        r->cutoff_h = 7; /* the HRSD remission of Zarate 2006 (efficacy.md 2) */
        int ex = 0, cex = 0;
        if (num(print, "--hamd", o->hamd, 1, resp_hamd_limit(), &r->b0_h)) return 2;
        if (ks_response_hamd_to_madrs(r->b0_h, &r->b0, &ex, &err))
            return bad(print, "--hamd: %s", err.msg);
        if (o->madrs_sd)
            return bad(print, "--madrs-sd goes with --madrs: a baseline spread on HAM-D has no "
                              "published conversion (give --madrs and --madrs-sd)");
        if (o->cutoff &&
            num(print, "--remission-cutoff", o->cutoff, 0, resp_hamd_limit(), &r->cutoff_h))
            return 2;
        if (ks_response_hamd_to_madrs(r->cutoff_h, &r->cutoff, &cex, &err))
            return bad(print, "--remission-cutoff: %s", err.msg);
        if (ex) resp_hamd_extrap_warning(xwarn, sizeof xwarn, "baseline", r->b0_h, r->b0);
        if (cex)
            resp_hamd_extrap_warning(xwarn, sizeof xwarn, "remission cutoff", r->cutoff_h,
                                     r->cutoff);
    } else {
        if (num(print, "--madrs", o->madrs, 1, 60, &r->b0)) return 2;
        if (o->madrs_sd && num(print, "--madrs-sd", o->madrs_sd, 0, 30, &r->b0_sd)) return 2;
        if (o->cutoff && num(print, "--remission-cutoff", o->cutoff, 0, 59, &r->cutoff)) return 2;
    }
    if (o->ctx && ks_response_context_parse(o->ctx, &r->ctx, &err))
        return bad(print, "--response-context: %s", err.msg);
    if (o->pctx && ks_response_context_parse(o->pctx, &r->pctx, &err))
        return bad(print, "--placebo-context: %s", err.msg);
    char *ppath = r->params_path;
    if (o->params)
        snprintf(ppath, sizeof r->params_path, "%s", o->params);
    else
        resp_default_params_path(ppath, sizeof r->params_path);
    if (ks_response_params_load(ppath, &r->p, &err))
        return bad(print, "--response-params: %s", err.msg);
    r->weight = 70;
    r->age = 45;
    ks_covariates_get(o->base, "weight", &r->weight);
    ks_covariates_get(o->base, "age", &r->age);
    if (!(r->age >= 18))
        return bad(print, "--response: the response model is calibrated on adults (--age %g y)",
                   r->age);
    /* the PD file the parameters were fitted with (the models are the trial's) */
    if (resp_env_load_fitted(&r->e, "trial", "--response-params", ppath, NULL, NULL, NULL))
        return 2;
    size_t nd = ks_regimen_n_doses(o->reg);
    ks_dose *doses = calloc(nd, sizeof *doses);
    if (!doses) return bad(print, "out of memory");
    int rc = 0;
    if (ks_regimen_to_doses(o->reg, r->weight, doses, nd, &err))
        rc = bad(print, "--response: %s", err.msg);
    /* The response model was calibrated on racemic ketamine IV and esketamine nasal: the
     * trial's model drives it when it is that drug (so the PK is the trial's), and any
     * other drug or route is refused rather than silently replaced. */
    const char *drug = ks_model_drug(o->model), *route = NULL;
    for (size_t i = 0; !rc && i < nd; i++) {
        const char *want = resp_route_drug(doses[i].route);
        if (!want || (route && strcmp(route, doses[i].route) != 0))
            rc = bad(print,
                     "--response: route \"%s\" (dose %zu): the response model is calibrated for "
                     "iv (racemic ketamine) or nasal (esketamine) courses, one route per regimen",
                     doses[i].route, i + 1);
        else if (!drug || strcmp(drug, want) != 0)
            rc =
                bad(print,
                    "--response: --model %s is %s, but the response model is calibrated for %s "
                    "%s (use a %s model, e.g. %s)",
                    ks_model_name(o->model), drug ? drug : "of no stated drug", doses[i].route,
                    want, want, strcmp(doses[i].route, "iv") == 0 ? r->e.iv_name : r->e.nasal_name);
        route = doses[i].route;
    }
    char why[512], dwarn[512] = "";
    if (!rc && resp_dose_check(doses, nd, r->weight, dwarn, sizeof dwarn, why, sizeof why))
        rc = bad(print, "--response: %s", why);
    if (!rc && print) {
        resp_drive d;
        resp_drive_read(ppath, &d);
        resp_drive_check_model(&d, "--response-params", ppath, route, "--model",
                               ks_model_name(o->model), o->model_path);
    }
    if (!rc) {
        r->n_doses = (int)nd;
        resp_dose_span(doses, nd, &r->first_dose_h, &r->last_dose_h);
        r->p.first_visit_h = r->first_dose_h;
        r->p.last_visit_h = r->last_dose_h;
        r->pk_model = ks_model_name(o->model);
        int nasal = strcmp(route, "nasal") == 0;
        if (r->ctx < 0) r->ctx = nasal ? KS_CTX_ORAL_AD : KS_CTX_ACTIVE;
        if (o->population_option)
            snprintf(r->warning, sizeof r->warning,
                     "the response drive is one typical patient (%.4g kg, %.4g y): the covariates "
                     "drawn by %s do not reach it%s",
                     r->weight, r->age, o->population_option, *dwarn ? "; " : "");
        size_t wl = strlen(r->warning);
        snprintf(r->warning + wl, sizeof r->warning - wl, "%s", dwarn);
        if (r->b0 <= r->cutoff) {
            wl = strlen(r->warning);
            snprintf(r->warning + wl, sizeof r->warning - wl,
                     "%sthe baseline %s %.4g is already at or below the remission cutoff (%.4g)",
                     wl ? "; " : "", r->hamd ? "HAM-D" : "MADRS", r->hamd ? r->b0_h : r->b0,
                     r->hamd ? r->cutoff_h : r->cutoff);
        }
        if (*xwarn) {
            wl = strlen(r->warning);
            snprintf(r->warning + wl, sizeof r->warning - wl, "%s%s", wl ? "; " : "", xwarn);
        }
        if (o->replicates > 1) { /* not silently: the other replicates are not in the file */
            wl = strlen(r->warning);
            snprintf(r->warning + wl, sizeof r->warning - wl,
                     "%sthe response covers the first replicate only; the other %u replicates "
                     "(--replicates %u) are not in it",
                     wl ? "; " : "", o->replicates - 1, o->replicates);
        }
        ks_covariates cov = *o->base;
        ks_covariates_set(&cov, "weight", r->weight, NULL);
        ks_covariates_set(&cov, "age", r->age, NULL);
        double grid_end = ceil(o->until_h / DT_H - 1e-9) * DT_H;
        double *occ = NULL;
        if (ks_response_occupancy(o->model, r->e.pd, &cov, doses, nd, grid_end, DT_H, &occ,
                                  &r->n_grid, &err))
            rc = bad(print, "--response: %s", err.msg);
        else if (!(r->D = malloc(r->n_grid * sizeof *r->D)))
            rc = bad(print, "out of memory");
        else {
            ks_response_states st = {NULL, NULL, NULL, NULL, r->D, NULL};
            if (ks_response_drive(&r->p, occ, r->n_grid, DT_H, &st, &err))
                rc = bad(print, "--response: %s", err.msg);
        }
        free(occ);
    }
    free(doses);
    return rc;
}

#define RELAPSE_DEF                                                                                \
    "among responders (MADRS reduced by >= 50 %, also with --hamd) 24 h after the last dose, "     \
    "days from the last dose to the first hourly check without response; censored at the horizon"

/* "12.3 d" or "n/a (why)" */
static void relapse_text(const ks_response_relapse *q, char *buf, size_t len)
{
    if (isfinite(q->median_d))
        snprintf(buf, len, "%.4g d", q->median_d);
    else
        snprintf(buf, len, "n/a (%s)", q->why ? q->why : "no median");
}

int trial_resp_write(trial_resp *r, const double *times, size_t nt, uint64_t n, uint64_t seed,
                     int threads, int quiet)
{
    ks_response_trial_row *rows = calloc(2 * nt, sizeof *rows);
    if (!rows) {
        cli_error("trial", "--response: out of memory");
        return 1;
    }
    ks_error err = {0};
    /* arm 0: the regimen; arm 1: placebo, the same visits without drug, in the regimen
     * arm's context unless --placebo-context says otherwise (as the trials compared them:
     * TRANSFORM's control arm had the new oral antidepressant too). */
    int pctx = r->pctx >= 0 ? r->pctx : r->ctx;
    ks_response_params pp = r->p;
    ks_response_trial_spec s = {&r->p, r->ctx, r->D,     r->n_grid, DT_H,    times,   nt, n,
                                seed,  r->b0,  r->b0_sd, r->cutoff, threads, r->hamd, 0,  0};
    int rc = ks_response_trial(&s, rows, &err);
    if (!rc) {
        s.params = &pp;
        s.ctx = pctx;
        s.D = NULL;
        rc = ks_response_trial(&s, rows + nt, &err);
    }
    /* relapse after the last dose, on MADRS (>= 50 %) also with --hamd: both arms (the
     * placebo arm's non-drug part wanes after the last visit) */
    ks_response_relapse rel[2];
    if (!rc) {
        s.params = &r->p;
        s.ctx = r->ctx;
        s.D = r->D;
        rc = ks_response_trial_relapse(&s, &rel[0], &err);
    }
    if (!rc) {
        s.params = &pp;
        s.ctx = pctx;
        s.D = NULL;
        rc = ks_response_trial_relapse(&s, &rel[1], &err);
    }
    if (rc) {
        cli_error("trial", "--response: %s", err.msg);
        free(rows);
        return rc == KS_EINVAL ? 2 : 1;
    }
    const char *arm[2] = {"regimen", "placebo (no drug)"};
    int ctx[2] = {r->ctx, pctx};
    size_t l = strlen(r->out);
    int json = l > 5 && strcasecmp(r->out + l - 5, ".json") == 0; /* as cli_check_ext */
    FILE *f = NULL;
    char tmp[4200];
    if (ks_atomic_open(r->out, &f, tmp, sizeof tmp, &err)) {
        cli_error("trial", "--response: %s", err.msg);
        free(rows);
        return 2;
    }
    char desc[1024], base[160];
    if (r->hamd)
        snprintf(base, sizeof base, "baseline HAM-D %.4g (MADRS %.4g)", r->b0_h, r->b0);
    else
        snprintf(base, sizeof base, "baseline MADRS %.4g (SD %.4g, clipped to 1..60)", r->b0,
                 r->b0_sd);
    snprintf(desc, sizeof desc,
             "typical drug state of the regimen through %s (%.4g kg, %.4g y), %llu patients, seed "
             "%llu, %s; placebo arm: the same visits, no drug, context %s%s",
             r->pk_model, r->weight, r->age, (unsigned long long)n, (unsigned long long)seed, base,
             ks_response_context_name(pctx),
             r->ctx == KS_CTX_ORAL_AD || pctx == KS_CTX_ORAL_AD
                 ? " (oral-ad: with a newly started oral antidepressant, whose effect is part of "
                   "the arm's response)"
                 : "");
    int werr = 0;
    /* the columns shown: MADRS, or HAM-D (--hamd) */
    const char *sc = r->hamd ? "hamd" : "madrs";
    char k_mean[24], k_mc[24], k_sdc[24];
    snprintf(k_mean, sizeof k_mean, "mean_%s", sc);
    snprintf(k_mc, sizeof k_mc, "mean_change_%s", sc);
    snprintf(k_sdc, sizeof k_sdc, "sd_change_%s", sc);
    if (!json) {
        if (r->hamd)
            fprintf(f,
                    "# %s\n# %s; response = score reduced by >= 50 %% (computed in MADRS), "
                    "remission = HAM-D <= %g (MADRS <= %g)\n# scale: HAM-D; %s\n",
                    KS_RESP_NOTE, desc, r->cutoff_h, r->cutoff, KS_HAMD_SOURCE);
        else
            fprintf(f,
                    "# %s\n# %s; response = MADRS reduced by >= 50 %%, remission = MADRS <= %g\n",
                    KS_RESP_NOTE, desc, r->cutoff);
        if (*r->warning) fprintf(f, "# warning: %s\n", r->warning);
        for (int a = 0; a < 2; a++) {
            char med[200], share[32] = "n/a";
            relapse_text(&rel[a], med, sizeof med);
            if (isfinite(rel[a].share_relapsed))
                snprintf(share, sizeof share, "%.6g", rel[a].share_relapsed);
            fprintf(f,
                    "# relapse: \"%s\": %llu responders (MADRS reduced by >= 50 %%) at the last "
                    "dose + 24 h; median time from the last dose to relapse %s; %s of them "
                    "relapsed within the horizon (%.6g d after the last dose); checked hourly\n",
                    arm[a], (unsigned long long)rel[a].responders, med, share, rel[a].horizon_d);
        }
        fprintf(f, "arm,context,time_h,%s,%s,%s,response_frac,remission_frac\n", k_mean, k_mc,
                k_sdc);
        for (int a = 0; a < 2; a++)
            for (size_t i = 0; i < nt; i++) {
                const ks_response_trial_row *w = &rows[(size_t)a * nt + i];
                fprintf(f, "\"%s\",%s,%.10g,%.6g,%.6g,%.6g,%.6g,%.6g\n", arm[a],
                        ks_response_context_name(ctx[a]), times[i],
                        r->hamd ? w->mean_hamd : w->mean_madrs,
                        r->hamd ? w->mean_change_hamd : w->mean_change_madrs,
                        r->hamd ? w->sd_change_hamd : w->sd_change_madrs, w->response_frac,
                        w->remission_frac);
            }
    } else {
        json_t *root = json_object(), *ja = json_array();
        json_object_set_new(root, "note", json_string(KS_RESP_NOTE));
        json_object_set_new(root, "description", json_string(desc));
        json_object_set_new(root, "patients", json_integer((json_int_t)n));
        json_object_set_new(root, "seed", resp_json_seed(seed));
        if (r->hamd) {
            json_object_set_new(root, "scale", json_string("HAM-D"));
            json_object_set_new(root, "scale_conversion", json_string(KS_HAMD_SOURCE));
            json_object_set_new(root, "baseline_hamd", json_real(r->b0_h));
            json_object_set_new(root, "remission_cutoff_hamd", json_real(r->cutoff_h));
        }
        json_object_set_new(root, "baseline_madrs", json_real(r->b0));
        json_object_set_new(root, "baseline_sd_madrs", json_real(r->b0_sd));
        json_object_set_new(root, "remission_cutoff_madrs", json_real(r->cutoff));
        json_object_set_new(root, "pk_model", json_string(r->pk_model));
        json_object_set_new(root, "warning", *r->warning ? json_string(r->warning) : json_null());
        for (int a = 0; a < 2; a++) {
            json_t *ro = json_array();
            for (size_t i = 0; i < nt; i++) {
                const ks_response_trial_row *w = &rows[(size_t)a * nt + i];
                json_array_append_new(
                    ro, json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "time_h", times[i], k_mean,
                                  r->hamd ? w->mean_hamd : w->mean_madrs, k_mc,
                                  r->hamd ? w->mean_change_hamd : w->mean_change_madrs, k_sdc,
                                  r->hamd ? w->sd_change_hamd : w->sd_change_madrs, "response_frac",
                                  w->response_frac, "remission_frac", w->remission_frac));
            }
            const ks_response_relapse *q = &rel[a];
            json_t *jr = json_pack(
                "{s:I,s:I,s:o,s:o,s:f,s:s}", "responders_at_last_dose_plus_24h",
                (json_int_t)q->responders, "relapsed", (json_int_t)q->relapsed, "median_relapse_d",
                isfinite(q->median_d) ? json_real(q->median_d) : json_null(), "share_relapsed",
                isfinite(q->share_relapsed) ? json_real(q->share_relapsed) : json_null(),
                "horizon_d", q->horizon_d, "definition", RELAPSE_DEF);
            json_object_set_new(jr, "why", q->why ? json_string(q->why) : json_null());
            json_array_append_new(ja, json_pack("{s:s,s:s,s:o,s:o}", "arm", arm[a], "context",
                                                ks_response_context_name(ctx[a]), "rows", ro,
                                                "relapse", jr));
        }
        json_object_set_new(root, "arms", ja);
        werr = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0;
        json_decref(root);
    }
    free(rows);
    if (werr || ferror(f)) {
        ks_atomic_abort(f, tmp);
        cli_error("trial", "--response: %s: cannot write", r->out);
        return 1;
    }
    if (ks_atomic_commit(f, tmp, r->out, &err)) {
        cli_error("trial", "--response: %s", err.msg);
        return 1;
    }
    if (*r->warning) fprintf(stderr, "warning: --response: %s\n", r->warning);
    if (!quiet) {
        fprintf(stderr, "response: %s -> %s (%s arm and placebo). %s\n", desc, r->out,
                ks_response_context_name(r->ctx), KS_RESP_NOTE);
        char m0[200], m1[200];
        relapse_text(&rel[0], m0, sizeof m0);
        relapse_text(&rel[1], m1, sizeof m1);
        fprintf(stderr,
                "relapse (MADRS >= 50 %% lost after the last dose): regimen %s; placebo %s\n", m0,
                m1);
    }
    return 0;
}

void trial_resp_free(trial_resp *r)
{
    free(r->D);
    resp_env_free(&r->e);
    memset(r, 0, sizeof *r);
}
