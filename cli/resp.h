/* Shared pieces of the response commands (calibrate, forecast, response-validate). */
#ifndef KS_CLI_RESP_H
#define KS_CLI_RESP_H

#include "cli.h"
#include "ketsim/regimen.h"
#include "ketsim/response.h"

#define KS_RESP_NOTE "A model, not a prognosis: a clinician decides."

typedef struct resp_env {
    ks_model *iv, *nasal;
    ks_pd *pd;
    char pd_path[4096];
    const char *iv_name, *nasal_name; /* point to iv_buf, nasal_buf */
    char iv_buf[4096], nasal_buf[4096];
} resp_env;

/* Load the PD file (NULL: data/pd-acute.json) and the two PK models; prints errors
 * for command `cmd` and returns 2 on bad input. */
int resp_env_load(resp_env *e, const char *cmd, const char *pd_path, const char *iv_name,
                  const char *nasal_name);
void resp_env_free(resp_env *e);

/* The drive a parameter file was fitted with (its "drive" record, written by ketsim
 * calibrate): the PD file as recorded and the file it names here (a recorded
 * "data/..." is looked up in the data folder first, then from the working folder), the
 * IV and nasal PK models. Empty strings where the file has no such field (older
 * files): that is not an error. */
typedef struct resp_drive {
    char pd_file[4096], pd_found[4096], iv_model[4096], nasal_model[4096];
} resp_drive;
void resp_drive_read(const char *params_path, resp_drive *d);

/* resp_env_load for a parameter file: a PD file or model not given (NULL) is the one the
 * file records (the default when it records none, or with a warning when the recorded
 * one cannot be found); one given that differs from the recorded one gets a one-line
 * warning on stderr naming the file (params_opt, e.g. "--params", and params_path) and
 * the field. */
int resp_env_load_fitted(resp_env *e, const char *cmd, const char *params_opt,
                         const char *params_path, const char *pd_path, const char *iv_name,
                         const char *nasal_name);
/* Warn (stderr, one line) when the PK model at model_path (the one in use on `route`)
 * is not the one drive d records for that route. */
void resp_drive_check_model(const resp_drive *d, const char *params_opt, const char *params_path,
                            const char *route, const char *model_opt, const char *model_name,
                            const char *model_path);

/* The first and the last dose time of a course (h): the first and the last treatment
 * visit of the response model (ks_response_params.first_visit_h, .last_visit_h). */
void resp_dose_span(const ks_dose *d, size_t n, double *first_h, double *last_h);

/* A seed in JSON: an integer, or a string of its digits above 2^63 - 1 (JSON integers
 * of jansson are signed 64-bit). */
struct json_t *resp_json_seed(uint64_t seed);

/* What the response model was calibrated on (docs/response-model.md, the figures of
 * ../shared/data/efficacy.md): racemic ketamine IV 0.1-1.0 mg/kg infused over 40 min,
 * esketamine nasal 56-84 mg. A dose outside is an extrapolation: *warn gets one
 * sentence saying which and how (empty when every dose is inside). A dose more than
 * RESP_DOSE_REFUSE times the largest calibrated one says nothing the model can answer:
 * returns 2 with the reason in *why. */
#define RESP_DOSE_REFUSE 10.0
int resp_dose_check(const ks_dose *d, size_t n, double weight_kg, char *warn, size_t warn_size,
                    char *why, size_t why_size);

/* The drug the response model was calibrated for on `route` (ks_model_drug's
 * spelling): "racemic ketamine" for iv, "esketamine" for nasal; NULL for other routes. */
const char *resp_route_drug(const char *route);

/* The warning for a HAM-D score (`what`: "baseline", "remission cutoff") above the last
 * published anchor of the Leucht 2018 linking (HAM-D 40 = MADRS 52.5), whose MADRS
 * equivalent is an extrapolation. Appended to buf (n bytes), after "; " when buf is not
 * empty. */
void resp_hamd_extrap_warning(char *buf, size_t n, const char *what, double hamd, double madrs);

/* The largest HAM-D the commands take (--hamd, --remission-cutoff with --hamd):
 * ks_response_hamd_max_linked() (HAM-D of MADRS 60, 45.5556 rounded) rounded DOWN to 4
 * decimals, so that the number stated (in messages, help and docs) is itself accepted
 * and anything above it refused. */
#define RESP_HAMD_LIMIT_TEXT "45.5555"
double resp_hamd_limit(void);

/* A score given on the command line (option opt, e.g. "--madrs"): a plain decimal number
 * (digits first: no leading space, sign, hex, inf or nan; a decimal exponent is taken)
 * from lo to hi into *v; else 2 with the one-line error "OPT \"TEXT\": expected a
 * number from LO to HI" for cmd (when print). */
int resp_parse_score(const char *cmd, int print, const char *opt, const char *text, double lo,
                     double hi, double *v);

/* Default response parameter file (data/response-params.json). */
void resp_default_params_path(char *buf, size_t n);

/* Per-figure fit errors: RMSE and largest absolute error in the figure's unit, and
 * the sum of squared standardised residuals. */
typedef struct resp_fig_err {
    double rmse, max_abs, ssz;
    double obs[16], pred[16];
} resp_fig_err;
int resp_figure_errors(const ks_response_designs *d, const ks_response_params *p, size_t fi,
                       resp_fig_err *out, ks_error *err);
/* The same for the PTSD variant's figure (ks_response_ptsd_figure) with the depression
 * parameters dep and the variant v. */
int resp_ptsd_errors(const ks_response_designs *d, const ks_response_params *dep,
                     const ks_response_ptsd *v, resp_fig_err *out, ks_error *err);

/* The calibration as `ketsim calibrate` runs it: from the starting values of `start`
 * ("name=value,..." over the defaults), or, when start is NULL, from the defaults and
 * from RESP_ALT_START, keeping the lower objective (the data allow a fast-dominant and
 * a slow-dominant drug effect: docs/response-model.md). Prints errors for `cmd`.
 * *converged (may be NULL): whether the kept fit stopped on its tolerances rather than
 * at max_eval. */
/* --max-eval TEXT: a whole number from 10 to 1000000 into *out; 2 with a message for
 * `cmd` otherwise. */
int resp_parse_max_eval(const char *cmd, const char *text, int *out);

#define RESP_ALT_START "w_fast=0.05,theta=8"
int resp_fit(const char *cmd, const ks_response_designs *d, const int *use, int max_eval,
             const char *start, ks_response_params *out, double *objective, int *n_eval,
             const char **start_used, int *converged);
/* resp_fit with the parameters of `hold` ("NAME=VALUE,...", as --start; NULL: none) kept
 * at those values from every start (a profile). */
int resp_fit_held(const char *cmd, const ks_response_designs *d, const int *use, int max_eval,
                  const char *start, const char *hold, ks_response_params *out, double *objective,
                  int *n_eval, const char **start_used, int *converged);
/* --hold TEXT ("NAME=VALUE,..."): the values over the defaults into *values, held[i] 1 for
 * each parameter named; 2 with a message for `cmd` when malformed. */
int resp_parse_hold(const char *cmd, const char *text, ks_response_params *values, int *held);
/* The shape checks the issue asks for, on the calibrated model (racemic IV, 70 kg,
 * ctx active): onset, peak, decay after one infusion; six against one; dose-response.
 * Writes a Markdown table with PASS/FAIL to `out` (malloc'ed); order_imposed: the file
 * was fitted with the relapse order imposed (the check says so). With n_sets > 0, the
 * relapse order six against one is also counted over those parameter sets (the file's
 * uncertainty sets): how many put six later, level, earlier. */
int resp_shape_checks(const resp_env *e, const ks_response_params *p, int order_imposed,
                      const ks_response_params *sets, size_t n_sets, char **out);
int resp_parse_start(const char *cmd, const char *text, ks_response_params *p);

/* `ketsim trial --response FILE`: the response of the trial's patients to its regimen
 * (cli/trial_response.c). Two arms, the regimen and a placebo arm with its visits. */
typedef struct trial_resp {
    const char *out;
    double b0, b0_sd, cutoff, weight, age, first_dose_h, last_dose_h;
    int hamd; /* --hamd: output on HAM-D; b0_h, cutoff_h as given */
    double b0_h, cutoff_h;
    int ctx, pctx, n_doses;
    ks_response_params p;
    resp_env e;
    double *D;   /* the regimen's drug state under p */
    double *occ; /* the typical NMDA occupancy it comes from (for the parameter sets) */
    size_t n_grid;
    const char *pk_model;
    uint32_t replicates;      /* the trial's --replicates: each its own patients */
    int uncertainty;          /* --uncertainty: replicate r takes sets[r mod n_sets] */
    ks_response_params *sets; /* the SIR sample of the parameter file (with --uncertainty) */
    size_t n_sets;
    char warning[2048];     /* stated limitations for the file and stderr, or "" */
    char params_path[4096]; /* the parameter file read (an input) */
} trial_resp;
/* The trial's options for --response (each text may be NULL: default). */
typedef struct trial_resp_opts {
    const char *out, *madrs, *madrs_sd, *cutoff, *ctx, *pctx, *params;
    const ks_model *model;         /* the trial's --model: drives the response */
    const ks_regimen *reg;         /* the trial's regimen */
    const ks_covariates *base;     /* the covariates every patient has */
    const char *population_option; /* "--population" etc. when covariates are drawn, or NULL */
    double until_h;
    const char *model_path; /* the file the trial's --model names, or NULL */
    const char *hamd;       /* --hamd: baseline on HAM-D, output on HAM-D (or NULL) */
    uint32_t replicates;    /* the trial's --replicates: the response of every replicate */
    int uncertainty;        /* the trial's --uncertainty: with --response, replicate r (from 0)
                             * takes the response parameter set r mod n of the file's SIR
                             * sample ($.uncertainty.sets) */
} trial_resp_opts;
/* Parse the options and build the regimen's typical drug state up to until_h through
 * the trial's model, which must be of the drug the response model was calibrated for
 * on the regimen's route (racemic ketamine IV, esketamine nasal). Prints errors (when
 * `print`) and returns 2 on bad input. */
int trial_resp_setup(trial_resp *r, int print, const trial_resp_opts *o);
/* Compute both arms at `times` for patients 0..n-1 of `seed` in every replicate and write
 * r->out: the rows and relapse of replicate 0 and, with 2 or more replicates, the 5th,
 * 50th and 95th percentiles across them (docs/trial.md). */
int trial_resp_write(trial_resp *r, const double *times, size_t nt, uint64_t n, uint64_t seed,
                     int threads, int quiet);
void trial_resp_free(trial_resp *r);

/* Set the designs to read Ibrahim 2012 and the relapse order as the parameter file was
 * fitted: its "ibrahim_rule" ("loss50" when absent, or "methods";
 * ks_response_designs_set_ibrahim) and "relapse_order"."imposed" (false when the section is
 * absent: a file fitted before it existed; ks_response_designs_set_order). 2 with a message
 * naming the file for another value. */
int resp_designs_reading(const char *cmd, const char *params_opt, const char *params_path,
                         ks_response_designs *d);
/* Whether the parameter file was fitted with the relapse order imposed: its
 * "relapse_order"."imposed" (0 when the section is absent). 2 with a message for another
 * value. */
int resp_order_imposed(const char *cmd, const char *params_opt, const char *params_path,
                       int *imposed);

/* forecast --uncertainty (cli/forecast_unc.c): one arm of the forecast. */
typedef struct resp_unc_arm {
    const double *occ; /* NMDA occupancy on the grid (NULL: placebo, no drug) */
    int ctx, placebo;
    double first_h, last_h; /* first and last visit (dose), h */
} resp_unc_arm;
typedef struct resp_unc_spec {
    size_t n_grid;
    double dt_h;
    const double *days;
    int n_days;
    double thr;       /* responder log-score threshold (ln 2: >= 50 %) */
    double cutoff;    /* remission cutoff, MADRS (< 0: no remission) */
    double b0, b0_sd; /* baseline MADRS and its spread */
} resp_unc_spec;
/* relapse checks of the uncertainty band: daily, h */
#define RESP_UNC_CHECK_H KS_RESPONSE_RELAPSE_CHECK_H
/* Under each of n_sets parameter sets, per arm: the population response share (by
 * quadrature, ks_response_p_response_thr) and remission share on the days, and the
 * median time from the last dose to relapse among responders 24 h after it (checks every
 * RESP_UNC_CHECK_H; INFINITY beyond the grid, NAN for the placebo arm). Out: the 5th
 * and 95th percentiles over the sets, out_resp and out_remit [arm][day][2], out_rel
 * [arm][2]. Parallel over (set, arm); the same bits for any thread count. */
/* The warning for the SIR sample of the parameter file at params_path when it did not
 * converge ($.uncertainty.sir.converged not true), naming its effective sample size and
 * the n_sets sets, or, for sets drawn by Markov chains, when $.uncertainty.mcmc.converged
 * is not true, naming the largest R-hat and smallest ESS; buf (n bytes) empty when it
 * converged. Stated by forecast --uncertainty
 * and trial --response --uncertainty wherever their intervals appear. */
void resp_unc_sir_warning(const char *params_path, size_t n_sets, char *buf, size_t n);
/* The q-quantile of v[0..n) (n >= 1; sorted in place), linear between order statistics
 * (type 7); a position on or next to an infinite value gives infinity (a censored
 * median stays censored). */
double resp_quantile(double *v, size_t n, double q);
int resp_unc_forecast(const ks_response_params *sets, size_t n_sets, const resp_unc_arm *arms,
                      int n_arms, const resp_unc_spec *s, double *out_resp, double *out_remit,
                      double *out_rel, ks_error *err);

#endif
