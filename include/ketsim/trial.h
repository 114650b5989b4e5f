/* ketsim: virtual patients and virtual trials.
 *
 * A trial simulates N virtual patients of one model on one dosing schedule and one
 * output grid, and streams their outputs into a summary per output time (percentiles),
 * so that memory does not grow with N. Each patient's random numbers come from a
 * counter-based generator (Random123 Philox4x32-10) keyed by the seed and indexed by
 * (replicate, patient, purpose, draw): patient i of seed s gets the same numbers
 * whatever the thread count, the MPI rank count or the order of work, and the
 * summaries are integer counts (or, for small N, the exact values), so results are
 * bit-identical however the work is split.
 *
 * Pieces, each usable on its own:
 * - ks_variability: the model's published inter-individual variability (lognormal or
 *   logit, full covariance), with user overrides marked "assumed";
 * - ks_population: how patients' covariates are drawn (a specification text) or read
 *   (a CSV of real covariates);
 * - ks_quantiles: a mergeable per-cell quantile summary, exact for small N;
 * - ks_trial: the runner.
 *
 * Units: time in hours, amounts in mg, concentrations in ng/mL, as in sim.h.
 */
#ifndef KETSIM_TRIAL_H
#define KETSIM_TRIAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ketsim/error.h"
#include "ketsim/model.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- random numbers */

/* Purposes of the random streams (part of the counter, so that adding draws of one
 * kind never shifts another). */
enum ks_rng_purpose {
    KS_RNG_ETA = 1,             /* individual parameter deviations */
    KS_RNG_COVARIATE = 2,       /* covariates drawn from a population specification */
    KS_RNG_ROW = 3,             /* row of a covariate CSV drawn with replacement */
    KS_RNG_RESIDUAL = 4,        /* residual error on outputs */
    KS_RNG_TYPICAL = 5,         /* a replicate's typical values (parameter uncertainty) */
    KS_RNG_RESPONSE = 6,        /* antidepressant-response variability (src/response) */
    KS_RNG_RESPONSE_PARAMS = 7, /* response-model parameter sets drawn from the calibration's
                                   uncertainty (patient = the draw's number) */
    KS_RNG_RESPONSE_MCMC = 8,   /* the response calibration's Markov chains (replicate = the
                                   chain, patient = the iteration) */
    KS_RNG_RESPONSE_SMC = 9     /* the response calibration's sequential Monte Carlo
                                   (replicate = the island, patient = stage, sweep, particle) */
};

/* Two independent uniform numbers in (0, 1) (53-bit resolution) for draw `index` of
 * `purpose` for `patient` of `replicate` under `seed`: one Philox4x32-10 call. */
void ks_rng_uniform2(uint64_t seed, uint32_t replicate, uint64_t patient, int purpose,
                     uint32_t index, double u[2]);
/* Two independent standard normal numbers (Box-Muller on ks_rng_uniform2). */
void ks_rng_normal2(uint64_t seed, uint32_t replicate, uint64_t patient, int purpose,
                    uint32_t index, double z[2]);

/* ---------------------------------------------------------------- variability */

typedef struct ks_variability ks_variability;

/* At most this many parameters with variability (published and added). */
#define KS_MAX_IIV 64

/* The model's published variability (every parameter with "iiv", and the
 * covariances in "iiv_covariance"). Errors: KS_ENOMEM, KS_EMODEL (matrix not
 * positive definite). */
int ks_variability_create(const ks_model *m, ks_variability **out, ks_error *err);
void ks_variability_free(ks_variability *v);
/* Add or replace variability from a text such as "CL=30%,V1=25%": each item is
 * NAME=CV% (lognormal, omega^2 = ln(1 + CV^2)) or NAME=0 to remove it. Items are
 * marked assumed (not published); covariances that involve an overridden parameter
 * are dropped (and ks_variability_notes says so). Errors: KS_EINVAL with the item
 * (`--iiv item 2 ("Q=abc")`-style text is the caller's; the message names the item
 * and the problem): unknown parameter, a parameter that is not positive or is a
 * fraction (use the model's logit variability), a malformed or negative percentage,
 * a parameter given twice. */
int ks_variability_override(ks_variability *v, const char *text, ks_error *err);
/* Keep only the named parameters' variability ("Vc,kel"); the others are removed
 * with their covariances. Errors: KS_EINVAL for a name without variability. */
int ks_variability_keep(ks_variability *v, const char *names, ks_error *err);
/* Number of parameters with variability, and the k-th one. */
size_t ks_variability_n(const ks_variability *v);
typedef struct ks_variability_item {
    size_t param;     /* parameter index in the model */
    const char *name; /* parameter name */
    ks_iiv_type type;
    double variance; /* omega^2 or logit sd^2 */
    int assumed;     /* 1: given by the user, not published */
} ks_variability_item;
int ks_variability_item_get(const ks_variability *v, size_t k, ks_variability_item *item);
/* The covariance matrix in use (n x n, row-major). */
void ks_variability_matrix(const ks_variability *v, double *omega);
/* Text lines about what was dropped or assumed ("" when none); owned by v. */
const char *ks_variability_notes(const ks_variability *v);
/* The deviations of patient `patient` of `replicate`: eta[p] for every model
 * parameter p (0 for parameters without variability) and the type of each
 * (ks_iiv_type) in eta_type. eta = L z with L the Cholesky factor of the matrix and
 * z standard normal draws of KS_RNG_ETA. */
void ks_variability_sample(const ks_variability *v, uint64_t seed, uint32_t replicate,
                           uint64_t patient, double *eta, int *eta_type);

/* ---------------------------------------------------------------- population */

typedef struct ks_population ks_population;

/* A population specification: one rule per line (or per ';' on a command line),
 * '#' starts a comment:
 *
 *     sex ~ bernoulli(0.5)                        # 1 with probability 0.5, else 0
 *     weight | sex = 1 ~ normal(70, 15) in 40..150
 *     weight | sex = 0 ~ normal(85, 15) in 45..170
 *     age ~ uniform(18, 65)
 *     height ~ lognormal(170, 10%)                # median, CV
 *     asian ~ fixed(0)
 *
 * Distributions: normal(mean, sd), lognormal(median, cv%), uniform(lo, hi),
 * bernoulli(p), fixed(value); "in lo..hi" truncates (normal and lognormal, by
 * inverse CDF, one draw per rule: no rejection loop). Rules are applied in order; a
 * condition "| name = value" refers to a covariate set by an earlier line; for each
 * covariate the first rule whose condition holds applies. Numbers may carry the
 * covariate's unit (kg for weight, y for age), which is checked. `origin` names the
 * text in messages ("pop.txt" gives "pop.txt:3: ..."; "--population" gives
 * "--population rule 3: ..."). Errors: KS_EPARSE with the place. */
int ks_population_parse(const char *text, const char *origin, ks_population **out, ks_error *err);
/* Read a specification file (ks_population_parse with the file name). */
int ks_population_load(const char *path, ks_population **out, ks_error *err);
/* Real covariates: a CSV whose header names covariates (an "id" column is kept as
 * the patient's label), one patient per row, every value a finite number (weight
 * > 0, age >= 0). Errors: KS_EIO, KS_EPARSE with file:line: column. */
int ks_population_read_csv(const char *path, ks_population **out, ks_error *err);
void ks_population_free(ks_population *p);
/* Rows of a CSV population (0 for a specification). */
size_t ks_population_rows(const ks_population *p);
/* Check a population against a model before a trial: every covariate it sets must be
 * one the model declares (or "id"), and every covariate the model requires must come
 * from the population or from `base`. Errors: KS_EINVAL naming the covariate. */
int ks_population_check(const ks_population *p, const ks_model *m, const ks_covariates *base,
                        ks_error *err);
/* Covariates of patient `patient`: `base` (values given on the command line), then
 * what the population sets. A CSV population gives row `patient` when resample is
 * 0, or a row drawn with replacement (KS_RNG_ROW) when 1; *row (may be NULL) tells
 * which (-1 for a specification). Errors: KS_EINVAL when no rule of a covariate
 * applies to this patient (the message names the rules' place), KS_EINVAL for a row
 * past the end without resampling. */
int ks_population_sample(const ks_population *p, const ks_covariates *base, uint64_t seed,
                         uint32_t replicate, uint64_t patient, int resample, ks_covariates *out,
                         long *row, ks_error *err);
/* A human-readable description of the population (owned by p). */
const char *ks_population_text(const ks_population *p);

/* ---------------------------------------------------------------- quantiles */

/* A per-cell quantile summary: `n_cells` independent streams of values. Two modes:
 * - exact: every value is kept (n_cells x capacity doubles) and quantiles are
 *   computed by sorting (type 7 of Hyndman & Fan 1996, the default of R and NumPy:
 *   linear interpolation between order statistics);
 * - histogram: fixed bins, KS_QUANT_BINS_PER_OCTAVE linear sub-bins in each power of
 *   two from 2^KS_QUANT_MIN_EXP to 2^KS_QUANT_MAX_EXP, one bin for exact zeros, one
 *   for smaller positive values, one for larger ones; negative values mirrored when
 *   allow_negative. Counts are integers, so merging is exact and order-free. A
 *   quantile p returns the midpoint of the bin holding the order statistic of rank
 *   ceil(p N) (nearest rank), which is within KS_QUANT_REL_ERROR (relative) of it.
 *   A value below 2^KS_QUANT_MIN_EXP is reported as 0 and counted in
 *   ks_quantiles_n_clipped; above 2^KS_QUANT_MAX_EXP, as +/-infinity. */
#define KS_QUANT_BINS_PER_OCTAVE 64
#define KS_QUANT_MIN_EXP (-14)
#define KS_QUANT_MAX_EXP 20
#define KS_QUANT_REL_ERROR 0.0079 /* 1 / (2 x 64), plus float rounding of the value */

typedef struct ks_quantiles ks_quantiles;
/* capacity > 0: exact mode with exactly `capacity` values per cell (one per slot);
 * 0: histogram. */
int ks_quantiles_create(size_t n_cells, size_t capacity, int allow_negative, ks_quantiles **out,
                        ks_error *err);
void ks_quantiles_free(ks_quantiles *q);
int ks_quantiles_is_exact(const ks_quantiles *q);
size_t ks_quantiles_n_cells(const ks_quantiles *q);
/* Values per cell in exact mode (0 for the histogram). */
size_t ks_quantiles_capacity(const ks_quantiles *q);
/* Bytes held by the summary. */
size_t ks_quantiles_bytes(const ks_quantiles *q);
/* Add value x to cell c. Exact mode: `slot` (< capacity) is where the value goes
 * (the patient's index), so the result does not depend on the order of calls.
 * Errors: KS_EINVAL for a value that is not finite, a negative value when not
 * allowed, a slot out of range. */
int ks_quantiles_add(ks_quantiles *q, size_t c, size_t slot, double x, ks_error *err);
/* dst += src (same shape and mode; exact mode needs disjoint slots). */
int ks_quantiles_merge(ks_quantiles *dst, const ks_quantiles *src, ks_error *err);
/* Number of values in cell c. */
uint64_t ks_quantiles_count(const ks_quantiles *q, size_t c);
/* Quantile p in [0, 1] of cell c (NaN for an empty cell, and in exact mode until
 * every slot is filled). Exact mode sorts the cell's values in place the first
 * time. */
double ks_quantiles_get(ks_quantiles *q, size_t c, double p);
/* Histogram mode: the raw counts of cell c and their number (for MPI reduction);
 * NULL in exact mode. Exact mode: the values of cell c (capacity of them). */
uint32_t *ks_quantiles_counts(ks_quantiles *q, size_t c, size_t *n_bins);
double *ks_quantiles_values(ks_quantiles *q, size_t c);
/* The number of values of every cell (n_cells of them; for MPI reduction). */
uint64_t *ks_quantiles_cell_counts(ks_quantiles *q);
/* Quantiles reported as 0 because they fell below the histogram's floor. */
uint64_t ks_quantiles_n_clipped(const ks_quantiles *q);

/* ---------------------------------------------------------------- trial */

/* One dose of the trial's schedule (as in ks_dose, with the amount per kg when
 * per_kg: the patient's weight then scales it). */
typedef struct ks_trial_dose {
    double time_h;
    double amount;
    int per_kg;
    double duration_h;
    const char *route;
} ks_trial_dose;

typedef struct ks_trial_spec {
    const ks_model *model;
    const ks_variability *variability; /* NULL: no variability */
    const ks_population *population;   /* NULL: every patient has `base` covariates */
    int resample;                      /* CSV population: draw rows with replacement */
    ks_covariates base;
    const ks_trial_dose *doses;
    size_t n_doses;
    const double *times; /* output grid (h), non-decreasing, finite, >= 0 */
    size_t n_times;
    const char *const *outputs; /* output column names; NULL: all of the model's */
    size_t n_outputs;
    const double *probs; /* quantiles to report, each in [0, 1] */
    size_t n_probs;
    uint64_t n; /* patients per replicate */
    uint64_t seed;
    uint32_t replicates;      /* >= 1 */
    int threads;              /* OpenMP threads; 0: the OpenMP default */
    int residual;             /* 1: add the model's residual error to the outputs */
    int uncertainty;          /* 1: each replicate draws its typical values from the
                               * published relative standard errors ("rse_percent"):
                               * TV_r = TV exp(s z), s^2 = ln(1 + RSE^2), one z per parameter
                               * and replicate (log-normal: an assumption, since papers
                               * rarely say on which scale their SE holds). Parameters with
                               * logit variability are left fixed. */
    int exact;                /* 1: exact quantiles (memory n x cells), 0: histogram,
                               * -1: exact when n x cells <= KS_TRIAL_EXACT_MAX */
    FILE *patients_out;       /* per-patient summaries as CSV (NULL: none) */
    const double *thresholds; /* per output (NaN: none), for time above threshold */
    int rank, n_ranks;        /* this process's share of the patients (0, 1 alone): the
                               * contiguous range [rank N / n_ranks, (rank + 1) N / n_ranks) */
    /* Called once per replicate when this process's summary is complete and before
     * quantiles are read from it, to merge it with other processes' (MPI: sum the
     * histogram counts, or the exact values, whose other slots are 0). NULL: none. */
    int (*merge)(ks_quantiles *q, void *user, ks_error *err);
    void *merge_user;
    /* Progress callback (may be NULL), called from the main thread: patients done so
     * far by this process and its total; return non-zero to stop (KS_ECANCELED). */
    int (*progress)(uint64_t done, uint64_t total, void *user);
    void *progress_user;
} ks_trial_spec;

#define KS_TRIAL_EXACT_MAX ((size_t)1 << 23)

typedef struct ks_trial ks_trial;

/* Run the trial: for each replicate, simulate this process's patients, merge (if
 * spec->merge), and keep the table of quantiles. Errors: KS_EINVAL (spec),
 * KS_ENOMEM, the errors of ks_sim_* for a patient (prefixed with the patient
 * number), KS_ECANCELED. */
int ks_trial_run(const ks_trial_spec *spec, ks_trial **out, ks_error *err);
void ks_trial_free(ks_trial *t);
size_t ks_trial_n_outputs(const ks_trial *t);
const char *ks_trial_output_name(const ks_trial *t, size_t j);
/* Quantile probs[k] of output j at time i in replicate r. */
double ks_trial_quantile(const ks_trial *t, uint32_t r, size_t i, size_t j, size_t k);
/* 1 when output j carries the model's residual error (spec->residual and a published
 * residual error for its analyte; effect sites never do). With spec->residual and no
 * output that can carry it, ks_trial_run fails with KS_EINVAL. */
int ks_trial_output_has_residual(const ks_trial *t, size_t j);
/* 1 when the quantiles are exact (sorted values), 0 for the histogram. */
int ks_trial_is_exact(const ks_trial *t);
/* Quantiles reported as 0 because they fell below the histogram floor (all
 * replicates). */
uint64_t ks_trial_n_clipped(const ks_trial *t);
/* Bytes of the largest summary held at once. */
size_t ks_trial_bytes(const ks_trial *t);
/* Header line of the per-patient CSV (for writers that join several processes'
 * parts), without the newline. */
int ks_trial_patients_header(const ks_trial_spec *spec, char *buf, size_t size, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
