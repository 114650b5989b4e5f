/* ketsim bench: the SUSTAIN-1 quadrature (ks_response_withdraw_quad, internal) against the
 * virtual patients of ks_response_withdraw. Per parameter set and schedule:
 *   - accuracy: each output of the quadrature at M evaluations minus the virtual patients'
 *     (N patients), in units of the combined SE sqrt(SE_vp^2 + SE_q^2): SE_vp binomial
 *     (stable_share over N, stable_share_op over the entrants, cum_relapse over the stable
 *     remitters), SE_q the SD over K other Philox keys of the quadrature at that M;
 *   - time per evaluation (the whole call, drug states included, and the drug states
 *     alone) for 1 and 2 threads.
 * usage: bench_withdraw_quad ROOT N K   (bench/withdraw_quad/run.sh) */
#include "ketsim/ketsim.h"
#include "ketsim/response.h"
#include "response/response_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define NQ 5
static const int MS[NQ] = {1024, 2048, 4096, 8192, 16384};

/* The outputs compared, flattened: stable_share, stable_share_op, share_by_exposure per arm,
 * then cum_relapse per arm and check. */
static size_t flat(const ks_response_withdrawal_result *r, double *x)
{
    size_t k = 0;
    x[k++] = r->stable_share;
    x[k++] = r->stable_share_op;
    x[k++] = r->share_by_exposure[0];
    x[k++] = r->share_by_exposure[1];
    for (int a = 0; a < 2; a++)
        for (size_t j = 0; j < r->n_checks; j++)
            x[k++] = r->cum_relapse[a][j];
    return k;
}

static void vp_se(const ks_response_withdrawal_result *r, double *se)
{
    size_t k = 0;
    double p = r->stable_share;
    se[k++] = sqrt(p * (1 - p) / r->n);
    p = r->stable_share_op;
    se[k++] = sqrt(p * (1 - p) / r->n_entrants);
    for (int a = 0; a < 2; a++) {
        p = r->share_by_exposure[a];
        se[k++] = sqrt(p * (1 - p) / r->n_stable);
    }
    for (int a = 0; a < 2; a++)
        for (size_t j = 0; j < r->n_checks; j++) {
            p = r->cum_relapse[a][j];
            se[k++] = sqrt(p * (1 - p) / r->n_stable);
        }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_withdraw_quad ROOT N K\n");
        return 2;
    }
    char path[4096];
    ks_error err = {0};
    ks_model *esk = NULL;
    ks_pd *pd = NULL;
    ks_response_params p0;
    ks_response_withdrawal *w = NULL;
    uint64_t N = strtoull(argv[2], NULL, 10);
    int K = atoi(argv[3]);
    if (K < 2 || K > 32) {
        fprintf(stderr, "bench_withdraw_quad: K %d is not 2..32\n", K);
        return 2;
    }
    snprintf(path, sizeof path, "%s/models/esketamine/perez-ruixo-2021.json", argv[1]);
    if (ks_model_load(path, &esk, &err)) goto fail;
    snprintf(path, sizeof path, "%s/data/pd-acute.json", argv[1]);
    if (ks_pd_load(path, &pd, &err)) goto fail;
    snprintf(path, sizeof path, "%s/data/response-params.json", argv[1]);
    if (ks_response_params_load(path, &p0, &err)) goto fail;
    if (ks_response_withdrawal_create(esk, pd, &w, &err)) goto fail;
    ks_response_params sets[2] = {p0, p0};
    sets[1].v[KS_RP_FLUCT] = 0.5;
    sets[1].v[KS_RP_T_FLUCT_D] = 14;
    const char *names[2] = {"shipped", "f0.5-tau14"};
    static double x_vp[2 + 2 + 2 * KS_WD_MAX_CHECKS], se_v[2 + 2 + 2 * KS_WD_MAX_CHECKS],
        xq[32][2 + 2 + 2 * KS_WD_MAX_CHECKS], x0[2 + 2 + 2 * KS_WD_MAX_CHECKS];
    printf("set schedule M | stable_share stable_op sbe_esk sbe_pbo (z) | cum: max|z| rms z | "
           "median esk/pbo d (vp / quad) | SE_q (stable_share, sbe_pbo, max over cum) | quadrature "
           "ms/eval given "
           "D, 1 thr, 2 thr | whole call ms (drug states incl., 2 thr)\n");
    for (int si = 0; si < 2; si++)
        for (int sch = 0; sch < 2; sch++) {
            ks_response_withdrawal_result vp, q;
            double t0 = now();
            if (ks_response_withdraw(w, &sets[si], sch, N, 20261122, 2, &vp, &err)) goto fail;
            double t_vp = now() - t0;
            size_t nx = flat(&vp, x_vp);
            ks_response_params pz = sets[si];
            pz.first_visit_h = pz.last_visit_h = 0; /* as ks_response_withdraw */
            double *Dv[2] = {NULL, NULL};
            size_t nDc[2];
            double t_drug = now();
            for (int a = 0; a < 2; a++)
                if (ks_response_withdrawal_drug(w, &pz, sch, a, &Dv[a], &nDc[a], &err)) goto fail;
            t_drug = 1e3 * (now() - t_drug);
            const double *Dc[2] = {Dv[0], Dv[1]};
            vp_se(&vp, se_v);
            for (int mi = 0; mi < NQ; mi++) {
                int M = MS[mi];
                /* the quadrature's own SE: K keys (key 1..K), then the shipped key timed */
                for (int k = 0; k < K; k++) {
                    if (ks_response_withdraw_quad_key(w, &sets[si], sch, M, 1000 + k, 2, &q, &err))
                        goto fail;
                    flat(&q, xq[k]);
                }
                double tt[2];
                for (int th = 1; th <= 2; th++) {
                    int reps = 10;
                    t0 = now();
                    for (int r = 0; r < reps; r++)
                        if (ks_response_withdraw_quad_drug(&sets[si], sch, Dc, nDc, M, 20261124, th,
                                                           &q, &err))
                            goto fail;
                    tt[th - 1] = 1e3 * (now() - t0) / reps;
                }
                t0 = now();
                if (ks_response_withdraw_quad(w, &sets[si], sch, M, 2, &q, &err)) goto fail;
                double t_all = 1e3 * (now() - t0);
                flat(&q, x0);
                double z[2 + 2 + 2 * KS_WD_MAX_CHECKS] = {0}, seq[2] = {0, 0}, seq_c = 0;
                double zmax = 0, zss = 0;
                size_t nz = 0;
                for (size_t i = 0; i < nx; i++) {
                    double m = 0, v = 0;
                    for (int k = 0; k < K; k++)
                        m += xq[k][i] / K;
                    for (int k = 0; k < K; k++)
                        v += (xq[k][i] - m) * (xq[k][i] - m) / (K - 1);
                    double se = sqrt(se_v[i] * se_v[i] + v);
                    z[i] = se > 0 ? (x0[i] - x_vp[i]) / se : (x0[i] == x_vp[i] ? 0 : INFINITY);
                    if (i == 0) seq[0] = sqrt(v);
                    if (i == 3) seq[1] = sqrt(v);
                    if (i >= 4) seq_c = fmax(seq_c, sqrt(v));
                    if (i >= 4 && se > 0) {
                        zmax = fmax(zmax, fabs(z[i]));
                        zss += z[i] * z[i];
                        nz++;
                    }
                }
                printf("%s %s %d | %+.2f %+.2f %+.2f %+.2f | %.2f %.2f | %g/%g vs %g/%g | %.4f "
                       "%.4f %.4f | %.2f %.2f | %.0f\n",
                       names[si], sch ? "biweekly" : "weekly", M, z[0], z[1], z[2], z[3], zmax,
                       nz ? sqrt(zss / nz) : 0.0, vp.median_d[0], vp.median_d[1], q.median_d[0],
                       q.median_d[1], seq[0], seq[1], seq_c, tt[0], tt[1], t_all);
            }
            printf("  virtual patients: N %llu, entrants %llu, stable %llu; stable_share %.5f "
                   "op %.5f, sbe esk %.5f pbo %.5f (SE %.5f %.5f %.5f %.5f); quad M %d: %.5f %.5f "
                   "%.5f %.5f; %.1f s "
                   "(2 threads)\n",
                   (unsigned long long)N, (unsigned long long)vp.n_entrants,
                   (unsigned long long)vp.n_stable, vp.stable_share, vp.stable_share_op,
                   vp.share_by_exposure[0], vp.share_by_exposure[1], se_v[0], se_v[1], se_v[2],
                   se_v[3], MS[NQ - 1], q.stable_share, q.stable_share_op, q.share_by_exposure[0],
                   q.share_by_exposure[1], t_vp);
            printf("  drug states of both arms (ks_response_withdrawal_drug x 2): %.0f ms\n",
                   t_drug);
            free(Dv[0]);
            free(Dv[1]);
            fflush(stdout);
        }
    {
        /* smoothness: the quadrature (M 4096, fixed key) along t_fluct_d of the shipped set,
         * relative steps of 1e-3 (the drug state does not depend on it) */
        ks_response_params pz = p0;
        pz.first_visit_h = pz.last_visit_h = 0;
        double *Dv[2] = {NULL, NULL};
        size_t nDc[2];
        for (int a = 0; a < 2; a++)
            if (ks_response_withdrawal_drug(w, &pz, KS_WD_WEEKLY, a, &Dv[a], &nDc[a], &err))
                goto fail;
        const double *Dc[2] = {Dv[0], Dv[1]};
        printf("smoothness (shipped, weekly, M 4096): t_fluct_d, stable_share, sbe_esk, "
               "sbe_pbo\n");
        for (int k = -3; k <= 3; k++) {
            ks_response_params ps = p0;
            ps.v[KS_RP_T_FLUCT_D] *= 1 + 1e-3 * k;
            ks_response_withdrawal_result q;
            if (ks_response_withdraw_quad_drug(&ps, KS_WD_WEEKLY, Dc, nDc, 4096, 20261124, 2, &q,
                                               &err))
                goto fail;
            printf("  %.5f %.6f %.6f %.6f\n", ps.v[KS_RP_T_FLUCT_D], q.stable_share,
                   q.share_by_exposure[0], q.share_by_exposure[1]);
        }
        free(Dv[0]);
        free(Dv[1]);
    }
    ks_response_withdrawal_free(w);
    ks_pd_free(pd);
    ks_model_free(esk);
    return 0;
fail:
    fprintf(stderr, "bench_withdraw_quad: %s\n", err.msg);
    return 1;
}
