/* Shared pieces of the response commands. */
#include "resp.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_model(const char *cmd, const char *name, ks_model **m)
{
    char path[4096];
    ks_error err = {0};
    if (ks_model_find(name, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, m, &err)) {
        cli_error(cmd, "%s", err.msg);
        return 2;
    }
    return 0;
}

int resp_env_load(resp_env *e, const char *cmd, const char *pd_path, const char *iv_name,
                  const char *nasal_name)
{
    memset(e, 0, sizeof *e);
    snprintf(e->iv_buf, sizeof e->iv_buf, "%s", iv_name ? iv_name : "domino-1982");
    snprintf(e->nasal_buf, sizeof e->nasal_buf, "%s", nasal_name ? nasal_name : "perez-ruixo-2021");
    e->iv_name = e->iv_buf;
    e->nasal_name = e->nasal_buf;
    if (pd_path)
        snprintf(e->pd_path, sizeof e->pd_path, "%s", pd_path);
    else
        snprintf(e->pd_path, sizeof e->pd_path, "%s/pd-acute.json", cli_data_dir());
    ks_error err = {0};
    if (ks_pd_load(e->pd_path, &e->pd, &err)) {
        cli_error(cmd, "--pd: %s", err.msg);
        return 2;
    }
    if (load_model(cmd, e->iv_name, &e->iv) || load_model(cmd, e->nasal_name, &e->nasal)) return 2;
    if (!ks_model_has_route(e->iv, "iv")) {
        cli_error(cmd, "--iv-model: %s has no iv route", e->iv_name);
        return 2;
    }
    if (!ks_model_has_route(e->nasal, "nasal")) {
        cli_error(cmd, "--nasal-model: %s has no nasal route", e->nasal_name);
        return 2;
    }
    return 0;
}

void resp_drive_read(const char *params_path, resp_drive *d)
{
    memset(d, 0, sizeof *d);
    json_t *root = json_load_file(params_path, 0, NULL);
    json_t *dr = root ? json_object_get(root, "drive") : NULL;
    const char *pd = json_string_value(json_object_get(dr, "pd_file"));
    const char *iv = json_string_value(json_object_get(dr, "iv_model"));
    const char *na = json_string_value(json_object_get(dr, "nasal_model"));
    if (pd) snprintf(d->pd_file, sizeof d->pd_file, "%s", pd);
    if (iv) snprintf(d->iv_model, sizeof d->iv_model, "%s", iv);
    if (na) snprintf(d->nasal_model, sizeof d->nasal_model, "%s", na);
    json_decref(root);
    if (!*d->pd_file) return;
    /* calibrate records the shipped file as "data/pd-acute.json" */
    if (strncmp(d->pd_file, "data/", 5) == 0) {
        snprintf(d->pd_found, sizeof d->pd_found, "%s/%s", cli_data_dir(), d->pd_file + 5);
        FILE *f = fopen(d->pd_found, "rb");
        if (f) {
            fclose(f);
            return;
        }
    }
    FILE *f = fopen(d->pd_file, "rb");
    if (f) fclose(f);
    snprintf(d->pd_found, sizeof d->pd_found, "%s", f ? d->pd_file : "");
}

int resp_designs_reading(const char *cmd, const char *params_opt, const char *params_path,
                         ks_response_designs *d)
{
    json_t *root = json_load_file(params_path, 0, NULL);
    json_t *r = root ? json_object_get(root, "ibrahim_rule") : NULL;
    const char *v = json_string_value(r);
    int rc = 0, rule = KS_IBRAHIM_LOSS50;
    if (r && (!v || (strcmp(v, "loss50") != 0 && strcmp(v, "methods") != 0))) {
        cli_error(cmd, "%s: %s: $.ibrahim_rule: expected \"loss50\" or \"methods\"", params_opt,
                  params_path);
        rc = 2;
    } else if (v && strcmp(v, "methods") == 0)
        rule = KS_IBRAHIM_METHODS;
    json_decref(root);
    int order = 0;
    if (!rc) rc = resp_order_imposed(cmd, params_opt, params_path, &order);
    if (!rc) ks_response_designs_set_ibrahim(d, rule);
    if (!rc) ks_response_designs_set_order(d, order);
    return rc;
}

int resp_order_imposed(const char *cmd, const char *params_opt, const char *params_path,
                       int *imposed)
{
    json_t *root = json_load_file(params_path, 0, NULL);
    json_t *ord = root ? json_object_get(root, "relapse_order") : NULL;
    json_t *imp = ord ? json_object_get(ord, "imposed") : NULL;
    int rc = 0;
    if (ord && !json_is_boolean(imp)) {
        cli_error(cmd, "%s: %s: $.relapse_order.imposed: expected true or false", params_opt,
                  params_path);
        rc = 2;
    }
    *imposed = json_is_true(imp);
    json_decref(root);
    return rc;
}

/* The file a model name or path resolves to, or "" when none. */
static void model_file(const char *name, char *buf, size_t n)
{
    ks_error err = {0};
    if (ks_model_find(name, cli_models_dir(), buf, n, &err)) *buf = '\0';
}

/* A recorded model to use when none was given: the recorded one when it can be found,
 * else NULL (the default) with a warning. */
static const char *recorded_model(const char *given, const char *rec, const char *field,
                                  const char *params_opt, const char *params_path)
{
    char f[4096];
    if (given || !*rec) return given;
    model_file(rec, f, sizeof f);
    if (*f) return rec;
    fprintf(stderr,
            "warning: %s %s: drive.%s \"%s\" (the model of the fit) is not found: using the "
            "default\n",
            params_opt, params_path, field, rec);
    return NULL;
}

void resp_drive_check_model(const resp_drive *d, const char *params_opt, const char *params_path,
                            const char *route, const char *model_opt, const char *model_name,
                            const char *model_path)
{
    int iv = strcmp(route, "iv") == 0;
    const char *rec = iv ? d->iv_model : d->nasal_model;
    char f[4096];
    if (!*rec || strcmp(rec, model_name) == 0) return;
    model_file(rec, f, sizeof f);
    if (*f && model_path && cli_same_file(f, model_path)) return;
    fprintf(stderr,
            "warning: %s %s: drive.%s is \"%s\" but the %s drive here is %s %s: the response "
            "parameters were fitted with the former\n",
            params_opt, params_path, iv ? "iv_model" : "nasal_model", rec, route, model_opt,
            model_name);
}

int resp_env_load_fitted(resp_env *e, const char *cmd, const char *params_opt,
                         const char *params_path, const char *pd_path, const char *iv_name,
                         const char *nasal_name)
{
    resp_drive d;
    resp_drive_read(params_path, &d);
    json_t *root = json_load_file(params_path, 0, NULL);
    if (json_object_get(root, "sensitivity")) /* written by calibrate --hold / --weight */
        fprintf(stderr,
                "warning: %s %s: a sensitivity fit (calibrate "
                "--hold/--weight/--fit-heldout/--order), not the "
                "calibration: its numbers answer a what-if, they are not the model's forecast\n",
                params_opt, params_path);
    json_decref(root);
    const char *pd = pd_path;
    if (!pd && *d.pd_file) {
        if (*d.pd_found)
            pd = d.pd_found;
        else
            fprintf(stderr,
                    "warning: %s %s: drive.pd_file \"%s\" (the PD file of the fit) is not found: "
                    "using the default\n",
                    params_opt, params_path, d.pd_file);
    }
    const char *iv = recorded_model(iv_name, d.iv_model, "iv_model", params_opt, params_path);
    const char *na =
        recorded_model(nasal_name, d.nasal_model, "nasal_model", params_opt, params_path);
    int rc = resp_env_load(e, cmd, pd, iv, na);
    if (rc) return rc;
    if (*d.pd_file && (!*d.pd_found || !cli_same_file(d.pd_found, e->pd_path)))
        fprintf(stderr,
                "warning: %s %s: drive.pd_file is \"%s\" but the PD file here is %s: the "
                "response parameters were fitted with the former\n",
                params_opt, params_path, d.pd_file, e->pd_path);
    /* models given explicitly (those not given are the recorded ones) */
    char f[4096];
    if (iv_name) {
        model_file(e->iv_name, f, sizeof f);
        resp_drive_check_model(&d, params_opt, params_path, "iv", "--iv-model", e->iv_name, f);
    }
    if (nasal_name) {
        model_file(e->nasal_name, f, sizeof f);
        resp_drive_check_model(&d, params_opt, params_path, "nasal", "--nasal-model", e->nasal_name,
                               f);
    }
    return 0;
}

void resp_env_free(resp_env *e)
{
    ks_model_free(e->iv);
    ks_model_free(e->nasal);
    ks_pd_free(e->pd);
    memset(e, 0, sizeof *e);
}

void resp_dose_span(const ks_dose *d, size_t n, double *first_h, double *last_h)
{
    *first_h = *last_h = n ? d[0].time_h : 0.0;
    for (size_t i = 1; i < n; i++) {
        if (d[i].time_h < *first_h) *first_h = d[i].time_h;
        if (d[i].time_h > *last_h) *last_h = d[i].time_h;
    }
}

json_t *resp_json_seed(uint64_t seed)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)seed);
    return seed <= INT64_MAX ? json_integer((json_int_t)seed) : json_string(b);
}

int resp_dose_check(const ks_dose *d, size_t n, double weight_kg, char *warn, size_t warn_size,
                    char *why, size_t why_size)
{
    *warn = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int iv = strcmp(d[i].route, "iv") == 0;
        double v = iv ? d[i].amount_mg / weight_kg : d[i].amount_mg;
        double lo = iv ? 0.1 : 56, hi = iv ? 1.0 : 84;
        const char *unit = iv ? "mg/kg" : "mg";
        if (v > RESP_DOSE_REFUSE * hi) {
            snprintf(why, why_size,
                     "dose %zu: %.4g %s %s is more than %g times the largest dose the response "
                     "model was calibrated on (%g-%g %s): it has nothing to say there",
                     i + 1, v, unit, d[i].route, RESP_DOSE_REFUSE, lo, hi, unit);
            return 2;
        }
        char one[256] = "";
        if (v < lo - 1e-9 || v > hi + 1e-9)
            snprintf(one, sizeof one, "%.4g %s %s is outside the calibrated %g-%g %s", v, unit,
                     d[i].route, lo, hi, unit);
        else if (iv && fabs(d[i].duration_h * 60 - 40) > 0.5)
            snprintf(one, sizeof one, "an infusion over %.4g min is not the calibrated 40 min",
                     d[i].duration_h * 60);
        if (*one && !strstr(warn, one) && used < warn_size)
            used += (size_t)snprintf(warn + used, warn_size - used, "%s%s", used ? "; " : "", one);
    }
    if (*warn && used < warn_size)
        snprintf(warn + used, warn_size - used,
                 ": the response there is an extrapolation of the model, not calibrated");
    return 0;
}

const char *resp_route_drug(const char *route)
{
    return strcmp(route, "iv") == 0      ? "racemic ketamine"
           : strcmp(route, "nasal") == 0 ? "esketamine"
                                         : NULL;
}

void resp_default_params_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/response-params.json", cli_data_dir());
}

/* RMSE, largest absolute error and sum of squared standardised residuals of out's
 * observed/predicted pairs. */
static void fig_stats(resp_fig_err *out, const double *se, size_t n)
{
    double s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double e = out->pred[i] - out->obs[i];
        s2 += e * e;
        if (fabs(e) > out->max_abs) out->max_abs = fabs(e);
        out->ssz += (e / se[i]) * (e / se[i]);
    }
    out->rmse = sqrt(s2 / (double)n);
}

int resp_figure_errors(const ks_response_designs *d, const ks_response_params *p, size_t fi,
                       resp_fig_err *out, ks_error *err)
{
    double se[16];
    const ks_response_figure *f = ks_response_figure_at(fi);
    memset(out, 0, sizeof *out);
    int rc = ks_response_figure_eval(d, p, fi, out->obs, out->pred, se, err);
    if (!rc) fig_stats(out, se, f->n_points);
    return rc;
}

int resp_ptsd_errors(const ks_response_designs *d, const ks_response_params *dep,
                     const ks_response_ptsd *v, resp_fig_err *out, ks_error *err)
{
    double se[2];
    memset(out, 0, sizeof *out);
    int rc = ks_response_ptsd_eval(d, dep, v, out->obs, out->pred, se, err);
    if (!rc) fig_stats(out, se, 2);
    return rc;
}

static int parse_values(const char *cmd, const char *opt, const char *text, ks_response_params *p);

int resp_parse_start(const char *cmd, const char *text, ks_response_params *p)
{
    return parse_values(cmd, "--start", text, p);
}

/* NAME=VALUE,... over *p; 2 with a message naming option opt and the item. */
static int parse_values(const char *cmd, const char *opt, const char *text, ks_response_params *p)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf) { /* cut, it would change the last item silently */
        cli_error(cmd, "%s: the list is longer than %zu characters", opt, sizeof buf - 1);
        return 2;
    }
    snprintf(buf, sizeof buf, "%s", text);
    int item = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        item++;
        char *eq = strchr(tok, '=');
        int found = -1;
        if (eq)
            for (int i = 0; i < KS_RP_N; i++) {
                const char *nm = ks_response_param_name(i);
                if (strlen(nm) == (size_t)(eq - tok) && strncmp(tok, nm, strlen(nm)) == 0)
                    found = i;
            }
        char *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : NAN;
        if (found < 0 || !end || *end || !(v > 0)) { /* the item as given */
            cli_error(cmd,
                      "%s item %d (\"%s\"): expected NAME=VALUE with a parameter name "
                      "and a positive value",
                      opt, item, tok);
            return 2;
        }
        p->v[found] = v;
    }
    if (item == 0) { /* an empty list would silently change nothing */
        cli_error(cmd, "%s \"%s\": expected NAME=VALUE,... with at least one item", opt, text);
        return 2;
    }
    return 0;
}

int resp_parse_max_eval(const char *cmd, const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!isdigit((unsigned char)text[0]) || *end || v < 10 || v > 1000000) {
        cli_error(cmd, "--max-eval \"%s\": expected a whole number from 10 to 1000000", text);
        return 2;
    }
    *out = (int)v;
    return 0;
}

int resp_parse_hold(const char *cmd, const char *text, ks_response_params *values, int *held)
{
    ks_response_params_start(values);
    memset(held, 0, KS_RP_N * sizeof *held);
    if (parse_values(cmd, "--hold", text, values)) return 2;
    /* the names again: parse_values has checked every item */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    int n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (eq) *eq = '\0';
        for (int i = 0; i < KS_RP_N; i++)
            if (strcmp(tok, ks_response_param_name(i)) == 0) held[i] = 1, n++;
    }
    if (n == 0) { /* an empty list would silently run the whole fit */
        cli_error(cmd, "--hold \"%s\": expected NAME=VALUE,... naming at least one parameter",
                  text);
        return 2;
    }
    return 0;
}

int resp_fit(const char *cmd, const ks_response_designs *d, const int *use, int max_eval,
             const char *start, ks_response_params *out, double *objective, int *n_eval,
             const char **start_used, int *converged)
{
    return resp_fit_held(cmd, d, use, max_eval, start, NULL, out, objective, n_eval, start_used,
                         converged);
}

int resp_fit_held(const char *cmd, const ks_response_designs *d, const int *use, int max_eval,
                  const char *start, const char *hold, ks_response_params *out, double *objective,
                  int *n_eval, const char **start_used, int *converged)
{
    const char *starts[2] = {start, start ? NULL : RESP_ALT_START};
    int n = start ? 1 : 2, total = 0;
    double best = INFINITY;
    ks_response_params hv;
    int held[KS_RP_N] = {0};
    if (hold && resp_parse_hold(cmd, hold, &hv, held)) return 2;
    for (int i = 0; i < n; i++) {
        ks_response_params s, fit;
        ks_response_params_start(&s);
        if (starts[i] && resp_parse_start(cmd, starts[i], &s)) return 2;
        for (int k = 0; k < KS_RP_N; k++) /* held values win over any start */
            if (held[k]) s.v[k] = hv.v[k];
        double obj;
        int nev, conv = 0;
        ks_error err = {0};
        if (ks_response_calibrate_held(d, &s, use, held, max_eval, &fit, &obj, &nev, &conv, &err)) {
            cli_error(cmd, "%s", err.msg);
            return 1;
        }
        total += nev;
        if (obj < best) {
            best = obj;
            *out = fit;
            if (start_used) *start_used = starts[i] ? starts[i] : "defaults";
            if (converged) *converged = conv;
        }
    }
    *objective = best;
    *n_eval = total;
    return 0;
}

/* The occupancy of mgkg infusions (70 kg, over 40 min) on `days` to until_d
 * (5-min grid); NULL on failure. */
static double *iv_occupancy(const resp_env *e, double mgkg, const double *days, size_t nd,
                            double until_d, size_t *n)
{
    ks_dose d[16];
    for (size_t i = 0; i < nd; i++)
        d[i] = (ks_dose){24 * days[i], mgkg * 70, 40.0 / 60, "iv"};
    ks_covariates c = {0};
    ks_covariates_set(&c, "weight", 70, NULL);
    double *occ = NULL;
    ks_error err = {0};
    if (ks_response_occupancy(e->iv, e->pd, &c, d, nd, 24 * until_d, 1.0 / 12, &occ, n, &err))
        return NULL;
    return occ;
}

/* The drug state D for an occupancy on the report's 5-min grid, or NULL. */
static double *drive_of(const ks_response_params *p, const double *occ, size_t n)
{
    double *D = malloc(n * sizeof *D);
    ks_response_states st = {NULL, NULL, NULL, NULL, D, NULL};
    ks_error err = {0};
    if (D && ks_response_drive(p, occ, n, 1.0 / 12, &st, &err)) {
        free(D);
        D = NULL;
    }
    return D;
}

static double *iv_drive(const resp_env *e, const ks_response_params *p, double mgkg,
                        const double *days, size_t nd, double until_d, size_t *n)
{
    double *occ = iv_occupancy(e, mgkg, days, nd, until_d, n);
    double *D = occ ? drive_of(p, occ, *n) : NULL;
    free(occ);
    return D;
}

static double eff(const ks_response_params *p, const double *D, double t_h)
{
    return ks_response_mean_diff_ratio(p, KS_CTX_ACTIVE, t_h, D[(size_t)llround(t_h * 12)]);
}

/* The share of responders (24 h after the last dose) still responding at daily checks
 * from that time to the end of D: *m values (sv[j] at day 1 + j after the last dose), or
 * NULL (*m 0) when the survival cannot be computed. */
static double *survival_daily(const ks_response_params *p0, const double *D, size_t n,
                              double last_h, size_t *m)
{
    ks_response_params q = *p0;
    q.last_visit_h = last_h;
    size_t k0 = (size_t)llround((last_h + 24) * 12);
    *m = 0;
    if (k0 >= n) return NULL;
    size_t mm = (n - 1 - k0) / 288 + 1; /* daily checks */
    double *sv = malloc(mm * sizeof *sv);
    if (sv && ks_response_survival(&q, KS_CTX_ACTIVE, D, k0, n - 1, 1.0 / 12, 288, sv) == KS_OK) {
        *m = mm;
        return sv;
    }
    free(sv);
    return NULL;
}

/* The first daily check with fewer than half still responding (days after the last dose),
 * INFINITY when none within the values, NAN when there are none (a failure is no median). */
static double median_of(const double *sv, size_t m)
{
    if (!sv) return NAN;
    for (size_t j = 0; j < m; j++)
        if (sv[j] < 0.5) return 1.0 + (double)j;
    return INFINITY;
}

static double median_relapse(const ks_response_params *p0, const double *D, size_t n, double last_h)
{
    size_t m;
    double *sv = survival_daily(p0, D, n, last_h, &m);
    double r = median_of(sv, m);
    free(sv);
    return r;
}

/* Median relapse after six infusions minus after one (days; daily checks), or NAN, from
 * the two courses' occupancy. */
static double relapse_order(const ks_response_params *p, const double *o1, size_t n1,
                            const double *o6, size_t n6)
{
    double *D1 = drive_of(p, o1, n1), *D6 = drive_of(p, o6, n6);
    double r = D1 && D6 ? median_relapse(p, D6, n6, 24 * 11) - median_relapse(p, D1, n1, 0) : NAN;
    free(D1);
    free(D6);
    return r;
}

/* Of n parameter sets: how many relapse later after six than after one (c[0]), as late
 * (c[1]), earlier (c[2]); sets whose drive fails or whose medians are both beyond the
 * follow-up are not counted (c[3]). o1, o6: the two courses' occupancy (NULL: none). */
static void relapse_order_over(const ks_response_params *sets, size_t n, const double *o1,
                               size_t n1, const double *o6, size_t n6, int c[4])
{
    int later = 0, level = 0, earlier = 0, none = 0;
    if (!o1 || !o6)
        none = (int)n;
    else {
#pragma omp parallel for schedule(dynamic) reduction(+ : later, level, earlier, none)
        for (size_t i = 0; i < n; i++) {
            double d = relapse_order(&sets[i], o1, n1, o6, n6);
            if (isnan(d))
                none++;
            else if (d > 0)
                later++;
            else if (d == 0)
                level++;
            else
                earlier++;
        }
    }
    c[0] = later, c[1] = level, c[2] = earlier, c[3] = none;
}

/* Appends to s (size n) how the two courses' survival curves among responders compare at
 * every daily check both have (day 2 on: day 1 is the cohort), so that a tie of the medians
 * on whole days is not read as equal durability. */
static void survival_compare(char *s, size_t n, const double *sv1, size_t m1, const double *sv6,
                             size_t m6)
{
    size_t m = m1 < m6 ? m1 : m6, l = strlen(s);
    if (!sv1 || !sv6 || m < 2) {
        snprintf(s + l, n - l,
                 "\nThe survival curves after one and six infusions could not be "
                 "compared (no survival computed).\n");
        return;
    }
    int above = 0, below = 0;
    double gap = 0, mean1 = 1, mean6 = 1; /* days responding up to the last check */
    size_t at = 1;
    for (size_t j = 1; j < m; j++) {
        double d = sv6[j] - sv1[j];
        above += d > 0;
        below += d < 0;
        if (fabs(d) > fabs(gap)) gap = d, at = j;
        mean1 += sv1[j];
        mean6 += sv6[j];
    }
    snprintf(s + l, n - l,
             "\nSurvival among responders (share still responding, same reading) at the %zu daily "
             "checks from day 2 to day %zu after the last dose: six above one at %d, below at "
             "%d; the largest gap %+.1f percentage points (day %zu: six %.1f %%, one %.1f %%); "
             "days responding of the first %zu (the sum of the daily shares): six %.2f d, one "
             "%.2f d.\n",
             m - 1, m, above, below, 100 * gap, at + 1, 100 * sv6[at], 100 * sv1[at], m, mean6,
             mean1);
}

int resp_shape_checks(const resp_env *e, const ks_response_params *p, int order_imposed,
                      const ks_response_params *sets, size_t n_sets, char **out)
{
    size_t n1, n6;
    const double day0 = 0, six[6] = {0, 2, 4, 7, 9, 11};
    /* the two courses' occupancy once: for the fit and for every uncertainty set */
    double *o1 = iv_occupancy(e, 0.5, &day0, 1, 60, &n1),
           *o6 = iv_occupancy(e, 0.5, six, 6, 71, &n6);
    double *D1 = o1 ? drive_of(p, o1, n1) : NULL, *D6 = o6 ? drive_of(p, o6, n6) : NULL;
    char *s = malloc(8192);
    if (!D1 || !D6 || !s) {
        free(o1), free(o6), free(D1), free(D6), free(s);
        return 1;
    }
    double peak = 0, t_peak = 0;
    for (size_t k = 0; k < 24 * 14 * 12; k++) {
        double v = eff(p, D1, (double)k / 12);
        if (v > peak) peak = v, t_peak = (double)k / 12;
    }
    double e4 = eff(p, D1, 230.0 / 60), e24 = eff(p, D1, 24), e7 = eff(p, D1, 168),
           e11 = eff(p, D1, 24 * 11);
    ks_response_params q = *p;
    double r1 = ks_response_p_response(&q, KS_CTX_ACTIVE, 24, D1[24 * 12]);
    q.last_visit_h = 24 * 11;
    double r6 = ks_response_p_response(&q, KS_CTX_ACTIVE, 24 * 12, D6[24 * 12 * 12]);
    size_t ms1, ms6;
    double *sv1 = survival_daily(p, D1, n1, 0, &ms1),
           *sv6 = survival_daily(p, D6, n6, 24 * 11, &ms6);
    double m1 = median_of(sv1, ms1), m6 = median_of(sv6, ms6);
    const double doses[6] = {0.1, 0.2, 0.3, 0.5, 0.75, 1.0};
    int mono = 1;
    double prev = -1;
    char dr[256] = "";
    for (int i = 0; i < 6; i++) {
        size_t nd;
        double *Dd = iv_drive(e, p, doses[i], &day0, 1, 2, &nd);
        double r = Dd ? ks_response_p_response(p, KS_CTX_ACTIVE, 24, Dd[24 * 12]) : NAN;
        free(Dd);
        if (!(r > prev)) mono = 0;
        prev = r;
        size_t l = strlen(dr);
        snprintf(dr + l, sizeof dr - l, "%s%.2f: %.1f %%", i ? ", " : "", doses[i], 100 * r);
    }
#define V(c) ((c) ? "PASS" : "**FAILED**")
    snprintf(s, 8192,
             "## Checks the issue asks for\n\n"
             "On the calibrated model: one 0.5 mg/kg infusion (70 kg, awake, drug effect = "
             "mean share of the baseline removed beyond a same-context placebo), six "
             "infusions 3/week over 12 days, single doses 0.1-1.0 mg/kg. Criteria set before "
             "the fit; a failure is the model's, stated here, not hidden by a looser bound.\n\n"
             "| check | criterion | model | verdict |\n|---|---|---|---|\n"
             "| onset within 4 h | effect at 230 min >= half the peak | %.3f vs peak %.3f | %s |\n"
             "| peak near 24 h | continuous peak between 12 and 48 h | peak at %.1f h (day 1: "
             "%.3f) | %s |\n"
             "| decay over days | day 7 below day 1; day 11 below 30 %% of the peak | day 7 %.3f, "
             "day 11 %.3f | %s |\n"
             "| six beat one: response | response 24 h after the last dose, six > one + 5 points "
             "| six %.1f %%, one %.1f %% | %s |\n"
             "| six beat one: relapse | median relapse after the last dose, six > one%s | six "
             "%.1f d, one %.1f d | %s |\n"
             "| dose-response monotone | response at 24 h rises with dose over 0.1-1.0 mg/kg | %s "
             "| %s |\n",
             e4, peak, V(e4 >= 0.5 * peak), t_peak, e24, V(t_peak >= 12 && t_peak <= 48), e7, e11,
             V(e7 < e24 && e11 < 0.3 * peak), 100 * r6, 100 * r1, V(r6 > r1 + 0.05),
             order_imposed ? " (imposed by the calibration: a constraint of the fit, not an "
                             "independent check)"
                           : "",
             m6, m1, V(m6 > m1), dr, V(mono));
#undef V
    survival_compare(s, 8192, sv1, ms1, sv6, ms6);
    free(sv1);
    free(sv6);
    if (n_sets) {
        int c[4];
        relapse_order_over(sets, n_sets, o1, n1, o6, n6, c);
        char skipped[128] = "";
        if (c[3])
            snprintf(skipped, sizeof skipped,
                     "; not counted (a failed drive or no relapse after either course): %d", c[3]);
        size_t l = strlen(s);
        snprintf(s + l, 8192 - l,
                 "\nThe relapse order over the parameter file's %zu uncertainty sets (same "
                 "reading): six later than one in %d, as late in %d, earlier in %d%s. "
                 "docs/response-model.md (\"The relapse order\") gives what imposing the "
                 "order costs the figures.\n",
                 n_sets, c[0], c[1], c[2], skipped);
    }
    free(o1);
    free(o6);
    free(D1);
    free(D6);
    *out = s;
    return 0;
}

void resp_hamd_extrap_warning(char *buf, size_t n, const char *what, double hamd, double madrs)
{
    size_t l = strlen(buf);
    if (l >= n) return;
    snprintf(buf + l, n - l,
             "%sthe %s HAM-D %.6g lies above the last published anchor of the linking "
             "(HAM-D 40 = MADRS 52.5): its MADRS %.6g is an extrapolation",
             l ? "; " : "", what, hamd, madrs);
}

double resp_hamd_limit(void)
{
    return floor(ks_response_hamd_max_linked() * 1e4) / 1e4;
}

int resp_parse_score(const char *cmd, int print, const char *opt, const char *text, double lo,
                     double hi, double *v)
{
    char *end = (char *)text;
    const unsigned char *t = (const unsigned char *)text;
    int plain = isdigit(t[0]) || (t[0] == '.' && isdigit(t[1]));
    double x = plain && !strpbrk(text, "xX") ? strtod(text, &end) : NAN;
    if (!plain || isnan(x) || *end || !(x >= lo && x <= hi)) {
        if (print) cli_error(cmd, "%s \"%s\": expected a number from %g to %g", opt, text, lo, hi);
        return 2;
    }
    *v = x;
    return 0;
}
