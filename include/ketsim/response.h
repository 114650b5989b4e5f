/* ketsim: the antidepressant response, from NMDA block to the MADRS score.
 *
 * The model (docs/response-model.md has the equations, every assumption and the
 * sources): the NMDA occupancy of src/pd (ks_pd_run) drives
 *   - a trapped block T (ketamine trapped in closed NMDA channels, so that block
 *     outlasts plasma ketamine):   dT/dt = k_u (occ/K_T (1 - T) - T),  k_u = ln2/t_untrap;
 *   - a plasticity signal through two transit stages of mean delay tau_d in total:
 *     dM1/dt = (T - M1) 2/tau_d,  dM2/dt = (M1 - M2) 2/tau_d;
 *   - a synapse (spine) state with a lifetime: dS/dt = k_s (M2 - S),  k_s = ln2/t_spine;
 *   - a consolidated share of the new synapses that persists ("a fraction of the new
 *     spines was persistent"): dC/dt = k_c (S - C),  k_c = ln2/t_cons;
 * and the drug state D = w_fast T + S + w_cons C. A patient's score is
 *   score(t) = B0 exp(-(phi_i g_ctx(t) + theta_i D(t)))
 * with B0 the baseline, theta_i = theta exp(omega_theta z1) the individual drug
 * sensitivity, phi_i = phi_ctx exp(omega_phi z2) the individual non-drug component
 * (expectancy, placebo, natural course) of the treatment context, and g_ctx its time
 * course (0 before the first treatment visit t_1, 1 from it to the last visit, then waning
 * with half-life t_nondrug; 1 - 2^(-(t - t_1)/t_ad) for a newly started oral
 * antidepressant). Within a patient the non-drug level may fluctuate (fluct_share f > 0):
 * log phi_i(t) = log phi_ctx + omega_phi (sqrt(1-f) z2 + sqrt(f) w_i(t)), w_i a stationary
 * Ornstein-Uhlenbeck process of unit variance and correlation time t_fluct_d
 * (ks_response_path); at any one time phi_i is the same lognormal as with f = 0, so the
 * population shares at one time do not depend on f, but following the same patients over
 * time (relapse) does. The ODEs are integrated with SUNDIALS CVODE (BDF, dense).
 *
 * Parameters are data: data/response-params.json ("ketsim-response/1"), written by
 * `ketsim calibrate` (ks_response_calibrate), which records what they were fitted to
 * and the fit error per figure.
 *
 * Units: time in hours unless a name says _d; scores in MADRS points (HAM-D only where a
 * name says hamd: ks_response_madrs_to_hamd; CAPS-5 points for the PTSD variant,
 * ks_response_ptsd_*).
 * Every function returns KS_OK or a status with a message in `err` (error.h).
 */
#ifndef KETSIM_RESPONSE_H
#define KETSIM_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include "ketsim/error.h"
#include "ketsim/pd.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The parameters, in the order of ks_response_param_name. */
enum ks_response_param {
    KS_RP_T_UNTRAP_H = 0, /* half-life of untrapping of the NMDA block, h */
    KS_RP_K_TRAP,         /* occupancy at which trapping reaches half its maximum, fraction */
    KS_RP_W_FAST,         /* weight of the trapped block in the drug state, dimensionless */
    KS_RP_T_DELAY_H,      /* mean delay from block to synapse formation, h */
    KS_RP_T_SPINE_D,      /* half-life of the drug-induced synapse state, d */
    KS_RP_THETA,          /* median drug sensitivity, log-score units per unit D */
    KS_RP_OMEGA_THETA,    /* SD of log sensitivity between patients */
    KS_RP_PHI_SALINE,     /* non-drug component, awake inert placebo (saline), log-score */
    KS_RP_PHI_ACTIVE,     /* awake active placebo / open label / ketamine arm, log-score */
    KS_RP_PHI_ANAES,      /* treatment during general anaesthesia (masked), log-score */
    KS_RP_PHI_AD,         /* newly started oral antidepressant (asymptote), log-score */
    KS_RP_T_AD_D,         /* half-time of the oral antidepressant component, d */
    KS_RP_PHI_SOC,        /* inpatient standard of care at imminent suicide risk, log-score */
    KS_RP_OMEGA_PHI,      /* SD of log non-drug component between patients */
    KS_RP_T_NONDRUG_D,    /* half-life of the waning of the visit-bound non-drug component, d */
    KS_RP_T_CONS_D,       /* half-life of the consolidated (persistent) synapse state, d */
    KS_RP_W_CONS,         /* weight of the consolidated state in the drug state */
    KS_RP_FLUCT,          /* share of omega_phi^2 that fluctuates within a patient (OU) */
    KS_RP_T_FLUCT_D,      /* correlation time of that fluctuation, d */
    KS_RP_N
};
/* The parameters before the fluctuation (the first 17): a parameter vector of this length
 * (an older file's $.uncertainty.sets) is the model without fluctuation, fluct_share = 0. */
#define KS_RP_N_NOFLUCT KS_RP_FLUCT

/* Treatment contexts: the non-drug component that applies. */
enum ks_response_context {
    KS_CTX_NONE = -1,   /* no non-drug component (for checks) */
    KS_CTX_SALINE = 0,  /* awake, inert placebo (saline), blinded */
    KS_CTX_ACTIVE = 1,  /* awake, active placebo (midazolam), open label, or the drug arm */
    KS_CTX_ANAES = 2,   /* given during general anaesthesia (masked) */
    KS_CTX_ORAL_AD = 3, /* with a newly started oral antidepressant */
    KS_CTX_SOC = 4,     /* inpatient standard of care, imminent suicide risk */
    KS_CTX_N = 5
};
/* "saline", "active", "anaesthesia", "oral-ad", "soc"; and the parse (KS_EINVAL). */
const char *ks_response_context_name(int ctx);
int ks_response_context_parse(const char *name, int *ctx, ks_error *err);

typedef struct ks_response_params {
    double v[KS_RP_N];
    /* Not model parameters but the design's, on the time axis of the drug state (h
     * from the start of the course's clock, 0 when the first dose is at 0): the first
     * and the last treatment visit (the first and the last dose). The non-drug
     * component is 0 up to first_visit_h (nothing has happened yet); the visit-bound
     * ones (every context but oral-ad) are constant from then to last_visit_h and wane
     * with half-life t_nondrug_d after it; the oral-antidepressant ramp starts at
     * first_visit_h. Both 0 for one dose at time 0 (the calibration's designs). The
     * loaders and ks_response_params_start set them to 0. */
    double first_visit_h;
    double last_visit_h;
} ks_response_params;

/* Name ("t_untrap_h", ...), unit and meaning of parameter i; NULL out of range. */
const char *ks_response_param_name(int i);
const char *ks_response_param_unit(int i);
const char *ks_response_param_meaning(int i);
/* Check that every value is finite and in its domain (positive; K_T in (0,1];
 * omegas >= 0; 0 <= fluct_share < 1). KS_EINVAL names the parameter. */
int ks_response_params_check(const ks_response_params *p, ks_error *err);

/* The parameter file: load its values (strict: format "ketsim-response/1", every
 * parameter with value and unit as above). A file without both fluct_share and t_fluct_d
 * (one written before the within-patient fluctuation existed) is the model without
 * fluctuation: fluct_share = 0 exactly and t_fluct_d its start value (unused then); a
 * file with only one of the two is refused, naming the missing one. Errors: KS_EIO,
 * KS_EPARSE, KS_EMODEL with the file and JSON path. */
int ks_response_params_load(const char *path, ks_response_params *p, ks_error *err);

/* ---------------------------------------------------------------- the drive */

/* NMDA occupancy of a dosing course on a uniform grid t_k = k dt_h, k = 0..n-1 (n =
 * floor(until_h/dt_h)+1), through `model` for a patient `cov` and the PD file `pd`.
 * Simulated up to KS_RESPONSE_OCC_TAIL_H after the end of the last dose, 0 after
 * that. *occ is allocated (free()). */
#define KS_RESPONSE_OCC_TAIL_H 192.0
int ks_response_occupancy(const ks_model *model, const ks_pd *pd, const ks_covariates *cov,
                          const ks_dose *doses, size_t n_doses, double until_h, double dt_h,
                          double **occ, size_t *n, ks_error *err);

/* The drug states on the same grid, from the occupancy (linear between grid points),
 * integrated with CVODE (relative tolerance 1e-8, absolute 1e-10, steps of at most
 * dt_h so that no infusion is stepped over). Each output array has n entries and may
 * be NULL when not wanted; D = w_fast T + S + w_cons C. */
typedef struct ks_response_states {
    double *T, *M1, *M2, *S, *D, *C;
} ks_response_states;
int ks_response_drive(const ks_response_params *p, const double *occ, size_t n, double dt_h,
                      ks_response_states *out, ks_error *err);

/* Non-drug time course g_ctx(t) (dimensionless, 0 at t <= p->first_visit_h) times
 * phi_ctx: the typical patient's non-drug log-score reduction at time t (h), with
 * p->first_visit_h and p->last_visit_h. */
double ks_response_nondrug(const ks_response_params *p, int ctx, double t_h);

/* ---------------------------------------------------------------- population */

/* Population quantities for a drug state D(t) (typical, from ks_response_drive),
 * integrated over the between-patient distributions: the sensitivity integral in
 * closed form (lognormal tail), the others by composite Simpson over the normal
 * deviate with the kinks split off. `ctx` sets the
 * non-drug component; D = 0 gives a placebo arm. */
/* Share of patients with a >= 50 % reduction from baseline at a time with drug state
 * d and non-drug component of context ctx at t_h. */
double ks_response_p_response(const ks_response_params *p, int ctx, double t_h, double d);
/* Share with score <= cutoff, baseline ~ normal(b0_mean, b0_sd) (sd 0: fixed). */
double ks_response_p_remission(const ks_response_params *p, int ctx, double t_h, double d,
                               double cutoff, double b0_mean, double b0_sd);
/* The same for another responder definition: the share whose log-score reduction
 * phi_i g + theta_i d is at least thr, i.e. score <= B0 exp(-thr): thr = ln 2 is
 * ks_response_p_response (bit for bit), thr = ln(1/0.7) a >= 30 % reduction (the PTSD
 * variant's, KS_RESPONSE_PTSD_THR). */
double ks_response_p_response_thr(const ks_response_params *p, int ctx, double t_h, double d,
                                  double thr);
/* Mean of exp(-L) (score / baseline) over patients. */
double ks_response_mean_ratio(const ks_response_params *p, int ctx, double t_h, double d);
/* Mean of exp(-L_placebo) - exp(-L_drug): the mean drug-placebo difference per unit
 * baseline when both arms share context ctx. */
double ks_response_mean_diff_ratio(const ks_response_params *p, int ctx, double t_h, double d);
/* Among responders at grid index k0, the share still responding at every daily check from
 * k0 to k1 (every round(24 h/dt_h) grid points from k0, the last one at or before k1;
 * relapse = loss of the >= 50 % reduction; within-patient fluctuation included). D has the grid of
 * ks_response_drive. The non-drug component must not increase from k0 on (true for every context
 * after the last visit; the oral-ad context is rejected: returns NaN). */
double ks_response_p_sustained(const ks_response_params *p, int ctx, const double *D, size_t k0,
                               size_t k1, double dt_h);
/* The whole curve at once: surv[j] = share of the responders at k0 still responding at
 * every grid point checked up to k0 + j step (the points k0, k0 + step, ...),
 * j = 0..(k1-k0)/step. KS_EINVAL for the oral-ad context, a k0 before the last visit,
 * step 0. Without fluctuation (fluct_share 0) Simpson over z1 with z2 in closed form;
 * with it (fluct_share > 0, omega_phi > 0) common random numbers over KS_RESPONSE_FLUCT_M
 * evaluations: M/2 nodes with z1 at the midpoint quantiles (i + 1/2)/(M/2) and the path's
 * start w_0 at golden-ratio Kronecker points, each with its path's innovations (fixed
 * Philox draws) and their negatives (antithetic); exact OU transitions over the gaps
 * between checks on the virtual patients' hourly lattice; the stable part of z2 in
 * closed form: deterministic and smooth in the parameters, with a sampling error of its
 * own from the path (docs/response-model.md). With
 * fluctuation a relapse time depends strongly on how often it is checked: callers check
 * daily, as trials rate. KS_ENOMEM. */
#define KS_RESPONSE_FLUCT_M 4096
int ks_response_survival(const ks_response_params *p, int ctx, const double *D, size_t k0,
                         size_t k1, double dt_h, size_t step, double *surv);
/* The same with response defined by the log-score threshold thr (> 0; see
 * ks_response_p_response_thr): ks_response_survival is thr = ln 2, bit for bit. */
int ks_response_survival_thr(const ks_response_params *p, int ctx, const double *D, size_t k0,
                             size_t k1, double dt_h, size_t step, double thr, double *surv);

/* Survival under a trial's own rule: the cohort is the patients whose log-score reduction
 * reaches thr_resp at ANY of the grid points k_resp (n_resp >= 1); a patient relapses at
 * check k_check[j] when the reduction is below thr_keep there (consecutive 1) or there and
 * at the next check (consecutive 2: the last check cannot confirm a relapse). surv[j]
 * (n_check entries) = share of the cohort not relapsed at any check up to j. k_check
 * increasing and after every k_resp; omega_phi and omega_theta > 0; any context (the
 * rule is explicit about its checks, so the non-drug part may rise or fall). With
 * fluct_share > 0 the common-random-number quadrature of ks_response_survival_thr over
 * the path at k_resp then k_check (the path runs through the k_resp in the order given:
 * give them ascending). KS_EINVAL otherwise, KS_ENOMEM. Ibrahim 2012's rule: response >= 50 % at or
 * before 230 min, relapse < 25 % improvement on 2 consecutive daily ratings. */
int ks_response_survival_rule(const ks_response_params *p, int ctx, const double *D, double dt_h,
                              const size_t *k_resp, size_t n_resp, double thr_resp,
                              const size_t *k_check, size_t n_check, double thr_keep,
                              int consecutive, double *surv);

/* ---------------------------------------------------------------- virtual patients */

/* Individual values of patient `patient` (replicate 0) under `seed`: the two standard
 * normal draws of KS_RNG_RESPONSE, index 0 (trial.h): *theta_i = theta exp(omega_theta z1)
 * the sensitivity and *phi_i = exp(omega_phi sqrt(1 - fluct_share) z2) the STABLE part of
 * the patient's multiplier of the context's non-drug component. With fluct_share 0 that
 * is the whole multiplier (the same bits as before the fluctuation existed); with
 * fluct_share > 0 the multiplier at time t is *phi_i times the path factor
 * ks_response_path_factor(t) of the same patient (ks_response_path_init): a score at t
 * needs both. */
void ks_response_patient(const ks_response_params *p, int ctx, uint64_t seed, uint64_t patient,
                         double *theta_i, double *phi_i);
/* The same for patient `patient` of replicate `replicate` (the replicate is part of the
 * Philox counter, as for the PK patients of ks_trial: each replicate draws other
 * patients, and patient i of replicate r is the same whatever the number of replicates).
 * Replicate 0 is ks_response_patient, bit for bit. The drawn baseline of a trial's
 * patient is draw index 1 of the same stream (ks_response_trial). */
void ks_response_patient_rep(const ks_response_params *p, int ctx, uint64_t seed,
                             uint32_t replicate, uint64_t patient, double *theta_i, double *phi_i);
/* A patient's score at time t_h: b0 exp(-(phi_i g(t) + theta_i d)); phi_i the whole
 * multiplier at t_h (with fluctuation: the stable part times the path factor at t_h). */
double ks_response_score(const ks_response_params *p, int ctx, double b0, double theta_i,
                         double phi_i, double t_h, double d);

/* A virtual patient's within-patient fluctuation w(t) (docs/response-model.md,
 * "Within-patient fluctuation"): a stationary Ornstein-Uhlenbeck process of unit variance
 * and correlation time t_fluct_d, on an hourly lattice from t = 0: w is constant on
 * [k, k+1) h, w_0 ~ N(0, 1), w_k = a w_(k-1) + sqrt(1 - a^2) e_k with a = exp(-1 h /
 * t_fluct) (the exact transition, so w at every time is exactly N(0, 1) and the
 * correlation of w(s) and w(t) is exp(-(k_t - k_s) h / t_fluct)). The normal numbers are
 * Philox draws of the patient (ks_rng_normal2, KS_RNG_RESPONSE, indices 2, 3, ...: number
 * n at index 2 + n/2, component n % 2; w_0 is number 0, e_k number k; index 0 is (z1, z2)
 * and index 1 the baseline): the same patient gets the same path whatever the thread
 * count or the other times asked. Advancing to a later time costs one normal number per
 * hour; asking for an earlier time than the last one restarts from t = 0 (correct, but
 * slow: ask in ascending order). With fluct_share 0 (or omega_phi 0) there is no path:
 * w is 0 and the factor exactly 1, without any draw. One state per patient (a state is
 * not shared between threads). */
#define KS_RESPONSE_PATH_MAX_H 1e7 /* hours: later times are refused (NaN) */
typedef struct ks_response_path {
    uint64_t seed, patient;
    uint32_t replicate;
    int on;        /* fluct_share > 0 and omega_phi > 0 */
    double a, b;   /* exp(-1 h / t_fluct), sqrt(1 - a^2) */
    double su;     /* omega_phi sqrt(fluct_share) */
    int64_t hour;  /* the lattice hour w holds; -1 before the first call */
    double w;      /* w at that hour */
    uint32_t pidx; /* Philox index of the normal pair cached in pair (0: none) */
    double pair[2];
} ks_response_path;
/* Patient `patient` of `replicate` under `seed` (the draws of ks_response_patient_rep). */
void ks_response_path_init(ks_response_path *path, const ks_response_params *p, uint64_t seed,
                           uint32_t replicate, uint64_t patient);
/* w at t_h (h, 0 <= t_h < KS_RESPONSE_PATH_MAX_H; NaN otherwise); 0 without fluctuation. */
double ks_response_path_w(ks_response_path *path, double t_h);
/* The time-varying factor of the patient's non-drug multiplier, exp(omega_phi
 * sqrt(fluct_share) w(t_h)): exactly 1 without fluctuation; NaN where ks_response_path_w
 * is. */
double ks_response_path_factor(ks_response_path *path, double t_h);

/* ---------------------------------------------------------------- trial summaries */

/* The response of a virtual trial's patients (patients 0..n-1 of `seed` and replicate
 * `replicate`, the draws of ks_response_patient_rep; a drawn baseline is the normal draw
 * of KS_RNG_RESPONSE index 1 of the same patient and replicate: b0_mean + b0_sd z,
 * clipped to 1..60) on one arm whose
 * typical drug state D is given on the grid of ks_response_drive. Per output time:
 * the mean MADRS, the mean change from baseline and its SD (n - 1 denominator), and
 * the shares with a >= 50 % reduction (response) and with MADRS <= cutoff
 * (remission). Patients are summed in blocks of 256 in patient order, so the result
 * is bit-identical for any thread count. With fluct_share > 0 each patient's non-drug
 * multiplier at an output time is its stable part times its path factor
 * (ks_response_path, advanced through the output times in the order given: ascending
 * costs one normal number per hour of the last time, an earlier time restarts the
 * path); with fluct_share 0 no path is made and the result is the same bits as before
 * the fluctuation existed. */
typedef struct ks_response_trial_spec {
    const ks_response_params *params; /* with the arm's last_visit_h */
    int ctx;                          /* non-drug context of the arm */
    const double *D;                  /* drug state on t_k = k dt_h (NULL: no drug, D = 0) */
    size_t n_grid;                    /* grid points (also when D is NULL) */
    double dt_h;
    const double *times_h; /* output times (h), each in [0, (n_grid - 1) dt_h]; D is
                            * linear between grid points */
    size_t n_times;
    uint64_t n, seed;      /* patients (>= 1) and the trial's seed */
    double b0_mean, b0_sd; /* baseline MADRS (1..60) and its spread (0..30; 0: fixed) */
    double cutoff;         /* remission: MADRS <= cutoff (0..60) */
    int threads;           /* OpenMP threads; 0: the OpenMP default */
    int hamd;              /* non-zero: also the HAM-D mean, mean change and its SD, each patient's
                            * scores converted by ks_response_madrs_to_hamd (Leucht 2018 linking);
                            * response and remission stay computed in MADRS */
    double keep;           /* responder: score <= keep b0 (0: 0.5, a >= 50 % reduction; the
                            * PTSD variant's 1 - KS_RESPONSE_PTSD_REDUCTION) */
    double score_max;      /* the scale's maximum, for the baseline's range and clip, the SD's
                            * (up to half of it) and the cutoff's (0: MADRS 60; CAPS-5 80) */
    uint32_t replicate;    /* whose patients: replicate 0 (the default, zero-initialised: the
                            * patients of ks_response_patient) or another replicate's (a
                            * replicated trial: each replicate its own patients, the same
                            * for any number of replicates). The parameters are the spec's:
                            * a caller that gives each replicate its own parameter set (the
                            * calibration's uncertainty) sets params and D per replicate. */
} ks_response_trial_spec;
typedef struct ks_response_trial_row {
    double mean_madrs, mean_change_madrs, sd_change_madrs, response_frac, remission_frac;
    double mean_hamd, mean_change_hamd, sd_change_hamd; /* with spec.hamd, else NaN */
} ks_response_trial_row;
/* out[i] for times_h[i]. Errors: KS_EINVAL naming the field (no patients, a
 * baseline, spread or cutoff out of range, a time off the grid, bad parameters, keep or
 * score_max out of range, hamd with a scale other than MADRS), KS_ENOMEM. */
int ks_response_trial(const ks_response_trial_spec *s, ks_response_trial_row *out, ks_error *err);

/* Relapse on one arm of the same trial (the same patients of s->replicate, draws and
 * baselines as ks_response_trial; s->times_h, n_times, cutoff and hamd are not read): among the
 * patients responding (MADRS reduced by >= 50 %, also with hamd) at
 * t0 = params->last_visit_h + 24 h (the grid point nearest t0), the first daily check
 * (every round(24 h / dt_h) grid points from t0, up to the end of the grid; no trial rates
 * more often, and with within-patient fluctuation the check frequency changes a
 * first-passage time a lot) at which the patient no longer responds; relapse time = that
 * check minus the last dose. With fluct_share > 0 each patient's score carries its path
 * (ks_response_path), as in ks_response_trial. The median
 * over the responders counts those still responding at the end as censored (+inf) and
 * takes the same quantile as `ketsim forecast`; it exists only when more than half of
 * them relapse within the horizon. Patients go into slots, then in patient order and a
 * sort: the same bits for any thread count. Cost: up to (horizon days) scores per
 * responder, plus one normal number per hour of the horizon with fluctuation. */
#define KS_RESPONSE_RELAPSE_CHECK_H 24.0 /* relapse checks: daily */
typedef struct ks_response_relapse {
    uint64_t responders;   /* responders at last dose + 24 h */
    uint64_t relapsed;     /* of them, relapsed within the horizon */
    double median_d;       /* median days from the last dose to relapse; NaN with why */
    double share_relapsed; /* relapsed / responders; NaN with no responders */
    double horizon_d;      /* days from the last dose to the end of the grid */
    const char *why;       /* NULL, or why there is no median (static text) */
} ks_response_relapse;
/* Errors: KS_EINVAL naming the field (no patients, a baseline or spread out of range, a
 * context, an empty grid or a step that does not divide the hour, bad parameters, keep
 * outside [0, 1), score_max outside 0..1000, hamd with a scale other than MADRS),
 * KS_ENOMEM. Not errors (KS_OK, median NaN and why set): last dose + 24 h beyond the
 * grid, no responders, fewer than half relapsing. */
int ks_response_trial_relapse(const ks_response_trial_spec *s, ks_response_relapse *out,
                              ks_error *err);

/* ---------------------------------------------------------------- randomised withdrawal */

/* SUSTAIN-1 (Daly 2019, JAMA Psychiatry 76:893, doi:10.1001/jamapsychiatry.2019.1189;
 * efficacy.md 21, the literature brief of 2026-11-22) predicted by the model with virtual
 * patients (the calibration fits its two relapse shares by 17.7 weeks through the same
 * design's quadrature, figure sustain1-relapse; docs/response-model.md, "SUSTAIN-1: a
 * prediction, then a fitted figure" has the design as modelled, every assumption and the
 * sources with their levels).
 * Time t (d) from the first dose, in the oral-antidepressant context (KS_CTX_ORAL_AD,
 * started with the first dose and continued in both arms), baseline MADRS drawn per
 * patient from TRANSFORM-2's 37.7 (SD 5.49) (not published for SUSTAIN-1: an assumption):
 *   - induction: esketamine nasal twice weekly, TRANSFORM's days and doses (t 0-24 d);
 *     entry to optimisation: >= 50 % MADRS reduction at t = 27 d (day 28);
 *   - optimisation: 84 mg weekly at t = 28, 35, 42, 49 (weeks 5-8); then, the bracket
 *     of the trial's MADRS algorithm (schedule): KS_WD_WEEKLY every week from t = 56,
 *     KS_WD_BIWEEKLY every other week from t = 63 (63, 77, 91, 105, ...);
 *   - stable remission: MADRS <= 12 at the weekly assessments of weeks 15 and 16 (t = 98,
 *     105) and at least one of weeks 13 and 14 (t = 84, 91) (the registry's "3 of the last
 *     4 weeks, one excursion at week 13 or 14");
 *   - randomisation at t = KS_WD_RAND_D (112 d, after week 16): esketamine continued
 *     (KS_WD_ESK) or stopped (KS_WD_PLACEBO, placebo spray); the same patients, the same
 *     fluctuation paths, in both arms (common random numbers);
 *   - maintenance assessments at the visits, before that visit's dose: weekly from t =
 *     119 d (KS_WD_WEEKLY) or every other week from t = 119 d (KS_WD_BIWEEKLY), up to
 *     KS_WD_HORIZON_D after randomisation;
 *   - relapse: MADRS >= 22 at two consecutive assessments 5-15 days apart, dated at the
 *     first of the two (the last assessment cannot start a relapse); hospitalisation and
 *     suicide-related events, the registry's other arm, are not modelled: the model
 *     under-counts relapse by those.
 * Scores are continuous (thresholds on the model's MADRS, no rounding). Every assessment is
 * at the visit's time, before its dose (the drug state at that grid point). */
#define KS_WD_RAND_D 112.0       /* randomisation, d after the first dose (end of week 16) */
#define KS_WD_HORIZON_D 644.0    /* maintenance follow-up, d: 92 weeks, the registry's maximum */
#define KS_WD_EXPOSURE_D 123.9   /* 17.7 weeks: median maintenance exposure, stable remitters */
#define KS_WD_ENTRY_D 27.0       /* end-of-induction response read (TRANSFORM's day 28) */
#define KS_WD_REMIT_MADRS 12.0   /* stable remission: MADRS <= 12 */
#define KS_WD_RELAPSE_MADRS 22.0 /* relapse: MADRS >= 22 ... */
#define KS_WD_GAP_MIN_D 5.0      /* ... on two consecutive assessments 5-15 d apart */
#define KS_WD_GAP_MAX_D 15.0
#define KS_WD_MAX_CHECKS 96
enum { KS_WD_WEEKLY = 0, KS_WD_BIWEEKLY = 1, KS_WD_N_SCHEDULES = 2 };
enum { KS_WD_ESK = 0, KS_WD_PLACEBO = 1 };

/* The design's drug occupancy (both schedules, both arms), computed once through the
 * esketamine nasal model (70 kg, 45 y, as the calibration) and the PD file: the
 * parameters do not change it. One short simulation per schedule, repeated with the
 * dosing interval (src/response/withdrawal.c says why that is exact to the PK tail the
 * drive already cuts); about 10 s. Errors as ks_response_occupancy. */
typedef struct ks_response_withdrawal ks_response_withdrawal;
int ks_response_withdrawal_create(const ks_model *esk_nasal, const ks_pd *pd,
                                  ks_response_withdrawal **out, ks_error *err);
void ks_response_withdrawal_free(ks_response_withdrawal *w);
/* The doses of a schedule and arm (time_h from the first dose, mg, route "nasal"), in
 * time order: at most cap written, *n the count (KS_EINVAL when cap is too small or the
 * schedule or arm is not one). */
int ks_response_withdrawal_doses(int schedule, int arm, ks_dose *doses, size_t cap, size_t *n,
                                 ks_error *err);
/* The maintenance assessment times of a schedule, d after randomisation (ascending;
 * *n <= KS_WD_MAX_CHECKS). */
void ks_response_withdrawal_checks(int schedule, double *check_d, size_t *n);
/* The drug state D of a schedule and arm on the grid t_k = k dt (KS_RESPONSE_WD_DT_H,
 * from the first dose to randomisation + horizon): *D allocated (free()), *n points. */
#define KS_RESPONSE_WD_DT_H (1.0 / 12.0)
int ks_response_withdrawal_drug(const ks_response_withdrawal *w, const ks_response_params *p,
                                int schedule, int arm, double **D, size_t *n, ks_error *err);

typedef struct ks_response_withdrawal_result {
    int schedule;
    uint64_t n;             /* patients started on induction */
    uint64_t n_entrants;    /* of them responding at the end of induction (entered optimisation) */
    uint64_t n_stable;      /* of them in stable remission at randomisation */
    double stable_share;    /* n_stable / n */
    double stable_share_op; /* n_stable / n_entrants (NaN without entrants) */
    size_t n_checks;        /* maintenance assessments */
    double check_d[KS_WD_MAX_CHECKS]; /* their times, d after randomisation */
    /* per arm (KS_WD_ESK, KS_WD_PLACEBO), among the stable remitters: */
    double cum_relapse[2][KS_WD_MAX_CHECKS]; /* share relapsed at or before check j (by the
                                                relapse date); no censoring: every virtual
                                                patient is followed to the horizon, so this
                                                is the Kaplan-Meier curve 1 - S(t) */
    uint64_t relapsed[2];                    /* relapsed within the horizon */
    double median_d[2];                      /* first check with cum_relapse >= 0.5, d after
                                                randomisation; +INFINITY: not reached within the
                                                horizon; NaN: no stable remitters */
    double share_by_exposure[2];             /* cum_relapse at the last check at or before
                                                KS_WD_EXPOSURE_D (0 before the first check) */
    double horizon_d;                        /* KS_WD_HORIZON_D */
} ks_response_withdrawal_result;
/* The randomised-withdrawal prediction for p on schedule, over patients 0..n-1 of seed
 * (replicate 0: the draws of ks_response_patient and their paths, ks_response_path; the
 * baseline is the normal draw of KS_RNG_RESPONSE index 1, as ks_response_trial's, clipped
 * to 1..60). Deterministic: the same bits for any thread count (0: OpenMP's default).
 * Works for any parameter set, with or without fluctuation. Cost: 2 drug-state
 * integrations (the schedule's two arms), plus per stable remitter one normal number per
 * hour to the horizon with fluctuation. KS_EINVAL (schedule, n < 1, bad parameters), KS_ENOMEM. */
int ks_response_withdraw(const ks_response_withdrawal *w, const ks_response_params *p, int schedule,
                         uint64_t n, uint64_t seed, int threads, ks_response_withdrawal_result *out,
                         ks_error *err);
/* The hazard ratio esketamine/placebo read as the ratio of the cumulative hazards at the
 * exposure reading, ln S_esk / ln S_pbo with S = 1 - share_by_exposure (a proportional-
 * hazards reading of SUSTAIN-1's HR). NaN when it is undefined: no relapse on placebo
 * (S_pbo = 1) or every patient of an arm relapsed (S = 0). */
double ks_response_withdrawal_hr(const ks_response_withdrawal_result *r);

/* ---------------------------------------------------------------- MADRS <-> HAM-D */

/* The model works in MADRS points. HAM-D output goes through the published
 * equipercentile linking of Leucht et al. 2018 (src/response/scale.c has the full
 * source and its verification level): piecewise-linear interpolation through the
 * anchors (MADRS, HAM-D) = (13, 10), (26, 20), (39, 30), (52.5, 40) ("52-53" read as
 * 52.5), plus (0, 0), an assumption (both scales score 0 without symptoms, not a
 * published anchor). Above the last anchor (MADRS > 52.5, HAM-D > 40) the last segment
 * is extended and *extrapolated (may be NULL) is set to 1 (else 0): callers should warn.
 * The HAM-D version of the source was not found: the 17-item range 0-52 is assumed.
 * Errors: KS_EINVAL for a score outside its scale (MADRS 0-60, HAM-D 0-52, or NaN) and
 * for a HAM-D above ks_response_hamd_max_linked() (= ks_response_madrs_to_hamd(60) =
 * 40 + 7.5/1.35 = 45.5556, rounded), whose extension would lie above MADRS 60.
 * hamd_to_madrs(madrs_to_hamd(x)) == x to rounding. */
#define KS_MADRS_MAX 60.0
#define KS_HAMD_MAX 52.0 /* 17-item HAM-D: assumed, the source's version was not found */
#define KS_HAMD_SOURCE                                                                             \
    "HAM-D from the model's MADRS by equipercentile linking (Leucht S et al. 2018, J Affect "      \
    "Disord, PMID 29031182; abstract anchors, level B)"
int ks_response_madrs_to_hamd(double madrs, double *hamd, int *extrapolated, ks_error *err);
int ks_response_hamd_to_madrs(double hamd, double *madrs, int *extrapolated, ks_error *err);
/* The largest HAM-D with a MADRS equivalent: that of MADRS 60 (KS_MADRS_MAX) on the
 * extended last segment, 45.5556 (rounded). Commands take it as their limit. */
double ks_response_hamd_max_linked(void);
/* The anchors, the assumed (0, 0) first: i < ks_response_hamd_n_anchors(), else
 * KS_EINVAL with a message in *err (may be NULL). */
size_t ks_response_hamd_n_anchors(void);
int ks_response_hamd_anchor(size_t i, double *madrs, double *hamd, ks_error *err);
/* Patients' MADRS scores to HAM-D one patient at a time (the linking is not linear:
 * statistics on HAM-D are taken over these, never by converting a MADRS mean or SD):
 * hamd[i] = HAM-D of score[i]; change[i] = HAM-D of score[i] minus HAM-D of base[i]
 * (either output may be NULL; base is read only for change; hamd may be score).
 * KS_EINVAL naming the patient for a score outside MADRS 0-60 (outputs before it written). */
int ks_response_hamd_per_patient(const double *score, const double *base, size_t n, double *hamd,
                                 double *change, ks_error *err);
/* KS_HAMD_SOURCE: one line naming the conversion and its source, for outputs. */
const char *ks_response_hamd_source(void);

/* ---------------------------------------------------------------- calibration */

/* One published figure the calibration fits (ks_response_figure_at). */
typedef struct ks_response_figure {
    const char *id;     /* short id, e.g. "lii2023-means" */
    const char *study;  /* the study it belongs to (leave-one-study-out group) */
    const char *what;   /* what it is, with the scale and the design */
    const char *source; /* citation, DOI, section of ../shared/data/efficacy.md, level */
    const char *unit;   /* unit of its values ("% responders", "MADRS points", ...) */
    size_t n_points;
} ks_response_figure;
size_t ks_response_n_figures(void);
const ks_response_figure *ks_response_figure_at(size_t i);

/* Precomputed occupancy of every calibration design (done once: the fit does not
 * change it). Needs a racemic model with an "iv" route and an esketamine model with a
 * "nasal" route (70 kg, 45 y). */
typedef struct ks_response_designs ks_response_designs;
int ks_response_designs_create(const ks_model *rac_iv, const ks_model *esk_nasal, const ks_pd *pd,
                               ks_response_designs **out, ks_error *err);
/* Only the design the PTSD stage (ks_response_ptsd_*) needs: six 0.5 mg/kg IV infusions.
 * Anything else given these designs fails with KS_ESTATE. Errors as above. */
int ks_response_designs_create_ptsd(const ks_model *rac_iv, const ks_pd *pd,
                                    ks_response_designs **out, ks_error *err);
void ks_response_designs_free(ks_response_designs *d);
/* How Ibrahim 2012's durability figure is read: KS_IBRAHIM_LOSS50 (the default and the
 * shipped fit: day-1 responders, relapse = loss of the >= 50 % reduction, checked daily:
 * an assumption made while the paper's definition was not found) or KS_IBRAHIM_METHODS
 * (the rule of the paper's Methods, read on a level-D copy: responders >= 50 % at any
 * rating up to 230 min, relapse < 25 % improvement on two consecutive daily ratings).
 * KS_EINVAL for another value. docs/response-model.md, "Ibrahim 2012's own relapse rule". */
enum { KS_IBRAHIM_LOSS50 = 0, KS_IBRAHIM_METHODS = 1 };
int ks_response_designs_set_ibrahim(ks_response_designs *d, int rule);
/* The reading set (KS_IBRAHIM_LOSS50 unless set). */
int ks_response_designs_ibrahim(const ks_response_designs *d);
/* Progress of ks_response_calibrate with these designs: progress(n_eval, best objective so
 * far, ud) after every `every` evaluations of each call (progress NULL or every < 1: none,
 * the default). A fit takes thousands of evaluations of 50-100 ms; `ketsim calibrate`
 * reports every KS_RESPONSE_PROGRESS_EVERY. */
#define KS_RESPONSE_PROGRESS_EVERY 500
void ks_response_designs_set_progress(ks_response_designs *d,
                                      void (*progress)(int n_eval, double best, void *ud),
                                      int every, void *ud);
/* A stall rule for ks_response_calibrate with these designs (off by default, as in
 * `ketsim calibrate`, whose fit stops on BOBYQA's own tolerances): an optimiser pass
 * also ends when the best objective has fallen by less than `gain` over the last `window`
 * evaluations of that pass (checked every `window` evaluations, the first time against the
 * pass's start point), and such a pass counts as ending cleanly (the 1 % probes that
 * follow still decide convergence). For the leave-one-study-out refits of
 * `ketsim response-validate`, which otherwise spend thousands of evaluations creeping
 * along flat directions by less than KS_RESPONSE_CONVERGED_GAIN. window < 1: off.
 * KS_EINVAL for a gain that is not finite and > 0. */
int ks_response_designs_set_stall(ks_response_designs *d, int window, double gain);

/* The relapse order (docs/response-model.md, "The relapse order as a constraint of the
 * fit"): with it on (default off; needs the full designs of ks_response_designs_create),
 * ks_response_objective adds
 * KS_RESPONSE_ORDER_WEIGHT x (KS_RESPONSE_ORDER_MARGIN_D - (six - one))^2 when the median
 * relapse after six 0.5 mg/kg infusions over 12 days (six) comes less than
 * KS_RESPONSE_ORDER_MARGIN_D days after the median after one (one): medians in days after
 * the last dose among the responders 24 h after it, relapse = loss of the >= 50 %
 * reduction checked daily, linear between the daily checks (so a margin of one day orders
 * the daily-check medians). The 13 figures do not decide the order; the seeds and the
 * issue state it. The shipped calibration was fitted without it (`calibrate --order` is
 * a sensitivity fit). KS_EINVAL for NULL. */
#define KS_RESPONSE_ORDER_MARGIN_D 1.0
#define KS_RESPONSE_ORDER_WEIGHT 1e4
int ks_response_designs_set_order(ks_response_designs *d, int on);
int ks_response_designs_order(const ks_response_designs *d);
/* The two medians (days; the last check's day when a curve has not fallen to one half) and
 * the objective's order term for p (0 when the order holds by the margin; whether or not
 * the designs have the order on). Errors of the drive. */
int ks_response_order_eval(const ks_response_designs *d, const ks_response_params *p, double *one_d,
                           double *six_d, double *penalty, ks_error *err);

/* Figures of ../shared/data/efficacy.md predicted, not fitted (no part of the objective;
 * docs/response-model.md, "Predicted, not fitted"): their number, each one's description,
 * and its observed, predicted and standard-error values as ks_response_figure_eval gives a
 * fitted figure's (an se of NaN: none published, the point is shown and not judged).
 * KS_EINVAL for i out of range; KS_ESTATE for designs without the six-infusion design. */
size_t ks_response_n_heldout(void);
const ks_response_figure *ks_response_heldout_at(size_t i);
/* A sensitivity fit only: with on != 0, ks_response_objective (and so a fit with these
 * designs) also counts the predicted-only figures' points that have a published SE
 * (default off: the calibration does not fit them). KS_EINVAL for NULL. */
int ks_response_designs_set_heldout(ks_response_designs *d, int on);
/* What point k of predicted-only figure i is, with its unit (NULL out of range). */
const char *ks_response_heldout_point(size_t i, size_t k);
int ks_response_heldout_eval(const ks_response_designs *d, const ks_response_params *p, size_t i,
                             double *obs, double *pred, double *se, ks_error *err);

/* Observed and predicted values of figure i (n_points each; se: the standard error
 * used as the weight). */
int ks_response_figure_eval(const ks_response_designs *d, const ks_response_params *p, size_t i,
                            double *obs, double *pred, double *se, ks_error *err);

/* Fit: minimise the sum of squared standardised residuals over the figures whose
 * `use[i]` is non-zero (all when use is NULL), from `start`, with NLopt's BOBYQA on
 * the log parameters within fixed bounds, then a second BOBYQA from the result.
 * While a probe of 1 % up or down in one parameter still lowers the objective, further
 * passes from the best probe (at most KS_RESPONSE_MAX_EXTRA_PASSES).
 * Deterministic. *objective gets the final sum of squares, *n_eval the evaluations,
 * *converged (may be NULL) 1 when the last pass stopped on its tolerances (relative
 * step 1e-7 or objective change 1e-10, or the stall rule of ks_response_designs_set_stall
 * when set) and no 1 % probe improves the objective by more
 * than KS_RESPONSE_CONVERGED_GAIN, 0 otherwise (cut off by max_eval, or still improving):
 * a fit that did not converge is not at a minimum. */
#define KS_RESPONSE_MAX_EXTRA_PASSES 4
/* A probe gain below which a fit counts as at its minimum, in units of the objective (a
 * sum of squared standardised residuals, a chi-square): 0.01 is a hundredth of the change
 * of 1 that bounds a one-parameter 68 % confidence interval, so a fit that could only
 * gain less than that is at its minimum for every purpose the report serves. Smaller
 * gains still move the fit (another pass), but do not make it "not converged". */
#define KS_RESPONSE_CONVERGED_GAIN 0.01
int ks_response_calibrate(const ks_response_designs *d, const ks_response_params *start,
                          const int *use, int max_eval, ks_response_params *out, double *objective,
                          int *n_eval, int *converged, ks_error *err);
/* As ks_response_calibrate, with the parameters whose held[i] is non-zero kept at start's
 * value (a profile: the best fit of the others with these fixed). held NULL: none held;
 * KS_EINVAL when every parameter is held. */
int ks_response_calibrate_held(const ks_response_designs *d, const ks_response_params *start,
                               const int *use, const int *held, int max_eval,
                               ks_response_params *out, double *objective, int *n_eval,
                               int *converged, ks_error *err);
/* A weight w on point `point` of figure `figure` in ks_response_objective (and so in the
 * fit, the Hessian and the samplers with these designs): its squared standardised residual
 * counts w times. 1 by default, which the calibration keeps; other weights are for
 * sensitivity fits ("what does matching this point cost the others?"). KS_EINVAL naming
 * the index or the weight when out of range (w must be finite and >= 0). */
#define KS_RESPONSE_MAX_POINTS 16
int ks_response_designs_set_weight(ks_response_designs *d, size_t figure, size_t point, double w,
                                   ks_error *err);
/* The weight of that point (1 unless set; NAN for an index out of range). */
double ks_response_designs_weight(const ks_response_designs *d, size_t figure, size_t point);
/* The objective at p over the figures in use (NULL: all). */
double ks_response_objective(const ks_response_designs *d, const ks_response_params *p,
                             const int *use);
/* Default starting values and bounds of the fit (docs/response-model.md). */
void ks_response_params_start(ks_response_params *p);
void ks_response_params_bounds(ks_response_params *lo, ks_response_params *hi);

/* ---------------------------------------------------------------- PTSD variant */

/* PTSD (CAPS-5), a variant calibrated where the data allow (docs/response-model.md,
 * "PTSD variant"): the drug state D(t) and every parameter of the depression fit are
 * shared, except two of its own, fitted in a second stage conditional on the depression
 * fit to the two response shares of Feder 2021 (efficacy.md 18): the median drug
 * sensitivity theta_ptsd (replaces theta) and the non-drug level of the awake
 * active-placebo (midazolam) context phi_ptsd_active (replaces phi_active; the ketamine
 * arm shares it, as in depression). Response is a >= 30 % CAPS-5 reduction: log-score
 * threshold ln(1/0.7). Two numbers, two parameters: the fit is exactly determined. Only
 * the active context and racemic ketamine IV are calibrated. */
#define KS_RESPONSE_PTSD_REDUCTION 0.30 /* >= 30 % CAPS-5 reduction (Feder 2021 press release) */
#define KS_RESPONSE_PTSD_THR 0.35667494393873238 /* ln(1/0.7) */
/* Feder 2021's week-2 assessment, h after the first infusion: day 14 (weekly visits counted
 * from baseline; infusions on days 0-11). An ASSUMPTION: no source gives the hour; the
 * fit depends on it strongly (docs/response-model.md, "PTSD variant"). */
#define KS_RESPONSE_PTSD_WEEK2_DAY 14
#define KS_RESPONSE_PTSD_WEEK2_H (24.0 * KS_RESPONSE_PTSD_WEEK2_DAY)
/* The sensitivity reading: 24 h after the sixth infusion (day 12). */
#define KS_RESPONSE_PTSD_WEEK2_ALT_H (24.0 * 12)
#define KS_RESPONSE_CAPS5_MAX 80.0 /* CAPS-5 total severity range 0-80 */
typedef struct ks_response_ptsd {
    double theta_ptsd;      /* median drug sensitivity in PTSD, log-score per unit D */
    double phi_ptsd_active; /* non-drug log-score reduction, awake active placebo, PTSD */
} ks_response_ptsd;
/* The depression parameters with theta and phi_active replaced by the variant's: the
 * model of a PTSD patient, to use in the active context with threshold
 * KS_RESPONSE_PTSD_THR. */
void ks_response_ptsd_params(const ks_response_params *dep, const ks_response_ptsd *v,
                             ks_response_params *out);
/* The figure of the second stage (Feder 2021: week-2 response, ketamine then midazolam;
 * 2 points). */
const ks_response_figure *ks_response_ptsd_figure(void);
/* Observed, predicted and standard error (binomial, n = 15 per arm) of its two points, in
 * % of patients, with the depression fit dep and the variant v. */
int ks_response_ptsd_eval(const ks_response_designs *d, const ks_response_params *dep,
                          const ks_response_ptsd *v, double obs[2], double pred[2], double se[2],
                          ks_error *err);
/* The same read at read_h (h after the first infusion; KS_EINVAL before the last
 * infusion, 264 h, or past the design) instead of KS_RESPONSE_PTSD_WEEK2_H. */
int ks_response_ptsd_eval_at(const ks_response_designs *d, const ks_response_params *dep,
                             const ks_response_ptsd *v, double read_h, double obs[2],
                             double pred[2], double se[2], ks_error *err);
/* Stage 2: solve for the variant's two parameters given dep (deterministic bisection in
 * log space: phi_ptsd_active from the midazolam share alone, then theta_ptsd from the
 * ketamine share). shift[i] (may be NULL) moves observed share i by that many of its
 * standard errors (for the 1-SE ranges of the parameters). KS_ENUMERIC when a share
 * cannot be reached within the bounds (phi 1e-4..100, theta 1e-4..1000). */
int ks_response_ptsd_calibrate(const ks_response_designs *d, const ks_response_params *dep,
                               const double *shift, ks_response_ptsd *out, ks_error *err);
/* Stage 2 with the week-2 read at read_h (KS_EINVAL as ks_response_ptsd_eval_at). */
int ks_response_ptsd_calibrate_at(const ks_response_designs *d, const ks_response_params *dep,
                                  const double *shift, double read_h, ks_response_ptsd *out,
                                  ks_error *err);
/* Out of sample: among the responders (>= 30 %) at week 2 (KS_RESPONSE_PTSD_WEEK2_H, after
 * six 0.5 mg/kg infusions on days 0, 2, 4, 7, 9, 11), the median time (d) from that
 * assessment to the loss of response, checked daily; +INFINITY when more than half
 * still respond at the end of the design's window (*window_d days after week 2).
 * *diff_frac (may be NULL): the week-2 mean difference midazolam - ketamine as a fraction
 * of the baseline (ks_response_mean_diff_ratio). */
int ks_response_ptsd_predict(const ks_response_designs *d, const ks_response_params *dep,
                             const ks_response_ptsd *v, double *median_d, double *window_d,
                             double *diff_frac, ks_error *err);
/* The same from the week-2 read at read_h (KS_EINVAL as ks_response_ptsd_eval_at), and
 * *weekly_d (may be NULL): the median as the trial saw it, on weekly follow-up visits from
 * the week-2 assessment (7, 14, ... d): the first visit at which at most half of the
 * week-2 responders still respond, +INFINITY when none in the window. */
int ks_response_ptsd_predict_at(const ks_response_designs *d, const ks_response_params *dep,
                                const ks_response_ptsd *v, double read_h, double *median_d,
                                double *weekly_d, double *window_d, double *diff_frac,
                                ks_error *err);
/* The variant from a parameter file: $.variants.ptsd.parameters.theta_ptsd.value and
 * .phi_ptsd_active.value (unit "1"). KS_EMODEL naming the JSON path when missing (a file
 * from before the variant has none), KS_EIO, KS_EPARSE. */
int ks_response_ptsd_load(const char *path, ks_response_ptsd *v, ks_error *err);

/* ---------------------------------------------------------------- uncertainty */

/* Parameter uncertainty of the calibration (docs/response-model.md, "Parameter
 * uncertainty"). The objective is a sum of squared standardised residuals, -2 log L up to
 * a constant, so near the fit the log parameters are approximately normal with covariance
 * 2 H^-1 (H its Hessian in log parameters) times a residual variance factor. That normal
 * is only the proposal: sampling importance resampling (SIR; Dosne et al. 2016, J
 * Pharmacokinet Pharmacodyn 43:583, doi:10.1007/s10928-016-9487-8) weights proposals by
 * the objective itself and keeps a set of parameter vectors, stored in the file; forecasts
 * use those sets. */
#define KS_RESPONSE_AT_BOUND 1e-3 /* log units: a parameter this close to a bound is held */
#define KS_RESPONSE_FLAT_LOG                                                                       \
    3.0                               /* an axis whose 1-SD spread exceeds this (log units, a      \
                                         factor of 20) is not identified by the figures */
#define KS_RESPONSE_HESSIAN_STEP 0.01 /* log units (1 %) */
#define KS_RESPONSE_DRAW_TRIES 1000   /* proposals outside the bounds before giving up */
#define KS_RESPONSE_SIR_M 2000        /* proposals */
#define KS_RESPONSE_SIR_N 200         /* parameter sets kept */
#define KS_RESPONSE_SIR_SEED 20261122 /* fixed: the calibration is deterministic */
typedef struct ks_response_uncertainty {
    int n_points;            /* calibration data points */
    int n_free;              /* parameters not at a bound */
    int free[KS_RP_N];       /* 1: not at a bound (has a Hessian row); 0: held at its bound */
    int identified[KS_RP_N]; /* 1: free and less than 10 % of its direction on flat axes */
    double objective;        /* the objective at the fit */
    double scale;            /* residual variance factor: objective/(n_points - n_free), >= 1 */
    double step;             /* finite-difference step, log units */
    double step_change;      /* largest relative change of an identified SD at 2 steps */
    double eigen[KS_RP_N];   /* eigenvalues of H over the free parameters, descending */
    int n_axes;              /* eigen-axes of the proposal (= n_free) */
    int flat[KS_RP_N];       /* axis j not identified: its proposal SD is FLAT_LOG */
    double axes[KS_RP_N][KS_RP_N]; /* axes[j][i]: 1-SD proposal displacement of log param i */
    double cov[KS_RP_N][KS_RP_N];  /* covariance of the log parameters, identified axes only */
} ks_response_uncertainty;

/* An objective over parameter sets (the calibration's, or a test's). */
typedef double (*ks_response_objfn)(const ks_response_params *p, void *ud);

/* Central-difference Hessian of fn in the log parameters at p, over the parameters with
 * free_[i] (others' rows and columns 0), step h log units (0 < h <= 0.5); H is KS_RP_N x
 * KS_RP_N row-major. 2k^2+1 evaluations for k free parameters on `threads` threads (0:
 * OpenMP's default; fn must be thread-safe); the same bits for any count. KS_ENUMERIC when
 * fn is not finite at a probe. */
int ks_response_hessian(ks_response_objfn fn, void *ud, const ks_response_params *p,
                        const int *free_, double h, int threads, double *H, ks_error *err);
/* The covariance from a Hessian (u->free, n_points and objective set by the caller):
 * eigen-axes, flat axes, identified parameters, scale, cov. */
int ks_response_uncertainty_from_hessian(const double *H, ks_response_uncertainty *u,
                                         ks_error *err);
/* At the fit p of the calibration objective (all figures of d): parameters within
 * KS_RESPONSE_AT_BOUND of a bound held, the Hessian at `step` and at 2 step (step_change),
 * the covariance. */
int ks_response_uncertainty_compute(const ks_response_designs *d, const ks_response_params *p,
                                    double step, int threads, ks_response_uncertainty *u,
                                    ks_error *err);

/* Proposal number k (k >= 1) around p: log p + sum_j z_j axes[j], z standard normal from
 * Philox stream KS_RNG_RESPONSE_PARAMS of seed, rejected and redrawn outside the
 * calibration bounds (KS_RESPONSE_DRAW_TRIES times, then KS_ENUMERIC). *z2 (may be NULL)
 * gets sum z_j^2 (the proposal's log density is -z2/2 + const). The visits of p are kept. */
int ks_response_propose(const ks_response_params *p, const ks_response_uncertainty *u,
                        uint64_t seed, uint64_t k, ks_response_params *out, double *z2,
                        ks_error *err);

/* What SIR did. */
typedef struct ks_response_sir_stats {
    int m, n;         /* proposals, sets kept */
    double ess;       /* effective sample size of the importance weights, (sum w)^2/sum w^2 */
    double max_share; /* largest single weight / sum of weights */
    double dobj_q[3]; /* 5th, 50th, 95th percentile of objective - fit over the kept sets */
    int n_infinite;   /* proposals where fn was not finite (weight 0) */
} ks_response_sir_stats;
/* Sampling importance resampling: m proposals (ks_response_propose, seed), importance
 * weight exp(-(fn - fn(p)) / (2 u->scale) + z2/2), n sets drawn without replacement with
 * probability proportional to the weights, in the order drawn (any prefix is itself a
 * weighted sample). sets has n entries. Deterministic for any thread count. KS_EINVAL
 * for n > m or n < 1; KS_ENUMERIC when fewer than n proposals have a weight. */
int ks_response_sir(ks_response_objfn fn, void *ud, const ks_response_params *p,
                    const ks_response_uncertainty *u, int m, int n, uint64_t seed, int threads,
                    ks_response_params *sets, ks_response_sir_stats *st, ks_error *err);
/* The next SIR proposal (iterative SIR, Dosne et al. 2017, J Pharmacokinet Pharmacodyn
 * 44:509, doi:10.1007/s10928-017-9542-0): u's axes replaced by the eigen-axes of the
 * second moments of the n sets' log parameters about the fit p (u->free kept; axes with
 * no spread dropped), each SD times `inflate`. KS_EINVAL for n < 2 or inflate <= 0. */
#define KS_RESPONSE_SIR_ITER 5      /* at most this many SIR iterations */
#define KS_RESPONSE_SIR_ITER_MAX 50 /* ... and what calibrate --iterations allows */
#define KS_RESPONSE_SIR_INFLATE 1.2 /* SD inflation of an iterated proposal */
int ks_response_proposal_from_sets(const ks_response_params *p, const ks_response_params *sets,
                                   int n, double inflate, ks_response_uncertainty *u,
                                   ks_error *err);
/* Pooled iterated SIR: adaptive multiple importance sampling (AMIS; Cornuet J-M, Marin
 * J-M, Mira A, Robert CP 2012, Scand J Stat 39:798, doi:10.1111/j.1467-9469.2011.00756.x).
 * Iteration t draws m proposals from q_t (q_1 = u; each next one from the second moments
 * about p of n sets drawn from the pool so far, SDs x inflate, as
 * ks_response_proposal_from_sets), and every proposal of every iteration so far is
 * weighted by the target exp(-(fn - fn(p)) / (2 u->scale)) over the equal mixture of
 * q_1..q_t (the balance heuristic), each q_t a normal on the free log parameters truncated
 * to the calibration bounds (its mass inside estimated from KS_RESPONSE_AMIS_ZDRAWS draws
 * of its own). Stops when the pool's effective sample size reaches n or after `iters`;
 * then n sets drawn without replacement from the pool in proportion to the weights. The
 * same target and sets semantics as ks_response_sir; no proposal is thrown away, so the
 * effective sample size accumulates over the iterations. st: the pool's statistics (m =
 * the pool's size); iter_ess (may be NULL; iters entries): the pool's effective sample
 * size after each iteration; *iters_run (may be NULL) how many ran; progress (may be NULL)
 * is called after each iteration (iteration from 1). Each proposal needs
 * one axis per free parameter (KS_ENUMERIC otherwise). Deterministic for any thread
 * count. KS_EINVAL for bad counts. */
#define KS_RESPONSE_AMIS_ZDRAWS 20000
typedef void (*ks_response_amis_progress)(int iteration, double pool_ess, int pool, void *ud);
int ks_response_amis(ks_response_objfn fn, void *ud, const ks_response_params *p,
                     const ks_response_uncertainty *u, int iters, int m, int n, double inflate,
                     uint64_t seed, int threads, ks_response_params *sets,
                     ks_response_sir_stats *st, double *iter_ess, int *iters_run,
                     ks_response_amis_progress progress, void *progress_ud, ks_error *err);
/* Pooled SIR with a mixture proposal (docs/response-model.md, "Parameter uncertainty",
 * 3c): as ks_response_amis, but each iteration's proposal is a deterministic mixture of
 * 1 + n_centres truncated normals on the free log parameters, one about the fit p and one
 * about each of `centres` (other local minima of the objective: other basins the normal
 * about p hardly reaches; their held parameters, those not u->free, are set to p's). Every
 * component starts with u's axes and an equal share of the m draws; after each iteration
 * each of the n sets drawn from the pool goes to the component under which it is most
 * probable (share x density), a component with at least 2 sets per free parameter takes
 * the second moments of its sets about its centre (SDs x inflate), and its share of the
 * next m draws is its share of the sets raised to at least KS_RESPONSE_AMIS_MIN_SHARE,
 * then all renormalised to sum 1 (so a raised component gets a little less: 0.1/1.1 of
 * the draws with one centre, 0.1/1.4 with four; a basin stays explored). A proposal's density is
 * the mixture's, sum_c m_c/m q_c (the deterministic-mixture weight), and the pool is weighted
 * against the equal mixture of the iterations' proposals as in ks_response_amis; with n_centres 0
 * it is ks_response_amis to the bit. share (may be NULL; 1 + n_centres entries): the kept sets'
 * shares by component (assigned as above, under the last proposal). KS_EINVAL for more
 * than KS_RESPONSE_AMIS_MAX_CENTRES centres or a centre outside the calibration bounds. */
#define KS_RESPONSE_AMIS_MAX_CENTRES 4
#define KS_RESPONSE_AMIS_MIN_SHARE 0.1
int ks_response_amis_mix(ks_response_objfn fn, void *ud, const ks_response_params *p,
                         const ks_response_uncertainty *u, const ks_response_params *centres,
                         int n_centres, int iters, int m, int n, double inflate, uint64_t seed,
                         int threads, ks_response_params *sets, ks_response_sir_stats *st,
                         double *iter_ess, int *iters_run, double *share,
                         ks_response_amis_progress progress, void *progress_ud, ks_error *err);
/* Adaptive random-walk Metropolis on the same target as SIR (docs/response-model.md,
 * "Parameter uncertainty"): density proportional to exp(-fn / (2 u->scale)) on the log
 * parameters with u->free, zero outside the calibration bounds (a proposal outside is
 * rejected), the others held at p. Each chain starts from a dispersed point drawn from the
 * Hessian proposal (ks_response_propose, u's axes) and moves by a mixture of normal steps
 * (Roberts & Rosenthal 2009, J Comput Graph Stat 18:349, doi:10.1198/jcgs.2009.06134,
 * "adaptive Metropolis"): with probability KS_RESPONSE_MCMC_BETA the fixed step
 * N(0, 2.38^2/d Sigma_H) (Sigma_H the proposal's covariance, d the free parameters),
 * else N(0, lambda^2 2.38^2/d C). C is Sigma_H, then the covariance of the log
 * parameters of all chains' states pooled over each adaptation window of the burn-in B
 * (iterations [B/8, B/4), [B/4, B/2), [B/2, B); every chain finishes a window before any
 * starts the next), and each chain's lambda follows a Robbins-Monro step towards an
 * acceptance of KS_RESPONSE_MCMC_TARGET_ACC. Adaptation stops at the end of the burn-in:
 * the draws kept come from a fixed Metropolis kernel. Chains use Philox stream
 * KS_RNG_RESPONSE_MCMC of the seed, keyed by chain and iteration: the same bits for any
 * thread count (chains run in parallel; fn must be thread-safe). */
#define KS_RESPONSE_MCMC_CHAINS 4         /* default chains */
#define KS_RESPONSE_MCMC_MAX_CHAINS 64    /* at most */
#define KS_RESPONSE_MCMC_DRAWS 3000       /* default draws kept per chain, after burn-in */
#define KS_RESPONSE_MCMC_BURN 1500        /* default burn-in (adaptation) per chain */
#define KS_RESPONSE_MCMC_BETA 0.05        /* share of steps from the fixed Hessian proposal */
#define KS_RESPONSE_MCMC_TARGET_ACC 0.234 /* target acceptance of the scale adaptation */
/* Convergence criteria (Vehtari et al. 2021, Bayesian Anal 16:667, doi:10.1214/20-BA1221:
 * rank-normalised split-R-hat below 1.01; bulk- and tail-ESS at least 100 per chain),
 * over the free parameters. */
#define KS_RESPONSE_MCMC_RHAT_MAX 1.01
#define KS_RESPONSE_MCMC_ESS_PER_CHAIN 100

typedef struct ks_response_mcmc_opts {
    int chains;    /* >= 2 (split-R-hat needs several), <= KS_RESPONSE_MCMC_MAX_CHAINS */
    int draws;     /* draws kept per chain after the burn-in, >= 4 */
    int burn;      /* burn-in (adapting) iterations per chain, >= 0 */
    uint64_t seed; /* Philox key */
    int threads;   /* 0: OpenMP's default */
    /* called now and then from the chains' threads (may be NULL): chain, iterations done
     * (burn-in included), of total */
    void (*progress)(int chain, int done, int total, void *pud);
    void *pud;
} ks_response_mcmc_opts;

typedef struct ks_response_mcmc_stats {
    int chains, draws, burn, n_free;
    double accept[KS_RESPONSE_MCMC_MAX_CHAINS]; /* acceptance after the burn-in, per chain */
    double accept_rate;                         /* over all chains after the burn-in */
    double outside_rate; /* share of proposals after the burn-in rejected at a bound */
    double scale_lambda[KS_RESPONSE_MCMC_MAX_CHAINS]; /* final lambda per chain */
    double rhat[KS_RP_N]; /* max of bulk and folded rank-normalised split-R-hat; NAN held */
    double ess_bulk[KS_RP_N], ess_tail[KS_RP_N]; /* NAN for a held parameter */
    double max_rhat, min_ess_bulk, min_ess_tail; /* over the free parameters */
    int converged;    /* max_rhat < RHAT_MAX and both minimum ESS >= ESS_PER_CHAIN x chains */
    double dobj_q[3]; /* 5th, 50th, 95th percentile of objective - fn(p), kept sets */
    double q05[KS_RP_N], q95[KS_RP_N]; /* 5th and 95th percentile over all kept draws */
} ks_response_mcmc_stats;

/* Run o->chains chains of o->burn + o->draws iterations each; keep n_sets parameter sets
 * thinned evenly from the o->chains x o->draws draws after the burn-in (chain by chain,
 * in draw order), stored in an order shuffled with the seed (so any first n is itself a
 * thinned sample over all chains), and the diagnostics in *st (may be NULL). draws (may
 * be NULL) gets every kept draw, [chain][draw][KS_RP_N] natural values. The visits of p
 * are kept. KS_EINVAL for bad options or n_sets outside 1..chains x draws; KS_ENUMERIC
 * when fn is not finite at p, no start with a finite fn is found in
 * KS_RESPONSE_DRAW_TRIES proposals, or a covariance has no Cholesky factor; KS_EINVAL
 * also when no parameter is free; KS_ENOMEM. */
int ks_response_mcmc(ks_response_objfn fn, void *ud, const ks_response_params *p,
                     const ks_response_uncertainty *u, const ks_response_mcmc_opts *o, int n_sets,
                     ks_response_params *sets, double *draws, ks_response_mcmc_stats *st,
                     ks_error *err);

/* Convergence diagnostics of one quantity, x[chain * n + i] for `chains` chains of n
 * draws (Vehtari et al. 2021): each chain split in halves (the middle draw dropped when n
 * is odd), draws replaced by the normal scores of their pooled ranks ((r - 3/8) / (S +
 * 1/4), ties averaged). *rhat: the larger of the split-R-hat of those scores and of the
 * scores of |x - median|; *ess_bulk: the ESS of the scores; *ess_tail: the smaller ESS of
 * the indicators x <= 5th and x <= 95th percentile. Any output may be NULL. KS_EINVAL
 * for chains < 1 or n < 4; KS_ENOMEM. A quantity with no spread gives NAN. */
int ks_response_mcmc_diagnose(const double *x, int chains, int n, double *rhat, double *ess_bulk,
                              double *ess_tail, ks_error *err);
/* The parts, on the chains as given (no split, no ranks): the potential scale reduction
 * sqrt(((n-1)/n W + B/n) / W) (Gelman & Rubin 1992; W the mean within-chain variance, B/n
 * the variance of the chain means), and the ESS chains n / tau with tau = -1 + 2 sum_k
 * G_k, G_k = rho_2k + rho_2k+1 of the multi-chain autocorrelation rho_t = 1 - (W -
 * mean_m acov_m(t)) / ((n-1)/n W + B/n) (acov with divisor n), summed while G_k > 0 and
 * made non-increasing (Geyer 1992's initial monotone sequence), tau at least
 * 1/log10(chains n) (as Stan). NAN when W = 0 or chains n < 4. */
double ks_response_mcmc_rhat_basic(const double *x, int chains, int n);
double ks_response_mcmc_ess_basic(const double *x, int chains, int n);

/* Sequential Monte Carlo with adaptive tempering on the same target as SIR and the Markov
 * chains (docs/response-model.md, "Parameter uncertainty" 3d): density proportional to
 * exp(-fn / (2 u->scale)) on the log parameters with u->free, zero outside the calibration
 * bounds, the others held at p. o->islands independent particle systems of o->particles
 * each (the island particle model: Verge C, Dubarry C, Del Moral P, Moulines E 2015, Stat
 * Comput 25:243, doi:10.1007/s11222-013-9429-x); each starts from draws of the Hessian
 * normal q0 (ks_response_propose; u's axes, which must be orthogonal as
 * ks_response_uncertainty_from_hessian makes them) and passes through the targets
 * q0^(1 - beta) pi^beta, beta from 0 to 1 (a geometric bridge), each next beta where the
 * effective sample size of the incremental weights falls to KS_RESPONSE_SMC_ESS_FRAC of
 * the particles (adaptive tempering: Jasra A, Stephens DA, Doucet A, Tsagaris T 2011,
 * Scand J Stat 38:1, doi:10.1111/j.1467-9469.2010.00723.x), then systematic resampling
 * (which keeps the particles of one ancestor next to each other) and random-walk
 * Metropolis sweeps invariant for that target: steps N(0, lambda^2 2.38^2/d Sigma), Sigma
 * the weighted covariance of the island's particles at the new beta, lambda following
 * each sweep's acceptance towards KS_RESPONSE_MCMC_TARGET_ACC; sweeps go on until at
 * least 1 - KS_RESPONSE_SMC_MOVE_C of the particles have moved (at least 2 sweeps, at
 * most o->sweeps_max). At beta 1 all islands go on sweeping until the diagnostics below
 * pass, checked every KS_RESPONSE_SMC_CHECK sweeps, or o->final_max sweeps are done.
 * Diagnostics as the chains' (ks_response_mcmc_diagnose) with the islands as chains and
 * each island's particles in their order as draws: since resampling keeps a family
 * together, particles that still share an ancestor are neighbours, and the ESS counts
 * them as correlated. Converged: max R-hat < KS_RESPONSE_MCMC_RHAT_MAX and bulk- and
 * tail-ESS at least KS_RESPONSE_MCMC_ESS_PER_CHAIN per island. Random numbers: the
 * initial draws are ks_response_propose's (stream KS_RNG_RESPONSE_PARAMS of o->seed), the
 * rest Philox stream KS_RNG_RESPONSE_SMC of o->seed keyed by island, stage, sweep and
 * particle: the same bits for any thread count (particles move in parallel; fn must be
 * thread-safe). */
#define KS_RESPONSE_SMC_ISLANDS 4      /* default islands */
#define KS_RESPONSE_SMC_MAX_ISLANDS 16 /* at most */
#define KS_RESPONSE_SMC_PARTICLES 500  /* default particles per island */
#define KS_RESPONSE_SMC_MAX_PARTICLES 100000
#define KS_RESPONSE_SMC_ESS_FRAC 0.5   /* the next beta: ESS of the weights at this share */
#define KS_RESPONSE_SMC_MOVE_C 0.01    /* sweeps until all but this share have moved */
#define KS_RESPONSE_SMC_SWEEPS_MAX 40  /* default cap on the sweeps of one stage */
#define KS_RESPONSE_SMC_FINAL_MAX 200  /* default cap on the further sweeps at beta 1 */
#define KS_RESPONSE_SMC_CHECK 5        /* diagnostics every this many sweeps at beta 1 */
#define KS_RESPONSE_SMC_MAX_STAGES 200 /* stages (temperatures) per island at most */

typedef struct ks_response_smc_opts {
    int islands;    /* 2 to KS_RESPONSE_SMC_MAX_ISLANDS */
    int particles;  /* per island, 20 to KS_RESPONSE_SMC_MAX_PARTICLES */
    int sweeps_max; /* per stage, >= 2 */
    int final_max;  /* further sweeps at beta 1, >= 0 */
    uint64_t seed;  /* Philox key */
    int threads;    /* 0: OpenMP's default */
    /* called after each sweep (may be NULL): island (-1 for the sweeps of all islands at
     * beta 1), stage, beta, sweep of the stage, its acceptance, evaluations so far */
    void (*progress)(int island, int stage, double beta, int sweep, double accept, long evals,
                     void *pud);
    void *pud;
    /* called at beta 1 after each check of the diagnostics (may be NULL; also given pud):
     * further sweeps so far, largest R-hat, smallest bulk- and tail-ESS, converged */
    void (*check)(int sweeps, double max_rhat, double min_ess_bulk, double min_ess_tail,
                  int converged, void *pud);
} ks_response_smc_opts;

typedef struct ks_response_smc_stats {
    int islands, particles, n_free;
    int stages[KS_RESPONSE_SMC_MAX_ISLANDS]; /* temperatures after 0, the last one 1 */
    double beta[KS_RESPONSE_SMC_MAX_ISLANDS][KS_RESPONSE_SMC_MAX_STAGES];
    double accept[KS_RESPONSE_SMC_MAX_ISLANDS][KS_RESPONSE_SMC_MAX_STAGES]; /* over its sweeps */
    int sweeps[KS_RESPONSE_SMC_MAX_ISLANDS][KS_RESPONSE_SMC_MAX_STAGES];
    double moved[KS_RESPONSE_SMC_MAX_ISLANDS][KS_RESPONSE_SMC_MAX_STAGES]; /* share moved */
    /* log of the normalising constant of pi over q0's (each island's estimate: the sum of
     * the logs of the mean incremental weights); islands that explored the same target
     * agree within their Monte Carlo error */
    double log_evidence[KS_RESPONSE_SMC_MAX_ISLANDS];
    int ancestors[KS_RESPONSE_SMC_MAX_ISLANDS]; /* initial draws with descendants at the end */
    int final_sweeps;                           /* further sweeps at beta 1 */
    double final_accept;                        /* their acceptance */
    long evaluations;                           /* of fn, the start's included */
    double rhat[KS_RP_N], ess_bulk[KS_RP_N], ess_tail[KS_RP_N]; /* NAN for a held one */
    double max_rhat, min_ess_bulk, min_ess_tail;                /* over the free parameters */
    int converged;
    double dobj_q[3]; /* 5th, 50th, 95th percentile of objective - fn(p), kept sets */
    double q05[KS_RP_N], q95[KS_RP_N]; /* 5th and 95th percentile over all particles */
} ks_response_smc_stats;

/* Run the islands; keep n_sets parameter sets evenly spaced over all islands' final
 * particles (island by island, in particle order), stored in an order shuffled with the
 * seed; diagnostics in *st (may be NULL). particles (may be NULL) gets every final
 * particle, [island][particle][KS_RP_N] natural values. The visits of p are kept.
 * KS_EINVAL for bad options, n_sets outside 1..islands x particles, no free parameter, or
 * axes that are not orthogonal or not one per free parameter (none zero over the free
 * parameters, none touching a held one); KS_ENUMERIC when fn is not finite at p, no start
 * inside the bounds with a finite fn is found in KS_RESPONSE_DRAW_TRIES proposals, a
 * covariance has no Cholesky factor or an island needs more than
 * KS_RESPONSE_SMC_MAX_STAGES temperatures; KS_ENOMEM. */
int ks_response_smc(ks_response_objfn fn, void *ud, const ks_response_params *p,
                    const ks_response_uncertainty *u, const ks_response_smc_opts *o, int n_sets,
                    ks_response_params *sets, double *particles, ks_response_smc_stats *st,
                    ks_error *err);

/* The calibration objective over all figures, as a ks_response_objfn (ud: the designs). */
double ks_response_objective_fn(const ks_response_params *p, void *ud);

/* The parameter sets of a file's "uncertainty" section ($.uncertainty.sets: arrays of
 * KS_RP_N values in the order of ks_response_param_name, written by ketsim calibrate; in
 * a file whose $.parameters have neither fluct_share nor t_fluct_d, also arrays of
 * KS_RP_N_NOFLUCT values, read with fluct_share 0 and t_fluct_d at its start value, or of
 * KS_RP_N values with fluct_share exactly 0; fluct_share 0 is accepted below its fit
 * bound: the model without fluctuation).
 * *sets is allocated (free()), *n its count; each set is checked in range and bounds.
 * KS_EMODEL naming the JSON path when missing (a file from before the section) or
 * malformed, KS_EIO, KS_EPARSE. */
int ks_response_uncertainty_load(const char *path, ks_response_params **sets, size_t *n,
                                 ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
