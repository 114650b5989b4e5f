/* ketsim circuit: the lateral habenula circuit driven by a real dose.
 *   run        healthy, depressed and depressed + ketamine side by side, and the
 *              time course of NMDA block, trapping and bursting after the dose
 *   validate   the published findings checked on the model: a Markdown report
 *   estimate-block   the effective block rates estimated from Orser et al. 1997
 * The science lives in the library (src/circuit); this file parses, calls and prints. */
#include "cli.h"
#include "ketsim/circuit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "circuit"

static const char HELP[] =
    "usage: ketsim circuit run [options]        three conditions and the course after a dose\n"
    "       ketsim circuit validate [--out F.md] the published findings on the model\n"
    "       ketsim circuit estimate-block      the effective ketamine block rates and how "
    "they were estimated\n"
    "\n"
    "A population of conductance-based lateral habenula (LHb) neurons (Na, K, T-type Ca,\n"
    "h, leak, and an inward rectifier standing for astrocytic Kir4.1) with AMPA, NMDA\n"
    "(Mg2+ block) and GABA-A synapses under Poisson input, and ketamine as an NMDA\n"
    "open-channel blocker that is trapped when the channel closes. The concentration at\n"
    "the receptor is the PK model's effect-site concentration times the unbound fraction.\n"
    "Equations, sources and what is a model choice: docs/circuit.md.\n"
    "\n"
    "run options (defaults in brackets):\n"
    "  --model NAME      PK model with an effect site [domino-1982]\n"
    "  --weight KG       body weight [70]\n"
    "  --dose DOSE       0.5mg/kg or 35mg [0.5mg/kg]\n"
    "  --route R         [iv]; --over T infusion duration [40min]\n"
    "  --species S       human [human]; mouse and rat are refused: no rodent ketamine PK\n"
    "                    model is shipped (what was searched and what is missing:\n"
    "                    docs/circuit.md, \"Rodent protocol\")\n"
    "  --until T         length of the course [24h]; --every T its step [10min]\n"
    "  --at T            time of the ketamine condition [the effect-site peak]\n"
    "  --fu F            unbound fraction of ketamine in plasma [0.53: Dayton 1983,\n"
    "                    \"bound as much as 47%\"]\n"
    "  --cells N         cells per population [500]; --window T measured window [2s]\n"
    "  --dt T            integration step [0.05ms]; --seed N [1]\n"
    "  --activity HZ     glutamatergic input per cell [20]; --low-activity HZ a second,\n"
    "                    quiet block course [0.01]\n"
    "  --out F.csv       the course table; --conditions-out F.csv the three conditions\n"
    "  --plot F.png      the course; --raster F.png the three rasters side by side\n"
    "  --quiet           no progress on stderr\n"
    "\n"
    "example:\n"
    "  ketsim circuit run --weight 70 --dose 0.5mg/kg --over 40min --until 24h \\\n"
    "      --out course.csv --plot course.png --raster raster.png\n"
    "\n"
    "A model of a mechanism, not a prediction for a patient. " KS_DISCLAIMER "\n";

enum {
    O_MODEL,
    O_WEIGHT,
    O_DOSE,
    O_ROUTE,
    O_OVER,
    O_SPECIES,
    O_UNTIL,
    O_EVERY,
    O_AT,
    O_FU,
    O_CELLS,
    O_WINDOW,
    O_DT,
    O_SEED,
    O_ACT,
    O_LOW,
    O_OUT,
    O_COND,
    O_PLOT,
    O_RASTER,
    O_QUIET,
    O_N
};

typedef struct args {
    const char *model, *route, *out, *cond_out, *plot, *raster;
    double weight, dose, over, until, every, at, fu, window, dt, act, low;
    ks_dim dose_dim;
    const char *dose_text;
    size_t cells;
    uint64_t seed;
    int quiet;
} args;

static int parse_q(const char *opt, const char *text, ks_dim dim, double *v)
{
    ks_error err = {0};
    if (ks_quantity_parse(text, &dim, 1, opt, v, NULL, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    return 0;
}

/* A short time with its unit, ms or s, in ms: "0.05ms", "2s", "500 ms". */
static int parse_ms(const char *opt, const char *text, double *v)
{
    char *end;
    double x = strtod(text, &end);
    while (*end == ' ')
        end++;
    double f = strcmp(end, "ms") == 0 ? 1.0 : strcmp(end, "s") == 0 ? 1000.0 : NAN;
    if (end == text || isnan(f) || !isfinite(x)) {
        cli_error(CMD, "%s: \"%s\" is not a time in ms or s (e.g. 0.05ms, 2s)", opt, text);
        return 2;
    }
    *v = x * f;
    return 0;
}

/* "20", "20Hz" or "0.01 Hz". */
static int parse_hz(const char *opt, const char *text, double *v)
{
    char *end;
    double x = strtod(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || !(strcmp(end, "") == 0 || strcmp(end, "Hz") == 0) || !isfinite(x) || x < 0 ||
        x > 1000) {
        cli_error(CMD, "%s: \"%s\" is not a rate in Hz from 0 to 1000 (e.g. 20Hz)", opt, text);
        return 2;
    }
    *v = x;
    return 0;
}

static int parse_args(int argc, char **argv, args *a, int *help)
{
    cli_opt o[O_N] = {
        [O_MODEL] = {"model", 1},  [O_WEIGHT] = {"weight", 1},
        [O_DOSE] = {"dose", 1},    [O_ROUTE] = {"route", 1},
        [O_OVER] = {"over", 1},    [O_SPECIES] = {"species", 1},
        [O_UNTIL] = {"until", 1},  [O_EVERY] = {"every", 1},
        [O_AT] = {"at", 1},        [O_FU] = {"fu", 1},
        [O_CELLS] = {"cells", 1},  [O_WINDOW] = {"window", 1},
        [O_DT] = {"dt", 1},        [O_SEED] = {"seed", 1},
        [O_ACT] = {"activity", 1}, [O_LOW] = {"low-activity", 1},
        [O_OUT] = {"out", 1},      [O_COND] = {"conditions-out", 1},
        [O_PLOT] = {"plot", 1},    [O_RASTER] = {"raster", 1},
        [O_QUIET] = {"quiet", 0},
    };
    int rc = cli_parse(argc, argv, o, O_N, help, CMD " run");
    if (rc || *help) {
        cli_free_opts(o, O_N);
        return rc;
    }
    *a = (args){.model = "domino-1982",
                .route = "iv",
                .weight = 70,
                .dose = 0.5,
                .dose_dim = KS_DIM_MASS_PER_WEIGHT,
                .dose_text = "0.5mg/kg",
                .over = 40.0 / 60,
                .until = 24,
                .every = 10.0 / 60,
                .at = NAN,
                .fu = 0.53,
                .window = 2.0,
                .dt = 0.05,
                .act = 20,
                .low = 0.01,
                .cells = 500,
                .seed = 1};
    rc = 2;
    if (o[O_MODEL].value) a->model = o[O_MODEL].value;
    if (o[O_ROUTE].value) a->route = o[O_ROUTE].value;
    a->out = o[O_OUT].value;
    a->cond_out = o[O_COND].value;
    a->plot = o[O_PLOT].value;
    a->raster = o[O_RASTER].value;
    a->quiet = o[O_QUIET].seen;
    if (o[O_SPECIES].value && strcmp(o[O_SPECIES].value, "human") != 0) {
        const char *sp = o[O_SPECIES].value;
        if (strcmp(sp, "mouse") == 0 || strcmp(sp, "rat") == 0)
            cli_error(CMD,
                      "--species %s: no rodent ketamine PK model is shipped: the published "
                      "rodent figures found give a half-life but no volume, clearance or "
                      "i.p. absorption (see docs/circuit.md, \"Rodent protocol\"); only "
                      "human is available",
                      sp);
        else
            cli_error(CMD,
                      "--species %s: unknown species (human; mouse and rat are refused, see "
                      "docs/circuit.md, \"Rodent protocol\")",
                      sp);
        goto done;
    }
    if (o[O_WEIGHT].value &&
        (cli_parse_plain(CMD, "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, &a->weight) ||
         !(a->weight > 0 && a->weight <= 700))) {
        if (!(a->weight > 0 && a->weight <= 700))
            cli_error(CMD, "--weight: %s is out of range (0 to 700 kg)", o[O_WEIGHT].value);
        goto done;
    }
    if (o[O_DOSE].value) {
        ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT};
        ks_error err = {0};
        a->dose_text = o[O_DOSE].value;
        if (ks_quantity_parse(a->dose_text, dims, 2, "--dose", &a->dose, &a->dose_dim, &err)) {
            cli_error(CMD, "%s", err.msg);
            goto done;
        }
        if (!(a->dose > 0)) {
            cli_error(CMD, "--dose: %s must be positive", a->dose_text);
            goto done;
        }
    }
    if (o[O_OVER].value &&
        (parse_q("--over", o[O_OVER].value, KS_DIM_TIME, &a->over) || !(a->over >= 0))) {
        if (!(a->over >= 0)) cli_error(CMD, "--over: must be >= 0");
        goto done;
    }
    if (o[O_UNTIL].value && parse_q("--until", o[O_UNTIL].value, KS_DIM_TIME, &a->until)) goto done;
    if (!(a->until >= 1.0 && a->until <= 24 * 14)) {
        cli_error(CMD, "--until: must be from 1h to 14d");
        goto done;
    }
    if (o[O_EVERY].value && parse_q("--every", o[O_EVERY].value, KS_DIM_TIME, &a->every)) goto done;
    if (!(a->every >= 1.0 / 60 && a->every <= 1.0)) {
        cli_error(CMD, "--every: must be from 1min to 1h");
        goto done;
    }
    if (o[O_AT].value) {
        if (parse_q("--at", o[O_AT].value, KS_DIM_TIME, &a->at)) goto done;
        if (!(a->at >= 0 && a->at <= a->until)) {
            cli_error(CMD, "--at: %s is outside the course (0 to --until)", o[O_AT].value);
            goto done;
        }
    }
    if (o[O_FU].value) {
        char *end;
        a->fu = strtod(o[O_FU].value, &end);
        if (*end || !(a->fu > 0 && a->fu <= 1)) {
            cli_error(CMD, "--fu: \"%s\" is not a fraction in (0, 1]", o[O_FU].value);
            goto done;
        }
    }
    if (o[O_CELLS].value) {
        char *end;
        long n = strtol(o[O_CELLS].value, &end, 10);
        if (*end || n < 1 || n > 1000000) {
            cli_error(CMD, "--cells: \"%s\" is not a count from 1 to 1000000", o[O_CELLS].value);
            goto done;
        }
        a->cells = (size_t)n;
    }
    if (o[O_WINDOW].value) {
        if (parse_ms("--window", o[O_WINDOW].value, &a->window)) goto done;
        a->window /= 1000.0; /* ms -> s */
        if (!(a->window >= 0.2 && a->window <= 600)) {
            cli_error(CMD, "--window: must be from 200ms to 10min");
            goto done;
        }
    }
    if (o[O_DT].value) {
        if (parse_ms("--dt", o[O_DT].value, &a->dt)) goto done;
        if (!(a->dt >= KS_CIRCUIT_DT_MIN_MS && a->dt <= 0.1)) {
            cli_error(CMD, "--dt: %s is outside [%gms, 0.1ms]", o[O_DT].value,
                      KS_CIRCUIT_DT_MIN_MS);
            goto done;
        }
    }
    {
        ks_circuit_config def;
        ks_circuit_config_default(&def);
        double steps = (def.warmup_ms + a->window * 1000.0) / a->dt;
        if (!(steps <= KS_CIRCUIT_MAX_STEPS)) {
            cli_error(CMD,
                      "--window/--dt: %g s at %g ms (after %g ms of warm-up) is %.3g steps per "
                      "cell, more than the limit of %.0e",
                      a->window, a->dt, def.warmup_ms, steps, KS_CIRCUIT_MAX_STEPS);
            goto done;
        }
    }
    if (o[O_SEED].value) {
        char *end;
        unsigned long long s = strtoull(o[O_SEED].value, &end, 10);
        if (*end || o[O_SEED].value[0] == '-') {
            cli_error(CMD, "--seed: \"%s\" is not a non-negative integer", o[O_SEED].value);
            goto done;
        }
        a->seed = s;
    }
    if (o[O_ACT].value && parse_hz("--activity", o[O_ACT].value, &a->act)) goto done;
    if (o[O_LOW].value && parse_hz("--low-activity", o[O_LOW].value, &a->low)) goto done;
    rc = 0;
done:
    cli_free_opts(o, O_N);
    return rc;
}

/* The effect-site concentration of the model's first analyte on a time grid. */
typedef struct pk_course {
    size_t n;
    double *t_h, *ce, *c_um;
    char analyte[64];
    char column[96];
    char citation[256];
} pk_course;

static void pk_free(pk_course *p)
{
    free(p->t_h);
    free(p->ce);
    free(p->c_um);
}

static int run_pk(const args *a, pk_course *p)
{
    memset(p, 0, sizeof *p);
    char path[4096];
    ks_error err = {0};
    ks_model *m = NULL;
    ks_sim *s = NULL;
    int rc = 2;
    if (ks_model_find(a->model, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, &m, &err)) {
        cli_error(CMD, "--model: %s", err.msg);
        return 2;
    }
    snprintf(p->analyte, sizeof p->analyte, "%s", ks_model_analyte_name(m, 0));
    double mw = ks_model_analyte_molar_mass(m, 0);
    ks_citation_info ci;
    cli_primary_citation(m, &ci);
    snprintf(p->citation, sizeof p->citation, "%s (%s)", ks_model_name(m), ci.text ? ci.text : "");
    if (!ks_model_has_route(m, a->route)) {
        cli_error(CMD, "--route: model %s has no route \"%s\"", a->model, a->route);
        goto out;
    }
    ks_covariates cov = {0};
    if (ks_sim_create(m, &s, &err) || ks_covariates_set(&cov, "weight", a->weight, &err) ||
        ks_sim_set_covariates(s, &cov, &err)) {
        cli_error(CMD, "%s", err.msg);
        goto out;
    }
    double amount = a->dose_dim == KS_DIM_MASS_PER_WEIGHT ? a->dose * a->weight : a->dose;
    ks_dose d = {0.0, amount, ks_model_route_takes_duration(m, a->route) ? a->over : 0.0, a->route};
    if (ks_sim_add_dose(s, &d, &err)) {
        cli_error(CMD, "--dose: %s", err.msg);
        goto out;
    }
    p->n = (size_t)llround(a->until / a->every) + 1;
    p->t_h = malloc(p->n * sizeof *p->t_h);
    p->ce = malloc(p->n * sizeof *p->ce);
    p->c_um = malloc(p->n * sizeof *p->c_um);
    if (!p->t_h || !p->ce || !p->c_um) {
        cli_error(CMD, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->n; i++)
        p->t_h[i] = fmin(a->until, (double)i * a->every);
    p->t_h[p->n - 1] = a->until;
    if (ks_sim_set_times(s, p->t_h, p->n, &err) || ks_sim_run(s, &err)) {
        cli_error(CMD, "%s", err.msg);
        goto out;
    }
    snprintf(p->column, sizeof p->column, "ce_%s_ng_ml", p->analyte);
    int j = ks_sim_output_index(s, p->column);
    if (j < 0) {
        cli_error(CMD,
                  "--model: %s has no effect site (no %s output); pick one that has (ketsim "
                  "models, docs/models.md)",
                  a->model, p->column);
        goto out;
    }
    if (strcmp(p->analyte, "ketamine") != 0)
        fprintf(stderr,
                "ketsim circuit: warning: the block rates are estimated for racemic ketamine "
                "(Orser 1997) and used unchanged for %s; the enantiomers differ (Ebert 1997: "
                "S-ketamine Ki 0.3 uM, R-ketamine 1.4 uM)\n",
                p->analyte);
    const double *ce = ks_sim_output(s, (size_t)j);
    for (size_t i = 0; i < p->n; i++) {
        p->ce[i] = ce[i];
        p->c_um[i] = ks_circuit_free_um(ce[i], a->fu, mw);
    }
    rc = 0;
out:
    if (rc) pk_free(p);
    ks_sim_free(s);
    ks_model_free(m);
    return rc;
}

static void base_config(const args *a, ks_circuit_config *c, int kir_up)
{
    ks_circuit_config_default(c);
    ks_circuit_cell_default(&c->cell, kir_up);
    c->n_cells = a->cells;
    c->dt_ms = a->dt;
    c->duration_ms = a->window * 1000.0;
    c->rate_glu_hz = a->act;
    c->seed = a->seed;
}

static int write_csv(const char *path, const char *const *names, const double *const *cols,
                     size_t ncol, size_t nrow, const char *const *labels)
{
    FILE *f;
    char tmp[4200];
    ks_error err = {0};
    if (strlen(path) > 4000 || ks_atomic_open(path, &f, tmp, sizeof tmp, &err)) {
        cli_error(CMD, "cannot write %s: %s", path, err.msg);
        return 2;
    }
    for (size_t j = 0; j < ncol; j++)
        fprintf(f, "%s%s", j ? "," : "", names[j]);
    fputc('\n', f);
    for (size_t i = 0; i < nrow; i++) {
        for (size_t j = 0; j < ncol; j++) {
            if (j) fputc(',', f);
            if (j == 0 && labels)
                fputs(labels[i], f);
            else if (isfinite(cols[j][i]))
                fprintf(f, "%.6g", cols[j][i]);
        }
        fputc('\n', f);
    }
    if (ks_atomic_commit(f, tmp, path, &err)) {
        cli_error(CMD, "cannot write %s: %s", path, err.msg);
        return 2;
    }
    return 0;
}

/* The first time (h) after its maximum at which y is below half of it: INFINITY if it
 * does not fall below half within the course, NaN if y is never above 0. */
static double half_time(const double *t, const double *y, size_t n)
{
    double mx = 0;
    size_t imax = 0;
    for (size_t i = 0; i < n; i++)
        if (y[i] > mx) mx = y[i], imax = i;
    if (!(mx > 0)) return NAN;
    for (size_t i = imax; i < n; i++)
        if (y[i] < 0.5 * mx) return t[i];
    return INFINITY;
}

/* "1.25 h", "> 24 h" (not below half by the end of the course), "never (always 0)". */
static const char *fmt_half(char *buf, size_t n, double h, double until)
{
    if (isnan(h))
        snprintf(buf, n, "never (always 0)");
    else if (isinf(h))
        snprintf(buf, n, "> %g h", until);
    else
        snprintf(buf, n, "%.2f h", h);
    return buf;
}

#define N_SAMPLES 9

static void progress(void *user, size_t done, size_t total)
{
    (void)user;
    fprintf(stderr, "circuit: course %zu of %zu populations done\n", done, total);
}

static int cmd_run(int argc, char **argv)
{
    args a;
    int help = 0;
    int rc = parse_args(argc, argv, &a, &help);
    if (rc) return rc;
    if (help) {
        fputs(HELP, stdout);
        return 0;
    }
    pk_course pk;
    if (run_pk(&a, &pk)) return 2;
    rc = 2;
    size_t n = pk.n;
    ks_circuit_syn syn;
    ks_circuit_drug drug;
    ks_circuit_syn_default(&syn);
    ks_circuit_drug_default(&drug);
    double *col[12] = {0};
    for (int j = 0; j < 12; j++) {
        col[j] = malloc(n * sizeof(double));
        if (!col[j]) {
            cli_error(CMD, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            col[j][i] = NAN;
    }
    /* columns: 0 t, 1 ce, 2 free, 3 eq, 4 bound, 5 trapped, 6 bound low, 7 trapped low,
     * 8 bursting fraction, 9 bursts/s, 10 spikes/burst, 11 tonic rate */
    for (size_t i = 0; i < n; i++) {
        col[0][i] = pk.t_h[i];
        col[1][i] = pk.ce[i];
        col[2][i] = pk.c_um[i];
        col[3][i] = ks_circuit_block_equilibrium(&drug, pk.c_um[i]);
    }
    ks_error err = {0};
    /* the course: block under the input, and the depressed population at sample times */
    const double samples[N_SAMPLES] = {0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0};
    double sample_h[N_SAMPLES];
    size_t sample_i[N_SAMPLES], ns = 0;
    for (int q = 0; q < N_SAMPLES; q++) {
        if (samples[q] > a.until + 1e-9) break;
        size_t i = (size_t)llround(samples[q] / a.every);
        if (i >= n) i = n - 1;
        sample_i[ns] = i;
        sample_h[ns++] = pk.t_h[i];
    }
    ks_circuit_config ccfg;
    base_config(&a, &ccfg, 1);
    ks_circuit_course course;
    if (!a.quiet)
        fprintf(stderr, "circuit: course, %zu populations of %zu cells...\n", ns, a.cells);
    if (ks_circuit_course_run(&ccfg, pk.t_h, pk.c_um, n, sample_h, ns, a.quiet ? NULL : progress,
                              NULL, &course, &err)) {
        cli_error(CMD, "%s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        col[4][i] = course.bound[i];
        col[5][i] = course.trapped[i];
    }
    for (size_t q = 0; q < ns; q++) {
        size_t i = sample_i[q];
        col[8][i] = course.samples[q].frac_bursting;
        col[9][i] = course.samples[q].bursts_per_s;
        col[10][i] = course.samples[q].spikes_per_burst;
        col[11][i] = course.samples[q].tonic_rate_hz;
    }
    ks_circuit_course_free(&course);
    if (ks_circuit_block_course(&syn, &drug, a.low, a.seed, 0, 0, pk.t_h, pk.c_um, n, col[6],
                                col[7], &err)) {
        cli_error(CMD, "%s", err.msg);
        goto out;
    }
    /* the time of the ketamine condition */
    double at = a.at;
    if (isnan(at)) {
        size_t imax = 0;
        for (size_t i = 0; i < n; i++)
            if (pk.ce[i] > pk.ce[imax]) imax = i;
        at = pk.t_h[imax];
    }
    /* three conditions */
    const char *cname[3] = {"healthy", "depressed", "depressed+ketamine"};
    ks_circuit_result res[3];
    memset(res, 0, sizeof res);
    double c_at = ks_circuit_interp(pk.t_h, pk.c_um, n, at);
    double b_at = ks_circuit_interp(pk.t_h, col[4], n, at),
           tr_at = ks_circuit_interp(pk.t_h, col[5], n, at);
    size_t n_raster = a.cells < 60 ? a.cells : 60;
    for (int k = 0; k < 3; k++) {
        ks_circuit_config cfg;
        base_config(&a, &cfg, k > 0);
        cfg.raster_cells = n_raster;
        if (k == 2) {
            cfg.c_um = c_at;
            cfg.ob0 = fmax(0.0, b_at - tr_at);
            cfg.cb0 = tr_at;
        }
        if (!a.quiet) fprintf(stderr, "circuit: %s (%zu cells)...\n", cname[k], a.cells);
        if (ks_circuit_run(&cfg, &res[k], &err)) {
            cli_error(CMD, "%s", err.msg);
            for (int q = 0; q < k; q++)
                ks_circuit_result_free(&res[q]);
            goto out;
        }
    }
    /* outputs */
    char nm[12][96];
    snprintf(nm[0], 96, "time_h");
    snprintf(nm[1], 96, "%s", pk.column);
    snprintf(nm[2], 96, "free_%s_umol_l", pk.analyte);
    snprintf(nm[3], 96, "nmda_bound_equilibrium_fraction");
    snprintf(nm[4], 96, "nmda_bound_%ghz_fraction", a.act);
    snprintf(nm[5], 96, "nmda_trapped_%ghz_fraction", a.act);
    snprintf(nm[6], 96, "nmda_bound_%ghz_fraction", a.low);
    snprintf(nm[7], 96, "nmda_trapped_%ghz_fraction", a.low);
    snprintf(nm[8], 96, "bursting_cells_fraction");
    snprintf(nm[9], 96, "bursts_per_bursting_cell_hz");
    snprintf(nm[10], 96, "spikes_per_burst");
    snprintf(nm[11], 96, "tonic_cell_rate_hz");
    const char *names[12];
    for (int j = 0; j < 12; j++)
        names[j] = nm[j];
    int fail = 0;
    if (a.out) fail |= write_csv(a.out, names, (const double *const *)col, 12, n, NULL);
    if (a.cond_out && !fail) {
        double cv[11][3];
        for (int k = 0; k < 3; k++) {
            cv[0][k] = NAN;
            cv[1][k] = res[k].frac_bursting;
            cv[2][k] = res[k].frac_tonic;
            cv[3][k] = res[k].frac_silent;
            cv[4][k] = res[k].bursts_per_s;
            cv[5][k] = res[k].spikes_per_burst;
            cv[6][k] = res[k].tonic_rate_hz;
            cv[7][k] = res[k].mean_rate_hz;
            cv[8][k] = res[k].v_mean_mv;
            cv[9][k] = res[k].block_end;
            cv[10][k] = k == 2 ? c_at : 0.0;
        }
        const char *cn[11] = {"condition",
                              "bursting_cells_fraction",
                              "tonic_cells_fraction",
                              "silent_cells_fraction",
                              "bursts_per_bursting_cell_hz",
                              "spikes_per_burst",
                              "tonic_cell_rate_hz",
                              "mean_rate_hz",
                              "mean_v_mv",
                              "nmda_bound_end_fraction",
                              "free_ketamine_umol_l"};
        const double *cc[11];
        for (int j = 0; j < 11; j++)
            cc[j] = cv[j];
        fail |= write_csv(a.cond_out, cn, cc, 11, 3, cname);
    }
    if (a.raster && !fail) {
        ks_plot_raster_panel pn[3];
        char lab[3][128];
        for (int k = 0; k < 3; k++) {
            if (k == 2)
                snprintf(lab[k], sizeof lab[k], "%s (%.2f h, %.3f uM free)", cname[k], at, c_at);
            else
                snprintf(lab[k], sizeof lab[k], "%s", cname[k]);
            pn[k] = (ks_plot_raster_panel){lab[k],           res[k].raster_t_ms, res[k].raster_cell,
                                           res[k].n_raster,  n_raster,           0.0,
                                           a.window * 1000.0};
        }
        char sub[512];
        snprintf(sub, sizeof sub,
                 "%zu of %zu cells; bursting fraction %.2f / %.2f / %.2f; ketamine from %s %s",
                 n_raster, a.cells, res[0].frac_bursting, res[1].frac_bursting,
                 res[2].frac_bursting, a.model, a.dose_text);
        ks_plot_raster_spec spec = {"Lateral habenula spikes: healthy, depressed (Kir4.1 up), "
                                    "depressed + ketamine",
                                    sub,
                                    "time (ms)",
                                    "cell",
                                    pn,
                                    3,
                                    "A model of a mechanism (docs/circuit.md). " KS_DISCLAIMER,
                                    0,
                                    0};
        if (ks_plot_raster_write(&spec, a.raster, &err)) {
            cli_error(CMD, "--raster: %s", err.msg);
            fail = 1;
        }
    }
    if (a.plot && !fail) {
        double *bx = malloc(N_SAMPLES * sizeof *bx), *by = malloc(N_SAMPLES * sizeof *by);
        if (!bx || !by) {
            free(bx);
            free(by);
            cli_error(CMD, "out of memory");
            fail = 1;
        } else {
            size_t nb = 0;
            for (size_t i = 0; i < n; i++)
                if (!isnan(col[8][i]) && nb < N_SAMPLES) bx[nb] = pk.t_h[i], by[nb++] = col[8][i];
            char l3[96], l4[96], l5[96], l6[96];
            snprintf(l3, sizeof l3, "NMDA bound, %g Hz input", a.act);
            snprintf(l4, sizeof l4, "NMDA trapped, %g Hz input", a.act);
            snprintf(l5, sizeof l5, "NMDA bound, %g Hz input", a.low);
            snprintf(l6, sizeof l6, "NMDA trapped, %g Hz input", a.low);
            ks_plot_series ser[6] = {
                {.label = "bound at equilibrium with the effect site",
                 .x = pk.t_h,
                 .y = col[3],
                 .n = n,
                 .dashed = 1},
                {.label = l3, .x = pk.t_h, .y = col[4], .n = n},
                {.label = l4, .x = pk.t_h, .y = col[5], .n = n, .dashed = 1},
                {.label = l5, .x = pk.t_h, .y = col[6], .n = n},
                {.label = l6, .x = pk.t_h, .y = col[7], .n = n, .dashed = 1},
                {.label = "bursting cells (depressed population)", .x = bx, .y = by, .n = nb},
            };
            char sub[512];
            snprintf(sub, sizeof sub, "%s %s %s%s, %g kg; fu %.2f; %zu cells per point", a.model,
                     a.dose_text, a.route, a.over > 0 ? " infusion" : "", a.weight, a.fu, a.cells);
            char thr[96];
            snprintf(thr, sizeof thr, "bursting, depressed without ketamine (%.2f)",
                     res[1].frac_bursting);
            ks_plot_dose_mark dm = {0.0, a.over, a.dose_text};
            ks_plot_spec ps = {"LHb after a ketamine dose: NMDA block, trapping, bursting",
                               sub,
                               "fraction (1)",
                               ser,
                               6,
                               &dm,
                               1,
                               res[1].frac_bursting,
                               thr,
                               "A model of a mechanism (docs/circuit.md). " KS_DISCLAIMER,
                               0,
                               0,
                               NULL};
            if (ks_plot_write(&ps, a.plot, &err)) {
                cli_error(CMD, "--plot: %s", err.msg);
                fail = 1;
            }
            free(bx);
            free(by);
        }
    }
    if (!fail) {
        printf("LHb circuit, %zu cells each, %g s window, dt %g ms, glutamate input %g Hz\n",
               a.cells, a.window, a.dt, a.act);
        printf("%-22s %9s %9s %9s %11s %10s %10s %9s %9s\n", "condition", "bursting", "tonic",
               "silent", "bursts/s", "spk/burst", "tonic Hz", "V (mV)", "NMDA bnd");
        for (int k = 0; k < 3; k++) {
            char spb[16]; /* no bursts at all: no spikes per burst */
            if (isnan(res[k].spikes_per_burst))
                snprintf(spb, sizeof spb, "-");
            else
                snprintf(spb, sizeof spb, "%.2f", res[k].spikes_per_burst);
            printf("%-22s %9.3f %9.3f %9.3f %11.2f %10s %10.2f %9.1f %9.3f\n", cname[k],
                   res[k].frac_bursting, res[k].frac_tonic, res[k].frac_silent, res[k].bursts_per_s,
                   spb, res[k].tonic_rate_hz, res[k].v_mean_mv, res[k].block_end);
        }
        printf("ketamine condition at %.2f h: effect site %.1f ng/mL, free %.3f umol/L\n", at,
               ks_circuit_interp(pk.t_h, pk.ce, n, at), c_at);
        double th_c = half_time(pk.t_h, pk.ce, n), th_b = half_time(pk.t_h, col[4], n),
               th_l = half_time(pk.t_h, col[6], n);
        char b1[48], b2[48], b3[48];
        printf("falls below half its peak at: effect-site concentration %s; NMDA block "
               "%s (%g Hz input), %s (%g Hz input)\n",
               fmt_half(b1, sizeof b1, th_c, a.until), fmt_half(b2, sizeof b2, th_b, a.until),
               a.act, fmt_half(b3, sizeof b3, th_l, a.until), a.low);
        printf("PK: %s\n", pk.citation);
        printf("A model of a mechanism with model choices (docs/circuit.md), not a prediction "
               "for a patient. %s\n",
               KS_DISCLAIMER);
        rc = 0;
    }
    for (int k = 0; k < 3; k++)
        ks_circuit_result_free(&res[k]);
out:
    for (int j = 0; j < 12; j++)
        free(col[j]);
    pk_free(&pk);
    return rc;
}

static int cmd_estimate(int argc, char **argv)
{
    (void)argv;
    if (argc > 0 && strcmp(argv[0], "--help") != 0) {
        cli_error(CMD, "estimate-block takes no options (got \"%s\")", argv[0]);
        return 2;
    }
    ks_circuit_block_estimate e;
    ks_circuit_estimate_block(&e);
    printf("EFFECTIVE ketamine block rates of the model's 4-state scheme, estimated from Orser,\n"
           "Pennefather & MacDonald 1997 (Anesthesiology 86:903; cultured mouse hippocampal\n"
           "neurons, cell-attached single channels; abstract):\n");
    printf("  control mean open time %.2f ms; at 1 uM it is %.0f%% of control\n", e.tau_open_ms,
           100 * e.open_time_ratio_1um);
    printf("  -> effective kon = (1/(%.2f*%.2f) - 1/%.2f) / 1 uM = %.4f /uM/ms (%.3g /M/s)\n",
           e.open_time_ratio_1um, e.tau_open_ms, e.tau_open_ms, e.kon_per_um_ms,
           e.kon_per_um_ms * 1e9);
    for (int i = 0; i < 2; i++)
        printf("  Po' at %g uM is %.0f%% of control -> Kd = c r/(1-r) = %.4f uM\n", e.conc_um[i],
               100 * e.po_ratio[i], e.kd_each_um[i]);
    printf("  least squares in log Kd over both: apparent Kd = %.4f uM\n", e.kd_um);
    printf("  -> effective koff = kon Kd = %.5f /ms (%.2f /s)\n", e.koff_per_ms,
           e.koff_per_ms * 1000);
    printf("Assumptions: bound channels do not open; the open time shortens only by block.\n");
    printf("MISMATCH: kon is derived for a %.2f ms open time but applied to the model's open "
           "state,\nwhich closes at beta_nmda (mean dwell %.0f ms). In the model the open dwell "
           "at 1 uM is\n%.3f of control, not the measured %.2f; a blocked channel loses the drug "
           "before it closes\nwith probability %.2f in the model, %.2f if the open state closed "
           "as Orser's channels do.\nThe equilibrium bound fraction c/(c + Kd) does not depend "
           "on this; the speed of block and\nof untrapping under input does (docs/circuit.md).\n",
           e.tau_open_ms, e.model_tau_open_ms, e.model_open_time_ratio_1um, e.open_time_ratio_1um,
           e.escape_before_close_model, e.escape_before_close_orser);
    printf("The paper also concludes a second, closed-channel mechanism; its outside-out Po' "
           "reductions\n(%.0f%% at %g uM, %.0f%% at %g uM) were \"primarily\" fewer openings. "
           "Read as Kd they would give\n%.1f and %.1f uM, %.0f and %.0f times the estimate; "
           "they are not used, being mostly the other\nmechanism. The estimate puts the whole "
           "cell-attached Po' reduction on open-channel block,\nso it mixes both mechanisms too: "
           "its error is not known. No voltage dependence was found.\n",
           100 * e.oo_po_ratio[0], e.oo_conc_um[0], 100 * e.oo_po_ratio[1], e.oo_conc_um[1],
           e.oo_kd_um[0], e.oo_kd_um[1], e.oo_kd_over_kd[0], e.oo_kd_over_kd[1]);
    return 0;
}

int cmd_circuit_validate(int argc, char **argv);

int cmd_circuit(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[0], "validate") == 0) return cmd_circuit_validate(argc - 1, argv + 1);
    if (strcmp(argv[0], "estimate-block") == 0) return cmd_estimate(argc - 1, argv + 1);
    cli_error(CMD, "unknown subcommand \"%s\" (run, validate, estimate-block)", argv[0]);
    return 2;
}
