/* ketsim trial: virtual patients through a model and a regimen, summarised as
 * percentiles per output time; under mpirun the patients are split across ranks. */
#include "cli.h"
#include "resp.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef KS_HAVE_MPI
#include <mpi.h>
#endif

static const char HELP[] =
    "usage: ketsim trial --model NAME --regimen TEXT --n N [options]\n"
    "\n"
    "Simulate N virtual patients of a published model on one regimen and report, at\n"
    "each output time, percentiles of every output (a prediction band). Each patient's\n"
    "parameters vary as the model publishes (inter-individual variability with its\n"
    "covariances); covariates come from --weight/--age, a population specification or\n"
    "a CSV of real patients. Results are identical whatever --threads or the number of\n"
    "MPI ranks: patient i of --seed s always gets the same random numbers.\n"
    "\n"
    "model and doses:\n"
    "  --model NAME          a shipped model (ketsim models) or a model file\n"
    "  --regimen TEXT        the course: \"0.5mg/kg iv over 40min; start 2026-11-30 09:00;\n"
    "                        mon,wed,fri x 2w\" (ketsim regimen --help); one dose is a\n"
    "                        regimen too: \"56mg nasal\"\n"
    "  --regimen-file F      the same from a JSON file\n"
    "patients:\n"
    "  --n N                 patients per replicate (default 1000; with --covariates-csv\n"
    "                        and no --n, one per row)\n"
    "  --weight W, --age A   covariates every patient has (\"70kg\", \"45y\") unless the\n"
    "  --covariate K=V       population draws them\n"
    "  --population TEXT     covariate rules, ';'-separated: \"sex ~ bernoulli(0.5);\n"
    "                        weight | sex = 1 ~ normal(70kg, 15kg) in 40..150;\n"
    "                        weight | sex = 0 ~ normal(85kg, 15kg) in 45..170;\n"
    "                        age ~ uniform(18y, 65y)\" (docs/trial.md)\n"
    "  --population-file F   the same, one rule per line\n"
    "  --covariates-csv F    real covariates: a header of covariate names (and id), one\n"
    "                        row per patient; row i is patient i\n"
    "  --resample            with --covariates-csv: draw rows with replacement\n"
    "variability:\n"
    "  --iiv LIST            add or replace variability: \"CL=30%,V1=25%\" (lognormal CV;\n"
    "                        NAME=0 removes one); marked ASSUMED in the output\n"
    "  --iiv-only LIST       keep only these parameters' variability (\"Vc,kel\")\n"
    "  --no-iiv              no inter-individual variability\n"
    "  --residual            add the model's residual error to plasma outputs\n"
    "                        (prediction of measured levels, not true concentrations)\n"
    "run:\n"
    "  --seed S              random seed (default 1)\n"
    "  --threads T           threads (default: all cores)\n"
    "  --replicates K        K trials of N patients each; reports the spread of each\n"
    "                        percentile across them (--replicates-out)\n"
    "  --uncertainty         with --replicates: each replicate also draws the model's\n"
    "                        typical values from their published standard errors\n"
    "                        (rse_percent in the model file; log-normal); with --response\n"
    "                        replicate r also takes the response parameter set (r - 1) mod n\n"
    "                        of the n sets of the calibration's uncertainty (SIR sample)\n"
    "  --exact | --histogram exact percentiles (all values kept: N x times x outputs\n"
    "                        doubles) or the streaming histogram (memory flat in N,\n"
    "                        relative error <= 0.79%); default: exact when that needs\n"
    "                        at most 64 MiB\n"
    "output:\n"
    "  --until T             last output time (default: 24 h after the last dose)\n"
    "  --every T             output step (default 15min)\n"
    "  --outputs LIST        output columns (default: all of the model's)\n"
    "  --percentiles LIST    default 5,50,95\n"
    "  --out FILE            percentiles as CSV (default: standard output)\n"
    "  --format csv|json     (default csv)\n"
    "  --plot FILE           the median and the outer percentile band (.png/.svg)\n"
    "  --patients FILE       one row per patient: covariates, individual parameters,\n"
    "                        Cmax and Tmax on the grid, exact AUC to the last time,\n"
    "                        hours above --threshold\n"
    "  --threshold C         for --patients: time above this concentration (\"100ng/mL\")\n"
    "  --replicates-out FILE percentiles of each percentile across replicates\n"
    "  --quiet               no summary or progress on standard error\n"
    "                        No output may be an input (the model, regimen, population,\n"
    "                        covariate, response parameter or PD file): refused first\n"
    "response (docs/response-model.md):\n"
    "  --response FILE       per time: mean MADRS, mean change from baseline and its SD,\n"
    "                        response (>= 50 % reduction) and remission shares, for the\n"
    "                        regimen and a placebo arm (same visits, no drug); per arm the\n"
    "                        median time to relapse after the last dose among responders\n"
    "                        24 h after it (daily, censored at --until; '# relapse:' lines\n"
    "                        in CSV); .csv or .json (any case). With --replicates K: these\n"
    "                        are replicate 1's, and *_across_p5/p50/p95 columns give the\n"
    "                        5th, 50th and 95th percentile over the K replicates, each its\n"
    "                        own patients (relapse too: '# relapse across replicates:')\n"
    "  --madrs SCORE         with --response: baseline MADRS (1-60), required unless --hamd\n"
    "  --hamd SCORE          baseline HAM-D instead (1 to " RESP_HAMD_LIMIT_TEXT
    ", the HAM-D of MADRS 60 rounded\n"
    "                        down; 17-item range assumed): the model runs in MADRS (baseline\n"
    "                        converted); the mean, change and SD columns are HAM-D, each\n"
    "                        patient's scores converted through the equipercentile linking of\n"
    "                        Leucht et al. 2018 (J Affect Disord, PMID 29031182; HAM-D\n"
    "                        10/20/30/40 = MADRS 13/26/39/52.5, 0 = 0 assumed;\n"
    "                        above HAM-D 40 extrapolated, with a warning); response (>= 50 %)\n"
    "                        stays computed in MADRS (Leucht: about the same percentage on\n"
    "                        both scales)\n"
    "  --madrs-sd SD         baseline spread between patients (default 0; MADRS only)\n"
    "  --remission-cutoff S  remission = MADRS <= S (default 10); with --hamd HAM-D <= S\n"
    "                        (default 7, the HRSD remission of Zarate 2006; up "
    "to " RESP_HAMD_LIMIT_TEXT "),\n"
    "                        converted to MADRS; above HAM-D 40 extrapolated, with a warning\n"
    "  --response-context C  non-drug context of the regimen arm: active (IV default),\n"
    "                        oral-ad (nasal default: with a newly started oral\n"
    "                        antidepressant), saline, anaesthesia, soc\n"
    "  --placebo-context C   context of the placebo arm (default: the regimen arm's, as\n"
    "                        in the trials: TRANSFORM's control arm had the new oral\n"
    "                        antidepressant too)\n"
    "                        The drug state is the typical --weight/--age patient's\n"
    "                        through --model, which must be racemic ketamine for iv and\n"
    "                        esketamine for nasal (the drugs the response model was\n"
    "                        calibrated on)\n"
    "  --response-params F   response parameters (default data/response-params.json), with\n"
    "                        the PD file they were fitted with (their drive.pd_file); a\n"
    "                        --model other than their drive.iv_model or nasal_model gets a\n"
    "                        warning\n"
    "\n"
    "Columns: time_h, then <output>_p<percentile> for each output and percentile, e.g.\n"
    "cp_esketamine_ng_ml_p5, cp_esketamine_ng_ml_p50, cp_esketamine_ng_ml_p95.\n"
    "\n"
    "examples:\n"
    "  ketsim trial --model perez-ruixo-2021 --weight 70 --n 100000 --every 15min \\\n"
    "      --regimen \"0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w\" \\\n"
    "      --until 28d --iiv-only Vc,kel --out w1.csv --plot w1.png\n"
    "  ketsim trial --model kamp-2020 --regimen \"0.5mg/kg iv over 40min\" --n 2000 \\\n"
    "      --population \"weight ~ normal(80kg, 15kg) in 45..150\" --iiv CL=30%,V=25%\n"
    "  mpirun -n 2 ketsim trial ... (same options: the ranks split the patients)\n"
    "\n" KS_DISCLAIMER "\n";

enum {
    O_MODEL,
    O_REGIMEN,
    O_REGIMEN_FILE,
    O_N,
    O_WEIGHT,
    O_AGE,
    O_COV,
    O_POP,
    O_POP_FILE,
    O_COV_CSV,
    O_RESAMPLE,
    O_IIV,
    O_IIV_ONLY,
    O_NO_IIV,
    O_RESIDUAL,
    O_SEED,
    O_THREADS,
    O_REPLICATES,
    O_EXACT,
    O_HISTOGRAM,
    O_UNTIL,
    O_EVERY,
    O_OUTPUTS,
    O_PERCENTILES,
    O_OUT,
    O_FORMAT,
    O_PLOT,
    O_PATIENTS,
    O_THRESHOLD,
    O_REPLICATES_OUT,
    O_UNCERTAINTY,
    O_QUIET,
    O_RESPONSE,
    O_MADRS,
    O_MADRS_SD,
    O_REM_CUTOFF,
    O_RESP_CTX,
    O_RESP_PARAMS,
    O_PLACEBO_CTX,
    O_HAMD,
    O_COUNT
};

typedef struct trial_args {
    ks_model *model;
    ks_regimen *regimen;
    ks_variability *var;
    ks_population *pop;
    ks_trial_spec spec;
    ks_trial_dose *doses;
    double *times, *probs, *thresholds;
    char **outputs;
    size_t n_outputs;
    const char *out, *plot, *patients, *rep_out;
    ks_format format;
    int quiet, rank, n_ranks;
    double t0; /* wall clock at the start */
    double last_progress;
    trial_resp resp; /* --response */
    int has_resp;
    char model_path[4096]; /* the file --model names */
} trial_args;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Errors are printed by rank 0 only (every rank meets the same argument error). */
static int fail(const trial_args *a, const char *fmt, const char *msg)
{
    if (a->rank == 0) cli_error("trial", fmt, msg);
    return 2;
}

static int parse_count(const trial_args *a, const char *opt, const char *text, double max,
                       uint64_t *v)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end || !(x >= 1) || x > max || floor(x) != x || errno) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: \"%s\" is not a whole number from 1 to %.0f", opt, text,
                 max);
        return fail(a, "%s", msg);
    }
    *v = (uint64_t)x;
    return 0;
}

static int parse_time(const trial_args *a, const char *opt, const char *text, double *v)
{
    ks_dim d = KS_DIM_TIME;
    ks_error err = {0};
    if (ks_quantity_parse(text, &d, 1, opt, v, NULL, &err)) return fail(a, "%s", err.msg);
    return 0;
}

static int parse_patients(const cli_opt *o, trial_args *a)
{
    ks_covariates *c = &a->spec.base;
    ks_error err = {0};
    if (o[O_WEIGHT].value) {
        double w;
        if (cli_parse_plain("trial", "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, &w)) return 2;
        if (!(w > 0) || w > 700)
            return fail(a, "--weight: %s kg is not a possible body weight", o[O_WEIGHT].value);
        ks_covariates_set(c, "weight", w, NULL);
    }
    if (o[O_AGE].value) {
        double y;
        if (cli_parse_plain("trial", "--age", o[O_AGE].value, KS_DIM_AGE, &y)) return 2;
        if (!(y >= 0) || y > 130)
            return fail(a, "--age: %s years is not a possible age", o[O_AGE].value);
        ks_covariates_set(c, "age", y, NULL);
    }
    for (int i = 0; i < o[O_COV].n_all; i++) {
        const char *kv = o[O_COV].all[i], *eq = strchr(kv, '=');
        char name[32], *end;
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof name)
            return fail(a, "--covariate: \"%s\" is not NAME=VALUE", kv);
        snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(v))
            return fail(a, "--covariate: \"%s\": the value is not a number", kv);
        if (ks_covariates_set(c, name, v, &err)) return fail(a, "--covariate: %s", err.msg);
    }
    int n_src =
        (o[O_POP].value != NULL) + (o[O_POP_FILE].value != NULL) + (o[O_COV_CSV].value != NULL);
    if (n_src > 1)
        return fail(a, "%s", "give one of --population, --population-file and --covariates-csv");
    int rc = KS_OK;
    if (o[O_POP].value)
        rc = ks_population_parse(o[O_POP].value, "--population", &a->pop, &err);
    else if (o[O_POP_FILE].value)
        rc = ks_population_load(o[O_POP_FILE].value, &a->pop, &err);
    else if (o[O_COV_CSV].value)
        rc = ks_population_read_csv(o[O_COV_CSV].value, &a->pop, &err);
    if (rc) return fail(a, "%s", err.msg);
    if (o[O_RESAMPLE].seen && !o[O_COV_CSV].value)
        return fail(a, "%s", "--resample goes with --covariates-csv");
    a->spec.population = a->pop;
    a->spec.resample = o[O_RESAMPLE].seen;
    a->spec.n = 1000;
    if (o[O_N].value) {
        if (parse_count(a, "--n", o[O_N].value, 1e12, &a->spec.n)) return 2;
    } else if (o[O_COV_CSV].value && !a->spec.resample) {
        a->spec.n = ks_population_rows(a->pop);
    }
    if (o[O_COV_CSV].value && !a->spec.resample && a->spec.n > ks_population_rows(a->pop)) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "--n %llu: %s has %zu patients (use --resample to draw rows "
                 "with replacement)",
                 (unsigned long long)a->spec.n, o[O_COV_CSV].value, ks_population_rows(a->pop));
        return fail(a, "%s", msg);
    }
    return 0;
}

static int parse_variability(const cli_opt *o, trial_args *a)
{
    ks_error err = {0};
    if (o[O_NO_IIV].seen) {
        if (o[O_IIV].value || o[O_IIV_ONLY].value)
            return fail(a, "%s", "--no-iiv: drop --iiv and --iiv-only");
        return 0;
    }
    if (ks_variability_create(a->model, &a->var, &err)) return fail(a, "%s", err.msg);
    if (o[O_IIV_ONLY].value && ks_variability_keep(a->var, o[O_IIV_ONLY].value, &err))
        return fail(a, "--iiv-only: %s", err.msg);
    if (o[O_IIV].value && ks_variability_override(a->var, o[O_IIV].value, &err))
        return fail(a, "--iiv: %s", err.msg);
    a->spec.variability = a->var;
    return 0;
}

static int parse_regimen(const cli_opt *o, trial_args *a)
{
    ks_error err = {0};
    if (!o[O_REGIMEN].value == !o[O_REGIMEN_FILE].value)
        return fail(
            a, "%s",
            "give one of --regimen and --regimen-file (e.g. --regimen \"0.5mg/kg iv over 40min\")");
    const char *opt = o[O_REGIMEN].value ? "--regimen" : "--regimen-file";
    int rc = o[O_REGIMEN].value ? ks_regimen_parse(o[O_REGIMEN].value, &a->regimen, &err)
                                : ks_regimen_load_json(o[O_REGIMEN_FILE].value, &a->regimen, &err);
    if (rc) {
        char msg[700];
        snprintf(msg, sizeof msg, "%s: %s", opt, err.msg);
        return fail(a, "%s", msg);
    }
    size_t n = ks_regimen_n_doses(a->regimen);
    a->doses = calloc(n, sizeof *a->doses);
    if (!a->doses) return fail(a, "%s", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(a->regimen, i);
        if (!ks_model_has_route(a->model, d->route)) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s: model %s has no route \"%s\" (ketsim models show %s)",
                     opt, ks_model_name(a->model), d->route, ks_model_name(a->model));
            return fail(a, "%s", msg);
        }
        a->doses[i] = (ks_trial_dose){d->time_h, d->amount, d->per_kg, d->duration_h, d->route};
    }
    a->spec.doses = a->doses;
    a->spec.n_doses = n;
    return 0;
}

static int parse_grid(const cli_opt *o, trial_args *a)
{
    size_t n = ks_regimen_n_doses(a->regimen);
    const ks_regimen_dose *last = ks_regimen_dose_get(a->regimen, n - 1);
    double until = last->time_h + last->duration_h + 24.0, every = 0.25;
    if (o[O_UNTIL].value && parse_time(a, "--until", o[O_UNTIL].value, &until)) return 2;
    if (o[O_EVERY].value && parse_time(a, "--every", o[O_EVERY].value, &every)) return 2;
    if (!(until > 0)) return fail(a, "--until: %s must be after time 0", o[O_UNTIL].value);
    if (!(every > 0)) return fail(a, "--every: %s must be positive", o[O_EVERY].value);
    double steps = floor(until / every + 1e-9);
    if (steps > 1e6)
        return fail(a, "%s", "--until / --every gives more than a million output times");
    size_t k = (size_t)steps;
    int extra = fabs((double)k * every - until) > 1e-9 * until;
    size_t nt = k + 1 + (size_t)extra;
    a->times = malloc(nt * sizeof *a->times);
    if (!a->times) return fail(a, "%s", "out of memory");
    for (size_t i = 0; i <= k; i++)
        a->times[i] = (double)i * every;
    if (extra) a->times[k + 1] = until;
    a->spec.times = a->times;
    a->spec.n_times = nt;
    for (size_t i = 0; i < n; i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(a->regimen, i);
        if (d->time_h > until) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "--until: a dose at %g h is after --until %g h (simulate "
                     "longer or shorten the regimen)",
                     d->time_h, until);
            return fail(a, "%s", msg);
        }
    }
    return 0;
}

static int split_list(const char *text, char ***items, size_t *n)
{
    char *copy = strdup(text), *save = NULL;
    if (!copy) return 1;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    *items = calloc(cap, sizeof **items);
    if (!*items) {
        free(copy);
        return 1;
    }
    *n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        (*items)[(*n)++] = strdup(tok);
    }
    free(copy);
    return 0;
}

static int parse_output_opts(const cli_opt *o, trial_args *a)
{
    if (o[O_OUTPUTS].value) {
        if (split_list(o[O_OUTPUTS].value, &a->outputs, &a->n_outputs) || a->n_outputs == 0)
            return fail(a, "--outputs: \"%s\" names no output", o[O_OUTPUTS].value);
        a->spec.outputs = (const char *const *)a->outputs;
        a->spec.n_outputs = a->n_outputs;
    }
    const char *pl = o[O_PERCENTILES].value ? o[O_PERCENTILES].value : "5,50,95";
    char **items = NULL;
    size_t n = 0;
    if (split_list(pl, &items, &n) || n == 0)
        return fail(a, "--percentiles: \"%s\" names none", pl);
    a->probs = calloc(n, sizeof *a->probs);
    int rc = a->probs ? 0 : 2;
    for (size_t k = 0; k < n && !rc; k++) {
        char *end;
        double p = strtod(items[k], &end);
        if (end == items[k] || *end || !(p >= 0 && p <= 100)) {
            char msg[160];
            snprintf(msg, sizeof msg, "--percentiles: \"%s\" is not a percentile from 0 to 100",
                     items[k]);
            rc = fail(a, "%s", msg);
        }
        a->probs[k] = p / 100.0;
    }
    for (size_t k = 0; k < n; k++)
        free(items[k]);
    free(items);
    if (rc) return rc;
    a->spec.probs = a->probs;
    a->spec.n_probs = n;
    a->format = KS_FORMAT_CSV;
    if (o[O_FORMAT].value) {
        if (strcmp(o[O_FORMAT].value, "json") == 0)
            a->format = KS_FORMAT_JSON;
        else if (strcmp(o[O_FORMAT].value, "csv") != 0)
            return fail(a, "--format: \"%s\" (csv or json)", o[O_FORMAT].value);
    }
    a->out = o[O_OUT].value;
    a->plot = o[O_PLOT].value;
    a->patients = o[O_PATIENTS].value;
    a->rep_out = o[O_REPLICATES_OUT].value;
    /* every output its own file, the plot a .png or .svg, the response a .csv or .json:
     * checked before any work */
    const char *const names[] = {"--out", "--plot", "--patients", "--replicates-out", "--response"};
    const char *const paths[] = {a->out, a->plot, a->patients, a->rep_out, o[O_RESPONSE].value};
    const char *cmd = a->rank == 0 ? "trial" : NULL; /* rank 0 prints */
    if (cli_check_outputs(cmd, names, paths, 5)) return 2;
    if (a->plot && cli_check_ext(cmd, "--plot", a->plot, "png", "svg")) return 2;
    if (o[O_RESPONSE].value && cli_check_ext(cmd, "--response", o[O_RESPONSE].value, "csv", "json"))
        return 2;
    if (o[O_THRESHOLD].value && !a->patients)
        return fail(a, "%s", "--threshold is reported per patient: add --patients FILE");
    return 0;
}

static int parse_run(const cli_opt *o, trial_args *a)
{
    uint64_t v;
    a->spec.seed = 1;
    if (o[O_SEED].value && cli_parse_u64(a->rank == 0 ? "trial" : NULL, "--seed", o[O_SEED].value,
                                         0, UINT64_MAX, &a->spec.seed))
        return 2;
    a->spec.threads = 0;
    if (o[O_THREADS].value) {
        if (parse_count(a, "--threads", o[O_THREADS].value, 256, &v)) return 2;
        a->spec.threads = (int)v;
    }
    a->spec.replicates = 1;
    if (o[O_REPLICATES].value) {
        if (parse_count(a, "--replicates", o[O_REPLICATES].value, 10000, &v)) return 2;
        a->spec.replicates = (uint32_t)v;
    }
    if (a->rep_out && a->spec.replicates < 2)
        return fail(a, "%s", "--replicates-out needs --replicates 2 or more");
    a->spec.uncertainty = o[O_UNCERTAINTY].seen;
    if (a->spec.uncertainty && a->spec.replicates < 2)
        return fail(a, "%s",
                    "--uncertainty needs --replicates 2 or more (one draw of the typical "
                    "values per replicate)");
    if (o[O_EXACT].seen && o[O_HISTOGRAM].seen)
        return fail(a, "%s", "give --exact or --histogram, not both");
    a->spec.exact = o[O_EXACT].seen ? 1 : o[O_HISTOGRAM].seen ? 0 : -1;
    a->spec.residual = o[O_RESIDUAL].seen;
    a->quiet = o[O_QUIET].seen;
    return 0;
}

/* ---------------------------------------------------------------- progress and MPI */

static int progress(uint64_t done, uint64_t total, void *user)
{
    trial_args *a = user;
    double t = now_s();
    if (t - a->last_progress < 0.25 && done < total) return 0;
    a->last_progress = t;
    double el = t - a->t0, rate = el > 0 ? (double)done / el : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = (int)(width * (double)done / (double)total);
    char bar[40];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %llu/%llu patients  %.0f/s  %.0f s left   ", bar,
            (unsigned long long)done, (unsigned long long)total, rate, left);
    if (done >= total) fputc('\n', stderr);
    fflush(stderr);
    return 0;
}

#ifdef KS_HAVE_MPI
/* Sum the summaries of all ranks into every rank's (counts are integers and exact
 * values sit in disjoint patient slots, 0 elsewhere, so the sum is exact and
 * order-free). */
static int mpi_merge(ks_quantiles *q, void *user, ks_error *err)
{
    (void)user;
    size_t cells = ks_quantiles_n_cells(q), n_bins = 0;
    uint32_t *counts = ks_quantiles_counts(q, 0, &n_bins);
    const size_t chunk = (size_t)1 << 26;
    int rc = MPI_SUCCESS;
    if (counts) {
        size_t total = cells * n_bins;
        for (size_t off = 0; off < total && rc == MPI_SUCCESS; off += chunk)
            rc = MPI_Allreduce(MPI_IN_PLACE, counts + off,
                               (int)(total - off < chunk ? total - off : chunk), MPI_UINT32_T,
                               MPI_SUM, MPI_COMM_WORLD);
    } else {
        double *v = ks_quantiles_values(q, 0);
        size_t total = cells * ks_quantiles_capacity(q);
        for (size_t off = 0; off < total && rc == MPI_SUCCESS; off += chunk)
            rc = MPI_Allreduce(MPI_IN_PLACE, v + off,
                               (int)(total - off < chunk ? total - off : chunk), MPI_DOUBLE,
                               MPI_SUM, MPI_COMM_WORLD);
    }
    if (rc == MPI_SUCCESS)
        rc = MPI_Allreduce(MPI_IN_PLACE, ks_quantiles_cell_counts(q), (int)cells, MPI_UINT64_T,
                           MPI_SUM, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return ks_error_set(err, KS_EIO, "MPI: merging the summaries failed");
    return KS_OK;
}
#endif

/* ---------------------------------------------------------------- outputs */

static void pname(char *buf, size_t n, const char *out, double p)
{
    snprintf(buf, n, "%s_p%g", out, p * 100.0);
}

/* The percentile table of replicate 0 (the trial; replicates are reported apart). */
static int write_percentiles(const trial_args *a, const ks_trial *t)
{
    size_t nt = a->spec.n_times, no = ks_trial_n_outputs(t), np = a->spec.n_probs;
    size_t nc = no * np;
    double *vals = malloc(nc * nt * sizeof *vals);
    const double **cols = malloc(nc * sizeof *cols);
    char(*names)[128] = malloc(nc * sizeof *names);
    const char **nptr = malloc(nc * sizeof *nptr);
    int rc = 0;
    if (!vals || !cols || !names || !nptr) {
        cli_error("trial", "out of memory");
        rc = 1;
        goto done;
    }
    for (size_t j = 0; j < no; j++)
        for (size_t k = 0; k < np; k++) {
            size_t c = j * np + k;
            pname(names[c], sizeof names[c], ks_trial_output_name(t, j), a->probs[k]);
            nptr[c] = names[c];
            cols[c] = vals + c * nt;
            for (size_t i = 0; i < nt; i++)
                vals[c * nt + i] = ks_trial_quantile(t, 0, i, j, k);
        }
    char n_text[32], seed_text[32];
    snprintf(n_text, sizeof n_text, "%llu", (unsigned long long)a->spec.n);
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)a->spec.seed);
    char var_text[2048] = "none";
    size_t used = 0, nv = ks_variability_n(a->var);
    for (size_t k = 0; k < nv && used < sizeof var_text; k++) {
        ks_variability_item it;
        ks_variability_item_get(a->var, k, &it);
        used += (size_t)snprintf(var_text + used, sizeof var_text - used, "%s%s %s %.4g (%s)",
                                 k ? "; " : "", it.name,
                                 it.type == KS_IIV_LOGIT ? "logit variance" : "omega^2",
                                 it.variance, it.assumed ? "ASSUMED, not published" : "published");
    }
    const char *mk[] = {"model",       "patients",   "seed",     "quantiles",
                        "variability", "population", "statement"};
    const char *mv[] = {ks_model_name(a->model),
                        n_text,
                        seed_text,
                        ks_trial_is_exact(t) ? "exact (type 7)"
                                             : "histogram (relative error <= 0.79%)",
                        var_text,
                        a->pop ? ks_population_text(a->pop) : "every patient the same covariates",
                        KS_DISCLAIMER};
    ks_table tab = {.time_h = a->times,
                    .n_rows = nt,
                    .names = nptr,
                    .cols = cols,
                    .n_cols = nc,
                    .meta_keys = mk,
                    .meta_values = mv,
                    .n_meta = 7};
    ks_error err = {0};
    if (ks_table_write(&tab, a->format, a->out ? a->out : "-", stdout, &err)) {
        cli_error("trial", "--out: %s", err.msg);
        rc = 1;
    }
done:
    free(vals);
    free(cols);
    free(names);
    free(nptr);
    return rc;
}

/* For each percentile column, its 5th, 50th and 95th percentile across replicates. */
static int write_replicates(const trial_args *a, const ks_trial *t)
{
    static const double across[] = {0.05, 0.5, 0.95};
    size_t nt = a->spec.n_times, no = ks_trial_n_outputs(t), np = a->spec.n_probs;
    uint32_t nr = a->spec.replicates;
    size_t nc = no * np * 3;
    double *vals = malloc(nc * nt * sizeof *vals), *tmp = malloc(nr * sizeof *tmp);
    const double **cols = malloc(nc * sizeof *cols);
    char(*names)[160] = malloc(nc * sizeof *names);
    const char **nptr = malloc(nc * sizeof *nptr);
    ks_quantiles *q = NULL;
    ks_error err = {0};
    int rc = 0;
    if (!vals || !tmp || !cols || !names || !nptr || ks_quantiles_create(1, nr, 1, &q, &err)) {
        cli_error("trial", "out of memory");
        rc = 1;
        goto done;
    }
    for (size_t j = 0; j < no; j++)
        for (size_t k = 0; k < np; k++)
            for (size_t m = 0; m < 3; m++) {
                size_t c = (j * np + k) * 3 + m;
                char base[128];
                pname(base, sizeof base, ks_trial_output_name(t, j), a->probs[k]);
                snprintf(names[c], sizeof names[c], "%s_across_p%g", base, across[m] * 100);
                nptr[c] = names[c];
                cols[c] = vals + c * nt;
            }
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < no; j++)
            for (size_t k = 0; k < np; k++) {
                ks_quantiles_free(q);
                q = NULL;
                ks_quantiles_create(1, nr, 1, &q, &err);
                int finite = 1;
                for (uint32_t r = 0; r < nr; r++) {
                    double v = ks_trial_quantile(t, r, i, j, k);
                    finite &= isfinite(v);
                    if (isfinite(v)) ks_quantiles_add(q, 0, r, v, NULL);
                }
                for (size_t m = 0; m < 3; m++)
                    vals[((j * np + k) * 3 + m) * nt + i] =
                        finite ? ks_quantiles_get(q, 0, across[m]) : NAN;
            }
    ks_table tab = {.time_h = a->times, .n_rows = nt, .names = nptr, .cols = cols, .n_cols = nc};
    if (ks_table_write(&tab, KS_FORMAT_CSV, a->rep_out, NULL, &err)) {
        cli_error("trial", "--replicates-out: %s", err.msg);
        rc = 1;
    }
done:
    ks_quantiles_free(q);
    free(vals);
    free(tmp);
    free(cols);
    free(names);
    free(nptr);
    return rc;
}

static int write_plot(const trial_args *a, const ks_trial *t)
{
    size_t nt = a->spec.n_times, no = ks_trial_n_outputs(t), np = a->spec.n_probs;
    /* The median line, and the band between the lowest and highest percentile asked. */
    size_t k_lo = 0, k_hi = 0, k_mid = 0;
    for (size_t k = 0; k < np; k++) {
        if (a->probs[k] < a->probs[k_lo]) k_lo = k;
        if (a->probs[k] > a->probs[k_hi]) k_hi = k;
        if (fabs(a->probs[k] - 0.5) < fabs(a->probs[k_mid] - 0.5)) k_mid = k;
    }
    double *v = malloc(3 * no * nt * sizeof *v);
    ks_plot_series *ser = calloc(no, sizeof *ser);
    char(*labels)[160] = calloc(no, sizeof *labels);
    int rc = 0;
    if (!v || !ser || !labels) {
        rc = 1;
        goto done;
    }
    for (size_t j = 0; j < no; j++) {
        double *mid = v + (3 * j) * nt, *lo = mid + nt, *hi = lo + nt;
        for (size_t i = 0; i < nt; i++) {
            mid[i] = ks_trial_quantile(t, 0, i, j, k_mid);
            lo[i] = ks_trial_quantile(t, 0, i, j, k_lo);
            hi[i] = ks_trial_quantile(t, 0, i, j, k_hi);
        }
        const char *name = ks_trial_output_name(t, j);
        snprintf(labels[j], sizeof labels[j], "%s p%g (band p%g-p%g)", name, a->probs[k_mid] * 100,
                 a->probs[k_lo] * 100, a->probs[k_hi] * 100);
        ser[j] = (ks_plot_series){.label = labels[j],
                                  .x = a->times,
                                  .y = mid,
                                  .n = nt,
                                  .dashed = strncmp(name, "ce_", 3) == 0,
                                  .band_lo = np > 1 ? lo : NULL,
                                  .band_hi = np > 1 ? hi : NULL};
    }
    size_t nd = ks_regimen_n_doses(a->regimen);
    ks_plot_dose_mark *marks = calloc(nd, sizeof *marks);
    if (!marks) {
        rc = 1;
        goto done;
    }
    for (size_t d = 0; d < nd; d++) {
        const ks_regimen_dose *rd = ks_regimen_dose_get(a->regimen, d);
        marks[d] = (ks_plot_dose_mark){rd->time_h, rd->duration_h, NULL};
    }
    char title[200], subtitle[300];
    snprintf(title, sizeof title, "Virtual trial: %llu patients, %s", (unsigned long long)a->spec.n,
             ks_model_name(a->model));
    snprintf(subtitle, sizeof subtitle, "%s; seed %llu", ks_model_title(a->model),
             (unsigned long long)a->spec.seed);
    ks_plot_calendar cal;
    ks_datetime dt;
    int has_cal =
        ks_regimen_start_kind(a->regimen) != 0 && ks_regimen_start(a->regimen, &dt, NULL) == 0;
    if (has_cal) cal = (ks_plot_calendar){dt.year, dt.month, dt.day, dt.hour, dt.minute};
    ks_plot_spec ps = {.calendar = has_cal ? &cal : NULL,
                       .title = title,
                       .subtitle = subtitle,
                       .y_label = "concentration (ng/mL)",
                       .series = ser,
                       .n_series = no,
                       .doses = marks,
                       .n_doses = nd,
                       .threshold = NAN,
                       .footer = KS_DISCLAIMER};
    ks_error err = {0};
    if (ks_plot_write(&ps, a->plot, &err)) {
        cli_error("trial", "--plot: %s", err.msg);
        rc = 1;
    }
    free(marks);
done:
    if (rc && !v) cli_error("trial", "out of memory");
    free(v);
    free(ser);
    free(labels);
    return rc;
}

static void print_summary(const trial_args *a, const ks_trial *t, double secs)
{
    uint64_t total = a->spec.n * a->spec.replicates;
    fprintf(stderr,
            "trial: %llu patients x %u replicate(s) of %s in %.2f s (%.0f patients/s, %d "
            "rank(s))\n",
            (unsigned long long)a->spec.n, a->spec.replicates, ks_model_name(a->model), secs,
            secs > 0 ? (double)total / secs : 0.0, a->n_ranks);
    size_t nv = ks_variability_n(a->var);
    if (nv == 0) fprintf(stderr, "variability: none\n");
    for (size_t k = 0; k < nv; k++) {
        ks_variability_item it;
        ks_variability_item_get(a->var, k, &it);
        if (it.type == KS_IIV_LOGIT)
            fprintf(stderr, "variability: %-8s logit SD %.3g (%s)\n", it.name, sqrt(it.variance),
                    it.assumed ? "ASSUMED, not published" : "published");
        else
            fprintf(stderr, "variability: %-8s CV %.1f%% (omega^2 %.4g; %s)\n", it.name,
                    100.0 * sqrt(expm1(it.variance)), it.variance,
                    it.assumed ? "ASSUMED, not published" : "published");
    }
    if (a->var && *ks_variability_notes(a->var))
        fprintf(stderr, "note: %s\n", ks_variability_notes(a->var));
    if (a->pop) fprintf(stderr, "population: %s\n", ks_population_text(a->pop));
    fprintf(stderr, "percentiles: %s; summary memory %.1f MiB\n",
            ks_trial_is_exact(t) ? "exact (sorted values, type 7)"
                                 : "streaming histogram (relative error <= 0.79%)",
            (double)ks_trial_bytes(t) / 1048576.0);
    if (ks_trial_n_clipped(t))
        fprintf(stderr,
                "warning: %llu percentile values fell below %.3g ng/mL (the histogram's "
                "floor) and are reported as 0\n",
                (unsigned long long)ks_trial_n_clipped(t), ldexp(1.0, KS_QUANT_MIN_EXP));
    if (a->spec.residual) {
        fprintf(stderr, "residual error: added to");
        for (size_t j = 0; j < ks_trial_n_outputs(t); j++)
            if (ks_trial_output_has_residual(t, j))
                fprintf(stderr, " %s", ks_trial_output_name(t, j));
        fprintf(stderr, " (the others have none published)\n");
    }
    if (a->spec.replicates > 1) {
        char list[1024] = "";
        size_t used = 0;
        for (size_t p = 0; p < ks_model_n_params(a->model) && used < sizeof list; p++) {
            ks_param_info pi;
            ks_model_param(a->model, p, &pi);
            if (!isnan(pi.rse_percent) && pi.rse_percent > 0)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %g%%",
                                         used ? ", " : "", pi.name, pi.rse_percent);
        }
        if (!a->spec.uncertainty)
            fprintf(stderr,
                    "replicates: differ in the patients drawn only (typical values "
                    "fixed%s)\n",
                    *list ? "; --uncertainty draws them from the published standard errors" : "");
        else if (*list)
            fprintf(stderr,
                    "replicates: typical values drawn per replicate from the published "
                    "standard errors: %s; the others fixed\n",
                    list);
        else
            fprintf(stderr,
                    "warning: model %s publishes no standard errors: the replicates "
                    "differ in the patients drawn only%s\n",
                    ks_model_name(a->model),
                    a->has_resp ? " (in PK; in --response each replicate also takes a response "
                                  "parameter set of the calibration's uncertainty)"
                                : "");
    }
    fprintf(stderr, "%s\n", KS_DISCLAIMER);
}

/* Rank 0: the ranks' parts in the order one process writes them: replicate by
 * replicate, and within one the ranks' contiguous patient ranges in rank order. Each
 * part is already in replicate order, so one pending line per part suffices. */
static int join_parts(const trial_args *a, FILE *o)
{
    int n = a->n_ranks, rc = 0;
    FILE **p = calloc((size_t)n, sizeof *p);
    char **line = calloc((size_t)n, sizeof *line);
    size_t *cap = calloc((size_t)n, sizeof *cap);
    ssize_t *len = calloc((size_t)n, sizeof *len);
    if (!p || !line || !cap || !len) rc = 1;
    for (int k = 0; k < n && !rc; k++) {
        char part[4200];
        snprintf(part, sizeof part, "%s.rank%d", a->patients, k);
        if (!(p[k] = fopen(part, "r"))) rc = 1;
        if (!rc) len[k] = getline(&line[k], &cap[k], p[k]);
    }
    for (uint32_t r = 1; r <= a->spec.replicates && !rc; r++)
        for (int k = 0; k < n && !rc; k++)
            while (len[k] > 0 && strtoul(line[k], NULL, 10) == r) {
                if (fwrite(line[k], 1, (size_t)len[k], o) != (size_t)len[k]) rc = 1;
                len[k] = getline(&line[k], &cap[k], p[k]);
            }
    for (int k = 0; k < n && !rc; k++)
        if (len[k] > 0) rc = 1; /* a line out of replicate order: not ours */
    for (int k = 0; p && k < n; k++) {
        if (p[k]) fclose(p[k]);
        if (line) free(line[k]);
    }
    free(p);
    free(line);
    free(cap);
    free(len);
    return rc;
}

/* Per-patient rows: each rank writes its part; rank 0 joins the parts in rank order
 * (patients are split in contiguous ranges), under the header, atomically. */
static int open_patients(trial_args *a, FILE **f, char *tmp, size_t tmp_size)
{
    ks_error err = {0};
    if (a->n_ranks == 1) {
        if (ks_atomic_open(a->patients, f, tmp, tmp_size, &err)) {
            cli_error("trial", "--patients: %s", err.msg);
            return 1;
        }
        return 0;
    }
    snprintf(tmp, tmp_size, "%s.rank%d", a->patients, a->rank);
    *f = fopen(tmp, "w");
    if (!*f) {
        cli_error("trial", "--patients: cannot write %s: %s", tmp, strerror(errno));
        return 1;
    }
    return 0;
}

static int finish_patients(trial_args *a, FILE *f, const char *tmp, int ok)
{
    ks_error err = {0};
    if (a->n_ranks == 1) {
        if (!ok) {
            ks_atomic_abort(f, tmp);
            return 1;
        }
        if (ks_atomic_commit(f, tmp, a->patients, &err)) {
            cli_error("trial", "--patients: %s", err.msg);
            return 1;
        }
        return 0;
    }
    int bad = fclose(f) != 0 || !ok;
#ifdef KS_HAVE_MPI
    int any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    bad = any_bad;
#endif
    int rc = 0;
    if (a->rank == 0 && !bad) {
        char out_tmp[4200];
        FILE *o;
        if (ks_atomic_open(a->patients, &o, out_tmp, sizeof out_tmp, &err)) {
            cli_error("trial", "--patients: %s", err.msg);
            rc = 1;
        } else {
            char header[8192];
            if (ks_trial_patients_header(&a->spec, header, sizeof header, &err) == 0)
                fprintf(o, "%s\n", header);
            rc = join_parts(a, o);
            if (rc) {
                ks_atomic_abort(o, out_tmp);
                cli_error("trial", "--patients: cannot join the ranks' parts");
            } else if (ks_atomic_commit(o, out_tmp, a->patients, &err)) {
                cli_error("trial", "--patients: %s", err.msg);
                rc = 1;
            }
        }
    }
#ifdef KS_HAVE_MPI
    MPI_Barrier(MPI_COMM_WORLD);
#endif
    remove(tmp);
    return rc || bad;
}

/* ---------------------------------------------------------------- main */

static void free_args(trial_args *a)
{
    ks_variability_free(a->var);
    ks_population_free(a->pop);
    ks_regimen_free(a->regimen);
    ks_model_free(a->model);
    if (a->has_resp) trial_resp_free(&a->resp);
    free(a->doses);
    free(a->times);
    free(a->probs);
    free(a->thresholds);
    for (size_t i = 0; i < a->n_outputs; i++)
        free(a->outputs[i]);
    free(a->outputs);
}

static int load_model(const cli_opt *o, trial_args *a)
{
    char *path = a->model_path;
    ks_error err = {0};
    if (!o[O_MODEL].value) return fail(a, "%s", "--model is required (see ketsim models)");
    if (ks_model_find(o[O_MODEL].value, cli_models_dir(), path, sizeof a->model_path, &err) ||
        ks_model_load(path, &a->model, &err))
        return fail(a, "--model: %s", err.msg);
    a->spec.model = a->model;
    return 0;
}

static int parse_threshold(const cli_opt *o, trial_args *a, const ks_trial *probe)
{
    (void)probe;
    if (!o[O_THRESHOLD].value) return 0;
    ks_dim d = KS_DIM_CONC;
    ks_error err = {0};
    double c;
    if (ks_quantity_parse(o[O_THRESHOLD].value, &d, 1, "--threshold", &c, NULL, &err))
        return fail(a, "%s", err.msg);
    if (!(c > 0)) return fail(a, "--threshold: %s must be positive", o[O_THRESHOLD].value);
    a->thresholds = malloc(64 * sizeof *a->thresholds);
    if (!a->thresholds) return fail(a, "%s", "out of memory");
    for (int j = 0; j < 64; j++)
        a->thresholds[j] = c;
    a->spec.thresholds = a->thresholds;
    return 0;
}

/* --response: the patients' MADRS response (cli/trial_response.c), prepared before the
 * trial so that bad input stops it early. */
static int parse_response(const cli_opt *o, trial_args *a)
{
    if (!o[O_RESPONSE].value) {
        const int deps[] = {O_MADRS,       O_MADRS_SD,    O_REM_CUTOFF, O_RESP_CTX,
                            O_RESP_PARAMS, O_PLACEBO_CTX, O_HAMD};
        for (size_t k = 0; k < sizeof deps / sizeof *deps; k++)
            if (o[deps[k]].value) return fail(a, "--%s goes with --response FILE", o[deps[k]].name);
        return 0;
    }
    a->has_resp = 1;
    trial_resp_opts ro = {o[O_RESPONSE].value,
                          o[O_MADRS].value,
                          o[O_MADRS_SD].value,
                          o[O_REM_CUTOFF].value,
                          o[O_RESP_CTX].value,
                          o[O_PLACEBO_CTX].value,
                          o[O_RESP_PARAMS].value,
                          a->model,
                          a->regimen,
                          &a->spec.base,
                          o[O_POP].value        ? "--population"
                          : o[O_POP_FILE].value ? "--population-file"
                          : o[O_COV_CSV].value  ? "--covariates-csv"
                                                : NULL,
                          a->times[a->spec.n_times - 1],
                          a->model_path,
                          o[O_HAMD].value,
                          a->spec.replicates,
                          a->spec.uncertainty};
    return trial_resp_setup(&a->resp, a->rank == 0, &ro);
}

/* No output may be an input (the model file, the regimen, population and covariate
 * files, the response parameters and the PD file they use): checked before the trial. */
static int check_inputs(const cli_opt *o, const trial_args *a)
{
    const char *const names[] = {"--out", "--plot", "--patients", "--replicates-out", "--response"};
    const char *const paths[] = {a->out, a->plot, a->patients, a->rep_out, o[O_RESPONSE].value};
    const char *const in_names[] = {"--model",          "--regimen-file",    "--population-file",
                                    "--covariates-csv", "--response-params", "the PD file"};
    const char *const in_paths[] = {a->model_path,
                                    o[O_REGIMEN_FILE].value,
                                    o[O_POP_FILE].value,
                                    o[O_COV_CSV].value,
                                    a->has_resp ? a->resp.params_path : NULL,
                                    a->has_resp ? a->resp.e.pd_path : NULL};
    return cli_check_inputs(a->rank == 0 ? "trial" : NULL, names, paths, 5, in_names, in_paths, 6);
}

static int run(const cli_opt *o, trial_args *a)
{
    int rc = load_model(o, a);
    if (!rc) rc = parse_patients(o, a);
    if (!rc) rc = parse_regimen(o, a);
    if (!rc) rc = parse_grid(o, a);
    if (!rc) rc = parse_output_opts(o, a);
    if (!rc) rc = parse_run(o, a);
    if (!rc) rc = parse_variability(o, a);
    if (!rc) rc = parse_threshold(o, a, NULL);
    if (!rc) rc = parse_response(o, a);
    if (!rc) rc = check_inputs(o, a);
    if (rc) return rc;
    a->spec.rank = a->rank;
    a->spec.n_ranks = a->n_ranks;
#ifdef KS_HAVE_MPI
    if (a->n_ranks > 1) a->spec.merge = mpi_merge;
#endif
    if (!a->quiet && a->rank == 0 && isatty(fileno(stderr))) {
        a->spec.progress = progress;
        a->spec.progress_user = a;
    }
    FILE *pf = NULL;
    char ptmp[4200] = "";
    if (a->patients) {
        if (open_patients(a, &pf, ptmp, sizeof ptmp)) return 1;
        a->spec.patients_out = pf;
        if (a->n_ranks == 1) {
            char header[8192];
            ks_error herr = {0};
            if (ks_trial_patients_header(&a->spec, header, sizeof header, &herr)) {
                ks_atomic_abort(pf, ptmp);
                return fail(a, "%s", herr.msg);
            }
            fprintf(pf, "%s\n", header);
        }
    }
    ks_trial *t = NULL;
    ks_error err = {0};
    a->t0 = now_s();
    int trc = ks_trial_run(&a->spec, &t, &err);
    double secs = now_s() - a->t0;
    if (pf && finish_patients(a, pf, ptmp, trc == KS_OK)) rc = 1;
    if (trc) {
        if (a->rank == 0) cli_error("trial", "%s", err.msg);
        return trc == KS_EINVAL || trc == KS_ENOTFOUND ? 2 : 1;
    }
    if (a->rank == 0) {
        if (!rc) rc = write_percentiles(a, t);
        if (!rc && a->rep_out) rc = write_replicates(a, t);
        if (!rc && a->plot) rc = write_plot(a, t);
        if (!rc && a->has_resp)
            rc = trial_resp_write(&a->resp, a->times, a->spec.n_times, a->spec.n, a->spec.seed,
                                  a->spec.threads, a->quiet);
        if (!a->quiet) print_summary(a, t, secs);
    }
    ks_trial_free(t);
    return rc;
}

int cmd_trial(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        [O_MODEL] = {"model", 1},
        [O_REGIMEN] = {"regimen", 1},
        [O_REGIMEN_FILE] = {"regimen-file", 1},
        [O_N] = {"n", 1},
        [O_WEIGHT] = {"weight", 1},
        [O_AGE] = {"age", 1},
        [O_COV] = {"covariate", 1, .repeatable = 1},
        [O_POP] = {"population", 1},
        [O_POP_FILE] = {"population-file", 1},
        [O_COV_CSV] = {"covariates-csv", 1},
        [O_RESAMPLE] = {"resample", 0},
        [O_IIV] = {"iiv", 1},
        [O_IIV_ONLY] = {"iiv-only", 1},
        [O_NO_IIV] = {"no-iiv", 0},
        [O_RESIDUAL] = {"residual", 0},
        [O_SEED] = {"seed", 1},
        [O_THREADS] = {"threads", 1},
        [O_REPLICATES] = {"replicates", 1},
        [O_EXACT] = {"exact", 0},
        [O_HISTOGRAM] = {"histogram", 0},
        [O_UNTIL] = {"until", 1},
        [O_EVERY] = {"every", 1},
        [O_OUTPUTS] = {"outputs", 1},
        [O_PERCENTILES] = {"percentiles", 1},
        [O_OUT] = {"out", 1},
        [O_FORMAT] = {"format", 1},
        [O_PLOT] = {"plot", 1},
        [O_PATIENTS] = {"patients", 1},
        [O_THRESHOLD] = {"threshold", 1},
        [O_REPLICATES_OUT] = {"replicates-out", 1},
        [O_UNCERTAINTY] = {"uncertainty", 0},
        [O_QUIET] = {"quiet", 0},
        [O_RESPONSE] = {"response", 1},
        [O_MADRS] = {"madrs", 1},
        [O_MADRS_SD] = {"madrs-sd", 1},
        [O_REM_CUTOFF] = {"remission-cutoff", 1},
        [O_RESP_CTX] = {"response-context", 1},
        [O_RESP_PARAMS] = {"response-params", 1},
        [O_PLACEBO_CTX] = {"placebo-context", 1},
        [O_HAMD] = {"hamd", 1},
    };
    trial_args a = {0};
    a.n_ranks = 1;
#ifdef KS_HAVE_MPI
    /* MPI only under a launcher (mpirun sets these), so that a plain run starts fast
     * and needs no MPI runtime. */
    int use_mpi = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
    if (use_mpi) {
        MPI_Init(NULL, NULL);
        MPI_Comm_rank(MPI_COMM_WORLD, &a.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &a.n_ranks);
    }
#endif
    int help = 0;
    int rc = cli_parse(argc, argv, o, O_COUNT, &help, "trial");
    if (!rc && help) {
        if (a.rank == 0) fputs(HELP, stdout);
    } else if (!rc) {
        rc = run(o, &a);
    }
    free_args(&a);
    cli_free_opts(o, O_COUNT);
#ifdef KS_HAVE_MPI
    if (use_mpi) MPI_Finalize();
#endif
    return rc;
}
