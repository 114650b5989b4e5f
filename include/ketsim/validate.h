/* ketsim: validation of models against published observations.
 *
 * An observation file (data/pk-observed.csv, described in data/pk-observed.md) holds
 * one published figure per row: the study arm's design (drug, route, dose, infusion
 * time, weight, sampling site) and one quantity (Cmax, Tmax, AUC, absolute
 * bioavailability, clearance, terminal half-life, Vss) with its unit and source.
 * ks_validate_predict simulates the arm's design with a model and returns the same
 * quantity in the observation's unit, or says why the model does not apply.
 *
 * A row may state a multi-dose design in two optional trailing columns (a file
 * without them is read as single-dose rows):
 *   design           doses as "TIME: REGIMEN | TIME: REGIMEN ...", each REGIMEN in the
 *                    grammar of ketsim/regimen.h (ks_regimen_parse) and shifted by its
 *                    TIME ("0h: 50mg sublingual | 6h: 20mg iv over 20min"); routes are
 *                    the file's route names (iv, sublingual, ...)
 *   measured_from_h  hours from the design's time 0 at which the figure's interval
 *                    starts: Cmax and Tmax are taken from there to the next design dose
 *                    (or the end), Tmax and AUC 0-t count from there. A design dose
 *                    must start then with the row's route, dose and infusion time.
 * Design rows may not give F, CL or Vss (single-dose quantities).
 */
#ifndef KETSIM_VALIDATE_H
#define KETSIM_VALIDATE_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/model.h"
#include "ketsim/regimen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The columns of the observation file, in order. Text fields are never NULL ("" when
 * empty); numbers are NaN when empty. */
typedef struct ks_obs {
    const char *study_id, *arm, *citation, *doi, *drug, *analyte, *route;
    double dose_mg, dose_mg_per_kg, infusion_min;
    const char *population;
    double age_y, weight_kg;
    const char *sampling_site, *quantity;
    double value;
    const char *unit;
    double auc_end_h;
    const char *spread, *spread_type;
    double n;
    const char *where_read, *verification, *note;
    int line; /* line in the file */
    /* For the Cmax of an IV bolus: the arm's observed Tmax in hours (its first sample,
     * in practice), found by ks_obs_read in the same study, arm and analyte; NaN when
     * the arm reports none. A compartment model peaks at time 0 after a bolus, so the
     * validator compares the concentration at that time instead. */
    double bolus_sample_h;
    /* The design columns: "" and NaN for a single-dose row. The expanded doses (times
     * from the design's start, routes as written; owned by the set) are in time order;
     * n_design is 0 for a single-dose row. */
    const char *design;
    double measured_from_h;
    const ks_regimen_dose *design_doses;
    size_t n_design;
} ks_obs;

typedef struct ks_obs_set ks_obs_set;

/* Read an observation file. Every malformed row is an error naming the file, line and
 * column (KS_EPARSE); an unknown quantity, route, unit or a negative dose likewise, and
 * a design that does not parse or has no dose matching the row at measured_from_h. */
int ks_obs_read(const char *path, ks_obs_set **out, ks_error *err);
void ks_obs_free(ks_obs_set *set);
size_t ks_obs_count(const ks_obs_set *set);
const ks_obs *ks_obs_get(const ks_obs_set *set, size_t i);

/* 1 when the row is flagged as a misprint (its note starts with "MISPRINT"): it is
 * reported, never scored. */
int ks_obs_is_misprint(const ks_obs *o);

/* The routes of `m` that give the observation's route: the route of that name, its
 * variants ("intranasal-yanagihara2003" for "intranasal") and synonyms ("nasal" for
 * "intranasal", "film" for "sublingual" and "buccal"). Returns how many names were
 * written to `names` (at most `max`). */
size_t ks_validate_routes(const ks_model *m, const ks_obs *o, const char **names, size_t max);

/* The model analyte that matches the observation's analyte, or NULL. */
const char *ks_validate_analyte(const ks_model *m, const ks_obs *o);

typedef struct ks_prediction {
    int applies;        /* 0: see `reason` */
    char reason[512];   /* why the model does not apply, or a caveat ("" when none) */
    double value;       /* in the observation's unit */
    double weight_kg;   /* the weight simulated */
    int weight_assumed; /* 1 when the study gave none and 70 kg was used */
    int extrapolated;   /* 1 when a covariate is outside the model's validity range */
} ks_prediction;

/* Simulate the observation's design with `m` through `route` (one of the names from
 * ks_validate_routes) and predict its quantity. For a multi-dose design, `route` is
 * used for the design's doses by the row's route; each dose by another route needs
 * exactly one route of the model that gives it, else the model does not apply (the
 * design is never simulated with a dose left out). A model that does not apply (another
 * drug or analyte, no IV route for a bioavailability, a quantity the validator cannot
 * compute) gives KS_OK with applies = 0; an engine failure is an error. */
int ks_validate_predict(const ks_model *m, const ks_obs *o, const char *route, ks_prediction *p,
                        ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
