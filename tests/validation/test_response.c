/* The calibrated response model (data/response-params.json) against what the trials
 * state about its shape (../shared/data/efficacy.md):
 * - one 0.5 mg/kg infusion: onset within 4 h (seeds: effects "within 4 hours"; Kishimoto
 *   2016: superior from 40 min), peak near day 1 (Kishimoto 2016: "peak at day 1"),
 *   decay over days (Kishimoto 2016: superiority "lost by days 10-12");
 * - six infusions (3/week over 12 days) give a higher response and a later relapse than
 *   one (Murrough 2013: 70.8 % and a median of 18 days; Ibrahim 2012: 13.2 days mean);
 * - dose-response monotone over the studied range 0.1-1.0 mg/kg (Fava 2018, Su 2017).
 * The drug effect is the mean improvement over a same-context placebo (ks_response_mean_
 * diff_ratio: the part of the score the drug removes). */
#include "ks_test.h"
#include "ketsim/ketsim.h"
#include "ketsim/response.h"
#include "ketsim/trial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DT (1.0 / 12)

static ks_model *iv;
static ks_pd *pd;
static ks_response_params P;

static int setup(void **state)
{
    (void)state;
    ks_error err = {0};
    if (ks_model_load(ks_test_path("models/ketamine/domino-1982.json"), &iv, &err) ||
        ks_pd_load(ks_test_path("data/pd-acute.json"), &pd, &err) ||
        ks_response_params_load(ks_test_path("data/response-params.json"), &P, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ks_model_free(iv);
    ks_pd_free(pd);
    return 0;
}

/* Drug state with parameters p of n_doses infusions of mgkg (70 kg, 40 min) on the given
 * days. */
static double *drive_p(const ks_response_params *p, double mgkg, const double *days, size_t n_doses,
                       double until_d, size_t *n)
{
    ks_dose d[16];
    for (size_t i = 0; i < n_doses; i++)
        d[i] = (ks_dose){24 * days[i], mgkg * 70, 40.0 / 60, "iv"};
    ks_covariates c = {0};
    ks_covariates_set(&c, "weight", 70, NULL);
    double *occ = NULL;
    ks_error err = {0};
    assert_int_equal(ks_response_occupancy(iv, pd, &c, d, n_doses, 24 * until_d, DT, &occ, n, &err),
                     0);
    double *D = malloc(*n * sizeof *D);
    ks_response_states st = {NULL, NULL, NULL, NULL, D, NULL};
    assert_int_equal(ks_response_drive(p, occ, *n, DT, &st, &err), 0);
    free(occ);
    return D;
}

/* The same with the shipped parameters. */
static double *drive(double mgkg, const double *days, size_t n_doses, double until_d, size_t *n)
{
    return drive_p(&P, mgkg, days, n_doses, until_d, n);
}

static double effect(const double *D, double t_h)
{
    return ks_response_mean_diff_ratio(&P, KS_CTX_ACTIVE, t_h, D[(size_t)llround(t_h / DT)]);
}

static void test_single_infusion_shape(void **state)
{
    (void)state;
    size_t n;
    const double day0 = 0;
    double *D = drive(0.5, &day0, 1, 14, &n);
    double peak = 0, t_peak = 0;
    for (size_t k = 0; k < n; k++) {
        double e = effect(D, (double)k * DT);
        if (e > peak) peak = e, t_peak = (double)k * DT;
    }
    /* the usual rating times of the single-infusion trials (Zarate 2006, Diazgranados
     * 2010: 40, 80, 110, 230 min, days 1, 2, 3, 7) */
    const double th[8] = {40.0 / 60, 80.0 / 60, 110.0 / 60, 230.0 / 60, 24, 48, 72, 168};
    double e[8], best = 0;
    for (int i = 0; i < 8; i++) {
        e[i] = effect(D, th[i]);
        if (e[i] > best) best = e[i];
    }
    double e11 = effect(D, 24 * 11);
    printf("drug effect (share of baseline removed beyond placebo): 40 min %.3f, 230 min %.3f, "
           "day 1 %.3f, day 2 %.3f, day 3 %.3f, day 7 %.3f, day 11 %.3f; continuous peak %.3f at "
           "%.1f h\n",
           e[0], e[3], e[4], e[5], e[6], e[7], e11, peak, t_peak);
    /* onset within 4 h: at 230 min at least half of the peak */
    assert_true(e[3] >= 0.5 * peak);
    /* peak near day 1 (Kishimoto 2016: "peak at day 1"): the continuous peak lies within
     * a day of it, between 12 and 48 h (the criterion set before the first fit) */
    assert_true(t_peak >= 12 && t_peak <= 48);
    (void)best;
    /* decay over days: smaller by day 7 than on day 1, below 30 % of the peak on day 11
     * ("superiority lost by days 10-12"; 2 SE of the calibration's reading) */
    assert_true(e[7] < e[4]);
    assert_true(e11 < 0.3 * peak);
    free(D);
}

/* Median days from the last dose to relapse among responders 24 h after it (daily checks,
 * as ks_response_p_sustained makes them). */
static double median_relapse_d(const ks_response_params *p, const double *D, size_t n,
                               double last_h, int ctx)
{
    ks_response_params q = *p;
    q.last_visit_h = last_h;
    size_t k0 = (size_t)llround((last_h + 24) / DT), day = (size_t)llround(24 / DT);
    for (size_t k1 = k0 + day; k1 < n; k1 += day)
        if (ks_response_p_sustained(&q, ctx, D, k0, k1, DT) < 0.5)
            return ((double)k1 * DT - last_h) / 24;
    return INFINITY;
}

/* The same median, linear between the daily checks (independently of ks_response_order_eval:
 * from ks_response_p_sustained at the two checks around the crossing); INFINITY when none. */
static double linear_median_d(const ks_response_params *p, const double *D, size_t n, double last_h)
{
    ks_response_params q = *p;
    q.last_visit_h = last_h;
    size_t k0 = (size_t)llround((last_h + 24) / DT), day = (size_t)llround(24 / DT);
    double prev = 1; /* day 1: the cohort itself */
    for (size_t k1 = k0 + day; k1 < n; k1 += day) {
        double sv = ks_response_p_sustained(&q, KS_CTX_ACTIVE, D, k0, k1, DT);
        if (sv < 0.5) return ((double)(k1 - day) * DT - last_h) / 24 + (prev - 0.5) / (prev - sv);
        prev = sv;
    }
    return INFINITY;
}

static void test_six_beat_one(void **state)
{
    (void)state;
    size_t n1, n6;
    const double day0 = 0, six[6] = {0, 2, 4, 7, 9, 11};
    double *D1 = drive(0.5, &day0, 1, 60, &n1), *D6 = drive(0.5, six, 6, 71, &n6);
    ks_response_params q = P;
    double r1 = ks_response_p_response(&q, KS_CTX_ACTIVE, 24, D1[24 * 12]);
    q.last_visit_h = 24 * 11;
    double r6 = ks_response_p_response(&q, KS_CTX_ACTIVE, 24 * 12, D6[24 * 12 * 12]);
    double m1 = median_relapse_d(&P, D1, n1, 0, KS_CTX_ACTIVE);
    double m6 = median_relapse_d(&P, D6, n6, 24 * 11, KS_CTX_ACTIVE);
    printf(
        "response 24 h after the last dose: one %.1f %%, six %.1f %%; median relapse: one %.1f d, "
        "six %.1f d\n",
        100 * r1, 100 * r6, m1, m6);
    assert_true(r6 > r1 + 0.05);
    /* A later relapse after six than after one is NOT met by the calibrated model: it is
     * reported as FAILED in docs/validation-response.md ("Checks the issue asks for"),
     * which make test keeps current, and in docs/response-model.md; not asserted, so that
     * the failure is stated rather than hidden behind a loosened bound. */
    (void)m6;
    (void)m1;
    free(D1);
    free(D6);
}

/* The relapse order the calibration imposes (ks_response_order_eval, the objective's order
 * term): its medians are the daily-check medians of median_relapse_d interpolated between
 * the checks (so the daily median is the next whole day), the term is the objective with
 * the order on minus the objective without it, and it is what its formula says. */
static void test_relapse_order_term(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_model *esk = NULL;
    ks_response_designs *d = NULL;
    assert_int_equal(
        ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &esk, &err), 0);
    assert_int_equal(ks_response_designs_create(iv, esk, pd, &d, &err), 0);
    assert_int_equal(ks_response_designs_order(d), 0); /* off by default */
    const double day0 = 0, six[6] = {0, 2, 4, 7, 9, 11};
    /* the shipped fit, and one whose order fails: the consolidated state weightless */
    ks_response_params q[2] = {P, P};
    q[1].v[KS_RP_W_CONS] = P.v[KS_RP_W_CONS] / 1000;
    for (int i = 0; i < 2; i++) {
        double one, six_d, term;
        assert_int_equal(ks_response_order_eval(d, &q[i], &one, &six_d, &term, &err), 0);
        size_t n1, n6;
        double *D1 = drive_p(&q[i], 0.5, &day0, 1, 30, &n1),
               *D6 = drive_p(&q[i], 0.5, six, 6, 60, &n6);
        double m1 = median_relapse_d(&q[i], D1, n1, 0, KS_CTX_ACTIVE);
        double m6 = median_relapse_d(&q[i], D6, n6, 24 * 11, KS_CTX_ACTIVE);
        printf("%s: order medians one %.4f d, six %.4f d (daily checks: %.0f d, %.0f d); term "
               "%.6g\n",
               i ? "w_cons / 1000" : "shipped", one, six_d, m1, m6, term);
        assert_true(one > m1 - 1 && one <= m1);
        assert_true(six_d > m6 - 1 && six_d <= m6);
        /* and exactly the crossing of the line between the two daily checks around it */
        double l1 = linear_median_d(&q[i], D1, n1, 0), l6 = linear_median_d(&q[i], D6, n6, 24 * 11);
        assert_true(fabs(one - l1) < 1e-9 && fabs(six_d - l6) < 1e-9);
        free(D1);
        free(D6);
        double short_d = KS_RESPONSE_ORDER_MARGIN_D - (six_d - one);
        double want = short_d > 0 ? KS_RESPONSE_ORDER_WEIGHT * short_d * short_d : 0;
        assert_true(fabs(term - want) <= 1e-9 * (1 + want));
        ks_response_designs_set_order(d, 0);
        double off = ks_response_objective(d, &q[i], NULL);
        ks_response_designs_set_order(d, 1);
        double on = ks_response_objective(d, &q[i], NULL);
        assert_true(fabs(on - off - term) <= 1e-9 * on);
        if (i) assert_true(term > 1); /* the order fails without the consolidated state */
    }
    ks_response_designs_free(d);
    ks_model_free(esk);
}

static void test_dose_response_monotone(void **state)
{
    (void)state;
    const double doses[] = {0.1, 0.2, 0.3, 0.5, 0.75, 1.0}, day0 = 0;
    double prev24 = 0, prev72 = 0;
    for (size_t i = 0; i < sizeof doses / sizeof *doses; i++) {
        size_t n;
        double *D = drive(doses[i], &day0, 1, 4, &n);
        double r24 = ks_response_p_response(&P, KS_CTX_ACTIVE, 24, D[24 * 12]);
        double r72 = ks_response_p_response(&P, KS_CTX_ACTIVE, 72, D[72 * 12]);
        printf("%.2f mg/kg: response 24 h %.1f %%, day 3 %.1f %%\n", doses[i], 100 * r24,
               100 * r72);
        assert_true(r24 > prev24 && r72 > prev72);
        prev24 = r24, prev72 = r72;
        free(D);
    }
}

/* Why the calibrated model relapses no later after six infusions than after one (the
 * diagnosis in docs/response-model.md, "Known failures"; on the fit with SUSTAIN-1 in the
 * objective): among the responders 24 h after the last dose, those who respond on the
 * non-drug part alone (phi_i g >= ln 2) relapse as their fluctuating non-drug part drifts
 * down, the others as the drug state decays. Six infusions build a consolidated state (a
 * sixth of D at the first check, against half a per cent after one), which delays the
 * non-drug-only responders' relapse by days; but they also add drug-dependent responders,
 * who relapse within days: the two cancel at the median (11 d both). 40 000 virtual
 * patients (Philox, seed 1, with their fluctuation paths), daily checks from 24 h after
 * the last dose; "non-drug-only" is read at that first check. If a refit changes these numbers, the
 * diagnosis in the docs must change with them. */
typedef struct relapse_mix {
    double resp, nondrug_share, med_all, med_drug, med_nondrug, cons_frac, d0, s_frac;
} relapse_mix;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t m)
{
    if (!m) return NAN;
    qsort(v, m, sizeof *v, cmp_d);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

static relapse_mix mix(const double *days, size_t nd, double until_d)
{
    ks_dose d[16];
    for (size_t i = 0; i < nd; i++)
        d[i] = (ks_dose){24 * days[i], 0.5 * 70, 40.0 / 60, "iv"};
    ks_covariates c = {0};
    ks_covariates_set(&c, "weight", 70, NULL);
    double *occ = NULL;
    size_t n = 0;
    ks_error err = {0};
    assert_int_equal(ks_response_occupancy(iv, pd, &c, d, nd, 24 * until_d, DT, &occ, &n, &err), 0);
    double *D = malloc(n * sizeof *D), *C = malloc(n * sizeof *C), *S = malloc(n * sizeof *S);
    ks_response_states st = {NULL, NULL, NULL, S, D, C};
    assert_int_equal(ks_response_drive(&P, occ, n, DT, &st, &err), 0);
    free(occ);
    ks_response_params q = P;
    double last = 24 * days[nd - 1], ln2 = log(2);
    q.last_visit_h = last;
    size_t k0 = (size_t)llround((last + 24) / DT);
    enum { N = 40000 };
    double *all = malloc(N * sizeof *all), *drug = malloc(N * sizeof *drug),
           *nond = malloc(N * sizeof *nond);
    size_t na = 0, ndg = 0, nnd = 0;
    for (uint64_t i = 0; i < N; i++) {
        double th, ph;
        ks_response_patient(&q, KS_CTX_ACTIVE, 1, i, &th, &ph);
        ks_response_path path;
        ks_response_path_init(&path, &q, 1, 0, i);
        double t0 = (double)k0 * DT;
        double lnd =
            ph * ks_response_path_factor(&path, t0) * ks_response_nondrug(&q, KS_CTX_ACTIVE, t0);
        if (lnd + th * D[k0] < ln2) continue;
        double rel = INFINITY;
        for (size_t k = k0; k < n; k += 288) { /* daily checks, as the relapse figures */
            double t = (double)k * DT;
            double nd =
                ph * ks_response_path_factor(&path, t) * ks_response_nondrug(&q, KS_CTX_ACTIVE, t);
            if (nd + th * D[k] < ln2) {
                rel = (t - last) / 24;
                break;
            }
        }
        all[na++] = rel;
        if (lnd >= ln2)
            nond[nnd++] = rel;
        else
            drug[ndg++] = rel;
    }
    relapse_mix r = {
        (double)na / N, (double)nnd / (double)na, 0, 0, 0, P.v[KS_RP_W_CONS] * C[k0] / D[k0], D[k0],
        S[k0] / D[k0]};
    r.med_all = median_of(all, na);
    r.med_drug = median_of(drug, ndg);
    r.med_nondrug = median_of(nond, nnd);
    free(all);
    free(drug);
    free(nond);
    free(D);
    free(C);
    free(S);
    return r;
}

static void test_relapse_ordering_diagnosis(void **state)
{
    (void)state;
    const double day0 = 0, six[6] = {0, 2, 4, 7, 9, 11};
    relapse_mix one = mix(&day0, 1, 60), s6 = mix(six, 6, 71);
    const relapse_mix *m[2] = {&one, &s6};
    for (int i = 0; i < 2; i++)
        printf("%s: responders %.1f %%, non-drug-only %.1f %% of them; median relapse %.1f d "
               "(drug-dependent %.1f d, non-drug-only %.1f d); at t0: D %.4f, S / D %.3f, "
               "w_cons C / D %.3f\n",
               i ? "six" : "one", 100 * m[i]->resp, 100 * m[i]->nondrug_share, m[i]->med_all,
               m[i]->med_drug, m[i]->med_nondrug, m[i]->d0, m[i]->s_frac, m[i]->cons_frac);
    /* six build a consolidated state, one hardly any (measured 0.165 and 0.005) */
    assert_true(s6.cons_frac > 0.1 && one.cons_frac < 0.02);
    /* which carries the non-drug-only responders later after six (measured 19 vs 17 d) */
    assert_true(s6.med_nondrug > one.med_nondrug);
    /* drug-dependent responders relapse within days after either course */
    assert_true(one.med_drug < 5 && s6.med_drug < 5);
    assert_true(one.med_nondrug > 3 * one.med_drug);
    /* six add drug-dependent responders: a smaller non-drug share (67.7 vs 77.3 %) */
    assert_true(s6.nondrug_share < one.nondrug_share - 0.05);
    /* and the two cancel at the median: six no later than one by a day (the failing check) */
    assert_true(fabs(s6.med_all - one.med_all) < 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_infusion_shape),
        cmocka_unit_test(test_six_beat_one),
        cmocka_unit_test(test_relapse_order_term),
        cmocka_unit_test(test_dose_response_monotone),
        cmocka_unit_test(test_relapse_ordering_diagnosis),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
