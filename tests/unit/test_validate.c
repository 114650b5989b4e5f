/* Validation against observations: the observation file reader refuses every malformed
 * row with its file, line and column, and each predicted quantity equals the closed
 * form of a one-compartment model (V 20 L, CL 2 L/h, KA 1.5 /h, lag 0.25 h, F 0.7). */
#include "ks_test.h"
#include "ks_models_test.h"
#include "ketsim/ketsim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD                                                                                       \
    "study_id,arm,citation,doi,drug,analyte,route,dose_mg,dose_mg_per_kg,infusion_min,"            \
    "population,age_y,weight_kg,sampling_site,quantity,value,unit,auc_end_h,spread,spread_type,"   \
    "n,where_read,verification,note\n"

/* A row of the study "s": design columns then quantity, value, unit, auc_end_h. */
#define ROW(arm, analyte, route, dose, inf, weight, q, v, unit, end)                               \
    "s," arm ",\"Test, 2026\",,racemic ketamine," analyte "," route "," dose ",," inf              \
    ",adults,," weight ",venous," q "," v "," unit "," end ",,,5,here,abstract,\n"

/* MODEL_1CMT as racemic ketamine: drug and analyte renamed. */
/* With the design columns: the same row, then the design and measured_from_h. */
#define HEAD_D                                                                                     \
    "study_id,arm,citation,doi,drug,analyte,route,dose_mg,dose_mg_per_kg,infusion_min,"            \
    "population,age_y,weight_kg,sampling_site,quantity,value,unit,auc_end_h,spread,spread_type,"   \
    "n,where_read,verification,note,design,measured_from_h\n"
#define ROW_D(arm, route, dose, inf, q, v, unit, end, design, from)                                \
    "s," arm ",\"Test, 2026\",,racemic ketamine,ketamine," route "," dose ",," inf ",adults,,,"    \
    "venous," q "," v "," unit "," end ",,,5,here,abstract,," design "," from "\n"

/* A design file with one Cmax row after 1 mg IV (bolus). */
#define CMAX_D(design, from)                                                                       \
    HEAD_D ROW_D("d", "iv", "1", "0", "cmax", "1", "ng/mL", "", design, from)

static ks_model *model(void)
{
    const char *src = MODEL_1CMT;
    size_t n = strlen(src);
    char *json = malloc(2 * n + 64), *o = json;
    for (const char *p = src; *p;) {
        if (strncmp(p, "\"drug\":\"test\"", 13) == 0) {
            o += sprintf(o, "\"drug\":\"racemic ketamine\"");
            p += 13;
        } else if (strncmp(p, "\"drug\"", 6) == 0) {
            o += sprintf(o, "\"ketamine\"");
            p += 6;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    ks_model *m = NULL;
    ks_error err = {0};
    if (ks_model_load_string(json, "one", &m, &err)) fail_msg("%s", err.msg);
    free(json);
    return m;
}

static char path[64];

static int read_text(const char *text, ks_obs_set **set, ks_error *err)
{
    snprintf(path, sizeof path, "/tmp/ks_obs_%ld.csv", (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = ks_obs_read(path, set, err);
    remove(path);
    return rc;
}

static double predict(const ks_model *m, const ks_obs *o, const char *route)
{
    ks_prediction p;
    ks_error err = {0};
    if (ks_validate_predict(m, o, route, &p, &err)) fail_msg("%s", err.msg);
    if (!p.applies) fail_msg("line %d does not apply: %s", o->line, p.reason);
    return p.value;
}

static void test_closed_forms(void **state)
{
    (void)state;
    const char *text = "# comment above the header\n" HEAD ROW("b", "ketamine", "iv", "100", "0",
                                                               "70", "cmax", "1", "ng/mL", "")
        ROW("b", "ketamine", "iv", "100", "0", "70", "tmax", "30", "min",
            "") ROW("b", "ketamine", "iv", "100", "0", "70", "cl", "1", "mL/min/kg",
                    "") ROW("b", "ketamine", "iv", "100", "0", "70", "t_half", "1", "min", "")
            ROW("b", "ketamine", "iv", "100", "0", "70", "auc_0_t", "1", "ng*h/mL",
                "10") ROW("i", "ketamine", "iv", "100", "60", "", "cmax", "1", "ug/L", "")
                ROW("i", "ketamine", "iv", "100", "60", "", "tmax", "1", "h", "")
                    ROW("o", "ketamine", "oral", "100", "0", "", "f", "1", "%", "")
                        ROW("o", "ketamine", "oral", "100", "0", "", "auc_inf", "1", "ug*h/L", "")
                            ROW("o", "ketamine", "oral", "", "0", "", "tmax", "1", "h", "")
                                ROW("e", "esketamine", "iv", "100", "0", "", "cl", "1", "L/h", "")
                                    ROW("b", "ketamine", "iv", "100", "0", "70", "vss", "1", "L/kg",
                                        "");
    ks_obs_set *set = NULL;
    ks_error err = {0};
    if (read_text(text, &set, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_obs_count(set), 12);
    ks_model *m = model();
    const ks_obs *o = ks_obs_get(set, 0);
    assert_int_equal(o->line, 3);
    KS_ASSERT_CLOSE(o->bolus_sample_h, 0.5, 1e-12, 0); /* from the arm's Tmax row */
    /* Bolus: concentration at the arm's Tmax, 100/20 exp(-0.1 x 0.5) mg/L. */
    KS_ASSERT_CLOSE(predict(m, o, "iv"), 5000 * exp(-0.05), 1e-9, 0);
    ks_prediction p;
    assert_int_equal(ks_validate_predict(m, ks_obs_get(set, 1), "iv", &p, &err), KS_OK);
    assert_int_equal(p.applies, 0); /* a bolus's Tmax is its first sample */
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 2), "iv"), 2000.0 / 60 / 70, 1e-6, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 3), "iv"), 60 * log(2) / 0.1, 1e-4, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 4), "iv"), 1000 * 50 * (1 - exp(-1)), 1e-9, 0);
    /* 100 mg over 1 h: C(1 h) = R / CL (1 - e^-k), the peak. */
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 5), "iv"), 1000 * 50 * (1 - exp(-0.1)), 1e-9, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 6), "iv"), 1.0, 1e-9, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 7), "oral"), 70.0, 1e-4, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 8), "oral"), 1000 * 0.7 * 100 / 2, 1e-4, 0);
    /* Oral Tmax = lag + ln(ka / k) / (ka - k), with no dose stated. */
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 9), "oral"), 0.25 + log(15) / 1.4, 1e-6, 0);
    /* Vss: the steady state of the body, the oral depot excluded: V = 20 L at 70 kg. */
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 11), "iv"), 20.0 / 70, 1e-9, 0);
    const char *names[4];
    assert_int_equal(ks_validate_routes(m, ks_obs_get(set, 7), names, 4), 1);
    assert_string_equal(names[0], "oral");
    assert_int_equal(ks_validate_routes(m, ks_obs_get(set, 10), names, 4), 0); /* no S-ket */
    ks_model_free(m);
    ks_obs_free(set);
}

/* A multi-dose design: 100 mg oral at 0 h, then 100 mg IV over 1 h at 10 h; the figures
 * are measured from 10 h. By superposition C(t) = C_oral(t) + C_iv(t - 10): the oral
 * part (Bateman, lag 0.25 h) declines slowly while the infusion rises, so the peak is at
 * the end of the infusion, 11 h. A validator that simulated the IV dose alone misses the
 * oral residual (about 2.7 mg/L at 11 h against an IV peak of 4.76). */
static void test_design(void **state)
{
    (void)state;
    const char *design = "\"0h: 100mg oral | 10h: 100mg iv over 1h\"";
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s%s%s", HEAD_D,
             ROW_D("d", "iv", "100", "60", "cmax", "1", "ng/mL", "", "%s", "10"),
             ROW_D("d", "iv", "100", "60", "tmax", "1", "h", "", "%s", "10"),
             ROW_D("d", "iv", "100", "60", "auc_inf", "1", "ng*h/mL", "", "%s", "10"),
             ROW_D("b", "iv", "100", "60", "cmax", "1", "ng/mL", "", "", ""));
    char full[4096];
    snprintf(full, sizeof full, text, design, design, design);
    ks_obs_set *set = NULL;
    ks_error err = {0};
    if (read_text(full, &set, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ks_obs_count(set), 4);
    const ks_obs *o = ks_obs_get(set, 0);
    assert_int_equal(o->n_design, 2);
    KS_ASSERT_CLOSE(o->design_doses[1].time_h, 10, 1e-12, 0);
    assert_string_equal(o->design_doses[0].route, "oral");
    assert_int_equal(ks_obs_get(set, 3)->n_design, 0); /* a row without a design */
    ks_model *m = model();
    const double k = 0.1, ka = 1.5, A = 0.7 * 100 * ka / (20 * (ka - k)); /* mg/L */
    double tau = 11 - 0.25, oral11 = A * (exp(-k * tau) - exp(-ka * tau));
    double iv11 = 100.0 / 2 * (1 - exp(-k)); /* R / CL (1 - e^-k) */
    KS_ASSERT_CLOSE(predict(m, o, "iv"), 1000 * (oral11 + iv11), 1e-7, 0);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 1), "iv"), 1.0, 1e-6, 0); /* from 10 h */
    /* AUC 0-inf from 10 h: the oral residual's remaining area plus the IV dose's 50. */
    double t0 = 10 - 0.25, oral_rest = A * (exp(-k * t0) / k - exp(-ka * t0) / ka);
    KS_ASSERT_CLOSE(predict(m, ks_obs_get(set, 2), "iv"), 1000 * (oral_rest + 50), 1e-4, 0);
    ks_model_free(m);
    ks_obs_free(set);
}

/* Each malformed file gives KS_EPARSE and names the line and the column. */
static void test_bad_files(void **state)
{
    (void)state;
    struct {
        const char *text, *want;
    } cases[] = {
        {"study_id,arm\n", ":1: column 3 is \"\", expected \"citation\""},
        {HEAD ROW("b", "ketamine", "iv", "abc", "0", "", "cmax", "1", "ng/mL", ""),
         ":2: dose_mg: \"abc\" is not a number"},
        {HEAD ROW("b", "ketamine", "nose", "1", "0", "", "cmax", "1", "ng/mL", ""),
         ":2: route: unknown route \"nose\""},
        {HEAD ROW("b", "ketamine", "iv", "1", "0", "", "cmax", "1", "ng/L", ""),
         ":2: unit: \"ng/L\" is not a unit ketsim knows for cmax"},
        {HEAD ROW("b", "ketamine", "iv", "-1", "0", "", "cmax", "1", "ng/mL", ""),
         ":2: dose_mg: the dose must be positive"},
        {HEAD ROW("b", "ketamine", "iv", "", "0", "", "cmax", "1", "ng/mL", ""),
         ":2: dose_mg: cmax depends on the dose"},
        {HEAD ROW("b", "ketamine", "iv", "1", "0", "", "auc_0_t", "1", "ng*h/mL", ""),
         ":2: auc_end_h: auc_0_t needs the end"},
        {HEAD ROW("b", "ketamine", "iv", "1", "0", "-3", "cmax", "1", "ng/mL", ""),
         ":2: weight_kg: weight -3 kg is not positive"},
        {HEAD "s,b,\"open,\n", ":2: a quoted field is not closed"},
        {HEAD "s,b,c\n", ":2: 3 fields, expected 24"},
        {"", "no header row"},
        {CMAX_D("0h: 1mg iv", ""), ":2: measured_from_h: a design needs the time"},
        {CMAX_D("", "2"), ":2: measured_from_h: given without a design"},
        {CMAX_D("0h: 1mg oral | 2h: 1mg iv", "1"),
         ":2: measured_from_h: no dose of the design starts at 1 h"},
        {CMAX_D("0h: 2mg oral | 2h: 1mg oral", "2"),
         ":2: measured_from_h: no dose of the design starts at 2 h with the row's route (iv)"},
        {CMAX_D("0h: 1mg nose", "0"), ":2: design: part 1: route \"nose\""},
        {CMAX_D("0h: 1mg oral | 1mg iv", "0"),
         ":2: design: part 2 (\" 1mg iv\"): start it with its time"},
        {CMAX_D("0h: 1mg iv; every 0h x 2", "0"), ":2: design: part 1: character"},
        {HEAD_D ROW_D("d", "iv", "1", "0", "f", "1", "%", "", "0h: 1mg iv", "0"),
         ":2: design: f is a single-dose quantity"},
        {HEAD_D "s,b,c\n", ":2: 3 fields, expected 26"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ks_obs_set *set = NULL;
        ks_error err = {0};
        assert_int_equal(read_text(cases[i].text, &set, &err), KS_EPARSE);
        assert_null(set);
        if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, path) || strchr(err.msg, '\n'))
            fail_msg("case %zu: \"%s\" does not name \"%s\"", i, err.msg, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_design),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
