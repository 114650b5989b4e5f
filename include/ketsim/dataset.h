/* ketsim: NONMEM-style datasets.
 *
 * A dataset is a CSV file with a header line, one record per line, as NONMEM,
 * mrgsolve and nlmixr2 share them: ID TIME AMT RATE EVID CMT II ADDL SS DV MDV in any
 * order and upper or lower case, plus any other columns (kept, and usable as the
 * source of lag times, bioavailability and modeled rates or durations). "." and an
 * empty field mean 0, as in NONMEM. Records are simulated with NONMEM's semantics
 * (docs/nonmem-conformance.md): EVID 0-4, ADDL/II, SS=1 and SS=2 for boluses and
 * infusions (also when the lag time or the infusion is longer than the interval),
 * constant infusions at steady state (AMT=0, RATE>0, II=0), RATE=-1 and RATE=-2.
 * Compartment numbers (CMT) are the model's compartments in file order, from 1.
 * Any row ketsim cannot interpret exactly is an error naming its line and column.
 */
#ifndef KETSIM_DATASET_H
#define KETSIM_DATASET_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/model.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_dataset ks_dataset;

/* Read a dataset; the file name is used in messages. Errors name "file:line: column". */
int ks_dataset_read(const char *path, ks_dataset **out, ks_error *err);
/* The same from text in memory; `origin` names it in messages. */
int ks_dataset_read_string(const char *text, const char *origin, ks_dataset **out, ks_error *err);
void ks_dataset_free(ks_dataset *d);

size_t ks_dataset_n_rows(const ks_dataset *d);
size_t ks_dataset_n_columns(const ks_dataset *d);
/* Column name as written in the header. */
const char *ks_dataset_column_name(const ks_dataset *d, size_t j);
/* Index of a column by name (case-insensitive), or -1. */
int ks_dataset_column(const ks_dataset *d, const char *name);
/* Value at (row, column); rows are data lines in file order from 0. */
double ks_dataset_value(const ks_dataset *d, size_t row, size_t col);
/* Line number in the file of a row (for messages). */
size_t ks_dataset_line(const ks_dataset *d, size_t row);

/* Where per-compartment dose properties come from (index 0 is CMT 1): the name of a
 * dataset column, or else the name of a model parameter (per individual, after its
 * covariates), or NULL for none (no lag, F = 1, and RATE=-1 / RATE=-2 are errors for
 * that compartment). A parameter must have the right dimension: a time for lag and
 * duration, dimensionless for F, a mass per time (mg/h) for a rate. */
#define KS_DATASET_MAX_CMT 32
typedef struct ks_dataset_map {
    const char *lag[KS_DATASET_MAX_CMT];            /* column: ALAG, h */
    const char *bioav[KS_DATASET_MAX_CMT];          /* column: F (NONMEM allows > 1) */
    const char *rate[KS_DATASET_MAX_CMT];           /* column: modeled rate for RATE=-1, mg/h */
    const char *duration[KS_DATASET_MAX_CMT];       /* column: modeled duration for RATE=-2, h */
    const char *lag_param[KS_DATASET_MAX_CMT];      /* model parameter for the lag */
    const char *bioav_param[KS_DATASET_MAX_CMT];    /* model parameter for F */
    const char *duration_param[KS_DATASET_MAX_CMT]; /* model parameter for RATE=-2 */
    const char *rate_param[KS_DATASET_MAX_CMT];     /* model parameter for RATE=-1 */
} ks_dataset_map;

/* Simulate every individual (consecutive rows with the same ID) and store in pred[i]
 * the value of output column `output` (e.g. "cp_drug_ng_ml") after row i. Times are
 * in hours and amounts in mg. `cov` applies to every individual; a column named like
 * one of the model's covariates (case-insensitive, e.g. WEIGHT, AGE) overrides it per
 * individual. Such a column must be constant within an individual: time-varying
 * covariates are refused (not yet supported), never interpolated silently. */
int ks_dataset_predict(const ks_model *m, const ks_covariates *cov, const ks_dataset *d,
                       const ks_dataset_map *map, const char *output, double *pred, ks_error *err);

/* Write the doses of a run simulation as a NONMEM-style dataset (ID 1): one dose record
 * per input after the route's split, lag and bioavailability (CMT, TIME in h, AMT in mg,
 * RATE in mg/h for zero-order inputs), then one observation record per output time
 * with DV = the simulated value of output column `output` and MDV = 0. Read back with
 * ks_dataset_read and simulated with ks_dataset_predict (no map needed), it gives the
 * same concentrations. Written whole or not at all. */
int ks_dataset_write_sim(ks_sim *s, const char *output, const char *path, ks_error *err);

/* Write the dataset with one more column `name` (values `col`, one per row) after
 * all of its own columns, which pass through as read (printed to 15 significant digits,
 * which reproduces decimal input of up to 15 digits exactly). Whole or not at all;
 * path "-" writes to standard output. */
int ks_dataset_write_with(const ks_dataset *d, const char *name, const double *col,
                          const char *path, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
