/* Calibration of the response model to the published figures of
 * ../shared/data/efficacy.md (and nothing else), and the parameter file. */
#include "ketsim/response.h"
#include "response_internal.h"

#include <jansson.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- designs */

#define DT_H KS_RESPONSE_DT_H /* 5-min grid */
enum { DS_IV02, DS_IV05, DS_IV10, DS_IV6, DS_ESK_T2, DS_ESK84, DS_N };

enum {
    F_HAN,
    F_COCHRANE,
    F_MURROUGH_AJP,
    F_LII_MEANS,
    F_LII_RESP,
    F_SU,
    F_IBRAHIM,
    F_MURROUGH_BP,
    F_PHILLIPS,
    F_TRANSFORM,
    F_CANUSO,
    F_KISHIMOTO,
    F_SUSTAIN,
    F_N
};

struct ks_response_designs {
    double *occ[DS_N];
    size_t n[DS_N];
    ks_response_withdrawal *wd; /* SUSTAIN-1's design (full designs only) */
    void (*progress)(int n_eval, double best, void *ud); /* ks_response_designs_set_progress */
    int progress_every;
    void *progress_ud;
    int ibrahim_rule; /* KS_IBRAHIM_LOSS50 (default) or KS_IBRAHIM_METHODS */
    double weight[F_N][KS_RESPONSE_MAX_POINTS]; /* ks_response_designs_set_weight; 1 */
    int stall_window;                           /* ks_response_designs_set_stall; 0: off */
    double stall_gain;
    int fit_heldout; /* ks_response_designs_set_heldout: 1 adds the predicted-only figures */
    int order;       /* ks_response_designs_set_order: 1 adds the relapse order (default 0) */
};

int ks_response_designs_set_order(ks_response_designs *d, int on)
{
    if (!d) return KS_EINVAL;
    d->order = on != 0;
    return KS_OK;
}

int ks_response_designs_order(const ks_response_designs *d)
{
    return d->order;
}

int ks_response_designs_set_heldout(ks_response_designs *d, int on)
{
    if (!d) return KS_EINVAL;
    d->fit_heldout = on != 0;
    return KS_OK;
}

int ks_response_designs_set_stall(ks_response_designs *d, int window, double gain)
{
    if (!d || (window > 0 && !(isfinite(gain) && gain > 0))) return KS_EINVAL;
    d->stall_window = window > 0 ? window : 0;
    d->stall_gain = gain;
    return KS_OK;
}

int ks_response_designs_set_ibrahim(ks_response_designs *d, int rule)
{
    if (!d || (rule != KS_IBRAHIM_LOSS50 && rule != KS_IBRAHIM_METHODS)) return KS_EINVAL;
    d->ibrahim_rule = rule;
    return KS_OK;
}

int ks_response_designs_ibrahim(const ks_response_designs *d)
{
    return d->ibrahim_rule;
}

void ks_response_designs_set_progress(ks_response_designs *d,
                                      void (*progress)(int n_eval, double best, void *ud),
                                      int every, void *ud)
{
    d->progress = every > 0 ? progress : NULL;
    d->progress_every = every;
    d->progress_ud = ud;
}

#define ESK_DAYS KS_ESK_INDUCTION_DAYS
static const double IV6_DAYS[6] = {0, 2, 4, 7, 9, 11};

void ks_response_designs_free(ks_response_designs *d)
{
    if (!d) return;
    for (int i = 0; i < DS_N; i++)
        free(d->occ[i]);
    ks_response_withdrawal_free(d->wd);
    free(d);
}

static int designs_build(const ks_model *rac_iv, const ks_model *esk_nasal, const ks_pd *pd,
                         const int *need, ks_response_designs **out, ks_error *err);

int ks_response_designs_create(const ks_model *rac_iv, const ks_model *esk_nasal, const ks_pd *pd,
                               ks_response_designs **out, ks_error *err)
{
    return designs_build(rac_iv, esk_nasal, pd, NULL, out, err);
}

int ks_response_designs_create_ptsd(const ks_model *rac_iv, const ks_pd *pd,
                                    ks_response_designs **out, ks_error *err)
{
    int need[DS_N] = {0};
    need[DS_IV6] = 1;
    return designs_build(rac_iv, NULL, pd, need, out, err);
}

/* need NULL: every design; else only those with need[ds] (the others stay empty). */
static int designs_build(const ks_model *rac_iv, const ks_model *esk_nasal, const ks_pd *pd,
                         const int *need, ks_response_designs **out, ks_error *err)
{
    *out = NULL;
    ks_response_designs *d = calloc(1, sizeof *d);
    if (!d) return ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t f = 0; f < F_N; f++)
        for (size_t i = 0; i < KS_RESPONSE_MAX_POINTS; i++)
            d->weight[f][i] = 1;
    ks_covariates cov = {0};
    ks_response_calib_cov(&cov);
    int rc = KS_OK;
    for (int ds = 0; ds < DS_N && !rc; ds++) {
        if (need && !need[ds]) continue;
        ks_dose doses[8];
        size_t nd = 0;
        double until_d = 30;
        const ks_model *m = rac_iv;
        switch (ds) {
        case DS_IV02:
        case DS_IV05:
        case DS_IV10: {
            double mgkg = ds == DS_IV02 ? 0.2 : ds == DS_IV05 ? 0.5 : 1.0;
            doses[nd++] = (ks_dose){0.0, mgkg * 70.0, 40.0 / 60.0, "iv"};
            break;
        }
        case DS_IV6:
            for (int i = 0; i < 6; i++)
                doses[nd++] = (ks_dose){24.0 * IV6_DAYS[i], 35.0, 40.0 / 60.0, "iv"};
            until_d = 60;
            break;
        default:
            m = esk_nasal;
            for (int i = 0; i < KS_ESK_INDUCTION_N; i++)
                doses[nd++] = (ks_dose){24.0 * ESK_DAYS[i],
                                        ds == DS_ESK_T2 && i == 0 ? KS_ESK_FIRST_MG : KS_ESK_MG,
                                        0.0, "nasal"};
        }
        /* Models that do not use age ignore it; a model that needs another covariate
         * fails here with its name. */
        rc = ks_response_occupancy(m, pd, &cov, doses, nd, 24.0 * until_d, DT_H, &d->occ[ds],
                                   &d->n[ds], err);
        if (rc) ks_error_prefix(err, "calibration design %d", ds);
    }
    if (!rc && !need) {
        rc = ks_response_withdrawal_create(esk_nasal, pd, &d->wd, err);
        if (rc) ks_error_prefix(err, "calibration design SUSTAIN-1");
    }
    if (rc) {
        ks_response_designs_free(d);
        return rc;
    }
    *out = d;
    return KS_OK;
}

/* ---------------------------------------------------------------- figures */

static const ks_response_figure FIG[F_N] = {
    {"han2016-pooled", "Han 2016",
     "pooled ketamine-arm response (>=50 %) and remission at 24 h, 72 h, day 7 after 0.5 mg/kg IV "
     "(awake RCTs, drug arm: active context); remission as HRSD <= 7 at the Zarate 2006 baseline "
     "24.89",
     "Han Y et al. 2016, Neuropsychiatr Dis Treat 12:2859, doi:10.2147/NDT.S117146 "
     "(efficacy.md 25f, level B)",
     "% of patients", 6},
    {"cochrane2021-controls", "Cochrane 2021",
     "control-arm response and remission at 24 h: saline (placebo) and midazolam",
     "Cochrane 2021 CD011612.pub3 Summary of findings 1 and 2, doi:10.1002/14651858.CD011612.pub3 "
     "(efficacy.md 25a, level A)",
     "% of patients", 4},
    {"murrough2013ajp", "Murrough 2013 AJP",
     "ratio of the 24-h MADRS change, ketamine 0.5 mg/kg (-16.5) to midazolam (-8.8)",
     "Murrough JW et al. 2013, Am J Psychiatry 170:1134 (APA 2013 meeting abstract; "
     "efficacy.md 3, level C)",
     "ratio", 1},
    {"lii2023-means", "Lii 2023",
     "mean MADRS on days 1, 2, 3, 5, 7, 14 after 0.5 mg/kg IV or saline during general "
     "anaesthesia (ketamine arm first, then saline)",
     "Lii TR et al. 2023, Nat Ment Health 1:876, doi:10.1038/s44220-023-00140-x, Extended Data "
     "Table 1 (efficacy.md 4, level A)",
     "MADRS points", 12},
    {"lii2023-response", "Lii 2023",
     "MADRS response (>=50 %) on days 1, 2, 3, 5, 7, 14, ketamine arm then saline arm",
     "Lii TR et al. 2023, doi:10.1038/s44220-023-00140-x, Extended Data Table 1 (efficacy.md 4, "
     "level A)",
     "% of patients", 12},
    {"su2017-dose", "Su 2017",
     "responders (>50 % HAMD reduction on >= 2 days of days 2-5, read as response on day 3): "
     "saline, 0.2 and 0.5 mg/kg IV",
     "Su TP et al. 2017, Neuropsychopharmacology, doi:10.1038/npp.2017.94 (efficacy.md 6, level B)",
     "% of patients", 3},
    {"ibrahim2012-durability", "Ibrahim 2012",
     "day-1 responders to one 0.5 mg/kg infusion: share not relapsed by 4 weeks (27 %) and mean "
     "time to relapse (13.2 d, SE 2.2, read as the mean restricted to the 4-week study from the "
     "infusion); relapse read as loss of the >= 50 % reduction (an assumption: the paper's own "
     "rule, found later on a level-D copy of its Methods, is fitted only with --ibrahim-rule "
     "methods; docs/response-model.md)",
     "Ibrahim L et al. 2012, Neuropsychopharmacology 37:1526, doi:10.1038/npp.2011.338 "
     "(efficacy.md 9, level B)",
     "% of responders / days", 2},
    {"murrough2013bp-series", "Murrough 2013 BP",
     "six 0.5 mg/kg infusions 3x/week over 12 days: response 24 h after the sixth (70.8 %), and "
     "the share of responders not relapsed 18 days after the last infusion (the median: 50 %)",
     "Murrough JW et al. 2013, Biol Psychiatry 74:250, doi:10.1016/j.biopsych.2012.06.022 "
     "(efficacy.md 11, level B)",
     "% of patients / % of responders", 2},
    {"phillips2019-series", "Phillips 2019",
     "response after six open 0.5 mg/kg infusions thrice weekly over 2 weeks (59 %), read 24 h "
     "after the sixth",
     "Phillips JL et al. 2019, Am J Psychiatry 176:401, doi:10.1176/appi.ajp.2018.18070834 "
     "(efficacy.md 15, level B)",
     "% of patients", 1},
    {"transform-esketamine", "TRANSFORM",
     "esketamine nasal 2x/week (56 mg then 84 mg) + new oral AD vs AD + placebo: TRANSFORM-2 "
     "day-28 "
     "response and remission (MADRS <= 12); pooled TRANSFORM-1/2 day-2 and day-28 response "
     "(esketamine arm then control); TRANSFORM-2 day-28 difference of means",
     "TRANSFORM-2 (Popova 2019) via PMC7894501 Table 1 (level A), PMC8921149 Table 4 baseline "
     "(level A), Turkoz 2021 J Clin Psychiatry (level B); efficacy.md 20",
     "% of patients / MADRS points", 9},
    {"canuso2018-difference", "Canuso 2018",
     "esketamine 84 mg 2x/week + standard of care vs placebo: MADRS difference of means at 4 h, "
     "24 h and day 25 (read before that day's dose)",
     "Canuso CM et al. 2018, Am J Psychiatry, doi:10.1176/appi.ajp.2018.17060720 (efficacy.md 22, "
     "level B)",
     "MADRS points", 3},
    {"kishimoto2016-shape", "Kishimoto 2016",
     "shape of the single-infusion effect over control (0.5 mg/kg, awake): peak at day 1, read "
     "as the day-1 effect over the largest at the usual rating times (40, 80, 110, 230 min, "
     "days 1, 2, 3, 7) = 1 (SE 0.1); superiority lost by days 10-12, read as the day-11 effect "
     "over the peak = 0 (SE 0.15, so that 30 % of the peak is 2 SE)",
     "Kishimoto T et al. 2016, Psychol Med 46:1459, doi:10.1017/S0033291716000064 (efficacy.md "
     "25d, level B)",
     "ratio / fraction of peak", 2},
    {"sustain1-relapse", "SUSTAIN-1",
     "stable remitters after 16 weeks of esketamine + a new oral AD (TRANSFORM induction, then "
     "optimisation), randomised to continue esketamine or switch to placebo spray: share "
     "relapsed (MADRS >= 22 on two assessments 5-15 d apart) by 17.7 weeks, the esketamine "
     "arm's median exposure (the crude 24/90 and 39/86 read so: an assumption); esketamine arm "
     "then placebo arm; the individualised maintenance frequency (not found) read as the mean "
     "of all weekly and all every other week; by the deterministic quadrature (M 4096)",
     "Daly EJ et al. 2019, JAMA Psychiatry 76:893, doi:10.1001/jamapsychiatry.2019.1189 "
     "(efficacy.md 21, level B)",
     "% of stable remitters", 2},
};

/* Figures of efficacy.md predicted, not fitted (docs/response-model.md, "Predicted, not
 * fitted"): a row of efficacy.md's anchor table whose section is missing there, its source
 * found on 2026-11-23. Not in the objective: an out-of-sample test first, as SUSTAIN-1 was. */
enum { H_SHIROMA, H_N };
static const ks_response_figure HELDOUT[H_N] = {
    {"shiroma2014-series", "Shiroma 2014",
     "six 0.5 mg/kg infusions over 40 min on a Monday-Wednesday-Friday schedule over 12 days, "
     "stable antidepressants kept (read as the awake open-label context, their effect in the "
     "baseline), the 12 completers: responders after the first infusion (3 of 12, read 24 h "
     "after it), after the sixth (11 of 12, read 24 h after it), responders still responding "
     "4 weeks after the last infusion (5 of 11; relapse read as loss of the >= 50 % reduction, "
     "checked daily: the abstract gives neither rule), and the mean time to relapse of the 6 "
     "who relapsed (16 d, counted from the last infusion: no SE published, shown and not "
     "judged)",
     "Shiroma PR, Johns B, Kuskowski M, Wels J, Thuras P, Albott CS, Lim KO 2014, J Affect "
     "Disord 155:123-129, abstract on the University of Minnesota research portal "
     "(experts.umn.edu, read 2026-11-23; the same text at avyia.com; DOI not found) (level B); "
     "efficacy.md's anchor table row \"Six infusions, on stable ADs\" (its section 13 is "
     "missing there)",
     "% of patients / % of responders / days", 4},
};

int ks_response_designs_set_weight(ks_response_designs *d, size_t figure, size_t point, double w,
                                   ks_error *err)
{
    if (!d) return ks_error_set(err, KS_EINVAL, "figure weight: no designs");
    if (figure >= F_N)
        return ks_error_set(err, KS_EINVAL, "figure weight: figure %zu out of range (0-%d)", figure,
                            F_N - 1);
    if (point >= FIG[figure].n_points)
        return ks_error_set(err, KS_EINVAL,
                            "figure weight: %s has %zu points; point %zu is out of range",
                            FIG[figure].id, FIG[figure].n_points, point + 1);
    if (!(isfinite(w) && w >= 0))
        return ks_error_set(err, KS_EINVAL, "figure weight: %g is not a finite weight >= 0", w);
    d->weight[figure][point] = w;
    return KS_OK;
}

double ks_response_designs_weight(const ks_response_designs *d, size_t figure, size_t point)
{
    if (!d || figure >= F_N || point >= FIG[figure].n_points) return NAN;
    return d->weight[figure][point];
}

size_t ks_response_n_figures(void)
{
    return F_N;
}
const ks_response_figure *ks_response_figure_at(size_t i)
{
    return i < F_N ? &FIG[i] : NULL;
}

static double se_p(double pct, double n)
{
    double p = pct / 100.0;
    if (p < 0.05) p = 0.05;
    if (p > 0.95) p = 0.95;
    return 100.0 * sqrt(p * (1 - p) / n);
}

static const double LII_DAYS[6] = {1, 2, 3, 5, 7, 14};

static void figure_needs(size_t fi, int *need)
{
    switch (fi) {
    case F_SU:
        need[DS_IV02] = need[DS_IV05] = 1;
        break;
    case F_MURROUGH_BP:
    case F_PHILLIPS:
        need[DS_IV6] = 1;
        break;
    case F_TRANSFORM:
        need[DS_ESK_T2] = 1;
        break;
    case F_CANUSO:
        need[DS_ESK84] = 1;
        break;
    case F_COCHRANE:
    case F_SUSTAIN: /* its own design (eval_sustain) */
        break;
    default:
        need[DS_IV05] = 1;
    }
}

/* Drug states D of the designs in need[] (others NULL). */
static int drives(const ks_response_designs *d, const ks_response_params *p, const int *need,
                  double **D, ks_error *err)
{
    int rc = KS_OK;
    for (int ds = 0; ds < DS_N; ds++)
        D[ds] = NULL;
    for (int ds = 0; ds < DS_N && !rc; ds++) {
        if (!need[ds]) continue;
        if (!d->occ[ds]) {
            rc = ks_error_set(err, KS_ESTATE,
                              "calibration design %d was not built (designs made for the PTSD "
                              "stage only)",
                              ds);
            break;
        }
        D[ds] = malloc(d->n[ds] * sizeof(double));
        if (!D[ds]) {
            rc = ks_error_set(err, KS_ENOMEM, "out of memory");
            break;
        }
        ks_response_states st = {NULL, NULL, NULL, NULL, D[ds], NULL};
        rc = ks_response_drive(p, d->occ[ds], d->n[ds], DT_H, &st, err);
    }
    return rc;
}

static void eval_fig(const ks_response_params *p, size_t fi, double *const *D, int rule,
                     double *obs, double *pred, double *se);

/* SUSTAIN-1 (F_SUSTAIN): its own design and computation (ks_response_withdraw_quad). */
#define SUSTAIN_M 4096
static int eval_sustain(const ks_response_designs *d, const ks_response_params *p, double *obs,
                        double *pred, double *se, ks_error *err)
{
    if (!d->wd)
        return ks_error_set(err, KS_ESTATE,
                            "calibration design SUSTAIN-1 was not built (designs made for the "
                            "PTSD stage only)");
    const double o[2] = {26.7, 45.3}, nn[2] = {90, 86}; /* 24/90, 39/86 */
    double sum[2] = {0, 0};
    for (int s = 0; s < KS_WD_N_SCHEDULES; s++) {
        ks_response_withdrawal_result r;
        int rc = ks_response_withdraw_quad(d->wd, p, s, SUSTAIN_M, 0, &r, err);
        if (rc) return rc;
        for (int a = 0; a < 2; a++)
            sum[a] += r.share_by_exposure[a] / KS_WD_N_SCHEDULES;
    }
    for (int a = 0; a < 2; a++) {
        obs[a] = o[a];
        pred[a] = 100.0 * sum[a];
        se[a] = se_p(o[a], nn[a]);
    }
    return KS_OK;
}

size_t ks_response_n_heldout(void)
{
    return H_N;
}
const char *ks_response_heldout_point(size_t i, size_t k)
{
    static const char *const SHIROMA[4] = {
        "responders 24 h after the first infusion, % of patients",
        "responders 24 h after the sixth, % of patients",
        "responders still responding 4 weeks after the last infusion, % of responders",
        "mean time to relapse of those who relapsed within the 4 weeks, days after the last "
        "infusion"};
    return i == H_SHIROMA && k < 4 ? SHIROMA[k] : NULL;
}
const ks_response_figure *ks_response_heldout_at(size_t i)
{
    return i < H_N ? &HELDOUT[i] : NULL;
}

/* Predicted-only figure i from the six-infusion drug state D6 of q (q's last visit set
 * to the sixth infusion). */
static void heldout_fig(const ks_response_params *q, size_t i, const double *D6, double *obs,
                        double *pred, double *se)
{
    (void)i; /* one figure so far: Shiroma 2014 */
    const double tl = 24 * IV6_DAYS[5];
    obs[0] = 100.0 * 3 / 12;
    pred[0] = 100 * ks_response_p_response(q, KS_CTX_ACTIVE, 24, D6[(size_t)llround(24 / DT_H)]);
    se[0] = se_p(obs[0], 12);
    obs[1] = 100.0 * 11 / 12;
    pred[1] = 100 * ks_response_p_response(q, KS_CTX_ACTIVE, tl + 24,
                                           D6[(size_t)llround((tl + 24) / DT_H)]);
    se[1] = se_p(obs[1], 12);
    /* daily from the responders 24 h after the sixth to 28 d after it: sv[j] on day j + 1 */
    size_t step = (size_t)llround(24 / DT_H), k0 = (size_t)llround((tl + 24) / DT_H),
           k1 = (size_t)llround((tl + 28 * 24) / DT_H);
    double sv[28];
    obs[2] = 100.0 * 5 / 11;
    se[2] = se_p(obs[2], 11);
    obs[3] = 16;
    se[3] = NAN;
    if (ks_response_survival(q, KS_CTX_ACTIVE, D6, k0, k1, DT_H, step, sv)) {
        pred[2] = pred[3] = NAN;
        return;
    }
    pred[2] = 100 * sv[27];
    /* the relapsers' mean day: relapse on day j + 1 with probability sv[j-1] - sv[j] */
    double m = 0;
    for (int j = 1; j < 28; j++)
        m += (j + 1) * (sv[j - 1] - sv[j]);
    pred[3] = sv[27] < 1 ? m / (1 - sv[27]) : NAN;
}

int ks_response_heldout_eval(const ks_response_designs *d, const ks_response_params *p_in, size_t i,
                             double *obs, double *pred, double *se, ks_error *err)
{
    if (i >= H_N) return ks_error_set(err, KS_EINVAL, "no predicted-only figure %zu", i);
    int need[DS_N] = {0};
    need[DS_IV6] = 1;
    double *D[DS_N];
    ks_response_params q = *p_in;
    q.last_visit_h = 24 * IV6_DAYS[5];
    int rc = drives(d, &q, need, D, err);
    if (!rc) heldout_fig(&q, i, D[DS_IV6], obs, pred, se);
    free(D[DS_IV6]); /* allocated also when the drive itself failed */
    return rc;
}

int ks_response_figure_eval(const ks_response_designs *d, const ks_response_params *p, size_t fi,
                            double *obs, double *pred, double *se, ks_error *err)
{
    if (fi >= F_N) return ks_error_set(err, KS_EINVAL, "no figure %zu", fi);
    if (fi == F_SUSTAIN) return eval_sustain(d, p, obs, pred, se, err);
    int need[DS_N] = {0};
    figure_needs(fi, need);
    double *D[DS_N];
    int rc = drives(d, p, need, D, err);
    if (!rc) eval_fig(p, fi, D, d->ibrahim_rule, obs, pred, se);
    for (int ds = 0; ds < DS_N; ds++)
        free(D[ds]);
    return rc;
}

static void eval_fig(const ks_response_params *p_in, size_t fi, double *const *D, int rule,
                     double *obs, double *pred, double *se)
{
    /* The design's last treatment visit (both arms share the visits). */
    ks_response_params q = *p_in;
    const ks_response_params *p = &q;
    switch (fi) {
    case F_MURROUGH_BP:
    case F_PHILLIPS:
        q.last_visit_h = 24 * IV6_DAYS[5];
        break;
    case F_TRANSFORM:
    case F_CANUSO:
        q.last_visit_h = 24 * ESK_DAYS[7];
        break;
    default:
        q.last_visit_h = 0;
    }
#define AT(ds, t_h) (D[ds][(size_t)llround((t_h) / DT_H)])
#define PCT(x) (100.0 * (x))
    switch (fi) {
    case F_HAN: {
        const double t[3] = {24, 72, 168}, r[3] = {52.2, 47.9, 39.8}, q[3] = {20.6, 23.8, 26.2};
        for (int i = 0; i < 3; i++) {
            double dd = AT(DS_IV05, t[i]);
            obs[i] = r[i];
            pred[i] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, t[i], dd));
            se[i] = se_p(r[i], 184);
            obs[3 + i] = q[i];
            pred[3 + i] = PCT(ks_response_p_remission(p, KS_CTX_ACTIVE, t[i], dd, 7.0, 24.89, 0.0));
            se[3 + i] = se_p(q[i], 184);
        }
        break;
    }
    case F_COCHRANE:
        obs[0] = 8.8, pred[0] = PCT(ks_response_p_response(p, KS_CTX_SALINE, 24, 0)),
        se[0] = se_p(8.8, 92);
        obs[1] = 25.9, pred[1] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, 24, 0)),
        se[1] = se_p(25.9, 148);
        obs[2] = 2.4,
        pred[2] = PCT(ks_response_p_remission(p, KS_CTX_SALINE, 24, 0, 7.0, 24.89, 0.0)),
        se[2] = se_p(2.4, 37);
        obs[3] = 18.0,
        pred[3] = PCT(ks_response_p_remission(p, KS_CTX_ACTIVE, 24, 0, 7.0, 24.89, 0.0)),
        se[3] = se_p(18.0, 61);
        break;
    case F_MURROUGH_AJP: {
        double k = 1.0 - ks_response_mean_ratio(p, KS_CTX_ACTIVE, 24, AT(DS_IV05, 24));
        double m = 1.0 - ks_response_mean_ratio(p, KS_CTX_ACTIVE, 24, 0);
        obs[0] = 16.5 / 8.8;
        pred[0] = m > 0 ? k / m : 1e3;
        /* delta method from the t statistics: SE 16.5/10.31 and 8.8/4.63 points */
        se[0] = obs[0] * sqrt(pow(1.0 / 10.31, 2) + pow(1.0 / 4.63, 2));
        break;
    }
    case F_LII_MEANS: {
        const double mk[6] = {12.7, 15.1, 17.0, 16.9, 15.9, 16.9},
                     sk[6] = {7.6, 11.1, 10.5, 8.0, 9.2, 10.0}, nk[6] = {20, 19, 19, 19, 18, 19};
        const double ms[6] = {16.4, 17.5, 17.2, 16.9, 18.5, 16.2},
                     ss[6] = {10.0, 11.5, 12.0, 10.1, 10.8, 12.5}, ns[6] = {19, 20, 20, 18, 19, 19};
        for (int i = 0; i < 6; i++) {
            double t = 24 * LII_DAYS[i];
            obs[i] = mk[i];
            pred[i] = 25.1 * ks_response_mean_ratio(p, KS_CTX_ANAES, t, AT(DS_IV05, t));
            se[i] = sk[i] / sqrt(nk[i]);
            obs[6 + i] = ms[i];
            pred[6 + i] = 29.9 * ks_response_mean_ratio(p, KS_CTX_ANAES, t, 0);
            se[6 + i] = ss[i] / sqrt(ns[i]);
        }
        break;
    }
    case F_LII_RESP: {
        const double rk[6] = {60.0, 50.0, 45.0, 36.8, 31.6, 42.1},
                     rs[6] = {50.0, 60.0, 50.0, 42.1, 36.8, 57.9};
        for (int i = 0; i < 6; i++) {
            double t = 24 * LII_DAYS[i];
            obs[i] = rk[i];
            pred[i] = PCT(ks_response_p_response(p, KS_CTX_ANAES, t, AT(DS_IV05, t)));
            se[i] = se_p(rk[i], i < 4 ? 20 : 19);
            obs[6 + i] = rs[i];
            pred[6 + i] = PCT(ks_response_p_response(p, KS_CTX_ANAES, t, 0));
            se[6 + i] = se_p(rs[i], i < 4 ? 20 : 19);
        }
        break;
    }
    case F_SU:
        obs[0] = 12.5, pred[0] = PCT(ks_response_p_response(p, KS_CTX_SALINE, 72, 0)),
        se[0] = se_p(12.5, 24);
        obs[1] = 39.1, pred[1] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, 72, AT(DS_IV02, 72))),
        se[1] = se_p(39.1, 23);
        obs[2] = 45.8, pred[2] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, 72, AT(DS_IV05, 72))),
        se[2] = se_p(45.8, 24);
        break;
    case F_IBRAHIM: {
        obs[0] = 27.0;
        obs[1] = 13.2;
        se[0] = se_p(27.0, 20);
        se[1] = 2.2;
        if (rule == KS_IBRAHIM_METHODS) {
            /* The Methods' rule (level-D copy): responders >= 50 % at any rating up to 230 min
             * (40, 80, 120, 230 min: the NIMH protocol of Phelps 2009, efficacy.md 10b,
             * assumed); relapse < 25 % improvement on two consecutive daily ratings (days
             * 1..28), dated on the first; a relapse on day 28 cannot be confirmed. */
            const size_t kr[4] = {
                (size_t)llround(40 / 60.0 / DT_H), (size_t)llround(80 / 60.0 / DT_H),
                (size_t)llround(120 / 60.0 / DT_H), (size_t)llround(230 / 60.0 / DT_H)};
            size_t kc[28];
            double sv[28];
            for (int j = 0; j < 28; j++)
                kc[j] = (size_t)llround(24.0 * (j + 1) / DT_H);
            if (ks_response_survival_rule(p, KS_CTX_ACTIVE, D[DS_IV05], DT_H, kr, 4, log(2.0), kc,
                                          28, -log(0.75), 2, sv)) {
                pred[0] = pred[1] = NAN;
                break;
            }
            pred[0] = PCT(sv[27]);
            /* restricted mean: not relapsed on [0, 1 d), then sv[d-1] on [d, d+1), d 1..27 */
            double area = 1;
            for (int j = 0; j < 27; j++)
                area += sv[j];
            pred[1] = area;
            break;
        }
        /* daily ratings (Ibrahim 2012: inpatients rated daily) */
        size_t k0 = (size_t)llround(24 / DT_H), k1 = (size_t)llround(28 * 24 / DT_H), step = 288;
        size_t m = (k1 - k0) / step + 1;
        double sv[700];
        if (m > 700 || ks_response_survival(p, KS_CTX_ACTIVE, D[DS_IV05], k0, k1, DT_H, step, sv)) {
            pred[0] = pred[1] = NAN;
            break;
        }
        pred[0] = PCT(sv[m - 1]);
        /* restricted mean from the infusion to day 28, a relapse dated at its daily check
         * (a step curve, as the Methods branch above and ks_response_trial_relapse): not
         * relapsed on [0, 1 d), then sv[d-1] on [d, d+1), d 1..27 */
        double area = 1;
        for (size_t j = 0; j + 1 < m; j++)
            area += sv[j] * (double)step * DT_H / 24;
        pred[1] = area;
        break;
    }
    case F_MURROUGH_BP: {
        double tl = 24 * IV6_DAYS[5];
        obs[0] = 70.8;
        pred[0] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, tl + 24, AT(DS_IV6, tl + 24)));
        se[0] = se_p(70.8, 24);
        size_t k0 = (size_t)llround((tl + 24) / DT_H), k1 = (size_t)llround((tl + 18 * 24) / DT_H);
        obs[1] = 50.0;
        { /* daily checks (an assumption: Murrough 2013's follow-up schedule not found) */
            double sv[18];
            pred[1] = ks_response_survival(p, KS_CTX_ACTIVE, D[DS_IV6], k0, k1, DT_H, 288, sv)
                          ? NAN
                          : PCT(sv[17]);
        }
        se[1] = se_p(50.0, 17);
        break;
    }
    case F_PHILLIPS: {
        double t = 24 * IV6_DAYS[5] + 24;
        obs[0] = 59.0;
        pred[0] = PCT(ks_response_p_response(p, KS_CTX_ACTIVE, t, AT(DS_IV6, t)));
        se[0] = se_p(59.0, 41);
        break;
    }
    case F_TRANSFORM: {
        double t28 = 27 * 24, t2 = 24, dd28 = AT(DS_ESK_T2, t28), dd2 = AT(DS_ESK_T2, t2);
        const double o[8] = {69.3, 52.0, 52.5, 31.0, 17.3, 9.4, 58.7, 45.2};
        const double nn[8] = {114, 109, 114, 109, 318, 203, 310, 208};
        pred[0] = ks_response_p_response(p, KS_CTX_ORAL_AD, t28, dd28);
        pred[1] = ks_response_p_response(p, KS_CTX_ORAL_AD, t28, 0);
        pred[2] = ks_response_p_remission(p, KS_CTX_ORAL_AD, t28, dd28, 12, 37.7, 5.49);
        pred[3] = ks_response_p_remission(p, KS_CTX_ORAL_AD, t28, 0, 12, 37.7, 5.49);
        pred[4] = ks_response_p_response(p, KS_CTX_ORAL_AD, t2, dd2);
        pred[5] = ks_response_p_response(p, KS_CTX_ORAL_AD, t2, 0);
        pred[6] = pred[0];
        pred[7] = pred[1];
        for (int i = 0; i < 8; i++) {
            obs[i] = o[i];
            pred[i] = PCT(pred[i]);
            se[i] = se_p(o[i], nn[i]);
        }
        obs[8] = 4.0;
        pred[8] = 37.7 * ks_response_mean_diff_ratio(p, KS_CTX_ORAL_AD, t28, dd28);
        se[8] = 1.69;
        break;
    }
    case F_CANUSO: {
        const double t[3] = {4, 24, 24 * 24}, o[3] = {5.3, 7.2, 4.5}, s[3] = {2.10, 2.85, 3.14};
        for (int i = 0; i < 3; i++) {
            obs[i] = o[i];
            pred[i] = 38.65 * ks_response_mean_diff_ratio(p, KS_CTX_SOC, t[i], AT(DS_ESK84, t[i]));
            se[i] = s[i];
        }
        break;
    }
    case F_KISHIMOTO: {
        /* drug effect over a same-context control */
        const double th[8] = {40.0 / 60, 80.0 / 60, 110.0 / 60, 230.0 / 60, 24, 48, 72, 168};
        double best = 0, peak = 0;
        for (int i = 0; i < 8; i++) {
            double e = ks_response_mean_diff_ratio(p, KS_CTX_ACTIVE, th[i], AT(DS_IV05, th[i]));
            if (e > best) best = e;
        }
        for (int h = 1; h <= 24 * 14; h++) {
            double e = ks_response_mean_diff_ratio(p, KS_CTX_ACTIVE, h, AT(DS_IV05, h));
            if (e > peak) peak = e;
        }
        double e24 = ks_response_mean_diff_ratio(p, KS_CTX_ACTIVE, 24, AT(DS_IV05, 24));
        obs[0] = 1;
        pred[0] = best > 0 ? e24 / best : 0;
        se[0] = 0.1;
        obs[1] = 0;
        pred[1] = peak > 0 ? ks_response_mean_diff_ratio(p, KS_CTX_ACTIVE, 24 * 11,
                                                         AT(DS_IV05, 24 * 11)) /
                                 peak
                           : 1;
        se[1] = 0.15;
        break;
    }
    }
#undef AT
#undef PCT
}

/* ---------------------------------------------------------------- fit */

void ks_response_params_start(ks_response_params *p)
{
    const double s[KS_RP_N] = {6,   0.2, 1,   18,  7,  1,  0.8, 0.1, 0.3, 0.5,
                               0.6, 14,  0.4, 0.8, 30, 14, 1,   0.5, 14};
    memcpy(p->v, s, sizeof s);
    p->last_visit_h = 0;
    p->first_visit_h = 0;
}

void ks_response_params_bounds(ks_response_params *lo, ks_response_params *hi)
{
    /* t_untrap_h .. w_cons, fluct_share, t_fluct_d, in the order of ks_response_param */
    static const double l[] = {0.5,  0.01, 0.001, 2,    0.5, 0.05, 0.05,  0.005, 0.01, 0.01,
                               0.01, 1,    0.01,  0.05, 1,   1,    0.001, 0.001, 0.5};
    static const double h[] = {48, 1,  10, 96, 60,   20,  3,  2,    2,  3,
                               3,  60, 3,  3,  2000, 200, 20, 0.99, 365};
    _Static_assert(sizeof l / sizeof *l == KS_RP_N, "one lower bound per parameter");
    _Static_assert(sizeof h / sizeof *h == KS_RP_N, "one upper bound per parameter");
    memcpy(lo->v, l, sizeof l);
    memcpy(hi->v, h, sizeof h);
}

/* The objective's order term (ks_response_designs_set_order); a median that cannot be
 * computed counts as a failed order. */
static double order_penalty(double one_d, double six_d)
{
    if (!(isfinite(one_d) && isfinite(six_d))) return 1e12;
    double short_d = KS_RESPONSE_ORDER_MARGIN_D - (six_d - one_d);
    return short_d > 0 ? KS_RESPONSE_ORDER_WEIGHT * short_d * short_d : 0;
}

/* The day after the last dose at which the share of responders (24 h after it) still
 * responding falls to one half, linear between the daily checks sv[j] (day 1 + j), or the
 * last check's day when it has not fallen there (censored: a lower bound). With the
 * crossing between the checks of days j and j + 1 the daily-check median is day j + 1, so
 * two such days a day or more apart order the daily-check medians the same way. */
static double median_interp(const double *sv, size_t m)
{
    for (size_t j = 1; j < m; j++)
        if (sv[j] < 0.5) return (double)j + (sv[j - 1] - 0.5) / (sv[j - 1] - sv[j]);
    return (double)m;
}

/* The median relapse (median_interp) after the course of design D, whose last dose is at
 * last_h, checked daily to the end of the design; NAN when it cannot be computed. */
static double order_median(const ks_response_params *p_in, const double *D, size_t n, double last_h)
{
    ks_response_params q = *p_in;
    q.last_visit_h = last_h;
    size_t k0 = (size_t)llround((last_h + 24) / DT_H), step = (size_t)llround(24 / DT_H);
    if (n <= k0) return NAN;
    size_t m = (n - 1 - k0) / step + 1;
    double sv[64];
    if (m > 64 ||
        ks_response_survival(&q, KS_CTX_ACTIVE, D, k0, k0 + (m - 1) * step, DT_H, step, sv))
        return NAN;
    return median_interp(sv, m);
}

int ks_response_order_eval(const ks_response_designs *d, const ks_response_params *p, double *one_d,
                           double *six_d, double *penalty, ks_error *err)
{
    int need[DS_N] = {0};
    need[DS_IV05] = need[DS_IV6] = 1;
    double *D[DS_N];
    int rc = drives(d, p, need, D, err);
    double x1 = NAN, x6 = NAN;
    if (!rc) {
        x1 = order_median(p, D[DS_IV05], d->n[DS_IV05], 0);
        x6 = order_median(p, D[DS_IV6], d->n[DS_IV6], 24 * IV6_DAYS[5]);
    }
    for (int ds = 0; ds < DS_N; ds++)
        free(D[ds]);
    if (one_d) *one_d = x1;
    if (six_d) *six_d = x6;
    if (penalty) *penalty = order_penalty(x1, x6);
    return rc;
}

double ks_response_objective(const ks_response_designs *d, const ks_response_params *p,
                             const int *use)
{
    if (ks_response_params_check(p, NULL)) return HUGE_VAL;
    int need[DS_N] = {0};
    for (size_t f = 0; f < F_N; f++)
        if (!use || use[f]) figure_needs(f, need);
    if (d->fit_heldout) need[DS_IV6] = 1;
    if (d->order) need[DS_IV05] = need[DS_IV6] = 1;
    double *D[DS_N];
    double sum = 0;
    if (drives(d, p, need, D, NULL))
        sum = HUGE_VAL;
    else
        for (size_t f = 0; f < F_N; f++) {
            if (use && !use[f]) continue;
            double obs[16], pred[16], se[16];
            if (f == F_SUSTAIN) {
                if (eval_sustain(d, p, obs, pred, se, NULL)) {
                    sum = HUGE_VAL;
                    break;
                }
            } else
                eval_fig(p, f, D, d->ibrahim_rule, obs, pred, se);
            for (size_t i = 0; i < FIG[f].n_points; i++) {
                double z = (pred[i] - obs[i]) / se[i];
                sum += isfinite(z) ? d->weight[f][i] * z * z : 1e12;
            }
        }
    /* the predicted-only figures, when set to be fitted (a sensitivity fit); their points
     * without a published SE stay out */
    for (size_t h = 0; d->fit_heldout && sum < HUGE_VAL && h < H_N; h++) {
        double obs[16], pred[16], se[16];
        ks_response_params q = *p;
        q.last_visit_h = 24 * IV6_DAYS[5];
        heldout_fig(&q, h, D[DS_IV6], obs, pred, se);
        for (size_t i = 0; i < HELDOUT[h].n_points; i++) {
            if (isnan(se[i])) continue;
            double z = (pred[i] - obs[i]) / se[i];
            sum += isfinite(z) ? z * z : 1e12;
        }
    }
    if (d->order && sum < HUGE_VAL)
        sum += order_penalty(order_median(p, D[DS_IV05], d->n[DS_IV05], 0),
                             order_median(p, D[DS_IV6], d->n[DS_IV6], 24 * IV6_DAYS[5]));
    for (int ds = 0; ds < DS_N; ds++)
        free(D[ds]);
    return sum;
}

typedef struct fit_ctx {
    const ks_response_designs *d;
    const int *use;
    int n_eval;
    double best;        /* the lowest objective so far (for progress) */
    int idx[KS_RP_N];   /* parameter of each optimised coordinate */
    double v0[KS_RP_N]; /* every parameter's value: the held ones stay */
    /* the stall rule, within the running pass (opt NULL between passes: the probes) */
    nlopt_opt opt;
    double mark;      /* the best objective of the pass at the start of the window */
    int since;        /* evaluations of the pass since then */
    int stalled;      /* the pass was stopped by the rule */
    double pass_best; /* the lowest objective of the running pass */
} fit_ctx;

/* The stall rule (ks_response_designs_set_stall), after an evaluation of a pass. */
static void stall_check(fit_ctx *c, double f)
{
    if (!c->opt || c->d->stall_window < 1) return;
    if (c->mark == HUGE_VAL) c->mark = f; /* the pass's start point: its first evaluation */
    if (f < c->pass_best) c->pass_best = f;
    if (++c->since < c->d->stall_window) return;
    if (c->mark - c->pass_best < c->d->stall_gain) {
        c->stalled = 1;
        nlopt_force_stop(c->opt);
    }
    c->mark = c->pass_best;
    c->since = 0;
}

static double nl_obj(unsigned n, const double *x, double *grad, void *ud)
{
    (void)grad;
    fit_ctx *c = ud;
    ks_response_params p;
    p.last_visit_h = 0;
    p.first_visit_h = 0;
    memcpy(p.v, c->v0, sizeof p.v);
    for (unsigned i = 0; i < n; i++)
        p.v[c->idx[i]] = exp(x[i]);
    c->n_eval++;
    double f = ks_response_objective(c->d, &p, c->use);
    if (f < c->best) c->best = f;
    stall_check(c, f);
    if (c->d->progress && c->n_eval % c->d->progress_every == 0)
        c->d->progress(c->n_eval, c->best, c->d->progress_ud);
    return f;
}

int ks_response_calibrate(const ks_response_designs *d, const ks_response_params *start,
                          const int *use, int max_eval, ks_response_params *out, double *objective,
                          int *n_eval, int *converged, ks_error *err)
{
    return ks_response_calibrate_held(d, start, use, NULL, max_eval, out, objective, n_eval,
                                      converged, err);
}

int ks_response_calibrate_held(const ks_response_designs *d, const ks_response_params *start,
                               const int *use, const int *held, int max_eval,
                               ks_response_params *out, double *objective, int *n_eval,
                               int *converged, ks_error *err)
{
    int rc = ks_response_params_check(start, err);
    if (rc) return rc;
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    fit_ctx c = {d, use, 0, HUGE_VAL, {0}, {0}, NULL, HUGE_VAL, 0, 0, HUGE_VAL};
    memcpy(c.v0, start->v, sizeof c.v0);
    /* the optimised coordinates: the log of each parameter not held */
    double x[KS_RP_N], xl[KS_RP_N], xh[KS_RP_N];
    int nx = 0;
    for (int i = 0; i < KS_RP_N; i++) {
        if (held && held[i]) continue;
        c.idx[nx] = i;
        xl[nx] = log(lo.v[i]);
        xh[nx] = log(hi.v[i]);
        x[nx] = fmin(fmax(log(start->v[i]), xl[nx]), xh[nx]);
        c.v0[i] = exp(x[nx]);
        nx++;
    }
    if (nx == 0) return ks_error_set(err, KS_EINVAL, "response fit: every parameter is held");
    double f = HUGE_VAL;
    int ok = 0;
    /* Two passes (initial steps 0.5, then 0.1 log units); then, while a probe of 1 % up or
     * down in one parameter lowers the objective (BOBYQA can stop on its tolerances short
     * of a minimum in a flat direction), another pass from the best probe, at most
     * KS_RESPONSE_MAX_EXTRA_PASSES more. Converged: the last pass stopped on its
     * tolerances and no probe improves. */
    for (int pass = 0; pass < 2 + KS_RESPONSE_MAX_EXTRA_PASSES; pass++) {
        nlopt_opt o = nlopt_create(NLOPT_LN_BOBYQA, (unsigned)nx);
        if (!o) return ks_error_set(err, KS_ENOMEM, "NLopt: cannot create the optimiser");
        nlopt_set_lower_bounds(o, xl);
        nlopt_set_upper_bounds(o, xh);
        nlopt_set_min_objective(o, nl_obj, &c);
        nlopt_set_xtol_rel(o, 1e-7);
        nlopt_set_ftol_rel(o, 1e-10);
        nlopt_set_maxeval(o, max_eval > 0 ? max_eval : 1500);
        double step[KS_RP_N];
        for (int i = 0; i < nx; i++)
            step[i] = pass == 0 ? 0.5 : 0.1;
        nlopt_set_initial_step(o, step);
        c.opt = o, c.mark = c.pass_best = HUGE_VAL, c.since = 0, c.stalled = 0;
        nlopt_result r = nlopt_optimize(o, x, &f);
        c.opt = NULL;
        nlopt_destroy(o);
        int stalled = r == NLOPT_FORCED_STOP && c.stalled;
        if (r < 0 && r != NLOPT_ROUNDOFF_LIMITED && !stalled)
            return ks_error_set(err, KS_ENUMERIC, "NLopt BOBYQA failed (code %d) in pass %d",
                                (int)r, pass + 1);
        ok = r == NLOPT_SUCCESS || r == NLOPT_XTOL_REACHED || r == NLOPT_FTOL_REACHED || stalled;
        if (pass == 0) continue;
        if (r == NLOPT_MAXEVAL_REACHED) break; /* more passes would hide the cap */
        double best = f, xb[KS_RP_N];
        memcpy(xb, x, sizeof xb);
        for (int i = 0; i < nx; i++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double xp[KS_RP_N];
                memcpy(xp, x, sizeof xp);
                xp[i] = fmin(fmax(x[i] + sgn * log(1.01), xl[i]), xh[i]);
                if (xp[i] == x[i]) continue;
                double fp = nl_obj((unsigned)nx, xp, NULL, &c);
                if (fp < best - 1e-9 * fmax(1.0, fabs(f))) best = fp, memcpy(xb, xp, sizeof xb);
            }
        if (best >= f) break; /* no probe improves: a minimum to 1 % in each direction */
        /* not converged unless a further pass ends cleanly, or the gain is negligible */
        if (f - best > KS_RESPONSE_CONVERGED_GAIN) ok = 0;
        memcpy(x, xb, sizeof xb);
        f = best;
    }
    if (converged) *converged = ok;
    out->last_visit_h = 0;
    out->first_visit_h = 0;
    memcpy(out->v, c.v0, sizeof out->v);
    for (int i = 0; i < nx; i++)
        out->v[c.idx[i]] = exp(x[i]);
    if (objective) *objective = f;
    if (n_eval) *n_eval = c.n_eval;
    return KS_OK;
}

/* ---------------------------------------------------------------- file */

/* The JSON of a parameter file: KS_EIO when it cannot be read, KS_EPARSE with the line. */
static int load_json(const char *path, json_t **root, ks_error *err)
{
    json_error_t je;
    *root = json_load_file(path, 0, &je);
    if (*root) return KS_OK;
    if (strstr(je.text, "unable to open"))
        return ks_error_set(err, KS_EIO, "%s: cannot read (%s)", path, je.text);
    return ks_error_set(err, KS_EPARSE, "%s:%d: %s", path, je.line, je.text);
}

int ks_response_params_load(const char *path, ks_response_params *p, ks_error *err)
{
    json_t *root = NULL;
    int lrc = load_json(path, &root, err);
    if (lrc) return lrc;
    int rc = KS_OK;
    p->last_visit_h = 0;
    p->first_visit_h = 0;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *params = json_object_get(root, "parameters");
    if (!fmt || strcmp(fmt, "ketsim-response/1") != 0)
        rc = ks_error_set(err, KS_EMODEL, "%s: $.format: expected \"ketsim-response/1\"", path);
    else if (!json_is_object(params))
        rc = ks_error_set(err, KS_EMODEL, "%s: $.parameters: missing or not an object", path);
    /* A file from before the within-patient fluctuation has neither of its two parameters:
     * it is the model without fluctuation (fluct_share = 0 exactly; t_fluct_d, then unused,
     * at its start value). One without the other is an error naming the missing one. */
    int has_f = json_object_get(params, ks_response_param_name(KS_RP_FLUCT)) != NULL,
        has_t = json_object_get(params, ks_response_param_name(KS_RP_T_FLUCT_D)) != NULL;
    int legacy = !rc && !has_f && !has_t;
    if (!rc && has_f != has_t)
        rc = ks_error_set(err, KS_EMODEL,
                          "%s: $.parameters.%s: missing (a file has both %s and %s, or neither: "
                          "the model without within-patient fluctuation)",
                          path, ks_response_param_name(has_f ? KS_RP_T_FLUCT_D : KS_RP_FLUCT),
                          ks_response_param_name(KS_RP_FLUCT),
                          ks_response_param_name(KS_RP_T_FLUCT_D));
    if (legacy) {
        ks_response_params st;
        ks_response_params_start(&st);
        p->v[KS_RP_FLUCT] = 0;
        p->v[KS_RP_T_FLUCT_D] = st.v[KS_RP_T_FLUCT_D];
    }
    for (int i = 0; !rc && i < (legacy ? KS_RP_N_NOFLUCT : KS_RP_N); i++) {
        json_t *e = json_object_get(params, ks_response_param_name(i));
        json_t *v = json_object_get(e, "value");
        const char *u = json_string_value(json_object_get(e, "unit"));
        if (!e)
            rc = ks_error_set(err, KS_EMODEL, "%s: $.parameters.%s: missing", path,
                              ks_response_param_name(i));
        else if (!json_is_number(v))
            rc = ks_error_set(err, KS_EMODEL, "%s: $.parameters.%s.value: missing or not a number",
                              path, ks_response_param_name(i));
        else if (!u || strcmp(u, ks_response_param_unit(i)) != 0)
            rc = ks_error_set(err, KS_EMODEL, "%s: $.parameters.%s.unit: expected \"%s\"", path,
                              ks_response_param_name(i), ks_response_param_unit(i));
        else
            p->v[i] = json_number_value(v);
    }
    if (!rc && json_object_size(params) != (size_t)(legacy ? KS_RP_N_NOFLUCT : KS_RP_N)) {
        const char *k;
        json_t *v;
        json_object_foreach(params, k, v)
        {
            int known = 0;
            for (int i = 0; i < KS_RP_N; i++)
                known |= strcmp(k, ks_response_param_name(i)) == 0;
            if (!known) {
                rc =
                    ks_error_set(err, KS_EMODEL, "%s: $.parameters.%s: unknown parameter", path, k);
                break;
            }
        }
    }
    if (!rc) {
        rc = ks_response_params_check(p, err);
        if (rc) ks_error_prefix(err, "%s", path);
    }
    json_decref(root);
    return rc;
}

/* ---------------------------------------------------------------- PTSD variant */

/* Feder 2021 (efficacy.md 18): week-2 response (>= 30 % CAPS-5 reduction, press release,
 * level C) 67 % ketamine, 20 % midazolam; N = 30, 1:1, so 15 per arm (ClinicalTrials.gov
 * NCT02397889: 15 started in each arm). 67 % of 15 is 10/15, 20 % is 3/15. Week 2 read at
 * day 14 (336 h after the first infusion; infusions on days 0-11 of the IV6 design, three
 * per week over two weeks, as Murrough 2013): ASSUMPTION, the literal reading of "weekly
 * visits" counted from baseline (abstract); no source gives the hour. The fit depends on it
 * strongly: ks_response_ptsd_*_at take the read time for the day-12 sensitivity. */
static const ks_response_figure PTSD_FIG = {
    "feder2021-response",
    "Feder 2021",
    "week-2 CAPS-5 response (>= 30 % reduction from baseline), ketamine 0.5 mg/kg IV then "
    "midazolam 0.045 mg/kg, six infusions three per week over two weeks (days 0, 2, 4, 7, 9, "
    "11), read at day 14 (weekly visits from baseline: an assumption); 15 patients per arm; both "
    "arms in the active context",
    "Feder A et al. 2021, Am J Psychiatry, doi:10.1176/appi.ajp.2020.20050596: abstract "
    "(level B) and Mount Sinai press release (level C: the >= 30 % definition, three per "
    "week); efficacy.md 18",
    "% of patients",
    2};
static const double PTSD_OBS[2] = {200.0 / 3.0, 20.0}; /* 10/15, 3/15 */
#define PTSD_N_ARM 15.0

const ks_response_figure *ks_response_ptsd_figure(void)
{
    return &PTSD_FIG;
}

void ks_response_ptsd_params(const ks_response_params *dep, const ks_response_ptsd *v,
                             ks_response_params *out)
{
    *out = *dep;
    out->v[KS_RP_THETA] = v->theta_ptsd;
    out->v[KS_RP_PHI_ACTIVE] = v->phi_ptsd_active;
}

/* The IV6 drug state with dep (the variant does not change D: theta and phi_active are
 * not drive parameters). */
static int ptsd_drive(const ks_response_designs *d, const ks_response_params *dep, double **D,
                      ks_error *err)
{
    int need[DS_N] = {0};
    need[DS_IV6] = 1;
    double *all[DS_N];
    int rc = drives(d, dep, need, all, err);
    *D = all[DS_IV6];
    for (int ds = 0; ds < DS_N; ds++)
        if (ds != DS_IV6) free(all[ds]);
    if (rc) {
        free(*D);
        *D = NULL;
    }
    return rc;
}

/* A week-2 read time the IV6 design covers: after the last infusion, on the grid. */
static int ptsd_read_ok(const ks_response_designs *d, double read_h, ks_error *err)
{
    if (!(read_h >= 24 * IV6_DAYS[5]) || !((size_t)llround(read_h / DT_H) < d->n[DS_IV6]))
        return ks_error_set(err, KS_EINVAL,
                            "PTSD week-2 read time %g h: outside %g h (the last infusion) to the "
                            "end of the design",
                            read_h, 24 * IV6_DAYS[5]);
    return KS_OK;
}

/* Week-2 response share (fraction) of one arm at read_h: 0 ketamine, 1 midazolam. */
static double ptsd_share(const ks_response_params *dep, const ks_response_ptsd *v, const double *D,
                         double read_h, int arm)
{
    ks_response_params q;
    ks_response_ptsd_params(dep, v, &q);
    q.first_visit_h = 0;
    q.last_visit_h = 24 * IV6_DAYS[5];
    return ks_response_p_response_thr(&q, KS_CTX_ACTIVE, read_h,
                                      arm == 0 ? D[(size_t)llround(read_h / DT_H)] : 0,
                                      KS_RESPONSE_PTSD_THR);
}

int ks_response_ptsd_eval(const ks_response_designs *d, const ks_response_params *dep,
                          const ks_response_ptsd *v, double obs[2], double pred[2], double se[2],
                          ks_error *err)
{
    return ks_response_ptsd_eval_at(d, dep, v, KS_RESPONSE_PTSD_WEEK2_H, obs, pred, se, err);
}

int ks_response_ptsd_eval_at(const ks_response_designs *d, const ks_response_params *dep,
                             const ks_response_ptsd *v, double read_h, double obs[2],
                             double pred[2], double se[2], ks_error *err)
{
    double *D = NULL, s[2];
    int rc = ptsd_read_ok(d, read_h, err);
    if (!rc) rc = ptsd_drive(d, dep, &D, err);
    if (rc) return rc;
    s[0] = ptsd_share(dep, v, D, read_h, 0);
    s[1] = ptsd_share(dep, v, D, read_h, 1);
    for (int i = 0; i < 2; i++) {
        obs[i] = PTSD_OBS[i];
        pred[i] = 100.0 * s[i];
        se[i] = se_p(PTSD_OBS[i], PTSD_N_ARM);
    }
    free(D);
    return KS_OK;
}

/* Bisection in log x on [lo, hi] for share(x) = target, share increasing in x. */
static int ptsd_bisect(const ks_response_params *dep, ks_response_ptsd *v, double *x, int arm,
                       const double *D, double read_h, double target, double lo, double hi)
{
    double a = log(lo), b = log(hi);
    *x = lo;
    if (ptsd_share(dep, v, D, read_h, arm) > target) return 1;
    *x = hi;
    if (ptsd_share(dep, v, D, read_h, arm) < target) return 1;
    for (int it = 0; it < 200 && b - a > 1e-15 * fmax(1.0, fabs(a)); it++) {
        double m = 0.5 * (a + b);
        *x = exp(m);
        if (ptsd_share(dep, v, D, read_h, arm) < target)
            a = m;
        else
            b = m;
    }
    *x = exp(0.5 * (a + b));
    return 0;
}

int ks_response_ptsd_calibrate(const ks_response_designs *d, const ks_response_params *dep,
                               const double *shift, ks_response_ptsd *out, ks_error *err)
{
    return ks_response_ptsd_calibrate_at(d, dep, shift, KS_RESPONSE_PTSD_WEEK2_H, out, err);
}

int ks_response_ptsd_calibrate_at(const ks_response_designs *d, const ks_response_params *dep,
                                  const double *shift, double read_h, ks_response_ptsd *out,
                                  ks_error *err)
{
    int rc = ks_response_params_check(dep, err);
    if (!rc) rc = ptsd_read_ok(d, read_h, err);
    if (rc) return rc;
    double *D = NULL;
    if ((rc = ptsd_drive(d, dep, &D, err)) != 0) return rc;
    double target[2];
    for (int i = 0; i < 2; i++) {
        target[i] = PTSD_OBS[i] + (shift ? shift[i] * se_p(PTSD_OBS[i], PTSD_N_ARM) : 0.0);
        target[i] = fmin(fmax(target[i], 0.5), 99.5) / 100.0;
    }
    ks_response_ptsd v = {dep->v[KS_RP_THETA], dep->v[KS_RP_PHI_ACTIVE]};
    /* the midazolam arm has no drug: its share depends on phi_ptsd_active only */
    if (ptsd_bisect(dep, &v, &v.phi_ptsd_active, 1, D, read_h, target[1], 1e-4, 100))
        rc = ks_error_set(err, KS_ENUMERIC,
                          "PTSD stage: the midazolam share %.4g %% is not reached with "
                          "phi_ptsd_active in 1e-4..100",
                          100 * target[1]);
    else if (ptsd_bisect(dep, &v, &v.theta_ptsd, 0, D, read_h, target[0], 1e-4, 1000))
        rc = ks_error_set(err, KS_ENUMERIC,
                          "PTSD stage: the ketamine share %.4g %% is not reached with "
                          "theta_ptsd in 1e-4..1000",
                          100 * target[0]);
    free(D);
    if (!rc) *out = v;
    return rc;
}

int ks_response_ptsd_predict(const ks_response_designs *d, const ks_response_params *dep,
                             const ks_response_ptsd *v, double *median_d, double *window_d,
                             double *diff_frac, ks_error *err)
{
    return ks_response_ptsd_predict_at(d, dep, v, KS_RESPONSE_PTSD_WEEK2_H, median_d, NULL,
                                       window_d, diff_frac, err);
}

int ks_response_ptsd_predict_at(const ks_response_designs *d, const ks_response_params *dep,
                                const ks_response_ptsd *v, double read_h, double *median_d,
                                double *weekly_d, double *window_d, double *diff_frac,
                                ks_error *err)
{
    double *D = NULL;
    int rc = ptsd_read_ok(d, read_h, err);
    if (!rc) rc = ptsd_drive(d, dep, &D, err);
    if (rc) return rc;
    ks_response_params q;
    ks_response_ptsd_params(dep, v, &q);
    q.first_visit_h = 0;
    q.last_visit_h = 24 * IV6_DAYS[5];
    /* daily checks (as every relapse in ketsim); the trial's weekly visits apart below:
     * with within-patient fluctuation a survival depends on how often it is checked */
    size_t n = d->n[DS_IV6], k0 = (size_t)llround(read_h / DT_H), step = 288;
    size_t m = (n - 1 - k0) / step + 1, wk = 7 * step, mw = (n - 1 - k0) / wk + 1;
    double *sv = malloc(m * sizeof *sv), *svw = malloc(mw * sizeof *svw);
    if (!sv || !svw) rc = ks_error_set(err, KS_ENOMEM, "out of memory");
    if (!rc && (ks_response_survival_thr(&q, KS_CTX_ACTIVE, D, k0, n - 1, DT_H, step,
                                         KS_RESPONSE_PTSD_THR, sv) ||
                ks_response_survival_thr(&q, KS_CTX_ACTIVE, D, k0, n - 1, DT_H, wk,
                                         KS_RESPONSE_PTSD_THR, svw)))
        rc = ks_error_set(err, KS_ENUMERIC, "PTSD relapse: survival quadrature failed");
    if (!rc) {
        double hstep = (double)step * DT_H / 24.0; /* days per point */
        *window_d = (double)(m - 1) * hstep;
        *median_d = INFINITY;
        for (size_t j = 1; j < m; j++)
            if (sv[j] <= 0.5) { /* linear between the last point above and this one */
                double f = (sv[j - 1] - 0.5) / (sv[j - 1] - sv[j]);
                *median_d = ((double)(j - 1) + f) * hstep;
                break;
            }
        /* as the trial saw it: weekly follow-up visits from the week-2 assessment, the
         * median the first visit at which half of the responders have lost response */
        if (weekly_d) {
            *weekly_d = INFINITY;
            for (size_t j = 1; j < mw; j++)
                if (svw[j] <= 0.5) {
                    *weekly_d = 7.0 * (double)j;
                    break;
                }
        }
        if (diff_frac) *diff_frac = ks_response_mean_diff_ratio(&q, KS_CTX_ACTIVE, read_h, D[k0]);
    }
    free(sv);
    free(svw);
    free(D);
    return rc;
}

int ks_response_ptsd_load(const char *path, ks_response_ptsd *v, ks_error *err)
{
    json_t *root = NULL;
    int lrc = load_json(path, &root, err);
    if (lrc) return lrc;
    static const char *const NM[2] = {"theta_ptsd", "phi_ptsd_active"};
    double val[2] = {0, 0};
    int rc = KS_OK;
    json_t *par =
        json_object_get(json_object_get(json_object_get(root, "variants"), "ptsd"), "parameters");
    if (!json_is_object(par))
        rc = ks_error_set(err, KS_EMODEL,
                          "%s: $.variants.ptsd.parameters: missing (a file from before the PTSD "
                          "variant: run ketsim calibrate)",
                          path);
    for (int i = 0; !rc && i < 2; i++) {
        json_t *e = json_object_get(par, NM[i]);
        json_t *x = json_object_get(e, "value");
        const char *u = json_string_value(json_object_get(e, "unit"));
        if (!json_is_number(x) || !(json_number_value(x) > 0) || !isfinite(json_number_value(x)))
            rc = ks_error_set(err, KS_EMODEL,
                              "%s: $.variants.ptsd.parameters.%s.value: missing or not a "
                              "positive number",
                              path, NM[i]);
        else if (!u || strcmp(u, "1") != 0)
            rc =
                ks_error_set(err, KS_EMODEL,
                             "%s: $.variants.ptsd.parameters.%s.unit: expected \"1\"", path, NM[i]);
        else
            val[i] = json_number_value(x);
    }
    json_decref(root);
    if (!rc) {
        v->theta_ptsd = val[0];
        v->phi_ptsd_active = val[1];
    }
    return rc;
}
