/* A course end to end: regimen text -> doses -> simulation -> NONMEM-style dataset ->
 * simulation again gives the same concentrations (the Spravato-style course through
 * the esketamine model: nasal doses split over two pathways). */
#include "ks_test.h"
#include "ketsim/ketsim.h"
#include "ketsim/dataset.h"
#include "ketsim/regimen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void test_regimen_dataset_simulation(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_regimen *r = NULL;
    if (ks_regimen_parse("84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w", &r, &err))
        fail_msg("%s", err.msg);
    size_t n = ks_regimen_n_doses(r);
    assert_int_equal(n, 16);
    ks_dose *d = calloc(n, sizeof *d);
    if (ks_regimen_to_doses(r, NAN, d, n, &err)) fail_msg("%s", err.msg);
    ks_model *m = NULL;
    if (ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &m, &err))
        fail_msg("%s", err.msg);
    ks_sim *s = NULL;
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    for (size_t i = 0; i < n; i++)
        if (ks_sim_add_dose(s, &d[i], &err)) fail_msg("%s", err.msg);
    size_t nt = 100 * 24 + 1;
    double *t = malloc(nt * sizeof *t);
    for (size_t i = 0; i < nt; i++)
        t[i] = (double)i;
    assert_int_equal(ks_sim_set_times(s, t, nt, &err), KS_OK);
    if (ks_sim_run(s, &err)) fail_msg("%s", err.msg);
    char dir[] = "/tmp/ks_course_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/course.csv", dir);
    if (ks_dataset_write_sim(s, "cp_esketamine_ng_ml", path, &err)) fail_msg("%s", err.msg);
    ks_dataset *ds = NULL;
    if (ks_dataset_read(path, &ds, &err)) fail_msg("%s", err.msg);
    size_t rows = ks_dataset_n_rows(ds);
    double *pred = calloc(rows, sizeof *pred);
    if (ks_dataset_predict(m, NULL, ds, NULL, "cp_esketamine_ng_ml", pred, &err))
        fail_msg("%s", err.msg);
    const double *cp = ks_sim_output(s, 0);
    int cev = ks_dataset_column(ds, "EVID");
    size_t k = 0;
    for (size_t i = 0; i < rows; i++) {
        if (ks_dataset_value(ds, i, cev) != 0) continue;
        KS_ASSERT_CLOSE(pred[i], cp[k], 1e-10, 1e-12);
        k++;
    }
    assert_int_equal(k, nt);
    assert_int_equal(rows - nt, 2 * n); /* each nasal dose: mucosal and swallowed records */
    remove(path);
    rmdir(dir);
    free(pred);
    free(t);
    free(d);
    ks_dataset_free(ds);
    ks_sim_free(s);
    ks_model_free(m);
    ks_regimen_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_regimen_dataset_simulation)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
