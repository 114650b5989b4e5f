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

#endif
