/* Internals of the PD module shared by pd.c and fit.c. */
#ifndef KS_PD_INTERNAL_H
#define KS_PD_INTERNAL_H

#include "ketsim/pd.h"

enum {
    P_T_HALF_KE0 = 0,
    P_KI_S_KET,
    P_KI_R_KET,
    P_KI_S_NK,
    P_KI_R_NK,
    P_MW_KET,
    P_MW_NK,
    P_FU_KET,
    P_FU_ESK,
    P_FU_NK,
    P_KPUU,
    P_KPUU_NK_REL,
    P_S_FRACTION,
    P_CADSS_SLOPE,
    P_CADSS_OMEGA,
    P_CADSS_THALF_TOL,
    P_PSY_SLOPE,
    P_SED_SLOPE,
    P_SED_OMEGA,
    P_SBP_SLOPE,
    P_DBP_SLOPE,
    P_HR_SLOPE,
    KS_PD_N_PARAMS
};

typedef struct pd_param {
    int set;
    double value;
    char *source, *verification, *note;
    char *est_from, *est_command, *est_fit;
} pd_param;

struct ks_pd {
    pd_param p[KS_PD_N_PARAMS];
    size_t n_cit;
    char **cit_key, **cit_text;
};

#define V(pd, i) ((pd)->p[(i)].value)

#endif
