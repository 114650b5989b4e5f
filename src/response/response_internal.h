/* ketsim response module: what its sources share and the public header does not show. */
#ifndef KETSIM_RESPONSE_INTERNAL_H
#define KETSIM_RESPONSE_INTERNAL_H

#include "ketsim/response.h"

/* The esketamine induction of TRANSFORM-2 (Popova 2019; efficacy.md 20): nasal spray twice
 * weekly for four weeks, on these days after the first dose (days 1, 4, 8, 11, 15, 18,
 * 22, 25), 56 mg on the first day and 84 mg after (the flexible dose read as 56 then 84
 * mg: an assumption, docs/response-model.md "Assumptions" 5). The calibration's
 * TRANSFORM design and the SUSTAIN-1 induction (ks_response_withdraw) are these doses. */
#define KS_ESK_INDUCTION_N 8
static const double KS_ESK_INDUCTION_DAYS[KS_ESK_INDUCTION_N] = {0, 3, 7, 10, 14, 17, 21, 24};
#define KS_ESK_FIRST_MG 56.0
#define KS_ESK_MG 84.0

/* The calibration's grid: 5 minutes. */
#define KS_RESPONSE_DT_H (1.0 / 12.0)

/* The esketamine covariates of the calibration: 70 kg, 45 y. */
static inline void ks_response_calib_cov(ks_covariates *cov)
{
    ks_covariates_set(cov, "weight", 70.0, NULL);
    ks_covariates_set(cov, "age", 45.0, NULL);
}

/* The drive's state (T, M1, M2, S, C; ks_response_drive) has this many components. */
#define KS_RESPONSE_NX 5
/* ks_response_drive from the state x0 at t = 0 (NULL: 0, as ks_response_drive), and the
 * state at the last grid point in x_end (NULL: not wanted; untouched on an error). x0 is
 * read before x_end is written: they may be the same array. The drive is linear in the
 * state (the occupancy enters as a coefficient and a source), so the state after an
 * interval is an affine map of the state before it: withdrawal.c uses that to carry the
 * periodic doses of SUSTAIN-1's maintenance over one interval only. Errors as
 * ks_response_drive. */
int ks_response_drive_from(const ks_response_params *p, const double *occ, size_t n, double dt_h,
                           const double x0[KS_RESPONSE_NX], ks_response_states *out,
                           double x_end[KS_RESPONSE_NX], ks_error *err);

/* The occupancy of a schedule and arm on the grid of ks_response_withdrawal_drug (n points;
 * owned by w): for tests that check the drug state against one drive over the whole grid. */
const double *ks_response_withdrawal_occ(const ks_response_withdrawal *w, int schedule, int arm,
                                         size_t *n);

/* Both arms' drug states of a schedule (as ks_response_withdrawal_drug for each arm, in one
 * pass: the arms share everything up to the last dose before randomisation). D[a] allocated
 * (free() both), n[a] points. Errors as ks_response_withdrawal_drug. */
int ks_response_withdrawal_drug_both(const ks_response_withdrawal *w, const ks_response_params *p,
                                     int schedule, double *D[2], size_t n[2], ks_error *err);

/* SUSTAIN-1's relapse rule on a patient's assessments (ks_response_withdraw): the first
 * j with high[j] and high[j + 1] (MADRS >= 22 at both) whose times t_d[j], t_d[j + 1]
 * (days, ascending) are KS_WD_GAP_MIN_D to KS_WD_GAP_MAX_D apart; the relapse is dated
 * at j. -1 when there is none (the last assessment cannot start one). */
int ks_response_withdrawal_first_relapse(const int *high, const double *t_d, size_t n);

/* SUSTAIN-1's prediction (ks_response_withdraw's outputs) by a deterministic common-random-
 * number quadrature instead of virtual patients (docs/response-model.md, "SUSTAIN-1: a
 * prediction", "Toward fitting it: a quadrature"): m evaluations (even), m/2 nodes each with
 * its antithetic twin: z1 (sensitivity) at the midpoint quantiles (i + 1/2)/(m/2), the
 * path's start w_0 and the baseline's normal deviate at the R2 Kronecker points (plastic
 * number), the path only at the events (entry 27 d, the remission reads 84-105 d, the
 * maintenance checks) with exact OU transitions over the hourly-lattice gaps and the
 * innovations fixed Philox draws of the node (key WQ_SEED in withdrawal.c), and the stable
 * part z2 in closed form (every rule is a bound on z2: entry and remission lower bounds,
 * a relapse by check j an upper bound, the running maximum of the pairs' bounds). Fills
 * stable_share, stable_share_op, n_checks, check_d, cum_relapse, median_d,
 * share_by_exposure and horizon_d as ks_response_withdraw; n is m and the patient counts
 * (n_entrants, n_stable, relapsed) are 0 (not defined for a quadrature). The same bits for
 * any thread count (0: OpenMP's default). KS_EINVAL (schedule; m odd or outside 2..2^24;
 * bad parameters; omega_phi or omega_theta 0), KS_ENOMEM. */
int ks_response_withdraw_quad(const ks_response_withdrawal *w, const ks_response_params *p,
                              int schedule, int m, int threads, ks_response_withdrawal_result *out,
                              ks_error *err);
/* The same with the innovations' Philox key (ks_response_withdraw_quad: key 20261124): other
 * keys give independent replicates of the quadrature, to measure its own sampling error. */
int ks_response_withdraw_quad_key(const ks_response_withdrawal *w, const ks_response_params *p,
                                  int schedule, int m, uint64_t key, int threads,
                                  ks_response_withdrawal_result *out, ks_error *err);
/* The quadrature alone on given drug states D[KS_WD_ESK], D[KS_WD_PLACEBO] of the schedule
 * (ks_response_withdrawal_drug with p, nD[a] points each): the two drug-state integrations
 * dominate the cost of ks_response_withdraw_quad, and a caller that has them (or a cheaper
 * way to them) can time or reuse the rest. */
int ks_response_withdraw_quad_drug(const ks_response_params *p, int schedule,
                                   const double *const D[2], const size_t nD[2], int m,
                                   uint64_t key, int threads, ks_response_withdrawal_result *out,
                                   ks_error *err);

/* Helpers of the samplers (mcmc.c, smc.c). The worst diagnostics over the free
 * parameters: start with ks_response_worst_init, fold each parameter's R-hat and bulk/tail
 * ESS in, then ks_response_worst_converged with the number of chains (or islands). */
typedef struct ks_response_worst {
    double max_rhat, min_ess_bulk, min_ess_tail;
    int nan_seen; /* a free parameter that never moved: its diagnostics are NAN */
} ks_response_worst;
void ks_response_worst_init(ks_response_worst *w);
void ks_response_worst_fold(ks_response_worst *w, double rhat, double ess_bulk, double ess_tail);
/* Converged by the stated criteria (R-hat < KS_RESPONSE_MCMC_RHAT_MAX, both ESS >=
 * KS_RESPONSE_MCMC_ESS_PER_CHAIN per group); never when a parameter never moved. */
int ks_response_worst_converged(const ks_response_worst *w, int groups);
/* The largest R-hat to report: NAN when a parameter never moved. */
double ks_response_worst_rhat(const ks_response_worst *w);
/* qsort's comparison of doubles, ascending. */
int ks_response_cmp_double(const void *a, const void *b);
/* The q-quantile of sorted s[0..n), linear between order statistics (R's type 7). */
double ks_response_quantile7(const double *s, int n, double q);
/* Lower Cholesky factor of the k x k symmetric A (row-major) into L; with a growing
 * diagonal jitter when A is not positive definite to rounding. 0, or -1 when even that
 * fails. */
int ks_response_cholesky(const double *A, int k, double *L);

#endif
