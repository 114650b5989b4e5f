/* Matrix exponential by scaling and squaring with Pade approximants
 * (Higham NJ, "The scaling and squaring method for the matrix exponential
 * revisited", SIAM J Matrix Anal Appl 2005;26(4):1179-1193, doi:10.1137/04061101X):
 * degree 3, 5, 7, 9 or 13 chosen from the 1-norm, no division by eigenvalue
 * differences, so coincident eigenvalues are handled like any others. */
#ifndef KS_PK_EXPM_H
#define KS_PK_EXPM_H

#include <stddef.h>
#include "ketsim/error.h"

/* E = exp(A) for a dense row-major n x n matrix. `work` must hold
 * ks_expm_work_size(n) doubles. Returns KS_ENUMERIC if A is not finite or the
 * Pade denominator is singular. */
size_t ks_expm_work_size(size_t n);
int ks_expm(const double *A, size_t n, double *E, double *work, ks_error *err);

/* Phi = exp(A h) and Gamma = integral_0^h exp(A s) ds, from the exponential of the
 * block matrix [[A h, I h], [0, 0]] (Van Loan 1978). `work` must hold
 * ks_expm_step_work_size(n) doubles. */
size_t ks_expm_step_work_size(size_t n);
int ks_expm_step(const double *A, size_t n, double h, double *Phi, double *Gamma, double *work,
                 ks_error *err);

#endif
