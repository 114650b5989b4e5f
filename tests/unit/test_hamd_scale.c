/* MADRS <-> HAM-D through the Leucht et al. 2018 equipercentile anchors
 * (src/response/scale.c): the published anchors exactly, monotone, inverse, the
 * extrapolation flag, refusals, and an independent cross-check. */
#include "ks_test.h"
#include "ketsim/response.h"

#include <math.h>
#include <string.h>

/* Leucht 2018 abstract: HAM-D 10, 20, 30, 40 ~ MADRS 13, 26, 39, 52-53 (52.5 here);
 * (0, 0) is ketsim's floor assumption. Written out here, not read from the library,
 * so that a wrong table fails. */
static const double M[] = {0, 13, 26, 39, 52.5};
static const double H[] = {0, 10, 20, 30, 40};

static void test_anchors_exact(void **state)
{
    (void)state;
    assert_int_equal(ks_response_hamd_n_anchors(), 5);
    for (size_t i = 0; i < 5; i++) {
        double h = -1, m = -1, am, ah;
        int ex = -1;
        assert_int_equal(ks_response_madrs_to_hamd(M[i], &h, &ex, NULL), KS_OK);
        assert_true(h == H[i]);
        assert_int_equal(ex, 0);
        assert_int_equal(ks_response_hamd_to_madrs(H[i], &m, &ex, NULL), KS_OK);
        assert_true(m == M[i]);
        assert_int_equal(ex, 0);
        assert_int_equal(ks_response_hamd_anchor(i, &am, &ah), KS_OK);
        assert_true(am == M[i] && ah == H[i]);
    }
    assert_int_equal(ks_response_hamd_anchor(5, NULL, NULL), KS_EINVAL);
    /* between anchors: linear (MADRS 19.5 is halfway from 13 to 26: HAM-D 15) */
    double h;
    assert_int_equal(ks_response_madrs_to_hamd(19.5, &h, NULL, NULL), KS_OK);
    assert_true(fabs(h - 15) < 1e-12);
    assert_int_equal(ks_response_madrs_to_hamd(45.75, &h, NULL, NULL), KS_OK);
    assert_true(fabs(h - 35) < 1e-12);
    /* the published change figures, as a check of the anchors (not a fit): a HAM-D
     * improvement 30 -> 20 (10 points) is 13 MADRS points here; Leucht report 12 for an
     * absolute HAM-D improvement of 10 (abstract), so within 1 point */
    double m30, m20;
    ks_response_hamd_to_madrs(30, &m30, NULL, NULL);
    ks_response_hamd_to_madrs(20, &m20, NULL, NULL);
    assert_true(fabs((m30 - m20) - 12) <= 1.0);
}

static void test_monotone_and_inverse(void **state)
{
    (void)state;
    double prev = -1;
    for (int k = 0; k <= 60000; k++) {
        double x = k * 0.001, h, back;
        int ex;
        assert_int_equal(ks_response_madrs_to_hamd(x, &h, &ex, NULL), KS_OK);
        assert_true(h > prev);
        prev = h;
        assert_int_equal(ex, x > 52.5);
        assert_int_equal(ks_response_hamd_to_madrs(h, &back, &ex, NULL), KS_OK);
        assert_true(fabs(back - x) <= 1e-12);
        assert_int_equal(ex, h > 40);
    }
    /* MADRS 60 (the scale's top) maps to 40 + 7.5 / 1.35 on the extended last segment */
    double h60;
    ks_response_madrs_to_hamd(60, &h60, NULL, NULL);
    assert_true(fabs(h60 - (40 + 7.5 / 1.35)) < 1e-12);
}

static void test_extrapolation_flagged(void **state)
{
    (void)state;
    double h, m;
    int ex = 0;
    assert_int_equal(ks_response_madrs_to_hamd(55, &h, &ex, NULL), KS_OK);
    assert_int_equal(ex, 1);
    assert_true(fabs(h - (40 + 2.5 / 1.35)) < 1e-12);
    ex = 0;
    assert_int_equal(ks_response_hamd_to_madrs(42, &m, &ex, NULL), KS_OK);
    assert_int_equal(ex, 1);
    assert_true(fabs(m - (52.5 + 2 * 1.35)) < 1e-12);
    ex = 1;
    assert_int_equal(ks_response_hamd_to_madrs(40, &m, &ex, NULL), KS_OK);
    assert_int_equal(ex, 0);
}

static void test_out_of_range_refused(void **state)
{
    (void)state;
    ks_error err = {0};
    double v = 123;
    assert_int_equal(ks_response_madrs_to_hamd(-0.1, &v, NULL, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "MADRS -0.1"));
    assert_int_equal(ks_response_madrs_to_hamd(60.5, &v, NULL, &err), KS_EINVAL);
    assert_int_equal(ks_response_madrs_to_hamd(NAN, &v, NULL, &err), KS_EINVAL);
    assert_int_equal(ks_response_hamd_to_madrs(-1, &v, NULL, &err), KS_EINVAL);
    assert_int_equal(ks_response_hamd_to_madrs(53, &v, NULL, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "HAM-D 53"));
    /* inside the 17-item scale but beyond MADRS 60 once extended */
    assert_int_equal(ks_response_hamd_to_madrs(46, &v, NULL, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "above the MADRS maximum"));
    assert_true(v == 123); /* untouched on error */
    assert_int_equal(ks_response_hamd_to_madrs(45.5, &v, NULL, &err), KS_OK);
}

/* Independent cross-check (not a fit): Carmody TJ et al. 2006, Eur Neuropsychopharmacol
 * 16:601, doi:10.1016/j.euroneuro.2006.04.008 (abstract, PMC2151980, level B), IRT
 * equating in other samples: "An HRSD17 of 7 corresponded to an 8 or 9 on the MADRS".
 * The Leucht anchors with the (0, 0) floor give 9.1: within 1 point of 8.5. */
static void test_carmody_crosscheck(void **state)
{
    (void)state;
    double m;
    assert_int_equal(ks_response_hamd_to_madrs(7, &m, NULL, NULL), KS_OK);
    assert_true(fabs(m - 9.1) < 1e-12);
    assert_true(fabs(m - 8.5) <= 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchors_exact),         cmocka_unit_test(test_monotone_and_inverse),
        cmocka_unit_test(test_extrapolation_flagged), cmocka_unit_test(test_out_of_range_refused),
        cmocka_unit_test(test_carmody_crosscheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
