/* Internal layout of a simulation: the state vector and the event timeline. */
#ifndef KS_SIM_INTERNAL_H
#define KS_SIM_INTERNAL_H

#include "ketsim/sim.h"
#include "model/model_internal.h"

enum ks_state_kind {
    KS_ST_AMOUNT = 0,
    KS_ST_EFFECT = 1,
    KS_ST_ELIM = 2,
    KS_ST_LOST = 3,
    KS_ST_AUC = 4
};

typedef struct ks_output {
    char name[96];
    int state; /* compartment amount or effect-site state */
    int auc_state;
    int analyte;
    int is_effect;
    int comp;     /* model compartment (cp) or -1 */
    double scale; /* state -> ng/mL for this individual */
} ks_output;

typedef struct ks_bolus {
    double t;
    int state;
    double amount;
} ks_bolus;
typedef struct ks_infusion {
    double start, end;
    int state;
    double rate;
} ks_infusion;

typedef struct ks_step_cache {
    double h;
    double *Phi, *Gamma;
    int used;
} ks_step_cache;

/* Step lengths remembered per simulation (round robin; each miss is a matrix
 * exponential). ks_sim_eval steps from the stored state before t, so evaluating at every
 * sub-step of an interval asks for as many lengths as there are sub-steps (19 on a 5-min
 * grid cut into half-minute sub-steps, 119 on an hourly one), more than any cache holds:
 * callers that visit sub-steps in order use ks_sim_eval_next, which steps on from the
 * previous sub-step (one or two lengths per grid), as ks_pd_run does. */
#define KS_STEP_CACHE 16

struct ks_sim {
    const ks_model *m;
    size_t n; /* states */
    char (*state_name)[64];
    int *state_kind, *state_analyte;
    int *comp_state;              /* model compartment -> state */
    int *transit_first;           /* per flow: first transit state or -1 */
    int *effect_state;            /* per effect site */
    int *elim_state, *lost_state; /* per analyte */
    ks_output *out;
    size_t n_out;

    ks_covariates cov;
    int have_cov;
    double *pv; /* resolved parameter values */
    double *A;  /* n x n */
    int system_ready;

    ks_dose *doses;
    char **dose_route;
    size_t n_doses, cap_doses;
    double *times;
    size_t n_times;

    /* results */
    ks_bolus *bol;
    size_t n_bol;
    ks_infusion *inf;
    size_t n_inf;
    size_t cap_bol, cap_inf; /* allocated entries of bol and inf */
    double *cp_t, *cp_x, *cp_u;
    size_t n_cp;
    size_t *out_cp; /* output time -> checkpoint */
    double *outv;   /* n_out x n_times */
    double *aucv;   /* n_out x n_times */
    int ran;

    /* ks_sim_eval_next's cursor: its last time, that time's stored state (checkpoint)
     * and its state (in tmp + 2n); reset by every run or change of the system */
    int cur_valid;
    size_t cur_lo;
    double cur_t;

    ks_step_cache cache[KS_STEP_CACHE];
    int cache_next;
    double *work;
    double *tmp;
};

/* Expand the doses into boluses and infusions per state (s->bol, s->inf, sorted by
 * time), for the current individual (ks_sim_set_covariates/_individual first). */
int ks_sim_prepare_events(ks_sim *s, ks_error *err);

/* Index of the last of the sorted values v[0..n) that is <= t (0 when none is). */
size_t ks_sim_last_at_or_before(const double *v, size_t n, double t);

/* Phi(h), Gamma(h) from the simulation's cache (see sim.c). */
int ks_sim_step_matrices(ks_sim *s, double h, double tscale, ks_step_cache **out, ks_error *err);
/* y = Phi x + Gamma u (y must not alias x). */
void ks_sim_apply_step(const ks_sim *s, const ks_step_cache *c, const double *x, const double *u,
                       double *y);

/* AUC (ng*h/mL) of output j from 0 to checkpoint k. */
int ks_sim_auc_at(const ks_sim *s, size_t j, size_t k, double *auc);

/* The breakpoints of the last run (event and output times, sorted, unique). */
int ks_sim_checkpoints(const ks_sim *s, const double **t, size_t *n);

/* Outputs and their time derivatives (per hour) at time cp_t[k] + h, 0 <= h <= the
 * length of segment k, using segment k's inputs (so at h = segment length the slopes
 * are the left limits). `slopes` may be NULL. */
int ks_sim_eval_segment(ks_sim *s, size_t k, double h, double *values, double *slopes,
                        ks_error *err);

#endif
