/* ketsim validate: simulate every published study design with every model that
 * applies, and write the validation report (Markdown) and its plots. */
#include "cli.h"
#include "ketsim/validate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char HELP[] =
    "usage: ketsim validate [--data FILE] [--out REPORT.md] [--plot-dir DIR] [--model NAME]...\n"
    "\n"
    "Simulates the design of every published figure in the observation file (one row per\n"
    "figure: study arm, dose, route, analyte, Cmax, Tmax, AUC, F, CL or half-life) with\n"
    "every shipped model that applies (same drug and analyte, a route that gives it),\n"
    "and compares: fold error = predicted / observed. A row with a multi-dose design\n"
    "(column design, e.g. \"0h: 50mg sublingual | 6h: 20mg iv over 20min\", each part in\n"
    "the regimen grammar; column measured_from_h: the dose the figure follows) is\n"
    "simulated with every dose; a model lacking one of its routes does not apply.\n"
    "Verdicts: good within 1.25-fold, fair within 2-fold, poor beyond. Rows marked\n"
    "MISPRINT are shown, never scored.\n"
    "\n"
    "  --data FILE      observations (default: data/pk-observed.csv of the shipped data)\n"
    "  --out FILE       write the report there (Markdown); default: standard output\n"
    "  --plot-dir DIR   write one observed-versus-predicted plot per study and a summary\n"
    "                   plot there (PNG); the report links to them\n"
    "  --model NAME     only this model (repeatable); default: every shipped model\n"
    "\n"
    "examples:\n"
    "  ketsim validate --out docs/validation.md --plot-dir docs/validation   (make validate)\n"
    "  ketsim validate --model domino-1982\n";

#define MAX_MODELS 64
#define MAX_ROUTES 8

/* One scored comparison. */
typedef struct cmp {
    size_t obs;   /* row */
    size_t model; /* index in the loaded models */
    const char *route;
    ks_prediction p;
    double fold; /* predicted / observed; NaN when not scored */
    int na;      /* 1: the model does not apply to this multi-dose design (shown, not scored) */
} cmp;

typedef struct run {
    ks_model *models[MAX_MODELS];
    size_t n_models;
    ks_obs_set *obs;
    cmp *c;
    size_t n, cap;
    size_t n_na;
    char (*why_not)[160]; /* per figure: why the last model that was tried does not apply */
} run;

static const char *verdict(double fold)
{
    if (!isfinite(fold)) return "not scored";
    double f = fold >= 1 ? fold : 1 / fold;
    return f <= 1.25 ? "good" : f <= 2.0 ? "fair" : "poor";
}

static int load_models(run *r, const cli_opt *opts, size_t n_opts)
{
    const char *dir = cli_models_dir();
    ks_error err = {0};
    char **names = NULL;
    size_t n = 0;
    const cli_opt *only = NULL;
    for (size_t i = 0; i < n_opts; i++)
        if (strcmp(opts[i].name, "model") == 0 && opts[i].seen) only = &opts[i];
    if (only) {
        names = (char **)only->all;
        n = (size_t)only->n_all;
    } else if (ks_model_list(dir, &names, &n, &err)) {
        cli_error("validate", "%s", err.msg);
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char path[4096];
        if (r->n_models == MAX_MODELS) {
            cli_error("validate", "more than %d models", MAX_MODELS);
            rc = 1;
        } else if (ks_model_find(names[i], dir, path, sizeof path, &err) ||
                   ks_model_load(path, &r->models[r->n_models], &err)) {
            cli_error("validate", "--model %s: %s", names[i], err.msg);
            rc = 1;
        } else {
            r->n_models++;
        }
    }
    if (!only) ks_model_names_free(names, n);
    return rc;
}

static int add(run *r, const cmp *c)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 256;
        cmp *nw = realloc(r->c, nc * sizeof *nw);
        if (!nw) return 1;
        r->c = nw;
        r->cap = nc;
    }
    r->c[r->n++] = *c;
    return 0;
}

/* Comparisons shown only to say that the model does not apply to a design. */
static size_t n_shown_na(const run *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += (size_t)r->c[i].na;
    return n;
}

/* Every observation against every model and matching route. */
static int compare_all(run *r)
{
    ks_error err = {0};
    size_t n_obs = ks_obs_count(r->obs);
    for (size_t i = 0; i < n_obs; i++) {
        const ks_obs *o = ks_obs_get(r->obs, i);
        for (size_t m = 0; m < r->n_models; m++) {
            const char *routes[MAX_ROUTES];
            size_t nr = ks_validate_routes(r->models[m], o, routes, MAX_ROUTES);
            for (size_t k = 0; k < nr; k++) {
                cmp c = {i, m, routes[k], {0}, NAN, 0};
                if (ks_validate_predict(r->models[m], o, routes[k], &c.p, &err)) {
                    cli_error("validate", "%s line %d with %s (%s): %s", o->study_id, o->line,
                              ks_model_name(r->models[m]), routes[k], err.msg);
                    return 1;
                }
                if (!c.p.applies) {
                    r->n_na++;
                    snprintf(r->why_not[i], sizeof r->why_not[i], "%.40s: %.110s",
                             ks_model_name(r->models[m]), c.p.reason);
                    /* A design the model cannot simulate whole is shown with the reason. */
                    c.na = o->n_design > 0;
                    if (c.na && add(r, &c)) {
                        cli_error("validate", "out of memory");
                        return 1;
                    }
                    continue;
                }
                if (!ks_obs_is_misprint(o)) c.fold = c.p.value / o->value;
                if (add(r, &c)) {
                    cli_error("validate", "out of memory");
                    return 1;
                }
            }
        }
        if (isatty(fileno(stderr))) fprintf(stderr, "\rvalidate: %zu of %zu figures", i + 1, n_obs);
    }
    fprintf(stderr, "%svalidate: %zu figures x %zu models: %zu comparisons\n",
            isatty(fileno(stderr)) ? "\n" : "", n_obs, r->n_models, r->n - n_shown_na(r));
    return 0;
}

/* ---------------------------------------------------------------- report */

static void quantity_text(const ks_obs *o, char *buf, size_t size)
{
    if (strcmp(o->quantity, "auc_0_t") == 0)
        snprintf(buf, size, "AUC 0-%g h", o->auc_end_h);
    else if (strcmp(o->quantity, "auc_inf") == 0)
        snprintf(buf, size, "AUC 0-inf");
    else if (strcmp(o->quantity, "auc") == 0)
        snprintf(buf, size, "AUC");
    else if (strcmp(o->quantity, "f") == 0)
        snprintf(buf, size, "F");
    else if (strcmp(o->quantity, "cl") == 0)
        snprintf(buf, size, "CL");
    else if (strcmp(o->quantity, "t_half") == 0)
        snprintf(buf, size, "t1/2");
    else if (strcmp(o->quantity, "cmax") == 0)
        snprintf(buf, size, "Cmax");
    else if (strcmp(o->quantity, "tmax") == 0)
        snprintf(buf, size, "Tmax");
    else
        snprintf(buf, size, "%s", o->quantity);
}

/* Markdown table cells must not contain a bare '|'. */
static void cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void dose_text(const ks_obs *o, char *buf, size_t size)
{
    if (o->n_design) {
        snprintf(buf, size, "%s; figure from %g h", o->design, o->measured_from_h);
        return;
    }
    char inf[48] = "";
    if (isnan(o->infusion_min) && strcmp(o->route, "iv") == 0)
        snprintf(inf, sizeof inf, ", infusion time not stated");
    else if (o->infusion_min > 0)
        snprintf(inf, sizeof inf, " over %g min", o->infusion_min);
    if (!isnan(o->dose_mg))
        snprintf(buf, size, "%g mg %s%s", o->dose_mg, o->route, inf);
    else if (isnan(o->dose_mg_per_kg))
        snprintf(buf, size, "%s, dose not stated", o->route);
    else
        snprintf(buf, size, "%g mg/kg %s%s", o->dose_mg_per_kg, o->route, inf);
}

static void header(FILE *f, const run *r, const char *data_path)
{
    fprintf(f, "# Validation report\n\n");
    fprintf(f,
            "Generated by `ketsim validate` (`make validate`) from `%s` and the %zu shipped "
            "models. **Do not edit by hand**: `make test` fails when this file differs from "
            "what the command writes.\n\n",
            data_path, r->n_models);
    fprintf(f, "This report covers concentrations. The acute-effect models (NMDA occupancy, "
               "dissociation, blood pressure, sedation) are checked against their published "
               "figures in [validation-acute.md](validation-acute.md) (`ketsim pd-validate`), and "
               "the lateral habenula circuit against the published findings in "
               "[circuit-validation.md](circuit-validation.md) (`ketsim circuit validate`); "
               "`make validate` writes these three. The antidepressant response model's "
               "calibration and leave-one-study-out cross-validation are in "
               "[validation-response.md](validation-response.md) (`make validate-response`, "
               "about an hour on two cores).\n\n");
    fprintf(f, "Each row simulates the design of one published figure (dose, route, infusion "
               "time, mean weight; 70 kg where the study gives none) with one model and "
               "compares it. **Metric**: fold error = predicted / observed. **Criterion**: "
               "*good* within 1.25-fold, *fair* within 2-fold, *poor* beyond. Rows marked "
               "MISPRINT in the data are shown and not scored. A figure's verification level "
               "(full-text table, abstract, secondary) is given with it: a secondary figure is "
               "a weak anchor, and a model checked only against its own source's summary "
               "figures is not thereby validated.\n\n");
    fprintf(f, "Caveats that explain most misses: arterial samples peak higher than venous "
               "ones during and just after an infusion; paediatric models scaled to adults "
               "are extrapolations (marked *extrapolated*); a study's AUC interval is not "
               "always stated (then AUC 0-inf is compared).\n\n");
    fprintf(f, "A figure measured in a multi-dose design (the data's `design` column: an oral "
               "thin film, then an infusion 6 h later, say) is simulated with every dose of the "
               "design and measured from the dose it follows (`measured_from_h`): Cmax and Tmax "
               "up to the next dose, AUC from that dose on. A model that lacks a route of the "
               "design does not apply to that figure: the design is never simulated with a "
               "dose left out.\n\n");
}

static void model_summary(FILE *f, const run *r)
{
    fprintf(f, "## Summary by model\n\n");
    fprintf(f, "| model | drug | sampling | figures scored | good | fair | poor | median fold "
               "| worst fold |\n|---|---|---|---|---|---|---|---|---|\n");
    for (size_t m = 0; m < r->n_models; m++) {
        size_t n = 0, good = 0, fair = 0, poor = 0;
        double *folds = malloc((r->n + 1) * sizeof *folds), worst = 1;
        if (!folds) return;
        for (size_t i = 0; i < r->n; i++) {
            const cmp *c = &r->c[i];
            if (c->model != m || !isfinite(c->fold)) continue;
            folds[n++] = c->fold;
            const char *v = verdict(c->fold);
            good += v[0] == 'g';
            fair += v[0] == 'f';
            poor += v[0] == 'p';
            double a = c->fold >= 1 ? c->fold : 1 / c->fold, b = worst >= 1 ? worst : 1 / worst;
            if (a > b) worst = c->fold;
        }
        for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
            for (size_t j = i; j > 0 && folds[j - 1] > folds[j]; j--) {
                double t = folds[j];
                folds[j] = folds[j - 1];
                folds[j - 1] = t;
            }
        const ks_model *md = r->models[m];
        fprintf(f, "| `%s` | %s | %s | %zu | %zu | %zu | %zu |", ks_model_name(md),
                ks_model_drug(md), ks_model_sampling_site(md), n, good, fair, poor);
        if (n)
            fprintf(f, " %.3g | %.3g |\n",
                    n % 2 ? folds[n / 2] : sqrt(folds[n / 2 - 1] * folds[n / 2]), worst);
        else
            fprintf(f, " - | - |\n");
        free(folds);
    }
    fprintf(f, "\nA model with no scored figure has no published observation of its drug, "
               "route and analyte in the data yet: it is checked only against its own source "
               "(tests/validation/).\n\n");
}

static int same_study(const ks_obs *a, const ks_obs *b)
{
    return strcmp(a->study_id, b->study_id) == 0;
}

static void study_rows(FILE *f, const run *r, const char *study)
{
    fprintf(f, "| arm | design | analyte | quantity | observed | model (route) | predicted | "
               "fold | verdict | note |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ks_obs_count(r->obs); i++) {
        const ks_obs *o = ks_obs_get(r->obs, i);
        if (strcmp(o->study_id, study) != 0) continue;
        char q[48], d[300];
        quantity_text(o, q, sizeof q);
        dose_text(o, d, sizeof d);
        int any = 0;
        for (size_t k = 0; k < r->n; k++) {
            const cmp *c = &r->c[k];
            if (c->obs != i) continue;
            any = 1;
            fprintf(f, "| %s | ", o->arm);
            cell(f, d);
            fprintf(f, " | %s | %s | %.3g %s | `%s` (%s) | ", o->analyte, q, o->value, o->unit,
                    ks_model_name(r->models[c->model]), c->route);
            if (c->na) {
                fprintf(f, "- | - | not applicable | ");
                cell(f, c->p.reason);
                fprintf(f, " |\n");
                continue;
            }
            fprintf(f, "%.3g | ", c->p.value);
            if (isfinite(c->fold))
                fprintf(f, "%.2f | %s | ", c->fold, verdict(c->fold));
            else
                fprintf(f, "- | misprint, not scored | ");
            const char *sep = "";
            if (c->p.extrapolated) fprintf(f, "%sextrapolated", sep), sep = "; ";
            if (c->p.weight_assumed) fprintf(f, "%s70 kg assumed", sep), sep = "; ";
            if (*c->p.reason) fprintf(f, "%s", sep), cell(f, c->p.reason);
            fprintf(f, " |\n");
        }
        if (!any) {
            fprintf(f, "| %s | ", o->arm);
            cell(f, d);
            fprintf(f, " | %s | %s | %.3g %s | no model applies | - | - | - | %s |\n", o->analyte,
                    q, o->value, o->unit,
                    ks_obs_is_misprint(o) ? "misprint, not scored"
                    : r->why_not[i][0]    ? r->why_not[i]
                                          : "no shipped model has this analyte of this drug by "
                                            "this route");
        }
    }
}

static void study_design(FILE *f, const ks_obs *o)
{
    fprintf(f, "### %s\n\n", o->study_id);
    fprintf(f, "%s", "");
    cell(f, o->citation);
    if (*o->doi) fprintf(f, ", doi:%s", o->doi);
    fprintf(f, ". Population: ");
    cell(f, *o->population ? o->population : "not stated");
    fprintf(f, "; sampling: %s; read in: ", o->sampling_site);
    cell(f, o->where_read);
    fprintf(f, " (%s).\n\n", o->verification);
}

static void study_sections(FILE *f, const run *r, const char *plot_link)
{
    fprintf(f, "## Studies\n\n");
    size_t n = ks_obs_count(r->obs);
    for (size_t i = 0; i < n; i++) {
        const ks_obs *o = ks_obs_get(r->obs, i);
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            if (same_study(ks_obs_get(r->obs, j), o)) first = 0;
        if (!first) continue;
        study_design(f, o);
        study_rows(f, r, o->study_id);
        if (plot_link) fprintf(f, "\n![%s](%s/%s.png)\n", o->study_id, plot_link, o->study_id);
        fprintf(f, "\n");
    }
}

/* For each figure predicted by two or more models: lowest and highest prediction. */
static void disagreement(FILE *f, const run *r)
{
    fprintf(f, "## Where models disagree with each other\n\n");
    fprintf(f, "Each figure predicted by two or more models, with the spread between the "
               "lowest and highest prediction (highest / lowest), largest first.\n\n");
    fprintf(f, "| study / arm | analyte | quantity | observed | lowest (model route) | highest "
               "(model route) "
               "| spread |\n|---|---|---|---|---|---|---|\n");
    size_t n = ks_obs_count(r->obs);
    double *spread = calloc(n + 1, sizeof *spread);
    size_t *lo = calloc(n + 1, sizeof *lo), *hi = calloc(n + 1, sizeof *hi);
    if (!spread || !lo || !hi) goto done;
    for (size_t i = 0; i < n; i++) {
        size_t cnt = 0;
        for (size_t k = 0; k < r->n; k++) {
            if (r->c[k].obs != i || r->c[k].na) continue;
            if (!cnt || r->c[k].p.value < r->c[lo[i]].p.value) lo[i] = k;
            if (!cnt || r->c[k].p.value > r->c[hi[i]].p.value) hi[i] = k;
            cnt++;
        }
        spread[i] = cnt >= 2 ? r->c[hi[i]].p.value / r->c[lo[i]].p.value : 0;
    }
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (spread[i] > 0 && (best == n || spread[i] > spread[best])) best = i;
        if (best == n) break;
        const ks_obs *o = ks_obs_get(r->obs, best);
        char q[48];
        quantity_text(o, q, sizeof q);
        const cmp *a = &r->c[lo[best]], *b = &r->c[hi[best]];
        fprintf(f, "| %s / %s | %s | %s | %.3g %s | %.3g (`%s` %s) | %.3g (`%s` %s) | %.2f |\n",
                o->study_id, o->arm, o->analyte, q, o->value, o->unit, a->p.value,
                ks_model_name(r->models[a->model]), a->route, b->p.value,
                ks_model_name(r->models[b->model]), b->route, spread[best]);
        spread[best] = 0;
    }
done:
    fprintf(f, "\n");
    free(spread);
    free(lo);
    free(hi);
}

/* ----------------------------------------------------------------- plots */

/* One scatter of observed against predicted for the comparisons that pass `keep`. */
static int plot_where(const run *r, const char *study, const char *path, const char *title)
{
    ks_plot_points g[MAX_MODELS];
    double *x = malloc((r->n + 1) * sizeof *x), *y = malloc((r->n + 1) * sizeof *y);
    size_t ng = 0, used = 0;
    int rc = 0;
    if (!x || !y) rc = 1;
    for (size_t m = 0; m < r->n_models && !rc; m++) {
        size_t start = used;
        for (size_t k = 0; k < r->n; k++) {
            const cmp *c = &r->c[k];
            const ks_obs *o = ks_obs_get(r->obs, c->obs);
            if (c->model != m || !isfinite(c->fold)) continue;
            if (study && strcmp(o->study_id, study) != 0) continue;
            x[used] = o->value;
            y[used++] = c->p.value;
        }
        if (used > start)
            g[ng++] =
                (ks_plot_points){ks_model_name(r->models[m]), x + start, y + start, used - start};
    }
    if (!rc && ng) {
        static const double folds[] = {1.25, 2.0};
        ks_plot_scatter_spec spec = {title,
                                     "each figure in its published unit; lines: identity, "
                                     "1.25-fold (dashed), 2-fold (dotted)",
                                     "observed",
                                     "predicted",
                                     g,
                                     ng,
                                     folds,
                                     2,
                                     NULL,
                                     0,
                                     0};
        ks_error err = {0};
        if (ks_plot_scatter_write(&spec, path, &err)) {
            cli_error("validate", "%s", err.msg);
            rc = 1;
        }
    }
    free(x);
    free(y);
    return rc;
}

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return 0;
    cli_error("validate", "--plot-dir %s: cannot create (%s)", dir, strerror(errno));
    return 1;
}

static int plots(const run *r, const char *dir)
{
    if (make_dir(dir)) return 1;
    char path[4096], title[160];
    snprintf(path, sizeof path, "%s/summary.png", dir);
    if (plot_where(r, NULL, path, "All studies: predicted against observed")) return 1;
    for (size_t i = 0; i < ks_obs_count(r->obs); i++) {
        const ks_obs *o = ks_obs_get(r->obs, i);
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            if (same_study(ks_obs_get(r->obs, j), o)) first = 0;
        if (!first) continue;
        snprintf(path, sizeof path, "%s/%s.png", dir, o->study_id);
        snprintf(title, sizeof title, "%s: predicted against observed", o->study_id);
        if (plot_where(r, o->study_id, path, title)) return 1;
    }
    return 0;
}

/* The plot folder as the report should link it: relative to the report's folder when
 * inside it. */
static const char *link_of(const char *out, const char *plot_dir, char *buf, size_t size)
{
    const char *slash = out ? strrchr(out, '/') : NULL;
    size_t n = slash ? (size_t)(slash - out) + 1 : 0;
    if (n && strncmp(plot_dir, out, n) == 0) return plot_dir + n;
    if (!n && plot_dir[0] != '/') return plot_dir;
    snprintf(buf, size, "%s", plot_dir);
    return buf;
}

static int write_report(const run *r, const char *out, const char *data_path, const char *link)
{
    FILE *f = stdout;
    char tmp[4200];
    ks_error err = {0};
    if (out && ks_atomic_open(out, &f, tmp, sizeof tmp, &err)) {
        cli_error("validate", "%s", err.msg);
        return 1;
    }
    header(f, r, data_path);
    model_summary(f, r);
    if (link) fprintf(f, "![all studies](%s/summary.png)\n\n", link);
    disagreement(f, r);
    study_sections(f, r, link);
    fprintf(f,
            "%zu comparisons scored or shown; %zu model-figure pairs did not apply (another "
            "design than the model can simulate, e.g. no IV route for F).\n",
            r->n - n_shown_na(r), r->n_na);
    if (out && ks_atomic_commit(f, tmp, out, &err)) {
        cli_error("validate", "%s", err.msg);
        return 1;
    }
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    cli_opt opts[] = {{"data", 1, NULL, 0, NULL, 0, 0},
                      {"out", 1, NULL, 0, NULL, 0, 0},
                      {"plot-dir", 1, NULL, 0, NULL, 0, 0},
                      {"model", 1, NULL, 0, NULL, 0, 1}};
    size_t n_opts = sizeof opts / sizeof opts[0];
    int help = 0;
    if (cli_parse(argc, argv, opts, n_opts, &help, "validate")) return 2;
    if (help) {
        fputs(HELP, stdout);
        cli_free_opts(opts, n_opts);
        return 0;
    }
    char data[4096];
    const char *given = cli_get(opts, n_opts, "data");
    if (given)
        snprintf(data, sizeof data, "%s", given);
    else
        snprintf(data, sizeof data, "%s/pk-observed.csv", cli_data_dir());
    run r = {0};
    ks_error err = {0};
    int rc = 0;
    if (ks_obs_read(data, &r.obs, &err)) {
        cli_error("validate", "%s", err.msg);
        rc = 2;
    }
    if (!rc && load_models(&r, opts, n_opts)) rc = 2;
    if (!rc && !(r.why_not = calloc(ks_obs_count(r.obs) + 1, sizeof *r.why_not))) rc = 1;
    if (!rc && compare_all(&r)) rc = 1;
    const char *out = cli_get(opts, n_opts, "out"), *dir = cli_get(opts, n_opts, "plot-dir");
    char buf[4096];
    const char *link = dir ? link_of(out, dir, buf, sizeof buf) : NULL;
    if (!rc && dir && plots(&r, dir)) rc = 1;
    /* The report names the data file as given, so it reads the same on every machine. */
    if (!rc && write_report(&r, out, given ? given : "data/pk-observed.csv", link)) rc = 1;
    if (!rc && out)
        fprintf(stderr, "validate: report written to %s%s%s\n", out, dir ? ", plots to " : "",
                dir ? dir : "");
    for (size_t m = 0; m < r.n_models; m++)
        ks_model_free(r.models[m]);
    ks_obs_free(r.obs);
    free(r.c);
    free(r.why_not);
    cli_free_opts(opts, n_opts);
    return rc;
}
