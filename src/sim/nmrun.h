/* NONMEM-style event records run through an individual's linear system, in record
 * order, with NONMEM's semantics: ADDL/II, lag times and bioavailability per record,
 * zero-order inputs given by rate or duration, steady state (SS=1 resets, SS=2 adds)
 * for boluses, infusions (also longer than the interval, and with lags longer than
 * the interval) and constant infusions, and resets (EVID 3, EVID 4). Steady state is
 * the exact periodic solution: (I - Phi(II)) z = y, solved on the body states. */
#ifndef KS_SIM_NMRUN_H
#define KS_SIM_NMRUN_H

#include "ketsim/sim.h"

typedef struct ks_nm_record {
    double time; /* h */
    int evid;    /* 0 observation, 1 dose, 2 other, 3 reset, 4 reset and dose */
    int comp;    /* model compartment index (0-based) of a dose */
    double amt;  /* mg */
    double rate; /* mg/h of a zero-order input; 0 for a bolus (see duration) */
    double dur;  /* h of a zero-order input given by its duration (rate 0, dur > 0) */
    int ss;      /* 0, 1, 2 */
    double ii;   /* h */
    int addl;
    double lag; /* h */
    double f;   /* bioavailability factor (NONMEM allows > 1) */
} ks_nm_record;

/* Run records (sorted as in the dataset, one individual) and store, for every record,
 * the value of output column `out` after the record (ng/mL) in pred[i]. The simulation
 * must have its covariates set. On an error *failed (if not NULL) is the index of the
 * record that caused it. */
int ks_sim_nm_run(ks_sim *s, const ks_nm_record *r, size_t n, size_t out, double *pred,
                  size_t *failed, ks_error *err);

/* Turn z, the body states at t0 + ii reached from zero under one period's inputs,
 * into the periodic steady state at t0: solve (I - Phi(ii)) z_ss = z on the body
 * states (accumulators are set to 0). KS_ENUMERIC when no steady state exists. */
int ks_sim_periodic_solve(ks_sim *s, double ii, double t0, double *z, ks_error *err);

#endif
