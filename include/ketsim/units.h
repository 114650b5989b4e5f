/* ketsim: units.
 *
 * Internally ketsim works in hours, mg, litres, L/h, 1/h and mg/L; concentrations
 * are reported in ng/mL (= ug/L = mg/L * 1000). Every conversion lives here.
 * Text values carry their unit ("40min", "0.5mg/kg", "2 h"); a value whose unit is
 * missing where one is needed is an error, never a guess.
 */
#ifndef KETSIM_UNITS_H
#define KETSIM_UNITS_H

#include "ketsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Physical dimensions a unit can have. */
typedef enum ks_dim {
    KS_DIM_NONE = 0,          /* dimensionless: "1", "-", "fraction", "%" */
    KS_DIM_TIME,              /* h, min, s, d, w -> hours */
    KS_DIM_MASS,              /* mg, g, ug -> mg */
    KS_DIM_MASS_PER_WEIGHT,   /* mg/kg, ug/kg -> mg per kg body weight */
    KS_DIM_VOLUME,            /* L, mL -> L */
    KS_DIM_VOLUME_PER_WEIGHT, /* L/kg, mL/kg -> L per kg body weight */
    KS_DIM_FLOW,              /* L/h, L/min, mL/min -> L/h */
    KS_DIM_FLOW_PER_WEIGHT,   /* mL/min/kg, L/h/kg -> L/h per kg body weight */
    KS_DIM_RATE,              /* 1/h, 1/min, /min -> 1/h */
    KS_DIM_MASS_RATE,         /* mg/h, mg/min -> mg/h */
    KS_DIM_CONC,              /* ng/mL, ug/L, mg/L -> ng/mL */
    KS_DIM_WEIGHT,            /* kg */
    KS_DIM_AGE                /* y */
} ks_dim;

/* Look up a unit symbol (exact spelling, e.g. "L/h", "1/min", "mL/min/kg").
 * On success stores its dimension and the factor that converts a value in that
 * unit to ketsim's internal unit of the dimension (value_internal = value * factor).
 * Returns KS_EUNIT for an unknown unit. */
int ks_unit_lookup(const char *unit, ks_dim *dim, double *factor, ks_error *err);

/* Name of the internal unit of a dimension ("h", "mg", "L/h", ...). */
const char *ks_dim_unit(ks_dim dim);

/* A human name for a dimension ("time", "mass", ...). */
const char *ks_dim_name(ks_dim dim);

/* Parse a number with its unit, such as "40min", "2.5 h", "0.5mg/kg".
 * `allowed` lists acceptable dimensions (n_allowed of them); the value is
 * converted to the internal unit and its dimension stored in *dim_out (may be NULL).
 * A missing unit, an unknown unit, a unit of another dimension, or trailing text
 * is an error whose message quotes `what` (e.g. "--over"). */
int ks_quantity_parse(const char *text, const ks_dim *allowed, int n_allowed, const char *what,
                      double *value, ks_dim *dim_out, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
