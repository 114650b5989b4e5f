/* Validation: the shipped Perez-Ruixo 2021 model against the paper's Table 4
 * (typical-value Cmax and AUC0-24 after one nasal dose, 18 strata x doses),
 * read from data/perez-ruixo-2021-table4.csv.
 *
 * Metric: ratio predicted / published. Tolerance: within 5 % for esketamine Cmax and
 * AUC0-24 and noresketamine Cmax (the published values are rounded typical values
 * of the same model). Noresketamine AUC0-24 is known to be over-predicted by the
 * literal encoding of Table 3 (x1.38-1.56 per the nlmixr2lib vignette's errata);
 * the test asserts that known problem (ratio 1.30-1.65), so that a change which
 * silently "fixes" or worsens it is noticed. */
#include "ks_test.h"
#include "ketsim/ketsim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    char stratum[64];
    double age, asian, japanese, dose, pub[4];
} row;

static int read_rows(row *rows, int max)
{
    FILE *f = fopen(ks_test_path("data/perez-ruixo-2021-table4.csv"), "r");
    assert_non_null(f);
    char line[512];
    int n = 0, header = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] == '#') continue;
        if (!header++) continue;
        row *r = &rows[n];
        char *comma = strchr(line, ',');
        assert_non_null(comma);
        snprintf(r->stratum, sizeof r->stratum, "%.*s", (int)(comma - line), line);
        int got = sscanf(comma + 1, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &r->age, &r->asian,
                         &r->japanese, &r->dose, &r->pub[0], &r->pub[1], &r->pub[2], &r->pub[3]);
        assert_int_equal(got, 8);
        n++;
    }
    fclose(f);
    return n;
}

static void predict(const ks_model *m, const row *r, double out[4])
{
    ks_error err = {0};
    ks_sim *s = NULL;
    ks_covariates c = {0};
    ks_covariates_set(&c, "age", r->age, NULL);
    ks_covariates_set(&c, "asian", r->asian, NULL);
    ks_covariates_set(&c, "japanese", r->japanese, NULL);
    double t[24 * 60 + 1];
    for (int i = 0; i <= 24 * 60; i++)
        t[i] = i / 60.0;
    ks_dose d = {0, r->dose, 0, "nasal"};
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    if (ks_sim_set_covariates(s, &c, &err) || ks_sim_add_dose(s, &d, &err) ||
        ks_sim_set_times(s, t, 24 * 60 + 1, &err) || ks_sim_run(s, &err))
        fail_msg("%s", err.msg);
    const char *names[2] = {"cp_esketamine_ng_ml", "cp_noresketamine_ng_ml"};
    for (int a = 0; a < 2; a++) {
        int j = ks_sim_output_index(s, names[a]);
        assert_true(j >= 0);
        ks_summary sm;
        assert_int_equal(ks_summary_compute(s, (size_t)j, NAN, &sm, &err), KS_OK);
        out[2 * a] = sm.cmax;
        out[2 * a + 1] = sm.auc_last;
    }
    ks_sim_free(s);
}

static void test_table4(void **state)
{
    (void)state;
    row rows[32];
    int n = read_rows(rows, 32);
    assert_int_equal(n, 18);
    ks_error err = {0};
    ks_model *m = NULL;
    if (ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &m, &err))
        fail_msg("%s", err.msg);
    const char *what[4] = {"esketamine Cmax", "esketamine AUC0-24", "noresketamine Cmax",
                           "noresketamine AUC0-24"};
    double worst[4] = {1, 1, 1, 1};
    int failures = 0;
    print_message("  %-28s %4s | %-22s | %-22s | %-22s | %-22s\n", "stratum", "mg", what[0],
                  what[1], what[2], what[3]);
    for (int i = 0; i < n; i++) {
        double p[4];
        predict(m, &rows[i], p);
        char cells[4][40];
        for (int k = 0; k < 4; k++) {
            double ratio = p[k] / rows[i].pub[k];
            if (fabs(log(ratio)) > fabs(log(worst[k]))) worst[k] = ratio;
            int ok = k < 3 ? fabs(ratio - 1) <= 0.05 : ratio >= 1.30 && ratio <= 1.65;
            failures += !ok;
            snprintf(cells[k], sizeof cells[k], "%7.1f/%7.1f %5.3f%s", p[k], rows[i].pub[k], ratio,
                     ok ? "" : "!");
        }
        print_message("  %-28s %4.0f | %-22s | %-22s | %-22s | %-22s\n", rows[i].stratum,
                      rows[i].dose, cells[0], cells[1], cells[2], cells[3]);
    }
    print_message("  worst ratio predicted/published: %.3f, %.3f, %.3f, %.3f\n", worst[0], worst[1],
                  worst[2], worst[3]);
    ks_model_free(m);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table4)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
