/* The route-parameter estimator (ks_fit_measure_tmax, ks_fit_solve_tmax) and the
 * parameter override it relies on (ks_model_set_param).
 *
 * - Tmax agrees with the closed form of a one-compartment model with first-order
 *   absorption and a lag: Tmax = lag + ln(ka/k) / (ka - k).
 * - The estimator recovers a known ka (relative error < 1e-6) from a Tmax generated
 *   with that ka, on the one-compartment test model and on the shipped 3-compartment
 *   racemic-routes model, starting from a wrong ka.
 * - Targets no ka in the bracket reaches (shorter than the fastest absorption, longer
 *   than the slowest) are KS_EINVAL with the attainable range in the message, and the
 *   model keeps its original value.
 * - ks_model_set_param: unknown names, unknown units, units of another dimension and
 *   values the loader would refuse are errors that leave the model unchanged; a valid
 *   change is seen by a new simulation. */
#include "ks_test.h"
#include "ks_models_test.h"

#include "ketsim/ketsim.h"

#include <math.h>
#include <string.h>

static void assert_contains(const char *s, const char *needle)
{
    if (!strstr(s, needle)) fail_msg("\"%s\" does not contain \"%s\"", s, needle);
}

static ks_model *load_text(const char *json)
{
    ks_model *m = NULL;
    ks_error err = {0};
    if (ks_model_load_string(json, "test", &m, &err)) fail_msg("%s", err.msg);
    return m;
}

static ks_model *load_file(const char *rel)
{
    ks_model *m = NULL;
    ks_error err = {0};
    if (ks_model_load(ks_test_path(rel), &m, &err)) fail_msg("%s", err.msg);
    return m;
}

static void test_tmax_closed_form(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT); /* V 20 L, CL 2 L/h, KA 1.5 /h, LAG 0.25 h, F 0.7 */
    ks_error err = {0};
    double tm;
    assert_int_equal(ks_fit_measure_tmax(m, "oral", 100.0, NULL, &tm, &err), KS_OK);
    double k = 2.0 / 20.0, ka = 1.5;
    KS_ASSERT_CLOSE(tm, 0.25 + log(ka / k) / (ka - k), 1e-10, 0);
    /* Linear: the dose does not move the peak. An IV bolus peaks at time 0. */
    double tm2;
    assert_int_equal(ks_fit_measure_tmax(m, "oral", 3.0, NULL, &tm2, &err), KS_OK);
    KS_ASSERT_CLOSE(tm2, tm, 1e-12, 0);
    assert_int_equal(ks_fit_measure_tmax(m, "iv", 10.0, NULL, &tm2, &err), KS_OK);
    KS_ASSERT_CLOSE(tm2, 0.0, 0, 1e-12);
    /* A slow absorption peaks beyond the first 24 h horizon: the horizon grows. */
    assert_int_equal(ks_model_set_param(m, "KA", 0.01, "1/h", &err), KS_OK);
    assert_int_equal(ks_fit_measure_tmax(m, "oral", 100.0, NULL, &tm, &err), KS_OK);
    KS_ASSERT_CLOSE(tm, 0.25 + log(0.01 / k) / (0.01 - k), 1e-10, 0);
    assert_true(tm > 24.0);
    ks_model_free(m);
}

/* Generate Tmax with ka_true, move ka away, fit, compare. */
static void recover(ks_model *m, const char *route, const char *param, double ka_true,
                    const char *unit, double dose, const ks_covariates *cov)
{
    ks_error err = {0};
    double target;
    assert_int_equal(ks_model_set_param(m, param, ka_true, unit, &err), KS_OK);
    if (ks_fit_measure_tmax(m, route, dose, cov, &target, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_model_set_param(m, param, ka_true * 7.3, unit, &err), KS_OK);
    ks_fit_spec sp = {route, dose, cov, param, target, 0, 0};
    ks_fit_result r;
    if (ks_fit_solve_tmax(m, &sp, &r, &err)) fail_msg("%s", err.msg);
    const char *u;
    double v = ks_test_param(m, param, &u);
    assert_string_equal(u, unit); /* written back in the parameter's own unit */
    KS_ASSERT_CLOSE(r.value_published, ka_true, 1e-6, 0);
    KS_ASSERT_CLOSE(v, r.value_published, 1e-15, 0);
    KS_ASSERT_CLOSE(r.tmax_h, target, 0, KS_FIT_TMAX_TOL_H);
    assert_true(r.n_sims > 10 && r.n_sims < 200);
    assert_true(r.lo == KS_FIT_RATE_LO && r.hi == KS_FIT_RATE_HI);
    assert_true(r.tmax_lo > target && r.tmax_hi < target); /* faster absorption peaks earlier */
    print_message("  %s %s: true %.10g %s, estimated %.10g (rel. error %.2g), %d simulations\n",
                  route, param, ka_true, unit, r.value_published,
                  fabs(r.value_published / ka_true - 1), r.n_sims);
}

static void test_recovers_ka(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT);
    recover(m, "oral", "KA", 1.5, "1/h", 100.0, NULL);
    recover(m, "oral", "KA", 0.35, "1/h", 100.0, NULL);
    recover(m, "oral", "KA", 12.0, "1/h", 100.0, NULL);
    ks_model_free(m);

    /* The shipped 3-compartment model (rate constants per minute, V1 per kg). */
    m = load_file("models/ketamine/racemic-routes-domino-1982.json");
    ks_covariates c = {0};
    ks_covariates_set(&c, "weight", 70.0, NULL);
    recover(m, "sublingual", "ka_sl", 0.4, "1/h", 25.0, &c);
    recover(m, "intranasal-phar2022", "ka_nasal", 2.5, "1/h", 30.0, &c);
    recover(m, "oral-brunette2011", "ka_oral_brunette2011", 0.0117482, "1/min", 25.0, &c);
    ks_model_free(m);
}

static void test_fits_a_lag(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT);
    ks_error err = {0};
    double k = 0.1, ka = 1.5, target = 0.6 + log(ka / k) / (ka - k);
    ks_fit_spec sp = {"oral", 50.0, NULL, "LAG", target, 0, 0};
    ks_fit_result r;
    if (ks_fit_solve_tmax(m, &sp, &r, &err)) fail_msg("%s", err.msg);
    KS_ASSERT_CLOSE(r.value, 0.6, 1e-6, 0);
    assert_string_equal(r.unit_internal, "h");
    ks_model_free(m);
}

static void test_unattainable(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT);
    ks_error err = {0};
    ks_fit_result r;
    /* Shorter than the lag (0.25 h) plus the fastest absorption of the bracket. */
    ks_fit_spec sp = {"oral", 100.0, NULL, "KA", 0.2, 0, 0};
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    assert_contains(err.msg, "not attainable");
    assert_contains(err.msg, "shorter than the fastest absorption");
    KS_ASSERT_CLOSE(ks_test_param(m, "KA", NULL), 1.5, 0, 0); /* restored */
    /* Longer than the slowest absorption of the bracket (0.001 /h). */
    sp.target_tmax_h = 1000.0;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    assert_contains(err.msg, "longer than the bracket allows");
    /* A narrow bracket that does not contain the answer. */
    sp.target_tmax_h = 0.25 + log(15.0) / 1.4;
    sp.lo = 3.0;
    sp.hi = 30.0;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    assert_contains(err.msg, "[3, 30] 1/h");
    KS_ASSERT_CLOSE(ks_test_param(m, "KA", NULL), 1.5, 0, 0);
    /* The same bracket containing it works. */
    sp.lo = 1.0;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_OK);
    KS_ASSERT_CLOSE(r.value, 1.5, 1e-6, 0);
    ks_model_free(m);
}

static void test_bad_specs(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT);
    ks_error err = {0};
    ks_fit_result r;
    ks_fit_spec sp = {"oral", 100.0, NULL, "KA", 1.0, 0, 0};
    sp.target_tmax_h = 0;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    sp.target_tmax_h = -1;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    assert_contains(err.msg, "must be positive");
    sp.target_tmax_h = 1.0;
    sp.param = "KB";
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_ENOTFOUND);
    assert_contains(err.msg, "\"KB\"");
    sp.param = "F"; /* dimensionless: not a rate or a time */
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EUNIT);
    sp.param = "V";
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EUNIT);
    sp.param = "KA";
    sp.route = "rectal";
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_ENOTFOUND);
    assert_contains(err.msg, "rectal");
    sp.route = "iv"; /* KA does not act on an IV bolus */
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_ENUMERIC);
    assert_contains(err.msg, "does not change the Tmax");
    sp.route = "oral";
    sp.lo = 5;
    sp.hi = 1;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    sp.lo = sp.hi = 0;
    sp.dose_mg = 0;
    assert_int_equal(ks_fit_solve_tmax(m, &sp, &r, &err), KS_EINVAL);
    assert_int_equal(ks_fit_solve_tmax(NULL, &sp, &r, &err), KS_EINVAL);
    double tm;
    assert_int_equal(ks_fit_measure_tmax(m, "nasal", 1.0, NULL, &tm, &err), KS_ENOTFOUND);
    KS_ASSERT_CLOSE(ks_test_param(m, "KA", NULL), 1.5, 0, 0);
    ks_model_free(m);

    /* A model that needs the weight: without it, the covariate error comes through. */
    m = load_file("models/ketamine/racemic-routes-domino-1982.json");
    ks_fit_spec sw = {"sublingual", 25.0, NULL, "ka_sl", 0.75, 0, 0};
    assert_int_equal(ks_fit_solve_tmax(m, &sw, &r, &err), KS_EINVAL);
    assert_contains(err.msg, "weight");
    ks_model_free(m);
}

static double cmax_of(const ks_model *m, const char *route, double dose)
{
    ks_sim *s = NULL;
    ks_error err = {0};
    double t[401];
    for (int i = 0; i <= 400; i++)
        t[i] = i * 0.1;
    ks_dose d = {0, dose, 0, route};
    ks_summary sm;
    if (ks_sim_create(m, &s, &err) || ks_sim_add_dose(s, &d, &err) ||
        ks_sim_set_times(s, t, 401, &err) || ks_sim_run(s, &err) ||
        ks_summary_compute(s, 0, NAN, &sm, &err))
        fail_msg("%s", err.msg);
    ks_sim_free(s);
    return sm.cmax;
}

static void test_set_param(void **state)
{
    (void)state;
    ks_model *m = load_text(MODEL_1CMT);
    ks_error err = {0};
    const char *unit;
    double c0 = cmax_of(m, "oral", 100.0);
    /* Errors leave the model as it was. */
    assert_int_equal(ks_model_set_param(m, "KB", 1.0, "1/h", &err), KS_ENOTFOUND);
    assert_contains(err.msg, "no parameter \"KB\"");
    assert_contains(err.msg, "one");
    assert_int_equal(ks_model_set_param(m, "KA", 1.0, "1/fortnight", &err), KS_EUNIT);
    assert_contains(err.msg, "unknown unit");
    assert_int_equal(ks_model_set_param(m, "KA", 1.0, "h", &err), KS_EUNIT);
    assert_contains(err.msg, "rate constant");
    assert_int_equal(ks_model_set_param(m, "KA", -1.0, "1/h", &err), KS_EMODEL);
    assert_contains(err.msg, "$.parameters.KA");
    assert_int_equal(ks_model_set_param(m, "KA", NAN, "1/h", &err), KS_EINVAL);
    assert_int_equal(ks_model_set_param(m, "F", 1.5, "fraction", &err), KS_EMODEL);
    assert_contains(err.msg, "outside [0, 1]");
    assert_int_equal(ks_model_set_param(m, "V", 0.0, "L", &err), KS_EMODEL);
    assert_int_equal(ks_model_set_param(NULL, "V", 1.0, "L", &err), KS_EINVAL);
    KS_ASSERT_CLOSE(ks_test_param(m, "KA", &unit), 1.5, 0, 0);
    assert_string_equal(unit, "1/h");
    KS_ASSERT_CLOSE(cmax_of(m, "oral", 100.0), c0, 1e-14, 0);
    /* A valid change, in another unit of the same dimension, is seen by a new sim. */
    assert_int_equal(ks_model_set_param(m, "F", 35, "%", &err), KS_OK);
    KS_ASSERT_CLOSE(cmax_of(m, "oral", 100.0), c0 * 0.5, 1e-12, 0);
    assert_int_equal(ks_model_set_param(m, "KA", 1.5 / 60.0, "1/min", &err), KS_OK);
    KS_ASSERT_CLOSE(ks_test_param(m, "KA", &unit), 0.025, 1e-15, 0);
    assert_string_equal(unit, "1/min");
    KS_ASSERT_CLOSE(cmax_of(m, "oral", 100.0), c0 * 0.5, 1e-12, 0);
    assert_string_equal(ks_model_name(m), "one");
    ks_model_free(m);

    /* A per-kg volume may become a plain one (and the file's name check still holds). */
    m = load_file("models/ketamine/domino-1982.json");
    assert_int_equal(ks_model_set_param(m, "V1", 4.41, "L", &err), KS_OK);
    assert_int_equal(ks_model_set_param(m, "V1", 0.063, "L/kg", &err), KS_OK);
    assert_int_equal(ks_model_set_param(m, "V1", 0.063, "L/h", &err), KS_EUNIT);
    ks_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmax_closed_form), cmocka_unit_test(test_recovers_ka),
        cmocka_unit_test(test_fits_a_lag),       cmocka_unit_test(test_unattainable),
        cmocka_unit_test(test_bad_specs),        cmocka_unit_test(test_set_param),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
