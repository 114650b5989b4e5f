/* The loaded form of a model file (see docs/model-format.md). Strings are borrowed
 * from the JSON document, which the model keeps alive. */
#ifndef KS_MODEL_INTERNAL_H
#define KS_MODEL_INTERNAL_H

#include <jansson.h>
#include "ketsim/model.h"
#include "ketsim/units.h"

enum ks_cov_effect_type { KS_COV_POWER, KS_COV_FACTOR, KS_COV_LINEAR_ABOVE, KS_COV_LINEAR };

typedef struct ks_cov_effect {
    enum ks_cov_effect_type type;
    int covariate;    /* index into model covariates */
    double reference; /* power, linear */
    double exponent;  /* power */
    double factor;    /* factor */
    double threshold; /* linear_above */
    double slope;     /* linear_above: internal units per covariate unit; linear: per unit */
} ks_cov_effect;

typedef struct ks_mparam {
    const char *name;
    double published; /* value as published */
    const char *unit; /* unit as published */
    double value;     /* converted to internal units (per kg if per_weight) */
    ks_dim dim;       /* dimension after applying weight */
    int per_weight;   /* 1: multiply by weight */
    const char *source, *verification, *note;
    ks_cov_effect *effects;
    int n_effects;
    char *cov_text; /* owned */
    double rse;     /* relative standard error of the estimate (fraction), NaN if none */
    int iiv_type;   /* ks_iiv_type */
    double iiv_var; /* omega^2 (lognormal) or sd^2 (logit); 0 when none */
} ks_mparam;

typedef struct ks_miiv_cov {
    int a, b; /* parameter indices */
    double cov;
} ks_miiv_cov;

typedef struct ks_mcovariate {
    const char *name, *unit, *description;
    int required;
    double def;
} ks_mcovariate;

typedef struct ks_manalyte {
    const char *name;
    double molar_mass;
} ks_manalyte;

typedef struct ks_mcomp {
    const char *name;
    int analyte;
    int volume; /* parameter index or -1 */
    int observed;
    int depot;
} ks_mcomp;

/* A fraction or bioavailability: a number or a parameter. */
typedef struct ks_mvalue {
    int param; /* -1: use number */
    double number;
} ks_mvalue;

typedef struct ks_mflow {
    int from, to;        /* compartment indices; to = -1 for elimination */
    int rate, clearance; /* parameter indices, exactly one >= 0 */
    ks_mvalue fraction;
    double conversion; /* molar-mass ratio or 1 */
    int transit_n;     /* 0: none */
    int transit_mtt;   /* parameter index */
} ks_mflow;

typedef struct ks_meffect {
    const char *name;
    int of;     /* compartment */
    int ke0;    /* parameter (rate) or -1 */
    int t_half; /* parameter (time) or -1 */
} ks_meffect;

enum ks_frac_kind { KS_FRAC_VALUE, KS_FRAC_REMAINDER, KS_FRAC_PER_UNIT };

typedef struct ks_mpath {
    int to;
    enum ks_frac_kind frac_kind;
    ks_mvalue fraction;        /* KS_FRAC_VALUE */
    int per_first, per_factor; /* KS_FRAC_PER_UNIT */
    ks_mvalue bioav;           /* default number 1 */
    int lag;                   /* parameter or -1 */
    int duration;              /* parameter or -1 */
    int user_input;            /* takes the dose's own duration */
    double conversion;         /* dose analyte -> compartment analyte */
} ks_mpath;

typedef struct ks_mroute {
    const char *name, *description;
    int analyte;      /* analyte of the dose */
    double unit_dose; /* mg, 0 if none */
    const char *unit_what;
    ks_mpath *paths;
    int n_paths;
    int takes_duration;
} ks_mroute;

typedef struct ks_mcitation {
    const char *key, *doi, *where_read, *verification;
    char *text; /* owned */
} ks_mcitation;

typedef struct ks_mvalidity {
    int covariate;
    double lo, hi;
} ks_mvalidity;

struct ks_model {
    json_t *root;
    char *path; /* owned */
    const char *name, *title, *drug, *description, *source, *sampling_site, *sampling_note;
    const char *population, *validity_note;
    ks_mcitation *citations;
    int n_citations;
    ks_manalyte *analytes;
    int n_analytes;
    ks_mcovariate *covariates;
    int n_covariates;
    ks_mparam *params;
    int n_params;
    ks_mcomp *comps;
    int n_comps;
    ks_mflow *flows;
    int n_flows;
    ks_meffect *effects;
    int n_effects;
    ks_mroute *routes;
    int n_routes;
    ks_mvalidity *validity;
    int n_validity;
    ks_miiv_cov *iiv_cov;
    int n_iiv_cov;
    char *structure_text; /* owned */
};

/* Parameter values for one individual (internal units), n_params of them. */
int ks_model_resolve(const ks_model *m, const ks_covariates *cov, double *values, ks_error *err);

/* Same, with individual deviations: eta[i] (NULL: all 0) of type eta_type[i]
 * (ks_iiv_type; NULL: each parameter's own) for parameter i, applied to the value after
 * the covariate effects: a lognormal eta multiplies it by exp(eta); a logit eta is added
 * on its logit scale, so that a fraction stays a fraction (the Perez-Ruixo 2021 code adds
 * FRn's deviation before the x 1.34 Japanese factor, which takes about 1 in 10 Japanese
 * patients above 1; docs/trial.md). */
int ks_model_resolve_eta(const ks_model *m, const ks_covariates *cov, const double *eta,
                         const int *eta_type, double *values, ks_error *err);

/* 1 when the model's variability matrix (variances and covariances) is positive
 * definite or empty. */
int ks_model_iiv_positive_definite(const ks_model *m);

/* Value of a ks_mvalue for an individual. */
static inline double ks_mvalue_get(const ks_mvalue *v, const double *values)
{
    return v->param >= 0 ? values[v->param] : v->number;
}

int ks_model_route_index(const ks_model *m, const char *name);

#endif
