/* Model accessors, per-individual parameter values, finding model files by name. */
#include "model/model_internal.h"
#include "core/linalg.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *ks_model_name(const ks_model *m)
{
    return m->name;
}
const char *ks_model_title(const ks_model *m)
{
    return m->title;
}
const char *ks_model_drug(const ks_model *m)
{
    return m->drug;
}
const char *ks_model_sampling_site(const ks_model *m)
{
    return m->sampling_site;
}
const char *ks_model_population(const ks_model *m)
{
    return m->population;
}
const char *ks_model_path(const ks_model *m)
{
    return m->path ? m->path : "";
}
const char *ks_model_source(const ks_model *m)
{
    return m->source;
}
const char *ks_model_structure_text(const ks_model *m)
{
    return m->structure_text;
}
const char *ks_model_validity_note(const ks_model *m)
{
    return m->validity_note ? m->validity_note : "";
}

size_t ks_model_n_routes(const ks_model *m)
{
    return (size_t)m->n_routes;
}
const char *ks_model_route_name(const ks_model *m, size_t i)
{
    return i < (size_t)m->n_routes ? m->routes[i].name : NULL;
}
const char *ks_model_route_description(const ks_model *m, size_t i)
{
    return i < (size_t)m->n_routes ? m->routes[i].description : NULL;
}

int ks_model_route_index(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_routes; i++)
        if (strcmp(m->routes[i].name, name) == 0) return i;
    return -1;
}

int ks_model_has_route(const ks_model *m, const char *name)
{
    return name && ks_model_route_index(m, name) >= 0;
}

int ks_model_route_takes_duration(const ks_model *m, const char *name)
{
    int i = ks_model_route_index(m, name);
    return i >= 0 && m->routes[i].takes_duration;
}

size_t ks_model_n_compartments(const ks_model *m)
{
    return (size_t)m->n_comps;
}
const char *ks_model_compartment_name(const ks_model *m, size_t i)
{
    return i < (size_t)m->n_comps ? m->comps[i].name : NULL;
}

size_t ks_model_n_analytes(const ks_model *m)
{
    return (size_t)m->n_analytes;
}
const char *ks_model_analyte_name(const ks_model *m, size_t i)
{
    return i < (size_t)m->n_analytes ? m->analytes[i].name : NULL;
}
double ks_model_analyte_molar_mass(const ks_model *m, size_t i)
{
    return i < (size_t)m->n_analytes ? m->analytes[i].molar_mass : NAN;
}

size_t ks_model_n_params(const ks_model *m)
{
    return (size_t)m->n_params;
}
int ks_model_param(const ks_model *m, size_t i, ks_param_info *info)
{
    if (i >= (size_t)m->n_params || !info) return KS_EINVAL;
    const ks_mparam *p = &m->params[i];
    info->name = p->name;
    info->value = p->published;
    info->unit = p->unit;
    info->source = p->source;
    info->verification = p->verification;
    info->note = p->note;
    info->covariates = p->cov_text ? p->cov_text : "";
    info->rse_percent = isnan(p->rse) ? NAN : 100.0 * p->rse;
    return KS_OK;
}

size_t ks_model_n_citations(const ks_model *m)
{
    return (size_t)m->n_citations;
}
int ks_model_citation(const ks_model *m, size_t i, ks_citation_info *info)
{
    if (i >= (size_t)m->n_citations || !info) return KS_EINVAL;
    const ks_mcitation *c = &m->citations[i];
    info->key = c->key;
    info->text = c->text;
    info->doi = c->doi;
    info->where_read = c->where_read;
    info->verification = c->verification;
    return KS_OK;
}

int ks_model_validity(const ks_model *m, const char *covariate, double *lo, double *hi)
{
    for (int i = 0; i < m->n_validity; i++) {
        if (strcmp(m->covariates[m->validity[i].covariate].name, covariate) == 0) {
            if (lo) *lo = m->validity[i].lo;
            if (hi) *hi = m->validity[i].hi;
            return KS_OK;
        }
    }
    return KS_ENOTFOUND;
}

/* ---------------------------------------------------------------- covariates */

int ks_covariates_set(ks_covariates *c, const char *name, double value, ks_error *err)
{
    if (!c || !name) return ks_error_set(err, KS_EINVAL, "covariates: NULL argument");
    if (strlen(name) >= sizeof c->name[0])
        return ks_error_set(err, KS_EINVAL, "covariate name \"%s\" is too long", name);
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], name) == 0) {
            c->value[i] = value;
            return KS_OK;
        }
    }
    if (c->n >= KS_MAX_COVARIATES)
        return ks_error_set(err, KS_EINVAL, "more than %d covariates", KS_MAX_COVARIATES);
    snprintf(c->name[c->n], sizeof c->name[0], "%s", name);
    c->value[c->n++] = value;
    return KS_OK;
}

int ks_covariates_get(const ks_covariates *c, const char *name, double *value)
{
    if (!c) return 0;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], name) == 0) {
            if (value) *value = c->value[i];
            return 1;
        }
    }
    return 0;
}

/* The value of model covariate i for this patient (its default when not given). */
static int covariate_value(const ks_model *m, int i, const ks_covariates *c, double *v,
                           ks_error *err)
{
    const ks_mcovariate *mc = &m->covariates[i];
    if (ks_covariates_get(c, mc->name, v)) return KS_OK;
    if (mc->required)
        return ks_error_set(err, KS_EINVAL, "model %s needs the covariate \"%s\" (%s)", m->name,
                            mc->name, mc->unit);
    *v = mc->def;
    return KS_OK;
}

static int check_one_value(const ks_model *m, const ks_mcovariate *mc, double v, ks_error *err)
{
    if (!isfinite(v))
        return ks_error_set(err, KS_EINVAL, "covariate %s: value is not a finite number", mc->name);
    if (strcmp(mc->unit, "kg") == 0 && !(v > 0))
        return ks_error_set(err, KS_EINVAL, "covariate %s: %g kg must be positive", mc->name, v);
    if (strcmp(mc->unit, "y") == 0 && v < 0)
        return ks_error_set(err, KS_EINVAL, "covariate %s: %g y must not be negative", mc->name, v);
    if (strcmp(mc->unit, "flag") == 0 && v != 0 && v != 1)
        return ks_error_set(err, KS_EINVAL, "covariate %s: %g must be 0 or 1", mc->name, v);
    (void)m;
    return KS_OK;
}

int ks_model_check_covariates(const ks_model *m, const ks_covariates *c, char *warnings,
                              size_t warnings_size, int *n_warnings, ks_error *err)
{
    int nw = 0;
    size_t used = 0;
    if (warnings && warnings_size) warnings[0] = '\0';
    for (int i = 0; i < m->n_covariates; i++) {
        double v;
        int rc = covariate_value(m, i, c, &v, err);
        if (rc) return rc;
        if ((rc = check_one_value(m, &m->covariates[i], v, err))) return rc;
    }
    for (int i = 0; c && i < c->n; i++) {
        int known = 0;
        for (int k = 0; k < m->n_covariates; k++)
            if (strcmp(m->covariates[k].name, c->name[i]) == 0) known = 1;
        if (!known && warnings && used < warnings_size) {
            used += (size_t)snprintf(warnings + used, warnings_size - used,
                                     "%smodel %s does not use the covariate \"%s\"; it is ignored",
                                     nw ? "\n" : "", m->name, c->name[i]);
            nw++;
        }
    }
    for (int i = 0; i < m->n_validity; i++) {
        const ks_mvalidity *r = &m->validity[i];
        const ks_mcovariate *mc = &m->covariates[r->covariate];
        double v;
        covariate_value(m, r->covariate, c, &v, NULL);
        if (v < r->lo || v > r->hi) {
            if (warnings && used < warnings_size)
                used += (size_t)snprintf(warnings + used, warnings_size - used,
                                         "%s%s %g %s is outside the range model %s was built on "
                                         "(%g-%g %s; %s)",
                                         nw ? "\n" : "", mc->name, v, mc->unit, m->name, r->lo,
                                         r->hi, mc->unit, m->validity_note ? m->validity_note : "");
            nw++;
        }
    }
    if (n_warnings) *n_warnings = nw;
    return KS_OK;
}

/* ---------------------------------------------------------------- individual values */

static double apply_effect(const ks_cov_effect *e, double value, double cov)
{
    switch (e->type) {
    case KS_COV_POWER:
        return value * pow(cov / e->reference, e->exponent);
    case KS_COV_FACTOR:
        return cov == 1.0 ? value * e->factor : value;
    case KS_COV_LINEAR_ABOVE:
        return value + e->slope * fmax(0.0, cov - e->threshold);
    case KS_COV_LINEAR:
        return value * (1.0 + e->slope * (cov - e->reference));
    }
    return value;
}

int ks_model_resolve(const ks_model *m, const ks_covariates *cov, double *values, ks_error *err)
{
    return ks_model_resolve_eta(m, cov, NULL, NULL, values, err);
}

int ks_model_resolve_eta(const ks_model *m, const ks_covariates *cov, const double *eta,
                         const int *eta_type, double *values, ks_error *err)
{
    double covv[64];
    if (m->n_covariates > 64) return ks_error_set(err, KS_EMODEL, "too many covariates");
    for (int i = 0; i < m->n_covariates; i++) {
        int rc = covariate_value(m, i, cov, &covv[i], err);
        if (rc) return rc;
        if ((rc = check_one_value(m, &m->covariates[i], covv[i], err))) return rc;
    }
    int wi = -1;
    for (int i = 0; i < m->n_covariates; i++)
        if (strcmp(m->covariates[i].name, "weight") == 0) wi = i;
    for (int i = 0; i < m->n_params; i++) {
        const ks_mparam *p = &m->params[i];
        double v = p->value;
        int type = eta ? (eta_type ? eta_type[i] : p->iiv_type) : KS_IIV_NONE;
        double e = eta ? eta[i] : 0.0;
        if (p->per_weight) v *= covv[wi];
        for (int k = 0; k < p->n_effects; k++)
            v = apply_effect(&p->effects[k], v, covv[p->effects[k].covariate]);
        if (type == KS_IIV_LOGNORMAL && e != 0.0) v *= exp(e);
        if (type == KS_IIV_LOGIT && e != 0.0) {
            if (!(v > 0.0 && v < 1.0))
                return ks_error_set(err, KS_EINVAL,
                                    "model %s: parameter %s is %g for these covariates: logit "
                                    "variability needs a fraction strictly between 0 and 1",
                                    m->name, p->name, v);
            double l = log(v / (1.0 - v)) + e;
            v = 1.0 / (1.0 + exp(-l));
        }
        if (!isfinite(v) || (p->dim != KS_DIM_NONE && v < 0))
            return ks_error_set(err, KS_EINVAL,
                                "model %s: parameter %s is %g for these "
                                "covariates (not a valid value)",
                                m->name, p->name, v);
        values[i] = v;
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- variability */

size_t ks_model_n_iiv(const ks_model *m)
{
    size_t n = 0;
    for (int i = 0; m && i < m->n_params; i++)
        n += m->params[i].iiv_type != KS_IIV_NONE;
    return n;
}

int ks_model_iiv(const ks_model *m, size_t k, ks_iiv_info *info)
{
    if (!m || !info) return KS_EINVAL;
    for (int i = 0; i < m->n_params; i++) {
        const ks_mparam *p = &m->params[i];
        if (p->iiv_type == KS_IIV_NONE) continue;
        if (k-- == 0) {
            info->param = (size_t)i;
            info->name = p->name;
            info->type = (ks_iiv_type)p->iiv_type;
            info->variance = p->iiv_var;
            return KS_OK;
        }
    }
    return KS_ENOTFOUND;
}

/* Position of parameter p among the parameters with variability, or -1. */
static int iiv_slot(const ks_model *m, int p)
{
    int k = 0;
    for (int i = 0; i < m->n_params; i++) {
        if (m->params[i].iiv_type == KS_IIV_NONE) continue;
        if (i == p) return k;
        k++;
    }
    return -1;
}

void ks_model_iiv_matrix(const ks_model *m, double *omega)
{
    size_t n = ks_model_n_iiv(m);
    for (size_t i = 0; i < n * n; i++)
        omega[i] = 0.0;
    size_t k = 0;
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].iiv_type != KS_IIV_NONE) {
            omega[k * n + k] = m->params[i].iiv_var;
            k++;
        }
    for (int j = 0; j < m->n_iiv_cov; j++) {
        int a = iiv_slot(m, m->iiv_cov[j].a), b = iiv_slot(m, m->iiv_cov[j].b);
        omega[(size_t)a * n + (size_t)b] = omega[(size_t)b * n + (size_t)a] = m->iiv_cov[j].cov;
    }
}

int ks_model_iiv_positive_definite(const ks_model *m)
{
    size_t n = ks_model_n_iiv(m);
    if (n == 0 || m->n_iiv_cov == 0) return 1; /* diagonal with variances >= 0 */
    double *a = malloc(n * n * sizeof *a);
    if (!a) return 0;
    ks_model_iiv_matrix(m, a);
    int ok = ks_cholesky(a, n) == 0;
    free(a);
    return ok;
}

/* ---------------------------------------------------------------- finding files */

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int append_name(char ***names, size_t *n, size_t *cap, const char *file)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        char **nn = realloc(*names, nc * sizeof *nn);
        if (!nn) return KS_ENOMEM;
        *names = nn;
        *cap = nc;
    }
    size_t len = strlen(file) - 5; /* without ".json" */
    char *s = malloc(len + 1);
    if (!s) return KS_ENOMEM;
    memcpy(s, file, len);
    s[len] = '\0';
    (*names)[(*n)++] = s;
    return KS_OK;
}

/* Collect model names in dir and its direct subfolders. */
static int scan_dir(const char *dir, int depth, char ***names, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d) return depth == 0 ? KS_EIO : KS_OK;
    struct dirent *e;
    int rc = KS_OK;
    while (rc == KS_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth == 0)
            rc = scan_dir(path, 1, names, n, cap);
        else if (S_ISREG(st.st_mode) && has_suffix(e->d_name, ".json"))
            rc = append_name(names, n, cap, e->d_name);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ks_model_list(const char *dir, char ***names, size_t *n, ks_error *err)
{
    *names = NULL;
    *n = 0;
    size_t cap = 0;
    int rc = scan_dir(dir, 0, names, n, &cap);
    if (rc) {
        ks_model_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return ks_error_set(
            err, rc, rc == KS_EIO ? "cannot read the models folder %s" : "out of memory listing %s",
            dir);
    }
    qsort(*names, *n, sizeof **names, cmp_str);
    return KS_OK;
}

void ks_model_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Edit distance, for suggesting the closest model names. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

static void suggest(const char *name, char **names, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t used = 0;
    /* The up to three nearest names, nearest first. */
    int taken[512] = {0};
    for (int k = 0; k < 3; k++) {
        size_t best = (size_t)-1, bi = 0;
        for (size_t i = 0; i < n && i < 512; i++) {
            if (taken[i]) continue;
            size_t d = edit_distance(name, names[i]);
            if (strstr(names[i], name) || strstr(name, names[i])) d = d / 4;
            if (d < best) {
                best = d;
                bi = i;
            }
        }
        if (best == (size_t)-1) break;
        taken[bi] = 1;
        used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s", k ? ", " : "",
                                 names[bi]);
        if (used >= size) break;
    }
}

int ks_model_find(const char *name, const char *dir, char *path, size_t path_size, ks_error *err)
{
    struct stat st;
    if (!name || !*name) return ks_error_set(err, KS_EINVAL, "no model name given");
    if (strchr(name, '/') || has_suffix(name, ".json")) {
        if (stat(name, &st) != 0 || !S_ISREG(st.st_mode))
            return ks_error_set(err, KS_ENOTFOUND, "no model file \"%s\"", name);
        if (strlen(name) >= path_size)
            return ks_error_set(err, KS_EINVAL, "model path too long: %s", name);
        snprintf(path, path_size, "%s", name);
        return KS_OK;
    }
    char **names;
    size_t n;
    int rc = ks_model_list(dir, &names, &n, err);
    if (rc) return rc;
    /* Look in dir and its subfolders for <name>.json. */
    DIR *d = opendir(dir);
    int found = 0;
    char cand[4096];
    snprintf(cand, sizeof cand, "%s/%s.json", dir, name);
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) found = 1;
    struct dirent *e;
    /* Look at every subfolder: one name in two folders is ambiguous, not first-come. */
    char other[4096];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(other, sizeof other, "%s/%s/%s.json", dir, e->d_name, name);
        if (stat(other, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (found) {
            closedir(d);
            ks_model_names_free(names, n);
            return ks_error_set(err, KS_EMODEL, "model name \"%s\" is ambiguous: %s and %s",
                                name, cand, other);
        }
        memcpy(cand, other, sizeof cand);
        found = 1;
    }
    if (d) closedir(d);
    if (found) {
        ks_model_names_free(names, n);
        if (strlen(cand) >= path_size)
            return ks_error_set(err, KS_EINVAL, "model path too long: %s", cand);
        snprintf(path, path_size, "%s", cand);
        return KS_OK;
    }
    char sug[256];
    suggest(name, names, n, sug, sizeof sug);
    ks_model_names_free(names, n);
    return ks_error_set(err, KS_ENOTFOUND, "unknown model \"%s\"%s%s%s", name,
                        *sug ? " (closest: " : "", sug, *sug ? ")" : "");
}
