/* ks_response_trial, the response summaries of `ketsim trial --response`:
 * - every value against the same patients computed one by one with ks_response_patient,
 *   the baseline draw and ks_response_score (linear D between grid points);
 * - replicates: replicate 0 is ks_response_patient bit for bit, replicate r > 0 the
 *   patients of ks_response_patient_rep one by one (rows and relapse), other patients than
 *   replicate 0's, the same bits for 1 and 2 threads and whatever ran before;
 * - the result is bit-identical for 1 and 2 threads (fixed blocks of patients);
 * - the drug arm improves more than the drug-free arm;
 * - argument errors. */
#include "ks_test.h"
#include "ketsim/response.h"
#include "ketsim/trial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DT (1.0 / 12.0)
#define NG 1153 /* 96 h */

static ks_response_params params(void)
{
    ks_response_params p;
    ks_response_params_start(&p);
    p.v[KS_RP_FLUCT] = 0; /* the model without within-patient fluctuation (with it:
                           * test_response_fluct.c) */
    p.v[KS_RP_T_DELAY_H] = 20;
    p.v[KS_RP_T_SPINE_D] = 4;
    p.v[KS_RP_W_FAST] = 0.7;
    p.last_visit_h = 0;
    return p;
}

/* A 40-minute infusion-like occupancy pulse, then the drug state. */
static double *drive(const ks_response_params *p)
{
    return ks_test_pulse_drive(p, NG, DT);
}

/* D at t (h), linear between grid points */
static double d_at(const double *D, double t)
{
    double x = t / DT, f = x - floor(x);
    size_t k = (size_t)floor(x);
    return D[k] + f * (D[k + 1] - D[k]);
}

/* rows r1 (MADRS) and rh (with HAM-D) of spec s against the same patients one by one:
 * replicate 0 through ks_response_patient (the original API), another replicate through
 * ks_response_patient_rep, the baseline draw of the same replicate and ks_response_score. */
static void expect_rows(const ks_response_trial_spec *s, const ks_response_trial_row *r1,
                        const ks_response_trial_row *rh)
{
    const ks_response_params *p = s->params;
    const double *D = s->D, *times = s->times_h;
    double N = (double)s->n;
    for (size_t ti = 0; ti < s->n_times; ti++) {
        double d = d_at(D, times[ti]);
        double sum = 0, sc = 0, sc2 = 0, nr = 0, nm = 0, hs = 0, hc = 0, hc2 = 0;
        for (uint64_t i = 0; i < s->n; i++) {
            double th, ph, z[2];
            if (s->replicate == 0)
                ks_response_patient(p, s->ctx, s->seed, i, &th, &ph);
            else
                ks_response_patient_rep(p, s->ctx, s->seed, s->replicate, i, &th, &ph);
            ks_rng_normal2(s->seed, s->replicate, i, KS_RNG_RESPONSE, 1, z);
            double b = fmin(60, fmax(1, s->b0_mean + s->b0_sd * z[0]));
            double v = ks_response_score(p, s->ctx, b, th, ph, times[ti], d);
            sum += v;
            sc += v - b;
            sc2 += (v - b) * (v - b);
            nr += v <= 0.5 * b;
            nm += v <= s->cutoff;
            /* HAM-D through the Leucht 2018 anchors, written out: MADRS 0/13/26/39/52.5 =
             * HAM-D 0/10/20/30/40, the last segment extended */
            double hv = v <= 13   ? v * 10 / 13
                        : v <= 26 ? 10 + (v - 13) * 10 / 13
                        : v <= 39 ? 20 + (v - 26) * 10 / 13
                                  : 30 + (v - 39) * 10 / 13.5;
            double hb = b <= 13   ? b * 10 / 13
                        : b <= 26 ? 10 + (b - 13) * 10 / 13
                        : b <= 39 ? 20 + (b - 26) * 10 / 13
                                  : 30 + (b - 39) * 10 / 13.5;
            hs += hv;
            hc += hv - hb;
            hc2 += (hv - hb) * (hv - hb);
        }
        double hmc = hc / N, hsd = sqrt((hc2 - N * hmc * hmc) / (N - 1));
        assert_true(fabs(rh[ti].mean_hamd - hs / N) < 1e-10);
        assert_true(fabs(rh[ti].mean_change_hamd - hmc) < 1e-10);
        assert_true(fabs(rh[ti].sd_change_hamd - hsd) < 1e-8);
        double mc = sc / N, sd = sqrt((sc2 - N * mc * mc) / (N - 1));
        assert_true(fabs(r1[ti].mean_madrs - sum / N) < 1e-10);
        assert_true(fabs(r1[ti].mean_change_madrs - mc) < 1e-10);
        assert_true(fabs(r1[ti].sd_change_madrs - sd) < 1e-8);
        assert_true(r1[ti].response_frac == nr / N);
        assert_true(r1[ti].remission_frac == nm / N);
    }
}

/* ks_response_trial on 1 thread (s->threads as given), then on 2 (left set): the same
 * bits; the rows in r1 (s->n_times of them). */
static void trial_1_2(ks_response_trial_spec *s, ks_response_trial_row *r1)
{
    ks_response_trial_row *r2 = malloc(s->n_times * sizeof *r2);
    ks_error err = {0};
    assert_non_null(r2);
    assert_int_equal(ks_response_trial(s, r1, &err), KS_OK);
    s->threads = 2;
    assert_int_equal(ks_response_trial(s, r2, &err), KS_OK);
    assert_memory_equal(r1, r2, s->n_times * sizeof *r2);
    free(r2);
}

static void test_against_patients(void **state)
{
    (void)state;
    ks_response_params p = params();
    double *D = drive(&p);
    const double times[] = {0, 4, 24.04, 72, 95.5}; /* 24.04: between grid points */
    enum { NT = 5, N = 600 };                       /* 600: two full blocks and a part */
    ks_response_trial_spec s = {
        &p, KS_CTX_ACTIVE, D, NG, DT, times, NT, N, 7, 30, 6, 10, 1, 0, 0, 0, 0};
    ks_response_trial_row r1[NT], r0[NT];
    ks_error err = {0};
    trial_1_2(&s, r1);
    /* with HAM-D: the MADRS columns unchanged, the HAM-D ones per patient (below) */
    ks_response_trial_row rh[NT];
    s.hamd = 1;
    assert_int_equal(ks_response_trial(&s, rh, &err), KS_OK);
    s.hamd = 0;
    for (int ti = 0; ti < NT; ti++) {
        assert_true(isnan(r1[ti].mean_hamd) && isnan(r1[ti].sd_change_hamd));
        assert_memory_equal(&rh[ti], &r1[ti], 5 * sizeof(double));
    }
    expect_rows(&s, r1, rh);
    /* baseline: no change, nobody responds; a real spread of baselines (SD near 6) */
    assert_true(r1[0].mean_change_madrs == 0 && r1[0].response_frac == 0);
    assert_true(fabs(r1[0].mean_madrs - 30) < 1.0);
    /* the drug arm improves more than the same patients without drug */
    s.D = NULL;
    assert_int_equal(ks_response_trial(&s, r0, &err), KS_OK);
    assert_true(r1[2].mean_change_madrs < r0[2].mean_change_madrs - 1);
    assert_true(r1[2].response_frac > r0[2].response_frac);
    free(D);
}

/* Replicates: replicate 0 is the original patients bit for bit (ks_response_patient_rep
 * with 0 = ks_response_patient = the Philox draw of replicate 0 written out); replicate r
 * draws other patients, equal to those drawn one by one with ks_response_patient_rep for
 * r, with the same bits for 1 and 2 threads, whatever was computed before (no state). */
static void test_replicates(void **state)
{
    (void)state;
    ks_response_params p = params();
    double *D = drive(&p);
    for (uint64_t i = 0; i < 50; i++) {
        double a[2], b[2], z[2];
        ks_response_patient(&p, KS_CTX_ACTIVE, 7, i, &a[0], &a[1]);
        ks_response_patient_rep(&p, KS_CTX_ACTIVE, 7, 0, i, &b[0], &b[1]);
        assert_memory_equal(a, b, sizeof a);
        ks_rng_normal2(7, 0, i, KS_RNG_RESPONSE, 0, z);
        assert_true(a[0] == p.v[KS_RP_THETA] * exp(p.v[KS_RP_OMEGA_THETA] * z[0]));
        assert_true(a[1] == exp(p.v[KS_RP_OMEGA_PHI] * z[1]));
        ks_response_patient_rep(&p, KS_CTX_ACTIVE, 7, 3, i, &b[0], &b[1]);
        assert_true(a[0] != b[0] && a[1] != b[1]); /* replicate 3: another patient */
        ks_rng_normal2(7, 3, i, KS_RNG_RESPONSE, 0, z);
        assert_true(b[0] == p.v[KS_RP_THETA] * exp(p.v[KS_RP_OMEGA_THETA] * z[0]));
    }
    const double times[] = {0, 4, 24.04, 72, 95.5};
    enum { NT = 5, N = 600 };
    ks_response_trial_spec s = {
        &p, KS_CTX_ACTIVE, D, NG, DT, times, NT, N, 7, 30, 6, 10, 1, 0, 0, 0, 0};
    ks_response_trial_row rep0[NT], a[NT], b[NT], h[NT];
    ks_error err = {0};
    assert_int_equal(ks_response_trial(&s, rep0, &err), KS_OK);
    for (uint32_t r = 1; r <= 3; r += 2) { /* 1 and 3, in that order */
        s.replicate = r;
        s.threads = 1;
        assert_int_equal(ks_response_trial(&s, a, &err), KS_OK);
        s.threads = 2;
        assert_int_equal(ks_response_trial(&s, b, &err), KS_OK);
        assert_memory_equal(a, b, sizeof a);
        s.hamd = 1;
        assert_int_equal(ks_response_trial(&s, h, &err), KS_OK);
        s.hamd = 0;
        expect_rows(&s, a, h);
        /* other patients: other numbers at 24 h (a spread of ~1 point between trials of
         * 600) */
        assert_true(a[2].mean_madrs != rep0[2].mean_madrs);
        assert_true(a[2].response_frac != rep0[2].response_frac);
    }
    /* replicate 3 alone (nothing computed before it) gives the same bits */
    ks_response_trial_spec s3 = s;
    s3.replicate = 3;
    assert_int_equal(ks_response_trial(&s3, b, &err), KS_OK);
    assert_memory_equal(a, b, sizeof a);
    free(D);
}

/* REVIEW DEMO: more output times than one chunk of per-block sums holds (600 patients:
 * 3 blocks, 2^19 / 18 = 29127 times per chunk): all at once (two chunks, the second
 * partial) against one time per call, bit for bit, with HAM-D. */
static void test_chunks(void **state)
{
    (void)state;
    ks_response_params p = params();
    double *D = drive(&p);
    enum { NT = 29500, N = 600 };
    double *times = malloc(NT * sizeof *times);
    ks_response_trial_row *all = malloc(NT * sizeof *all), one;
    assert_non_null(times);
    assert_non_null(all);
    for (size_t i = 0; i < NT; i++)
        times[i] = 95.9 * (double)i / (NT - 1);
    ks_response_trial_spec s = {
        &p, KS_CTX_ACTIVE, D, NG, DT, times, NT, N, 7, 30, 6, 10, 2, 1, 0, 0, 0};
    ks_error err = {0};
    assert_int_equal(ks_response_trial(&s, all, &err), KS_OK);
    for (size_t i = 0; i < NT; i += 97) {
        ks_response_trial_spec s1 = s;
        s1.times_h = &times[i];
        s1.n_times = 1;
        assert_int_equal(ks_response_trial(&s1, &one, &err), KS_OK);
        assert_memory_equal(&one, &all[i], sizeof one);
    }
    s.times_h = &times[NT - 1];
    s.n_times = 1;
    assert_int_equal(ks_response_trial(&s, &one, &err), KS_OK);
    assert_memory_equal(&one, &all[NT - 1], sizeof one);
    free(times), free(all), free(D);
}

static void test_errors(void **state)
{
    (void)state;
    ks_response_params p = params();
    double D[NG] = {0}, t = 1, big = NG * DT + 1;
    ks_response_trial_row r;
    ks_error err = {0};
    ks_response_trial_spec ok = {&p, KS_CTX_SALINE, D, NG, DT, &t, 1, 10, 1, 30, 0, 10, 1, 0, 0, 0,
                                 0};
    assert_int_equal(ks_response_trial(&ok, &r, &err), KS_OK);
    ks_response_trial_spec s = ok;
    s.n = 0;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "no patients"));
    s = ok;
    s.b0_mean = 0;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "baseline MADRS"));
    s = ok;
    s.b0_sd = 31;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    s = ok;
    s.cutoff = -1;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "cutoff"));
    s = ok;
    s.times_h = &big;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "outside the drug state's grid"));
    s = ok;
    s.ctx = KS_CTX_N;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    s = ok;
    s.params = NULL;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    s = ok;
    ks_response_params q = p;
    q.v[KS_RP_THETA] = -1;
    s.params = &q;
    assert_int_equal(ks_response_trial(&s, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "theta"));
}

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Relapse by brute force: every patient one by one (ks_response_patient, the baseline
 * draw, the path factor of ks_response_path (exactly 1 without fluctuation),
 * ks_response_score every 24 h from last dose + 24 h), the textbook median of the
 * responders' times (censored = +inf; defined when the middle value(s) are finite). */
static void brute_relapse(const ks_response_trial_spec *s, uint64_t *nresp, uint64_t *nrel,
                          double *median)
{
    double last = s->params->last_visit_h, *v = malloc(s->n * sizeof *v);
    assert_non_null(v);
    size_t m = 0, h0 = (size_t)llround(last + 24),
           hend = (size_t)floor((double)(s->n_grid - 1) * s->dt_h + 1e-9);
    *nrel = 0;
    for (uint64_t i = 0; i < s->n; i++) {
        double th, ph, z[2];
        ks_response_patient_rep(s->params, s->ctx, s->seed, s->replicate, i, &th, &ph);
        ks_rng_normal2(s->seed, s->replicate, i, KS_RNG_RESPONSE, 1, z);
        double keep = s->keep > 0 ? s->keep : 0.5, mx = s->score_max > 0 ? s->score_max : 60;
        double b0 = fmin(mx, fmax(1, s->b0_mean + s->b0_sd * z[0]));
        double d0 = s->D ? s->D[(size_t)llround((double)h0 / s->dt_h)] : 0;
        ks_response_path path;
        ks_response_path_init(&path, s->params, s->seed, s->replicate, i);
        if (ks_response_score(s->params, s->ctx, b0, th,
                              ph * ks_response_path_factor(&path, (double)h0), (double)h0,
                              d0) > keep * b0)
            continue;
        double t = INFINITY;
        for (size_t h = h0; h <= hend; h += 24) {
            double d = s->D ? s->D[(size_t)llround((double)h / s->dt_h)] : 0;
            double phh = ph * ks_response_path_factor(&path, (double)h);
            if (ks_response_score(s->params, s->ctx, b0, th, phh, (double)h, d) > keep * b0) {
                t = ((double)h - last) / 24;
                (*nrel)++;
                break;
            }
        }
        v[m++] = t;
    }
    qsort(v, m, sizeof *v, cmp_dbl);
    *nresp = m;
    *median = NAN;
    if (m % 2 && isfinite(v[m / 2])) *median = v[m / 2];
    if (m && m % 2 == 0 && isfinite(v[m / 2])) *median = 0.5 * (v[m / 2 - 1] + v[m / 2]);
    free(v);
}

/* r's responders and relapsed equal the brute force's (at least min_resp responders); the
 * brute force's counts and median (NaN: none) returned. */
static double same_as_brute(const ks_response_trial_spec *s, const ks_response_relapse *r,
                            uint64_t min_resp, uint64_t *nr, uint64_t *nrel)
{
    double med;
    brute_relapse(s, nr, nrel, &med);
    assert_true(*nr >= min_resp);
    assert_int_equal(r->responders, *nr);
    assert_int_equal(r->relapsed, *nrel);
    return med;
}

static void test_relapse(void **state)
{
    (void)state;
    ks_response_params p = params();
    double *D = drive(&p);
    enum { N = 700 };
    ks_response_trial_spec s = {&p, KS_CTX_ACTIVE, D, NG, DT, NULL, 0, N, 7, 30, 6, 10, 1, 0, 0, 0,
                                0};
    ks_response_relapse r1, r2;
    ks_error err = {0};
    int with_median = 0, censored = 0;
    /* the drug arm, then no drug (D NULL), then a later last visit (shorter
     * horizon), then a fast-waning drug state (D kept: the median case), then the PTSD
     * variant's definition (>= 30 % reduction) on a CAPS-5 baseline (scale 0-80, spread
     * that reaches the clip at 80), then the drug arm and the fast-waning one for the
     * patients of replicate 2 (against the brute force with ks_response_patient_rep) */
    ks_response_relapse rep0 = {0};
    for (int c = 0; c < 7; c++) {
        ks_response_params q = p;
        s.params = &q;
        s.D = c == 1 ? NULL : D;
        if (c == 2) q.last_visit_h = 24;
        if (c >= 5) s.keep = 0, s.score_max = 0, s.b0_mean = 30, s.b0_sd = 6, s.replicate = 2;
        if (c == 3 || c == 6) { /* a fast-waning drug state: most responders relapse */
            q.v[KS_RP_T_SPINE_D] = 2;
            q.v[KS_RP_THETA] *= 5;
            q.v[KS_RP_W_CONS] = 0.05;
            q.v[KS_RP_T_NONDRUG_D] = 0.5;
        }
        if (c == 4) s.keep = 0.7, s.score_max = 80, s.b0_mean = 60, s.b0_sd = 25;
        s.threads = 1;
        assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_OK);
        s.threads = 2;
        assert_int_equal(ks_response_trial_relapse(&s, &r2, &err), KS_OK);
        assert_memory_equal(&r1, &r2, sizeof r1);
        if (c == 0) rep0 = r1;
        if (c == 5) /* other patients: other responders */
            assert_true(r1.responders != rep0.responders && r1.median_d != rep0.median_d);
        uint64_t nr, nrel;
        double med = same_as_brute(&s, &r1, 1, &nr, &nrel);
        assert_true(near(r1.share_relapsed, (double)nrel / (double)nr, 1e-15));
        assert_true(near(r1.horizon_d, (96 - q.last_visit_h) / 24, 1e-12));
        if (isnan(med)) {
            assert_true(isnan(r1.median_d));
            assert_non_null(r1.why);
            assert_non_null(strstr(r1.why, "fewer than half"));
            assert_true(2 * nrel <= nr);
            censored++;
        } else {
            assert_true(near(r1.median_d, med, 1e-12));
            assert_null(r1.why);
            assert_true(2 * nrel > nr);
            with_median++;
        }
    }
    assert_true(with_median > 0); /* both cases are exercised */
    assert_true(censored > 0);
    /* the PTSD case differs from the MADRS one (the definition is used, not ignored) */
    ks_response_relapse r3;
    s.replicate = 0;
    s.keep = 0, s.score_max = 0, s.b0_mean = 30, s.b0_sd = 6, s.params = &p, s.D = D;
    assert_int_equal(ks_response_trial_relapse(&s, &r3, &err), KS_OK);
    s.keep = 0.7;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_OK);
    assert_true(r1.responders > r3.responders);
    s.keep = 0, s.b0_mean = 61; /* beyond MADRS 60, within CAPS-5 80 */
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_EINVAL);
    s.score_max = 80;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_OK);
    s.hamd = 1; /* the HAM-D conversion is from MADRS only */
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "hamd"));
    s.hamd = 0, s.keep = 1;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "keep 1 is not in [0, 1)"));
    s.keep = 0, s.score_max = 0, s.b0_mean = 30;
    /* last dose + 24 h beyond the grid: no median, with the reason */
    ks_response_params q = p;
    q.last_visit_h = 80;
    s.params = &q;
    s.D = D;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_OK);
    assert_true(isnan(r1.median_d));
    assert_int_equal(r1.responders, 0);
    assert_non_null(strstr(r1.why, "beyond the horizon"));
    /* errors */
    s.params = &p;
    s.n = 0;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_EINVAL);
    s.n = N;
    s.dt_h = 0.7;
    assert_int_equal(ks_response_trial_relapse(&s, &r1, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "hour"));
    free(D);
}

/* Within-patient fluctuation (fluct_share 0.6, t_fluct_d 10): the response share at each
 * output time equals the population quadrature ks_response_p_response (the marginal does
 * not depend on the fluctuation) within 4 binomial SE of 40 000 patients, while leaving
 * out the path factor misses it; one patient's score is its stable part times its path
 * factor; output times in any order give the same rows; 1 and 2 threads the same bits;
 * relapse equals the brute force over the same patients with their paths exactly. */
static void test_fluct(void **state)
{
    (void)state;
    ks_response_params p = params();
    p.v[KS_RP_FLUCT] = 0.6, p.v[KS_RP_T_FLUCT_D] = 10, p.v[KS_RP_OMEGA_PHI] = 1.2;
    double *D = drive(&p);
    enum { NT = 5, N = 40000 };
    const double times[NT] = {4, 24.04, 48, 72, 95.5};
    ks_response_trial_spec s = {
        &p, KS_CTX_ACTIVE, D, NG, DT, times, NT, N, 7, 30, 0, 10, 1, 0, 0, 0, 0};
    ks_response_trial_row r1[NT], rr[NT];
    ks_error err = {0};
    trial_1_2(&s, r1);
    /* the stable part alone: a narrower spread of the non-drug part (negative control) */
    ks_response_params ps = p;
    ps.v[KS_RP_OMEGA_PHI] *= sqrt(1 - 0.6);
    ps.v[KS_RP_FLUCT] = 0;
    for (int ti = 0; ti < NT; ti++) {
        double d = d_at(D, times[ti]);
        double q = ks_response_p_response(&p, KS_CTX_ACTIVE, times[ti], d);
        double tol = 4 * sqrt(q * (1 - q) / N);
        KS_ASSERT_CLOSE(r1[ti].response_frac, q, 0, tol);
        double qs = ks_response_p_response(&ps, KS_CTX_ACTIVE, times[ti], d);
        if (ti >= 2) assert_true(fabs(qs - q) > 2 * tol);
    }
    /* times in reverse order: the same rows (each path restarts when asked back) */
    const double rev[NT] = {95.5, 72, 48, 24.04, 4};
    s.times_h = rev;
    assert_int_equal(ks_response_trial(&s, rr, &err), KS_OK);
    for (int ti = 0; ti < NT; ti++)
        assert_memory_equal(&rr[ti], &r1[NT - 1 - ti], sizeof rr[ti]);
    /* one patient: its score is the stable part times its path factor */
    s.times_h = times;
    s.n = 1;
    s.seed = 12;
    assert_int_equal(ks_response_trial(&s, rr, &err), KS_OK);
    double th, ph;
    ks_response_patient(&p, KS_CTX_ACTIVE, 12, 0, &th, &ph);
    ks_response_path path;
    ks_response_path_init(&path, &p, 12, 0, 0);
    for (int ti = 0; ti < NT; ti++) {
        double d = d_at(D, times[ti]);
        double v = ks_response_score(&p, KS_CTX_ACTIVE, 30, th,
                                     ph * ks_response_path_factor(&path, times[ti]), times[ti], d);
        KS_ASSERT_CLOSE(rr[ti].mean_madrs, v, 1e-14, 0);
    }
    /* relapse: the same patients and paths, one by one (daily checks) */
    s.n = 3000, s.seed = 7;
    ks_response_relapse q1, q2;
    s.threads = 1;
    assert_int_equal(ks_response_trial_relapse(&s, &q1, &err), KS_OK);
    s.threads = 2;
    assert_int_equal(ks_response_trial_relapse(&s, &q2, &err), KS_OK);
    assert_memory_equal(&q1, &q2, sizeof q1);
    uint64_t nr, nrel;
    double med = same_as_brute(&s, &q1, 100, &nr, &nrel);
    if (isnan(med))
        assert_true(isnan(q1.median_d));
    else
        assert_true(near(q1.median_d, med, 1e-12));
    /* the fluctuation changes who relapses (against the same stable parts without it) */
    /* another replicate: its own patients AND its own paths (ks_response_path_init with the
     * replicate), in the table (one patient) and in relapse (brute force) */
    s.replicate = 3;
    assert_int_equal(ks_response_trial_relapse(&s, &q2, &err), KS_OK);
    med = same_as_brute(&s, &q2, 100, &nr, &nrel);
    if (isnan(med))
        assert_true(isnan(q2.median_d));
    else
        assert_true(near(q2.median_d, med, 1e-12));
    s.n = 1, s.seed = 12;
    assert_int_equal(ks_response_trial(&s, rr, &err), KS_OK);
    ks_response_patient_rep(&p, KS_CTX_ACTIVE, 12, 3, 0, &th, &ph);
    ks_response_path_init(&path, &p, 12, 3, 0);
    ks_response_path p0path;
    ks_response_path_init(&p0path, &p, 12, 0, 0);
    int differs = 0;
    for (int ti = 0; ti < NT; ti++) {
        double d = d_at(D, times[ti]), fac = ks_response_path_factor(&path, times[ti]);
        double v = ks_response_score(&p, KS_CTX_ACTIVE, 30, th, ph * fac, times[ti], d);
        KS_ASSERT_CLOSE(rr[ti].mean_madrs, v, 1e-14, 0);
        differs |= fac != ks_response_path_factor(&p0path, times[ti]);
    }
    assert_true(differs); /* replicate 3's path is not replicate 0's */
    s.replicate = 0, s.n = 3000, s.seed = 7;
    ks_response_params p0 = p;
    p0.v[KS_RP_FLUCT] = 0;
    s.params = &p0;
    assert_int_equal(ks_response_trial_relapse(&s, &q2, &err), KS_OK);
    assert_true(q2.relapsed != q1.relapsed);
    free(D);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_patients), cmocka_unit_test(test_replicates),
        cmocka_unit_test(test_chunks),           cmocka_unit_test(test_errors),
        cmocka_unit_test(test_relapse),          cmocka_unit_test(test_fluct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
