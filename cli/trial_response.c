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
#include <unistd.h>

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
    r->replicates = o->replicates > 1 ? o->replicates : 1;
    r->uncertainty = o->uncertainty;
    /* --uncertainty: the calibration's SIR sample, one set per replicate (depression: the
     * only sets the file has; trial --response has no PTSD variant) */
    if (r->uncertainty && ks_response_uncertainty_load(ppath, &r->sets, &r->n_sets, &err))
        return bad(print, "--uncertainty: %s", err.msg);
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
        if (r->uncertainty) { /* what the parameter sets can and cannot say, stated */
            char sir[512];
            resp_unc_sir_warning(ppath, r->n_sets, sir, sizeof sir);
            if (*sir) {
                wl = strlen(r->warning);
                snprintf(r->warning + wl, sizeof r->warning - wl, "%s%s", wl ? "; " : "", sir);
            }
            if (r->replicates > r->n_sets) {
                wl = strlen(r->warning);
                snprintf(r->warning + wl, sizeof r->warning - wl,
                         "%s--replicates %u exceeds the %zu parameter sets of the calibration's "
                         "SIR sample: replicate r takes set (r - 1) mod %zu, so sets are reused "
                         "(replicates %zu sets apart share their parameters, not their "
                         "patients)",
                         wl ? "; " : "", r->replicates, r->n_sets, r->n_sets, r->n_sets);
            }
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
        r->occ = occ; /* the parameter sets drive from it again */
    }
    free(doses);
    return rc;
}

#define RELAPSE_DEF                                                                                \
    "among responders (MADRS reduced by >= 50 %, also with --hamd) 24 h after the last dose, "     \
    "days from the last dose to the first daily check without response; censored at the horizon"
#define ACROSS_DEF                                                                                 \
    "over the replicates: the median time to relapse of each replicate with responders (a "        \
    "censored one, whose median is beyond the horizon, sorts above every other; a percentile "     \
    "on or next to one is beyond the horizon: null, '>' in CSV), the share relapsed of each "      \
    "replicate with responders; replicates without responders at the last dose + 24 h are left "   \
    "out and counted"

/* The percentiles across replicates (as --replicates-out: 5th, 50th, 95th, type 7). */
static const double ACROSS[3] = {0.05, 0.5, 0.95};
static const char *const ACROSS_SUFFIX[3] = {"_across_p5", "_across_p50", "_across_p95"};

/* "12.3 d" or "n/a (why)" */
static void relapse_text(const ks_response_relapse *q, char *buf, size_t len)
{
    if (isfinite(q->median_d))
        snprintf(buf, len, "%.4g d", q->median_d);
    else
        snprintf(buf, len, "n/a (%s)", q->why ? q->why : "no median");
}

/* One replicate (from 0): both arms' rows (2 nt: the regimen's, then placebo's) and
 * relapse, for its patients and, with --uncertainty, its parameter set (drug state
 * recomputed from the typical occupancy into Dbuf). */
static int one_replicate(const trial_resp *r, uint32_t rep, double *Dbuf, const double *times,
                         size_t nt, uint64_t n, uint64_t seed, int threads,
                         ks_response_trial_row *rows, ks_response_relapse rel[2], ks_error *err)
{
    ks_response_params q = r->p;
    const double *D = r->D;
    int rc = KS_OK;
    if (r->uncertainty) { /* the set with the regimen's visits, as the shipped parameters */
        q = r->sets[rep % r->n_sets];
        q.first_visit_h = r->p.first_visit_h;
        q.last_visit_h = r->p.last_visit_h;
        ks_response_states st = {NULL, NULL, NULL, NULL, Dbuf, NULL};
        rc = ks_response_drive(&q, r->occ, r->n_grid, DT_H, &st, err);
        D = Dbuf;
    }
    /* arm 0: the regimen; arm 1: placebo, the same visits without drug, in the regimen
     * arm's context unless --placebo-context says otherwise (as the trials compared them:
     * TRANSFORM's control arm had the new oral antidepressant too). Relapse after the last
     * dose on MADRS (>= 50 %), also with --hamd, on both arms (the placebo arm's non-drug
     * part wanes after the last visit). */
    ks_response_trial_spec s = {&q,    r->ctx,   D,         r->n_grid, DT_H,    times, nt, n,  seed,
                                r->b0, r->b0_sd, r->cutoff, threads,   r->hamd, 0,     0,  rep};
    if (!rc) rc = ks_response_trial(&s, rows, err);
    if (!rc) rc = ks_response_trial_relapse(&s, &rel[0], err);
    s.ctx = r->pctx >= 0 ? r->pctx : r->ctx;
    s.D = NULL;
    if (!rc) rc = ks_response_trial(&s, rows + nt, err);
    if (!rc) rc = ks_response_trial_relapse(&s, &rel[1], err);
    if (rc && r->replicates > 1) ks_error_prefix(err, "replicate %u", rep + 1);
    return rc;
}

/* The quantities shown per row (the scale of the file: MADRS, or HAM-D with --hamd). */
#define NQ 4
static void shown(const trial_resp *r, const ks_response_trial_row *w, double v[NQ])
{
    v[0] = r->hamd ? w->mean_hamd : w->mean_madrs;
    v[1] = r->hamd ? w->mean_change_hamd : w->mean_change_madrs;
    v[2] = w->response_frac;
    v[3] = w->remission_frac;
}

/* Relapse of one arm across the replicates. */
typedef struct rel_across {
    double med[3], share[3];                       /* percentiles; INFINITY: beyond the horizon */
    uint32_t with_median, censored, no_responders; /* replicates of each kind */
    const char *why_none; /* with no replicate having responders: why (the replicates' own
                           * reason when they all give the same, e.g. the horizon) */
} rel_across;
static void relapse_across(const ks_response_relapse *rel, uint32_t k, int a, double *col,
                           rel_across *o)
{
    memset(o, 0, sizeof *o);
    size_t m = 0;
    for (uint32_t i = 0; i < k; i++) {
        const ks_response_relapse *q = &rel[2 * (size_t)i + (size_t)a];
        if (isfinite(q->median_d))
            col[m++] = q->median_d, o->with_median++;
        else if (q->responders > 0) /* fewer than half relapse within the horizon */
            col[m++] = INFINITY, o->censored++;
        else
            o->no_responders++;
    }
    for (int j = 0; j < 3; j++)
        o->med[j] = m ? resp_quantile(col, m, ACROSS[j]) : NAN;
    o->why_none = "no replicate has responders at the last dose + 24 h";
    const char *w0 = rel[(size_t)a].why;
    int same = w0 != NULL;
    for (uint32_t i = 1; same && i < k; i++) {
        const char *wi = rel[2 * (size_t)i + (size_t)a].why;
        same = wi && strcmp(wi, w0) == 0;
    }
    if (same && !m) o->why_none = w0;
    m = 0;
    for (uint32_t i = 0; i < k; i++)
        if (rel[2 * (size_t)i + (size_t)a].responders > 0)
            col[m++] = rel[2 * (size_t)i + (size_t)a].share_relapsed;
    for (int j = 0; j < 3; j++)
        o->share[j] = m ? resp_quantile(col, m, ACROSS[j]) : NAN;
}

/* "10.2, 12.3, >19 d (...); share relapsed 0.8, 0.9, 0.95 (...)" */
static void across_text(const rel_across *o, uint32_t k, double horizon_d, char *buf, size_t len)
{
    size_t l = 0;
    uint32_t m = o->with_median + o->censored;
    if (!m) {
        snprintf(buf, len, "n/a (%s; %u replicates)", o->why_none, k);
        return;
    }
    for (int j = 0; j < 3; j++) {
        const char *sep = j ? ", " : "";
        if (isinf(o->med[j]))
            l += (size_t)snprintf(buf + l, l < len ? len - l : 0, "%s>%.4g", sep, horizon_d);
        else
            l += (size_t)snprintf(buf + l, l < len ? len - l : 0, "%s%.4g", sep, o->med[j]);
    }
    snprintf(buf + l, l < len ? len - l : 0,
             " d (5th, 50th, 95th percentile over the %u of %u replicates with responders: %u "
             "with a median, %u censored, counted as beyond the horizon; %u without responders, "
             "left out); share relapsed %.6g, %.6g, %.6g (the same %u replicates)",
             m, k, o->with_median, o->censored, o->no_responders, o->share[0], o->share[1],
             o->share[2], m);
}

/* What the replicates are, for the file and stderr (2 or more). */
static void replicates_text(const trial_resp *r, uint64_t n, uint64_t seed, char *buf, size_t len)
{
    char how[4600];
    if (r->uncertainty)
        snprintf(how, sizeof how,
                 " and replicate r the response parameter set (r - 1) mod %zu of the "
                 "calibration's SIR sample (--uncertainty: $.uncertainty.sets of %s; replicate 1 "
                 "takes set 0, not the fit's point estimate), its drug state recomputed under "
                 "that set from the same typical occupancy; the PK typical values --uncertainty "
                 "draws do not reach the response (response-model.md, assumption 8)",
                 r->n_sets, r->params_path);
    else
        snprintf(how, sizeof how, ", the same response parameters and typical drug state");
    snprintf(buf, len,
             "the rows and the relapse figures per arm are replicate 1 of %u (patients 0..%llu of "
             "seed %llu); the *_across_p5, *_across_p50 and *_across_p95 columns are the 5th, "
             "50th and 95th percentiles of each over the %u replicates (type 7), each replicate "
             "with its own %llu patients%s",
             r->replicates, (unsigned long long)(n - 1), (unsigned long long)seed, r->replicates,
             (unsigned long long)n, how);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The relapse figures of one arm (one replicate) added to o, which is returned. */
static json_t *relapse_json(json_t *o, const ks_response_relapse *q)
{
    json_object_set_new(o, "responders_at_last_dose_plus_24h",
                        json_integer((json_int_t)q->responders));
    json_object_set_new(o, "relapsed", json_integer((json_int_t)q->relapsed));
    json_object_set_new(o, "median_relapse_d", num_or_null(q->median_d));
    json_object_set_new(o, "share_relapsed", num_or_null(q->share_relapsed));
    return o;
}

int trial_resp_write(trial_resp *r, const double *times, size_t nt, uint64_t n, uint64_t seed,
                     int threads, int quiet)
{
    uint32_t k = r->replicates;
    size_t nrow = 2 * nt; /* the regimen's rows, then placebo's */
    ks_response_trial_row *rows0 = calloc(nrow, sizeof *rows0), *rows = NULL;
    ks_response_relapse *rel = calloc(2 * (size_t)k, sizeof *rel);
    double *acr = NULL, *qv = NULL, *col = NULL, *Dbuf = NULL;
    int ok = rows0 && rel;
    if (k > 1) { /* every replicate's shown quantities, then their percentiles */
        rows = calloc(nrow, sizeof *rows);
        acr = malloc((size_t)k * nrow * NQ * sizeof *acr);
        qv = malloc(nrow * NQ * 3 * sizeof *qv);
        col = malloc((size_t)k * sizeof *col);
        ok = ok && rows && acr && qv && col;
    }
    if (r->uncertainty) ok = ok && (Dbuf = malloc(r->n_grid * sizeof *Dbuf));
    if (!ok) {
        cli_error("trial", "--response: out of memory for %u replicates x %zu times", k, nt);
        free(rows0), free(rows), free(rel), free(acr), free(qv), free(col), free(Dbuf);
        return 1;
    }
    ks_error err = {0};
    int rc = KS_OK, progress = !quiet && k > 1 && isatty(fileno(stderr));
    for (uint32_t i = 0; i < k && !rc; i++) {
        ks_response_trial_row *w = i ? rows : rows0;
        if (progress) fprintf(stderr, "\rresponse: replicate %u of %u", i + 1, k);
        rc = one_replicate(r, i, Dbuf, times, nt, n, seed, threads, w, &rel[2 * (size_t)i], &err);
        for (size_t j = 0; !rc && acr && j < nrow; j++)
            shown(r, &w[j], acr + ((size_t)i * nrow + j) * NQ);
    }
    if (progress) fputc('\n', stderr);
    free(Dbuf);
    if (rc) {
        cli_error("trial", "--response: %s", err.msg);
        free(rows0), free(rows), free(rel), free(acr), free(qv), free(col);
        return rc == KS_EINVAL ? 2 : 1;
    }
    rel_across ra[2];
    if (k > 1) {
        for (size_t j = 0; j < nrow; j++)
            for (int q = 0; q < NQ; q++) {
                for (uint32_t i = 0; i < k; i++)
                    col[i] = acr[((size_t)i * nrow + j) * NQ + (size_t)q];
                for (int m = 0; m < 3; m++)
                    qv[(j * NQ + (size_t)q) * 3 + (size_t)m] = resp_quantile(col, k, ACROSS[m]);
            }
        for (int a = 0; a < 2; a++)
            relapse_across(rel, k, a, col, &ra[a]);
    }
    free(rows), free(acr), free(col);
    const ks_response_trial_row *rw = rows0;
    const char *arm[2] = {"regimen", "placebo (no drug)"};
    int pctx = r->pctx >= 0 ? r->pctx : r->ctx, ctx[2] = {r->ctx, pctx};
    size_t l = strlen(r->out);
    int json = l > 5 && strcasecmp(r->out + l - 5, ".json") == 0; /* as cli_check_ext */
    FILE *f = NULL;
    char tmp[4200];
    if (ks_atomic_open(r->out, &f, tmp, sizeof tmp, &err)) {
        cli_error("trial", "--response: %s", err.msg);
        free(rows0), free(rel), free(qv);
        return 2;
    }
    char desc[1024], base[160], reps[5400] = "";
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
    if (k > 1) replicates_text(r, n, seed, reps, sizeof reps);
    int werr = 0;
    /* the columns shown: MADRS, or HAM-D (--hamd) */
    const char *sc = r->hamd ? "hamd" : "madrs";
    char key[NQ][24];
    snprintf(key[0], sizeof key[0], "mean_%s", sc);
    snprintf(key[1], sizeof key[1], "mean_change_%s", sc);
    snprintf(key[2], sizeof key[2], "response_frac");
    snprintf(key[3], sizeof key[3], "remission_frac");
    char k_sdc[24];
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
                    "relapsed within the horizon (%.6g d after the last dose); checked daily\n",
                    arm[a], (unsigned long long)rel[a].responders, med, share, rel[a].horizon_d);
        }
        if (k > 1) {
            fprintf(f, "# replicates: %s\n", reps);
            for (int a = 0; a < 2; a++) {
                char t[1024];
                across_text(&ra[a], k, rel[a].horizon_d, t, sizeof t);
                fprintf(f,
                        "# relapse across replicates: \"%s\": median time from the last dose to "
                        "relapse %s\n",
                        arm[a], t);
            }
        }
        fprintf(f, "arm,context,time_h,%s,%s,%s,%s,%s", key[0], key[1], k_sdc, key[2], key[3]);
        for (int q = 0; k > 1 && q < NQ; q++)
            for (int m = 0; m < 3; m++)
                fprintf(f, ",%s%s", key[q], ACROSS_SUFFIX[m]);
        fputc('\n', f);
        for (int a = 0; a < 2; a++)
            for (size_t i = 0; i < nt; i++) {
                size_t j = (size_t)a * nt + i;
                const ks_response_trial_row *w = &rw[j];
                fprintf(f, "\"%s\",%s,%.10g,%.6g,%.6g,%.6g,%.6g,%.6g", arm[a],
                        ks_response_context_name(ctx[a]), times[i],
                        r->hamd ? w->mean_hamd : w->mean_madrs,
                        r->hamd ? w->mean_change_hamd : w->mean_change_madrs,
                        r->hamd ? w->sd_change_hamd : w->sd_change_madrs, w->response_frac,
                        w->remission_frac);
                for (size_t c = 0; k > 1 && c < NQ * 3; c++)
                    fprintf(f, ",%.6g", qv[j * NQ * 3 + c]);
                fputc('\n', f);
            }
    } else {
        json_t *root = json_object(), *ja = json_array();
        json_object_set_new(root, "note", json_string(KS_RESP_NOTE));
        json_object_set_new(root, "description", json_string(desc));
        json_object_set_new(root, "patients", json_integer((json_int_t)n));
        json_object_set_new(root, "seed", resp_json_seed(seed));
        if (k > 1) {
            json_object_set_new(root, "replicates", json_integer((json_int_t)k));
            json_object_set_new(root, "replicates_description", json_string(reps));
            if (r->uncertainty)
                json_object_set_new(root, "response_parameter_sets",
                                    json_integer((json_int_t)r->n_sets));
        }
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
                size_t j = (size_t)a * nt + i;
                const ks_response_trial_row *w = &rw[j];
                json_t *o = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "time_h", times[i], key[0],
                                      r->hamd ? w->mean_hamd : w->mean_madrs, key[1],
                                      r->hamd ? w->mean_change_hamd : w->mean_change_madrs, k_sdc,
                                      r->hamd ? w->sd_change_hamd : w->sd_change_madrs, key[2],
                                      w->response_frac, key[3], w->remission_frac);
                for (int q = 0; k > 1 && q < NQ; q++)
                    for (int m = 0; m < 3; m++) {
                        char nm[160];
                        snprintf(nm, sizeof nm, "%s%s", key[q], ACROSS_SUFFIX[m]);
                        json_object_set_new(o, nm,
                                            json_real(qv[(j * NQ + (size_t)q) * 3 + (size_t)m]));
                    }
                json_array_append_new(ro, o);
            }
            const ks_response_relapse *q = &rel[a];
            json_t *jr = relapse_json(json_object(), q);
            json_object_set_new(jr, "horizon_d", json_real(q->horizon_d));
            json_object_set_new(jr, "definition", json_string(RELAPSE_DEF));
            json_object_set_new(jr, "why", q->why ? json_string(q->why) : json_null());
            json_t *jarm = json_pack("{s:s,s:s,s:o,s:o}", "arm", arm[a], "context",
                                     ks_response_context_name(ctx[a]), "rows", ro, "relapse", jr);
            if (k > 1) {
                const rel_across *o = &ra[a];
                json_t *jx = json_object();
                for (int m = 0; m < 3; m++) {
                    char nm[160];
                    snprintf(nm, sizeof nm, "median_relapse_d%s", ACROSS_SUFFIX[m]);
                    json_object_set_new(jx, nm, num_or_null(o->med[m]));
                }
                for (int m = 0; m < 3; m++) {
                    char nm[160];
                    snprintf(nm, sizeof nm, "share_relapsed%s", ACROSS_SUFFIX[m]);
                    json_object_set_new(jx, nm, num_or_null(o->share[m]));
                }
                json_object_set_new(jx, "replicates_with_median", json_integer(o->with_median));
                json_object_set_new(jx, "replicates_censored", json_integer(o->censored));
                json_object_set_new(jx, "replicates_without_responders",
                                    json_integer(o->no_responders));
                const char *why = NULL;
                if (o->with_median + o->censored == 0)
                    why = o->why_none;
                else if (isinf(o->med[0]) || isinf(o->med[1]) || isinf(o->med[2]))
                    why = "a null median percentile is beyond the horizon (censored replicates)";
                json_object_set_new(jx, "why", why ? json_string(why) : json_null());
                json_object_set_new(jx, "definition", json_string(ACROSS_DEF));
                json_object_set_new(jarm, "relapse_across_replicates", jx);
                json_t *per = json_array();
                for (uint32_t i = 0; i < k; i++) {
                    const ks_response_relapse *qi = &rel[2 * (size_t)i + (size_t)a];
                    json_t *e = json_pack("{s:I}", "replicate", (json_int_t)i + 1);
                    if (r->uncertainty)
                        json_object_set_new(e, "parameter_set_index",
                                            json_integer((json_int_t)(i % r->n_sets)));
                    relapse_json(e, qi);
                    json_object_set_new(e, "why", qi->why ? json_string(qi->why) : json_null());
                    json_array_append_new(per, e);
                }
                json_object_set_new(jarm, "relapse_per_replicate", per);
            }
            json_array_append_new(ja, jarm);
        }
        json_object_set_new(root, "arms", ja);
        werr = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0;
        json_decref(root);
    }
    free(qv);
    if (werr || ferror(f)) {
        ks_atomic_abort(f, tmp);
        cli_error("trial", "--response: %s: cannot write", r->out);
        free(rows0), free(rel);
        return 1;
    }
    if (ks_atomic_commit(f, tmp, r->out, &err)) {
        cli_error("trial", "--response: %s", err.msg);
        free(rows0), free(rel);
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
        if (k > 1) {
            fprintf(stderr, "response replicates: %s\n", reps);
            for (int a = 0; a < 2; a++) {
                char t[1024];
                across_text(&ra[a], k, rel[a].horizon_d, t, sizeof t);
                fprintf(stderr, "relapse across replicates: %s: %s\n", arm[a], t);
            }
        }
    }
    free(rows0), free(rel);
    return 0;
}

void trial_resp_free(trial_resp *r)
{
    free(r->D);
    free(r->occ);
    free(r->sets);
    resp_env_free(&r->e);
    memset(r, 0, sizeof *r);
}
