/* Matrix exponential: scaling and squaring with Pade approximants (Higham 2005).
 * The coefficients and thresholds below are those of the published algorithm. */
#include "pk/expm.h"

#include <math.h>
#include <string.h>

/* theta_m: the largest 1-norm for which the degree-m Pade approximant is accurate
 * to double precision without scaling (Higham 2005, Table 2.3). */
static const double THETA3 = 1.495585217958292e-2;
static const double THETA5 = 2.539398330063230e-1;
static const double THETA7 = 9.504178996162932e-1;
static const double THETA9 = 2.097847961257068e0;
static const double THETA13 = 5.371920351148152e0;

static const double B3[] = {120., 60., 12., 1.};
static const double B5[] = {30240., 15120., 3360., 420., 30., 1.};
static const double B7[] = {17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.};
static const double B9[] = {17643225600., 8821612800., 2075673600., 302702400., 30270240.,
                            2162160.,     110880.,     3960.,       90.,        1.};
static const double B13[] = {64764752532480000.,
                             32382376266240000.,
                             7771770303897600.,
                             1187353796428800.,
                             129060195264000.,
                             10559470521600.,
                             670442572800.,
                             33522128640.,
                             1323241920.,
                             40840800.,
                             960960.,
                             16380.,
                             182.,
                             1.};

size_t ks_expm_work_size(size_t n)
{
    return 8 * n * n;
}

static double norm1(const double *A, size_t n)
{
    double best = 0.0;
    for (size_t j = 0; j < n; j++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += fabs(A[i * n + j]);
        if (s > best) best = s;
    }
    return best;
}

/* C = A B (row-major, n x n); C must not alias A or B. */
static void matmul(const double *A, const double *B, double *C, size_t n)
{
    memset(C, 0, n * n * sizeof *C);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < n; k++) {
            double a = A[i * n + k];
            if (a == 0.0) continue;
            const double *brow = B + k * n;
            double *crow = C + i * n;
            for (size_t j = 0; j < n; j++)
                crow[j] += a * brow[j];
        }
    }
}

/* U = A * sum_{k odd} b_k A^{k-1}, V = sum_{k even} b_k A^k for degree m <= 9,
 * given powers P[0]=I, P[1]=A^2, P[2]=A^4, ... */
static void pade_low(const double *A, size_t n, const double *b, int m, double **P, double *U,
                     double *V, double *tmp)
{
    size_t nn = n * n;
    memset(tmp, 0, nn * sizeof *tmp);
    memset(V, 0, nn * sizeof *V);
    for (int k = 0; k <= m; k += 2) {
        const double *Pk = P[k / 2];
        for (size_t i = 0; i < nn; i++) {
            tmp[i] += b[k + 1] * Pk[i];
            V[i] += b[k] * Pk[i];
        }
    }
    matmul(A, tmp, U, n);
}

/* Degree 13 with the published grouping that needs only A^2, A^4, A^6. */
static void pade13(const double *A, size_t n, double *A2, double *A4, double *A6, double *U,
                   double *V, double *tmp, double *tmp2)
{
    size_t nn = n * n;
    const double *b = B13;
    for (size_t i = 0; i < nn; i++)
        tmp[i] = b[13] * A6[i] + b[11] * A4[i] + b[9] * A2[i];
    matmul(A6, tmp, tmp2, n);
    for (size_t i = 0; i < nn; i++) {
        double id = (i % (n + 1) == 0) ? 1.0 : 0.0;
        tmp2[i] += b[7] * A6[i] + b[5] * A4[i] + b[3] * A2[i] + b[1] * id;
    }
    matmul(A, tmp2, U, n);
    for (size_t i = 0; i < nn; i++)
        tmp[i] = b[12] * A6[i] + b[10] * A4[i] + b[8] * A2[i];
    matmul(A6, tmp, V, n);
    for (size_t i = 0; i < nn; i++) {
        double id = (i % (n + 1) == 0) ? 1.0 : 0.0;
        V[i] += b[6] * A6[i] + b[4] * A4[i] + b[2] * A2[i] + b[0] * id;
    }
}

/* Solve (V - U) E = (V + U) for E by LU decomposition with partial pivoting, in
 * place. Written here rather than taken from GSL because GSL reports a singular
 * matrix through a process-wide error handler (abort by default), which a library
 * that must never abort, and will run on many threads, cannot switch off safely. */
static int pade_solve(const double *U, const double *V, size_t n, double *E, double *Q,
                      ks_error *err)
{
    size_t nn = n * n;
    for (size_t i = 0; i < nn; i++) {
        Q[i] = V[i] - U[i];
        E[i] = V[i] + U[i];
    }
    for (size_t k = 0; k < n; k++) {
        size_t p = k;
        for (size_t i = k + 1; i < n; i++)
            if (fabs(Q[i * n + k]) > fabs(Q[p * n + k])) p = i;
        if (!(fabs(Q[p * n + k]) > 0.0) || !isfinite(Q[p * n + k]))
            return ks_error_set(err, KS_ENUMERIC, "matrix exponential: singular Pade denominator");
        if (p != k) {
            for (size_t j = 0; j < n; j++) {
                double tq = Q[k * n + j], te = E[k * n + j];
                Q[k * n + j] = Q[p * n + j];
                Q[p * n + j] = tq;
                E[k * n + j] = E[p * n + j];
                E[p * n + j] = te;
            }
        }
        double piv = Q[k * n + k];
        for (size_t i = k + 1; i < n; i++) {
            double f = Q[i * n + k] / piv;
            if (f == 0.0) continue;
            for (size_t j = k + 1; j < n; j++) Q[i * n + j] -= f * Q[k * n + j];
            for (size_t j = 0; j < n; j++) E[i * n + j] -= f * E[k * n + j];
        }
    }
    for (size_t k = n; k-- > 0;) {
        double piv = Q[k * n + k];
        for (size_t j = 0; j < n; j++) {
            double acc = E[k * n + j];
            for (size_t q = k + 1; q < n; q++) acc -= Q[k * n + q] * E[q * n + j];
            E[k * n + j] = acc / piv;
        }
    }
    return KS_OK;
}

int ks_expm(const double *A, size_t n, double *E, double *work, ks_error *err)
{
    size_t nn = n * n;
    if (n == 0) return KS_OK;
    for (size_t i = 0; i < nn; i++)
        if (!isfinite(A[i]))
            return ks_error_set(err, KS_ENUMERIC, "matrix exponential: matrix is not finite");
    double *A2 = work, *A4 = work + nn, *A6 = work + 2 * nn, *U = work + 3 * nn, *V = work + 4 * nn,
           *tmp = work + 5 * nn, *tmp2 = work + 6 * nn, *As = work + 7 * nn;
    double nrm = norm1(A, n);
    matmul(A, A, A2, n);

    const double *thetas[] = {&THETA3, &THETA5, &THETA7, &THETA9};
    const double *coefs[] = {B3, B5, B7, B9};
    const int degrees[] = {3, 5, 7, 9};
    for (int d = 0; d < 4; d++) {
        if (nrm <= *thetas[d]) {
            int m = degrees[d];
            double *P[5] = {tmp2, A2, A4, A6, As};
            memset(tmp2, 0, nn * sizeof *tmp2);
            for (size_t i = 0; i < n; i++)
                tmp2[i * n + i] = 1.0;
            if (m >= 5) matmul(A2, A2, A4, n);
            if (m >= 7) matmul(A4, A2, A6, n);
            if (m >= 9) matmul(A6, A2, As, n);
            pade_low(A, n, coefs[d], m, P, U, V, E);
            return pade_solve(U, V, n, E, tmp, err);
        }
    }
    /* Degree 13 with scaling by 2^-s. */
    int s = 0;
    if (nrm > THETA13) s = (int)ceil(log2(nrm / THETA13));
    if (s > 1000) return ks_error_set(err, KS_ENUMERIC, "matrix exponential: norm too large");
    double scale = ldexp(1.0, -s);
    for (size_t i = 0; i < nn; i++)
        As[i] = A[i] * scale;
    matmul(As, As, A2, n);
    matmul(A2, A2, A4, n);
    matmul(A4, A2, A6, n);
    pade13(As, n, A2, A4, A6, U, V, tmp, tmp2);
    int rc = pade_solve(U, V, n, E, tmp, err);
    if (rc) return rc;
    for (int k = 0; k < s; k++) {
        matmul(E, E, tmp, n);
        memcpy(E, tmp, nn * sizeof *E);
    }
    return KS_OK;
}

size_t ks_expm_step_work_size(size_t n)
{
    size_t m = 2 * n;
    return 2 * m * m + ks_expm_work_size(m);
}

int ks_expm_step(const double *A, size_t n, double h, double *Phi, double *Gamma, double *work,
                 ks_error *err)
{
    size_t m = 2 * n;
    double *M = work, *E = work + m * m, *w = work + 2 * m * m;
    memset(M, 0, m * m * sizeof *M);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
            M[i * m + j] = A[i * n + j] * h;
        M[i * m + n + i] = h;
    }
    int rc = ks_expm(M, m, E, w, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            Phi[i * n + j] = E[i * m + j];
            Gamma[i * n + j] = E[i * m + n + j];
        }
    }
    return KS_OK;
}
