/* Pharmacodynamics: PD parameter file, NMDA occupancy, acute effects over a session. */
#include "pd/pd_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

/* The parameters this version knows, with the unit the file must give. */
static const struct {
    const char *name, *unit;
} KNOWN[KS_PD_N_PARAMS] = {
    [P_T_HALF_KE0] = {"t_half_ke0", "min"},
    [P_KI_S_KET] = {"ki_s_ketamine", "uM"},
    [P_KI_R_KET] = {"ki_r_ketamine", "uM"},
    [P_KI_S_NK] = {"ki_s_norketamine", "uM"},
    [P_KI_R_NK] = {"ki_r_norketamine", "uM"},
    [P_MW_KET] = {"mw_ketamine", "g/mol"},
    [P_MW_NK] = {"mw_norketamine", "g/mol"},
    [P_FU_KET] = {"fu_ketamine", "fraction"},
    [P_FU_ESK] = {"fu_esketamine", "fraction"},
    [P_FU_NK] = {"fu_norketamine", "fraction"},
    [P_KPUU] = {"kp_uu_parent", "fraction"},
    [P_KPUU_NK_REL] = {"kp_uu_norketamine_rel", "fraction"},
    [P_S_FRACTION] = {"s_fraction_racemate", "fraction"},
    [P_CADSS_SLOPE] = {"cadss_slope", "points"},
    [P_CADSS_OMEGA] = {"cadss_omega", "1"},
    [P_CADSS_THALF_TOL] = {"cadss_t_half_tol", "min"},
    [P_PSY_SLOPE] = {"psy_slope", "%max"},
    [P_SED_SLOPE] = {"sedation_slope", "points"},
    [P_SED_OMEGA] = {"sedation_omega", "1"},
    [P_SBP_SLOPE] = {"sbp_slope", "mmHg/(ng/mL)"},
    [P_DBP_SLOPE] = {"dbp_slope", "mmHg/(ng/mL)"},
    [P_HR_SLOPE] = {"hr_slope", "bpm/(ng/mL)"},
};

static const char *LEVELS[] = {
    "full-text table", "full-text text", "abstract",  "code (paper cited)", "code only",
    "secondary",       "derived",        "estimated", "assumption"};

static int known_level(const char *v)
{
    for (size_t i = 0; i < sizeof LEVELS / sizeof *LEVELS; i++)
        if (strcmp(v, LEVELS[i]) == 0) return 1;
    return 0;
}

static int fail(ks_error *err, const char *origin, const char *jp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int fail(ks_error *err, const char *origin, const char *jp, const char *fmt, ...)
{
    char msg[KS_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ks_error_set(err, KS_EMODEL, "%.200s: %.120s: %s", origin, jp, msg);
}

static int check_keys(json_t *o, const char *const *keys, ks_error *err, const char *origin,
                      const char *jp)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (size_t i = 0; keys[i]; i++)
            if (strcmp(k, keys[i]) == 0) ok = 1;
        if (!ok) return fail(err, origin, jp, "unknown key \"%s\"", k);
    }
    return KS_OK;
}

static int str_of(json_t *o, const char *key, int required, const char **out, ks_error *err,
                  const char *origin, const char *jp)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) return required ? fail(err, origin, jp, "missing \"%s\"", key) : KS_OK;
    if (!json_is_string(v)) return fail(err, origin, jp, "\"%s\" must be a string", key);
    *out = json_string_value(v);
    return KS_OK;
}

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void ks_pd_free(ks_pd *pd)
{
    if (!pd) return;
    for (size_t i = 0; i < KS_PD_N_PARAMS; i++) {
        pd_param *p = &pd->p[i];
        free(p->source);
        free(p->verification);
        free(p->note);
        free(p->est_from);
        free(p->est_command);
        free(p->est_fit);
    }
    for (size_t i = 0; i < pd->n_cit; i++) {
        free(pd->cit_key[i]);
        free(pd->cit_text[i]);
    }
    free(pd->cit_key);
    free(pd->cit_text);
    free(pd);
}

static const char *KEYS_TOP[] = {"format",     "title", "description", "citations",
                                 "parameters", "notes", NULL};
static const char *KEYS_CIT[] = {"authors", "year",       "year_note",    "title", "journal",
                                 "volume",  "issue",      "pages",        "doi",   "doi_note",
                                 "pmid",    "where_read", "verification", "note",  NULL};
static const char *KEYS_PAR[] = {"value", "unit",      "source", "verification",
                                 "note",  "estimated", NULL};
static const char *KEYS_EST[] = {"from", "command", "fit", NULL};

static int load_citations(ks_pd *pd, json_t *cits, const char *origin, ks_error *err)
{
    if (!json_is_object(cits) || json_object_size(cits) == 0)
        return fail(err, origin, "$.citations", "must be a non-empty object");
    size_t n = json_object_size(cits);
    pd->cit_key = calloc(n, sizeof *pd->cit_key);
    pd->cit_text = calloc(n, sizeof *pd->cit_text);
    if (!pd->cit_key || !pd->cit_text) return ks_error_set(err, KS_ENOMEM, "out of memory");
    const char *k;
    json_t *c;
    json_object_foreach(cits, k, c)
    {
        char jp[160];
        snprintf(jp, sizeof jp, "$.citations.%.100s", k);
        if (!json_is_object(c)) return fail(err, origin, jp, "must be an object");
        int rc = check_keys(c, KEYS_CIT, err, origin, jp);
        const char *authors, *title, *journal, *doi, *doi_note, *where, *ver, *year_note;
        if (!rc) rc = str_of(c, "authors", 1, &authors, err, origin, jp);
        if (!rc) rc = str_of(c, "year_note", 0, &year_note, err, origin, jp);
        if (!rc) rc = str_of(c, "title", 0, &title, err, origin, jp);
        if (!rc) rc = str_of(c, "journal", 0, &journal, err, origin, jp);
        if (!rc) rc = str_of(c, "doi", 0, &doi, err, origin, jp);
        if (!rc) rc = str_of(c, "doi_note", 0, &doi_note, err, origin, jp);
        if (!rc) rc = str_of(c, "where_read", 1, &where, err, origin, jp);
        if (!rc) rc = str_of(c, "verification", 1, &ver, err, origin, jp);
        if (rc) return rc;
        /* The year is an integer where the source showed it; where it did not, it is
         * null or absent and "year_note" says why (never a guessed year). */
        json_t *year = json_object_get(c, "year");
        if (year && !json_is_integer(year) && !json_is_null(year))
            return fail(err, origin, jp, "\"year\" must be an integer or null");
        int has_year = json_is_integer(year);
        if (!has_year && !year_note)
            return fail(err, origin, jp,
                        "no \"year\": give \"year_note\" saying why it is not known");
        if (!has_year && !*year_note)
            return fail(err, origin, jp, "\"year_note\" must not be empty");
        if (has_year && year_note)
            return fail(err, origin, jp, "\"year_note\" is only for a citation without a year");
        if (!doi && !doi_note) return fail(err, origin, jp, "needs \"doi\" or \"doi_note\"");
        if (!known_level(ver))
            return fail(err, origin, jp, "unknown verification level \"%s\"", ver);
        char ybuf[600];
        if (has_year)
            snprintf(ybuf, sizeof ybuf, "%lld", (long long)json_integer_value(year));
        else
            snprintf(ybuf, sizeof ybuf, "(year not known: %.560s)", year_note);
        char buf[2048];
        snprintf(buf, sizeof buf, "%s %s%s%s%s%s. %s%s (read: %s; %s)", authors, ybuf,
                 title ? ", " : "", title ? title : "", journal ? ", " : "", journal ? journal : "",
                 doi ? "doi:" : "", doi ? doi : doi_note, where, ver);
        pd->cit_key[pd->n_cit] = dup_or_null(k);
        pd->cit_text[pd->n_cit] = dup_or_null(buf);
        if (!pd->cit_key[pd->n_cit] || !pd->cit_text[pd->n_cit]) {
            pd->n_cit++;
            return ks_error_set(err, KS_ENOMEM, "out of memory");
        }
        pd->n_cit++;
    }
    return KS_OK;
}

const char *ks_pd_citation_text(const ks_pd *pd, const char *key)
{
    if (!pd || !key) return NULL;
    for (size_t i = 0; i < pd->n_cit; i++)
        if (strcmp(pd->cit_key[i], key) == 0) return pd->cit_text[i];
    return NULL;
}

static int load_param(ks_pd *pd, const char *name, json_t *v, const char *origin, ks_error *err)
{
    char jp[160];
    snprintf(jp, sizeof jp, "$.parameters.%.100s", name);
    int idx = -1;
    for (int i = 0; i < KS_PD_N_PARAMS; i++)
        if (strcmp(KNOWN[i].name, name) == 0) idx = i;
    if (idx < 0) return fail(err, origin, jp, "unknown parameter \"%s\"", name);
    if (!json_is_object(v)) return fail(err, origin, jp, "must be an object");
    int rc = check_keys(v, KEYS_PAR, err, origin, jp);
    const char *unit, *source, *ver, *note;
    if (!rc) rc = str_of(v, "unit", 1, &unit, err, origin, jp);
    if (!rc) rc = str_of(v, "source", 1, &source, err, origin, jp);
    if (!rc) rc = str_of(v, "verification", 1, &ver, err, origin, jp);
    if (!rc) rc = str_of(v, "note", 1, &note, err, origin, jp);
    if (rc) return rc;
    json_t *val = json_object_get(v, "value");
    if (!json_is_number(val) || !isfinite(json_number_value(val)))
        return fail(err, origin, jp, "\"value\" must be a finite number");
    double x = json_number_value(val);
    if (strcmp(unit, KNOWN[idx].unit) != 0)
        return fail(err, origin, jp, "unit \"%s\": this parameter is read in \"%s\"", unit,
                    KNOWN[idx].unit);
    if (x < 0) return fail(err, origin, jp, "value %g must not be negative", x);
    if (strcmp(unit, "fraction") == 0 && x > 1.0 && idx != P_KPUU)
        return fail(err, origin, jp, "fraction %g above 1", x);
    if ((idx == P_T_HALF_KE0 || idx == P_CADSS_THALF_TOL ||
         (idx >= P_KI_S_KET && idx <= P_MW_NK)) &&
        !(x > 0))
        return fail(err, origin, jp, "value must be positive");
    if (!ks_pd_citation_text(pd, source))
        return fail(err, origin, jp, "source \"%s\" is not a key of $.citations", source);
    if (!known_level(ver)) return fail(err, origin, jp, "unknown verification level \"%s\"", ver);
    pd_param *p = &pd->p[idx];
    if (p->set) return fail(err, origin, jp, "given twice");
    p->set = 1;
    p->value = x;
    p->source = dup_or_null(source);
    p->verification = dup_or_null(ver);
    p->note = dup_or_null(note);
    if (!p->source || !p->verification || !p->note)
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    json_t *est = json_object_get(v, "estimated");
    if (strcmp(ver, "estimated") == 0 && !est)
        return fail(err, origin, jp,
                    "an estimated parameter needs \"estimated\": {from, command, fit}");
    if (est) {
        char je[200];
        snprintf(je, sizeof je, "%s.estimated", jp);
        if (strcmp(ver, "estimated") != 0)
            return fail(err, origin, je, "only for verification \"estimated\"");
        if (!json_is_object(est)) return fail(err, origin, je, "must be an object");
        const char *from, *cmd, *fit;
        rc = check_keys(est, KEYS_EST, err, origin, je);
        if (!rc) rc = str_of(est, "from", 1, &from, err, origin, je);
        if (!rc) rc = str_of(est, "command", 1, &cmd, err, origin, je);
        if (!rc) rc = str_of(est, "fit", 1, &fit, err, origin, je);
        if (rc) return rc;
        if (!*from || !*cmd || !*fit)
            return fail(err, origin, je, "\"from\", \"command\" and \"fit\" must not be empty");
        p->est_from = dup_or_null(from);
        p->est_command = dup_or_null(cmd);
        p->est_fit = dup_or_null(fit);
        if (!p->est_from || !p->est_command || !p->est_fit)
            return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    return KS_OK;
}

int ks_pd_load(const char *path, ks_pd **out, ks_error *err)
{
    if (!path || !out) return ks_error_set(err, KS_EINVAL, "ks_pd_load: NULL argument");
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        FILE *f = fopen(path, "r");
        if (!f) return ks_error_set(err, KS_EIO, "%s: cannot read", path);
        fclose(f);
        return ks_error_set(err, KS_EPARSE, "%s: line %d: %s", path, je.line, je.text);
    }
    ks_pd *pd = calloc(1, sizeof *pd);
    int rc = pd ? KS_OK : ks_error_set(err, KS_ENOMEM, "out of memory");
    if (!rc && !json_is_object(root)) rc = fail(err, path, "$", "must be an object");
    if (!rc) rc = check_keys(root, KEYS_TOP, err, path, "$");
    if (!rc) {
        json_t *f = json_object_get(root, "format");
        if (!json_is_string(f) || strcmp(json_string_value(f), "ketsim-pd/1") != 0)
            rc = fail(err, path, "$.format", "must be \"ketsim-pd/1\"");
    }
    if (!rc) rc = load_citations(pd, json_object_get(root, "citations"), path, err);
    json_t *params = rc ? NULL : json_object_get(root, "parameters");
    if (!rc && !json_is_object(params)) rc = fail(err, path, "$.parameters", "must be an object");
    if (!rc) {
        const char *k;
        json_t *v;
        json_object_foreach(params, k, v)
        {
            if ((rc = load_param(pd, k, v, path, err))) break;
        }
    }
    for (int i = 0; !rc && i < KS_PD_N_PARAMS; i++)
        if (!pd->p[i].set) rc = fail(err, path, "$.parameters", "missing \"%s\"", KNOWN[i].name);
    json_decref(root);
    if (rc) {
        ks_pd_free(pd);
        return rc;
    }
    *out = pd;
    return KS_OK;
}

static int find_param(const char *name)
{
    for (int i = 0; name && i < KS_PD_N_PARAMS; i++)
        if (strcmp(KNOWN[i].name, name) == 0) return i;
    return -1;
}

int ks_pd_param(const ks_pd *pd, const char *name, double *value, ks_error *err)
{
    int i = find_param(name);
    if (!pd || !value) return ks_error_set(err, KS_EINVAL, "ks_pd_param: NULL argument");
    if (i < 0) return ks_error_set(err, KS_ENOTFOUND, "no PD parameter \"%s\"", name ? name : "");
    *value = pd->p[i].value;
    return KS_OK;
}

int ks_pd_set_param(ks_pd *pd, const char *name, double value, ks_error *err)
{
    int i = find_param(name);
    if (!pd) return ks_error_set(err, KS_EINVAL, "ks_pd_set_param: NULL argument");
    if (i < 0) return ks_error_set(err, KS_ENOTFOUND, "no PD parameter \"%s\"", name ? name : "");
    if (!isfinite(value) || value < 0)
        return ks_error_set(err, KS_EINVAL, "PD parameter %s: %g is not a finite value >= 0", name,
                            value);
    pd->p[i].value = value;
    return KS_OK;
}

size_t ks_pd_n_params(const ks_pd *pd)
{
    return pd ? KS_PD_N_PARAMS : 0;
}

int ks_pd_param_at(const ks_pd *pd, size_t i, ks_pd_param_info *info)
{
    if (!pd || !info || i >= KS_PD_N_PARAMS) return KS_EINVAL;
    const pd_param *p = &pd->p[i];
    info->name = KNOWN[i].name;
    info->unit = KNOWN[i].unit;
    info->value = p->value;
    info->source = p->source;
    info->verification = p->verification;
    info->note = p->note;
    info->est_from = p->est_from;
    info->est_command = p->est_command;
    info->est_fit = p->est_fit;
    return KS_OK;
}

double ks_pd_occupancy(const double *cu, const double *ki, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        if (ki[i] > 0 && cu[i] > 0) s += cu[i] / ki[i];
    return s / (1.0 + s);
}

/* Ki in ng/mL: uM x g/mol = ug/L = ng/mL. */
static double ki_ng_ml(const ks_pd *pd, int ki, int mw)
{
    return V(pd, ki) * V(pd, mw);
}

int ks_pd_analyte_weight(const ks_pd *pd, const char *analyte, double *weight, double *s_share,
                         int *known, ks_error *err)
{
    if (!pd || !analyte || !weight || !s_share || !known)
        return ks_error_set(err, KS_EINVAL, "ks_pd_analyte_weight: NULL argument");
    double fs = V(pd, P_S_FRACTION), kp = V(pd, P_KPUU), kpn = kp * V(pd, P_KPUU_NK_REL);
    double kis = ki_ng_ml(pd, P_KI_S_KET, P_MW_KET), kir = ki_ng_ml(pd, P_KI_R_KET, P_MW_KET);
    double kisn = ki_ng_ml(pd, P_KI_S_NK, P_MW_NK), kirn = ki_ng_ml(pd, P_KI_R_NK, P_MW_NK);
    *known = 1;
    *s_share = 0.0;
    if (strcmp(analyte, "ketamine") == 0) {
        *weight = V(pd, P_FU_KET) * kp * (fs / kis + (1.0 - fs) / kir);
        *s_share = fs;
    } else if (strcmp(analyte, "esketamine") == 0) {
        *weight = V(pd, P_FU_ESK) * kp / kis;
        *s_share = 1.0;
    } else if (strcmp(analyte, "arketamine") == 0) {
        *weight = V(pd, P_FU_KET) * kp / kir;
    } else if (strcmp(analyte, "norketamine") == 0) {
        *weight = V(pd, P_FU_NK) * kpn * (fs / kisn + (1.0 - fs) / kirn);
    } else if (strcmp(analyte, "noresketamine") == 0) {
        *weight = V(pd, P_FU_NK) * kpn / kisn;
    } else {
        *weight = 0.0;
        *known = 0;
    }
    return KS_OK;
}

static const char *EFFECT_NAME[KS_PD_N_EFFECTS] = {"cadss_score", "psy_vas_pct", "moaas_drop",
                                                   "dsbp_mmhg",   "ddbp_mmhg",   "dhr_bpm"};
static const char *EFFECT_LABEL[KS_PD_N_EFFECTS] = {"dissociation, CADSS (points above pre-dose)",
                                                    "psychedelic intensity (% of VAS maximum)",
                                                    "sedation, MOAA/S drop from 5 (points)",
                                                    "systolic BP rise (mmHg)",
                                                    "diastolic BP rise (mmHg)",
                                                    "heart-rate rise (beats/min)"};

const char *ks_pd_effect_name(int e)
{
    return e >= 0 && e < KS_PD_N_EFFECTS ? EFFECT_NAME[e] : "";
}
const char *ks_pd_effect_label(int e)
{
    return e >= 0 && e < KS_PD_N_EFFECTS ? EFFECT_LABEL[e] : "";
}

/* Variability of each effect: 0 none, 1 lognormal; omega. Blood pressure and heart
 * rate have none: their between-patient spread is not estimable from the published
 * figures (docs/pd.md), so only their typical (mean) course is given. */
static void effect_var(const ks_pd *pd, int e, int *kind, double *omega)
{
    *kind = 0;
    *omega = 0.0;
    switch (e) {
    case KS_PD_CADSS:
        *kind = 1;
        *omega = V(pd, P_CADSS_OMEGA);
        break;
    case KS_PD_SEDATION:
        *kind = 1;
        *omega = V(pd, P_SED_OMEGA);
        break;
    default:
        break;
    }
    if (!(*omega > 0)) *kind = 0;
}

double ks_pd_quantile(const ks_pd *pd, int effect, double typical, double p)
{
    int kind;
    double w;
    if (!pd || !(p > 0 && p < 1)) return NAN;
    effect_var(pd, effect, &kind, &w);
    double z = gsl_cdf_ugaussian_Pinv(p);
    if (kind == 1) return typical * exp(w * z);
    return typical;
}

double ks_pd_share_at_least(const ks_pd *pd, int effect, double typical, double threshold)
{
    int kind;
    double w;
    if (!pd) return NAN;
    effect_var(pd, effect, &kind, &w);
    if (!(threshold > 0)) return typical >= threshold ? 1.0 : 0.0;
    if (!(typical > 0)) return 0.0;
    if (kind == 1) return gsl_cdf_ugaussian_P(log(typical / threshold) / w);
    return typical >= threshold ? 1.0 : 0.0;
}

void ks_pd_course_free(ks_pd_course *c)
{
    if (!c) return;
    free(c->t_h);
    free(c->drive);
    free(c->occ);
    free(c->ce_s_ng_ml);
    for (int e = 0; e < KS_PD_N_EFFECTS; e++)
        free(c->typ[e]);
    free(c);
}

/* Exact step of dCe/dt = k (C - Ce) over h for C linear from a to b. */
static double filter_step(double ce, double a, double b, double k, double h)
{
    if (!(h > 0)) return ce;
    double s = (b - a) / h, e = exp(-k * h);
    return b - s / k + (ce - a + s / k) * e;
}

#define MAX_SUBSTEP_H (0.5 / 60.0)
#define MAX_AN 16

int ks_pd_run(const ks_pd *pd, ks_sim *sim, ks_pd_course **out, ks_error *err)
{
    if (!pd || !sim || !out) return ks_error_set(err, KS_EINVAL, "ks_pd_run: NULL argument");
    *out = NULL;
    size_t nt = ks_sim_n_times(sim), no = ks_sim_n_outputs(sim);
    const double *t = ks_sim_times(sim);
    if (nt == 0 || !t) return ks_error_set(err, KS_ESTATE, "ks_pd_run: run the simulation first");
    /* Plasma columns of known analytes. */
    int col[MAX_AN];
    double w[MAX_AN], sshare[MAX_AN];
    size_t na = 0;
    char note[512] = "";
    for (size_t j = 0; j < no && na < MAX_AN; j++) {
        const char *name = ks_sim_output_name(sim, j);
        if (strncmp(name, "cp_", 3) != 0) continue;
        int known;
        ks_pd_analyte_weight(pd, ks_sim_output_analyte(sim, j), &w[na], &sshare[na], &known, NULL);
        if (!known) {
            size_t l = strlen(note);
            snprintf(note + l, sizeof note - l,
                     "%s%s not counted (no NMDA affinity in the PD file)", l ? "; " : "",
                     ks_sim_output_analyte(sim, j));
            continue;
        }
        col[na++] = (int)j;
    }
    if (na == 0)
        return ks_error_set(err, KS_EINVAL,
                            "ks_pd_run: the model has no plasma output of ketamine, esketamine or "
                            "a norketamine");
    ks_pd_course *c = calloc(1, sizeof *c);
    if (!c) return ks_error_set(err, KS_ENOMEM, "out of memory");
    snprintf(c->note, sizeof c->note, "%s", note);
    c->n = nt;
    c->t_h = malloc(nt * sizeof(double));
    c->drive = malloc(nt * sizeof(double));
    c->occ = malloc(nt * sizeof(double));
    c->ce_s_ng_ml = malloc(nt * sizeof(double));
    int bad = !c->t_h || !c->drive || !c->occ || !c->ce_s_ng_ml;
    for (int e = 0; e < KS_PD_N_EFFECTS; e++) {
        c->typ[e] = malloc(nt * sizeof(double));
        bad |= !c->typ[e];
    }
    double *vals = malloc(no * sizeof(double));
    if (bad || !vals) {
        free(vals);
        ks_pd_course_free(c);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    double ke0 = log(2.0) / (V(pd, P_T_HALF_KE0) / 60.0);
    double ktol = log(2.0) / (V(pd, P_CADSS_THALF_TOL) / 60.0);
    double ce[MAX_AN] = {0}, cp_prev[MAX_AN] = {0};
    double dtol = 0.0, d_prev = 0.0, tprev = 0.0;
    int rc = KS_OK;
    for (size_t k = 0; k < nt && !rc; k++) {
        double span = t[k] - tprev;
        int m = span > 0 ? (int)ceil(span / MAX_SUBSTEP_H) : 0;
        for (int s = 1; s <= m && !rc; s++) {
            double ts = s == m ? t[k] : tprev + span * s / m, h = span / m;
            if ((rc = ks_sim_eval_next(sim, ts, vals, err))) break;
            double d = 0.0;
            for (size_t a = 0; a < na; a++) {
                double cp = vals[col[a]];
                ce[a] = filter_step(ce[a], cp_prev[a], cp, ke0, h);
                cp_prev[a] = cp;
                d += w[a] * ce[a];
            }
            /* The tolerance state follows the drive, which is linear in time between
             * sub-steps to the same accuracy. */
            dtol = filter_step(dtol, d_prev, d, ktol, h);
            d_prev = d;
        }
        tprev = t[k];
        double d = 0.0, cs = 0.0;
        for (size_t a = 0; a < na; a++) {
            d += w[a] * ce[a];
            cs += sshare[a] * ce[a];
        }
        c->t_h[k] = t[k];
        c->drive[k] = d;
        c->occ[k] = d / (1.0 + d);
        c->ce_s_ng_ml[k] = cs;
        double dt = d - dtol;
        c->typ[KS_PD_CADSS][k] = V(pd, P_CADSS_SLOPE) * (dt > 0 ? dt : 0.0);
        c->typ[KS_PD_PSY][k] = fmin(100.0, V(pd, P_PSY_SLOPE) * d);
        c->typ[KS_PD_SEDATION][k] = fmin(5.0, V(pd, P_SED_SLOPE) * d);
        c->typ[KS_PD_DSBP][k] = V(pd, P_SBP_SLOPE) * cs;
        c->typ[KS_PD_DDBP][k] = V(pd, P_DBP_SLOPE) * cs;
        c->typ[KS_PD_DHR][k] = V(pd, P_HR_SLOPE) * cs;
    }
    free(vals);
    if (rc) {
        ks_pd_course_free(c);
        return rc;
    }
    *out = c;
    return KS_OK;
}
