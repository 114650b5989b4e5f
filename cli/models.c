/* ketsim models: list the shipped models, or show one in full. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: ketsim models [list]\n"
    "       ketsim models show NAME\n"
    "\n"
    "list   one line per shipped model: name, drug, routes, primary citation\n"
    "show   structure, every parameter with its unit as published, source and\n"
    "       verification level, covariates, population, validity range, sampling site\n"
    "\n"
    "examples:\n"
    "  ketsim models\n"
    "  ketsim models show domino-1982\n";

static void print_routes(const ks_model *m, FILE *f)
{
    for (size_t r = 0; r < ks_model_n_routes(m); r++)
        fprintf(f, "%s%s", r ? "," : "", ks_model_route_name(m, r));
}

static int list_models(const char *dir)
{
    char **names;
    size_t n;
    ks_error err = {0};
    if (ks_model_list(dir, &names, &n, &err)) {
        cli_error("models", "%s", err.msg);
        return 1;
    }
    printf("%-28s %-18s %-16s %s\n", "name", "drug", "routes", "source");
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        ks_model *m = NULL;
        if (ks_model_find(names[i], dir, path, sizeof path, &err) ||
            ks_model_load(path, &m, &err)) {
            cli_error("models", "%s", err.msg);
            bad = 1;
            continue;
        }
        ks_citation_info ci;
        cli_primary_citation(m, &ci);
        printf("%-28s %-18s ", ks_model_name(m), ks_model_drug(m));
        char routes[64] = "";
        FILE *mem = fmemopen(routes, sizeof routes - 1, "w");
        if (mem) {
            print_routes(m, mem);
            fclose(mem);
        }
        printf("%-16s %.60s%s doi:%s\n", routes, ci.text, strlen(ci.text) > 60 ? "..." : "",
               *ci.doi ? ci.doi : "(none)");
        ks_model_free(m);
    }
    ks_model_names_free(names, n);
    printf("\n%zu models in %s. `ketsim models show NAME` for the parameters and sources.\n", n,
           dir);
    return bad;
}

/* The between-patient variability ketsim trial draws, as variances and as CVs. */
static void show_variability(const ks_model *m)
{
    size_t n = ks_model_n_iiv(m);
    if (n == 0) {
        printf("\nvariability: none published (ketsim trial --iiv can assume some)\n");
        return;
    }
    double *om = malloc(n * n * sizeof *om);
    if (!om) return;
    ks_model_iiv_matrix(m, om);
    printf("\nvariability between patients (used by ketsim trial):\n");
    for (size_t k = 0; k < n; k++) {
        ks_iiv_info it;
        ks_model_iiv(m, k, &it);
        if (it.type == KS_IIV_LOGIT)
            printf("  %-12s logit, SD %.4g\n", it.name, sqrt(it.variance));
        else
            printf("  %-12s lognormal, omega^2 %.4g (CV %.1f %%)\n", it.name, it.variance,
                   100.0 * sqrt(expm1(it.variance)));
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (om[a * n + b] != 0.0) {
                ks_iiv_info ia, ib;
                ks_model_iiv(m, a, &ia);
                ks_model_iiv(m, b, &ib);
                printf("  covariance %s-%s %.4g (correlation %.2f)\n", ia.name, ib.name,
                       om[a * n + b], om[a * n + b] / sqrt(om[a * n + a] * om[b * n + b]));
            }
    free(om);
}

static void show_params(const ks_model *m)
{
    printf("\nparameters (as published; ketsim converts units):\n");
    printf("  %-12s %12s  %-10s %-20s %-20s %s\n", "name", "value", "unit", "source",
           "verification", "covariates");
    for (size_t i = 0; i < ks_model_n_params(m); i++) {
        ks_param_info p;
        ks_model_param(m, i, &p);
        printf("  %-12s %12.6g  %-10s %-20s %-20s %s\n", p.name, p.value, p.unit, p.source,
               p.verification, p.covariates);
        if (p.note) printf("  %-12s   note: %s\n", "", p.note);
        if (!isnan(p.rse_percent))
            printf("  %-12s   standard error of the estimate: %g %% (ketsim trial --uncertainty)\n",
                   "", p.rse_percent);
    }
    show_variability(m);
}

static void show_citations(const ks_model *m)
{
    printf("\nsources:\n");
    for (size_t i = 0; i < ks_model_n_citations(m); i++) {
        ks_citation_info c;
        ks_model_citation(m, i, &c);
        printf("  [%s] %s\n      doi: %s\n      read at: %s\n      verification: %s\n", c.key,
               c.text, *c.doi ? c.doi : "(none)", c.where_read, c.verification);
    }
}

static int show_model(const char *dir, const char *name)
{
    char path[4096];
    ks_error err = {0};
    ks_model *m = NULL;
    if (ks_model_find(name, dir, path, sizeof path, &err) || ks_model_load(path, &m, &err)) {
        cli_error("models", "%s", err.msg);
        return 1;
    }
    printf("%s: %s\n", ks_model_name(m), ks_model_title(m));
    printf("drug: %s\nfile: %s\n", ks_model_drug(m), ks_model_path(m));
    printf("population: %s\n", ks_model_population(m));
    printf("sampling site: %s\n", ks_model_sampling_site(m));
    double lo, hi;
    int any = 0;
    const char *covs[] = {"weight", "age"};
    const char *units[] = {"kg", "y"};
    for (int i = 0; i < 2; i++) {
        if (ks_model_validity(m, covs[i], &lo, &hi) == KS_OK) {
            printf("%s %s %g-%g %s", any ? "," : "validity:", covs[i], lo, hi, units[i]);
            any = 1;
        }
    }
    if (any)
        printf(" (%s)\n", ks_model_validity_note(m));
    else
        printf("validity: no range stated; see the model's notes\n");
    printf("\nstructure:\n%s", ks_model_structure_text(m));
    show_params(m);
    show_citations(m);
    ks_model_free(m);
    return 0;
}

int cmd_models(int argc, char **argv)
{
    const char *dir = cli_models_dir();
    if (argc == 0 || (argc == 1 && strcmp(argv[0], "list") == 0)) return list_models(dir);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(HELP, stdout);
        return 0;
    }
    if (strcmp(argv[0], "show") == 0) {
        if (argc != 2) {
            cli_error("models", "show needs one model name (see ketsim models)");
            return 2;
        }
        return show_model(dir, argv[1]);
    }
    cli_error("models", "unknown argument \"%s\" (list or show NAME)", argv[0]);
    return 2;
}
