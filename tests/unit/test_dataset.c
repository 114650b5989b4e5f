/* NONMEM-style datasets: every record ketsim cannot interpret exactly is refused with
 * its file, line and column; good records in any column order and case are read. */
#include "ks_test.h"
#include "ks_models_test.h"
#include "ketsim/ketsim.h"
#include "ketsim/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ks_model *model(void)
{
    ks_error err = {0};
    ks_model *m = NULL;
    if (ks_model_load_string(MODEL_1CMT, "one", &m, &err)) fail_msg("%s", err.msg);
    return m;
}

/* Read `text` and predict; returns the status and leaves the message in err. */
static int run(const char *text, ks_error *err, double *pred, size_t max)
{
    ks_dataset *d = NULL;
    int rc = ks_dataset_read_string(text, "data.csv", &d, err);
    if (rc) return rc;
    ks_model *m = model();
    ks_dataset_map map = {0};
    if (ks_dataset_column(d, "ALAG") >= 0) map.lag[1] = "ALAG";
    if (ks_dataset_column(d, "D1") >= 0) map.duration[0] = "D1";
    double local[64];
    if (!pred) pred = local, max = 64;
    assert_true(ks_dataset_n_rows(d) <= max);
    rc = ks_dataset_predict(m, NULL, d, &map, "cp_drug_ng_ml", pred, err);
    ks_model_free(m);
    ks_dataset_free(d);
    return rc;
}

static void test_reads_any_order_and_case(void **state)
{
    (void)state;
    /* MODEL_1CMT: central is CMT 1 (V 20 L, CL 2 L/h), depot is CMT 2. */
    const char *text = "time,id,Amt,evid,cmt,DV,extra\n"
                       "0,1,100,1,1,.,7\n"
                       "1,1,.,0,1,5,7\n"
                       "0,2,100,1,1,.,8\n"
                       "2,2,0,0,1,,8\n";
    double pred[4];
    ks_error err = {0};
    if (run(text, &err, pred, 4)) fail_msg("%s", err.msg);
    KS_ASSERT_CLOSE(pred[1], 100 / 20.0 * exp(-0.1) * 1000, 1e-12, 0);
    KS_ASSERT_CLOSE(pred[3], 100 / 20.0 * exp(-0.2) * 1000, 1e-12, 0);
}

typedef struct bad_case {
    const char *name;
    const char *row; /* the second data line (line 3) */
    const char *want[3];
} bad_case;

static const bad_case BAD[] = {
    {"not a number", "1,1,abc,1,1,0,0,0,0,0,0", {"data.csv:3", "column AMT", "\"abc\""}},
    {"EVID 5", "1,1,10,5,1,0,0,0,0,0,0", {"data.csv:3", "column EVID", "5"}},
    {"SS 3", "1,1,10,1,1,24,0,3,0,0,0", {"data.csv:3", "column SS"}},
    {"negative amount", "1,1,-10,1,1,0,0,0,0,0,0", {"data.csv:3", "column AMT", "negative"}},
    {"ADDL without II", "1,1,10,1,1,0,3,0,0,0,0", {"data.csv:3", "column II", "ADDL"}},
    {"ADDL not whole", "1,1,10,1,1,12,1.5,0,0,0,0", {"data.csv:3", "column ADDL"}},
    {"SS without II", "1,1,10,1,1,0,0,1,0,0,0", {"data.csv:3", "column II", "steady-state"}},
    {"CMT outside the model", "1,1,10,1,3,0,0,0,0,0,0", {"data.csv:3", "column CMT", "1 to 2"}},
    {"negative CMT", "1,1,10,1,-1,0,0,0,0,0,0", {"data.csv:3", "column CMT"}},
    {"RATE -3", "1,1,10,1,1,0,0,0,-3,0,0", {"data.csv:3", "column RATE", "-3"}},
    {"RATE -1 without a mapped rate",
     "1,1,10,1,1,0,0,0,-1,0,0",
     {"data.csv:3", "column RATE", "modeled rate"}},
    {"RATE -2 with a zero duration",
     "1,1,10,1,1,0,0,0,-2,0,0",
     {"data.csv:3", "column D1", "positive"}},
    {"negative lag", "1,1,10,1,2,0,0,0,0,-1,0", {"data.csv:3", "column ALAG", "negative"}},
    {"time going back", "0.5,1,10,1,1,0,0,0,0,0,0", {"data.csv:3", "column TIME", "before"}},
    {"negative time", "-1,1,10,1,1,0,0,0,0,0,0", {"data.csv:3", "column TIME", "negative"}},
    {"too few fields", "1,1,10,1", {"data.csv:3", "4 fields", "11"}},
    /* Found by the fuzzer: a lag of 2e43 h with steady state would loop 1e42 times. */
    {"steady state spanning too many intervals",
     "1,1,10,1,2,12,0,1,0,2e43,0",
     {"data.csv:3", "100000 dosing intervals"}},
    {"dose of zero", "1,1,0,1,1,0,0,0,0,0,0", {"data.csv:3", "column AMT", "0"}},
};

static void test_bad_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "TIME,ID,AMT,EVID,CMT,II,ADDL,SS,RATE,ALAG,D1\n1,1,100,1,1,0,0,0,0,0,0\n%s%s\n",
                 BAD[i].row, "");
        ks_error err = {0};
        int rc = run(text, &err, NULL, 0);
        if (rc == KS_OK) fail_msg("%s: accepted", BAD[i].name);
        for (int k = 0; k < 3 && BAD[i].want[k]; k++)
            if (!strstr(err.msg, BAD[i].want[k]))
                fail_msg("%s: message \"%s\" lacks \"%s\"", BAD[i].name, err.msg, BAD[i].want[k]);
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_bad_files(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_dataset *d = NULL;
    assert_int_equal(ks_dataset_read_string("ID,AMT\n1,2\n", "x.csv", &d, &err), KS_EPARSE);
    assert_non_null(strstr(err.msg, "ID and TIME"));
    assert_int_equal(ks_dataset_read_string("ID,TIME,id\n1,2,3\n", "x.csv", &d, &err), KS_EPARSE);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(ks_dataset_read_string("", "x.csv", &d, &err), KS_EPARSE);
    assert_int_equal(ks_dataset_read("/nonexistent/x.csv", &d, &err), KS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
    /* A map naming a column that does not exist. */
    assert_int_equal(ks_dataset_read_string("ID,TIME\n1,0\n", "x.csv", &d, &err), KS_OK);
    ks_model *m = model();
    ks_dataset_map map = {0};
    map.bioav[0] = "F1";
    double pred[1];
    assert_int_equal(ks_dataset_predict(m, NULL, d, &map, "cp_drug_ng_ml", pred, &err),
                     KS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "F1"));
    ks_model_free(m);
    ks_dataset_free(d);
}

/* Reset: EVID 3 empties the body; EVID 4 empties it and doses. */
static void test_resets(void **state)
{
    (void)state;
    const char *text = "ID,TIME,AMT,EVID,CMT\n"
                       "1,0,100,1,1\n"
                       "1,5,0,3,1\n"
                       "1,6,0,0,1\n"
                       "1,8,50,4,1\n"
                       "1,9,0,0,1\n";
    double pred[5];
    ks_error err = {0};
    if (run(text, &err, pred, 5)) fail_msg("%s", err.msg);
    KS_ASSERT_CLOSE(pred[2], 0, 0, 1e-12);
    KS_ASSERT_CLOSE(pred[4], 50 / 20.0 * exp(-0.1) * 1000, 1e-12, 0);
}

/* A steady state whose lag spans 80000 dosing intervals leaves 80000 doses still to
 * come; they are the doses an ADDL would give, and are handled in O(n log n) (the
 * fuzzer found this case hanging when each event scanned the whole queue). Doses at
 * 0.1 + 0.4 k h for every k <= 80000 against k <= 2: the same at 0.3 h and 1.0 h. */
static void test_steady_state_long_lag(void **state)
{
    (void)state;
    const char *far = "ID,TIME,AMT,EVID,CMT,II,SS,ADDL,ALAG\n"
                      "1,0,10,1,2,0.4,1,0,32000.1\n"
                      "1,0.3,0,0,1,0,0,0,0\n"
                      "1,1.0,0,0,1,0,0,0,0\n";
    const char *near = "ID,TIME,AMT,EVID,CMT,II,SS,ADDL,ALAG\n"
                       "1,0,10,1,2,0.4,1,2,0.1\n"
                       "1,0.3,0,0,1,0,0,0,0\n"
                       "1,1.0,0,0,1,0,0,0,0\n";
    const char *none = "ID,TIME,AMT,EVID,CMT,II,SS,ADDL,ALAG\n"
                       "1,0,10,1,2,0.4,1,0,0.1\n"
                       "1,0.3,0,0,1,0,0,0,0\n"
                       "1,1.0,0,0,1,0,0,0,0\n";
    double a[3], b[3], c[3];
    ks_error err = {0};
    if (run(far, &err, a, 3)) fail_msg("%s", err.msg);
    if (run(near, &err, b, 3)) fail_msg("%s", err.msg);
    if (run(none, &err, c, 3)) fail_msg("%s", err.msg);
    KS_ASSERT_CLOSE(a[1], b[1], 1e-9, 0);
    KS_ASSERT_CLOSE(b[1], c[1], 1e-12, 0);
    /* What the two later doses add at 1.0 h, dropped or doubled by a wrong queue. */
    assert_true(b[2] - c[2] > 0.01 * c[2]);
    KS_ASSERT_CLOSE(a[2] - c[2], b[2] - c[2], 1e-6, 0);
}

/* A dataset written by ketsim reads back and simulates to the same concentrations:
 * the split nasal dose (two pathways, one zero-order into a depot), an oral dose and an
 * IV infusion through the esketamine model. */
static void test_round_trip(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_model *m = NULL;
    if (ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &m, &err))
        fail_msg("%s", err.msg);
    ks_sim *s = NULL;
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    ks_dose d[] = {
        {0, 84, 0, "nasal"}, {6, 30, 0, "oral"}, {24, 28, 40.0 / 60, "iv"}, {72, 56, 0, "nasal"}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ks_sim_add_dose(s, &d[i], &err), KS_OK);
    double t[97];
    for (int i = 0; i <= 96; i++)
        t[i] = i;
    assert_int_equal(ks_sim_set_times(s, t, 97, &err), KS_OK);
    if (ks_sim_run(s, &err)) fail_msg("%s", err.msg);
    char dir[] = "/tmp/ks_ds_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/doses.csv", dir);
    if (ks_dataset_write_sim(s, "cp_esketamine_ng_ml", path, &err)) fail_msg("%s", err.msg);
    ks_dataset *ds = NULL;
    if (ks_dataset_read(path, &ds, &err)) fail_msg("%s", err.msg);
    size_t n = ks_dataset_n_rows(ds);
    double *pred = calloc(n, sizeof *pred);
    if (ks_dataset_predict(m, NULL, ds, NULL, "cp_esketamine_ng_ml", pred, &err))
        fail_msg("%s", err.msg);
    int cev = ks_dataset_column(ds, "EVID"), cdv = ks_dataset_column(ds, "DV");
    const double *cp = ks_sim_output(s, (size_t)ks_sim_output_index(s, "cp_esketamine_ng_ml"));
    size_t k = 0, doses = 0;
    for (size_t i = 0; i < n; i++) {
        if (ks_dataset_value(ds, i, cev) != 0) {
            doses++;
            continue;
        }
        KS_ASSERT_CLOSE(pred[i], cp[k], 1e-10, 1e-12);
        KS_ASSERT_CLOSE(ks_dataset_value(ds, i, cdv), cp[k], 1e-9, 1e-12);
        k++;
    }
    assert_int_equal(k, 97);
    assert_int_equal(doses, 6); /* 2 + 1 + 1 + 2 records: nasal doses split in two */
    remove(path);
    rmdir(dir);
    free(pred);
    ks_dataset_free(ds);
    ks_sim_free(s);
    ks_model_free(m);
}

/* Covariates from columns, per individual; lag and F from model parameters. */
static void test_covariates_and_parameters(void **state)
{
    (void)state;
    ks_error err = {0};
    ks_model *m2 = NULL;
    if (ks_model_load_string(MODEL_2CMT, "two", &m2, &err)) fail_msg("%s", err.msg);
    const char *text = "ID,TIME,AMT,EVID,CMT,WEIGHT\n"
                       "1,0,30,1,1,32.5\n1,1,0,0,1,32.5\n"
                       "2,0,30,1,1,70\n2,1,0,0,1,70\n";
    ks_dataset *d = NULL;
    if (ks_dataset_read_string(text, "w.csv", &d, &err)) fail_msg("%s", err.msg);
    double pred[4];
    if (ks_dataset_predict(m2, NULL, d, NULL, "cp_drug_ng_ml", pred, &err)) fail_msg("%s", err.msg);
    for (int id = 0; id < 2; id++) { /* the same as ks_sim with that weight */
        ks_covariates cv = {0};
        ks_covariates_set(&cv, "weight", id ? 70 : 32.5, NULL);
        ks_sim *s = NULL;
        ks_dose dose = {0, 30, 0, "iv"};
        double t[2] = {0, 1};
        assert_int_equal(ks_sim_create(m2, &s, &err), KS_OK);
        assert_int_equal(ks_sim_set_covariates(s, &cv, &err), KS_OK);
        assert_int_equal(ks_sim_add_dose(s, &dose, &err), KS_OK);
        assert_int_equal(ks_sim_set_times(s, t, 2, &err), KS_OK);
        assert_int_equal(ks_sim_run(s, &err), KS_OK);
        KS_ASSERT_CLOSE(pred[2 * id + 1], ks_sim_output(s, 0)[1], 1e-12, 0);
        ks_sim_free(s);
    }
    assert_true(fabs(pred[1] - pred[3]) > 1.0); /* the weights made a difference */
    ks_dataset_free(d);
    /* A weight that changes within an individual is refused, naming line and column. */
    const char *tv = "ID,TIME,AMT,EVID,CMT,WEIGHT\n1,0,30,1,1,60\n1,1,0,0,1,61\n";
    if (ks_dataset_read_string(tv, "w.csv", &d, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_dataset_predict(m2, NULL, d, NULL, "cp_drug_ng_ml", pred, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "w.csv:3: column WEIGHT"));
    assert_non_null(strstr(err.msg, "time-varying"));
    ks_dataset_free(d);
    ks_model_free(m2);

    /* MODEL_1CMT's oral route: depot (CMT 2) with F and LAG parameters. A dataset dose
     * into CMT 2 with lag and F taken from those parameters equals the route. */
    ks_model *m = model();
    const char *oral = "ID,TIME,AMT,EVID,CMT\n1,1,50,1,2\n1,2,0,0,1\n1,5,0,0,1\n";
    if (ks_dataset_read_string(oral, "o.csv", &d, &err)) fail_msg("%s", err.msg);
    ks_dataset_map map = {0};
    map.lag_param[1] = "LAG";
    map.bioav_param[1] = "F";
    if (ks_dataset_predict(m, NULL, d, &map, "cp_drug_ng_ml", pred, &err)) fail_msg("%s", err.msg);
    double ka = 1.5, k = 0.1, tt[2] = {2 - 1.25, 5 - 1.25};
    for (int i = 0; i < 2; i++)
        KS_ASSERT_CLOSE(pred[i + 1],
                        0.7 * 50 * ka / (20 * (ka - k)) * (exp(-k * tt[i]) - exp(-ka * tt[i])) *
                            1000,
                        1e-11, 0);
    /* A modeled rate and a modeled duration from model parameters (RATE -1, -2). */
    ks_dataset_free(d);
    const char *modeled = "ID,TIME,AMT,RATE,EVID,CMT\n1,0,80,-1,1,1\n1,2,0,0,0,1\n"
                          "2,0,80,-2,1,1\n2,2,0,0,0,1\n";
    if (ks_dataset_read_string(modeled, "r.csv", &d, &err)) fail_msg("%s", err.msg);
    ks_model *mr = NULL;
    const char *json =
        "{\"format\":\"ketsim-model/1\",\"name\":\"r\",\"title\":\"t\",\"drug\":\"t\","
        "\"source\":\"t\",\"citations\":{\"t\":{\"authors\":\"x\",\"year\":2026,\"doi_note\":"
        "\"n\",\"where_read\":\"w\",\"verification\":\"derived\"}},\"population\":{"
        "\"description\":\"n\"},\"sampling_site\":\"unknown\",\"analytes\":{\"drug\":{"
        "\"molar_mass_g_mol\":200,\"source\":\"x\"}},\"parameters\":{\"V\":{\"value\":20,"
        "\"unit\":\"L\",\"source\":\"t\",\"verification\":\"derived\"},\"CL\":{\"value\":2,"
        "\"unit\":\"L/h\",\"source\":\"t\",\"verification\":\"derived\"},\"R\":{\"value\":40,"
        "\"unit\":\"mg/h\",\"source\":\"t\",\"verification\":\"derived\"},\"D\":{\"value\":2,"
        "\"unit\":\"h\",\"source\":\"t\",\"verification\":\"derived\"}},\"compartments\":{"
        "\"central\":{\"analyte\":\"drug\",\"volume\":\"V\",\"observed\":true}},\"flows\":[{"
        "\"from\":\"central\",\"clearance\":\"CL\"}],\"routes\":{\"iv\":{\"description\":"
        "\"iv\",\"pathways\":[{\"to\":\"central\",\"input\":\"user\"}]}}}";
    ks_model *mr0 = NULL;
    if (ks_model_load_string(json, "r", &mr0, &err)) fail_msg("%s", err.msg);
    mr = mr0;
    ks_dataset_map mm = {0};
    mm.rate_param[0] = "R";
    mm.duration_param[0] = "D";
    double pr[4];
    if (ks_dataset_predict(mr, NULL, d, &mm, "cp_drug_ng_ml", pr, &err)) fail_msg("%s", err.msg);
    /* 80 mg at 40 mg/h lasts 2 h, as 80 mg over 2 h: both R/CL (1 - e^{-0.2}) at 2 h. */
    KS_ASSERT_CLOSE(pr[1], 40.0 / 2 * (1 - exp(-0.2)) * 1000, 1e-12, 0);
    KS_ASSERT_CLOSE(pr[3], pr[1], 1e-12, 0);
    ks_model_free(mr);
    ks_dataset_free(d);
    if (ks_dataset_read_string(oral, "o.csv", &d, &err)) fail_msg("%s", err.msg);
    /* A parameter of the wrong kind is refused. */
    map.lag_param[1] = "V";
    assert_int_equal(ks_dataset_predict(m, NULL, d, &map, "cp_drug_ng_ml", pred, &err), KS_EUNIT);
    assert_non_null(strstr(err.msg, "V"));
    ks_dataset_free(d);
    ks_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_any_order_and_case),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_resets),
        cmocka_unit_test(test_steady_state_long_lag),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_covariates_and_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
