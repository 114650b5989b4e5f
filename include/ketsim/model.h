/* ketsim: published PK models as data.
 *
 * A model is a JSON file (format "ketsim-model/1", described in docs/model-format.md)
 * holding a linear compartment network, its parameters with the units they were
 * published in, covariate relations, routes, citations with DOI and the
 * verification level of every parameter. The loader checks everything and converts
 * units; a malformed or inconsistent file is rejected with one message naming the
 * file, the JSON path and the problem.
 */
#ifndef KETSIM_MODEL_H
#define KETSIM_MODEL_H

#include <stddef.h>
#include "ketsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_model ks_model;

/* Load and check a model file. On success *out owns a new model (free with
 * ks_model_free). Errors: KS_EIO (unreadable), KS_EPARSE (bad JSON),
 * KS_EMODEL / KS_EUNIT (inconsistent content), KS_ENOMEM. */
int ks_model_load(const char *path, ks_model **out, ks_error *err);

/* Same, from a JSON text in memory; `origin` names it in messages. */
int ks_model_load_string(const char *json, const char *origin, ks_model **out, ks_error *err);

/* Free a model (NULL is allowed). */
void ks_model_free(ks_model *m);

/* Override the value of parameter `name` of a loaded model: `value` in `unit` (a unit
 * of the units table, docs/model-format.md, of the same dimension as the parameter's
 * own unit; a per-kg unit may replace a plain one and the reverse). The model is
 * checked again with every rule of the loader, so a value the file could not hold
 * is refused. On success the model behaves as if the file had said this value and
 * unit (ks_model_param reports them); on failure it is unchanged. Simulations created
 * from `m` before the call must be freed first: they keep resolved values and the
 * model's internal tables are replaced. Errors: KS_EINVAL (NULL argument, value not
 * finite), KS_ENOTFOUND (no parameter `name`: the message names the model),
 * KS_EUNIT (unknown unit, or a unit of another dimension), KS_EMODEL (the value breaks
 * a rule of the model: negative, a fraction outside [0, 1], a volume, duration, ke0
 * or MTT that is not positive, route fractions above 1; the message names the JSON
 * path), KS_ENOMEM. */
int ks_model_set_param(ks_model *m, const char *name, double value, const char *unit,
                       ks_error *err);

/* Resolve a model name such as "domino-1982" to a file: searched as
 * <dir>/<name>.json and <dir>/<any subfolder>/<name>.json; a name that ends in
 * ".json" or contains '/' is taken as a path. On KS_ENOTFOUND the message suggests
 * the closest shipped names. */
int ks_model_find(const char *name, const char *dir, char *path, size_t path_size, ks_error *err);

/* Names of all models under `dir` (sorted). *names is a malloc'ed array of
 * malloc'ed strings; free with ks_model_names_free. */
int ks_model_list(const char *dir, char ***names, size_t *n, ks_error *err);
void ks_model_names_free(char **names, size_t n);

/* Plain accessors (the strings belong to the model). */
const char *ks_model_name(const ks_model *m);
const char *ks_model_title(const ks_model *m);
const char *ks_model_drug(const ks_model *m);
const char *ks_model_sampling_site(const ks_model *m);
const char *ks_model_population(const ks_model *m);
const char *ks_model_path(const ks_model *m);
/* Citation key of the model's primary source (see ks_model_citation). */
const char *ks_model_source(const ks_model *m);

size_t ks_model_n_routes(const ks_model *m);
const char *ks_model_route_name(const ks_model *m, size_t i);
const char *ks_model_route_description(const ks_model *m, size_t i);
/* 1 if the model has route `name`. */
int ks_model_has_route(const ks_model *m, const char *name);
/* 1 if route `name` takes its duration from the user (an IV infusion). */
int ks_model_route_takes_duration(const ks_model *m, const char *name);

/* Compartments in file order (NONMEM-style CMT numbers are these, from 1). */
size_t ks_model_n_compartments(const ks_model *m);
const char *ks_model_compartment_name(const ks_model *m, size_t i);

size_t ks_model_n_analytes(const ks_model *m);
const char *ks_model_analyte_name(const ks_model *m, size_t i);
double ks_model_analyte_molar_mass(const ks_model *m, size_t i); /* g/mol */

/* Parameters as published. */
typedef struct ks_param_info {
    const char *name;
    double value;             /* as published, in `unit` */
    const char *unit;         /* as published */
    const char *source;       /* citation key */
    const char *verification; /* "full-text table", "abstract", "code (paper cited)", ... */
    const char *note;         /* may be NULL */
    const char *covariates;   /* human description of covariate relations, may be "" */
    double rse_percent;       /* published relative standard error of the estimate, %;
                               * NaN when the source gives none (or fixed it) */
} ks_param_info;
size_t ks_model_n_params(const ks_model *m);
int ks_model_param(const ks_model *m, size_t i, ks_param_info *info);

typedef struct ks_citation_info {
    const char *key;
    const char *text; /* authors, year, title, journal */
    const char *doi;  /* may be "" when none exists; then pmid or where_read says why */
    const char *where_read;
    const char *verification;
} ks_citation_info;
size_t ks_model_n_citations(const ks_model *m);
int ks_model_citation(const ks_model *m, size_t i, ks_citation_info *info);

/* A multi-line description of the structure (compartments, flows, effect sites). */
const char *ks_model_structure_text(const ks_model *m);

/* Validity range of a covariate ("weight", "age"); returns 0 and stores lo/hi,
 * or KS_ENOTFOUND when the model states none. */
int ks_model_validity(const ks_model *m, const char *covariate, double *lo, double *hi);
/* Free text saying where the validity range comes from. */
const char *ks_model_validity_note(const ks_model *m);

/* Inter-individual variability as published (docs/model-format.md, "iiv" and
 * "iiv_covariance"). The individual value of a parameter with lognormal variability
 * is P = TV x exp(eta); with logit variability logit(P) = logit(TV) + eta; eta is
 * normal with mean 0 and the model's covariance matrix. */
typedef enum ks_iiv_type { KS_IIV_NONE = 0, KS_IIV_LOGNORMAL = 1, KS_IIV_LOGIT = 2 } ks_iiv_type;
typedef struct ks_iiv_info {
    size_t param;     /* parameter index (ks_model_param) */
    const char *name; /* parameter name */
    ks_iiv_type type;
    double variance; /* omega^2 (lognormal) or sd^2 on the logit scale */
} ks_iiv_info;
/* Number of parameters with variability, and the k-th of them (in parameter order). */
size_t ks_model_n_iiv(const ks_model *m);
int ks_model_iiv(const ks_model *m, size_t k, ks_iiv_info *info);
/* The variability matrix (ks_model_n_iiv squared, row-major): variances on the
 * diagonal, published covariances off it (0 where none is published). */
void ks_model_iiv_matrix(const ks_model *m, double *omega);

/* Patient covariates: named values (weight in kg, age in years, flags 0/1). */
#define KS_MAX_COVARIATES 16
typedef struct ks_covariates {
    int n;
    char name[KS_MAX_COVARIATES][32];
    double value[KS_MAX_COVARIATES];
} ks_covariates;

/* Set (or replace) a covariate. KS_EINVAL when full or the name is too long. */
int ks_covariates_set(ks_covariates *c, const char *name, double value, ks_error *err);
/* 1 and *value if present, else 0. */
int ks_covariates_get(const ks_covariates *c, const char *name, double *value);

/* Check covariates against the model: a missing required covariate or an
 * impossible value (weight <= 0, age < 0) is an error. Values outside the
 * model's validity range are not errors: each produces one line in `warnings`
 * (newline-separated, truncated to warnings_size) and *n_warnings counts them. */
int ks_model_check_covariates(const ks_model *m, const ks_covariates *c, char *warnings,
                              size_t warnings_size, int *n_warnings, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
