/* ketsim simulate: doses through a published model -> table, plot and summary. */
#include "cli.h"
#include "ketsim/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char HELP[] =
    "usage: ketsim simulate --model NAME --dose AMOUNT [options]\n"
    "       ketsim simulate --model NAME --regimen TEXT [options]\n"
    "\n"
    "Simulate plasma and effect-site concentrations for doses given through a\n"
    "published model, solved exactly. Values carry their units.\n"
    "\n"
    "patient:\n"
    "  --weight W          body weight in kg (\"70\" or \"70kg\"); needed for mg/kg doses\n"
    "                      and for models that scale with weight\n"
    "  --age A             age in years (\"45\" or \"45y\")\n"
    "  --covariate K=V     any other covariate the model declares (e.g. asian=1)\n"
    "dose:\n"
    "  --dose AMOUNT       per dose: mg (\"56mg\") or mg/kg (\"0.5mg/kg\")\n"
    "  --route R           a route of the model (iv, nasal, oral ...); default: the\n"
    "                      model's only route, or iv\n"
    "  --over T            infusion duration for iv (\"40min\"); none = bolus\n"
    "  --rate R            or the infusion rate (\"52.5mg/h\"); duration = dose / rate\n"
    "  --at T1,T2,...      dose times (\"0,2d,4d\"; default 0)\n"
    "  --regimen TEXT      a treatment course instead of --dose, --route, --over,\n"
    "                      --rate and --at: \"84mg nasal; 2/week x 4w; every 2w x 8w\"\n"
    "                      (ketsim regimen --help; check it with ketsim regimen explain);\n"
    "                      --until then defaults to 24 h after the last dose\n"
    "  --regimen-file F    the same from a JSON file (docs/regimen.md)\n"
    "output:\n"
    "  --until T           simulate to this time (default 24h)\n"
    "  --every T           output step (default 5min)\n"
    "  --format csv|json   table format (default csv)\n"
    "  --out FILE          write the table to FILE (default: standard output)\n"
    "  --plot FILE         draw the curves to FILE (.png or .svg)\n"
    "  --threshold C       report time above this concentration (\"100ng/mL\")\n"
    "  --quiet             no summary on standard error\n"
    "  --effects           add the acute effects of the typical patient (docs/pd.md):\n"
    "                      occ_nmda_frac, cadss_score, psy_vas_pct, moaas_score,\n"
    "                      dsbp_mmhg, ddbp_mmhg, dhr_bpm; the plot gets an effects panel\n"
    "                      (bands, discharge: ketsim session)\n"
    "  --pd FILE           PD parameters for --effects (default data/pd-acute.json)\n"
    "  --dataset-out FILE  also write the doses as a NONMEM-style dataset (dose records\n"
    "                      per compartment after the route's split, lag and F, and one\n"
    "                      observation record per output time with DV); ketsim dataset\n"
    "                      predict reads it back to the same concentrations\n"
    "\n"
    "Columns: time_h, then cp_<analyte>_ng_ml (plasma) and ce_<analyte>_ng_ml (effect\n"
    "site) for each analyte of the model. The summary on standard error gives Cmax,\n"
    "Tmax, AUC to the last time (exact), AUC to infinity and the terminal half-life\n"
    "(log-linear fit of the last points, as non-compartmental analysis does).\n"
    "\n"
    "examples:\n"
    "  ketsim simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --route iv \\\n"
    "      --over 40min --until 24h --every 5min --plot ketamine.png\n"
    "  ketsim simulate --model perez-ruixo-2021 --weight 74 --dose 84mg --route nasal \\\n"
    "      --until 24h --format json --out esketamine.json\n"
    "  ketsim simulate --model domino-1982 --weight 82 --dose 0.5mg/kg --over 40min \\\n"
    "      --at 0,2d,4d,7d,9d,11d --until 14d --every 10min --threshold 100ng/mL\n"
    "  ketsim simulate --model domino-1982 --weight 82 --every 10min --regimen \\\n"
    "      \"0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; "
    "then every 1w x 4\"\n"
    "  ketsim simulate --model perez-ruixo-2021 --every 15min --out course.csv --regimen \\\n"
    "      \"84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w\"\n"
    "\n" KS_DISCLAIMER "\n";

enum {
    O_MODEL,
    O_WEIGHT,
    O_AGE,
    O_COV,
    O_DOSE,
    O_ROUTE,
    O_OVER,
    O_RATE,
    O_AT,
    O_UNTIL,
    O_EVERY,
    O_FORMAT,
    O_OUT,
    O_PLOT,
    O_THRESHOLD,
    O_QUIET,
    O_REGIMEN,
    O_REGIMEN_FILE,
    O_DATASET_OUT,
    O_EFFECTS,
    O_PD,
    O_COUNT
};

typedef struct sim_args {
    const char *model_name, *route, *out, *plot, *dose_text, *over_text, *rate_text;
    double rate_mg_h; /* infusion rate when given by --rate, else 0 */
    const char *dataset_out;
    ks_regimen *regimen; /* with a start date: outputs carry calendar times */
    ks_format format;
    ks_covariates cov;
    double weight; /* NaN when not given */
    double dose_value;
    ks_dim dose_dim;
    double over_h, until_h, every_h, threshold;
    double *at;
    size_t n_at;
    int quiet;
    /* With --regimen or --regimen-file: that option's name, the route, and texts for
     * the dose description; NULL / empty otherwise. */
    const char *regimen_opt;
    char regimen_route[64], dose_buf[32], over_buf[32];
    double regimen_end_h; /* end of the last dose */
    char until_default[32];
    int effects;         /* --effects */
    const char *pd_path; /* --pd */
    ks_pd_course *pd;    /* the effects, with --effects */
} sim_args;

static int parse_time(const char *opt, const char *text, double *v)
{
    ks_dim d = KS_DIM_TIME;
    ks_error err = {0};
    if (ks_quantity_parse(text, &d, 1, opt, v, NULL, &err)) {
        cli_error("simulate", "%s", err.msg);
        return 2;
    }
    return 0;
}

/* "0,2d,4d": a bare 0 needs no unit; anything else does. */
static int parse_at(const char *text, sim_args *a)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    a->at = calloc(n, sizeof *a->at);
    if (!a->at) return 2;
    char *copy = strdup(text), *save = NULL;
    if (!copy) return 2;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (strcmp(tok, "0") == 0)
            a->at[a->n_at++] = 0.0;
        else
            rc = parse_time("--at", tok, &a->at[a->n_at++]);
        if (!rc && a->at[a->n_at - 1] < 0) {
            cli_error("simulate", "--at: %s is before time 0", tok);
            rc = 2;
        }
    }
    free(copy);
    if (!rc && a->n_at != n) {
        cli_error("simulate", "--at: empty time in \"%s\"", text);
        rc = 2;
    }
    return rc;
}

static int parse_covariates(const cli_opt *o, sim_args *a)
{
    ks_error err = {0};
    a->weight = NAN;
    if (o[O_WEIGHT].value) {
        if (cli_parse_plain("simulate", "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, &a->weight))
            return 2;
        if (!(a->weight > 0) || a->weight > 700) {
            cli_error("simulate", "--weight: %s kg is not a possible body weight",
                      o[O_WEIGHT].value);
            return 2;
        }
        ks_covariates_set(&a->cov, "weight", a->weight, NULL);
    }
    if (o[O_AGE].value) {
        double age;
        if (cli_parse_plain("simulate", "--age", o[O_AGE].value, KS_DIM_AGE, &age)) return 2;
        if (!(age >= 0) || age > 130) {
            cli_error("simulate", "--age: %s years is not a possible age", o[O_AGE].value);
            return 2;
        }
        ks_covariates_set(&a->cov, "age", age, NULL);
    }
    for (int i = 0; i < o[O_COV].n_all; i++) {
        const char *kv = o[O_COV].all[i], *eq = strchr(kv, '=');
        char name[32], *end;
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof name) {
            cli_error("simulate", "--covariate: \"%s\" is not NAME=VALUE", kv);
            return 2;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
        if (strcmp(name, "weight") == 0 || strcmp(name, "age") == 0) {
            cli_error("simulate", "--covariate %s: give it with --%s", name, name);
            return 2;
        }
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v)) {
            cli_error("simulate", "--covariate %s: \"%s\" is not a number", name, eq + 1);
            return 2;
        }
        if (ks_covariates_set(&a->cov, name, v, &err)) {
            cli_error("simulate", "--covariate: %s", err.msg);
            return 2;
        }
    }
    return 0;
}

static int parse_outputs(const cli_opt *o, sim_args *a)
{
    a->format = KS_FORMAT_CSV;
    if (o[O_FORMAT].value) {
        if (strcmp(o[O_FORMAT].value, "json") == 0)
            a->format = KS_FORMAT_JSON;
        else if (strcmp(o[O_FORMAT].value, "csv") != 0) {
            cli_error("simulate", "--format: \"%s\" (csv or json)", o[O_FORMAT].value);
            return 2;
        }
    }
    a->out = o[O_OUT].value;
    a->dataset_out = o[O_DATASET_OUT].value;
    a->plot = o[O_PLOT].value;
    if (a->out && a->plot && strcmp(a->out, a->plot) == 0) {
        cli_error("simulate", "--out and --plot name the same file \"%s\"", a->out);
        return 2;
    }
    if (a->plot) {
        const char *dot = strrchr(a->plot, '.');
        if (!dot || (strcasecmp(dot, ".png") && strcasecmp(dot, ".svg"))) {
            cli_error("simulate", "--plot: \"%s\" must end in .png or .svg", a->plot);
            return 2;
        }
    }
    a->until_h = a->regimen_opt ? a->regimen_end_h + 24.0 : 24.0;
    snprintf(a->until_default, sizeof a->until_default, "%gh", a->until_h);
    a->every_h = 5.0 / 60.0;
    if (o[O_UNTIL].value && parse_time("--until", o[O_UNTIL].value, &a->until_h)) return 2;
    if (o[O_EVERY].value && parse_time("--every", o[O_EVERY].value, &a->every_h)) return 2;
    if (!(a->until_h > 0)) {
        cli_error("simulate", "--until: %s must be after time 0", o[O_UNTIL].value);
        return 2;
    }
    if (!(a->every_h > 0)) {
        cli_error("simulate", "--every: %s must be positive", o[O_EVERY].value);
        return 2;
    }
    if (a->every_h > a->until_h) {
        cli_error("simulate", "--every %s is longer than --until %s", o[O_EVERY].value,
                  o[O_UNTIL].value ? o[O_UNTIL].value : a->until_default);
        return 2;
    }
    /* A dose after the end would leave no trace in the output: an impossible schedule. */
    for (size_t i = 0; i < a->n_at; i++) {
        if (a->at[i] > a->until_h) {
            cli_error("simulate", "%s: a dose at %g h is after --until %s",
                      a->regimen_opt ? a->regimen_opt : "--at", a->at[i],
                      o[O_UNTIL].value ? o[O_UNTIL].value : a->until_default);
            return 2;
        }
    }
    if (a->until_h / a->every_h > 2e7) {
        cli_error("simulate", "--until / --every gives more than 20 million output times");
        return 2;
    }
    a->threshold = NAN;
    if (o[O_THRESHOLD].value) {
        ks_dim d = KS_DIM_CONC;
        ks_error err = {0};
        if (ks_quantity_parse(o[O_THRESHOLD].value, &d, 1, "--threshold", &a->threshold, NULL,
                              &err)) {
            cli_error("simulate", "%s", err.msg);
            return 2;
        }
        if (!(a->threshold > 0)) {
            cli_error("simulate", "--threshold: %s must be positive", o[O_THRESHOLD].value);
            return 2;
        }
    }
    a->quiet = o[O_QUIET].seen;
    return 0;
}

static int parse_dose(const cli_opt *o, sim_args *a)
{
    if (!o[O_DOSE].value) {
        cli_error("simulate", "--dose is required (e.g. --dose 0.5mg/kg or --dose 56mg)");
        return 2;
    }
    a->dose_text = o[O_DOSE].value;
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT};
    ks_error err = {0};
    if (ks_quantity_parse(a->dose_text, dims, 2, "--dose", &a->dose_value, &a->dose_dim, &err)) {
        cli_error("simulate", "%s", err.msg);
        return 2;
    }
    if (!(a->dose_value > 0)) {
        cli_error("simulate", "--dose: %s must be positive", a->dose_text);
        return 2;
    }
    if (a->dose_dim == KS_DIM_MASS_PER_WEIGHT && isnan(a->weight)) {
        cli_error("simulate", "--dose %s is per kg: give --weight", a->dose_text);
        return 2;
    }
    a->over_text = o[O_OVER].value;
    a->over_h = 0.0;
    if (a->over_text && parse_time("--over", a->over_text, &a->over_h)) return 2;
    if (a->over_text && !(a->over_h > 0)) {
        cli_error("simulate", "--over: %s must be positive", a->over_text);
        return 2;
    }
    a->rate_text = o[O_RATE].value;
    if (a->rate_text) {
        ks_dim d = KS_DIM_MASS_RATE;
        ks_error err = {0};
        if (a->over_text) {
            cli_error("simulate",
                      "--rate: give the infusion's duration (--over) or its rate, not both");
            return 2;
        }
        if (ks_quantity_parse(a->rate_text, &d, 1, "--rate", &a->rate_mg_h, NULL, &err)) {
            cli_error("simulate", "%s", err.msg);
            return 2;
        }
        if (!(a->rate_mg_h > 0)) {
            cli_error("simulate", "--rate: %s must be positive", a->rate_text);
            return 2;
        }
    }
    if (o[O_AT].value) return parse_at(o[O_AT].value, a);
    a->at = calloc(1, sizeof *a->at);
    if (!a->at) return 2;
    a->n_at = 1;
    return 0;
}

/* --regimen TEXT or --regimen-file F.json: fill the dose, route, duration and times as
 * --dose, --route, --over and --at would (a regimen has one dose, given at each time). */
static int parse_regimen(const cli_opt *o, sim_args *a)
{
    a->regimen_opt = o[O_REGIMEN].value ? "--regimen" : "--regimen-file";
    if (o[O_REGIMEN].value && o[O_REGIMEN_FILE].value) {
        cli_error("simulate", "--regimen and --regimen-file: give one of them");
        return 2;
    }
    static const int conflicts[] = {O_DOSE, O_ROUTE, O_OVER, O_RATE, O_AT};
    for (size_t k = 0; k < sizeof conflicts / sizeof *conflicts; k++) {
        if (o[conflicts[k]].seen) {
            cli_error("simulate",
                      "%s gives the dose, route, infusion duration and times: drop --%s",
                      a->regimen_opt, o[conflicts[k]].name);
            return 2;
        }
    }
    ks_regimen *r = NULL;
    ks_error err = {0};
    int rc = o[O_REGIMEN].value ? ks_regimen_parse(o[O_REGIMEN].value, &r, &err)
                                : ks_regimen_load_json(o[O_REGIMEN_FILE].value, &r, &err);
    if (rc) {
        cli_error("simulate", "%s: %s", a->regimen_opt, err.msg);
        return rc == KS_ENOMEM ? 1 : 2;
    }
    size_t n = ks_regimen_n_doses(r);
    const ks_regimen_dose *d0 = ks_regimen_dose_get(r, 0), *last = ks_regimen_dose_get(r, n - 1);
    a->at = calloc(n, sizeof *a->at);
    if (!a->at) {
        ks_regimen_free(r);
        cli_error("simulate", "out of memory");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        a->at[a->n_at++] = ks_regimen_dose_get(r, i)->time_h;
    a->dose_value = d0->amount;
    a->dose_dim = d0->per_kg ? KS_DIM_MASS_PER_WEIGHT : KS_DIM_MASS;
    snprintf(a->dose_buf, sizeof a->dose_buf, "%g%s", d0->amount, d0->per_kg ? "mg/kg" : "mg");
    a->dose_text = a->dose_buf;
    a->over_h = d0->duration_h;
    if (a->over_h > 0) {
        if (a->over_h < 2)
            snprintf(a->over_buf, sizeof a->over_buf, "%gmin", a->over_h * 60);
        else
            snprintf(a->over_buf, sizeof a->over_buf, "%gh", a->over_h);
        a->over_text = a->over_buf;
    }
    snprintf(a->regimen_route, sizeof a->regimen_route, "%s", d0->route);
    a->regimen_end_h = last->time_h + last->duration_h;
    a->regimen = r; /* kept for calendar times (freed in cmd_simulate) */
    if (a->dose_dim == KS_DIM_MASS_PER_WEIGHT && isnan(a->weight)) {
        cli_error("simulate", "%s: the dose %s is per kg: give --weight", a->regimen_opt,
                  a->dose_text);
        return 2;
    }
    return 0;
}

static int load_model(const char *name, ks_model **m)
{
    char path[4096];
    ks_error err = {0};
    if (!name) {
        cli_error("simulate", "--model is required (see ketsim models)");
        return 2;
    }
    if (ks_model_find(name, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, m, &err)) {
        cli_error("simulate", "--model: %s", err.msg);
        return 2;
    }
    return 0;
}

/* The route: as given, else the model's only route, else "iv" when it has one. */
static int choose_route(const ks_model *m, const char *given, sim_args *a)
{
    char names[256] = "";
    size_t used = 0;
    for (size_t r = 0; r < ks_model_n_routes(m) && used < sizeof names; r++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", r ? ", " : "",
                                 ks_model_route_name(m, r));
    if (given) {
        if (!ks_model_has_route(m, given)) {
            char what[48];
            snprintf(what, sizeof what, "%s%s", a->regimen_opt ? a->regimen_opt : "--route",
                     a->regimen_opt ? ": route" : "");
            cli_error("simulate", "%s %s: model %s has no such route (it has: %s)", what, given,
                      ks_model_name(m), names);
            return 2;
        }
        a->route = given;
    } else if (ks_model_n_routes(m) == 1) {
        a->route = ks_model_route_name(m, 0);
    } else if (ks_model_has_route(m, "iv")) {
        a->route = "iv";
    } else {
        cli_error("simulate", "--route is required for model %s (%s)", ks_model_name(m), names);
        return 2;
    }
    if ((a->over_h > 0 || a->rate_mg_h > 0) && !ks_model_route_takes_duration(m, a->route)) {
        cli_error("simulate",
                  "%s: route %s of model %s takes no infusion duration (the model "
                  "sets its absorption)",
                  a->regimen_opt ? a->regimen_opt
                  : a->rate_text ? "--rate"
                                 : "--over",
                  a->route, ks_model_name(m));
        return 2;
    }
    return 0;
}

static double *make_grid(double until, double every, size_t *n)
{
    size_t k = (size_t)floor(until / every + 1e-9);
    int extra = fabs(k * every - until) > 1e-9 * until;
    *n = k + 1 + (size_t)extra;
    double *t = malloc(*n * sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i <= k; i++)
        t[i] = (double)i * every;
    if (extra)
        t[k + 1] = until;
    else
        t[k] = until;
    return t;
}

static void describe_dose(const sim_args *a, double mg, char *buf, size_t n)
{
    if (a->rate_text) {
        snprintf(buf, n, "%.4g mg %s at %s (%.3g h)", mg, a->route, a->rate_text, a->over_h);
        return;
    }
    if (a->dose_dim == KS_DIM_MASS_PER_WEIGHT)
        snprintf(buf, n, "%s (%.4g mg) %s%s%s", a->dose_text, mg, a->route,
                 a->over_text ? " over " : "", a->over_text ? a->over_text : "");
    else
        snprintf(buf, n, "%.4g mg %s%s%s", mg, a->route, a->over_text ? " over " : "",
                 a->over_text ? a->over_text : "");
}

/* The calendar time of time 0 when the regimen has a start clause. */
static int calendar_origin(const sim_args *a, ks_plot_calendar *c)
{
    ks_datetime dt;
    if (!a->regimen || ks_regimen_start_kind(a->regimen) == 0 ||
        ks_regimen_start(a->regimen, &dt, NULL))
        return 0;
    *c = (ks_plot_calendar){dt.year, dt.month, dt.day, dt.hour, dt.minute};
    return 1;
}

static int write_plot(const ks_model *m, ks_sim *s, const sim_args *a, const char *dose_desc,
                      double mg, const char *path)
{
    size_t no = ks_sim_n_outputs(s);
    ks_plot_series *ser = calloc(no, sizeof *ser);
    ks_plot_dose_mark *marks = calloc(a->n_at, sizeof *marks);
    char(*labels)[96] = calloc(no, sizeof *labels);
    if (!ser || !marks || !labels) {
        free(ser);
        free(marks);
        free(labels);
        cli_error("simulate", "out of memory");
        return 1;
    }
    for (size_t j = 0; j < no; j++) {
        snprintf(labels[j], sizeof labels[j], "%s %s",
                 ks_sim_output_is_effect(s, j) ? "effect site" : "plasma",
                 ks_sim_output_analyte(s, j));
        ser[j] = (ks_plot_series){.label = labels[j],
                                  .x = ks_sim_times(s),
                                  .y = ks_sim_output(s, j),
                                  .n = ks_sim_n_times(s),
                                  .dashed = ks_sim_output_is_effect(s, j)};
    }
    char mark_label[64];
    snprintf(mark_label, sizeof mark_label, "%.4g mg %s", mg, a->route);
    for (size_t i = 0; i < a->n_at; i++)
        marks[i] = (ks_plot_dose_mark){a->at[i], a->over_h, i == 0 ? mark_label : NULL};
    char title[400], subtitle[400];
    ks_citation_info ci;
    cli_primary_citation(m, &ci);
    snprintf(title, sizeof title, "%s: %s%s", ks_model_drug(m), dose_desc,
             a->n_at > 1 ? ", repeated" : "");
    /* Keep the subtitle to one line: the DOI when there is one, else the citation start. */
    if (*ci.doi)
        snprintf(subtitle, sizeof subtitle, "model %s, doi:%s; sampling site: %s", ks_model_name(m),
                 ci.doi, ks_model_sampling_site(m));
    else
        snprintf(subtitle, sizeof subtitle, "model %s (%.48s%s); sampling site: %s",
                 ks_model_name(m), ci.text, strlen(ci.text) > 48 ? "..." : "",
                 ks_model_sampling_site(m));
    ks_plot_spec spec = {title,
                         subtitle,
                         "concentration (ng/mL)",
                         ser,
                         no,
                         marks,
                         a->n_at,
                         a->threshold,
                         isnan(a->threshold) ? NULL : "threshold",
                         KS_DISCLAIMER,
                         0,
                         0,
                         NULL};
    ks_plot_calendar cal;
    if (calendar_origin(a, &cal)) spec.calendar = &cal;
    ks_error err = {0};
    int rc;
    if (a->pd) { /* an effects panel under the concentrations */
        ks_plot_series es[4] = {
            {.label = "dissociation, CADSS points", .x = ks_sim_times(s),
             .y = a->pd->typ[KS_PD_CADSS], .n = a->pd->n},
            {.label = "systolic BP rise, mmHg", .x = ks_sim_times(s), .y = a->pd->typ[KS_PD_DSBP],
             .n = a->pd->n},
            {.label = "diastolic BP rise, mmHg", .x = ks_sim_times(s),
             .y = a->pd->typ[KS_PD_DDBP], .n = a->pd->n},
            {.label = "NMDA occupancy x 10", .x = ks_sim_times(s), .y = NULL, .n = a->pd->n,
             .dashed = 1}};
        double *occ10 = malloc((a->pd->n ? a->pd->n : 1) * sizeof *occ10);
        for (size_t i = 0; occ10 && i < a->pd->n; i++)
            occ10[i] = 10 * a->pd->occ[i];
        es[3].y = occ10;
        ks_plot_spec panels[2] = {spec, spec};
        panels[0].footer = NULL;
        panels[1].title =
            "acute effects, typical patient (data/pd-acute.json; bands: ketsim session)";
        panels[1].subtitle = NULL;
        panels[1].y_label = "effect (unit in legend)";
        panels[1].series = es;
        panels[1].n_series = 4;
        panels[1].threshold = NAN;
        panels[1].threshold_label = NULL;
        rc = occ10 ? ks_plot_write_panels(panels, 2, path, &err)
                   : ks_error_set(&err, KS_ENOMEM, "out of memory");
        free(occ10);
    } else {
        rc = ks_plot_write(&spec, path, &err);
    }
    free(ser);
    free(marks);
    free(labels);
    if (rc) {
        const char *msg = strncmp(err.msg, "plot: ", 6) == 0 ? err.msg + 6 : err.msg;
        /* Name the file the user asked for, not the temporary one. */
        const char *tmp_at = strstr(msg, path);
        if (tmp_at)
            cli_error("simulate", "--plot: %.*s%s%s", (int)(tmp_at - msg), msg, a->plot,
                      tmp_at + strlen(path));
        else
            cli_error("simulate", "--plot: %s", msg);
        return 1;
    }
    return 0;
}

/* Write the table to `stream` (standard output, or the temporary file of --out). */
static int write_table(const ks_model *m, ks_sim *s, const sim_args *a, const char *dose_desc,
                       FILE *stream)
{
    size_t no = ks_sim_n_outputs(s), nt = ks_sim_n_times(s), ne = a->pd ? 7 : 0;
    const char **names = calloc(no + ne + 1, sizeof *names);
    const double **cols = calloc(no + ne + 1, sizeof *cols);
    double *moaas = a->pd ? malloc((nt ? nt : 1) * sizeof *moaas) : NULL;
    if (!names || !cols || (a->pd && !moaas)) {
        free(names);
        free(cols);
        free(moaas);
        return 1;
    }
    for (size_t j = 0; j < no; j++) {
        names[j] = ks_sim_output_name(s, j);
        cols[j] = ks_sim_output(s, j);
    }
    if (a->pd) { /* the effects (ketsim/pd.h), typical patient */
        for (size_t i = 0; i < nt; i++)
            moaas[i] = 5.0 - a->pd->typ[KS_PD_SEDATION][i];
        const char *en[7] = {"occ_nmda_frac", "cadss_score", "psy_vas_pct", "moaas_score",
                             "dsbp_mmhg",     "ddbp_mmhg",   "dhr_bpm"};
        const double *ec[7] = {a->pd->occ,
                               a->pd->typ[KS_PD_CADSS],
                               a->pd->typ[KS_PD_PSY],
                               moaas,
                               a->pd->typ[KS_PD_DSBP],
                               a->pd->typ[KS_PD_DDBP],
                               a->pd->typ[KS_PD_DHR]};
        for (size_t j = 0; j < ne; j++) {
            names[no + j] = en[j];
            cols[no + j] = ec[j];
        }
    }
    ks_citation_info ci;
    cli_primary_citation(m, &ci);
    const char *keys[] = {"model", "drug",          "dose",  "source",
                          "doi",   "sampling_site", "units", "note"};
    const char *vals[] = {ks_model_name(m),
                          ks_model_drug(m),
                          dose_desc,
                          ci.text,
                          ci.doi,
                          ks_model_sampling_site(m),
                          "time in h, concentrations in ng/mL",
                          KS_DISCLAIMER};
    ks_table t = {
        ks_sim_times(s), ks_sim_n_times(s), names, cols, no + ne, keys, vals, 8, NULL, NULL};
    /* With a regimen start date: the calendar time of every row, beside the hours. */
    char(*text)[24] = NULL;
    const char **labels = NULL;
    ks_plot_calendar cal;
    if (calendar_origin(a, &cal)) {
        size_t nt = ks_sim_n_times(s);
        text = calloc(nt ? nt : 1, sizeof *text);
        labels = calloc(nt ? nt : 1, sizeof *labels);
        for (size_t i = 0; text && labels && i < nt; i++) {
            ks_datetime dt;
            if (ks_regimen_calendar(a->regimen, ks_sim_times(s)[i], &dt, NULL, NULL)) break;
            snprintf(text[i], sizeof text[i], "%04d-%02d-%02dT%02d:%02d", dt.year, dt.month, dt.day,
                     dt.hour, dt.minute);
            labels[i] = text[i];
        }
        if (text && labels && (nt == 0 || labels[nt - 1])) {
            t.label_name = "datetime";
            t.labels = labels;
        }
    }
    ks_error err = {0};
    int rc = ks_table_write(&t, a->format, NULL, stream, &err);
    free(names);
    free(cols);
    free(moaas);
    free(text);
    free(labels);
    if (rc) {
        cli_error("simulate", "--out %s: %s", a->out ? a->out : "(standard output)", err.msg);
        return 1;
    }
    return 0;
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.4g", v);
}

static int print_summary(ks_sim *s, const sim_args *a)
{
    size_t no = ks_sim_n_outputs(s);
    char above[48] = "";
    if (!isnan(a->threshold)) snprintf(above, sizeof above, "  >%gng/mL (h)", a->threshold);
    fprintf(stderr, "%-24s %12s %9s %16s %16s %9s%s\n", "output", "Cmax (ng/mL)", "Tmax (h)",
            "AUC0-last", "AUC0-inf", "t1/2 (h)", above);
    for (size_t j = 0; j < no; j++) {
        ks_summary sm;
        ks_error err = {0};
        if (ks_summary_compute(s, j, a->threshold, &sm, &err)) {
            cli_error("simulate", "summary: %s", err.msg);
            return 1;
        }
        char c1[32], c2[32], c3[32], c4[32], c5[32], c6[32];
        fmt_num(c1, sizeof c1, sm.cmax);
        fmt_num(c2, sizeof c2, sm.tmax);
        fmt_num(c3, sizeof c3, sm.auc_last);
        fmt_num(c4, sizeof c4, sm.auc_inf);
        fmt_num(c5, sizeof c5, sm.t_half);
        fmt_num(c6, sizeof c6, sm.time_above);
        fprintf(stderr, "%-24s %12s %9s %16s %16s %9s", ks_sim_output_name(s, j), c1, c2, c3, c4,
                c5);
        if (!isnan(a->threshold)) fprintf(stderr, "  %12s", c6);
        fputc('\n', stderr);
    }
    fprintf(stderr,
            "AUC in ng*h/mL; AUC0-last is exact to %g h; AUC0-inf and t1/2 from the "
            "terminal log-linear slope (n/a: no terminal phase in the output).\n",
            a->until_h);
    return 0;
}

static int cmp_time(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* For a course (more than one dose): one line per session of the first output (plasma
 * of the dosed drug), then the cumulative dose and exposure. */
static int print_sessions(ks_sim *s, const sim_args *a, double mg)
{
    double *starts = malloc(a->n_at * sizeof *starts);
    ks_session_summary *ss = malloc(a->n_at * sizeof *ss);
    if (!starts || !ss) {
        free(starts);
        free(ss);
        return 1;
    }
    size_t n = 0;
    memcpy(starts, a->at, a->n_at * sizeof *starts);
    qsort(starts, a->n_at, sizeof *starts, cmp_time);
    for (size_t i = 0; i < a->n_at; i++) /* doses at the same time: one session */
        if (n == 0 || starts[i] > starts[n - 1]) starts[n++] = starts[i];
    ks_error err = {0};
    int rc = ks_summary_sessions(s, 0, starts, n, a->threshold, ss, &err);
    if (rc) {
        cli_error("simulate", "sessions: %s", err.msg);
    } else {
        fprintf(stderr, "\nsessions of %s:\n", ks_sim_output_name(s, 0));
        fprintf(stderr, "%4s %9s %9s %12s %12s %10s %14s%s\n", "#", "day", "start (h)", "trough",
                "Cmax", "Tmax (h)", "AUC (ng*h/mL)", isnan(a->threshold) ? "" : "  above (h)");
        double total = 0.0;
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "%4zu %9.2f %9.2f %12.4g %12.4g %10.3f %14.5g", i + 1,
                    ss[i].start_h / 24.0, ss[i].start_h, ss[i].trough, ss[i].cmax,
                    ss[i].tmax - ss[i].start_h, ss[i].auc);
            if (!isnan(a->threshold)) fprintf(stderr, "  %9.3f", ss[i].time_above);
            fputc('\n', stderr);
            total += ss[i].auc;
        }
        fprintf(stderr,
                "trough: ng/mL just before the dose; Tmax: hours after the session's "
                "start.\ncourse: %zu doses, cumulative dose %.4g mg, exposure (AUC) %.5g ng*h/mL "
                "over the sessions\n",
                a->n_at, mg * (double)a->n_at, total);
    }
    free(starts);
    free(ss);
    return rc ? 1 : 0;
}

/* --effects: the typical patient's acute effects over the output times. */
static int effects(ks_sim *s, sim_args *a)
{
    char path[4096];
    if (a->pd_path)
        snprintf(path, sizeof path, "%s", a->pd_path);
    else
        snprintf(path, sizeof path, "%s/pd-acute.json", cli_data_dir());
    ks_pd *pd = NULL;
    ks_error err = {0};
    if (ks_pd_load(path, &pd, &err)) {
        cli_error("simulate", "--pd: %s", err.msg);
        return 2;
    }
    int rc = ks_pd_run(pd, s, &a->pd, &err);
    ks_pd_free(pd);
    if (rc) {
        cli_error("simulate", "--effects: %s", err.msg);
        return rc == KS_EINVAL ? 2 : 1;
    }
    if (a->pd->note[0] && !a->quiet) fprintf(stderr, "warning: effects: %s\n", a->pd->note);
    return 0;
}

static int run(const ks_model *m, sim_args *a)
{
    ks_error err = {0};
    char warnings[2048];
    int nw = 0;
    if (ks_model_check_covariates(m, &a->cov, warnings, sizeof warnings, &nw, &err)) {
        cli_error("simulate", "%s", err.msg);
        return 2;
    }
    /* One "warning: " line per warning (the library separates them with newlines). */
    for (char *line = warnings, *nl; nw && line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        fprintf(stderr, "warning: %s\n", line);
    }
    ks_sim *s = NULL;
    double mg = a->dose_dim == KS_DIM_MASS_PER_WEIGHT ? a->dose_value * a->weight : a->dose_value;
    if (a->rate_mg_h > 0) a->over_h = mg / a->rate_mg_h; /* an infusion given by its rate */
    size_t nt;
    double *t = make_grid(a->until_h, a->every_h, &nt);
    int rc = t ? ks_sim_create(m, &s, &err) : KS_ENOMEM;
    if (!rc) rc = ks_sim_set_covariates(s, &a->cov, &err);
    if (!rc) {
        /* A dose the route cannot represent (a nasal dose that is not a whole number of
         * devices) is an error of --dose, reported before anything is simulated. */
        double fraction;
        rc = ks_sim_route_input_fraction(s, a->route, mg, &fraction, &err);
        if (rc)
            ks_error_prefix(&err, "%s %s", a->regimen_opt ? a->regimen_opt : "--dose",
                            a->dose_text);
    }
    for (size_t i = 0; !rc && i < a->n_at; i++) {
        ks_dose d = {a->at[i], mg, a->over_h, a->route};
        rc = ks_sim_add_dose(s, &d, &err);
        if (rc)
            ks_error_prefix(&err, "%s at %g h", a->regimen_opt ? a->regimen_opt : "--dose",
                            a->at[i]);
    }
    if (!rc) rc = ks_sim_set_times(s, t, nt, &err);
    if (!rc) rc = ks_sim_run(s, &err);
    free(t);
    if (rc) {
        cli_error("simulate", "%s", err.msg[0] ? err.msg : ks_strerror(rc));
        ks_sim_free(s);
        return rc == KS_ENOMEM || rc == KS_ENUMERIC ? 1 : 2;
    }
    if (a->effects && (rc = effects(s, a))) {
        ks_sim_free(s);
        return rc;
    }
    char desc[256];
    describe_dose(a, mg, desc, sizeof desc);
    /* Both files or neither: the table goes to a temporary file next to --out that is
     * renamed over it only after the plot was written, so a failed plot leaves no table. */
    int bad = 0;
    FILE *tf = NULL;
    char tmp[4096];
    if (a->out && strcmp(a->out, "-") != 0 && ks_atomic_open(a->out, &tf, tmp, sizeof tmp, &err)) {
        cli_error("simulate", "--out: %s", err.msg);
        bad = 1;
    }
    /* The plot is drawn to a temporary name with the same extension, and both files
     * are renamed into place only when both were written. */
    char plot_tmp[4200] = "";
    if (a->plot) {
        const char *ext = strrchr(a->plot, '.');
        snprintf(plot_tmp, sizeof plot_tmp, "%s.tmp%ld%s", a->plot, (long)getpid(), ext);
    }
    if (!bad) bad = write_table(m, s, a, desc, tf ? tf : stdout);
    if (!bad && a->plot) bad = write_plot(m, s, a, desc, mg, plot_tmp);
    if (tf) {
        if (bad) {
            ks_atomic_abort(tf, tmp);
        } else if (ks_atomic_commit(tf, tmp, a->out, &err)) {
            cli_error("simulate", "--out: %s", err.msg);
            bad = 1;
        }
    }
    if (a->plot && *plot_tmp) {
        if (!bad && rename(plot_tmp, a->plot) != 0) {
            cli_error("simulate", "--plot: %s: cannot write (%s)", a->plot, strerror(errno));
            bad = 1;
        }
        remove(plot_tmp); /* gone already after a successful rename */
    }
    if (!bad && a->dataset_out) {
        /* The first output that observes a compartment (plasma of the dosed drug). */
        size_t j = 0;
        while (j < ks_sim_n_outputs(s) && ks_sim_output_is_effect(s, j))
            j++;
        if (j == ks_sim_n_outputs(s) ||
            ks_dataset_write_sim(s, ks_sim_output_name(s, j), a->dataset_out, &err)) {
            cli_error("simulate", "--dataset-out: %s", err.msg[0] ? err.msg : "no plasma output");
            bad = 1;
        }
    }
    if (!bad && !a->quiet) {
        char who[48] = "";
        if (!isnan(a->weight)) snprintf(who, sizeof who, ", %g kg", a->weight);
        fprintf(stderr, "%s, %s%s; %zu dose(s)\n", ks_model_name(m), desc, who, a->n_at);
        bad = print_summary(s, a);
        if (!bad && a->n_at > 1) bad = print_sessions(s, a, mg);
        if (a->out) fprintf(stderr, "table: %s\n", a->out);
        if (a->plot) fprintf(stderr, "plot: %s\n", a->plot);
        fprintf(stderr, "%s\n", KS_DISCLAIMER);
    }
    ks_sim_free(s);
    return bad;
}

int cmd_simulate(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {[O_MODEL] = {"model", 1},
                          [O_WEIGHT] = {"weight", 1},
                          [O_AGE] = {"age", 1},
                          [O_COV] = {"covariate", 1, .repeatable = 1},
                          [O_DOSE] = {"dose", 1},
                          [O_ROUTE] = {"route", 1},
                          [O_OVER] = {"over", 1},
                          [O_RATE] = {"rate", 1},
                          [O_AT] = {"at", 1},
                          [O_UNTIL] = {"until", 1},
                          [O_EVERY] = {"every", 1},
                          [O_FORMAT] = {"format", 1},
                          [O_OUT] = {"out", 1},
                          [O_PLOT] = {"plot", 1},
                          [O_THRESHOLD] = {"threshold", 1},
                          [O_QUIET] = {"quiet", 0},
                          [O_REGIMEN] = {"regimen", 1},
                          [O_REGIMEN_FILE] = {"regimen-file", 1},
                          [O_DATASET_OUT] = {"dataset-out", 1},
                          [O_EFFECTS] = {"effects", 0},
                          [O_PD] = {"pd", 1}};
    int help = 0;
    int rc = cli_parse(argc, argv, o, O_COUNT, &help, "simulate");
    if (rc || help) {
        if (help) fputs(HELP, stdout);
        cli_free_opts(o, O_COUNT);
        return rc;
    }
    sim_args a = {0};
    ks_model *m = NULL;
    rc = parse_covariates(o, &a);
    if (!rc && (o[O_REGIMEN].seen || o[O_REGIMEN_FILE].seen))
        rc = parse_regimen(o, &a);
    else if (!rc)
        rc = parse_dose(o, &a);
    if (!rc) rc = parse_outputs(o, &a);
    if (!rc) rc = load_model(o[O_MODEL].value, &m);
    if (!rc) rc = choose_route(m, a.regimen_opt ? a.regimen_route : o[O_ROUTE].value, &a);
    a.effects = o[O_EFFECTS].seen || o[O_PD].seen;
    a.pd_path = o[O_PD].value;
    if (!rc) rc = run(m, &a);
    ks_pd_course_free(a.pd);
    ks_model_free(m);
    ks_regimen_free(a.regimen);
    free(a.at);
    cli_free_opts(o, O_COUNT);
    return rc;
}
