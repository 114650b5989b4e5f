/* ketsim: simulate doses through a model, exactly.
 *
 * The CVODE pattern: create a simulation for a model, set the patient, add doses,
 * set output times, run, read outputs, free. The model's linear compartment network
 * is solved exactly: between events the inputs are constant, and the state advances
 * by the matrix exponential of the system matrix augmented for constant inputs
 * (scaling-and-squaring Pade, accurate when eigenvalues coincide).
 *
 * Units: time in hours, amounts in mg, concentrations reported in ng/mL.
 */
#ifndef KETSIM_SIM_H
#define KETSIM_SIM_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_sim ks_sim;

/* One dose. `route` must be a route of the model. duration_h > 0 makes it a
 * zero-order infusion (only for routes that take a duration, such as "iv"); an
 * infusion known by its rate has duration_h = amount_mg / rate. duration_h == 0 is a
 * bolus for those routes. */
typedef struct ks_dose {
    double time_h;
    double amount_mg;
    double duration_h;
    const char *route; /* copied by ks_sim_add_dose */
} ks_dose;

/* Create a simulation of `model` (which must outlive it). */
int ks_sim_create(const ks_model *model, ks_sim **out, ks_error *err);
void ks_sim_free(ks_sim *s);

/* Patient covariates (copied). Required before run when the model needs any. */
int ks_sim_set_covariates(ks_sim *s, const ks_covariates *c, ks_error *err);

/* Covariates and the individual's deviations from the typical values: eta[i] for
 * parameter i (ks_model_n_params entries; 0 = typical), of type eta_type[i]
 * (ks_iiv_type; NULL: each parameter's published type, see ks_model_iiv). A
 * lognormal eta multiplies the covariate-adjusted value by exp(eta); a logit eta is
 * added on the logit scale of the covariate-adjusted value (which must lie in (0, 1)).
 * eta = NULL is ks_sim_set_covariates. Errors as ks_sim_set_covariates, and
 * KS_EINVAL when the individual values are not valid (a fraction above 1...). */
int ks_sim_set_individual(ks_sim *s, const ks_covariates *c, const double *eta, const int *eta_type,
                          ks_error *err);
/* Resolved parameter values of the current individual (internal units: h, L, mg,
 * L/h, 1/h), ks_model_n_params entries; NULL before covariates are set. */
const double *ks_sim_param_values(const ks_sim *s);
/* Add a dose. Errors: negative time, amount <= 0, negative duration, unknown
 * route, a duration for a route that does not take one, a dose that the route's
 * rules cannot represent exactly (e.g. a nasal dose that is not a whole number of
 * devices). */
int ks_sim_add_dose(ks_sim *s, const ks_dose *d, ks_error *err);
/* Remove all doses. */
void ks_sim_clear_doses(ks_sim *s);

/* Output times in hours: finite, >= 0 and non-decreasing (copied). */
int ks_sim_set_times(ks_sim *s, const double *t, size_t n, ks_error *err);

/* Solve. Outputs are then available until the next set/add call. */
int ks_sim_run(ks_sim *s, ks_error *err);

/* Output columns: concentrations named "<quantity>_<analyte>_ng_ml", e.g.
 * "cp_ketamine_ng_ml" (plasma), "ce_ketamine_ng_ml" (effect site). */
size_t ks_sim_n_outputs(const ks_sim *s);
const char *ks_sim_output_name(const ks_sim *s, size_t j);
/* The analyte an output column belongs to. */
const char *ks_sim_output_analyte(const ks_sim *s, size_t j);
/* 1 for effect-site columns. */
int ks_sim_output_is_effect(const ks_sim *s, size_t j);
/* Index of an output by name, or -1. */
int ks_sim_output_index(const ks_sim *s, const char *name);
/* Values of output column j at the n output times (valid after run). */
const double *ks_sim_output(const ks_sim *s, size_t j);
/* Exact AUC of output column j from time 0 to each output time, in ng*h/mL. */
const double *ks_sim_output_auc(const ks_sim *s, size_t j);
size_t ks_sim_n_times(const ks_sim *s);
const double *ks_sim_times(const ks_sim *s);

/* Evaluate every output at an arbitrary time t >= 0 (exactly, from the nearest
 * stored state at or before t); `values` has ks_sim_n_outputs entries.
 * Valid after run. */
int ks_sim_eval(ks_sim *s, double t, double *values, ks_error *err);
/* The same for times visited in increasing order (the sub-steps of a grid): when t is at
 * or after the previous call's time and no stored state lies between them, steps on from
 * that time's state, so evenly spaced times need one step length (one matrix
 * exponential) instead of one per offset from the stored state. Agrees with ks_sim_eval
 * to rounding (relative differences of order 1e-15, from the different steps). Any time
 * is allowed: an earlier one starts again from the stored state. Errors as ks_sim_eval. */
int ks_sim_eval_next(ks_sim *s, double t, double *values, ks_error *err);

/* The individual's state vector: compartment amounts (mg), effect-site
 * concentrations (mg/L), and for each analyte the cumulative amount that left it
 * (mg of that analyte) and the cumulative amount lost before reaching the body
 * (unabsorbed or pre-systemic loss, mg). */
size_t ks_sim_n_states(const ks_sim *s);
const char *ks_sim_state_name(const ks_sim *s, size_t i);
/* Kind of state i: 0 compartment amount, 1 effect-site concentration,
 * 2 eliminated amount, 3 pre-systemic loss, 4 AUC integrator. */
int ks_sim_state_kind(const ks_sim *s, size_t i);
/* Analyte index of state i (see ks_model_analyte_name). */
int ks_sim_state_analyte(const ks_sim *s, size_t i);
/* State at output time k (valid after run): ks_sim_n_states values. */
const double *ks_sim_state_at(const ks_sim *s, size_t k);

/* The system matrix A (row-major, n_states x n_states, per hour) such that
 * dx/dt = A x + u(t) for the current covariates, and the input vector u for one
 * mg/h of zero-order input into route `route` pathway `k` (for cross-checks
 * against an ODE solver). Valid after ks_sim_set_covariates. */
int ks_sim_system_matrix(ks_sim *s, double *A, ks_error *err);

/* Total amount of the dose's analyte that enters the system per mg given by
 * `route` (the sum over its pathways of fraction x bioavailability), for a dose of
 * `amount_mg` (some routes' fractions depend on the dose). */
int ks_sim_route_input_fraction(ks_sim *s, const char *route, double amount_mg, double *fraction,
                                ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
