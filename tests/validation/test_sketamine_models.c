/* Validation: the shipped S-ketamine parent-metabolite models reproduce the figures their
 * own sources report (models/esketamine/otto-2021.json, simons-2022.json, flint-2017.json).
 *
 * Every assertion names its metric, tolerance and source level in a comment. Clearances are
 * measured as dose / AUC(0-T) with T long enough that the exact AUC to T equals AUC to
 * infinity to better than 1e-6 (ks_sim_output_auc is the exact integral, no NCA tail);
 * volumes at steady state as the amount in the analyte's body compartments divided by the
 * plasma concentration. The tests fail if a parameter, a unit (min versus h, L/min versus
 * L/h), an allometric exponent or the metabolite conversion (molar versus mass) were wrong. */
#include "ks_test.h"
#include "ketsim/ketsim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MW_K 237.73   /* S-ketamine, C13H16ClNO */
#define MW_NK 223.70  /* S-norketamine, C12H14ClNO */
#define MW_HNK 239.70 /* S-hydroxynorketamine, C12H14ClNO2 */

/* ------------------------------------------------------------------ helpers */

static ks_model *load(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "models/esketamine/%s.json", name);
    ks_error err = {0};
    ks_model *m = NULL;
    if (ks_model_load(ks_test_path(rel), &m, &err)) fail_msg("%s", err.msg);
    return m;
}

/* Simulate doses for one patient (age < 0: not given) at times t[0..nt-1]. */
static ks_sim *run(const ks_model *m, double weight, double age, const ks_dose *d, int nd,
                   const double *t, size_t nt)
{
    ks_error err = {0};
    ks_sim *s = NULL;
    ks_covariates c = {0};
    ks_covariates_set(&c, "weight", weight, NULL);
    if (age >= 0) ks_covariates_set(&c, "age", age, NULL);
    assert_int_equal(ks_sim_create(m, &s, &err), KS_OK);
    if (ks_sim_set_covariates(s, &c, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < nd; i++)
        if (ks_sim_add_dose(s, &d[i], &err)) fail_msg("%s", err.msg);
    if (ks_sim_set_times(s, t, nt, &err) || ks_sim_run(s, &err)) fail_msg("%s", err.msg);
    return s;
}

static size_t col(const ks_sim *s, const char *name)
{
    int j = ks_sim_output_index(s, name);
    if (j < 0) fail_msg("no output column %s", name);
    return (size_t)j;
}

/* Exact AUC (ng*h/mL) of a column from 0 to output time k. */
static double auc_at(const ks_sim *s, const char *name, size_t k)
{
    return ks_sim_output_auc(s, col(s, name))[k];
}

static double conc_at(const ks_sim *s, const char *name, size_t k)
{
    return ks_sim_output(s, col(s, name))[k];
}

static ks_summary summary(ks_sim *s, const char *name)
{
    ks_summary sm;
    ks_error err = {0};
    if (ks_summary_compute(s, col(s, name), NAN, &sm, &err)) fail_msg("%s", err.msg);
    return sm;
}

/* The file holds exactly the published value and unit of every listed parameter, and every
 * parameter of the file carries a source, a verification level and a note. */
typedef struct pub_param {
    const char *name;
    double value;
    const char *unit;
} pub_param;

static void check_params(const ks_model *m, const pub_param *p, size_t n)
{
    size_t np = ks_model_n_params(m);
    for (size_t i = 0; i < np; i++) {
        ks_param_info info;
        assert_int_equal(ks_model_param(m, i, &info), KS_OK);
        if (!info.source || !*info.source || !info.verification || !*info.verification ||
            !info.note || !*info.note)
            fail_msg("%s: parameter %s lacks a source, verification or note", ks_model_name(m),
                     info.name);
    }
    for (size_t k = 0; k < n; k++) {
        int found = 0;
        for (size_t i = 0; i < np; i++) {
            ks_param_info info;
            ks_model_param(m, i, &info);
            if (strcmp(info.name, p[k].name)) continue;
            found = 1;
            if (info.value != p[k].value || strcmp(info.unit, p[k].unit))
                fail_msg("%s: %s = %g %s, published %g %s", ks_model_name(m), p[k].name, info.value,
                         info.unit, p[k].value, p[k].unit);
        }
        if (!found) fail_msg("%s: no parameter %s", ks_model_name(m), p[k].name);
    }
}

/* Dose / AUC(0-t_end) in L/h for a single IV dose of `mg` (bolus when over_h = 0). */
static double clearance(const ks_model *m, double weight, double age, double mg, double over_h,
                        const char *column, double t_end)
{
    ks_dose d = {0, mg, over_h, "iv"};
    double t[2] = {0, t_end};
    ks_sim *s = run(m, weight, age, &d, 1, t, 2);
    double cl = mg / (auc_at(s, column, 1) / 1000.0); /* mg / (mg*h/L) */
    ks_sim_free(s);
    return cl;
}

/* Vss (L): steady state of a long IV infusion, amount in the named compartments divided
 * by the plasma concentration of `column`. */
static double vss(const ks_model *m, double weight, double age, const char *const *comps,
                  int ncomps, const char *column, double t_ss)
{
    ks_dose d = {0, 2.0 * t_ss, 2.0 * t_ss, "iv"}; /* 1 mg/h, still running at t_ss */
    double t[2] = {0, t_ss};
    ks_sim *s = run(m, weight, age, &d, 1, t, 2);
    const double *x = ks_sim_state_at(s, 1);
    double amount = 0;
    int found = 0;
    for (size_t i = 0; i < ks_sim_n_states(s); i++)
        for (int c = 0; c < ncomps; c++)
            if (strcmp(ks_sim_state_name(s, i), comps[c]) == 0) {
                amount += x[i];
                found++;
            }
    assert_int_equal(found, ncomps);
    double v = amount / (conc_at(s, column, 1) / 1000.0);
    ks_sim_free(s);
    return v;
}

/* Median of 8 values (sorted in place). */
static double median8(double *v)
{
    for (int i = 1; i < 8; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double a = v[j];
            v[j] = v[j - 1];
            v[j - 1] = a;
        }
    return (v[3] + v[4]) / 2;
}

/* ------------------------------------------------------------------ otto-2021 */

static void test_otto_2021(void **state)
{
    (void)state;
    ks_model *m = load("otto-2021");
    const char *K = "cp_esketamine_ng_ml", *NK = "cp_noresketamine_ng_ml";
    /* Published values and units (Otto 2021 Table 3 via nlmixr2lib; S-ketamine = Fanta 2015). */
    static const pub_param pub[] = {
        {"V1", 133, "L"},   {"CL", 95.2, "L/h"}, {"Vp1", 187, "L"}, {"Q1", 23.2, "L/h"},
        {"Vp2", 98.8, "L"}, {"Q2", 157, "L/h"},  {"Vn", 98.6, "L"}, {"CLn", 57.7, "L/h"},
        {"Vpn", 160, "L"},  {"Qn", 42.8, "L/h"},
    };
    check_params(m, pub, sizeof pub / sizeof pub[0]);

    /* S-ketamine CL at 70 kg: dose / AUCinf after 10 mg IV over 30 min. Fanta 2015 abstract:
     * "95 L/h/70 kg" (abstract); Otto 2021 Table 3: 95.2 (code, paper cited). Within 1 % of
     * the abstract's 95, within 0.1 % of 95.2. AUC to 240 h (terminal t1/2 7.3 h). */
    double cl70 = clearance(m, 70, -1, 10, 0.5, K, 240);
    print_message("  otto-2021: CL(S-ketamine) 70 kg = %.3f L/h\n", cl70);
    KS_ASSERT_CLOSE(cl70, 95.0, 0.01, 0);
    KS_ASSERT_CLOSE(cl70, 95.2, 0.001, 0);

    /* Allometry as the as-run code: CL x (WT/70)^0.75 -> 74.35 L/h at 50 kg (0.1 %). */
    double cl50 = clearance(m, 50, -1, 10, 0.5, K, 240);
    KS_ASSERT_CLOSE(cl50, 95.2 * pow(50.0 / 70.0, 0.75), 0.001, 0);

    /* S-norketamine: fm = 1, mass conversion, so dose / AUCinf(S-norketamine) = CLn =
     * 57.7 L/h/70 kg (Otto Table 3 via code). A molar conversion would give 61.3 (fails the
     * 0.5 % tolerance); an h/min slip or a wrong CLn fails as well. */
    double cln = clearance(m, 70, -1, 10, 0.5, NK, 240);
    print_message("  otto-2021: dose/AUC(S-norketamine) 70 kg = %.3f L/h\n", cln);
    KS_ASSERT_CLOSE(cln, 57.7, 0.005, 0);

    /* V1 scales with weight (exponent 1), peripheral volumes and Q do not: Vss(S-ketamine) =
     * 133 + 187 + 98.8 = 418.8 L at 70 kg and 95.0 + 187 + 98.8 = 380.8 L at 50 kg (full
     * allometry would give 299.1). Steady state of a 1 mg/h infusion at 300 h, 0.1 %. */
    const char *kc[] = {"central", "periph1", "periph2"};
    KS_ASSERT_CLOSE(vss(m, 70, -1, kc, 3, K, 300), 418.8, 0.001, 0);
    KS_ASSERT_CLOSE(vss(m, 50, -1, kc, 3, K, 300), 133.0 * 50 / 70 + 187 + 98.8, 0.001, 0);
    const char *nc[] = {"nk_central", "nk_periph"};
    KS_ASSERT_CLOSE(vss(m, 70, -1, nc, 2, NK, 300), 98.6 + 160, 0.001, 0);

    /* CHDR1311 (Otto 2021 Figures 3b/4b): 10 mg over 30 min, venous; observed medians
     * digitised from the raster figures by the nlmixr2lib maintainers (secondary, about
     * +/- 10 % reading error; vignettes/articles/Otto_2021_s_ketamine.Rmd). Metric: median
     * over the sampling times of the percent difference typical (68 kg) - observed, within
     * +/- 15 % per analyte (the vignette's own criterion), every point within 25 %. */
    static const double tt[] = {0.5, 1, 2, 3, 5, 6, 8, 10};
    static const double obs_k[] = {56, 27, 15.5, 11.5, 6.0, 4.2, 2.5, 1.8};
    static const double obs_nk[] = {10, 23, 20, 16, 12, 11, 8, 6.5};
    double t[9] = {0};
    memcpy(t + 1, tt, sizeof tt);
    ks_dose d = {0, 10, 0.5, "iv"};
    ks_sim *s = run(m, 68, -1, &d, 1, t, 9);
    double pk[8], pnk[8], worst = 0;
    for (int i = 0; i < 8; i++) {
        pk[i] = 100 * (conc_at(s, K, (size_t)i + 1) / obs_k[i] - 1);
        pnk[i] = 100 * (conc_at(s, NK, (size_t)i + 1) / obs_nk[i] - 1);
        worst = fmax(worst, fmax(fabs(pk[i]), fabs(pnk[i])));
    }
    ks_sim_free(s);
    double med_k = median8(pk), med_nk = median8(pnk);
    print_message("  otto-2021: CHDR1311 median %% difference vs digitised medians: S-ketamine "
                  "%.1f, S-norketamine %.1f\n",
                  med_k, med_nk);
    assert_true(fabs(med_k) < 15);
    assert_true(fabs(med_nk) < 15);
    /* and every point within 25 % (the vignette bounds the 90th percentile at 25 %). */
    print_message("  otto-2021: worst point %.1f %%\n", worst);
    assert_true(worst < 25);

    ks_model_free(m);
}

/* ------------------------------------------------------------------ simons-2022 */

static void test_simons_2022_iv(void **state)
{
    (void)state;
    ks_model *m = load("simons-2022");
    const char *K = "cp_esketamine_ng_ml", *NK = "cp_noresketamine_ng_ml",
               *HNK = "cp_hydroxynoresketamine_ng_ml";
    /* Published values and units (Simons 2022 Table 4 via nlmixr2lib; FM_NK, FM_HNK fixed,
     * Methods/abstract). kG is derived: 1 / MTTG in the same time unit. */
    static const pub_param pub[] = {
        {"F1", 26.3, "%"},        {"D1", 13.1, "min"},      {"KA1", 0.04, "1/min"},
        {"F2", 116, "%"},         {"D2", 29.9, "min"},      {"KA2", 0.049, "1/min"},
        {"MTTG", 10.7, "min"},    {"VK1", 11.6, "L"},       {"VK2", 39.0, "L"},
        {"VK3", 174, "L"},        {"CLK1", 1.48, "L/min"},  {"CLK2", 2.43, "L/min"},
        {"CLK3", 1.21, "L/min"},  {"MTT_KNK", 20.1, "min"}, {"FM_NK", 80, "%"},
        {"VN2", 221, "L"},        {"CLN1", 1.00, "L/min"},  {"CLN2", 2.63, "L/min"},
        {"MTT_NKH", 1.12, "min"}, {"FM_HNK", 70, "%"},      {"VH1", 4.4, "L"},
        {"VH2", 87.5, "L"},       {"CLH1", 0.933, "L/min"}, {"CLH2", 1.70, "L/min"},
    };
    check_params(m, pub, sizeof pub / sizeof pub[0]);
    for (size_t i = 0; i < ks_model_n_params(m); i++) {
        ks_param_info info;
        ks_model_param(m, i, &info);
        if (strcmp(info.name, "kG") == 0) {
            assert_string_equal(info.unit, "1/min");
            KS_ASSERT_CLOSE(info.value * 10.7, 1.0, 1e-9, 0);
        }
    }

    /* 20 mg IV over 20 min (the study's IV dose), 70 kg, exact AUC to 100 h. */
    ks_dose d = {0, 20, 20.0 / 60, "iv"};
    double t[2] = {0, 100};
    ks_sim *s = run(m, 70, -1, &d, 1, t, 2);
    double auc_k = auc_at(s, K, 1) / 1000, auc_nk = auc_at(s, NK, 1) / 1000,
           auc_hnk = auc_at(s, HNK, 1) / 1000; /* mg*h/L */
    ks_sim_free(s);

    /* S-ketamine CL = CLK1 = 1.48 L/min = 88.8 L/h at 70 kg (Table 4 via code), 0.5 %: an
     * L/min read as L/h would give 1.48. */
    KS_ASSERT_CLOSE(20 / auc_k, 88.8, 0.005, 0);

    /* Fraction of S-ketamine converted (moles): S-norketamine formed = CLN1 x AUC(NK)
     * (CLN1 = 1.00 L/min = 60 L/h is its only elimination), S-hydroxynorketamine formed =
     * CLH1 x AUC(HNK) (CLH1 = 0.933 L/min = 55.98 L/h). Abstract: "80% of S-ketamine was
     * metabolized into S-norketamine ... with 56% of S-ketamine finally metabolized into
     * S-hydroxynorketamine". Within 2 % (relative). A mass instead of molar conversion
     * moves them by 6 % and fails. */
    double mol_k = 20 / MW_K;
    double f_nk = 60.0 * auc_nk / MW_NK / mol_k, f_hnk = 55.98 * auc_hnk / MW_HNK / mol_k;
    print_message("  simons-2022: converted to S-norketamine %.4f, to S-HNK %.4f\n", f_nk, f_hnk);
    KS_ASSERT_CLOSE(f_nk, 0.80, 0.02, 0);
    KS_ASSERT_CLOSE(f_hnk, 0.56, 0.02, 0);

    /* Vss(S-ketamine) = VK1 + VK2 + VK3 = 11.6 + 39.0 + 174 = 224.6 L at 70 kg (Table 4 via
     * code; derived sum), 0.1 %; the metabolism-chain transit states are not counted. */
    const char *kc[] = {"central", "periph1", "periph2"};
    KS_ASSERT_CLOSE(vss(m, 70, -1, kc, 3, K, 200), 224.6, 0.001, 0);

    /* Allometry (exponents assumed 0.75/1 by the encoding): CL at 53 kg, 0.5 %. */
    KS_ASSERT_CLOSE(clearance(m, 53, -1, 20, 20.0 / 60, K, 100), 88.8 * pow(53.0 / 70, 0.75), 0.005,
                    0);
    ks_model_free(m);
}

/* Film, 70 kg: S-ketamine AUC(0-100 h), S-norketamine moles formed, and 0-6 h summaries. */
typedef struct film_result {
    double auc_k_inf, nk_formed_mol; /* mg*h/L of S-ketamine; mmol of S-norketamine */
    double cmax_k, tmax_k_min, auc6_k, auc6_nk, auc6_hnk, tmax_nk_min, cmax_hnk; /* ng/mL, min,
                                                                        ng*min/mL */
} film_result;

static film_result film(const ks_model *m, double film_mg, double extra_swallowed_mg)
{
    ks_dose d[2] = {{0, film_mg, 0, "film"}, {0, extra_swallowed_mg, 0, "film_swallowed"}};
    int nd = extra_swallowed_mg > 0 ? 2 : 1;
    double t6[2] = {0, 6}, tl[2] = {0, 100};
    film_result r;
    ks_sim *s = run(m, 70, -1, d, nd, t6, 2);
    ks_summary k = summary(s, "cp_esketamine_ng_ml"), nk = summary(s, "cp_noresketamine_ng_ml");
    r.cmax_k = k.cmax;
    r.tmax_k_min = 60 * k.tmax;
    r.tmax_nk_min = 60 * nk.tmax;
    r.cmax_hnk = summary(s, "cp_hydroxynoresketamine_ng_ml").cmax;
    r.auc6_k = 60 * auc_at(s, "cp_esketamine_ng_ml", 1);
    r.auc6_nk = 60 * auc_at(s, "cp_noresketamine_ng_ml", 1);
    r.auc6_hnk = 60 * auc_at(s, "cp_hydroxynoresketamine_ng_ml", 1);
    ks_sim_free(s);
    s = run(m, 70, -1, d, nd, tl, 2);
    r.auc_k_inf = auc_at(s, "cp_esketamine_ng_ml", 1) / 1000;
    r.nk_formed_mol = 60.0 * auc_at(s, "cp_noresketamine_ng_ml", 1) / 1000 / MW_NK;
    ks_sim_free(s);
    return r;
}

static void test_simons_2022_film(void **state)
{
    (void)state;
    ks_model *m = load("simons-2022");

    /* Absolute bioavailability of the film: AUC(S-ketamine) film / AUC IV, dose-normalised,
     * 50 mg film vs 20 mg IV (the study's design). Abstract: "S-ketamine bioavailability was
     * 26 +/- 1%"; Table 4 (via code) F1 = 26.3 %. Within the abstract's +/- 1 % (absolute)
     * and within 0.5 % (relative) of 26.3 %. */
    film_result f50 = film(m, 50, 0);
    ks_dose iv = {0, 20, 20.0 / 60, "iv"};
    double tl[2] = {0, 100};
    ks_sim *s = run(m, 70, -1, &iv, 1, tl, 2);
    double auc_iv = auc_at(s, "cp_esketamine_ng_ml", 1) / 1000;
    ks_sim_free(s);
    double F = (f50.auc_k_inf / 50) / (auc_iv / 20);
    print_message("  simons-2022: film F = %.4f\n", F);
    KS_ASSERT_CLOSE(F, 0.26, 0, 0.01);
    KS_ASSERT_CLOSE(F, 0.263, 0.005, 0);

    /* Film S-ketamine exposure 0-6 h against Simons 2022 Table 2 means for 50 mg (as
     * transcribed in the nlmixr2lib vignette: SECONDARY; observed means of individual NCA at
     * the sampling times, arterial): Cmax 96 ng/mL, Tmax 18.8 min, AUC0-6h 8363 ng*min/mL.
     * Typical value vs mean: Cmax and AUC within 20 %, Tmax within 6 min (D1, KA1 in h
     * instead of min, or a swapped D1/D2, move it by far more). */
    print_message("  simons-2022: 50 mg film S-ketamine Cmax %.1f ng/mL, Tmax %.1f min, AUC0-6h "
                  "%.0f ng*min/mL\n",
                  f50.cmax_k, f50.tmax_k_min, f50.auc6_k);
    KS_ASSERT_CLOSE(f50.cmax_k, 96, 0.20, 0);
    KS_ASSERT_CLOSE(f50.tmax_k_min, 18.8, 0, 6);
    KS_ASSERT_CLOSE(f50.auc6_k, 8363, 0.20, 0);

    /* F2 = 116 % (published) cannot be a route fraction. Route "film" sends 1 - F1 = 73.7 %
     * down the swallowed pathway (mass-conserving): S-norketamine formed per mole of film =
     * 0.8 x (F1 + (1 - F1)) = 0.80. Adding route film_swallowed with 0.423 x the film dose
     * restores the published encoding (two records of the full dose, F1 = 0.263 and
     * F2 = 1.16): 0.8 x (0.263 + 1.16) = 1.1384 mol per mol. Exact identities, 0.5 %. The
     * swallowed pathway never reaches systemic S-ketamine: S-ketamine is unchanged. */
    double extra = (1.16 - (1 - 0.263)) * 50;
    film_result p50 = film(m, 50, extra);
    double mol50 = 50 / MW_K;
    KS_ASSERT_CLOSE(f50.nk_formed_mol / mol50, 0.80, 0.005, 0);
    KS_ASSERT_CLOSE(p50.nk_formed_mol / mol50, 0.8 * (0.263 + 1.16), 0.005, 0);
    KS_ASSERT_CLOSE(p50.auc_k_inf, f50.auc_k_inf, 1e-9, 0);

    /* The published encoding (film + film_swallowed) against Table 2 metabolite means for
     * 50 mg (secondary, as above): S-norketamine AUC0-6h 38497 and S-HNK 24087 ng*min/mL
     * within 15 % (the nlmixr2lib vignette's criterion for its packaged model), S-norketamine
     * Tmax within 10 min of 61 min. The mass-conserving "film" alone gives less than 0.8 x
     * the S-norketamine AUC (documented under-prediction, models.md and the model's notes). */
    print_message(
        "  simons-2022: 50 mg film + 0.423x swallowed: S-NK AUC0-6h %.0f, Tmax %.1f "
        "min; S-HNK AUC0-6h %.0f ng*min/mL, Cmax %.1f ng/mL; film alone S-NK AUC0-6h %.0f\n",
        p50.auc6_nk, p50.tmax_nk_min, p50.auc6_hnk, p50.cmax_hnk, f50.auc6_nk);
    KS_ASSERT_CLOSE(p50.auc6_nk, 38497, 0.15, 0);
    KS_ASSERT_CLOSE(p50.auc6_hnk, 24087, 0.15, 0);
    KS_ASSERT_CLOSE(p50.tmax_nk_min, 61, 0, 10);
    /* S-HNK Cmax 101 ng/mL (Table 2, 50 mg, secondary) within 20 %. */
    KS_ASSERT_CLOSE(p50.cmax_hnk, 101, 0.20, 0);
    assert_true(f50.auc6_nk < 0.8 * 38497);
    assert_true(f50.auc6_nk > 0.5 * 38497);

    /* 100 mg (two films): S-norketamine AUC0-6h 67959 and S-HNK 44972 ng*min/mL (Table 2,
     * secondary) within 15 % with the published encoding; the model is linear, the observed
     * means are not quite (the vignette notes it). */
    film_result p100 = film(m, 100, 2 * extra);
    KS_ASSERT_CLOSE(p100.auc6_nk, 67959, 0.15, 0);
    KS_ASSERT_CLOSE(p100.auc6_hnk, 44972, 0.15, 0);

    /* IV peak on top of the film: film at 0, 20 mg IV over 20 min at 6 h. Thesis p. 21
     * (flipbook /33, full-text text): mean peak arterial S-ketamine after the infusion
     * 273 (95 % CI 259-287) ng/mL in the 50 mg session and 260 (251-269) in the 100 mg
     * session. Typical value (70 kg) within 15 %. */
    double peaks[2];
    for (int i = 0; i < 2; i++) {
        ks_dose d[2] = {{0, i ? 100 : 50, 0, "film"}, {6, 20, 20.0 / 60, "iv"}};
        double t[3] = {0, 6, 8};
        s = run(m, 70, -1, d, 2, t, 3);
        double *v = malloc(ks_sim_n_outputs(s) * sizeof *v);
        assert_non_null(v);
        ks_error err = {0};
        if (ks_sim_eval(s, 6 + 20.0 / 60, v, &err)) fail_msg("%s", err.msg);
        peaks[i] = v[col(s, "cp_esketamine_ng_ml")];
        free(v);
        ks_sim_free(s);
    }
    print_message("  simons-2022: IV peak after 50 / 100 mg film %.1f / %.1f ng/mL\n", peaks[0],
                  peaks[1]);
    KS_ASSERT_CLOSE(peaks[0], 273, 0.15, 0);
    KS_ASSERT_CLOSE(peaks[1], 260, 0.15, 0);
    ks_model_free(m);
}

/* The two Simons rows of data/pk-observed.csv with a multi-dose design (film at 0 h, 20 mg
 * IV over 20 min at 6 h; thesis flipbook /28) are predicted as that design, not as the IV
 * dose alone: the predicted Cmax after the infusion equals the peak of the superposition
 * of the film alone and the infusion alone simulated separately (linear model), and it is
 * higher than the infusion alone by the film's residual (a single-dose validator gives
 * the IV-alone peak and fails here). A model without a film route does not apply: the
 * film is never dropped. */
static void test_simons_2022_design_rows(void **state)
{
    (void)state;
    ks_obs_set *set = NULL;
    ks_error err = {0};
    if (ks_obs_read(ks_test_path("data/pk-observed.csv"), &set, &err)) fail_msg("%s", err.msg);
    ks_model *m = load("simons-2022"), *pr = load("perez-ruixo-2021");
    int seen = 0;
    for (size_t i = 0; i < ks_obs_count(set); i++) {
        const ks_obs *o = ks_obs_get(set, i);
        if (strcmp(o->study_id, "simons2022") != 0 || strncmp(o->arm, "iv20_after_otf", 14) != 0)
            continue;
        seen++;
        assert_int_equal(o->n_design, 2);
        KS_ASSERT_CLOSE(o->measured_from_h, 6, 0, 1e-12);
        double film_mg = o->design_doses[0].amount;
        assert_true(film_mg == 50 || film_mg == 100);
        ks_prediction p;
        if (ks_validate_predict(m, o, "iv", &p, &err)) fail_msg("%s", err.msg);
        assert_int_equal(p.applies, 1);
        /* Separately: film alone and infusion alone on a 6-s grid over 6-8 h, at the
         * study's mean weight (73 kg). */
        double w = o->weight_kg, t[1201];
        for (int k = 0; k <= 1200; k++)
            t[k] = 6 + k / 600.0;
        ks_dose film = {0, film_mg, 0, "film"}, iv = {6, 20, 20.0 / 60, "iv"};
        ks_sim *sf = run(m, w, -1, &film, 1, t, 1201), *si = run(m, w, -1, &iv, 1, t, 1201);
        size_t j = col(sf, "cp_esketamine_ng_ml");
        const double *cf = ks_sim_output(sf, j), *ci = ks_sim_output(si, j);
        double peak = 0, iv_peak = 0, residual = 0;
        for (int k = 0; k <= 1200; k++) {
            if (cf[k] + ci[k] > peak) peak = cf[k] + ci[k], residual = cf[k];
            if (ci[k] > iv_peak) iv_peak = ci[k];
        }
        ks_sim_free(sf);
        ks_sim_free(si);
        print_message("  simons-2022 %s: predicted %.2f ng/mL; superposition %.2f; IV alone "
                      "%.2f; film residual at the peak %.2f\n",
                      o->arm, p.value, peak, iv_peak, residual);
        KS_ASSERT_CLOSE(p.value, peak, 1e-4, 0); /* the grid peak is within 6 s of the true */
        assert_true(p.value - iv_peak > 0.9 * residual);
        assert_true(residual > (film_mg == 50 ? 2.0 : 4.0)); /* ng/mL: the film matters */
        /* perez-ruixo-2021 has iv but no film route: the row does not apply to it. */
        if (ks_validate_predict(pr, o, "iv", &p, &err)) fail_msg("%s", err.msg);
        assert_int_equal(p.applies, 0);
        assert_non_null(strstr(p.reason, "no sublingual route"));
    }
    assert_int_equal(seen, 2);
    ks_model_free(m);
    ks_model_free(pr);
    ks_obs_free(set);
}

/* ------------------------------------------------------------------ flint-2017 */

static void test_flint_2017(void **state)
{
    (void)state;
    ks_model *m = load("flint-2017");
    const char *K = "cp_esketamine_ng_ml", *NK = "cp_noresketamine_ng_ml";
    /* Published values and units (Flint 2017 abstract and Table 3 via nlmixr2lib). */
    static const pub_param pub[] = {
        {"CL", 112, "L/h"}, {"V1", 7.73, "L"},      {"Q", 196, "L/h"},
        {"V2", 545, "L"},   {"CLsnk", 53.2, "L/h"}, {"Vsnk", 1, "L"},
    };
    check_params(m, pub, sizeof pub / sizeof pub[0]);

    /* S-ketamine CL: abstract "CLS-KETAMINE =112L/h/70kg" - dose / AUCinf after a 10 mg
     * bolus at 70 kg within 1 %; at 7 kg (the median weight) 112 x 0.1^0.75 = 19.92 L/h
     * within 0.5 % (exponent 0.75 fixed, Methods 2.4 via code). AUC to 300 h. (70 kg is
     * outside the studied range; it is the paper's standardisation weight.) */
    double cl70 = clearance(m, 70, 5, 10, 0, K, 300);
    print_message("  flint-2017: CL(S-ketamine) 70 kg = %.3f L/h\n", cl70);
    KS_ASSERT_CLOSE(cl70, 112, 0.01, 0);
    KS_ASSERT_CLOSE(clearance(m, 7, 0.42, 1, 0, K, 300), 112 * pow(0.1, 0.75), 0.005, 0);

    /* S-norketamine: abstract "CLS-NORKETAMINE =53L/h/70kg" (apparent CLsnk/Fm, 53.2 in
     * Table 3 via code). All S-ketamine clearance enters mg for mg, so dose / AUCinf of the
     * S-norketamine output = CLsnk/Fm: within 1 % of 53. */
    double cln = clearance(m, 70, 5, 10, 0, NK, 300);
    print_message("  flint-2017: dose/AUC(S-norketamine) 70 kg = %.3f L/h\n", cln);
    KS_ASSERT_CLOSE(cln, 53, 0.01, 0);

    /* V1 (7.73 L/70 kg, abstract 7.7): concentration just after a bolus = dose / V1, 0.1 %,
     * at 70 kg and 7 kg (exponent 1). */
    double t0[2] = {0, 1e-9};
    ks_dose b70 = {0, 10, 0, "iv"}, b7 = {0, 1, 0, "iv"};
    ks_sim *s = run(m, 70, 5, &b70, 1, t0, 2);
    KS_ASSERT_CLOSE(conc_at(s, K, 1), 10 / 7.73 * 1000, 0.001, 0);
    ks_sim_free(s);
    s = run(m, 7, 0.42, &b7, 1, t0, 2);
    KS_ASSERT_CLOSE(conc_at(s, K, 1), 1 / 0.773 * 1000, 0.001, 0);
    ks_sim_free(s);

    /* Vss = V1 + V2 = 7.73 + 545 = 552.7 L/70 kg (abstract 7.7 + 545), 55.27 L at 7 kg. */
    const char *kc[] = {"central", "periph"};
    KS_ASSERT_CLOSE(vss(m, 70, 5, kc, 2, K, 300), 552.73, 0.001, 0);
    KS_ASSERT_CLOSE(vss(m, 7, 0.42, kc, 2, K, 300), 55.273, 0.001, 0);

    /* Continuous infusion, the study's setting: 2.4 mg/kg/h for 120 h at 7 kg (the
     * nlmixr2lib vignette's Figure 2 simulation). Steady state S-ketamine = R / CL =
     * 16.8 / 19.92 mg/L = 843 ng/mL (derived; the vignette: "about 850 ng/mL"), 0.5 %.
     * S-norketamine / S-ketamine = CL / (CLsnk/Fm) = 112 / 53.2 = 2.105 (derived, any
     * weight). KNOWN LIMITATION asserted: the published +0.870 %/h time effect on CLsnk is
     * not simulated, so the ratio is the same at 24 h and 120 h (with the effect it would
     * fall by 1.21 / 2.04); a change that implements it must update this test. */
    ks_dose inf = {0, 2.4 * 7 * 120, 120, "iv"};
    double t[3] = {0, 24, 119.9};
    s = run(m, 7, 0.42, &inf, 1, t, 3);
    KS_ASSERT_CLOSE(conc_at(s, K, 2), 16.8 / (112 * pow(0.1, 0.75)) * 1000, 0.005, 0);
    KS_ASSERT_CLOSE(conc_at(s, NK, 2) / conc_at(s, K, 2), 112 / 53.2, 0.001, 0);
    KS_ASSERT_CLOSE(conc_at(s, NK, 1) / conc_at(s, K, 1), 112 / 53.2, 0.002, 0);
    ks_sim_free(s);
    ks_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_otto_2021),
        cmocka_unit_test(test_simons_2022_iv),
        cmocka_unit_test(test_simons_2022_film),
        cmocka_unit_test(test_simons_2022_design_rows),
        cmocka_unit_test(test_flint_2017),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
