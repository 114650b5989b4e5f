/* Acute-effect models against the published figures they were estimated from (within
 * stated tolerances) and against figures they were not estimated from where the model
 * agrees (the rows where it does not are reported in docs/validation-acute.md, whose
 * staleness tests/cli/test_pd_validate.sh checks). Sources: ../shared/data/pd_acute.md. */
#include "ks_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ketsim/ketsim.h"

#define DT (0.5 / 60.0)
#define NT 961 /* 8 h */

static ks_pd *pd;

static ks_pd_course *run(const char *model, const char *route, double mg, double over_h, double age,
                         double weight)
{
    ks_error err = {0};
    ks_model *m = NULL;
    ks_sim *s = NULL;
    ks_pd_course *c = NULL;
    double t[NT];
    for (int i = 0; i < NT; i++)
        t[i] = i * DT;
    ks_covariates cov = {0};
    if (age > 0) ks_covariates_set(&cov, "age", age, NULL);
    if (weight > 0) ks_covariates_set(&cov, "weight", weight, NULL);
    ks_dose d = {0, mg, over_h, route};
    assert_int_equal(ks_model_load(ks_test_path(model), &m, &err), KS_OK);
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    assert_int_equal(ks_sim_set_covariates(s, &cov, &err), KS_OK);
    assert_int_equal(ks_sim_add_dose(s, &d, &err), KS_OK);
    assert_int_equal(ks_sim_set_times(s, t, NT, &err), KS_OK);
    assert_int_equal(ks_sim_run(s, &err), KS_OK);
    assert_int_equal(ks_pd_run(pd, s, &c, &err), KS_OK);
    ks_sim_free(s);
    ks_model_free(m);
    return c;
}

static size_t argmax(const double *y, size_t n)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[k]) k = i;
    return k;
}

static ks_pd_course *iv(void)
{
    return run("models/ketamine/domino-1982.json", "iv", 35, 40.0 / 60, 0, 70);
}
static ks_pd_course *nasal(double mg, double age)
{
    return run("models/esketamine/perez-ruixo-2021.json", "nasal", mg, 0, age, 0);
}

/* IV 0.5 mg/kg over 40 min: largest mean SBP/DBP/pulse rise 7.4/6.0/1.9 (estimated from;
 * +-0.1) at 30-40 min (not estimated from; the peak must fall at 30-45 min). */
static void test_iv_blood_pressure(void **st)
{
    (void)st;
    ks_pd_course *c = iv();
    size_t k = argmax(c->typ[KS_PD_DSBP], c->n);
    KS_ASSERT_CLOSE(c->typ[KS_PD_DSBP][k], 7.4, 0, 0.1);
    KS_ASSERT_CLOSE(c->typ[KS_PD_DDBP][k], 6.0, 0, 0.1);
    KS_ASSERT_CLOSE(c->typ[KS_PD_DHR][k], 1.9, 0, 0.1);
    assert_true(c->t_h[k] >= 0.5 && c->t_h[k] <= 0.75);
    /* back to baseline within 1.5 h after the infusion (Szarmach 2020): mean <= 2 mmHg */
    assert_true(c->typ[KS_PD_DSBP][(size_t)llround((40.0 / 60 + 1.5) / DT)] <= 2.0);
    /* occupancy at the peak equals D/(1+D) with D from the racemic weight (hand) */
    double w, sh;
    int known;
    ks_pd_analyte_weight(pd, "ketamine", &w, &sh, &known, NULL);
    KS_ASSERT_CLOSE(w, 0.53 * (0.5 / 71.319 + 0.5 / 332.822), 1e-4, 0);
    ks_pd_course_free(c);
}

/* Esketamine 56/84 mg: BP peak near 40 min (label; not estimated from; +-15 min),
 * lasting about 4 h (mean rise under a quarter of its peak at 3-5 h). The label's
 * Table 6 shares (per patient, at least once in 8 sessions) are not reproduced: no
 * BP spread is estimable from the published figures, so the model gives the mean
 * course only and claims no band (the 5th and 95th percentiles are the mean; the old
 * SD-4.3 multiplier put the 5th percentile at a fall of ~30 mmHg here). */
static void test_esketamine_blood_pressure(void **st)
{
    (void)st;
    ks_pd_course *a = nasal(56, 45), *b = nasal(84, 45);
    size_t ka = argmax(a->typ[KS_PD_DSBP], a->n), kb = argmax(b->typ[KS_PD_DSBP], b->n);
    assert_true(fabs(a->t_h[ka] - 40.0 / 60) <= 0.25);
    assert_true(fabs(b->t_h[kb] - 40.0 / 60) <= 0.25);
    assert_true(ks_pd_quantile(pd, KS_PD_DSBP, b->typ[KS_PD_DSBP][kb], 0.05) ==
                b->typ[KS_PD_DSBP][kb]);
    assert_true(ks_pd_quantile(pd, KS_PD_DDBP, b->typ[KS_PD_DDBP][kb], 0.95) ==
                b->typ[KS_PD_DDBP][kb]);
    assert_true(b->typ[KS_PD_DSBP][kb] > 0 && b->typ[KS_PD_DSBP][kb] < 40);
    /* lasts about 4 h */
    for (size_t i = kb; i < b->n; i++)
        if (b->typ[KS_PD_DSBP][i] < 0.25 * b->typ[KS_PD_DSBP][kb]) {
            assert_true(b->t_h[i] >= 3.0 && b->t_h[i] <= 5.0);
            break;
        }
    ks_pd_course_free(a);
    ks_pd_course_free(b);
}

/* Dissociation: 61-84 % with CADSS > 4 at each dose (window), peak at 40 +- 10 min,
 * typical CADSS back under 4 by 1.5 h. */
static void test_esketamine_dissociation(void **st)
{
    (void)st;
    ks_pd_course *c[2] = {nasal(56, 45), nasal(84, 45)};
    for (int j = 0; j < 2; j++) {
        size_t k = argmax(c[j]->typ[KS_PD_CADSS], c[j]->n);
        double sh = ks_pd_share_at_least(pd, KS_PD_CADSS, c[j]->typ[KS_PD_CADSS][k], 4);
        assert_true(sh >= 0.61 && sh <= 0.84);
        assert_true(fabs(c[j]->t_h[k] * 60 - 40) <= 10);
        assert_true(c[j]->typ[KS_PD_CADSS][(size_t)llround(1.5 / DT)] < 4.0);
        ks_pd_course_free(c[j]);
    }
}

static int setup(void **st)
{
    (void)st;
    ks_error err = {0};
    return ks_pd_load(ks_test_path("data/pd-acute.json"), &pd, &err);
}
static int teardown(void **st)
{
    (void)st;
    ks_pd_free(pd);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iv_blood_pressure),
        cmocka_unit_test(test_esketamine_blood_pressure),
        cmocka_unit_test(test_esketamine_dissociation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
