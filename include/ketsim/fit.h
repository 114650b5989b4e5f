/* ketsim: estimate a route parameter from a published time of peak (Tmax).
 *
 * Many sources give only a route's bioavailability and its Tmax, not its absorption
 * rate. For one dose given at time 0 by a route of a model, ks_fit_solve_tmax finds
 * the value of one free parameter (an absorption rate constant, a lag, a duration)
 * that makes the simulated Tmax of the dose's analyte (its plasma column
 * cp_<analyte>_ng_ml) equal a target. Tmax is found on the exact solution
 * (ks_summary_compute); the search is bisection on the logarithm of the parameter
 * over a bracket, which needs Tmax to be monotone in the parameter over the bracket:
 * true for a first-order absorption rate constant (a faster absorption peaks earlier)
 * and for a lag time. The result is checked: the achieved Tmax must equal the target.
 */
#ifndef KETSIM_FIT_H
#define KETSIM_FIT_H

#include "ketsim/error.h"
#include "ketsim/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default bracket: a rate constant from 0.001 to 1000 1/h (absorption half-lives from
 * 29 days to 2.5 s); a time from 0.001 to 1000 h. */
#define KS_FIT_RATE_LO 1e-3
#define KS_FIT_RATE_HI 1e3
#define KS_FIT_TIME_LO 1e-3
#define KS_FIT_TIME_HI 1e3
/* The bisection stops when the bracket hi/lo is within this of 1 (relative width of
 * the parameter's interval). */
#define KS_FIT_REL_TOL 1e-12
/* The achieved Tmax must be within this of the target (h), else KS_ENUMERIC. */
#define KS_FIT_TMAX_TOL_H 1e-6

typedef struct ks_fit_spec {
    const char *route;        /* a route of the model */
    double dose_mg;           /* one dose at time 0, > 0 (a bolus for an IV-like route) */
    const ks_covariates *cov; /* the patient; NULL when the model needs no covariate */
    const char *param;        /* the free parameter: a rate constant or a time */
    double target_tmax_h;     /* > 0 */
    double lo, hi;            /* bracket in ketsim's units (1/h or h), 0 < lo < hi;
                                 both 0: the default bracket above */
} ks_fit_spec;

typedef struct ks_fit_result {
    double value;              /* the estimate in ketsim's unit (1/h or h) */
    double value_published;    /* the same in the parameter's unit in the model file */
    const char *unit;          /* that unit (owned by the model: valid until it changes) */
    const char *unit_internal; /* "1/h" or "h" */
    double tmax_h;             /* Tmax achieved with `value` */
    double lo, hi;             /* the bracket searched (ketsim's unit) */
    double tmax_lo, tmax_hi;   /* Tmax at the bracket's ends (h) */
    double rel_tol;            /* KS_FIT_REL_TOL */
    int n_sims;                /* simulations run */
} ks_fit_result;

/* Tmax (h) of the dose's analyte in plasma after `dose_mg` given at time 0 by
 * `route` (a bolus for a route that takes a duration). The horizon grows (24 h, then
 * x4 up to 10^5 h) until the peak lies inside it. Errors: KS_EINVAL (dose <= 0, a
 * covariate missing, a dose the route cannot represent), KS_ENOTFOUND (no such route,
 * or the dose's analyte has no observed plasma compartment), KS_ENUMERIC (no peak
 * within 10^5 h, or no concentration at all), KS_ENOMEM. */
int ks_fit_measure_tmax(const ks_model *m, const char *route, double dose_mg,
                        const ks_covariates *cov, double *tmax_h, ks_error *err);

/* Find the value of spec->param that gives Tmax = spec->target_tmax_h. On success the
 * model holds the estimate (ks_model_set_param, in the parameter's own unit) and
 * *out describes it; on failure the model holds its original value. Errors:
 * KS_EINVAL (NULL argument, target <= 0, a bad bracket, a target Tmax outside the
 * range the bracket attains, i.e. shorter than the fastest or longer than the
 * slowest; the message gives that range), KS_ENOTFOUND (no such parameter or route),
 * KS_EUNIT (the parameter is neither a rate constant nor a time), KS_ENUMERIC (the
 * parameter does not change Tmax, or Tmax is not monotone in it: the achieved Tmax
 * misses the target), and those of ks_fit_measure_tmax. */
int ks_fit_solve_tmax(ks_model *m, const ks_fit_spec *spec, ks_fit_result *out, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
