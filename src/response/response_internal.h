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

/* SUSTAIN-1's relapse rule on a patient's assessments (ks_response_withdraw): the first
 * j with high[j] and high[j + 1] (MADRS >= 22 at both) whose times t_d[j], t_d[j + 1]
 * (days, ascending) are KS_WD_GAP_MIN_D to KS_WD_GAP_MAX_D apart; the relapse is dated
 * at j. -1 when there is none (the last assessment cannot start one). */
int ks_response_withdrawal_first_relapse(const int *high, const double *t_d, size_t n);

#endif
