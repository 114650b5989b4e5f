/* ketsim forecast: MADRS (or HAM-D, or for the PTSD variant CAPS-5) trajectory, response, remission
 * and relapse for regimens, compared in one table and one plot, with a placebo arm. */
#include "resp.h"
#include "ketsim/regimen.h"
#include "ketsim/trial.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CMD "forecast"
#define DT_H (1.0 / 12.0)
#define MAX_ARMS 16
#define MAX_DAYS 32
#define PTSD_WARN                                                                                  \
    "the PTSD variant is fitted to one 30-patient trial (Feder 2021: two week-2 response "         \
    "shares after six 0.5 mg/kg IV infusions on days 0-11, calibrated with week 2 read at day 14 " \
    "(an assumption: weekly visits from baseline; read at day 12 the fit differs widely); the "    \
    ">= 30 % definition from a press release); other regimens extrapolate the depression "         \
    "model's drug state; its loss of response after the course comes far earlier than the "        \
    "trial's (FAIL in docs/validation-response.md), and its response while the drug state is "     \
    "high (95 % or more a day after one infusion) is not credible: only the six-infusion "         \
    "response at day 14 is fitted"

_Static_assert(KS_RESPONSE_PTSD_WEEK2_DAY == 14, "PTSD_WARN names the read day 14");

/* Printed (and written as "relapse_caveat") when the relapse of two or more dosed
 * depression regimens is compared. The published figures do not decide whether a series
 * relapses later than one infusion (docs/response-model.md, "The relapse order"): the
 * shipped calibration fails that check; a file fitted with the order imposed (calibrate
 * --order, a sensitivity fit) meets it by construction. */
static const char RELAPSE_CAVEAT_IMPOSED[] =
    "relapse times compare regimens only as far as the model does: that six infusions over "
    "two weeks relapse at least a day later than one is imposed by this parameter file's fit "
    "(calibrate --order; the published figures do not decide the order; "
    "docs/response-model.md, "
    "\"The relapse order\"), and no figure fixes the order of the other regimens";
static const char RELAPSE_CAVEAT_FREE[] =
    "relapse times compare regimens only as far as the model does: on the shipped "
    "calibration six infusions do not relapse later than one (the share of responders still "
    "responding after six lies a little below one infusion's at every daily check), against "
    "the trials' longer relapse after a series; a required check that fails "
    "(docs/validation-response.md)";

static const char HELP[] =
    "usage: ketsim forecast (--madrs SCORE | --hamd SCORE) [--regimen TEXT]... [options]\n"
    "       ketsim forecast --indication ptsd --caps5 SCORE [--regimen TEXT]... [options]\n"
    "\n"
    "Forecasts the MADRS (or HAM-D: --hamd) score over a course for a patient with baseline\n"
    "SCORE, from the calibrated response model (docs/response-model.md, parameters in\n"
    "data/response-params.json): the median trajectory with its 10-90 % band over virtual\n"
    "patients who share the baseline, the probability of response (>= 50 % reduction) and\n"
    "remission (MADRS <= 10, or --remission-cutoff) on chosen days, and the time to relapse\n"
    "(loss of response) after the last dose among those responding 24 h after it. A placebo\n"
    "arm (same visits, no drug) is always added. Without --regimen it compares:\n"
    "  single infusion; six over two weeks; six then weekly x4; twice weekly x4 weeks;\n"
    "  three times weekly x4 weeks (0.5 mg/kg IV over 40 min, racemic); esketamine 84 mg\n"
    "  nasal twice weekly x4 weeks; esketamine as labelled (2/week x4w, 1/week x4w,\n"
    "  every 2 weeks). IV regimens run through the racemic model (domino-1982), nasal ones\n"
    "  through the esketamine model (perez-ruixo-2021), or those the --params file records\n"
    "  (its \"drive\", written by ketsim calibrate). The model was calibrated on racemic\n"
    "ketamine IV 0.1-1.0 mg/kg over 40 min and esketamine nasal 56-84 mg: other doses or\n"
    "infusion times get a stated warning (stderr, table, --out), and a dose above 10 times\n"
    "the largest calibrated one is refused.\n"
    "\n"
    "  --indication I       depression (default) or ptsd: the PTSD (CAPS-5) variant, fitted\n"
    "                       to one 30-patient trial (Feder 2021: week-2 response after six\n"
    "                       0.5 mg/kg IV infusions, read at day 14); response = CAPS-5\n"
    "                       reduced by >= 30 %; no remission (no published CAPS-5\n"
    "                       definition in the notes); IV regimens in the active context\n"
    "                       only (no esketamine PTSD data)\n"
    "  --caps5 SCORE        baseline CAPS-5 (1-80), required with --indication ptsd\n"
    "  --caps5-sd SD        its spread for a virtual trial (default 0)\n"
    "  --madrs SCORE        baseline MADRS (1-60), required unless --hamd; at or below the\n"
    "                       remission cutoff it is already a remission (a warning says so)\n"
    "  --hamd SCORE         baseline HAM-D instead of --madrs (1 to " RESP_HAMD_LIMIT_TEXT
    ", the HAM-D of\n"
    "                       MADRS 60 rounded down; the 17-item range 0-52 is assumed).\n"
    "                       The model runs in MADRS, the baseline converted;\n"
    "                       every score output (percentiles, means, changes, plot) is HAM-D,\n"
    "                       converted per patient from MADRS through the published\n"
    "                       equipercentile linking of Leucht et al. 2018 (J Affect Disord,\n"
    "                       PMID 29031182): piecewise linear through HAM-D 10, 20, 30, 40 =\n"
    "                       MADRS 13, 26, 39, 52.5 (\"52-53\"), with 0 = 0 assumed; above\n"
    "                       HAM-D 40 an extrapolation (a warning says so). Response (>= 50 %\n"
    "                       reduction) stays computed in MADRS: Leucht found a percentage\n"
    "                       improvement about the same on both scales. Remission: HAM-D <= 7\n"
    "                       (the HRSD remission of Zarate 2006), i.e. MADRS <= 9.1\n"
    "  --madrs-sd SD        baseline spread for a virtual trial (default 0: one patient);\n"
    "                       MADRS only (a HAM-D spread has no published conversion)\n"
    "  --regimen TEXT       a regimen (docs/regimen.md), repeatable; \"label=TEXT\" names it\n"
    "  --weight KG          body weight for mg/kg doses and the PK (default 70)\n"
    "  --age Y              age for the esketamine PK (default 45)\n"
    "  --days LIST          days for the probabilities (default 1,7,14,28,56,90 up to --until),\n"
    "                       counted from time 0 of the regimens: their start date and time\n"
    "                       when they give one (\"start 2026-11-30 09:00\"), else the first\n"
    "                       dose; nothing (drug or placebo) acts before the first dose\n"
    "  --until D            forecast horizon in days from the same time 0 (default 90)\n"
    "  --patients N         virtual patients per arm, 10 to 10000000 (default 10000)\n"
    "  --seed S             random seed, 0 to 2^64-1 (default 1): results are reproducible\n"
    "                       and the same for any thread count\n"
    "  --context CTX        non-drug context of the drug arms: active (default for IV),\n"
    "                       oral-ad (default for esketamine: with a new oral antidepressant),\n"
    "                       saline, anaesthesia, soc\n"
    "  --placebo-context CTX  context of the placebo arm (default: that of the first\n"
    "                       regimen, whose visits it has; as in the trials, e.g. TRANSFORM's\n"
    "                       control arm also started the oral antidepressant)\n"
    "  --remission-cutoff S MADRS at or below which a patient is remitted (default 10);\n"
    "                       with --hamd a HAM-D score (default 7, up to " RESP_HAMD_LIMIT_TEXT
    "), converted\n"
    "                       to MADRS; above HAM-D 40 an extrapolation (a warning says so)\n"
    "  --params FILE        response parameters (default data/response-params.json)\n"
    "  --pd FILE            NMDA occupancy (PD) parameters (default: the file the --params\n"
    "                       file was fitted with, its drive.pd_file: data/pd-acute.json\n"
    "                       for the shipped one); another is used with a warning\n"
    "  --out FILE           per arm and day: mean, percentiles, change, response, remission\n"
    "                       (.csv: 6 significant digits; .json: 17, every bit); no output\n"
    "                       may be an input (--params, --pd)\n"
    "  --plot FILE          median trajectories with 10-90 % bands (.png or .svg)\n"
    "  --uncertainty        also the calibration's uncertainty: each share and median\n"
    "                       relapse recomputed (population quadrature) under every\n"
    "                       parameter set the --params file's SIR sample holds (200 for\n"
    "                       the shipped file), reported as 5-95 % intervals over the\n"
    "                       sets (relapse checked daily); depression only; about a\n"
    "                       minute on two cores for the default regimens\n"
    "\n"
    "examples:\n"
    "  ketsim forecast --madrs 32 --plot regimens.png\n"
    "  ketsim forecast --madrs 34 --weight 82 --regimen \"six=0.5mg/kg iv over 40min; 3/week x "
    "2w\"\n"
    "  ketsim forecast --madrs 30 --madrs-sd 6 --patients 100000 --out trial.csv\n"
    "  ketsim forecast --hamd 24 --out hamd.csv\n"
    "  ketsim forecast --indication ptsd --caps5 40 --regimen \"six=0.5mg/kg iv over 40min; "
    "3/week x 2w\"\n"
    "\n" KS_RESP_NOTE "\n";

enum {
    O_MADRS,
    O_MADRS_SD,
    O_REGIMEN,
    O_WEIGHT,
    O_AGE,
    O_DAYS,
    O_UNTIL,
    O_PATIENTS,
    O_SEED,
    O_CONTEXT,
    O_PCONTEXT,
    O_CUTOFF,
    O_PARAMS,
    O_OUT,
    O_PLOT,
    O_PD,
    O_HAMD,
    O_INDICATION,
    O_CAPS5,
    O_CAPS5_SD,
    O_UNC,
    O_COUNT
};

static const struct {
    const char *label, *text;
} DEFAULTS[] = {
    {"single infusion", "0.5mg/kg iv over 40min"},
    {"six over 2 weeks", "0.5mg/kg iv over 40min; 3/week x 2w"},
    {"six + weekly x4", "0.5mg/kg iv over 40min; 3/week x 2w; then every 1w x 4"},
    {"2/week x 4w", "0.5mg/kg iv over 40min; 2/week x 4w"},
    {"3/week x 4w", "0.5mg/kg iv over 40min; 3/week x 4w"},
    {"esketamine 2/week x 4w", "84mg nasal; 2/week x 4w"},
    {"esketamine label, 12 wk", "84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 4w"},
};

typedef struct arm {
    char label[128];
    char text[512];
    int ctx, n_doses, placebo;
    double first_dose_h, last_dose_h;
    char warn[512];       /* doses outside the calibrated range, or "" */
    double *D;            /* drug state on the 5-min grid */
    double *occ;          /* NMDA occupancy on the same grid (NULL for placebo) */
    ks_response_params p; /* with this arm's last visit */
} arm;

typedef struct day_stats {
    double mean, p10, p50, p90, mean_change, sd_change, p_resp, p_remit;
} day_stats;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A time point of the forecast: a daily visit (index < nt) or a requested day. */
typedef struct time_point {
    double t_d;
    size_t index;
} time_point;

static int cmp_time_point(const void *a, const void *b)
{
    const time_point *x = a, *y = b;
    if (x->t_d != y->t_d) return (x->t_d > y->t_d) - (x->t_d < y->t_d);
    return (x->index > y->index) - (x->index < y->index);
}

/* order[0..nt + ndays): the daily visits 0..nt-1 (day = index) and the requested days
 * (index nt + j), ascending in time (ties by index). NULL when out of memory. */
static size_t *time_order(size_t nt, const double *days, int ndays)
{
    size_t n = nt + (size_t)ndays;
    time_point *tp = malloc(n * sizeof *tp);
    size_t *order = malloc(n * sizeof *order);
    if (tp && order) {
        for (size_t i = 0; i < n; i++)
            tp[i] = (time_point){i < nt ? (double)i : days[i - nt], i};
        qsort(tp, n, sizeof *tp, cmp_time_point);
        for (size_t i = 0; i < n; i++)
            order[i] = tp[i].index;
    } else {
        free(order);
        order = NULL;
    }
    free(tp);
    return order;
}

static double quant_sorted(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n || v[i + 1] == v[i]) return v[i < n ? i : n - 1];
    if (isinf(v[i + 1])) return pos == (double)i ? v[i] : v[i + 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Build one arm's drug state from a regimen text. */
static int arm_drive(arm *a, const resp_env *e, const ks_response_params *p, double weight,
                     double age, double until_h, const char *optname, int ptsd)
{
    ks_error err = {0};
    size_t n = (size_t)floor(until_h / DT_H + 1e-9) + 1;
    if (a->placebo) {
        a->D = calloc(n, sizeof *a->D);
        return a->D ? 0 : 1;
    }
    ks_regimen *r = NULL;
    if (ks_regimen_parse(a->text, &r, &err)) {
        cli_error(CMD, "%s \"%s\": %s", optname, a->text, err.msg);
        return 2;
    }
    size_t nd = ks_regimen_n_doses(r);
    ks_dose *doses = calloc(nd, sizeof *doses);
    int rc = 0;
    if (!doses) rc = 1;
    if (!rc && ks_regimen_to_doses(r, weight, doses, nd, &err)) {
        cli_error(CMD, "%s \"%s\": %s", optname, a->text, err.msg);
        rc = 2;
    }
    const ks_model *m = NULL;
    for (size_t i = 0; !rc && i < nd; i++) {
        const ks_model *mi = strcmp(doses[i].route, "iv") == 0      ? e->iv
                             : strcmp(doses[i].route, "nasal") == 0 ? e->nasal
                                                                    : NULL;
        if (!mi || (m && mi != m)) {
            cli_error(CMD,
                      "%s \"%s\": route \"%s\": the response model is calibrated for iv "
                      "(racemic ketamine) or nasal (esketamine) courses, one route per regimen",
                      optname, a->text, doses[i].route);
            rc = 2;
        }
        if (!rc && ptsd && mi != e->iv) {
            cli_error(CMD,
                      "%s \"%s\": route \"%s\": the PTSD variant is calibrated for racemic "
                      "ketamine IV only (no esketamine PTSD data in the notes)",
                      optname, a->text, doses[i].route);
            rc = 2;
        }
        m = mi;
        if (doses[i].time_h > until_h) {
            cli_error(CMD, "%s \"%s\": a dose at day %.4g lies beyond --until", optname, a->text,
                      doses[i].time_h / 24);
            rc = 2;
        }
    }
    char why[512];
    if (!rc && resp_dose_check(doses, nd, weight, a->warn, sizeof a->warn, why, sizeof why)) {
        cli_error(CMD, "%s \"%s\": %s", optname, a->text, why);
        rc = 2;
    }
    if (!rc && *a->warn) fprintf(stderr, "warning: %s \"%s\": %s\n", optname, a->text, a->warn);
    if (!rc) {
        a->n_doses = (int)nd;
        resp_dose_span(doses, nd, &a->first_dose_h, &a->last_dose_h);
        a->p.first_visit_h = a->first_dose_h;
        a->p.last_visit_h = a->last_dose_h;
        if (a->ctx < 0) a->ctx = m == e->nasal ? KS_CTX_ORAL_AD : KS_CTX_ACTIVE;
        ks_covariates cov = {0};
        ks_covariates_set(&cov, "weight", weight, NULL);
        ks_covariates_set(&cov, "age", age, NULL);
        double *occ = NULL;
        size_t no = 0;
        if (ks_response_occupancy(m, e->pd, &cov, doses, nd, until_h, DT_H, &occ, &no, &err)) {
            cli_error(CMD, "%s \"%s\": %s", optname, a->text, err.msg);
            rc = 1;
        } else if (!(a->D = malloc(no * sizeof *a->D))) {
            rc = 1;
        } else {
            ks_response_states st = {NULL, NULL, NULL, NULL, a->D, NULL};
            if (ks_response_drive(p, occ, no, DT_H, &st, &err)) {
                cli_error(CMD, "%s", err.msg);
                rc = 1;
            }
        }
        a->occ = occ; /* kept for --uncertainty, freed with the arm */
    }
    free(doses);
    ks_regimen_free(r);
    return rc;
}

/* Days observed after the arm's last dose up to the horizon, rounded down (a median
 * beyond them is "> that many days"; rounding up would claim a day not observed). */
/* Whether the output compares the relapse of two or more dosed depression regimens (arms
 * with a relapse median or one beyond the window; NAN: none computed). */
static int relapse_compared(const arm *arms, const double *relapse_med, int narm, int ptsd)
{
    int dosed = 0;
    for (int ai = 0; ai < narm; ai++)
        dosed += !arms[ai].placebo && !isnan(relapse_med[ai]);
    return !ptsd && dosed >= 2;
}

static double observed_d(const arm *a, double until_d)
{
    return floor(until_d - a->last_dose_h / 24 + 1e-9);
}

/* "12.3" or ">66" (a median beyond the observed window) for the uncertainty table */
static void rel_text(char *b, size_t n, double v, const arm *a, double until_d)
{
    if (isinf(v))
        snprintf(b, n, ">%.0f", observed_d(a, until_d));
    else
        snprintf(b, n, "%.1f", v);
}

/* The --uncertainty table: 5-95 % over the parameter sets, per arm and day. */
static void print_uncertainty(const arm *arms, int narm, const double *days, int ndays,
                              const double *ur, const double *um, const double *ul, size_t nsets,
                              double until_d)
{
    printf("\nCalibration uncertainty: 5-95 %% over the %zu parameter sets of the fit's SIR "
           "sample (docs/response-model.md, Parameter uncertainty); population shares by "
           "quadrature, relapse checked every %g h (daily):\n",
           nsets, RESP_UNC_CHECK_H);
    printf("%-24s", "regimen");
    for (int j = 0; j < ndays; j++)
        printf("  resp_d%-4g", days[j]);
    for (int j = 0; !isnan(um[0]) && j < ndays; j++)
        printf("  remit_d%-3g", days[j]);
    printf("  median_relapse_d\n");
    for (int ai = 0; ai < narm; ai++) {
        printf("%-24.24s", arms[ai].label);
        const double *r = ur + (size_t)ai * (size_t)ndays * 2,
                     *m = um + (size_t)ai * (size_t)ndays * 2;
        for (int j = 0; j < ndays; j++)
            printf("  %4.0f-%3.0f%%", 100 * r[2 * j], 100 * r[2 * j + 1]);
        for (int j = 0; !isnan(um[0]) && j < ndays; j++)
            printf("  %4.0f-%3.0f%%", 100 * m[2 * j], 100 * m[2 * j + 1]);
        if (arms[ai].placebo)
            printf("  -\n");
        else if (isnan(ul[2 * ai]))
            printf("  n/a (last dose + 24 h is beyond --until)\n");
        else {
            char lo[32], hi[32];
            rel_text(lo, sizeof lo, ul[2 * ai], &arms[ai], until_d);
            rel_text(hi, sizeof hi, ul[2 * ai + 1], &arms[ai], until_d);
            printf("  %s to %s d\n", lo, hi);
        }
    }
}

static int parse_num(const char *opt, const char *text, double lo, double hi, double *v)
{
    char name[64];
    snprintf(name, sizeof name, "--%s", opt);
    return resp_parse_score(CMD, 1, name, text, lo, hi, v);
}

/* A HAM-D score given on the command line (option opt, at least lo) into *h and its MADRS
 * equivalent *m (Leucht 2018 linking, ks_response_hamd_to_madrs); *extrap: beyond the
 * last published anchor (may be NULL). */
static int hamd_to_madrs(const char *opt, const char *text, double lo, double *h, double *m,
                         int *extrap)
{
    double x;
    ks_error err = {0};
    if (resp_parse_score(CMD, 0, opt, text, lo, resp_hamd_limit(), &x)) {
        cli_error(CMD,
                  "%s \"%s\": expected a HAM-D score from %g to %g (the HAM-D of MADRS %g, "
                  "rounded down)",
                  opt, text, lo, resp_hamd_limit(), KS_MADRS_MAX);
        return 2;
    }
    if (ks_response_hamd_to_madrs(x, m, extrap, &err)) {
        cli_error(CMD, "%s: %s", opt, err.msg);
        return 2;
    }
    *h = x;
    return 0;
}

int cmd_forecast(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {{"madrs", 1, NULL, 0, NULL, 0, 0},
                          {"madrs-sd", 1, NULL, 0, NULL, 0, 0},
                          {"regimen", 1, NULL, 0, NULL, 0, 1},
                          {"weight", 1, NULL, 0, NULL, 0, 0},
                          {"age", 1, NULL, 0, NULL, 0, 0},
                          {"days", 1, NULL, 0, NULL, 0, 0},
                          {"until", 1, NULL, 0, NULL, 0, 0},
                          {"patients", 1, NULL, 0, NULL, 0, 0},
                          {"seed", 1, NULL, 0, NULL, 0, 0},
                          {"context", 1, NULL, 0, NULL, 0, 0},
                          {"placebo-context", 1, NULL, 0, NULL, 0, 0},
                          {"remission-cutoff", 1, NULL, 0, NULL, 0, 0},
                          {"params", 1, NULL, 0, NULL, 0, 0},
                          {"out", 1, NULL, 0, NULL, 0, 0},
                          {"plot", 1, NULL, 0, NULL, 0, 0},
                          {"pd", 1, NULL, 0, NULL, 0, 0},
                          {"hamd", 1, NULL, 0, NULL, 0, 0},
                          {"indication", 1, NULL, 0, NULL, 0, 0},
                          {"caps5", 1, NULL, 0, NULL, 0, 0},
                          {"caps5-sd", 1, NULL, 0, NULL, 0, 0},
                          {"uncertainty", 0, NULL, 0, NULL, 0, 0}};
    int help = 0;
    if (cli_parse(argc, argv, o, O_COUNT, &help, CMD)) return 2;
    if (help) {
        fputs(HELP, stdout);
        cli_free_opts(o, O_COUNT);
        return 0;
    }
    int rc = 0;
    double b0 = NAN, b0_sd = 0, weight = 70, age = 45, until_d = 90, cutoff = 10;
    uint64_t npat = 10000, seed = 1;
    int ctx = -1, pctx = -1;
    ks_error err = {0};
    /* --uncertainty: the SIR parameter sets and the 5-95 % intervals over them */
    int unc = o[O_UNC].seen;
    ks_response_params *unc_sets = NULL;
    size_t unc_n = 0;
    double *unc_resp = NULL, *unc_remit = NULL, *unc_rel = NULL;
    /* --hamd: the scores shown are HAM-D (hamd = 1); b0 and cutoff stay MADRS, the model's
     * scale, and b0_h, cutoff_h are what the user gave and sees. */
    int hamd = o[O_HAMD].value != NULL, b0_extrap = 0;
    double b0_h = NAN, cutoff_h = 7;
    /* The indication: depression (MADRS, >= 50 %, remission) or the PTSD variant (CAPS-5,
     * >= 30 %, no remission). */
    int ptsd = 0;
    if (o[O_INDICATION].value) {
        if (strcmp(o[O_INDICATION].value, "ptsd") == 0)
            ptsd = 1;
        else if (strcmp(o[O_INDICATION].value, "depression") != 0) {
            cli_error(CMD, "--indication \"%s\": expected depression or ptsd",
                      o[O_INDICATION].value);
            rc = 2;
        }
    }
    const double smax = ptsd ? KS_RESPONSE_CAPS5_MAX : 60.0;
    const double keep =
        ptsd ? 1.0 - KS_RESPONSE_PTSD_REDUCTION : 0.5; /* responder: score <= keep b0 */
    if (rc) {
    } else if (ptsd) {
        const int bad[5] = {O_MADRS, O_MADRS_SD, O_HAMD, O_CUTOFF, -1};
        const char *why[4] = {"the PTSD baseline is --caps5 (1-80; the CAPS-5 scale is 0-80)",
                              "the PTSD baseline spread is --caps5-sd",
                              "the PTSD scale is CAPS-5 (--caps5)",
                              "no published CAPS-5 remission definition is in the notes, so PTSD "
                              "forecasts have no remission"};
        for (int q = 0; bad[q] >= 0 && !rc; q++)
            if (o[bad[q]].value) {
                cli_error(CMD, "--%s: not with --indication ptsd: %s", o[bad[q]].name, why[q]);
                rc = 2;
            }
        if (!rc && unc) {
            cli_error(CMD, "--uncertainty: not with --indication ptsd (the PTSD variant's "
                           "uncertainty is the 1-SE range of its two parameters in the "
                           "--params file; the sets cover the depression fit)");
            rc = 2;
        }
        if (!rc && !o[O_CAPS5].value) {
            cli_error(CMD, "--caps5: the patient's baseline CAPS-5 is required with --indication "
                           "ptsd (1-80)");
            rc = 2;
        }
        if (!rc) rc = parse_num("caps5", o[O_CAPS5].value, 1, KS_RESPONSE_CAPS5_MAX, &b0);
        if (!rc && o[O_CAPS5_SD].value)
            rc = parse_num("caps5-sd", o[O_CAPS5_SD].value, 0, 40, &b0_sd);
        cutoff = -1; /* no remission */
        hamd = 0;
    } else if (o[O_CAPS5].value || o[O_CAPS5_SD].value) {
        cli_error(CMD, "--%s: a CAPS-5 score needs --indication ptsd",
                  o[O_CAPS5].value ? "caps5" : "caps5-sd");
        rc = 2;
    } else {
        if (hamd && o[O_MADRS].value) {
            cli_error(CMD, "--madrs and --hamd: give the baseline on one scale only");
            rc = 2;
        } else if (!hamd && !o[O_MADRS].value) {
            cli_error(CMD,
                      "--madrs: the patient's baseline MADRS is required (1-60), or --hamd for "
                      "HAM-D");
            rc = 2;
        }
        if (!rc && o[O_MADRS].value) rc = parse_num("madrs", o[O_MADRS].value, 1, 60, &b0);
        if (!rc && hamd) rc = hamd_to_madrs("--hamd", o[O_HAMD].value, 1, &b0_h, &b0, &b0_extrap);
        if (!rc && hamd && o[O_MADRS_SD].value) {
            cli_error(CMD,
                      "--madrs-sd goes with --madrs: a baseline spread on HAM-D has no published "
                      "conversion (give --madrs and --madrs-sd)");
            rc = 2;
        }
        if (!rc && o[O_MADRS_SD].value)
            rc = parse_num("madrs-sd", o[O_MADRS_SD].value, 0, 30, &b0_sd);
    }
    if (!rc && o[O_WEIGHT].value)
        rc = cli_parse_plain(CMD, "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, &weight);
    if (!rc && !(weight >= 20 && weight <= 300)) {
        cli_error(CMD, "--weight %s: expected 20 to 300 kg", o[O_WEIGHT].value);
        rc = 2;
    }
    if (!rc && o[O_AGE].value) rc = cli_parse_plain(CMD, "--age", o[O_AGE].value, KS_DIM_AGE, &age);
    if (!rc && !(age >= 18 && age <= 100)) {
        cli_error(CMD, "--age %s: the response model is calibrated on adults (18 to 100 y)",
                  o[O_AGE].value);
        rc = 2;
    }
    if (!rc && o[O_UNTIL].value) {
        double h;
        ks_dim dim = KS_DIM_TIME;
        char *end;
        double x = strtod(o[O_UNTIL].value, &end);
        if (end != o[O_UNTIL].value && !*end)
            until_d = x;
        else if (ks_quantity_parse(o[O_UNTIL].value, &dim, 1, "--until", &h, NULL, &err)) {
            cli_error(CMD, "%s", err.msg);
            rc = 2;
        } else
            until_d = h / 24;
        if (!rc && !(until_d >= 1 && until_d <= 730)) {
            cli_error(CMD, "--until %s: expected 1 to 730 days", o[O_UNTIL].value);
            rc = 2;
        }
    }
    if (!rc && o[O_PATIENTS].value)
        rc = cli_parse_u64(CMD, "--patients", o[O_PATIENTS].value, 10, 10000000, &npat);
    if (!rc && o[O_SEED].value)
        rc = cli_parse_u64(CMD, "--seed", o[O_SEED].value, 0, UINT64_MAX, &seed);
    int cutoff_extrap = 0;
    if (!rc && hamd) {
        char dflt[32];
        snprintf(dflt, sizeof dflt, "%g", cutoff_h);
        rc = hamd_to_madrs("--remission-cutoff", o[O_CUTOFF].value ? o[O_CUTOFF].value : dflt, 0,
                           &cutoff_h, &cutoff, &cutoff_extrap);
    } else if (!rc && o[O_CUTOFF].value)
        rc = parse_num("remission-cutoff", o[O_CUTOFF].value, 0, 59, &cutoff);
    if (!rc && o[O_CONTEXT].value && ks_response_context_parse(o[O_CONTEXT].value, &ctx, &err)) {
        cli_error(CMD, "--context: %s", err.msg);
        rc = 2;
    }
    if (!rc && o[O_PCONTEXT].value && ks_response_context_parse(o[O_PCONTEXT].value, &pctx, &err)) {
        cli_error(CMD, "--placebo-context: %s", err.msg);
        rc = 2;
    }
    if (!rc && ptsd &&
        ((ctx >= 0 && ctx != KS_CTX_ACTIVE) || (pctx >= 0 && pctx != KS_CTX_ACTIVE))) {
        cli_error(CMD,
                  "--%s: the PTSD variant is calibrated in the active context only (Feder "
                  "2021: awake, midazolam-controlled)",
                  ctx >= 0 && ctx != KS_CTX_ACTIVE ? "context" : "placebo-context");
        rc = 2;
    }
    if (ptsd) ctx = KS_CTX_ACTIVE;
    double days[MAX_DAYS] = {0};
    int ndays = 0;
    if (!rc) {
        if (o[O_DAYS].value) {
            const char *s = o[O_DAYS].value;
            while (*s && !rc) {
                char *end;
                double x = strtod(s, &end);
                if (end == s || !(x > 0 && x <= until_d) || ndays >= MAX_DAYS ||
                    (*end && *end != ',')) {
                    cli_error(CMD,
                              "--days \"%s\": item %d: expected days > 0 up to --until (%g), "
                              "comma-separated, at most %d",
                              o[O_DAYS].value, ndays + 1, until_d, MAX_DAYS);
                    rc = 2;
                    break;
                }
                days[ndays++] = x;
                s = *end ? end + 1 : end;
            }
        } else {
            const double dflt[6] = {1, 7, 14, 28, 56, 90};
            for (int i = 0; i < 6; i++)
                if (dflt[i] <= until_d) days[ndays++] = dflt[i];
        }
    }
    /* the outputs: their types and distinct files, before any work */
    if (!rc && o[O_OUT].value) rc = cli_check_ext(CMD, "--out", o[O_OUT].value, "csv", "json");
    if (!rc && o[O_PLOT].value) rc = cli_check_ext(CMD, "--plot", o[O_PLOT].value, "png", "svg");
    if (!rc) {
        const char *const names[] = {"--out", "--plot"};
        const char *const paths[] = {o[O_OUT].value, o[O_PLOT].value};
        rc = cli_check_outputs(CMD, names, paths, 2);
    }
    if (!rc && b0 <= cutoff)
        fprintf(stderr,
                "warning: --%s %.4g: the baseline is already at or below the remission cutoff "
                "(%.4g): every patient whose score does not rise counts as remitted\n",
                hamd ? "hamd" : "madrs", hamd ? b0_h : b0, hamd ? cutoff_h : cutoff);
    /* the baseline or the remission cutoff beyond the last published anchor of the
     * linking: each on stderr with its option, both in the table and --out */
    char extrap_warn[512] = "";
    if (!rc && b0_extrap) {
        resp_hamd_extrap_warning(extrap_warn, sizeof extrap_warn, "baseline", b0_h, b0);
        fprintf(stderr, "warning: --hamd: %s\n", extrap_warn);
    }
    if (!rc && cutoff_extrap) {
        size_t l = strlen(extrap_warn);
        resp_hamd_extrap_warning(extrap_warn, sizeof extrap_warn, "remission cutoff", cutoff_h,
                                 cutoff);
        fprintf(stderr, "warning: --remission-cutoff: %s\n", extrap_warn + l + (l ? 2 : 0));
    }
    char ppath[4096];
    if (o[O_PARAMS].value)
        snprintf(ppath, sizeof ppath, "%s", o[O_PARAMS].value);
    else
        resp_default_params_path(ppath, sizeof ppath);
    ks_response_params p;
    if (!rc && ks_response_params_load(ppath, &p, &err)) {
        cli_error(CMD, "--params: %s", err.msg);
        rc = 2;
    }
    if (!rc && ptsd) {
        ks_response_ptsd v;
        if (ks_response_ptsd_load(ppath, &v, &err)) {
            cli_error(CMD, "--params: %s", err.msg);
            rc = 2;
        } else {
            ks_response_ptsd_params(&p, &v, &p);
            fprintf(stderr, "warning: %s\n", PTSD_WARN);
        }
    }
    int order_imposed = 0;
    if (!rc) rc = resp_order_imposed(CMD, "--params", ppath, &order_imposed);
    const char *relapse_caveat = order_imposed ? RELAPSE_CAVEAT_IMPOSED : RELAPSE_CAVEAT_FREE;
    if (!rc && unc && ks_response_uncertainty_load(ppath, &unc_sets, &unc_n, &err)) {
        cli_error(CMD, "--uncertainty: %s", err.msg);
        rc = 2;
    }
    /* an SIR sample that did not converge is stated wherever the intervals appear */
    char unc_warn[320] = "";
    if (!rc && unc) {
        resp_unc_sir_warning(ppath, unc_n, unc_warn, sizeof unc_warn);
        if (*unc_warn) fprintf(stderr, "warning: --uncertainty: %s\n", unc_warn);
    }
    resp_env e;
    memset(&e, 0, sizeof e);
    if (!rc) rc = resp_env_load_fitted(&e, CMD, "--params", ppath, o[O_PD].value, NULL, NULL);
    if (!rc) { /* no output may be an input, before any work */
        const char *const names[] = {"--out", "--plot"}, *const paths[] = {o[O_OUT].value,
                                                                           o[O_PLOT].value};
        const char *const in_names[] = {"--params", o[O_PD].value ? "--pd" : "the PD file"};
        const char *const in_paths[] = {ppath, e.pd_path};
        rc = cli_check_inputs(CMD, names, paths, 2, in_names, in_paths, 2);
    }

    arm arms[MAX_ARMS];
    int narm = 0;
    memset(arms, 0, sizeof arms);
    if (!rc) {
        int nreg = o[O_REGIMEN].n_all;
        if (nreg + 1 > MAX_ARMS) {
            cli_error(CMD, "--regimen: at most %d regimens", MAX_ARMS - 1);
            rc = 2;
        }
        /* PTSD: the IV defaults only (the esketamine ones are the last two) */
        int ndef = (int)(sizeof DEFAULTS / sizeof *DEFAULTS) - (ptsd ? 2 : 0);
        for (int i = 0; !rc && i < (nreg ? nreg : ndef); i++) {
            arm *a = &arms[narm++];
            a->ctx = ctx;
            a->p = p;
            if (nreg) {
                const char *t = o[O_REGIMEN].all[i], *eq = strchr(t, '=');
                const char *semi = strchr(t, ';');
                if (eq && (!semi || eq < semi) && eq > t) {
                    snprintf(a->label, sizeof a->label, "%.*s", (int)(eq - t), t);
                    snprintf(a->text, sizeof a->text, "%s", eq + 1);
                } else {
                    snprintf(a->label, sizeof a->label, "regimen %d", i + 1);
                    snprintf(a->text, sizeof a->text, "%s", t);
                }
            } else {
                snprintf(a->label, sizeof a->label, "%s", DEFAULTS[i].label);
                snprintf(a->text, sizeof a->text, "%s", DEFAULTS[i].text);
            }
            rc = arm_drive(a, &e, &p, weight, age, until_d * 24, "--regimen", ptsd);
        }
        if (!rc) {
            arm *a = &arms[narm++];
            a->placebo = 1;
            a->ctx = pctx >= 0 ? pctx : arms[0].ctx; /* the visits and context of the first */
            a->p = p;
            a->p.first_visit_h = arms[0].first_dose_h;
            a->p.last_visit_h = arms[0].last_dose_h;
            a->first_dose_h = arms[0].first_dose_h;
            a->last_dose_h = arms[0].last_dose_h;
            snprintf(a->label, sizeof a->label, "placebo (no drug)");
            char first[128];
            memcpy(first, arms[0].label, sizeof first);
            snprintf(a->text, sizeof a->text, "the visits of \"%s\", no drug", first);
            rc = arm_drive(a, &e, &p, weight, age, until_d * 24, "placebo", ptsd);
        }
    }

    /* Virtual patients: each arm uses the same patients (same seed and index). */
    size_t N = (size_t)npat;
    size_t ngrid = (size_t)floor(until_d * 24 / DT_H + 1e-9) + 1;
    size_t nt = (size_t)floor(until_d) + 1; /* daily visits for the table and plot */
    day_stats *stats = NULL;                /* [arm][day index in days[]] */
    double *traj = NULL;                    /* [arm][3][nt]: p10, p50, p90 per day */
    double *relapse_med = NULL, *relapse_share = NULL, *resp_last = NULL;
    const char *relapse_why[MAX_ARMS] = {0}; /* why an arm has no median, or NULL */
    double *buf = NULL, *score = NULL, *base = NULL;
    ks_response_path *path = NULL; /* each patient's within-patient fluctuation */
    size_t *order = NULL;          /* the time points in the order of time */
    if (!rc) {
        stats = calloc((size_t)narm * (size_t)ndays, sizeof *stats);
        traj = calloc((size_t)narm * 4 * nt, sizeof *traj);
        relapse_med = calloc((size_t)narm, sizeof(double));
        relapse_share = calloc((size_t)narm, sizeof(double));
        resp_last = calloc((size_t)narm, sizeof(double));
        buf = malloc(N * sizeof *buf);
        score = malloc(N * sizeof *score);
        base = malloc(N * sizeof *base);
        path = malloc(N * sizeof *path);
        order = time_order(nt, days, ndays);
        if (!order || !stats || !traj || !relapse_med || !relapse_share || !resp_last || !buf ||
            !score || !base || !path)
            rc = 1;
    }
    if (!rc) fprintf(stderr, "forecast: %d arms x %zu virtual patients...\n", narm, N);
    for (int ai = 0; !rc && ai < narm; ai++) {
        arm *a = &arms[ai];
        /* the patients' fluctuation paths (none with fluct_share 0: the factor is 1), advanced
         * through the days below in their order (a requested day earlier than the last one
         * restarts a path) */
        for (size_t i = 0; i < N; i++)
            ks_response_path_init(&path[i], &a->p, seed, 0, i);
        /* daily visits (t = 0 is baseline), plus the requested days, taken in the order of
         * time so that no path restarts (the values are the same either way: a path is a
         * function of the hour; restarting from hour 0 for every requested day cost twice
         * the daily visits' draws with the default days) */
        for (size_t oi = 0; oi < nt + (size_t)ndays; oi++) {
            size_t di = order[oi];
            double td = di < nt ? (double)di : days[di - nt];
            double th = td * 24;
            size_t k = (size_t)llround(th / DT_H);
            if (k >= ngrid) k = ngrid - 1;
            double d = a->D[k];
            /* The patients' scores in parallel (each its own slot), then the sums in
             * patient order: the same bits for any thread count (a floating-point
             * reduction would add in an order that depends on it). */
#pragma omp parallel for schedule(static)
            for (size_t i = 0; i < N; i++) {
                double th_i, ph_i, z[2];
                ks_response_patient(&a->p, a->ctx, seed, i, &th_i, &ph_i);
                double bi = b0;
                if (b0_sd > 0) {
                    ks_rng_normal2(seed, 0, i, KS_RNG_RESPONSE, 1, z);
                    bi = fmin(smax, fmax(1, b0 + b0_sd * z[0]));
                }
                base[i] = bi;
                /* ph_i is the stable part; the path factor is exactly 1 without fluctuation */
                score[i] = ks_response_score(&a->p, a->ctx, bi, th_i,
                                             ph_i * ks_response_path_factor(&path[i], th), th, d);
            }
            double sum = 0, sumc = 0, sumc2 = 0;
            size_t nresp = 0, nrem = 0;
            for (size_t i = 0; i < N; i++) { /* response and remission in MADRS (or CAPS-5) */
                nresp += score[i] <= keep * base[i];
                nrem += score[i] <= cutoff;
            }
            /* shown on HAM-D: each patient's score and change converted (score[] then
             * holds HAM-D, buf[] the HAM-D changes) */
            if (hamd && ks_response_hamd_per_patient(score, base, N, score, buf, &err)) {
                cli_error(CMD, "%s", err.msg); /* scores lie in 0..60: not expected */
                rc = 1;
                break;
            }
            for (size_t i = 0; i < N; i++) {
                double s = score[i], c = hamd ? buf[i] : s - base[i];
                sum += s;
                sumc += c;
                sumc2 += c * c;
            }
            double mean = sum / (double)N, mc = sumc / (double)N;
            double var = sumc2 / (double)N - mc * mc;
            memcpy(buf, score, N * sizeof *buf);
            qsort(buf, N, sizeof *buf, cmp_d);
            day_stats st = {mean,
                            quant_sorted(buf, N, 0.1),
                            quant_sorted(buf, N, 0.5),
                            quant_sorted(buf, N, 0.9),
                            mc,
                            sqrt(var > 0 ? var * (double)N / (double)(N - 1) : 0),
                            (double)nresp / (double)N,
                            (double)nrem / (double)N};
            if (di < nt) {
                double *tr = traj + ((size_t)ai * 4) * nt;
                tr[di] = st.p10;
                tr[nt + di] = st.p50;
                tr[2 * nt + di] = st.p90;
                tr[3 * nt + di] = st.mean;
            } else
                stats[(size_t)ai * (size_t)ndays + (di - nt)] = st;
        }
        /* Relapse: among responders 24 h after the last dose, days from the last dose to
         * the first daily check without response (censored at the horizon). */
        if (!a->placebo) {
            double t0 = a->last_dose_h + 24;
            size_t k0 = (size_t)llround(t0 / DT_H);
            if (k0 >= ngrid) {
                relapse_med[ai] = relapse_share[ai] = NAN;
                relapse_why[ai] = "last dose + 24 h is beyond --until";
                continue;
            }
            /* the library's relapse (ks_response_trial_relapse: the same patients, draws and
             * baselines as above, daily checks, censored median), as `trial --response` */
            ks_response_trial_spec rs = {&a->p, a->ctx, a->D, ngrid, DT_H, NULL, 0,    N, seed,
                                         b0,    b0_sd,  0,    0,     0,    keep, smax, 0};
            ks_response_relapse q;
            if (ks_response_trial_relapse(&rs, &q, &err)) {
                cli_error(CMD, "%s", err.msg);
                rc = 1;
                break;
            }
            resp_last[ai] = (double)q.responders / (double)N;
            relapse_share[ai] = q.share_relapsed;
            /* fewer than half relapsing: censored ("> N d"), not missing */
            relapse_med[ai] = isfinite(q.median_d) ? q.median_d : q.responders ? INFINITY : NAN;
            if (!q.responders) relapse_why[ai] = "no responders 24 h after the last dose";
        } else {
            relapse_med[ai] = relapse_share[ai] = NAN;
            relapse_why[ai] = "placebo arm (no dose)";
        }
    }

    if (!rc && unc) {
        resp_unc_arm ua[MAX_ARMS];
        for (int ai = 0; ai < narm; ai++)
            ua[ai] = (resp_unc_arm){arms[ai].occ, arms[ai].ctx, arms[ai].placebo,
                                    arms[ai].p.first_visit_h, arms[ai].p.last_visit_h};
        resp_unc_spec us = {ngrid, DT_H, days, ndays, log(1 / keep), cutoff, b0, b0_sd};
        unc_resp = malloc((size_t)narm * (size_t)ndays * 2 * sizeof *unc_resp);
        unc_remit = malloc((size_t)narm * (size_t)ndays * 2 * sizeof *unc_remit);
        unc_rel = malloc((size_t)narm * 2 * sizeof *unc_rel);
        fprintf(stderr, "forecast: --uncertainty: %d arms x %zu parameter sets...\n", narm, unc_n);
        if (!unc_resp || !unc_remit || !unc_rel) {
            cli_error(CMD, "--uncertainty: out of memory");
            rc = 1;
        } else if (resp_unc_forecast(unc_sets, unc_n, ua, narm, &us, unc_resp, unc_remit, unc_rel,
                                     &err)) {
            cli_error(CMD, "%s", err.msg);
            rc = 1;
        }
    }

    /* The scale shown: MADRS, or HAM-D converted from it (--hamd). */
    const char *SC = ptsd   ? "CAPS-5"
                     : hamd ? "HAM-D"
                            : "MADRS",
               *sc = ptsd   ? "caps5"
                     : hamd ? "hamd"
                            : "madrs";
    double b0_show = hamd ? b0_h : b0, cutoff_show = hamd ? cutoff_h : cutoff;
    /* Table. */
    if (!rc && ptsd)
        printf("forecast: PTSD variant, baseline CAPS-5 %.4g%s, %zu virtual patients per arm, "
               "seed %llu, weight %.4g kg, age %.4g y\n"
               "response = CAPS-5 reduced by >= 30 %%; no remission (no published CAPS-5 "
               "definition in the notes); relapse = loss of response after the last dose "
               "(responders 24 h after it; checked daily)\n\n",
               b0, b0_sd > 0 ? " (trial: spread given)" : "", N, (unsigned long long)seed, weight,
               age);
    else if (!rc && !hamd)
        printf("forecast: baseline MADRS %.4g%s, %zu virtual patients per arm, seed %llu, "
               "weight %.4g kg, age %.4g y\n"
               "response = MADRS reduced by >= 50 %%; remission = MADRS <= %.4g; relapse = loss of "
               "response after the last dose (responders 24 h after it; checked daily)\n\n",
               b0, b0_sd > 0 ? " (trial: spread given)" : "", N, (unsigned long long)seed, weight,
               age, cutoff);
    else if (!rc)
        printf("forecast: baseline HAM-D %.6g (MADRS %.6g), %zu virtual patients per arm, seed "
               "%llu, weight %.4g kg, age %.4g y\n"
               "scale: HAM-D; %s: the model runs in MADRS\n"
               "response = score reduced by >= 50 %% (computed in MADRS; Leucht 2018: a "
               "percentage improvement is about the same on both scales); remission = HAM-D <= "
               "%.4g (MADRS <= %.4g%s); relapse = loss of response after the last dose "
               "(responders 24 h after it; checked daily)\n\n",
               b0_h, b0, N, (unsigned long long)seed, weight, age, KS_HAMD_SOURCE, cutoff_h, cutoff,
               o[O_CUTOFF].value ? "" : "; HAM-D <= 7 is the HRSD remission of Zarate 2006");
    if (!rc) {
        printf("%-24s %-11s %5s", "regimen", "context", "doses");
        for (int j = 0; j < ndays; j++)
            printf("  resp_d%-4g", days[j]);
        for (int j = 0; !ptsd && j < ndays; j++)
            printf("  remit_d%-3g", days[j]);
        printf("  %-22s\n", "median_relapse_d (share)");
        for (int ai = 0; ai < narm; ai++) {
            printf("%-24.24s %-11s %5d", arms[ai].label, ks_response_context_name(arms[ai].ctx),
                   arms[ai].n_doses);
            for (int j = 0; j < ndays; j++)
                printf("  %8.1f%%", 100 * stats[(size_t)ai * (size_t)ndays + (size_t)j].p_resp);
            for (int j = 0; !ptsd && j < ndays; j++)
                printf("  %8.1f%%", 100 * stats[(size_t)ai * (size_t)ndays + (size_t)j].p_remit);
            if (arms[ai].placebo)
                printf("  -\n");
            else if (isinf(relapse_med[ai]))
                printf("  > %.0f d (%.0f%% relapse)\n", observed_d(&arms[ai], until_d),
                       100 * relapse_share[ai]);
            else if (isnan(relapse_med[ai]))
                printf("  n/a (%s)\n", relapse_why[ai]);
            else
                printf("  %.1f d (%.0f%% relapse)\n", relapse_med[ai], 100 * relapse_share[ai]);
        }
        printf("\nContexts: active = awake treatment whose effects are felt (as with ketamine or "
               "midazolam); oral-ad = with a newly started oral antidepressant; saline = inert "
               "placebo. The non-drug part is large and differs between contexts "
               "(docs/response-model.md). The placebo arm has the visits and the context of the "
               "first regimen (\"%s\", %s) unless --placebo-context is given.\n",
               arms[0].label, ks_response_context_name(arms[0].ctx));
        for (int ai = 0; ai < narm; ai++)
            if (arms[ai].ctx == KS_CTX_ORAL_AD) {
                printf("Arms in the oral-ad context (esketamine by default) include the effect of "
                       "a newly started oral antidepressant: compare them with each other or "
                       "with an oral-ad placebo, not with the IV arms as if the drug alone "
                       "made the difference.\n");
                break;
            }
        if (b0 <= cutoff)
            printf("Warning: the baseline %s %.4g is already at or below the remission cutoff "
                   "(%.4g): remission here means nothing.\n",
                   SC, b0_show, cutoff_show);
        if (*extrap_warn) printf("Warning: %s.\n", extrap_warn);
        for (int ai = 0; ai < narm; ai++)
            if (*arms[ai].warn) printf("Warning: \"%s\": %s.\n", arms[ai].label, arms[ai].warn);
        if (ptsd) printf("Warning: %s.\n", PTSD_WARN);
        if (relapse_compared(arms, relapse_med, narm, ptsd))
            printf("Caveat: %s.\n", relapse_caveat);
        if (unc)
            print_uncertainty(arms, narm, days, ndays, unc_resp, unc_remit, unc_rel, unc_n,
                              until_d);
        if (*unc_warn) printf("Warning: %s.\n", unc_warn);
        printf("PK is the typical patient's; the band is between-patient variability in "
               "response%s.\n" KS_RESP_NOTE "\n",
               unc ? "; the intervals above are the calibration's (parameter) uncertainty"
                   : ", not parameter uncertainty (--uncertainty adds it)");
    }
    /* CSV/JSON */
    if (!rc && o[O_OUT].value) {
        const char *out_path = o[O_OUT].value;
        size_t len = strlen(out_path);
        int json = len > 5 && strcasecmp(out_path + len - 5, ".json") == 0;
        FILE *f = NULL;
        char tmp[4096];
        if (ks_atomic_open(out_path, &f, tmp, sizeof tmp, &err)) {
            cli_error(CMD, "--out: %s", err.msg);
            rc = 2;
        } else {
            json_t *root = json ? json_object() : NULL, *rows = json ? json_array() : NULL;
            /* column names with the scale shown */
            char k_mean[24], k_p10[24], k_p50[24], k_p90[24], k_mc[24], k_sdc[24];
            snprintf(k_mean, sizeof k_mean, "mean_%s", sc);
            snprintf(k_p10, sizeof k_p10, "p10_%s", sc);
            snprintf(k_p50, sizeof k_p50, "p50_%s", sc);
            snprintf(k_p90, sizeof k_p90, "p90_%s", sc);
            snprintf(k_mc, sizeof k_mc, "mean_change_%s", sc);
            snprintf(k_sdc, sizeof k_sdc, "sd_change_%s", sc);
            if (!json)
                fprintf(f, "arm,context,time_d,%s,%s,%s,%s,%s,%s,response_frac%s%s\n", k_mean,
                        k_p10, k_p50, k_p90, k_mc, k_sdc, ptsd ? "" : ",remission_frac",
                        unc ? ",response_frac_p05,response_frac_p95,remission_frac_p05,"
                              "remission_frac_p95"
                            : "");
            for (int ai = 0; ai < narm; ai++)
                for (int j = 0; j < ndays; j++) {
                    day_stats *s = &stats[(size_t)ai * (size_t)ndays + (size_t)j];
                    if (!json) {
                        fprintf(f, "\"%s\",%s,%.10g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g",
                                arms[ai].label, ks_response_context_name(arms[ai].ctx), days[j],
                                s->mean, s->p10, s->p50, s->p90, s->mean_change, s->sd_change,
                                s->p_resp);
                        if (!ptsd) fprintf(f, ",%.6g", s->p_remit);
                        if (unc) {
                            const double *u = unc_resp + ((size_t)ai * (size_t)ndays + j) * 2,
                                         *v = unc_remit + ((size_t)ai * (size_t)ndays + j) * 2;
                            fprintf(f, ",%.6g,%.6g,%.6g,%.6g", u[0], u[1], v[0], v[1]);
                        }
                        fputc('\n', f);
                    } else {
                        json_t *r =
                            json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "arm",
                                      arms[ai].label, "regimen", arms[ai].text, "context",
                                      ks_response_context_name(arms[ai].ctx), "time_d", days[j],
                                      k_mean, s->mean, k_p10, s->p10, k_p50, s->p50, k_p90, s->p90,
                                      k_mc, s->mean_change, k_sdc, s->sd_change, "response_frac",
                                      s->p_resp, "remission_frac", s->p_remit);
                        if (ptsd) json_object_del(r, "remission_frac"); /* no remission */
                        if (unc) {
                            const double *u = unc_resp + ((size_t)ai * (size_t)ndays + j) * 2,
                                         *v = unc_remit + ((size_t)ai * (size_t)ndays + j) * 2;
                            json_object_set_new(r, "response_frac_p05_p95",
                                                json_pack("[f,f]", u[0], u[1]));
                            json_object_set_new(r, "remission_frac_p05_p95",
                                                json_pack("[f,f]", v[0], v[1]));
                        }
                        json_array_append_new(rows, r);
                    }
                }
            if (json) {
                json_object_set_new(root, "note", json_string(KS_RESP_NOTE));
                if (hamd) {
                    json_object_set_new(root, "scale", json_string("HAM-D"));
                    json_object_set_new(root, "scale_conversion", json_string(KS_HAMD_SOURCE));
                    json_object_set_new(root, "baseline_hamd", json_real(b0_h));
                    json_object_set_new(root, "remission_cutoff_hamd", json_real(cutoff_h));
                }
                json_object_set_new(root, "indication", json_string(ptsd ? "ptsd" : "depression"));
                json_object_set_new(root, "response_reduction",
                                    json_real(ptsd ? KS_RESPONSE_PTSD_REDUCTION : 0.5));
                json_object_set_new(root, ptsd ? "baseline_caps5" : "baseline_madrs",
                                    json_real(b0));
                json_object_set_new(root, ptsd ? "baseline_sd_caps5" : "baseline_sd_madrs",
                                    json_real(b0_sd));
                json_object_set_new(root, "patients_per_arm", json_integer((json_int_t)N));
                json_object_set_new(root, "seed", resp_json_seed(seed));
                if (!ptsd) json_object_set_new(root, "remission_cutoff_madrs", json_real(cutoff));
                json_t *rel = json_array();
                for (int ai = 0; ai < narm; ai++) {
                    /* null with the reason when there is no number; a median beyond the
                     * observed window is null with that window (days after the last dose) */
                    char why[160];
                    if (isinf(relapse_med[ai]))
                        snprintf(why, sizeof why,
                                 "median beyond the %.4g d observed after the "
                                 "last dose",
                                 until_d - arms[ai].last_dose_h / 24);
                    else
                        snprintf(why, sizeof why, "%s", relapse_why[ai] ? relapse_why[ai] : "");
                    json_array_append_new(
                        rel,
                        json_pack("{s:s,s:o,s:o,s:o}", "arm", arms[ai].label, "median_relapse_d",
                                  isfinite(relapse_med[ai]) ? json_real(relapse_med[ai])
                                                            : json_null(),
                                  "relapse_share",
                                  isfinite(relapse_share[ai]) ? json_real(relapse_share[ai])
                                                              : json_null(),
                                  "relapse_note", *why ? json_string(why) : json_null()));
                }
                json_object_set_new(root, "relapse", rel);
                if (relapse_compared(arms, relapse_med, narm, ptsd))
                    json_object_set_new(root, "relapse_caveat", json_string(relapse_caveat));
                if (unc) {
                    json_t *uo = json_object(), *ur = json_array();
                    json_object_set_new(uo, "parameter_sets", json_integer((json_int_t)unc_n));
                    json_object_set_new(
                        uo, "method",
                        json_string("5th and 95th percentiles over the parameter sets of the "
                                    "--params file's SIR sample (calibration uncertainty; "
                                    "docs/response-model.md, Parameter uncertainty); shares by "
                                    "population quadrature at each set; relapse median checked "
                                    "daily, null when beyond the horizon"));
                    for (int ai = 0; ai < narm; ai++) {
                        const double *l = unc_rel + 2 * ai;
                        json_array_append_new(
                            ur, json_pack("{s:s,s:[o,o]}", "arm", arms[ai].label,
                                          "median_relapse_d_p05_p95",
                                          isfinite(l[0]) ? json_real(l[0]) : json_null(),
                                          isfinite(l[1]) ? json_real(l[1]) : json_null()));
                    }
                    json_object_set_new(uo, "relapse", ur);
                    json_object_set_new(uo, "warning",
                                        *unc_warn ? json_string(unc_warn) : json_null());
                    json_object_set_new(root, "uncertainty", uo);
                }
                json_t *warns = json_array();
                if (ptsd)
                    json_array_append_new(warns,
                                          json_pack("{s:n,s:s}", "arm", "warning", PTSD_WARN));
                if (b0 <= cutoff)
                    json_array_append_new(warns, json_pack("{s:n,s:s}", "arm", "warning",
                                                           "the baseline is already at or below "
                                                           "the remission cutoff"));
                if (*extrap_warn)
                    json_array_append_new(warns,
                                          json_pack("{s:n,s:s}", "arm", "warning", extrap_warn));
                for (int ai = 0; ai < narm; ai++)
                    if (*arms[ai].warn)
                        json_array_append_new(warns, json_pack("{s:s,s:s}", "arm", arms[ai].label,
                                                               "warning", arms[ai].warn));
                json_object_set_new(root, "warnings", warns);
                json_object_set_new(root, "rows", rows);
                if (json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17))) rc = 2;
                json_decref(root);
            } else {
                if (b0 <= cutoff)
                    fprintf(f, "# warning: the baseline is already at or below the remission "
                               "cutoff\n");
                if (*extrap_warn) fprintf(f, "# warning: %s\n", extrap_warn);
                if (hamd)
                    fprintf(f,
                            "# scale: HAM-D; %s; baseline HAM-D %.10g = MADRS %.10g; response "
                            "computed in MADRS; remission = HAM-D <= %.10g (MADRS <= %.10g)\n",
                            KS_HAMD_SOURCE, b0_h, b0, cutoff_h, cutoff);
                for (int ai = 0; ai < narm; ai++)
                    if (*arms[ai].warn)
                        fprintf(f, "# warning: \"%s\": %s\n", arms[ai].label, arms[ai].warn);
                if (ptsd) fprintf(f, "# warning: %s\n", PTSD_WARN);
                if (unc) {
                    if (*unc_warn) fprintf(f, "# warning: %s\n", unc_warn);
                    fprintf(f,
                            "# uncertainty: *_p05, *_p95 = 5th and 95th percentiles over the "
                            "%zu parameter sets of the fit's SIR sample (population "
                            "quadrature)\n",
                            unc_n);
                    for (int ai = 0; ai < narm; ai++)
                        if (!arms[ai].placebo && !isnan(unc_rel[2 * ai]))
                            fprintf(f,
                                    "# uncertainty: \"%s\": median relapse %.6g to %.6g d (inf: "
                                    "beyond the horizon)\n",
                                    arms[ai].label, unc_rel[2 * ai], unc_rel[2 * ai + 1]);
                }
                fprintf(f, "# %s\n", KS_RESP_NOTE);
            }
            if (rc || ferror(f)) {
                ks_atomic_abort(f, tmp);
                cli_error(CMD, "--out: %s: cannot write", out_path);
                rc = 2;
            } else if (ks_atomic_commit(f, tmp, out_path, &err)) {
                cli_error(CMD, "--out: %s", err.msg);
                rc = 2;
            }
        }
    }
    if (!rc && o[O_PLOT].value) {
        ks_plot_series sr[MAX_ARMS];
        double *x = malloc(nt * sizeof *x);
        if (!x) rc = 1;
        for (size_t i = 0; !rc && i < nt; i++)
            x[i] = (double)i * 24;
        /* With many arms the bands would cover each other: then only the first regimen
         * and the placebo arm carry one. */
        int all_bands = narm <= 3;
        for (int ai = 0; !rc && ai < narm; ai++) {
            double *tr = traj + ((size_t)ai * 4) * nt;
            int band = all_bands || ai == 0 || arms[ai].placebo;
            sr[ai] = (ks_plot_series){
                arms[ai].label,           x, tr + nt, nt, arms[ai].placebo, band ? tr : NULL,
                band ? tr + 2 * nt : NULL};
        }
        char sub[256];
        if (all_bands)
            snprintf(sub, sizeof sub,
                     "median and 10-90 %% band over %zu virtual patients, baseline %s %.4g", N, SC,
                     b0_show);
        else
            snprintf(sub, sizeof sub,
                     "median over %zu virtual patients, baseline %s %.4g; 10-90 %% band for "
                     "\"%s\" and placebo",
                     N, SC, b0_show, arms[0].label);
        ks_plot_spec sp = {0};
        sp.title = ptsd   ? "Forecast CAPS-5 by regimen (PTSD variant, one 30-patient trial)"
                   : hamd ? "Forecast HAM-D by regimen (linked from MADRS, Leucht 2018)"
                          : "Forecast MADRS by regimen (response model, calibrated)";
        sp.subtitle = sub;
        sp.y_label = ptsd   ? "CAPS-5 (points)"
                     : hamd ? "HAM-D (points, linked from MADRS)"
                            : "MADRS (points)";
        sp.series = sr;
        sp.n_series = (size_t)narm;
        sp.threshold = ptsd ? NAN : cutoff_show;
        sp.threshold_label = ptsd ? NULL : "remission cutoff";
        sp.footer = KS_RESP_NOTE;
        if (!rc && ks_plot_write(&sp, o[O_PLOT].value, &err)) {
            cli_error(CMD, "--plot: %s", err.msg);
            rc = 2;
        }
        free(x);
    }
    for (int ai = 0; ai < narm; ai++)
        free(arms[ai].D), free(arms[ai].occ);
    free(unc_sets), free(unc_resp), free(unc_remit), free(unc_rel);
    free(stats);
    free(traj);
    free(relapse_med);
    free(relapse_share);
    free(resp_last);
    free(buf);
    free(score);
    free(base);
    free(path);
    free(order);
    resp_env_free(&e);
    cli_free_opts(o, O_COUNT);
    return rc;
}
