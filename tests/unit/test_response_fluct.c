/* Within-patient fluctuation of the non-drug component (fluct_share f, t_fluct_d tau):
 * - the path (ks_response_path): the documented Philox layout, the hourly lattice, the
 *   marginal N(0, 1) and the lag correlation exp(-lag/tau) over many patients,
 *   determinism, a restart when asked for an earlier time, no draws with f = 0;
 * - ks_response_survival (survival_fluct) and ks_response_survival_rule
 *   (survival_rule_fluct) against brute-force virtual patients drawn with the path API
 *   (daily checks), for f 0.5 and 0.95 and tau 10 and 50 d;
 * - f -> 0: f = 1e-9 against the quadrature without fluctuation;
 * - the stable part of ks_response_patient, bit for bit the old draw with f = 0;
 * - the loader: a file without both parameters is the model without fluctuation, one
 *   with only one of them is refused naming the missing one; the shipped file and its
 *   uncertainty sets load with fluct_share 0. */
#include "ks_test.h"
#include "ketsim/response.h"
#include "ketsim/trial.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DT (1.0 / 12.0)
#define DAYS 30
#define NG (DAYS * 24 * 12 + 1)

static ks_response_params params(double f, double tau_d)
{
    ks_response_params p;
    ks_response_params_start(&p);
    p.v[KS_RP_T_DELAY_H] = 20, p.v[KS_RP_T_SPINE_D] = 3, p.v[KS_RP_W_FAST] = 0.7;
    p.v[KS_RP_THETA] = 1.2, p.v[KS_RP_OMEGA_THETA] = 0.5, p.v[KS_RP_OMEGA_PHI] = 1.2;
    p.v[KS_RP_PHI_ACTIVE] = 0.45, p.v[KS_RP_T_NONDRUG_D] = 20;
    p.v[KS_RP_FLUCT] = f, p.v[KS_RP_T_FLUCT_D] = tau_d;
    p.first_visit_h = p.last_visit_h = 0;
    return p;
}

/* A 40-minute infusion-like occupancy pulse at 0, then the drug state over DAYS days. */
static double *drive(const ks_response_params *p)
{
    return ks_test_pulse_drive(p, NG, DT);
}

/* ---------------------------------------------------------------- the path */

static void test_path(void **state)
{
    (void)state;
    const double tau_d = 10, tau_h = 240;
    ks_response_params p = params(0.5, tau_d);
    ks_response_path a, b;
    /* the documented layout: w_0 = number 0 (index 2, component 0), w_1 = a w_0 + b e_1
     * (index 2, component 1), e_2 at index 3 component 0 */
    double z2[2], z3[2], al = exp(-1.0 / tau_h), be = sqrt(1 - al * al);
    ks_rng_normal2(5, 3, 17, KS_RNG_RESPONSE, 2, z2);
    ks_rng_normal2(5, 3, 17, KS_RNG_RESPONSE, 3, z3);
    ks_response_path_init(&a, &p, 5, 3, 17);
    assert_true(ks_response_path_w(&a, 0) == z2[0]);
    assert_true(ks_response_path_w(&a, 0.99) == z2[0]); /* constant within the hour */
    double w1 = al * z2[0] + be * z2[1], w2 = al * w1 + be * z3[0];
    assert_true(ks_response_path_w(&a, 1.0) == w1);
    assert_true(ks_response_path_w(&a, 2.5) == w2);
    /* the factor: exp(omega_phi sqrt(f) w) */
    assert_true(ks_response_path_factor(&a, 2.5) == exp(1.2 * sqrt(0.5) * w2));
    /* a time within 1e-9 h below a whole hour (grid rounding) is that hour */
    assert_true(ks_response_path_w(&a, 2.0 - 1e-12) == w2);
    /* determinism and restart: a later time then an earlier one gives what a fresh state
     * gives */
    double late = ks_response_path_w(&a, 500.2);
    ks_response_path_init(&b, &p, 5, 3, 17);
    assert_true(ks_response_path_w(&b, 500) == late);
    assert_true(ks_response_path_w(&a, 1.5) == w1); /* back in time */
    assert_true(ks_response_path_w(&a, 500.9) == late);
    /* another patient or replicate: another path */
    ks_response_path_init(&b, &p, 5, 3, 18);
    assert_true(ks_response_path_w(&b, 500) != late);
    ks_response_path_init(&b, &p, 5, 4, 17);
    assert_true(ks_response_path_w(&b, 500) != late);
    /* refused times */
    assert_true(isnan(ks_response_path_w(&a, -1)));
    assert_true(isnan(ks_response_path_factor(&a, KS_RESPONSE_PATH_MAX_H)));
    assert_true(isnan(ks_response_path_w(&a, NAN)));
    /* without fluctuation: no path, w 0 and the factor exactly 1, no draws */
    ks_response_params p0 = params(0, tau_d);
    ks_response_path_init(&b, &p0, 5, 3, 17);
    assert_true(ks_response_path_w(&b, 100) == 0 && ks_response_path_factor(&b, 100) == 1.0);
    assert_true(b.hour == -1 && b.pidx == 0);

    /* Over N patients: mean 0 and variance 1 at each time (4 SE: 4/sqrt(N) and
     * 4 sqrt(2/N)), correlations exp(-lag/tau) (4 SE, (1 - rho^2)/sqrt(N)). A per-day
     * instead of per-hour transition, or a missing sqrt(1 - a^2), fails these. */
    enum { N = 20000, NT = 4 };
    const double t[NT] = {0, 240.5, 252, 988}; /* lags 240 h (rho e^-1), 12 h, 988 h */
    double s1[NT] = {0}, s2[NT] = {0}, c01 = 0, c12 = 0, c03 = 0;
    for (uint64_t i = 0; i < N; i++) {
        double w[NT];
        ks_response_path_init(&a, &p, 9, 0, i);
        for (int j = 0; j < NT; j++) {
            w[j] = ks_response_path_w(&a, t[j]);
            s1[j] += w[j], s2[j] += w[j] * w[j];
        }
        c01 += w[0] * w[1], c12 += w[1] * w[2], c03 += w[0] * w[3];
    }
    for (int j = 0; j < NT; j++) {
        double m = s1[j] / N, v = s2[j] / N - m * m;
        KS_ASSERT_CLOSE(m, 0, 0, 4 / sqrt(N));
        KS_ASSERT_CLOSE(v, 1, 0, 4 * sqrt(2.0 / N));
    }
    /* sample correlation coefficients (SE (1 - rho^2)/sqrt(N)) */
    const int pa[3] = {0, 1, 0}, pb[3] = {1, 2, 3};
    const double lag[3] = {240, 12, 988}, cr[3] = {c01, c12, c03};
    for (int j = 0; j < 3; j++) {
        double ma = s1[pa[j]] / N, mb = s1[pb[j]] / N;
        double r =
            (cr[j] / N - ma * mb) / sqrt((s2[pa[j]] / N - ma * ma) * (s2[pb[j]] / N - mb * mb));
        double rho = exp(-lag[j] / tau_h);
        KS_ASSERT_CLOSE(r, rho, 0, 4 * (1 - rho * rho) / sqrt(N) + 4.0 / N);
    }
}

/* The stable part: with f = 0 the old draw exp(omega_phi z2) bit for bit; with f > 0
 * exp(omega_phi sqrt(1 - f) z2). */
static void test_stable_part(void **state)
{
    (void)state;
    double z[2], th, ph;
    ks_rng_normal2(3, 2, 11, KS_RNG_RESPONSE, 0, z);
    ks_response_params p = params(0, 10);
    ks_response_patient_rep(&p, KS_CTX_ACTIVE, 3, 2, 11, &th, &ph);
    assert_true(ph == exp(p.v[KS_RP_OMEGA_PHI] * z[1]));
    assert_true(th == p.v[KS_RP_THETA] * exp(p.v[KS_RP_OMEGA_THETA] * z[0]));
    p = params(0.36, 10);
    ks_response_patient_rep(&p, KS_CTX_ACTIVE, 3, 2, 11, &th, &ph);
    KS_ASSERT_CLOSE(ph, exp(p.v[KS_RP_OMEGA_PHI] * 0.8 * z[1]), 1e-15, 0);
}

/* ---------------------------------------------------------------- survival */

typedef struct bf {
    double cohort, surv[DAYS];    /* brute force: share responding at k0, then surviving */
    double se[DAYS];              /* its binomial SE */
    double rb[DAYS], se_rb[DAYS]; /* zb in closed form over the same patients (ratio) */
    double se_q[DAYS];            /* the SE of a 4096-draw quadrature with that integrand */
} bf;

/* The zb deviate above which a patient (th, w) responds at grid point k (thr). */
static double c_of(const ks_response_params *p, const double *D, size_t k, double th, double w,
                   double thr)
{
    double f = p->v[KS_RP_FLUCT], om = p->v[KS_RP_OMEGA_PHI];
    double g = ks_response_nondrug(p, KS_CTX_ACTIVE, (double)k * DT);
    double a = thr - th * D[k];
    if (a <= 0) return -HUGE_VAL;
    if (g <= 0) return HUGE_VAL;
    return (log(a / g) - om * sqrt(f) * w) / (om * sqrt(1 - f));
}

/* Ratio estimators sum(s)/sum(c) with the delta-method SE for m draws. */
static void ratio_se(double sc, double sc2, double ss, double ss2, double scs, double n, double m,
                     double *r, double *se)
{
    double mc = sc / n, R = ss / sc;
    double var = (ss2 - 2 * R * scs + R * R * sc2) / n - (ss / n - R * mc) * (ss / n - R * mc);
    *r = R;
    *se = sqrt(var > 0 ? var : 0) / (mc * sqrt(m));
}

/* A virtual patient's log-score reduction at grid point k: its stable non-drug part times
 * its path factor, plus the drug part; *w gets the path's w there. */
static double reduction(const ks_response_params *p, const double *D, ks_response_path *path,
                        double th, double ph, size_t k, double *w)
{
    double t = (double)k * DT;
    *w = ks_response_path_w(path, t);
    return ph * ks_response_path_factor(path, t) * ks_response_nondrug(p, KS_CTX_ACTIVE, t) +
           th * D[k];
}

/* n virtual patients (seed 77): the cohort responds (reduction >= thr_resp) at any of
 * k_resp; relapse at check j when the reduction is below thr_keep there (and at j + 1 with
 * consecutive 2). Every patient's score from ks_response_patient and the path factor. */
static void brute(const ks_response_params *p, const double *D, const size_t *kr, int nr,
                  double thr_resp, const size_t *kc, int nc, double thr_keep, int consecutive,
                  uint64_t n, bf *o)
{
    memset(o, 0, sizeof *o);
    double ncoh = 0, alive[DAYS] = {0};
    double sc = 0, sc2 = 0, ss[DAYS] = {0}, ss2[DAYS] = {0}, scs[DAYS] = {0};
    for (uint64_t i = 0; i < n; i++) {
        double th, ph;
        ks_response_patient(p, KS_CTX_ACTIVE, 77, i, &th, &ph);
        ks_response_path path;
        ks_response_path_init(&path, p, 77, 0, i);
        double wr[8], wc[DAYS + 1];
        int in = 0;
        for (int r = 0; r < nr; r++)
            in |= reduction(p, D, &path, th, ph, kr[r], &wr[r]) >= thr_resp;
        int below[DAYS + 1];
        for (int j = 0; j < nc; j++)
            below[j] = reduction(p, D, &path, th, ph, kc[j], &wc[j]) < thr_keep;
        if (in) {
            ncoh++;
            int gone = 0;
            for (int j = 0; j < nc; j++) {
                gone |= consecutive == 1 ? below[j] : (j + 1 < nc && below[j] && below[j + 1]);
                alive[j] += !gone;
            }
        }
        /* the same patient's (th, path) with zb integrated in closed form */
        double zc = HUGE_VAL;
        for (int r = 0; r < nr; r++)
            zc = fmin(zc, c_of(p, D, kr[r], th, wr[r], thr_resp));
        double c = 0.5 * erfc(zc / sqrt(2.0)), zm = zc;
        sc += c, sc2 += c * c;
        for (int j = 0; j < nc; j++) {
            double zr = c_of(p, D, kc[j], th, wc[j], thr_keep);
            if (consecutive == 2)
                zr = j + 1 < nc ? fmin(zr, c_of(p, D, kc[j + 1], th, wc[j + 1], thr_keep))
                                : -HUGE_VAL;
            zm = fmax(zm, zr);
            double s = 0.5 * erfc(zm / sqrt(2.0));
            ss[j] += s, ss2[j] += s * s, scs[j] += s * c;
        }
    }
    o->cohort = ncoh / (double)n;
    for (int j = 0; j < nc; j++) {
        o->surv[j] = alive[j] / ncoh;
        o->se[j] = sqrt(o->surv[j] * (1 - o->surv[j]) / ncoh);
        double r;
        ratio_se(sc, sc2, ss[j], ss2[j], scs[j], (double)n, (double)n, &r, &o->se_rb[j]);
        o->rb[j] = r;
        ratio_se(sc, sc2, ss[j], ss2[j], scs[j], (double)n, KS_RESPONSE_FLUCT_M, &r, &o->se_q[j]);
    }
}

/* ks_response_survival (loss of response, checks daily from day 1 to day DAYS - 1) and
 * ks_response_survival_rule (Ibrahim 2012's rule: cohort >= 50 % at 40, 80, 120, 230 min,
 * relapse < 25 % improvement on two consecutive daily ratings) against 100 000 virtual
 * patients per case. Tolerance 4 combined SE: the brute force's binomial SE and the
 * quadrature's own Monte Carlo SE (4096 draws of the integrand, estimated from the same
 * virtual patients with zb in closed form, as if independent: antithetic pairs do not
 * raise the variance of these monotone integrands). Also against those 100 000
 * patients with zb in closed form (4 SE of both). */
static void test_survival_vs_patients(void **state)
{
    (void)state;
    const double f_[4] = {0.5, 0.95, 0.5, 0.95}, tau_[4] = {10, 10, 50, 50};
    const double ln2 = log(2.0), keep25 = -log(0.75);
    for (int c = 0; c < 4; c++) {
        ks_response_params p = params(f_[c], tau_[c]);
        double *D = drive(&p);
        /* loss of response among the day-1 responders */
        size_t k0 = 24 * 12, kc[DAYS];
        int nc = DAYS - 1;
        for (int j = 0; j < nc; j++)
            kc[j] = (size_t)(24 * 12 * (j + 2));
        double sv[DAYS], sv0[DAYS];
        assert_int_equal(ks_response_survival(&p, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 24 * 12, sv),
                         KS_OK);
        assert_true(sv[0] == 1.0);
        bf o;
        brute(&p, D, &k0, 1, ln2, kc, nc, ln2, 1, 100000, &o);
        double worst = 0;
        for (int j = 0; j < nc; j++) {
            double tol = 4 * sqrt(o.se[j] * o.se[j] + o.se_q[j] * o.se_q[j]);
            KS_ASSERT_CLOSE(sv[j + 1], o.surv[j], 0, tol);
            KS_ASSERT_CLOSE(sv[j + 1], o.rb[j], 0,
                            4 * sqrt(o.se_rb[j] * o.se_rb[j] + o.se_q[j] * o.se_q[j]));
            worst = fmax(worst, fabs(sv[j + 1] - o.surv[j]) / tol);
        }
        /* the fluctuation matters here: without it the day-29 survival is far off */
        ks_response_params p0 = p;
        p0.v[KS_RP_FLUCT] = 0;
        assert_int_equal(ks_response_survival(&p0, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 24 * 12, sv0),
                         KS_OK);
        double tol_end = 4 * sqrt(o.se[nc - 1] * o.se[nc - 1] + o.se_q[nc - 1] * o.se_q[nc - 1]);
        assert_true(fabs(sv0[nc] - o.surv[nc - 1]) > 3 * tol_end);
        printf("  f %.2f tau %2.0f d: responders %.3f, day 29 surv %.4f (patients %.4f, SE "
               "%.4f, quadrature SE %.4f; no fluctuation %.4f); largest |diff|/tol %.2f\n",
               f_[c], tau_[c], o.cohort, sv[nc], o.surv[nc - 1], o.se[nc - 1], o.se_q[nc - 1],
               sv0[nc], worst);
        /* Ibrahim's rule */
        const size_t kr[4] = {8, 16, 24, 46};
        size_t kd[28];
        for (int j = 0; j < 28; j++)
            kd[j] = (size_t)(24 * 12 * (j + 1));
        assert_int_equal(
            ks_response_survival_rule(&p, KS_CTX_ACTIVE, D, DT, kr, 4, ln2, kd, 28, keep25, 2, sv),
            KS_OK);
        brute(&p, D, kr, 4, ln2, kd, 28, keep25, 2, 100000, &o);
        for (int j = 0; j < 28; j++) {
            KS_ASSERT_CLOSE(sv[j], o.surv[j], 0,
                            4 * sqrt(o.se[j] * o.se[j] + o.se_q[j] * o.se_q[j]));
            KS_ASSERT_CLOSE(sv[j], o.rb[j], 0,
                            4 * sqrt(o.se_rb[j] * o.se_rb[j] + o.se_q[j] * o.se_q[j]));
        }
        printf("  rule: day 28 not relapsed %.4f (patients %.4f, SE %.4f, quadrature SE %.4f)\n",
               sv[27], o.surv[27], o.se[27], o.se_q[27]);
        free(D);
    }
}

/* Checks off the whole hours with a fast fluctuation (correlation time 6 h): the cohort at
 * 24 h 55 min, then checks at 5 and 55 minutes past each hour (ks_response_survival_rule,
 * loss of response). On the virtual patients' hourly lattice (w constant within each
 * hour) the check at :55 sees the same w as the one at :05 before it; a quadrature that
 * used the clock gaps (10 and 50 min) would give each check a new w and lose more. */
static void test_off_hour_checks(void **state)
{
    (void)state;
    ks_response_params p = params(0.9, 0.25);
    double *D = drive(&p);
    enum { NC = 24 };
    size_t k0 = 24 * 12 + 11, kc[NC]; /* 24 h 55 min; the grid is 5 min */
    for (int j = 0; j < NC; j++)
        kc[j] = (size_t)(12 * (25 + j / 2) + (j % 2 ? 11 : 1)); /* :05, :55, :05, ... */
    double sv[NC];
    assert_int_equal(ks_response_survival_rule(&p, KS_CTX_ACTIVE, D, DT, &k0, 1, log(2.0), kc, NC,
                                               log(2.0), 1, sv),
                     KS_OK);
    bf o;
    brute(&p, D, &k0, 1, log(2.0), kc, NC, log(2.0), 1, 100000, &o);
    double worst = 0;
    for (int j = 0; j < NC; j++) {
        double tol = 4 * sqrt(o.se_rb[j] * o.se_rb[j] + o.se_q[j] * o.se_q[j]);
        KS_ASSERT_CLOSE(sv[j], o.rb[j], 0, tol);
        worst = fmax(worst, fabs(sv[j] - o.rb[j]) / tol);
    }
    printf("  off-hour checks, tau 6 h: not relapsed after 12 h %.4f (patients %.4f); largest "
           "|diff|/tol %.2f\n",
           sv[NC - 1], o.rb[NC - 1], worst);
    free(D);
}

/* f -> 0: with f = 1e-9 the fluctuation quadrature (Monte Carlo over z1 with 4096 draws)
 * agrees with the one without fluctuation (Simpson over z1) within 1e-4 on the survival
 * curve; f = 0 takes the quadrature without fluctuation itself (identical bits). */
static void test_f_to_zero(void **state)
{
    (void)state;
    ks_response_params p = params(1e-9, 10), p0 = params(0, 10);
    double *D = drive(&p0);
    size_t k0 = 24 * 12;
    double s1[DAYS], s0[DAYS], s00[DAYS];
    assert_int_equal(ks_response_survival(&p, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 288, s1), KS_OK);
    assert_int_equal(ks_response_survival(&p0, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 288, s0), KS_OK);
    double worst = 0;
    for (int j = 0; j < DAYS; j++)
        worst = fmax(worst, fabs(s1[j] - s0[j]));
    printf("  f 1e-9 against f 0: largest survival difference %.2g\n", worst);
    assert_true(worst < 1e-4);
    /* t_fluct_d does not enter with f = 0 */
    p0.v[KS_RP_T_FLUCT_D] = 300;
    assert_int_equal(ks_response_survival(&p0, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 288, s00), KS_OK);
    assert_memory_equal(s0, s00, sizeof s0);
    /* the sustained share (daily checks) is the curve's last point */
    double ps = ks_response_p_sustained(&p0, KS_CTX_ACTIVE, D, k0, NG - 1, DT);
    assert_true(ps == s0[DAYS - 1]);
    /* with fluctuation too: daily checks, not hourly (which lose more responders) */
    ks_response_params pf = params(0.5, 10);
    double sf[DAYS], *sh = malloc((size_t)(24 * (DAYS - 1) + 1) * sizeof *sh);
    assert_non_null(sh);
    assert_int_equal(ks_response_survival(&pf, KS_CTX_ACTIVE, D, k0, NG - 1, DT, 288, sf), KS_OK);
    assert_int_equal(
        ks_response_survival(&pf, KS_CTX_ACTIVE, D, k0, k0 + (size_t)(DAYS - 1) * 288, DT, 12, sh),
        KS_OK);
    ps = ks_response_p_sustained(&pf, KS_CTX_ACTIVE, D, k0, NG - 1, DT);
    printf("  f 0.5: sustained to the end %.4f (daily), hourly %.4f\n", ps, sh[24 * (DAYS - 1)]);
    assert_true(ps == sf[DAYS - 1]);
    assert_true(sh[24 * (DAYS - 1)] < ps - 0.01);
    free(sh);
    /* the rule's cohort times must be ascending (the path runs through them in order) */
    const size_t kr[2] = {12, 6}, kc[2] = {288, 576};
    double sv2[2];
    assert_int_equal(ks_response_survival_rule(&pf, KS_CTX_ACTIVE, D, DT, kr, 2, log(2.0), kc, 2,
                                               -log(0.75), 2, sv2),
                     KS_EINVAL);
    free(D);
}

/* ---------------------------------------------------------------- loader */

static char *tmp_copy(json_t *root)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/ks_fluct_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(json_dump_file(root, path, JSON_INDENT(1)), 0);
    return path;
}

static void test_loader(void **state)
{
    (void)state;
    const char *shipped = ks_test_path("data/response-params.json");
    json_t *root = json_load_file(shipped, 0, NULL);
    assert_non_null(root);
    json_t *pars = json_object_get(root, "parameters");
    ks_response_params p, lo, hi, st;
    ks_error err = {0};
    ks_response_params_bounds(&lo, &hi);
    ks_response_params_start(&st);
    /* the documented bounds and starts */
    assert_true(lo.v[KS_RP_FLUCT] == 0.001 && hi.v[KS_RP_FLUCT] == 0.99);
    assert_true(lo.v[KS_RP_T_FLUCT_D] == 0.5 && hi.v[KS_RP_T_FLUCT_D] == 365);
    assert_true(st.v[KS_RP_FLUCT] == 0.5 && st.v[KS_RP_T_FLUCT_D] == 14);
    int legacy = !json_object_get(pars, "fluct_share");
    char *path = NULL;
    if (!legacy) { /* a refitted shipped file: test the rule on a copy without them */
        json_object_del(pars, "fluct_share");
        json_object_del(pars, "t_fluct_d");
    }
    path = tmp_copy(root);
    /* without both: the model without fluctuation, every other value as written */
    assert_int_equal(ks_response_params_load(path, &p, &err), KS_OK);
    assert_true(p.v[KS_RP_FLUCT] == 0.0);
    assert_true(p.v[KS_RP_T_FLUCT_D] == st.v[KS_RP_T_FLUCT_D]);
    for (int i = 0; i < KS_RP_N_NOFLUCT; i++)
        assert_true(p.v[i] == json_number_value(json_object_get(
                                  json_object_get(pars, ks_response_param_name(i)), "value")));
    /* its 17-value uncertainty sets: fluct_share 0 too; a refitted file's sets (19 values,
     * fluct_share > 0) under parameters without fluct_share: refused */
    if (json_object_get(root, "uncertainty")) {
        ks_response_params *sets = NULL;
        size_t n = 0;
        if (legacy) {
            assert_int_equal(ks_response_uncertainty_load(path, &sets, &n, &err), KS_OK);
            assert_true(n > 0 && sets[0].v[KS_RP_FLUCT] == 0 && sets[n - 1].v[KS_RP_FLUCT] == 0);
            free(sets);
        } else {
            assert_int_equal(ks_response_uncertainty_load(path, &sets, &n, &err), KS_EMODEL);
            assert_non_null(strstr(err.msg, "(fluct_share): not 0 in a file whose parameters"));
            assert_null(sets);
        }
    }
    /* only one of the two: refused, naming the missing one */
    json_t *one = json_pack("{s:f,s:s}", "value", 0.4, "unit", "1");
    json_object_set_new(pars, "fluct_share", one);
    remove(path);
    path = tmp_copy(root);
    assert_int_equal(ks_response_params_load(path, &p, &err), KS_EMODEL);
    assert_non_null(strstr(err.msg, "$.parameters.t_fluct_d: missing"));
    json_object_del(pars, "fluct_share");
    json_object_set_new(pars, "t_fluct_d", json_pack("{s:f,s:s}", "value", 20.0, "unit", "d"));
    remove(path);
    path = tmp_copy(root);
    assert_int_equal(ks_response_params_load(path, &p, &err), KS_EMODEL);
    assert_non_null(strstr(err.msg, "$.parameters.fluct_share: missing"));
    /* both: read as written; then its sets must have 19 values (17 refused) */
    json_object_set_new(pars, "fluct_share", json_pack("{s:f,s:s}", "value", 0.4, "unit", "1"));
    remove(path);
    path = tmp_copy(root);
    assert_int_equal(ks_response_params_load(path, &p, &err), KS_OK);
    assert_true(p.v[KS_RP_FLUCT] == 0.4 && p.v[KS_RP_T_FLUCT_D] == 20);
    if (json_object_get(root, "uncertainty") && legacy) {
        ks_response_params *sets = NULL;
        size_t n = 0;
        assert_int_equal(ks_response_uncertainty_load(path, &sets, &n, &err), KS_EMODEL);
        assert_non_null(strstr(err.msg, "not 19 numbers"));
    }
    /* out of its domain */
    json_object_set_new(pars, "fluct_share", json_pack("{s:f,s:s}", "value", 1.0, "unit", "1"));
    remove(path);
    path = tmp_copy(root);
    assert_int_equal(ks_response_params_load(path, &p, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "fluct_share"));
    remove(path);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),      cmocka_unit_test(test_stable_part),
        cmocka_unit_test(test_f_to_zero), cmocka_unit_test(test_survival_vs_patients),
        cmocka_unit_test(test_loader),    cmocka_unit_test(test_off_hour_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
