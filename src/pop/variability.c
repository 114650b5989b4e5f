/* Inter-individual variability: the model's published matrix, user overrides, and
 * the correlated draws eta = L z. */
#include "ketsim/trial.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/linalg.h"
#include "model/model_internal.h"

struct ks_variability {
    const ks_model *m;
    size_t n;      /* items */
    size_t *param; /* model parameter of each item */
    int *type;     /* ks_iiv_type */
    int *assumed;
    double *omega; /* n x n */
    double *chol;  /* n x n lower */
    char notes[1024];
};

static int grow(ks_variability *v, size_t n)
{
    size_t *p = realloc(v->param, n * sizeof *p);
    if (!p) return KS_ENOMEM;
    v->param = p;
    int *t = realloc(v->type, n * sizeof *t);
    if (!t) return KS_ENOMEM;
    v->type = t;
    int *a = realloc(v->assumed, n * sizeof *a);
    if (!a) return KS_ENOMEM;
    v->assumed = a;
    double *o = calloc(n > 0 ? n * n : 1, sizeof *o);
    double *c = calloc(n > 0 ? n * n : 1, sizeof *c);
    if (!o || !c) {
        free(o);
        free(c);
        return KS_ENOMEM;
    }
    for (size_t i = 0; i < v->n; i++)
        for (size_t j = 0; j < v->n; j++)
            o[i * n + j] = v->omega[i * v->n + j];
    free(v->omega);
    free(v->chol);
    v->omega = o;
    v->chol = c;
    return KS_OK;
}

static int factor(ks_variability *v, ks_error *err)
{
    size_t n = v->n;
    memcpy(v->chol, v->omega, n * n * sizeof *v->chol);
    /* A zero variance (an item set to 0 %) has a zero row: factor the rest. */
    for (size_t i = 0; i < n; i++)
        if (v->omega[i * n + i] == 0.0) v->chol[i * n + i] = 1.0;
    if (n && ks_cholesky(v->chol, n))
        return ks_error_set(err, KS_EMODEL,
                            "model %s: the variability matrix is not positive "
                            "definite",
                            v->m->name);
    for (size_t i = 0; i < n; i++)
        if (v->omega[i * n + i] == 0.0) v->chol[i * n + i] = 0.0;
    return KS_OK;
}

int ks_variability_create(const ks_model *m, ks_variability **out, ks_error *err)
{
    if (!m || !out) return ks_error_set(err, KS_EINVAL, "ks_variability_create: NULL argument");
    ks_variability *v = calloc(1, sizeof *v);
    if (!v) return ks_error_set(err, KS_ENOMEM, "out of memory");
    v->m = m;
    size_t n = ks_model_n_iiv(m);
    if (n > KS_MAX_IIV) {
        free(v);
        return ks_error_set(err, KS_EMODEL,
                            "model %s has %zu parameters with variability; "
                            "ketsim draws at most %d",
                            m->name, n, KS_MAX_IIV);
    }
    if (grow(v, n ? n : 1)) {
        ks_variability_free(v);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    v->n = n;
    ks_model_iiv_matrix(m, v->omega);
    for (size_t k = 0; k < n; k++) {
        ks_iiv_info info;
        ks_model_iiv(m, k, &info);
        v->param[k] = info.param;
        v->type[k] = info.type;
        v->assumed[k] = 0;
    }
    int rc = factor(v, err);
    if (rc) {
        ks_variability_free(v);
        return rc;
    }
    *out = v;
    return KS_OK;
}

void ks_variability_free(ks_variability *v)
{
    if (!v) return;
    free(v->param);
    free(v->type);
    free(v->assumed);
    free(v->omega);
    free(v->chol);
    free(v);
}

static void note(ks_variability *v, const char *fmt, const char *a)
{
    size_t used = strlen(v->notes);
    if (used + 1 >= sizeof v->notes) return;
    if (used) v->notes[used++] = '\n';
    snprintf(v->notes + used, sizeof v->notes - used, fmt, a);
}

static int item_of(const ks_variability *v, size_t param)
{
    for (size_t k = 0; k < v->n; k++)
        if (v->param[k] == param) return (int)k;
    return -1;
}

/* Remove item k: its row and column of the matrix. */
static void remove_item(ks_variability *v, size_t k)
{
    size_t n = v->n, w = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == k) continue;
        for (size_t j = 0, c = 0; j < n; j++) {
            if (j == k) continue;
            v->omega[w * (n - 1) + c++] = v->omega[i * n + j];
        }
        w++;
    }
    memmove(v->param + k, v->param + k + 1, (n - k - 1) * sizeof *v->param);
    memmove(v->type + k, v->type + k + 1, (n - k - 1) * sizeof *v->type);
    memmove(v->assumed + k, v->assumed + k + 1, (n - k - 1) * sizeof *v->assumed);
    v->n = n - 1;
}

static int drop_covariances(ks_variability *v, size_t k)
{
    int had = 0;
    for (size_t j = 0; j < v->n; j++)
        if (j != k && v->omega[k * v->n + j] != 0.0) {
            had = 1;
            v->omega[k * v->n + j] = v->omega[j * v->n + k] = 0.0;
        }
    return had;
}

/* The item without surrounding white space (in place). */
static char *trim(char *tok)
{
    while (isspace((unsigned char)*tok))
        tok++;
    size_t len = strlen(tok);
    while (len && isspace((unsigned char)tok[len - 1]))
        tok[--len] = '\0';
    return tok;
}

static int param_named(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

/* One "NAME=CV%" item. */
static int override_one(ks_variability *v, const char *item, int pos, ks_error *err)
{
    char name[64];
    const char *eq = strchr(item, '=');
    if (!eq || eq == item || (size_t)(eq - item) >= sizeof name)
        return ks_error_set(err, KS_EINVAL, "item %d (\"%s\"): expected NAME=CV%% (e.g. CL=30%%)",
                            pos, item);
    memcpy(name, item, (size_t)(eq - item));
    name[eq - item] = '\0';
    int p = param_named(v->m, name);
    if (p < 0)
        return ks_error_set(err, KS_EINVAL, "item %d (\"%s\"): model %s has no parameter %s", pos,
                            item, v->m->name, name);
    const ks_mparam *mp = &v->m->params[p];
    char *end;
    double cv = strtod(eq + 1, &end);
    if (end == eq + 1 || !isfinite(cv) || cv < 0 || !(*end == '\0' || strcmp(end, "%") == 0))
        return ks_error_set(err, KS_EINVAL,
                            "item %d (\"%s\"): the variability must be a CV in percent >= 0 "
                            "(e.g. %s=30%%)",
                            pos, item, name);
    if (cv > 0 && *end != '%')
        return ks_error_set(err, KS_EINVAL, "item %d (\"%s\"): give the CV with %%, e.g. %s=%g%%",
                            pos, item, name, cv);
    if (cv > 0 && (mp->dim == KS_DIM_NONE || mp->value <= 0))
        return ks_error_set(err, KS_EINVAL,
                            "item %d (\"%s\"): %s is dimensionless or not positive: lognormal "
                            "variability is for positive quantities (volumes, clearances, "
                            "rates, times)",
                            pos, item, name);
    int k = item_of(v, (size_t)p);
    if (cv == 0) {
        if (k >= 0) {
            remove_item(v, (size_t)k);
            note(v, "%s: variability removed by --iiv (assumed none)", name);
        }
        return KS_OK;
    }
    if (k < 0) {
        if (v->n >= KS_MAX_IIV)
            return ks_error_set(err, KS_EINVAL,
                                "item %d (\"%s\"): at most %d parameters "
                                "with variability",
                                pos, item, KS_MAX_IIV);
        if (grow(v, v->n + 1)) return ks_error_set(err, KS_ENOMEM, "out of memory");
        /* grow() kept the old matrix in the top-left of the (n+1)^2 layout. */
        k = (int)v->n;
        v->param[k] = (size_t)p;
        v->n++;
    } else if (drop_covariances(v, (size_t)k)) {
        note(v, "%s: published covariances dropped because --iiv replaced its variance", name);
    }
    v->type[k] = KS_IIV_LOGNORMAL;
    v->assumed[k] = 2; /* 2 while parsing: catches duplicates; 1 after */
    v->omega[(size_t)k * v->n + (size_t)k] = log1p((cv / 100.0) * (cv / 100.0));
    return KS_OK;
}

int ks_variability_override(ks_variability *v, const char *text, ks_error *err)
{
    if (!v || !text) return ks_error_set(err, KS_EINVAL, "ks_variability_override: NULL argument");
    char *copy = strdup(text);
    if (!copy) return ks_error_set(err, KS_ENOMEM, "out of memory");
    int rc = KS_OK, pos = 0;
    char *save = NULL, *seen[64];
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        size_t nlen = strcspn(tok, "=");
        for (int i = 0; i < pos && i < 64; i++)
            if (strlen(seen[i]) >= nlen && strncmp(seen[i], tok, nlen) == 0 &&
                (seen[i][nlen] == '=' || seen[i][nlen] == '\0'))
                rc = ks_error_set(err, KS_EINVAL, "item %d (\"%s\"): %.*s is given twice", pos + 1,
                                  tok, (int)nlen, tok);
        if (rc) break;
        if (pos < 64) seen[pos] = tok;
        rc = override_one(v, tok, ++pos, err);
    }
    if (!rc && pos == 0) rc = ks_error_set(err, KS_EINVAL, "no item (expected NAME=CV%%,...)");
    for (size_t k = 0; k < v->n; k++)
        if (v->assumed[k] == 2) v->assumed[k] = 1;
    free(copy);
    if (rc) return rc;
    return factor(v, err);
}

int ks_variability_keep(ks_variability *v, const char *names, ks_error *err)
{
    if (!v || !names) return ks_error_set(err, KS_EINVAL, "ks_variability_keep: NULL argument");
    int *keep = calloc(v->n ? v->n : 1, sizeof *keep);
    char *copy = strdup(names);
    if (!keep || !copy) {
        free(keep);
        free(copy);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    int rc = KS_OK, pos = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        pos++;
        int p = param_named(v->m, tok);
        int k = p >= 0 ? item_of(v, (size_t)p) : -1;
        if (k < 0)
            rc = ks_error_set(err, KS_EINVAL, "item %d (\"%s\"): %s", pos, tok,
                              p < 0 ? "no such parameter" : "this parameter has no variability");
        else
            keep[k] = 1;
    }
    if (!rc && pos == 0) rc = ks_error_set(err, KS_EINVAL, "no parameter named");
    if (!rc)
        for (size_t k = v->n; k-- > 0;)
            if (!keep[k]) remove_item(v, k);
    free(keep);
    free(copy);
    return rc ? rc : factor(v, err);
}

size_t ks_variability_n(const ks_variability *v)
{
    return v ? v->n : 0;
}

int ks_variability_item_get(const ks_variability *v, size_t k, ks_variability_item *item)
{
    if (!v || !item || k >= v->n) return KS_EINVAL;
    item->param = v->param[k];
    item->name = v->m->params[v->param[k]].name;
    item->type = (ks_iiv_type)v->type[k];
    item->variance = v->omega[k * v->n + k];
    item->assumed = v->assumed[k] != 0;
    return KS_OK;
}

void ks_variability_matrix(const ks_variability *v, double *omega)
{
    memcpy(omega, v->omega, v->n * v->n * sizeof *omega);
}

const char *ks_variability_notes(const ks_variability *v)
{
    return v ? v->notes : "";
}

void ks_variability_sample(const ks_variability *v, uint64_t seed, uint32_t replicate,
                           uint64_t patient, double *eta, int *eta_type)
{
    size_t np = (size_t)v->m->n_params, n = v->n;
    for (size_t p = 0; p < np; p++) {
        eta[p] = 0.0;
        eta_type[p] = KS_IIV_NONE;
    }
    double z[KS_MAX_IIV], pair[2];
    for (size_t i = 0; i < n; i += 2) {
        ks_rng_normal2(seed, replicate, patient, KS_RNG_ETA, (uint32_t)(i / 2), pair);
        z[i] = pair[0];
        if (i + 1 < n) z[i + 1] = pair[1];
    }
    for (size_t i = 0; i < n; i++) {
        double e = 0.0;
        const double *row = v->chol + i * n;
        for (size_t j = 0; j <= i; j++)
            e += row[j] * z[j];
        eta[v->param[i]] = e;
        eta_type[v->param[i]] = v->type[i];
    }
}
