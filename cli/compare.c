/* ketsim compare: one dose through several models, in one table and one plot, so the
 * spread between published models shows at a glance. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: ketsim compare --model NAME --model NAME [...] --dose DOSE [--route R]\n"
    "                      [--over T] [--weight KG] [--age Y] [--analyte A]\n"
    "                      [--until T] [--every T] [--out FILE.csv] [--plot FILE.png]\n"
    "\n"
    "Simulates the same dose with every model named (repeat --model, or give them\n"
    "comma-separated) and prints Cmax, Tmax, AUC and terminal half-life side by side.\n"
    "\n"
    "  --model NAME    a shipped model (repeatable; at least one)\n"
    "  --dose DOSE     with its unit: 35mg, 0.5mg/kg (per kg needs --weight)\n"
    "  --route R       route name (default iv); a model without it but with variants\n"
    "                  R-<source> (e.g. intranasal-yanagihara2003) runs each variant\n"
    "  --over T        infusion duration, e.g. 40min (routes that take one)\n"
    "  --weight KG     body weight (default: each model's own default, if it has one)\n"
    "  --age Y         age in years, for models that use it\n"
    "  --analyte A     what to compare (default: each model's first analyte, the parent)\n"
    "  --until T       simulate to T (default 24h); --every T output step (default 5min)\n"
    "  --out FILE      the curves as CSV (one column per model); --plot FILE a PNG or SVG\n"
    "\n"
    "example:\n"
    "  ketsim compare --model domino-1982,clements-1981,hijazi-2003 --weight 70 \\\n"
    "      --dose 0.5mg/kg --over 40min --plot compare.png\n";

#define MAX_CURVES 32

typedef struct curve {
    const ks_model *m;
    char route[64];
    char label[128];
    char column[192]; /* table column: label_cp_<analyte>_ng_ml */
    ks_sim *s;
    int out;
} curve;

typedef struct args {
    const char *dose_text, *route, *analyte, *out, *plot;
    double dose, over, until, every;
    ks_dim dose_dim;
    ks_covariates cov;
    double weight;
} args;

/* A positive quantity in `dim` (weight and age also as a plain number), within what
 * a person can be: weight up to 700 kg, age up to 130 y. */
static int quantity(const char *opt, const char *text, ks_dim dim, double *v)
{
    ks_error err = {0};
    int plain = dim == KS_DIM_WEIGHT || dim == KS_DIM_AGE;
    if (plain && cli_parse_plain("compare", opt, text, dim, v)) return 2;
    if (!plain && ks_quantity_parse(text, &dim, 1, opt, v, NULL, &err)) {
        cli_error("compare", "%s", err.msg);
        return 2;
    }
    double max = dim == KS_DIM_WEIGHT ? 700 : dim == KS_DIM_AGE ? 130 : INFINITY;
    if (!(*v > 0 || (dim == KS_DIM_AGE && *v == 0)) || !(*v <= max)) {
        cli_error("compare", "%s: %s is out of range", opt, text);
        return 2;
    }
    return 0;
}

static int parse(const cli_opt *o, size_t n, args *a)
{
    *a = (args){.route = "iv", .until = 24, .every = 5.0 / 60, .weight = NAN};
    a->dose_text = cli_get(o, n, "dose");
    if (!a->dose_text) {
        cli_error("compare", "--dose is required (e.g. --dose 0.5mg/kg)");
        return 2;
    }
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT};
    ks_error err = {0};
    if (ks_quantity_parse(a->dose_text, dims, 2, "--dose", &a->dose, &a->dose_dim, &err)) {
        cli_error("compare", "%s", err.msg);
        return 2;
    }
    if (!(a->dose > 0)) {
        cli_error("compare", "--dose: %s must be positive", a->dose_text);
        return 2;
    }
    const char *v;
    if ((v = cli_get(o, n, "weight"))) {
        if (quantity("--weight", v, KS_DIM_WEIGHT, &a->weight)) return 2;
        ks_covariates_set(&a->cov, "weight", a->weight, NULL);
    }
    if ((v = cli_get(o, n, "age"))) {
        double age;
        if (quantity("--age", v, KS_DIM_AGE, &age)) return 2;
        ks_covariates_set(&a->cov, "age", age, NULL);
    }
    if (a->dose_dim == KS_DIM_MASS_PER_WEIGHT && isnan(a->weight)) {
        cli_error("compare", "--dose %s is per kg: give --weight", a->dose_text);
        return 2;
    }
    if ((v = cli_get(o, n, "over")) && quantity("--over", v, KS_DIM_TIME, &a->over)) return 2;
    if ((v = cli_get(o, n, "until")) && quantity("--until", v, KS_DIM_TIME, &a->until)) return 2;
    if ((v = cli_get(o, n, "every")) && quantity("--every", v, KS_DIM_TIME, &a->every)) return 2;
    if (a->until / a->every > 2e6) {
        cli_error("compare", "--until / --every gives more than 2 million rows");
        return 2;
    }
    if ((v = cli_get(o, n, "route"))) a->route = v;
    a->analyte = cli_get(o, n, "analyte");
    a->out = cli_get(o, n, "out");
    a->plot = cli_get(o, n, "plot");
    return 0;
}

/* The routes of m to run for the route asked: itself, else its variants. */
static size_t routes_for(const ks_model *m, const char *want, const char **names, size_t max)
{
    if (ks_model_has_route(m, want)) {
        names[0] = want;
        return 1;
    }
    size_t k = 0, n = strlen(want);
    for (size_t i = 0; i < ks_model_n_routes(m) && k < max; i++) {
        const char *r = ks_model_route_name(m, i);
        if (strncmp(r, want, n) == 0 && r[n] == '-') names[k++] = r;
    }
    return k;
}

static int run_curve(curve *c, const args *a, const double *t, size_t nt)
{
    ks_error err = {0};
    double mg = a->dose_dim == KS_DIM_MASS_PER_WEIGHT ? a->dose * a->weight : a->dose;
    ks_dose d = {0, mg, a->over, c->route};
    char warn[1024];
    int nw = 0;
    const char *name = ks_model_name(c->m);
    if (ks_model_check_covariates(c->m, &a->cov, warn, sizeof warn, &nw, &err)) {
        cli_error("compare", "%s: %s", name, err.msg);
        return 2;
    }
    for (char *line = strtok(warn, "\n"); nw && line; line = strtok(NULL, "\n"))
        if (!strstr(line, "does not use")) fprintf(stderr, "ketsim compare: warning: %s\n", line);
    if (a->over > 0 && !ks_model_route_takes_duration(c->m, c->route)) {
        cli_error("compare", "--over: route %s of %s takes no infusion time", c->route, name);
        return 2;
    }
    if (ks_sim_create(c->m, &c->s, &err) || ks_sim_set_covariates(c->s, &a->cov, &err) ||
        ks_sim_add_dose(c->s, &d, &err) || ks_sim_set_times(c->s, t, nt, &err) ||
        ks_sim_run(c->s, &err)) {
        cli_error("compare", "%s (%s): %s", name, c->route, err.msg);
        return 2;
    }
    char col[96];
    const char *an = a->analyte ? a->analyte : ks_model_analyte_name(c->m, 0);
    snprintf(col, sizeof col, "cp_%s_ng_ml", an);
    c->out = ks_sim_output_index(c->s, col);
    snprintf(c->column, sizeof c->column, "%s_%s", c->label, col);
    for (char *p = c->column; *p; p++)
        if (*p == ' ') *p = '_';
    if (c->out < 0) {
        cli_error("compare", "--analyte: model %s has no plasma %s", name, an);
        return 2;
    }
    return 0;
}

static void summary(const curve *c, size_t n, const args *a)
{
    printf("%-24s %-26s %11s %9s %15s %15s %9s\n", "model", "route", "Cmax", "Tmax", "AUC0-until",
           "AUC0-inf", "t1/2");
    printf("%-24s %-26s %11s %9s %15s %15s %9s\n", "", "", "(ng/mL)", "(h)", "(ng*h/mL)",
           "(ng*h/mL)", "(h)");
    for (size_t i = 0; i < n; i++) {
        ks_summary s;
        ks_error err = {0};
        if (ks_summary_compute(c[i].s, (size_t)c[i].out, NAN, &s, &err)) continue;
        printf("%-24s %-26s %11.4g %9.3g %15.5g %15.5g %9.3g\n", ks_model_name(c[i].m), c[i].route,
               s.cmax, s.tmax, s.auc_last, s.auc_inf, s.t_half);
    }
    printf("\n%s, simulated to %g h. %s\n", a->dose_text, a->until, KS_DISCLAIMER);
}

static int write_outputs(const curve *c, size_t n, const args *a, const double *t, size_t nt)
{
    const char *names[MAX_CURVES];
    const double *cols[MAX_CURVES];
    ks_plot_series ser[MAX_CURVES];
    for (size_t i = 0; i < n; i++) {
        names[i] = c[i].column;
        cols[i] = ks_sim_output(c[i].s, (size_t)c[i].out);
        ser[i] = (ks_plot_series){.label = c[i].label, .x = t, .y = cols[i], .n = nt};
    }
    ks_error err = {0};
    if (a->out) {
        const char *keys[] = {"dose", "units", "note"};
        const char *vals[] = {a->dose_text, "time in h, concentrations in ng/mL", KS_DISCLAIMER};
        ks_table tb = {t, nt, names, cols, n, keys, vals, 3, NULL, NULL};
        if (ks_table_write(&tb, KS_FORMAT_CSV, a->out, NULL, &err)) {
            cli_error("compare", "--out %s: %s", a->out, err.msg);
            return 1;
        }
    }
    if (a->plot) {
        char title[160];
        snprintf(title, sizeof title, "%s %s%s: published models compared", a->dose_text, a->route,
                 a->over > 0 ? " infusion" : "");
        ks_plot_spec spec = {.title = title,
                             .subtitle = "plasma concentration of each model's parent drug",
                             .y_label = "concentration (ng/mL)",
                             .series = ser,
                             .n_series = n,
                             .threshold = NAN,
                             .footer = KS_DISCLAIMER};
        ks_plot_dose_mark mark = {0, a->over, NULL};
        spec.doses = &mark;
        spec.n_doses = 1;
        if (ks_plot_write(&spec, a->plot, &err)) {
            cli_error("compare", "--plot %s: %s", a->plot, err.msg);
            return 1;
        }
    }
    return 0;
}

static int load_all(const cli_opt *o, ks_model **models, size_t *nm)
{
    const char *dir = cli_models_dir();
    for (int i = 0; i < o->n_all; i++) {
        char *list = strdup(o->all[i]), *save = NULL;
        if (!list) return 2;
        for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            char path[4096];
            ks_error err = {0};
            if (*nm == MAX_CURVES) {
                cli_error("compare", "at most %d models", MAX_CURVES);
                free(list);
                return 2;
            }
            if (ks_model_find(name, dir, path, sizeof path, &err) ||
                ks_model_load(path, &models[*nm], &err)) {
                cli_error("compare", "--model %s: %s", name, err.msg);
                free(list);
                return 2;
            }
            (*nm)++;
        }
        free(list);
    }
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    cli_opt o[] = {{"model", 1, NULL, 0, NULL, 0, 1},   {"dose", 1, NULL, 0, NULL, 0, 0},
                   {"route", 1, NULL, 0, NULL, 0, 0},   {"over", 1, NULL, 0, NULL, 0, 0},
                   {"weight", 1, NULL, 0, NULL, 0, 0},  {"age", 1, NULL, 0, NULL, 0, 0},
                   {"analyte", 1, NULL, 0, NULL, 0, 0}, {"until", 1, NULL, 0, NULL, 0, 0},
                   {"every", 1, NULL, 0, NULL, 0, 0},   {"out", 1, NULL, 0, NULL, 0, 0},
                   {"plot", 1, NULL, 0, NULL, 0, 0}};
    size_t no = sizeof o / sizeof o[0];
    int help = 0;
    if (cli_parse(argc, argv, o, no, &help, "compare")) return 2;
    if (help) {
        fputs(HELP, stdout);
        cli_free_opts(o, no);
        return 0;
    }
    ks_model *models[MAX_CURVES];
    curve c[MAX_CURVES];
    size_t nm = 0, nc = 0, nt = 0;
    double *t = NULL;
    args a;
    int rc = parse(o, no, &a);
    if (!rc && !o[0].seen) {
        cli_error("compare", "give at least one --model (ketsim models lists them)");
        rc = 2;
    }
    if (!rc) rc = load_all(&o[0], models, &nm);
    if (!rc) {
        nt = (size_t)floor(a.until / a.every + 1e-9) + 1;
        t = malloc((nt + 1) * sizeof *t);
        if (!t) rc = 1;
        for (size_t i = 0; t && i < nt; i++)
            t[i] = (double)i * a.every;
        if (t && t[nt - 1] < a.until - 1e-9) t[nt++] = a.until;
    }
    for (size_t m = 0; m < nm && !rc; m++) {
        const char *routes[MAX_CURVES];
        size_t nr = routes_for(models[m], a.route, routes, MAX_CURVES);
        if (!nr) {
            cli_error("compare", "--route %s: model %s has no such route", a.route,
                      ks_model_name(models[m]));
            rc = 2;
        }
        for (size_t k = 0; k < nr && !rc; k++) {
            if (nc == MAX_CURVES) {
                cli_error("compare", "at most %d curves", MAX_CURVES);
                rc = 2;
                break;
            }
            curve *cv = &c[nc++];
            *cv = (curve){.m = models[m], .out = -1};
            snprintf(cv->route, sizeof cv->route, "%s", routes[k]);
            snprintf(cv->label, sizeof cv->label, "%s%s%s", ks_model_name(models[m]),
                     nr > 1 ? " " : "", nr > 1 ? routes[k] : "");
            rc = run_curve(cv, &a, t, nt);
        }
    }
    if (!rc) summary(c, nc, &a);
    if (!rc) rc = write_outputs(c, nc, &a, t, nt);
    for (size_t i = 0; i < nc; i++)
        ks_sim_free(c[i].s);
    for (size_t m = 0; m < nm; m++)
        ks_model_free(models[m]);
    free(t);
    cli_free_opts(o, no);
    return rc;
}
