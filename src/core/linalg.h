/* Small dense linear algebra used across modules. */
#ifndef KS_CORE_LINALG_H
#define KS_CORE_LINALG_H

#include <stddef.h>

/* Cholesky factor of a symmetric positive definite n x n row-major matrix, in place:
 * on return the lower triangle holds L with A = L L^T and the strict upper triangle
 * is zero. Returns 0, or -1 when A is not positive definite (a pivot <= 0 or not
 * finite); A is then left partly overwritten. */
int ks_cholesky(double *a, size_t n);

/* Solve A x = b for a dense row-major n x n A by Gaussian elimination with partial
 * pivoting; A and b are overwritten (b becomes x). Returns 0, or -1 when A is singular
 * (a pivot below 1e-300 in magnitude, or not finite). */
int ks_solve(double *a, double *b, size_t n);

#endif
