/* PD module: occupancy by hand, the PD file loader, the effect-site filter against the
 * engine's exact effect site, quantiles and shares against closed forms. */
#include "ks_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ketsim/ketsim.h"

static ks_pd *load_pd(void)
{
    ks_pd *pd = NULL;
    ks_error err = {0};
    int rc = ks_pd_load(ks_test_path("data/pd-acute.json"), &pd, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, KS_OK);
    return pd;
}

/* occupancy = sum(x) / (1 + sum(x)), by hand. */
static void test_occupancy_hand(void **st)
{
    (void)st;
    double cu1[1] = {71.319}, ki1[1] = {71.319};
    KS_ASSERT_CLOSE(ks_pd_occupancy(cu1, ki1, 1), 0.5, 1e-12, 0);
    /* S 53 ng/mL (Ki 71.319), R 53 ng/mL (Ki 332.822): x = 0.743140 + 0.159244 */
    double cu[2] = {53.0, 53.0}, ki[2] = {71.319, 332.822};
    double x = 53.0 / 71.319 + 53.0 / 332.822;
    KS_ASSERT_CLOSE(ks_pd_occupancy(cu, ki, 2), x / (1 + x), 1e-12, 0);
    KS_ASSERT_CLOSE(ks_pd_occupancy(cu, ki, 2), 0.474344, 1e-5, 0);
    double zero[2] = {0, 0};
    assert_true(ks_pd_occupancy(zero, ki, 2) == 0.0);
}

/* Weights from the file: racemic = fu (0.5/KiS + 0.5/KiR); esketamine fu/KiS;
 * noresketamine fu_nk x 0.2 / KiSNK. */
static void test_weights(void **st)
{
    (void)st;
    ks_pd *pd = load_pd();
    double w, s;
    int known;
    assert_int_equal(ks_pd_analyte_weight(pd, "ketamine", &w, &s, &known, NULL), KS_OK);
    assert_int_equal(known, 1);
    KS_ASSERT_CLOSE(w, 0.53 * (0.5 / (0.3 * 237.73) + 0.5 / (1.4 * 237.73)), 1e-12, 0);
    KS_ASSERT_CLOSE(s, 0.5, 0, 0);
    ks_pd_analyte_weight(pd, "esketamine", &w, &s, &known, NULL);
    KS_ASSERT_CLOSE(w, 0.56 / (0.3 * 237.73), 1e-12, 0);
    KS_ASSERT_CLOSE(s, 1.0, 0, 0);
    ks_pd_analyte_weight(pd, "noresketamine", &w, &s, &known, NULL);
    KS_ASSERT_CLOSE(w, 0.53 * 0.2 / (1.7 * 223.70), 1e-12, 0);
    KS_ASSERT_CLOSE(s, 0.0, 0, 0);
    ks_pd_analyte_weight(pd, "hydroxynoresketamine", &w, &s, &known, NULL);
    assert_int_equal(known, 0);
    assert_true(w == 0.0);
    /* 200 ng/mL racemic at steady state: occupancy 0.4744 (hand: 200 x 0.53 / 2 = 53) */
    ks_pd_analyte_weight(pd, "ketamine", &w, &s, &known, NULL);
    KS_ASSERT_CLOSE((200 * w) / (1 + 200 * w), 0.474344, 1e-5, 0);
    ks_pd_free(pd);
}

static void expect_load_error(const char *json, const char *needle)
{
    char path[] = "/tmp/ks_pd_testXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(json, f);
    fclose(f);
    ks_pd *pd = NULL;
    ks_error err = {0};
    int rc = ks_pd_load(path, &pd, &err);
    remove(path);
    if (rc == KS_OK) fprintf(stderr, "loaded, but expected an error with: %s\n", needle);
    assert_int_not_equal(rc, KS_OK);
    assert_null(pd);
    if (!strstr(err.msg, needle)) fprintf(stderr, "message: %s\nexpected: %s\n", err.msg, needle);
    assert_non_null(strstr(err.msg, needle));
}

/* Replace the first occurrence of `from` in the shipped file by `to` and expect an
 * error naming `needle`. */
static void mutate(const char *from, const char *to, const char *needle)
{
    char *s = ks_test_read_file(ks_test_path("data/pd-acute.json"));
    assert_non_null(s);
    char *p = strstr(s, from);
    assert_non_null(p);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *o = malloc(n);
    memcpy(o, s, (size_t)(p - s));
    strcpy(o + (p - s), to);
    strcat(o, p + strlen(from));
    expect_load_error(o, needle);
    free(o);
    free(s);
}

static void test_loader_errors(void **st)
{
    (void)st;
    mutate("\"unit\": \"uM\"", "\"unit\": \"nM\"", "ki_s_ketamine: unit \"nM\"");
    mutate("\"ki_r_ketamine\"", "\"ki_r_ketamin\"", "unknown parameter \"ki_r_ketamin\"");
    mutate("\"source\": \"ebert1997\"", "\"source\": \"ebert1998\"", "not a key of $.citations");
    mutate("\"verification\": \"abstract\"", "\"verification\": \"read somewhere\"",
           "unknown verification level");
    mutate("\"command\": \"ketsim pd-fit --iv-model domino-1982 --nasal-model perez-ruixo-2021 "
           "--write FILE\"",
           "\"command\": \"\"", "must not be empty");
    mutate("\"verification\": \"estimated\"", "\"verification\": \"abstract\"",
           "only for verification \"estimated\"");
    mutate("\"verification\": \"abstract\",\n      \"note\": \"(S)-ketamine",
           "\"verification\": \"estimated\",\n      \"note\": \"(S)-ketamine",
           "needs \"estimated\"");
    mutate("\"value\": 0.56", "\"value\": 1.56", "fraction 1.56 above 1");
    mutate("\"format\": \"ketsim-pd/1\"", "\"format\": \"ketsim-pd/2\"", "$.format");
    /* a BP spread parameter is no longer known: a file with one is rejected */
    mutate("\"sbp_slope\": {",
           "\"sbp_omega\": {\"value\": 4.3, \"unit\": \"1\", \"source\": \"assumption\", "
           "\"verification\": \"assumption\", \"note\": \"x\"},\n    \"sbp_slope\": {",
           "unknown parameter \"sbp_omega\"");
    /* a year the source did not show: null with a note; never a bare null or a string */
    mutate("\"year\": 1997,", "\"year\": null,", "give \"year_note\"");
    mutate("\"year\": 1997,", "", "give \"year_note\"");
    mutate("\"year\": 1997,", "\"year\": \"1997\",", "must be an integer or null");
    mutate("\"year\": null,\n      \"year_note\": \"not shown on the page read (pd_acute",
           "\"year\": 2019,\n      \"year_note\": \"not shown on the page read (pd_acute",
           "only for a citation without a year");
    mutate("\"year_note\": \"not shown on the page read (pd_acute.md B4: authors, journal and DOI "
           "not shown)\"",
           "\"year_note\": \"\"", "\"year_note\" must not be empty");
    expect_load_error("{\"format\": \"ketsim-pd/1\", \"citations\": {}, \"parameters\": {}}",
                      "$.citations");
    expect_load_error("{\"format\": ", "line");
}

/* Citations say what the source showed: the 741-infusion cohort and the ke0 paper have
 * no year or authors in the notes (pd_acute.md B1, B4), so none is printed. */
static void test_citations_without_year(void **st)
{
    (void)st;
    ks_pd *pd = load_pd();
    const char *c = ks_pd_citation_text(pd, "iv_cohort_741");
    assert_non_null(c);
    assert_non_null(strstr(c, "not shown in the source read (year not known: "));
    assert_null(strstr(c, "2019"));
    c = ks_pd_citation_text(pd, "anesth117_353");
    assert_non_null(c);
    assert_non_null(strstr(c, "(year not known: "));
    assert_null(strstr(c, "Noppers"));
    c = ks_pd_citation_text(pd, "spravato_label_pk");
    assert_non_null(c);
    assert_null(strstr(c, "2019"));
    c = ks_pd_citation_text(pd, "ebert1997");
    assert_non_null(strstr(c, "Borgbjerg FM 1997, Norketamine"));
    ks_pd_free(pd);
}

/* The PD effect site (t1/2 6.1 min, integrated from exact plasma values) against the
 * engine's exact effect site of perez-ruixo-2021, which has the same t1/2ke0. */
static void test_effect_site_matches_engine(void **st)
{
    (void)st;
    ks_pd *pd = load_pd();
    ks_model *m = NULL;
    ks_error err = {0};
    assert_int_equal(
        ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &m, &err), KS_OK);
    ks_sim *s = NULL;
    ks_covariates cov = {0};
    double t[73];
    for (int i = 0; i < 73; i++)
        t[i] = i * 5.0 / 60.0;
    ks_dose d = {0, 84, 0, "nasal"};
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    assert_int_equal(ks_sim_set_covariates(s, &cov, &err), KS_OK);
    assert_int_equal(ks_sim_add_dose(s, &d, &err), KS_OK);
    assert_int_equal(ks_sim_set_times(s, t, 73, &err), KS_OK);
    assert_int_equal(ks_sim_run(s, &err), KS_OK);
    ks_pd_course *c = NULL;
    assert_int_equal(ks_pd_run(pd, s, &c, &err), KS_OK);
    const double *ce = ks_sim_output(s, (size_t)ks_sim_output_index(s, "ce_esketamine_ng_ml"));
    double maxrel = 0;
    for (int i = 6; i < 73; i++) {
        double r = fabs(c->ce_s_ng_ml[i] - ce[i]) / ce[i];
        if (r > maxrel) maxrel = r;
    }
    /* piecewise-linear plasma over 30 s: error far below 1e-3 */
    assert_true(maxrel < 1e-4);
    /* drive = fu/KiS x Ce(esk) + fu_nk 0.2/KiSNK x Ce(noresk); occupancy = D/(1+D) */
    for (int i = 0; i < 73; i++)
        KS_ASSERT_CLOSE(c->occ[i], c->drive[i] / (1 + c->drive[i]), 1e-12, 1e-15);
    /* at the peak the esketamine term dominates: occupancy between the esketamine-only
     * value and that plus the noresketamine term */
    int i50 = 10;
    double desk = 0.56 / (0.3 * 237.73) * ce[i50];
    assert_true(c->drive[i50] > desk * (1 - 1e-3));
    assert_true(c->drive[i50] < desk * 1.2);
    ks_pd_course_free(c);
    ks_sim_free(s);
    ks_model_free(m);
    ks_pd_free(pd);
}

/* Quantiles and shares: lognormal and normal-multiplier closed forms. */
static void test_quantiles_and_shares(void **st)
{
    (void)st;
    ks_pd *pd = load_pd();
    double w;
    ks_pd_param(pd, "cadss_omega", &w, NULL);
    /* lognormal: median = typical; share >= typical = 0.5; p95 = typ exp(1.6449 w) */
    KS_ASSERT_CLOSE(ks_pd_quantile(pd, KS_PD_CADSS, 8.0, 0.5), 8.0, 1e-12, 0);
    KS_ASSERT_CLOSE(ks_pd_quantile(pd, KS_PD_CADSS, 8.0, 0.95), 8.0 * exp(1.6448536 * w), 1e-6, 0);
    KS_ASSERT_CLOSE(ks_pd_share_at_least(pd, KS_PD_CADSS, 4.0, 4.0), 0.5, 1e-12, 0);
    /* share at typical = threshold x exp(w) is Phi(1) */
    KS_ASSERT_CLOSE(ks_pd_share_at_least(pd, KS_PD_CADSS, 4.0 * exp(w), 4.0), 0.841344746, 1e-8, 0);
    /* blood pressure: no spread (not estimable from the published figures): the
     * quantile is the mean and the share a step. The old normal multiplier (SD 4.3)
     * gave a 5th percentile of 10 x (1 - 1.645 x 4.3) = -61 mmHg here. */
    assert_true(ks_pd_quantile(pd, KS_PD_DSBP, 10.0, 0.05) == 10.0);
    assert_true(ks_pd_quantile(pd, KS_PD_DDBP, 10.0, 0.95) == 10.0);
    assert_true(ks_pd_share_at_least(pd, KS_PD_DSBP, 39.9, 40.0) == 0.0);
    assert_true(ks_pd_share_at_least(pd, KS_PD_DSBP, 40.0, 40.0) == 1.0);
    assert_int_equal(ks_pd_param(pd, "sbp_omega", &w, NULL), KS_ENOTFOUND);
    assert_int_equal(ks_pd_param(pd, "dbp_omega", &w, NULL), KS_ENOTFOUND);
    /* no variability (heart rate): a step at the threshold */
    assert_true(ks_pd_share_at_least(pd, KS_PD_DHR, 2.0, 2.0) == 1.0);
    assert_true(ks_pd_share_at_least(pd, KS_PD_DHR, 1.999, 2.0) == 0.0);
    assert_true(ks_pd_share_at_least(pd, KS_PD_CADSS, 0.0, 4.0) == 0.0);
    ks_pd_free(pd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_occupancy_hand),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_loader_errors),
        cmocka_unit_test(test_citations_without_year),
        cmocka_unit_test(test_effect_site_matches_engine),
        cmocka_unit_test(test_quantiles_and_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
