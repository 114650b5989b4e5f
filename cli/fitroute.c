/* ketsim fit-route: estimate a route's absorption parameter from a published Tmax. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: ketsim fit-route --model NAME --route R --param P --tmax T --dose AMOUNT\n"
    "                        [--weight W] [--age A] [--covariate K=V] [--bracket LO,HI]\n"
    "\n"
    "Many sources give a route's bioavailability and time of peak (Tmax) but not its\n"
    "absorption rate. fit-route finds the value of one parameter of the model (the\n"
    "route's absorption rate constant, or a lag or duration) that makes the simulated\n"
    "Tmax of the dose's analyte in plasma equal the published Tmax, for one dose given\n"
    "at time 0. It prints the estimate with its unit, the Tmax achieved, and the exact\n"
    "command to record in the model file's note (verification \"estimated\").\n"
    "\n"
    "  --model NAME      a shipped model name or a path to a model file\n"
    "  --route R         the route whose Tmax is published (e.g. sublingual)\n"
    "  --param P         the free parameter: a rate constant (1/h, 1/min) or a time\n"
    "  --tmax T          the published Tmax, with its unit (\"0.75h\", \"14min\"), > 0\n"
    "  --dose AMOUNT     the dose of the source's arm: mg (\"25mg\") or mg/kg\n"
    "  --weight W        body weight in kg; needed for mg/kg doses and for models that\n"
    "                    declare weight (for a linear model it changes Tmax only through\n"
    "                    covariate relations that differ between parameters)\n"
    "  --age A           age in years\n"
    "  --covariate K=V   any other covariate the model declares\n"
    "  --bracket LO,HI   search interval with units (\"0.01/h,100/h\", \"1min,2h\");\n"
    "                    default 0.001/h,1000/h for a rate constant, 0.001h,1000h for a\n"
    "                    time\n"
    "\n"
    "Method: bisection on the logarithm of the parameter over the bracket, until the\n"
    "bracket's relative width is below 1e-12; Tmax is found on the exact solution (not\n"
    "an output grid). Tmax must be monotone in the parameter over the bracket, which\n"
    "holds for a first-order absorption rate (faster absorption peaks earlier) and a\n"
    "lag; the result is checked: the achieved Tmax must be within 1e-6 h of the target.\n"
    "A target no value in the bracket reaches (shorter than the fastest absorption\n"
    "allows, or longer than the bracket's slowest) is an error that gives the range.\n"
    "\n"
    "examples:\n"
    "  ketsim fit-route --model racemic-routes-domino-1982 --route sublingual \\\n"
    "      --param ka_sl --tmax 0.75h --dose 25mg --weight 70\n"
    "  ketsim fit-route --model racemic-routes-domino-1982 --route intranasal-phar2022 \\\n"
    "      --param ka_nasal --tmax 14min --dose 30mg --weight 70\n"
    "\n"
    "Exit status: 0 estimated; 2 bad input or a target that cannot be reached; 1 a\n"
    "numerical failure.\n";

enum { O_MODEL, O_ROUTE, O_PARAM, O_TMAX, O_DOSE, O_WEIGHT, O_AGE, O_COV, O_BRACKET, O_COUNT };

#define CMD "fit-route"

static int parse_patient(const cli_opt *o, ks_covariates *cov, double *weight)
{
    *weight = NAN;
    if (o[O_WEIGHT].value) {
        if (cli_parse_plain(CMD, "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, weight)) return 2;
        if (!(*weight > 0) || *weight > 700) {
            cli_error(CMD, "--weight: %s kg is not a possible body weight", o[O_WEIGHT].value);
            return 2;
        }
        ks_covariates_set(cov, "weight", *weight, NULL);
    }
    if (o[O_AGE].value) {
        double age;
        if (cli_parse_plain(CMD, "--age", o[O_AGE].value, KS_DIM_AGE, &age)) return 2;
        if (!(age >= 0) || age > 130) {
            cli_error(CMD, "--age: %s years is not a possible age", o[O_AGE].value);
            return 2;
        }
        ks_covariates_set(cov, "age", age, NULL);
    }
    for (int i = 0; i < o[O_COV].n_all; i++) {
        const char *kv = o[O_COV].all[i], *eq = strchr(kv, '=');
        char name[32], *end;
        ks_error err = {0};
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof name) {
            cli_error(CMD, "--covariate: \"%s\" is not NAME=VALUE", kv);
            return 2;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
        if (strcmp(name, "weight") == 0 || strcmp(name, "age") == 0) {
            cli_error(CMD, "--covariate %s: give it with --%s", name, name);
            return 2;
        }
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v)) {
            cli_error(CMD, "--covariate %s: \"%s\" is not a number", name, eq + 1);
            return 2;
        }
        if (ks_covariates_set(cov, name, v, &err)) {
            cli_error(CMD, "--covariate: %s", err.msg);
            return 2;
        }
    }
    return 0;
}

/* --dose in mg or mg/kg (then --weight is needed). */
static int parse_dose(const char *text, double weight, double *mg)
{
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT}, d;
    ks_error err = {0};
    double v;
    if (ks_quantity_parse(text, dims, 2, "--dose", &v, &d, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    if (!(v > 0)) {
        cli_error(CMD, "--dose: %s must be positive", text);
        return 2;
    }
    if (d == KS_DIM_MASS_PER_WEIGHT) {
        if (isnan(weight)) {
            cli_error(CMD, "--dose %s is per kg: give --weight", text);
            return 2;
        }
        v *= weight;
    }
    *mg = v;
    return 0;
}

/* --bracket LO,HI in the parameter's dimension. */
static int parse_bracket(const char *text, ks_dim dim, double *lo, double *hi)
{
    const char *comma = strchr(text, ',');
    char a[64], b[64];
    if (!comma || comma == text || !comma[1] || strchr(comma + 1, ',') ||
        (size_t)(comma - text) >= sizeof a || strlen(comma + 1) >= sizeof b) {
        cli_error(CMD, "--bracket: \"%s\" is not LOW,HIGH (e.g. 0.01/h,100/h)", text);
        return 2;
    }
    snprintf(a, sizeof a, "%.*s", (int)(comma - text), text);
    snprintf(b, sizeof b, "%s", comma + 1);
    ks_error err = {0};
    if (ks_quantity_parse(a, &dim, 1, "--bracket", lo, NULL, &err) ||
        ks_quantity_parse(b, &dim, 1, "--bracket", hi, NULL, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    if (!(*lo > 0) || !(*hi > *lo)) {
        cli_error(CMD, "--bracket: \"%s\" needs 0 < LOW < HIGH", text);
        return 2;
    }
    return 0;
}

static int load_model(const char *name, ks_model **m)
{
    char path[4096];
    ks_error err = {0};
    if (ks_model_find(name, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, m, &err)) {
        cli_error(CMD, "--model: %s", err.msg);
        return 2;
    }
    return 0;
}

static void route_names(const ks_model *m, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t r = 0; r < ks_model_n_routes(m) && used < n; r++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", r ? ", " : "",
                                 ks_model_route_name(m, r));
}

/* The parameter's published unit and dimension; 2 (printed) when there is none. */
static int param_dim(const ks_model *m, const char *name, ks_dim *dim)
{
    for (size_t i = 0; i < ks_model_n_params(m); i++) {
        ks_param_info p;
        ks_model_param(m, i, &p);
        if (strcmp(p.name, name) == 0) {
            double f;
            ks_unit_lookup(p.unit, dim, &f, NULL);
            if (*dim != KS_DIM_RATE && *dim != KS_DIM_TIME) {
                cli_error(CMD,
                          "--param %s: a %s (\"%s\"); fit-route estimates a rate constant or a "
                          "time",
                          name, ks_dim_name(*dim), p.unit);
                return 2;
            }
            return 0;
        }
    }
    cli_error(CMD, "--param %s: model %s has no such parameter (see ketsim models show %s)", name,
              ks_model_name(m), ks_model_name(m));
    return 2;
}

static void print_command(const cli_opt *o)
{
    printf("  ketsim fit-route --model %s --route %s --param %s --tmax %s --dose %s",
           o[O_MODEL].value, o[O_ROUTE].value, o[O_PARAM].value, o[O_TMAX].value, o[O_DOSE].value);
    if (o[O_WEIGHT].value) printf(" --weight %s", o[O_WEIGHT].value);
    if (o[O_AGE].value) printf(" --age %s", o[O_AGE].value);
    for (int i = 0; i < o[O_COV].n_all; i++)
        printf(" --covariate %s", o[O_COV].all[i]);
    if (o[O_BRACKET].value) printf(" --bracket %s", o[O_BRACKET].value);
    printf("\n");
}

static int run(const cli_opt *o)
{
    static const int required[] = {O_MODEL, O_ROUTE, O_PARAM, O_TMAX, O_DOSE};
    for (size_t k = 0; k < sizeof required / sizeof *required; k++) {
        if (!o[required[k]].value) {
            cli_error(CMD, "--%s is required (see ketsim fit-route --help)", o[required[k]].name);
            return 2;
        }
    }
    ks_covariates cov = {0};
    double weight, dose_mg, tmax_h;
    ks_dim tdim = KS_DIM_TIME;
    ks_error err = {0};
    if (parse_patient(o, &cov, &weight)) return 2;
    if (ks_quantity_parse(o[O_TMAX].value, &tdim, 1, "--tmax", &tmax_h, NULL, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    if (!(tmax_h > 0)) {
        cli_error(CMD, "--tmax: %s must be positive", o[O_TMAX].value);
        return 2;
    }
    if (parse_dose(o[O_DOSE].value, weight, &dose_mg)) return 2;
    ks_model *m = NULL;
    if (load_model(o[O_MODEL].value, &m)) return 2;
    int rc = 2;
    ks_dim pdim;
    char names[512];
    route_names(m, names, sizeof names);
    ks_fit_spec spec = {o[O_ROUTE].value, dose_mg, &cov, o[O_PARAM].value, tmax_h, 0, 0};
    ks_fit_result r;
    if (!ks_model_has_route(m, spec.route)) {
        cli_error(CMD, "--route %s: model %s has no such route (it has: %s)", spec.route,
                  ks_model_name(m), names);
        goto done;
    }
    if (param_dim(m, spec.param, &pdim)) goto done;
    if (o[O_BRACKET].value && parse_bracket(o[O_BRACKET].value, pdim, &spec.lo, &spec.hi))
        goto done;
    if (ks_model_check_covariates(m, &cov, NULL, 0, NULL, &err)) {
        cli_error(CMD, "%s", err.msg);
        goto done;
    }
    int frc = ks_fit_solve_tmax(m, &spec, &r, &err);
    if (frc) {
        cli_error(CMD, "%s", err.msg);
        rc = frc == KS_ENUMERIC || frc == KS_ENOMEM ? 1 : 2;
        goto done;
    }
    printf("%s = %.6g %s", spec.param, r.value_published, r.unit);
    if (strcmp(r.unit, r.unit_internal)) printf(" (%.6g %s)", r.value, r.unit_internal);
    printf("\n");
    printf("  model %s, route %s, one dose of %.6g mg at time 0", ks_model_name(m), spec.route,
           dose_mg);
    if (!isnan(weight)) printf(", weight %.6g kg", weight);
    printf("\n  target Tmax %.6g min (%s); achieved Tmax %.4f min\n", tmax_h * 60, o[O_TMAX].value,
           r.tmax_h * 60);
    printf("  method: bisection on log(%s) over [%g, %g] %s (Tmax %.4g min to %.4g min);\n"
           "          stopped at relative bracket width %g after %d simulations; Tmax on the\n"
           "          exact solution (ketsim %s)\n",
           spec.param, r.lo, r.hi, r.unit_internal, r.tmax_lo * 60, r.tmax_hi * 60, r.rel_tol,
           r.n_sims, KS_VERSION);
    if (pdim == KS_DIM_RATE)
        printf("  absorption half-life: ln 2 / %s = %.6g min\n", spec.param,
               log(2.0) / r.value * 60);
    printf("record in the model file (verification \"estimated\"; round to 6 significant "
           "figures):\n  \"value\": %.6g, \"unit\": \"%s\", estimated by:\n",
           r.value_published, r.unit);
    print_command(o);
    rc = 0;
done:
    ks_model_free(m);
    return rc;
}

int cmd_fit_route(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        [O_MODEL] = {"model", 1, NULL, 0, NULL, 0, 0},
        [O_ROUTE] = {"route", 1, NULL, 0, NULL, 0, 0},
        [O_PARAM] = {"param", 1, NULL, 0, NULL, 0, 0},
        [O_TMAX] = {"tmax", 1, NULL, 0, NULL, 0, 0},
        [O_DOSE] = {"dose", 1, NULL, 0, NULL, 0, 0},
        [O_WEIGHT] = {"weight", 1, NULL, 0, NULL, 0, 0},
        [O_AGE] = {"age", 1, NULL, 0, NULL, 0, 0},
        [O_COV] = {"covariate", 1, NULL, 0, NULL, 0, 1},
        [O_BRACKET] = {"bracket", 1, NULL, 0, NULL, 0, 0},
    };
    int help = 0;
    int rc = cli_parse(argc, argv, o, O_COUNT, &help, CMD);
    if (!rc && help) fputs(HELP, stdout);
    if (!rc && !help) rc = run(o);
    cli_free_opts(o, O_COUNT);
    return rc;
}
