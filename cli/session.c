/* ketsim session: one session in the chair. Predicted effects (with a band where the
 * published figures give a spread under a stated reading), peak times, when each falls
 * back under its threshold, the earliest discharge under stated criteria, what to watch
 * and when, flags at published limits; each default names its source, and a threshold
 * without a source is never a default (opt-in only). Decision support: a clinician
 * decides. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "session"
#define GRID_H (1.0 / 60.0)

static const char HELP[] =
    "usage: ketsim session --drug esketamine|ketamine --dose AMOUNT [--over T]\n"
    "                      --age Y --sbp MMHG --dbp MMHG [--weight KG] [options]\n"
    "\n"
    "Predicts one treatment session for one patient: the time course of NMDA receptor\n"
    "occupancy, dissociation (CADSS), psychedelic intensity, sedation (MOAA/S), blood\n"
    "pressure and heart rate; a 90 % band (5th-95th percentile of patients) for\n"
    "dissociation and sedation only (from per-patient label incidences read as one\n"
    "session's shares: an assumption); blood pressure and heart rate as the mean course\n"
    "only (their spread is not estimable from what is published); the peak times; the\n"
    "earliest discharge under the criteria you set; what to watch and when; and flags\n"
    "where a prediction crosses a published limit. Every default names its source;\n"
    "thresholds without a source are options with no default. A clinician decides.\n"
    "\n"
    "patient and dose:\n"
    "  --drug D          esketamine (nasal spray, model perez-ruixo-2021) or ketamine\n"
    "                    (racemic IV infusion, model domino-1982)\n"
    "  --dose AMOUNT     56mg, 84mg (esketamine: whole 28 mg devices) or 0.5mg/kg\n"
    "  --over T          infusion duration for IV ketamine (e.g. 40min); required for iv\n"
    "  --age Y           years (the pre-dose limit is 150 mmHg systolic above 65 y)\n"
    "  --sbp, --dbp      pre-dose systolic and diastolic blood pressure, mmHg\n"
    "  --weight KG       required for mg/kg doses and for the racemic model\n"
    "  --model NAME      another PK model of the drug (default as above)\n"
    "  --pd FILE         PD parameters (default data/pd-acute.json)\n"
    "\n"
    "criteria (defaults and their sources are printed with the answer):\n"
    "  --observe T       minimum observation; default 2h for esketamine (Spravato label);\n"
    "                    none for IV ketamine (no sourced minimum found)\n"
    "  --cadss-max X     discharge needs the predicted CADSS <= X; no default (no source\n"
    "                    gives a CADSS discharge rule; the esketamine trials defined\n"
    "                    dissociative change as CADSS total > 4, Janssen Medical\n"
    "                    Information, so 4 is the trials' cut-off, not a discharge rule)\n"
    "  --moaas-min S     discharge needs the predicted MOAA/S >= S (0-5, e.g. 4.5); no\n"
    "                    default (the label counts any decrease as sedation and gives no\n"
    "                    discharge cut-off for a predicted, continuous score)\n"
    "  --sbp-max, --dbp-max MMHG\n"
    "                    discharge needs predicted SBP/DBP at or under these; no default\n"
    "                    (the label says 'until values remain consistent at a safe level'\n"
    "                    and gives no number)\n"
    "  --percentile P    patient the criteria apply to: 50 (typical, default) up to 99\n"
    "                    (e.g. 95: 19 of 20 patients are back under by then); applies to\n"
    "                    CADSS and MOAA/S; BP criteria use the mean course (no spread)\n"
    "  --flag-share P    flag every predicted share of patients (CADSS > 4, any\n"
    "                    sedation, loss of consciousness) at or above P %; no default (no\n"
    "                    source gives such a threshold)\n"
    "\n"
    "output:\n"
    "  --until T         end of the prediction (default 6h)\n"
    "  --every T         table step, a whole number of minutes (default 5min)\n"
    "  --out FILE        time course table (CSV, or JSON with --format json); '-' for\n"
    "                    standard output\n"
    "  --format F        csv (default) or json\n"
    "  --plot FILE       effects plot (.png or .svg)\n"
    "  --quiet           no text summary\n"
    "\n"
    "examples:\n"
    "  ketsim session --drug esketamine --dose 84mg --age 45 --sbp 128 --dbp 82\n"
    "  ketsim session --drug ketamine --dose 0.5mg/kg --over 40min --weight 70 --age 50 \\\n"
    "      --sbp 135 --dbp 85 --observe 1h --cadss-max 4 --moaas-min 4.5 --percentile 95 \\\n"
    "      --plot session.png --out session.csv\n"
    "\n"
    "Exit status: 0 answered (flags do not change it); 2 bad input; 1 failure.\n";

enum {
    O_DRUG,
    O_DOSE,
    O_OVER,
    O_AGE,
    O_SBP,
    O_DBP,
    O_WEIGHT,
    O_MODEL,
    O_PD,
    O_OBSERVE,
    O_CADSS_MAX,
    O_MOAAS_MIN,
    O_SBP_MAX,
    O_DBP_MAX,
    O_PERCENTILE,
    O_FLAG_SHARE,
    O_UNTIL,
    O_EVERY,
    O_OUT,
    O_FORMAT,
    O_PLOT,
    O_QUIET,
    O_COUNT
};

/* Sources quoted in the output (pd_acute.md sections C1 and B4-B6). */
#define SRC_LABEL_OBS "Spravato US label, boxed warning: monitor at least 2 hours"
#define SRC_LABEL_BP "Spravato HCP dosing page: BP before and 40 minutes after dosing"
#define SRC_LABEL_OX "Spravato HCP dosing page: pulse oximetry at each session"
#define SRC_LABEL_DRIVE                                                                            \
    "Spravato US label section 17: no driving until the next day after restful sleep; someone "    \
    "drives the patient home"
#define SRC_HOLD                                                                                   \
    "Janssen Medical Information: phase 3 trials withheld dosing if pre-dose SBP > 140 (> 150 "    \
    "above 65 y) or DBP > 90 mmHg"
#define SRC_TABLE6                                                                                 \
    "Spravato US label Table 6 outlier categories: SBP >= 180, DBP >= 110, SBP rise >= 40, DBP "   \
    "rise >= 25 mmHg"
#define SRC_CADSS                                                                                  \
    "set with --cadss-max; the esketamine trials' definition of dissociative change was CADSS "    \
    "total > 4 (Janssen Medical Information), a trial cut-off, not a discharge rule"
#define SRC_MOAAS                                                                                  \
    "set with --moaas-min; the label counts any MOAA/S decrease from pre-dose as sedation and "    \
    "gives no discharge cut-off"
#define SRC_SHARES                                                                                 \
    "shares read the label's per-patient incidences (at least once over the trials' sessions) "    \
    "as one session's shares, assuming a patient responds alike at every session; with "           \
    "independent sessions they would be smaller (docs/validation-acute.md)"
#define NO_BP_SPREAD                                                                               \
    "blood pressure and heart rate: mean course only; the spread between patients is not "         \
    "estimable from the published figures (docs/pd.md)"

typedef struct sess {
    const char *drug, *route, *model_name;
    double mg, over_h, age, sbp0, dbp0, weight;
    double observe_h, cadss_max, moaas_min, sbp_max, dbp_max, pct, flag_share, until_h, every_h;
    int observe_sourced;
    char dose_desc[96];
} sess;

static int num_opt(const cli_opt *o, int i, const char *name, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(o[i].value, &end);
    if (end == o[i].value || *end != '\0' || !isfinite(*v) || *v < lo || *v > hi) {
        cli_error(CMD, "--%s: \"%s\" is not a number from %g to %g", name, o[i].value, lo, hi);
        return 2;
    }
    return 0;
}

static int time_opt(const char *name, const char *text, double *v)
{
    ks_dim d = KS_DIM_TIME;
    ks_error err = {0};
    if (ks_quantity_parse(text, &d, 1, name, v, NULL, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    return 0;
}

static int parse(const cli_opt *o, sess *s)
{
    memset(s, 0, sizeof *s);
    s->weight = NAN;
    s->sbp_max = s->dbp_max = s->cadss_max = s->moaas_min = s->flag_share = NAN;
    if (!o[O_DRUG].value) {
        cli_error(CMD, "--drug is required: esketamine or ketamine");
        return 2;
    }
    s->drug = o[O_DRUG].value;
    if (strcmp(s->drug, "esketamine") == 0) {
        s->route = "nasal";
        s->model_name = "perez-ruixo-2021";
        s->observe_h = 2.0;
        s->observe_sourced = 1;
    } else if (strcmp(s->drug, "ketamine") == 0) {
        s->route = "iv";
        s->model_name = "domino-1982";
        s->observe_h = 0.0;
    } else {
        cli_error(CMD, "--drug: \"%s\" is not esketamine or ketamine", s->drug);
        return 2;
    }
    if (o[O_MODEL].value) s->model_name = o[O_MODEL].value;
    for (int i = O_AGE; i <= O_DBP; i++)
        if (!o[i].value) {
            cli_error(CMD, "--%s is required", o[i].name);
            return 2;
        }
    if (num_opt(o, O_AGE, "age", 0, 130, &s->age) || num_opt(o, O_SBP, "sbp", 40, 300, &s->sbp0) ||
        num_opt(o, O_DBP, "dbp", 20, 200, &s->dbp0))
        return 2;
    if (s->dbp0 >= s->sbp0) {
        cli_error(CMD, "--dbp: %s mmHg is not below --sbp %s mmHg", o[O_DBP].value, o[O_SBP].value);
        return 2;
    }
    if (o[O_WEIGHT].value) {
        if (cli_parse_plain(CMD, "--weight", o[O_WEIGHT].value, KS_DIM_WEIGHT, &s->weight))
            return 2;
        if (!(s->weight > 0) || s->weight > 700) {
            cli_error(CMD, "--weight: %s kg is not a possible body weight", o[O_WEIGHT].value);
            return 2;
        }
    }
    if (!o[O_DOSE].value) {
        cli_error(CMD, "--dose is required (e.g. --dose 84mg or --dose 0.5mg/kg)");
        return 2;
    }
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT}, dd;
    double dv;
    ks_error err = {0};
    if (ks_quantity_parse(o[O_DOSE].value, dims, 2, "--dose", &dv, &dd, &err)) {
        cli_error(CMD, "%s", err.msg);
        return 2;
    }
    if (!(dv > 0)) {
        cli_error(CMD, "--dose: %s must be positive", o[O_DOSE].value);
        return 2;
    }
    if (dd == KS_DIM_MASS_PER_WEIGHT && isnan(s->weight)) {
        cli_error(CMD, "--dose %s is per kg: give --weight", o[O_DOSE].value);
        return 2;
    }
    s->mg = dd == KS_DIM_MASS_PER_WEIGHT ? dv * s->weight : dv;
    if (o[O_OVER].value) {
        if (time_opt("--over", o[O_OVER].value, &s->over_h)) return 2;
        if (!(s->over_h > 0)) {
            cli_error(CMD, "--over: %s must be a positive duration", o[O_OVER].value);
            return 2;
        }
    }
    if (strcmp(s->route, "iv") == 0 && !o[O_OVER].value) {
        cli_error(CMD, "--over is required for IV ketamine (e.g. --over 40min)");
        return 2;
    }
    if (strcmp(s->route, "nasal") == 0 && o[O_OVER].value) {
        cli_error(CMD, "--over: a nasal spray is not infused");
        return 2;
    }
    snprintf(s->dose_desc, sizeof s->dose_desc, "%.4g mg %s%s", s->mg, s->route, "");
    if (s->over_h > 0) {
        size_t l = strlen(s->dose_desc);
        snprintf(s->dose_desc + l, sizeof s->dose_desc - l, " over %.4g min", s->over_h * 60);
    }
    if (o[O_OBSERVE].value) {
        if (time_opt("--observe", o[O_OBSERVE].value, &s->observe_h)) return 2;
        if (s->observe_h < 0) {
            cli_error(CMD, "--observe: %s must not be negative", o[O_OBSERVE].value);
            return 2;
        }
        s->observe_sourced = 0;
    }
    if (o[O_CADSS_MAX].value && num_opt(o, O_CADSS_MAX, "cadss-max", 0, 92, &s->cadss_max))
        return 2;
    if (o[O_MOAAS_MIN].value && num_opt(o, O_MOAAS_MIN, "moaas-min", 0, 5, &s->moaas_min)) return 2;
    if (o[O_FLAG_SHARE].value) {
        if (num_opt(o, O_FLAG_SHARE, "flag-share", 0, 100, &s->flag_share)) return 2;
        if (!(s->flag_share > 0) || !(s->flag_share < 100)) {
            cli_error(CMD, "--flag-share: %s is not a percentage above 0 and below 100",
                      o[O_FLAG_SHARE].value);
            return 2;
        }
    }
    if (o[O_SBP_MAX].value && num_opt(o, O_SBP_MAX, "sbp-max", 60, 300, &s->sbp_max)) return 2;
    if (o[O_DBP_MAX].value && num_opt(o, O_DBP_MAX, "dbp-max", 30, 200, &s->dbp_max)) return 2;
    s->pct = 50;
    if (o[O_PERCENTILE].value && num_opt(o, O_PERCENTILE, "percentile", 50, 99, &s->pct)) return 2;
    s->until_h = 6.0;
    if (o[O_UNTIL].value) {
        if (time_opt("--until", o[O_UNTIL].value, &s->until_h)) return 2;
        if (!(s->until_h >= 1.0) || s->until_h > 72) {
            cli_error(CMD, "--until: %s must be from 1h to 72h", o[O_UNTIL].value);
            return 2;
        }
    }
    s->every_h = 5.0 / 60.0;
    if (o[O_EVERY].value) {
        if (time_opt("--every", o[O_EVERY].value, &s->every_h)) return 2;
        double m = s->every_h * 60;
        if (!(m >= 1) || fabs(m - round(m)) > 1e-9) {
            cli_error(CMD, "--every: %s is not a whole number of minutes", o[O_EVERY].value);
            return 2;
        }
    }
    if (s->over_h > s->until_h || s->observe_h > s->until_h) {
        cli_error(CMD, "--until: %.4g h ends before the infusion or the observation", s->until_h);
        return 2;
    }
    if (o[O_FORMAT].value && strcmp(o[O_FORMAT].value, "csv") != 0 &&
        strcmp(o[O_FORMAT].value, "json") != 0) {
        cli_error(CMD, "--format: \"%s\" is not csv or json", o[O_FORMAT].value);
        return 2;
    }
    return 0;
}

/* The individual at the session's percentile, for an effect where higher is worse. */
static double at_pct(const ks_pd *pd, int e, double typ, double pct)
{
    return pct == 50 ? typ : ks_pd_quantile(pd, e, typ, pct / 100.0);
}

/* First grid time after the last time the value is above `thr` (0 if never above);
 * NAN if it is still above at the end. */
static double back_under(const double *t, const double *y, size_t n, double thr)
{
    size_t last = n;
    for (size_t i = 0; i < n; i++)
        if (y[i] > thr) last = i;
    if (last == n) return 0.0;
    if (last == n - 1) return NAN;
    return t[last + 1];
}

static void fmt_clock(char *b, size_t n, double h)
{
    if (isnan(h)) {
        snprintf(b, n, "not within the prediction");
        return;
    }
    long m = lround(h * 60);
    if (m < 60)
        snprintf(b, n, "%ld min", m);
    else
        snprintf(b, n, "%ldh%02ld", m / 60, m % 60);
}

typedef struct result {
    size_t n;
    const double *t;
    double *y[KS_PD_N_EFFECTS][3]; /* p05, typical, p95 (for sedation: drop) */
    double *sbp, *dbp, *moaas[3], *crit_cadss, *crit_sed, *crit_sbp, *crit_dbp;
} result;

static void result_free(result *r)
{
    for (int e = 0; e < KS_PD_N_EFFECTS; e++)
        for (int k = 0; k < 3; k++)
            free(r->y[e][k]);
    free(r->sbp);
    free(r->dbp);
    for (int k = 0; k < 3; k++)
        free(r->moaas[k]);
    free(r->crit_cadss);
    free(r->crit_sed);
    free(r->crit_sbp);
    free(r->crit_dbp);
}

static int build(const ks_pd *pd, const ks_pd_course *c, const sess *s, result *r)
{
    memset(r, 0, sizeof *r);
    r->n = c->n;
    r->t = c->t_h;
    size_t n = c->n, sz = n * sizeof(double);
    int bad = 0;
    for (int e = 0; e < KS_PD_N_EFFECTS; e++)
        for (int k = 0; k < 3; k++)
            bad |= !(r->y[e][k] = malloc(sz));
    bad |= !(r->sbp = malloc(sz)) | !(r->dbp = malloc(sz));
    for (int k = 0; k < 3; k++)
        bad |= !(r->moaas[k] = malloc(sz));
    bad |= !(r->crit_cadss = malloc(sz)) | !(r->crit_sed = malloc(sz)) |
           !(r->crit_sbp = malloc(sz)) | !(r->crit_dbp = malloc(sz));
    if (bad) return 1;
    for (size_t i = 0; i < n; i++) {
        for (int e = 0; e < KS_PD_N_EFFECTS; e++) {
            double typ = c->typ[e][i];
            r->y[e][0][i] = ks_pd_quantile(pd, e, typ, 0.05) + 0.0;
            r->y[e][1][i] = typ;
            r->y[e][2][i] = ks_pd_quantile(pd, e, typ, 0.95);
        }
        for (int k = 0; k < 3; k++)
            r->moaas[k][i] = fmax(0.0, 5.0 - fmin(5.0, r->y[KS_PD_SEDATION][2 - k][i]));
        r->sbp[i] = s->sbp0 + c->typ[KS_PD_DSBP][i];
        r->dbp[i] = s->dbp0 + c->typ[KS_PD_DDBP][i];
        r->crit_cadss[i] = at_pct(pd, KS_PD_CADSS, c->typ[KS_PD_CADSS][i], s->pct);
        r->crit_sed[i] = at_pct(pd, KS_PD_SEDATION, c->typ[KS_PD_SEDATION][i], s->pct);
        /* no BP spread (not estimable): the BP criteria use the mean course */
        r->crit_sbp[i] = s->sbp0 + c->typ[KS_PD_DSBP][i];
        r->crit_dbp[i] = s->dbp0 + c->typ[KS_PD_DDBP][i];
    }
    return 0;
}

static size_t argmax(const double *y, size_t n)
{
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[k]) k = i;
    return k;
}

/* Earliest discharge: the latest of the end of dosing, the minimum observation and
 * every criterion's back-under time. NAN when a criterion is not met in the horizon. */
static double discharge_time(const result *r, const sess *s, double *t_cadss, double *t_sed,
                             double *t_sbp, double *t_dbp)
{
    *t_cadss = isnan(s->cadss_max) ? 0.0 : back_under(r->t, r->crit_cadss, r->n, s->cadss_max);
    /* MOAA/S >= S is a drop <= 5 - S */
    *t_sed = isnan(s->moaas_min) ? 0.0 : back_under(r->t, r->crit_sed, r->n, 5.0 - s->moaas_min);
    *t_sbp = isnan(s->sbp_max) ? 0.0 : back_under(r->t, r->crit_sbp, r->n, s->sbp_max);
    *t_dbp = isnan(s->dbp_max) ? 0.0 : back_under(r->t, r->crit_dbp, r->n, s->dbp_max);
    double t = fmax(s->over_h, s->observe_h);
    const double c[4] = {*t_cadss, *t_sed, *t_sbp, *t_dbp};
    for (int i = 0; i < 4; i++) {
        if (isnan(c[i])) return NAN;
        t = fmax(t, c[i]);
    }
    return t;
}

static void summary(const ks_pd *pd, const ks_pd_course *c, const result *r, const sess *s,
                    const ks_model *m, const char *pdpath, FILE *f)
{
    char b1[64], b2[64], b3[64];
    fprintf(f, "ketsim session: %s %s, age %.0f y%s, pre-dose BP %.0f/%.0f mmHg\n", s->drug,
            s->dose_desc, s->age, "", s->sbp0, s->dbp0);
    fprintf(f, "PK model %s; effects %s\n\n", ks_model_name(m), pdpath);
    /* Before dosing */
    int iv = strcmp(s->route, "iv") == 0;
    double sys_lim = s->age > 65 ? 150.0 : 140.0;
    int hold = s->sbp0 > sys_lim || s->dbp0 > 90.0;
    fprintf(f, "BEFORE DOSING\n");
    if (hold)
        fprintf(f,
                "  FLAG  BP %.0f/%.0f is above %.0f/90 mmHg: the esketamine phase 3 trials "
                "withheld dosing at this pressure\n",
                s->sbp0, s->dbp0, sys_lim);
    else
        fprintf(f, "  BP %.0f/%.0f is at or under %.0f/90 mmHg (phase 3 pre-dose limit)\n", s->sbp0,
                s->dbp0, sys_lim);
    fprintf(f, "        [%s]%s\n\n", SRC_HOLD,
            iv ? " (an esketamine rule: none found for IV ketamine)" : "");
    /* What to watch */
    size_t ipk_bp = argmax(c->typ[KS_PD_DSBP], c->n);
    fprintf(f, "WATCH\n");
    fprintf(f, "  before dosing   blood pressure  [%s]\n", SRC_LABEL_BP);
    fmt_clock(b1, sizeof b1, r->t[ipk_bp]);
    fprintf(f, "  at 40 min       blood pressure (predicted peak of the rise: %s)\n", b1);
    fprintf(f, "  throughout      pulse oximetry, sedation, dissociation  [%s]\n", SRC_LABEL_OX);
    if (iv)
        fprintf(f,
                "  (these are the esketamine label's rules; no IV ketamine schedule with numbers "
                "was found)\n");
    fprintf(f, "\n");
    /* Effects table */
    fprintf(f, "PREDICTED (typical patient; for dissociation and sedation 90%% of patients between "
               "the bracketed values)\n");
    fprintf(f, "  %-30s %-24s %-8s %s\n", "effect", "peak", "at", "back under");
    size_t k;
    k = argmax(c->occ, c->n);
    fmt_clock(b1, sizeof b1, r->t[k]);
    fprintf(f, "  %-30s %-24.2f %-8s -\n", "NMDA occupancy (fraction)", c->occ[k], b1);
    k = argmax(c->typ[KS_PD_CADSS], c->n);
    fmt_clock(b1, sizeof b1, r->t[k]);
    snprintf(b2, sizeof b2, "%.1f (%.1f-%.1f)", r->y[KS_PD_CADSS][1][k], r->y[KS_PD_CADSS][0][k],
             r->y[KS_PD_CADSS][2][k]);
    /* back under the chosen criterion, else under the trials' cut-off 4 (for information) */
    double cthr = isnan(s->cadss_max) ? 4.0 : s->cadss_max;
    fmt_clock(b3, sizeof b3, back_under(r->t, c->typ[KS_PD_CADSS], r->n, cthr));
    fprintf(f, "  %-30s %-24s %-8s %s (CADSS %.4g%s)\n", "dissociation, CADSS points", b2, b1, b3,
            cthr, isnan(s->cadss_max) ? ", the trials' cut-off" : "");
    k = argmax(c->typ[KS_PD_SEDATION], c->n);
    fmt_clock(b1, sizeof b1, r->t[k]);
    snprintf(b2, sizeof b2, "%.1f (%.1f-%.1f)", r->moaas[1][k], r->moaas[0][k], r->moaas[2][k]);
    if (isnan(s->moaas_min)) {
        fprintf(f, "  %-30s %-24s %-8s -\n", "sedation, MOAA/S (lowest)", b2, b1);
    } else {
        fmt_clock(b3, sizeof b3,
                  back_under(r->t, c->typ[KS_PD_SEDATION], r->n, 5.0 - s->moaas_min));
        fprintf(f, "  %-30s %-24s %-8s %s (MOAA/S %.4g)\n", "sedation, MOAA/S (lowest)", b2, b1, b3,
                s->moaas_min);
    }
    k = argmax(c->typ[KS_PD_PSY], c->n);
    fmt_clock(b1, sizeof b1, r->t[k]);
    snprintf(b2, sizeof b2, "%.0f (no band)", r->y[KS_PD_PSY][1][k]);
    fprintf(f, "  %-30s %-24s %-8s -\n", "psychedelic intensity, % VAS", b2, b1);
    k = ipk_bp;
    fmt_clock(b1, sizeof b1, r->t[k]);
    snprintf(b2, sizeof b2, "%.0f (mean, no band)", r->sbp[k]);
    fprintf(f, "  %-30s %-24s %-8s rise %+.1f mmHg\n", "systolic BP, mmHg", b2, b1,
            c->typ[KS_PD_DSBP][k]);
    snprintf(b2, sizeof b2, "%.0f (mean, no band)", r->dbp[k]);
    fprintf(f, "  %-30s %-24s %-8s rise %+.1f mmHg\n", "diastolic BP, mmHg", b2, b1,
            c->typ[KS_PD_DDBP][k]);
    snprintf(b2, sizeof b2, "%+.1f (mean, no band)", c->typ[KS_PD_DHR][k]);
    fprintf(f, "  %-30s %-24s %-8s -\n", "heart rate rise, beats/min", b2, b1);
    fprintf(f, "  (%s)\n", NO_BP_SPREAD);
    if (r->sbp[ipk_bp] >= 180 || r->dbp[ipk_bp] >= 110)
        fprintf(f, "  FLAG  the mean course reaches SBP >= 180 or DBP >= 110 mmHg   [%s]\n",
                SRC_TABLE6);
    fprintf(f, "\n");
    /* Shares of patients like this one at the peak (dissociation and sedation only) */
    size_t kc = argmax(c->typ[KS_PD_CADSS], c->n), ks = argmax(c->typ[KS_PD_SEDATION], c->n);
    const struct {
        const char *what;
        double share;
    } sh[3] = {{"CADSS > 4", ks_pd_share_at_least(pd, KS_PD_CADSS, c->typ[KS_PD_CADSS][kc], 4.0)},
               {"any sedation (MOAA/S drop >= 1)",
                ks_pd_share_at_least(pd, KS_PD_SEDATION, c->typ[KS_PD_SEDATION][ks], 1.0)},
               {"loss of consciousness (MOAA/S 0)",
                ks_pd_share_at_least(pd, KS_PD_SEDATION, c->typ[KS_PD_SEDATION][ks], 5.0)}};
    fprintf(f, "PATIENTS LIKE THIS ONE (predicted share at the peak)\n");
    for (int i = 0; i < 3; i++)
        fprintf(f, "  %6.2f%%  %s\n", 100 * sh[i].share, sh[i].what);
    fprintf(f, "  (%s%s)\n", SRC_SHARES,
            iv ? "; the label's figures are for esketamine: for IV ketamine an extrapolation" : "");
    fprintf(f, "  no blood-pressure shares: the spread is not estimable from the published "
               "figures\n");
    if (!isnan(s->flag_share)) {
        int any = 0;
        for (int i = 0; i < 3; i++)
            if (100 * sh[i].share >= s->flag_share) {
                fprintf(f,
                        "  FLAG  %s predicted in %.2f%% of such patients (--flag-share %.4g%%)\n",
                        sh[i].what, 100 * sh[i].share, s->flag_share);
                any = 1;
            }
        if (!any) fprintf(f, "  no share at or above --flag-share %.4g%%\n", s->flag_share);
    }
    fprintf(f, "\n");
    /* Discharge */
    double tc, ts, tb, td;
    double t = discharge_time(r, s, &tc, &ts, &tb, &td);
    int effect_crit =
        !isnan(s->cadss_max) || !isnan(s->moaas_min) || !isnan(s->sbp_max) || !isnan(s->dbp_max);
    fmt_clock(b1, sizeof b1, t);
    if (!effect_crit && !(s->observe_h > 0))
        fprintf(f, "EARLIEST DISCHARGE: not predicted: no sourced minimum observation or "
                   "discharge criterion for IV racemic ketamine; set --observe, --cadss-max, "
                   "--moaas-min, --sbp-max or --dbp-max\n");
    else if (isnan(t))
        fprintf(f, "EARLIEST DISCHARGE: not within the prediction: a criterion below is still "
                   "unmet at the end (--until)\n");
    else if (s->pct == 50 || !(!isnan(s->cadss_max) || !isnan(s->moaas_min)))
        fprintf(f, "EARLIEST DISCHARGE: %s after the start of dosing (typical patient)\n", b1);
    else
        fprintf(f, "EARLIEST DISCHARGE: %s after the start of dosing (%.0fth percentile patient)\n",
                b1, s->pct);
    if (s->pct != 50 && isnan(s->cadss_max) && isnan(s->moaas_min))
        fprintf(f,
                "  --percentile %.0f changes nothing here: it applies to --cadss-max and "
                "--moaas-min, and none is set\n",
                s->pct);
    if (!effect_crit)
        fprintf(f, "  no discharge criterion on the predicted effects was set, and none has a "
                   "source: the label asks for an assessment that the patient is clinically "
                   "stable (--cadss-max, --moaas-min, --sbp-max, --dbp-max)\n");
    if (!isnan(s->cadss_max)) {
        fmt_clock(b1, sizeof b1, tc);
        fprintf(f, "  CADSS <= %.4g by %s   [%s]\n", s->cadss_max, b1, SRC_CADSS);
    }
    if (!isnan(s->moaas_min)) {
        fmt_clock(b1, sizeof b1, ts);
        fprintf(f, "  MOAA/S >= %.4g by %s   [%s]\n", s->moaas_min, b1, SRC_MOAAS);
    }
    if (s->observe_h > 0) {
        fmt_clock(b1, sizeof b1, s->observe_h);
        fprintf(f, "  observation at least %s   [%s]\n", b1,
                s->observe_sourced ? SRC_LABEL_OBS : "set with --observe");
    } else {
        fprintf(f, "  no minimum observation: none was found for IV racemic ketamine; set "
                   "--observe\n");
    }
    if (isnan(s->sbp_max) && isnan(s->dbp_max))
        fprintf(f, "  BP: no sourced discharge limit (label: 'until values remain consistent at "
                   "a safe level'); set --sbp-max/--dbp-max\n");
    else {
        fmt_clock(b1, sizeof b1, tb);
        fmt_clock(b2, sizeof b2, td);
        if (!isnan(s->sbp_max))
            fprintf(f, "  SBP <= %.0f mmHg by %s (--sbp-max; mean course)\n", s->sbp_max, b1);
        if (!isnan(s->dbp_max))
            fprintf(f, "  DBP <= %.0f mmHg by %s (--dbp-max; mean course)\n", s->dbp_max, b2);
    }
    fprintf(f, "  then: %s\n",
            strcmp(s->drug, "esketamine") == 0
                ? SRC_LABEL_DRIVE
                : "a driver home (the label's rule for esketamine; no IV "
                  "ketamine rule was found)");
    if (c->note[0]) fprintf(f, "\nnote: %s\n", c->note);
    fprintf(f, "\nAffinities are rat-brain Ki values (Ebert 1997); effect parameters are estimated "
               "from published summaries (ketsim pd-fit, docs/pd.md).\n");
    fprintf(f, "%s\n", KS_DISCLAIMER);
}

static int write_table(const result *r, const ks_pd_course *c, const sess *s, const char *out,
                       int json, const ks_model *m)
{
    /* rows at multiples of --every on the 1-min grid */
    size_t step = (size_t)llround(s->every_h / GRID_H), nrow = (r->n - 1) / step + 1;
    enum { NC = 14 };
    const char *names[NC] = {"occ_nmda_frac", "cadss_score", "cadss_p05", "cadss_p95",
                             "psy_vas_pct",   "moaas_score", "moaas_p05", "moaas_p95",
                             "dsbp_mmhg",     "sbp_mmhg",    "ddbp_mmhg", "dbp_mmhg",
                             "dhr_bpm",       "drive_nmda"};
    const double *src[NC] = {c->occ,
                             r->y[KS_PD_CADSS][1],
                             r->y[KS_PD_CADSS][0],
                             r->y[KS_PD_CADSS][2],
                             r->y[KS_PD_PSY][1],
                             r->moaas[1],
                             r->moaas[0],
                             r->moaas[2],
                             r->y[KS_PD_DSBP][1],
                             r->sbp,
                             r->y[KS_PD_DDBP][1],
                             r->dbp,
                             r->y[KS_PD_DHR][1],
                             c->drive};
    double *buf = malloc((NC + 1) * nrow * sizeof(double));
    if (!buf) return 1;
    const double *cols[NC];
    double *tt = buf + NC * nrow;
    for (size_t i = 0; i < nrow; i++)
        tt[i] = r->t[i * step];
    for (int j = 0; j < NC; j++) {
        for (size_t i = 0; i < nrow; i++)
            buf[j * nrow + i] = src[j][i * step];
        cols[j] = buf + j * nrow;
    }
    char bp[32];
    snprintf(bp, sizeof bp, "%.0f/%.0f mmHg", s->sbp0, s->dbp0);
    const char *keys[] = {"drug", "dose", "model", "pre_dose_bp", "bands", "note"};
    const char *vals[] = {s->drug,
                          s->dose_desc,
                          ks_model_name(m),
                          bp,
                          "p05/p95: 5th and 95th percentile of patients (data/pd-acute.json), "
                          "dissociation and sedation only, from per-patient label incidences "
                          "read as one session's shares (assumption); blood pressure and heart "
                          "rate: mean course only, spread not estimable from published figures",
                          KS_DISCLAIMER};
    ks_table t = {tt, nrow, names, cols, NC, keys, vals, 6, NULL, NULL};
    ks_error err = {0};
    int to_std = strcmp(out, "-") == 0;
    int rc = ks_table_write(&t, json ? KS_FORMAT_JSON : KS_FORMAT_CSV, to_std ? NULL : out,
                            to_std ? stdout : NULL, &err);
    free(buf);
    if (rc) {
        cli_error(CMD, "--out %s: %s", out, err.msg);
        return 1;
    }
    return 0;
}

static int write_plot(const result *r, const ks_pd_course *c, const sess *s, const char *path)
{
    size_t n = r->n;
    double *buf = malloc(3 * n * sizeof *buf);
    if (!buf) return 1;
    double *occ = buf, *sed = buf + n, *sed95 = buf + 2 * n;
    for (size_t i = 0; i < n; i++) {
        occ[i] = 100 * c->occ[i];
        sed[i] = r->y[KS_PD_SEDATION][1][i];
        sed95[i] = r->y[KS_PD_SEDATION][2][i];
    }
    ks_plot_series p1[1] = {
        {.label = "NMDA receptor occupancy, % (rat-brain Ki)", .x = r->t, .y = occ, .n = n}};
    ks_plot_series p2[4] = {
        {.label = "dissociation, CADSS points (typical)",
         .x = r->t,
         .y = r->y[KS_PD_CADSS][1],
         .n = n},
        {.label = "CADSS, 95th percentile",
         .x = r->t,
         .y = r->y[KS_PD_CADSS][2],
         .n = n,
         .dashed = 1},
        {.label = "sedation, MOAA/S drop (typical)", .x = r->t, .y = sed, .n = n},
        {.label = "MOAA/S drop, 95th percentile", .x = r->t, .y = sed95, .n = n, .dashed = 1}};
    ks_plot_series p3[2] = {{.label = "systolic BP, mean", .x = r->t, .y = r->sbp, .n = n},
                            {.label = "diastolic BP, mean", .x = r->t, .y = r->dbp, .n = n}};
    ks_plot_dose_mark mk = {0.0, s->over_h, s->dose_desc};
    char title[200];
    snprintf(title, sizeof title, "session: %s %s, age %.0f y, pre-dose BP %.0f/%.0f", s->drug,
             s->dose_desc, s->age, s->sbp0, s->dbp0);
    ks_plot_spec panels[3] = {
        {title, "effects from data/pd-acute.json (estimated from published summaries, docs/pd.md)",
         "occupancy (%)", p1, 1, &mk, 1, NAN, NULL, NULL, 0, 0, NULL},
        {"dissociation and sedation (95th percentile: per-patient label incidences read as one "
         "session's shares, an assumption)",
         NULL, "points", p2, 4, &mk, 1, s->cadss_max, "CADSS discharge threshold (--cadss-max)",
         NULL, 0, 0, NULL},
        {"blood pressure, mean course (spread between patients not estimable from published "
         "figures)",
         NULL, "mmHg", p3, 2, &mk, 1, 180.0, "SBP 180 mmHg (label Table 6)", KS_DISCLAIMER, 0, 0,
         NULL}};
    ks_error err = {0};
    int rc = ks_plot_write_panels(panels, 3, path, &err);
    free(buf);
    if (rc) {
        cli_error(CMD, "--plot: %s", err.msg);
        return 1;
    }
    return 0;
}

int cmd_session(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        {"drug", 1, NULL, 0, NULL, 0, 0},       {"dose", 1, NULL, 0, NULL, 0, 0},
        {"over", 1, NULL, 0, NULL, 0, 0},       {"age", 1, NULL, 0, NULL, 0, 0},
        {"sbp", 1, NULL, 0, NULL, 0, 0},        {"dbp", 1, NULL, 0, NULL, 0, 0},
        {"weight", 1, NULL, 0, NULL, 0, 0},     {"model", 1, NULL, 0, NULL, 0, 0},
        {"pd", 1, NULL, 0, NULL, 0, 0},         {"observe", 1, NULL, 0, NULL, 0, 0},
        {"cadss-max", 1, NULL, 0, NULL, 0, 0},  {"moaas-min", 1, NULL, 0, NULL, 0, 0},
        {"sbp-max", 1, NULL, 0, NULL, 0, 0},    {"dbp-max", 1, NULL, 0, NULL, 0, 0},
        {"percentile", 1, NULL, 0, NULL, 0, 0}, {"flag-share", 1, NULL, 0, NULL, 0, 0},
        {"until", 1, NULL, 0, NULL, 0, 0},      {"every", 1, NULL, 0, NULL, 0, 0},
        {"out", 1, NULL, 0, NULL, 0, 0},        {"format", 1, NULL, 0, NULL, 0, 0},
        {"plot", 1, NULL, 0, NULL, 0, 0},       {"quiet", 0, NULL, 0, NULL, 0, 0}};
    int help = 0;
    if (cli_parse(argc, argv, o, O_COUNT, &help, CMD)) return 2;
    if (help) {
        fputs(HELP, stdout);
        cli_free_opts(o, O_COUNT);
        return 0;
    }
    sess s;
    int rc = parse(o, &s);
    ks_model *m = NULL;
    ks_pd *pd = NULL;
    ks_sim *sim = NULL;
    ks_pd_course *c = NULL;
    double *t = NULL;
    result r;
    memset(&r, 0, sizeof r);
    ks_error err = {0};
    char pdpath[4096], path[4096];
    if (!rc) {
        if (o[O_PD].value)
            snprintf(pdpath, sizeof pdpath, "%s", o[O_PD].value);
        else
            snprintf(pdpath, sizeof pdpath, "%s/pd-acute.json", cli_data_dir());
        if (ks_pd_load(pdpath, &pd, &err)) {
            cli_error(CMD, "--pd: %s", err.msg);
            rc = 2;
        }
    }
    if (!rc && (ks_model_find(s.model_name, cli_models_dir(), path, sizeof path, &err) ||
                ks_model_load(path, &m, &err))) {
        cli_error(CMD, "--model: %s", err.msg);
        rc = 2;
    }
    if (!rc && !ks_model_has_route(m, s.route)) {
        cli_error(CMD, "--model: %s has no %s route", ks_model_name(m), s.route);
        rc = 2;
    }
    ks_covariates cov = {0};
    if (!rc) {
        ks_covariates_set(&cov, "age", s.age, NULL);
        if (!isnan(s.weight)) ks_covariates_set(&cov, "weight", s.weight, NULL);
        char warn[1024] = "";
        int nw = 0;
        /* Age is the session's own input (the pre-dose limit); a model that does not use
         * it is not warned about it. */
        if (!ks_model_check_covariates(m, &cov, warn, sizeof warn, &nw, NULL) && nw &&
            strstr(warn, "does not use the covariate \"age\"")) {
            ks_covariates c2 = {0};
            if (!isnan(s.weight)) ks_covariates_set(&c2, "weight", s.weight, NULL);
            cov = c2;
        }
        warn[0] = '\0';
        nw = 0;
        if (ks_model_check_covariates(m, &cov, warn, sizeof warn, &nw, &err)) {
            cli_error(CMD, "%s", err.msg);
            rc = 2;
        } else if (nw)
            fprintf(stderr, "ketsim session: warning: %s\n", warn);
    }
    size_t n = (size_t)llround(s.until_h / GRID_H) + 1;
    if (!rc && !(t = malloc(n * sizeof *t))) rc = 1;
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            t[i] = (double)i * GRID_H;
        ks_dose d = {0.0, s.mg, s.over_h, s.route};
        if (ks_sim_create(m, &sim, &err) || ks_sim_set_covariates(sim, &cov, &err)) {
            cli_error(CMD, "%s", err.msg);
            rc = 1;
        } else if (ks_sim_add_dose(sim, &d, &err)) {
            cli_error(CMD, "--dose %s: %s", o[O_DOSE].value, err.msg);
            rc = 2;
        } else if (ks_sim_set_times(sim, t, n, &err) || ks_sim_run(sim, &err) ||
                   ks_pd_run(pd, sim, &c, &err)) {
            cli_error(CMD, "%s", err.msg);
            rc = 1;
        }
    }
    if (!rc && build(pd, c, &s, &r)) rc = 1;
    int json = o[O_FORMAT].value && strcmp(o[O_FORMAT].value, "json") == 0;
    if (!rc && o[O_OUT].value) rc = write_table(&r, c, &s, o[O_OUT].value, json, m);
    if (!rc && o[O_PLOT].value) rc = write_plot(&r, c, &s, o[O_PLOT].value);
    if (!rc && !o[O_QUIET].seen) {
        FILE *f = o[O_OUT].value && strcmp(o[O_OUT].value, "-") == 0 ? stderr : stdout;
        summary(pd, c, &r, &s, m, o[O_PD].value ? pdpath : "data/pd-acute.json", f);
    }
    result_free(&r);
    ks_pd_course_free(c);
    ks_sim_free(sim);
    free(t);
    ks_model_free(m);
    ks_pd_free(pd);
    cli_free_opts(o, O_COUNT);
    return rc;
}
