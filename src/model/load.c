/* Model file loader: JSON (jansson) -> struct ks_model, with every check that
 * docs/model-format.md promises. Each failure names the file and the JSON path. */
#include "model/model_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    const char *origin;
    ks_model *m;
    ks_error *err;
} ctx;

static int fail(ctx *c, int code, const char *jpath, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(ctx *c, int code, const char *jpath, const char *fmt, ...)
{
    char msg[KS_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ks_error_set(c->err, code, "%.200s: %.120s: %s", c->origin, jpath, msg);
}

static const char *VERIFICATION_LEVELS[] = {
    "full-text table", "full-text text", "abstract", "code (paper cited)",
    "code only",       "secondary",      "derived",  "estimated"};

static int check_verification(ctx *c, const char *jpath, const char *v)
{
    for (size_t i = 0; i < sizeof VERIFICATION_LEVELS / sizeof *VERIFICATION_LEVELS; i++)
        if (strcmp(v, VERIFICATION_LEVELS[i]) == 0) return KS_OK;
    return fail(c, KS_EMODEL, jpath,
                "unknown verification level \"%s\" (one of: full-text table, full-text text, "
                "abstract, code (paper cited), code only, secondary, derived, estimated)",
                v);
}

/* Required string member. */
static int get_str(ctx *c, json_t *obj, const char *key, const char *jpath, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return fail(c, KS_EMODEL, jpath, "missing \"%s\"", key);
    if (!json_is_string(v)) return fail(c, KS_EMODEL, jpath, "\"%s\" must be a string", key);
    *out = json_string_value(v);
    return KS_OK;
}

/* Reject keys the format does not define: a misspelled key ("fration") would
 * otherwise be ignored and its default used silently. `allowed` ends with NULL. */
static int check_keys(ctx *c, json_t *obj, const char *jpath, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char list[400];
            size_t used = 0;
            list[0] = '\0';
            for (const char *const *a = allowed; *a && used < sizeof list; a++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         a == allowed ? "" : ", ", *a);
            return fail(c, KS_EMODEL, jpath, "unknown key \"%s\" (known: %s)", key, list);
        }
    }
    return KS_OK;
}

/* An optional boolean member: absent gives `def`; anything but true/false is an error. */
static int opt_bool(ctx *c, json_t *obj, const char *key, const char *jpath, int def, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = def;
        return KS_OK;
    }
    if (!json_is_boolean(v)) return fail(c, KS_EMODEL, jpath, "\"%s\" must be true or false", key);
    *out = json_is_true(v);
    return KS_OK;
}

static const char *KEYS_TOP[] = {"format",
                                 "name",
                                 "title",
                                 "drug",
                                 "description",
                                 "citations",
                                 "source",
                                 "population",
                                 "validity",
                                 "validity_note",
                                 "sampling_site",
                                 "sampling_note",
                                 "covariates",
                                 "analytes",
                                 "parameters",
                                 "compartments",
                                 "flows",
                                 "effect_sites",
                                 "routes",
                                 "residual_error",
                                 "iiv_covariance",
                                 "notes",
                                 NULL};
static const char *KEYS_CITATION[] = {"authors",    "year",         "title", "journal",  "volume",
                                      "issue",      "pages",        "doi",   "doi_note", "pmid",
                                      "where_read", "verification", "note",  NULL};
static const char *KEYS_ANALYTE[] = {"molar_mass_g_mol", "source", "note", NULL};
static const char *KEYS_COVARIATE[] = {"unit", "required", "default", "description", NULL};
static const char *KEYS_PARAM[] = {
    "value", "unit", "source", "verification", "note", "covariates", "iiv", "rse_percent", NULL};
static const char *KEYS_EFFECT[] = {"type",      "covariate", "reference",  "exponent", "factor",
                                    "threshold", "slope",     "slope_unit", "note",     NULL};
static const char *KEYS_IIV[] = {"type", "cv_percent", "omega2", "sd", "note", NULL};
static const char *KEYS_IIV_COV[] = {"parameters",   "covariance", "correlation", "source",
                                     "verification", "note",       NULL};
static const char *KEYS_COMP[] = {"analyte", "volume", "observed", "kind", "note", NULL};
static const char *KEYS_FLOW[] = {"from",       "to",      "rate", "clearance", "fraction",
                                  "conversion", "transit", "note", NULL};
static const char *KEYS_TRANSIT[] = {"n", "mtt", NULL};
static const char *KEYS_EFFECT_SITE[] = {"of", "ke0", "t_half_ke0", "note", NULL};
static const char *KEYS_ROUTE[] = {"description", "unit_dose", "pathways", "note", NULL};
static const char *KEYS_UNIT_DOSE[] = {"value", "unit", "what", NULL};
static const char *KEYS_PATH[] = {
    "to", "fraction", "bioavailability", "lag", "duration", "input", "conversion", "note", NULL};
static const char *KEYS_RESIDUAL[] = {"type",          "sd",           "cv_percent", "additive",
                                      "additive_unit", "proportional", "note",       NULL};

static const char *opt_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int valid_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

static int analyte_index(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_analytes; i++)
        if (strcmp(m->analytes[i].name, name) == 0) return i;
    return -1;
}

static int comp_index(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_comps; i++)
        if (strcmp(m->comps[i].name, name) == 0) return i;
    return -1;
}

static int param_index(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return i;
    return -1;
}

static int covariate_index(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_covariates; i++)
        if (strcmp(m->covariates[i].name, name) == 0) return i;
    return -1;
}

static int citation_index(const ks_model *m, const char *key)
{
    for (int i = 0; i < m->n_citations; i++)
        if (strcmp(m->citations[i].key, key) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- citations */

static int load_citation(ctx *c, const char *key, json_t *v, ks_mcitation *out)
{
    char jp[256];
    snprintf(jp, sizeof jp, "$.citations.%s", key);
    if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
    const char *authors = NULL, *where = NULL, *ver = NULL;
    int rc;
    if ((rc = check_keys(c, v, jp, KEYS_CITATION))) return rc;
    if ((rc = get_str(c, v, "authors", jp, &authors))) return rc;
    if ((rc = get_str(c, v, "where_read", jp, &where))) return rc;
    if ((rc = get_str(c, v, "verification", jp, &ver))) return rc;
    char jv[300];
    snprintf(jv, sizeof jv, "%s.verification", jp);
    if ((rc = check_verification(c, jv, ver))) return rc;
    json_t *year = json_object_get(v, "year");
    if (!json_is_integer(year)) return fail(c, KS_EMODEL, jp, "missing integer \"year\"");
    const char *doi = opt_str(v, "doi");
    if ((!doi || !*doi) && !opt_str(v, "doi_note"))
        return fail(c, KS_EMODEL, jp, "missing \"doi\" (or \"doi_note\" saying why there is none)");
    const char *title = opt_str(v, "title");
    const char *journal = opt_str(v, "journal");
    size_t n = strlen(authors) + (title ? strlen(title) : 0) + (journal ? strlen(journal) : 0) + 64;
    out->text = malloc(n);
    if (!out->text) return fail(c, KS_ENOMEM, jp, "out of memory");
    snprintf(out->text, n, "%s (%lld)%s%s%s%s", authors, (long long)json_integer_value(year),
             title ? " " : "", title ? title : "", journal ? " " : "", journal ? journal : "");
    out->key = key;
    out->doi = doi ? doi : "";
    out->where_read = where;
    out->verification = ver;
    return KS_OK;
}

static int load_citations(ctx *c, json_t *root)
{
    json_t *cits = json_object_get(root, "citations");
    if (!json_is_object(cits) || json_object_size(cits) == 0)
        return fail(c, KS_EMODEL, "$.citations", "missing or empty (every model cites its source)");
    ks_model *m = c->m;
    m->citations = calloc(json_object_size(cits), sizeof *m->citations);
    if (!m->citations) return fail(c, KS_ENOMEM, "$.citations", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(cits, key, v)
    {
        int rc = load_citation(c, key, v, &m->citations[m->n_citations]);
        m->n_citations++;
        if (rc) return rc;
    }
    const char *src = NULL;
    int rc = get_str(c, root, "source", "$", &src);
    if (rc) return rc;
    if (citation_index(m, src) < 0)
        return fail(c, KS_EMODEL, "$.source", "no citation with key \"%s\"", src);
    m->source = src;
    return KS_OK;
}

/* ---------------------------------------------------------------- analytes, covariates */

static int load_analytes(ctx *c, json_t *root)
{
    json_t *an = json_object_get(root, "analytes");
    if (!json_is_object(an) || json_object_size(an) == 0)
        return fail(c, KS_EMODEL, "$.analytes", "missing or empty");
    ks_model *m = c->m;
    m->analytes = calloc(json_object_size(an), sizeof *m->analytes);
    if (!m->analytes) return fail(c, KS_ENOMEM, "$.analytes", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(an, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.analytes.%s", key);
        if (!valid_name(key)) return fail(c, KS_EMODEL, jp, "name must use a-z, 0-9 and _ only");
        if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
        int rc = check_keys(c, v, jp, KEYS_ANALYTE);
        if (rc) return rc;
        json_t *mm = json_object_get(v, "molar_mass_g_mol");
        if (!json_is_number(mm) || !(json_number_value(mm) > 0))
            return fail(c, KS_EMODEL, jp, "\"molar_mass_g_mol\" must be a positive number");
        if (!opt_str(v, "source"))
            return fail(c, KS_EMODEL, jp, "missing \"source\" for the molar mass");
        m->analytes[m->n_analytes].name = key;
        m->analytes[m->n_analytes].molar_mass = json_number_value(mm);
        m->n_analytes++;
    }
    return KS_OK;
}

static int load_covariates(ctx *c, json_t *root)
{
    json_t *cv = json_object_get(root, "covariates");
    if (!cv) return KS_OK;
    if (!json_is_object(cv)) return fail(c, KS_EMODEL, "$.covariates", "must be an object");
    ks_model *m = c->m;
    m->covariates = calloc(json_object_size(cv) + 1, sizeof *m->covariates);
    if (!m->covariates) return fail(c, KS_ENOMEM, "$.covariates", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(cv, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.covariates.%s", key);
        if (strlen(key) >= 32) return fail(c, KS_EMODEL, jp, "name longer than 31 characters");
        if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
        const char *unit = NULL;
        int rc = check_keys(c, v, jp, KEYS_COVARIATE);
        if (!rc) rc = get_str(c, v, "unit", jp, &unit);
        if (rc) return rc;
        if (strcmp(unit, "kg") && strcmp(unit, "y") && strcmp(unit, "flag"))
            return fail(c, KS_EUNIT, jp, "unit \"%s\" (use kg, y or flag)", unit);
        /* ketsim's per-kg units and validity checks rely on these two meanings. */
        if ((strcmp(key, "weight") == 0 && strcmp(unit, "kg")) ||
            (strcmp(key, "age") == 0 && strcmp(unit, "y")))
            return fail(c, KS_EUNIT, jp, "covariate \"%s\" must be in %s", key,
                        strcmp(key, "weight") == 0 ? "kg" : "y");
        ks_mcovariate *cov = &m->covariates[m->n_covariates++];
        cov->name = key;
        cov->unit = unit;
        cov->description = opt_str(v, "description");
        json_t *def = json_object_get(v, "default");
        int req = 0;
        if ((rc = opt_bool(c, v, "required", jp, def == NULL, &req))) return rc;
        if (def) {
            if (!json_is_number(def)) return fail(c, KS_EMODEL, jp, "\"default\" must be a number");
            cov->def = json_number_value(def);
        }
        if (req && def) return fail(c, KS_EMODEL, jp, "a required covariate cannot have a default");
        if (!req && !def)
            return fail(c, KS_EMODEL, jp, "an optional covariate needs a \"default\"");
        cov->required = req;
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- parameters */

static int load_effect(ctx *c, json_t *e, const char *jp, ks_mparam *p, ks_cov_effect *out)
{
    const char *type = NULL, *cov = NULL;
    int rc;
    if (!json_is_object(e)) return fail(c, KS_EMODEL, jp, "must be an object");
    if ((rc = check_keys(c, e, jp, KEYS_EFFECT))) return rc;
    if ((rc = get_str(c, e, "type", jp, &type))) return rc;
    if ((rc = get_str(c, e, "covariate", jp, &cov))) return rc;
    out->covariate = covariate_index(c->m, cov);
    if (out->covariate < 0)
        return fail(c, KS_EMODEL, jp, "covariate \"%s\" is not declared in $.covariates", cov);
    const char *fields[3] = {NULL, NULL, NULL};
    double *targets[3] = {NULL, NULL, NULL};
    if (strcmp(type, "power") == 0) {
        out->type = KS_COV_POWER;
        fields[0] = "reference";
        targets[0] = &out->reference;
        fields[1] = "exponent";
        targets[1] = &out->exponent;
    } else if (strcmp(type, "factor") == 0) {
        if (strcmp(c->m->covariates[out->covariate].unit, "flag"))
            return fail(c, KS_EMODEL, jp,
                        "a \"factor\" effect needs a flag covariate (0/1), "
                        "not \"%s\" in %s",
                        cov, c->m->covariates[out->covariate].unit);
        out->type = KS_COV_FACTOR;
        fields[0] = "factor";
        targets[0] = &out->factor;
    } else if (strcmp(type, "linear_above") == 0) {
        out->type = KS_COV_LINEAR_ABOVE;
        fields[0] = "threshold";
        targets[0] = &out->threshold;
        fields[1] = "slope";
        targets[1] = &out->slope;
    } else if (strcmp(type, "linear") == 0) {
        out->type = KS_COV_LINEAR;
        fields[0] = "reference";
        targets[0] = &out->reference;
        fields[1] = "slope";
        targets[1] = &out->slope;
    } else {
        return fail(c, KS_EMODEL, jp,
                    "unknown covariate effect type \"%s\" (power, factor, "
                    "linear_above, linear)",
                    type);
    }
    for (int i = 0; i < 3 && fields[i]; i++) {
        json_t *v = json_object_get(e, fields[i]);
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            return fail(c, KS_EMODEL, jp, "\"%s\" must be a finite number", fields[i]);
        *targets[i] = json_number_value(v);
    }
    if (out->type == KS_COV_POWER && !(out->reference > 0))
        return fail(c, KS_EMODEL, jp, "\"reference\" must be positive");
    if (out->type == KS_COV_LINEAR_ABOVE) {
        /* The slope is in a unit per covariate unit; convert like the parameter. */
        const char *su = opt_str(e, "slope_unit");
        if (!su) return fail(c, KS_EMODEL, jp, "missing \"slope_unit\"");
        ks_dim d;
        double f;
        if (ks_unit_lookup(su, &d, &f, NULL))
            return fail(c, KS_EUNIT, jp, "unknown unit \"%s\" in \"slope_unit\"", su);
        if (d != p->dim || p->per_weight)
            return fail(c, KS_EUNIT, jp,
                        "\"slope_unit\" \"%s\" does not match the parameter's "
                        "unit \"%s\"",
                        su, p->unit);
        out->slope *= f;
    }
    return KS_OK;
}

static void describe_effect(const ks_model *m, const ks_cov_effect *e, const ks_mparam *p,
                            char *buf, size_t n)
{
    const char *cov = m->covariates[e->covariate].name;
    switch (e->type) {
    case KS_COV_POWER:
        snprintf(buf, n, "x (%s/%g)^%g", cov, e->reference, e->exponent);
        break;
    case KS_COV_FACTOR:
        snprintf(buf, n, "x %g if %s", e->factor, cov);
        break;
    case KS_COV_LINEAR_ABOVE:
        snprintf(buf, n, "%+g %s per %s above %g", e->slope, ks_dim_unit(p->dim), cov,
                 e->threshold);
        break;
    case KS_COV_LINEAR:
        snprintf(buf, n, "x (1 %+g (%s - %g))", e->slope, cov, e->reference);
        break;
    }
}

/* Inter-individual variability of one parameter: its type and variance on the
 * transformed scale (omega^2 for lognormal, sd^2 for logit). A lognormal CV% is
 * converted exactly: omega^2 = ln(1 + CV^2). */
static int load_iiv(ctx *c, json_t *iiv, const char *jp, ks_mparam *p)
{
    p->iiv_type = KS_IIV_NONE;
    p->iiv_var = 0.0;
    if (!iiv) return KS_OK;
    char ji[320];
    snprintf(ji, sizeof ji, "%s.iiv", jp);
    if (!json_is_object(iiv)) return fail(c, KS_EMODEL, ji, "must be an object");
    int rc = check_keys(c, iiv, ji, KEYS_IIV);
    if (rc) return rc;
    const char *type = opt_str(iiv, "type");
    if (!type) return fail(c, KS_EMODEL, ji, "missing \"type\" (lognormal or logit)");
    const char *need = NULL;
    int has_cv = json_object_get(iiv, "cv_percent") != NULL;
    int has_om = json_object_get(iiv, "omega2") != NULL,
        has_sd = json_object_get(iiv, "sd") != NULL;
    if (strcmp(type, "lognormal") == 0) {
        if (has_cv + has_om != 1 || has_sd)
            return fail(c, KS_EMODEL, ji,
                        "lognormal variability takes exactly one of "
                        "\"cv_percent\" and \"omega2\"");
        need = has_cv ? "cv_percent" : "omega2";
    } else if (strcmp(type, "logit") == 0) {
        if (!has_sd || has_cv || has_om)
            return fail(c, KS_EMODEL, ji, "logit variability takes \"sd\" only");
        need = "sd";
    } else {
        return fail(c, KS_EMODEL, ji, "unknown type \"%s\" (lognormal or logit)", type);
    }
    json_t *v = json_object_get(iiv, need);
    if (!json_is_number(v) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v)))
        return fail(c, KS_EMODEL, ji, "\"%s\" must be a finite number >= 0", need);
    double x = json_number_value(v);
    if (strcmp(need, "cv_percent") == 0) {
        p->iiv_type = KS_IIV_LOGNORMAL;
        p->iiv_var = log1p((x / 100.0) * (x / 100.0));
    } else if (strcmp(need, "omega2") == 0) {
        p->iiv_type = KS_IIV_LOGNORMAL;
        p->iiv_var = x;
    } else {
        if (p->dim != KS_DIM_NONE || p->value <= 0.0 || p->value >= 1.0)
            return fail(c, KS_EMODEL, ji,
                        "logit variability needs a dimensionless parameter strictly "
                        "between 0 and 1");
        p->iiv_type = KS_IIV_LOGIT;
        p->iiv_var = x * x;
    }
    return KS_OK;
}

static int load_param(ctx *c, const char *name, json_t *v, ks_mparam *p)
{
    char jp[256];
    snprintf(jp, sizeof jp, "$.parameters.%s", name);
    if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
    int rc0 = check_keys(c, v, jp, KEYS_PARAM);
    if (rc0) return rc0;
    p->name = name;
    json_t *val = json_object_get(v, "value");
    if (!json_is_number(val) || !isfinite(json_number_value(val)))
        return fail(c, KS_EMODEL, jp, "\"value\" must be a finite number");
    p->published = json_number_value(val);
    int rc;
    if ((rc = get_str(c, v, "unit", jp, &p->unit))) return rc;
    if ((rc = get_str(c, v, "source", jp, &p->source))) return rc;
    if (citation_index(c->m, p->source) < 0)
        return fail(c, KS_EMODEL, jp, "\"source\" \"%s\" is not a key of $.citations", p->source);
    if ((rc = get_str(c, v, "verification", jp, &p->verification))) return rc;
    char jv[300];
    snprintf(jv, sizeof jv, "%s.verification", jp);
    if ((rc = check_verification(c, jv, p->verification))) return rc;
    p->note = opt_str(v, "note");
    p->rse = NAN;
    json_t *rse = json_object_get(v, "rse_percent");
    if (rse) {
        if (!json_is_number(rse) || !(json_number_value(rse) >= 0) ||
            !isfinite(json_number_value(rse)))
            return fail(c, KS_EMODEL, jp, "\"rse_percent\" must be a finite number >= 0");
        p->rse = json_number_value(rse) / 100.0;
    }
    ks_dim dim;
    double factor;
    if (ks_unit_lookup(p->unit, &dim, &factor, NULL)) {
        snprintf(jv, sizeof jv, "%s.unit", jp);
        return fail(c, KS_EUNIT, jv, "unknown unit \"%s\"", p->unit);
    }
    p->value = p->published * factor;
    p->per_weight = 0;
    if (dim == KS_DIM_VOLUME_PER_WEIGHT) {
        dim = KS_DIM_VOLUME;
        p->per_weight = 1;
    }
    if (dim == KS_DIM_FLOW_PER_WEIGHT) {
        dim = KS_DIM_FLOW;
        p->per_weight = 1;
    }
    if (dim == KS_DIM_MASS_PER_WEIGHT) {
        dim = KS_DIM_MASS;
        p->per_weight = 1;
    }
    p->dim = dim;
    if (p->per_weight && covariate_index(c->m, "weight") < 0)
        return fail(c, KS_EMODEL, jp,
                    "unit \"%s\" is per kg but the model declares no "
                    "\"weight\" covariate",
                    p->unit);
    if (p->value < 0 && dim != KS_DIM_NONE)
        return fail(c, KS_EMODEL, jp, "negative %s %g %s", ks_dim_name(dim), p->published, p->unit);

    json_t *effs = json_object_get(v, "covariates");
    if (effs && !json_is_array(effs))
        return fail(c, KS_EMODEL, jp, "\"covariates\" must be an array");
    size_t ne = effs ? json_array_size(effs) : 0;
    p->effects = ne ? calloc(ne, sizeof *p->effects) : NULL;
    if (ne && !p->effects) return fail(c, KS_ENOMEM, jp, "out of memory");
    p->cov_text = calloc(1, 256 * (ne + 1));
    if (!p->cov_text) return fail(c, KS_ENOMEM, jp, "out of memory");
    for (size_t i = 0; i < ne; i++) {
        char je[320];
        snprintf(je, sizeof je, "%s.covariates[%zu]", jp, i);
        rc = load_effect(c, json_array_get(effs, i), je, p, &p->effects[i]);
        if (rc) return rc;
        p->n_effects++;
        char d[200];
        describe_effect(c->m, &p->effects[i], p, d, sizeof d);
        if (i) strcat(p->cov_text, "; ");
        strcat(p->cov_text, d);
    }
    return load_iiv(c, json_object_get(v, "iiv"), jp, p);
}

static int load_params(ctx *c, json_t *root)
{
    json_t *ps = json_object_get(root, "parameters");
    if (!json_is_object(ps) || json_object_size(ps) == 0)
        return fail(c, KS_EMODEL, "$.parameters", "missing or empty");
    ks_model *m = c->m;
    m->params = calloc(json_object_size(ps), sizeof *m->params);
    if (!m->params) return fail(c, KS_ENOMEM, "$.parameters", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(ps, key, v)
    {
        int rc = load_param(c, key, v, &m->params[m->n_params]);
        m->n_params++;
        if (rc) return rc;
    }
    return KS_OK;
}

/* A parameter reference that must exist and have dimension `dim`. */
static int ref_param(ctx *c, json_t *v, const char *jp, ks_dim dim, int *out)
{
    if (!json_is_string(v)) return fail(c, KS_EMODEL, jp, "must name a parameter");
    int i = param_index(c->m, json_string_value(v));
    if (i < 0) return fail(c, KS_EMODEL, jp, "no parameter named \"%s\"", json_string_value(v));
    if (c->m->params[i].dim != dim)
        return fail(c, KS_EUNIT, jp, "parameter \"%s\" has unit \"%s\" (a %s), expected a %s",
                    json_string_value(v), c->m->params[i].unit, ks_dim_name(c->m->params[i].dim),
                    ks_dim_name(dim));
    *out = i;
    return KS_OK;
}

/* A fraction: number in [0,1] or a dimensionless parameter. */
static int ref_fraction(ctx *c, json_t *v, const char *jp, ks_mvalue *out)
{
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (!(x >= 0 && x <= 1)) return fail(c, KS_EMODEL, jp, "fraction %g is outside [0, 1]", x);
        out->param = -1;
        out->number = x;
        return KS_OK;
    }
    int rc = ref_param(c, v, jp, KS_DIM_NONE, &out->param);
    if (rc) return rc;
    double x = c->m->params[out->param].value;
    if (!(x >= 0 && x <= 1))
        return fail(c, KS_EMODEL, jp, "fraction parameter \"%s\" = %g is outside [0, 1]",
                    c->m->params[out->param].name, x);
    return KS_OK;
}

/* ---------------------------------------------------------------- compartments, flows */

static int load_comps(ctx *c, json_t *root)
{
    json_t *cs = json_object_get(root, "compartments");
    if (!json_is_object(cs) || json_object_size(cs) == 0)
        return fail(c, KS_EMODEL, "$.compartments", "missing or empty");
    ks_model *m = c->m;
    m->comps = calloc(json_object_size(cs), sizeof *m->comps);
    if (!m->comps) return fail(c, KS_ENOMEM, "$.compartments", "out of memory");
    int *observed_per_analyte = calloc((size_t)m->n_analytes, sizeof(int));
    if (!observed_per_analyte) return fail(c, KS_ENOMEM, "$.compartments", "out of memory");
    const char *key;
    json_t *v;
    int rc = KS_OK;
    json_object_foreach(cs, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.compartments.%s", key);
        ks_mcomp *cp = &m->comps[m->n_comps];
        cp->name = key;
        cp->volume = -1;
        const char *an = NULL;
        if (!valid_name(key)) {
            rc = fail(c, KS_EMODEL, jp, "name must use a-z, 0-9 and _ only");
            break;
        }
        if (!json_is_object(v)) {
            rc = fail(c, KS_EMODEL, jp, "must be an object");
            break;
        }
        if ((rc = check_keys(c, v, jp, KEYS_COMP))) break;
        if ((rc = get_str(c, v, "analyte", jp, &an))) break;
        cp->analyte = analyte_index(m, an);
        if (cp->analyte < 0) {
            rc = fail(c, KS_EMODEL, jp, "no analyte named \"%s\"", an);
            break;
        }
        json_t *vol = json_object_get(v, "volume");
        if (vol) {
            char jv[300];
            snprintf(jv, sizeof jv, "%s.volume", jp);
            if ((rc = ref_param(c, vol, jv, KS_DIM_VOLUME, &cp->volume))) break;
            if (!(m->params[cp->volume].value > 0)) {
                rc = fail(c, KS_EMODEL, jv, "volume \"%s\" must be positive",
                          m->params[cp->volume].name);
                break;
            }
        }
        if ((rc = opt_bool(c, v, "observed", jp, 0, &cp->observed))) break;
        const char *kind = opt_str(v, "kind");
        cp->depot = kind && strcmp(kind, "depot") == 0;
        if (kind && !cp->depot && strcmp(kind, "body")) {
            rc = fail(c, KS_EMODEL, jp, "unknown kind \"%s\" (depot or body)", kind);
            break;
        }
        if (cp->observed) {
            if (cp->volume < 0) {
                rc = fail(c, KS_EMODEL, jp, "an observed compartment needs a volume");
                break;
            }
            if (observed_per_analyte[cp->analyte]++) {
                rc = fail(c, KS_EMODEL, jp, "a second observed compartment for analyte \"%s\"", an);
                break;
            }
        }
        m->n_comps++;
    }
    free(observed_per_analyte);
    return rc;
}

static int load_flow(ctx *c, json_t *f, const char *jp, ks_mflow *out)
{
    ks_model *m = c->m;
    const char *from = NULL;
    int rc;
    if (!json_is_object(f)) return fail(c, KS_EMODEL, jp, "must be an object");
    if ((rc = check_keys(c, f, jp, KEYS_FLOW))) return rc;
    if ((rc = get_str(c, f, "from", jp, &from))) return rc;
    out->from = comp_index(m, from);
    char jf[300];
    snprintf(jf, sizeof jf, "%s.from", jp);
    if (out->from < 0) return fail(c, KS_EMODEL, jf, "no compartment named \"%s\"", from);
    out->to = -1;
    const char *to = opt_str(f, "to");
    if (json_object_get(f, "to") && !to) return fail(c, KS_EMODEL, jp, "\"to\" must be a string");
    if (to) {
        char jt[300];
        snprintf(jt, sizeof jt, "%s.to", jp);
        out->to = comp_index(m, to);
        if (out->to < 0) return fail(c, KS_EMODEL, jt, "no compartment named \"%s\"", to);
        if (out->to == out->from) return fail(c, KS_EMODEL, jt, "a flow from \"%s\" to itself", to);
    }
    json_t *rate = json_object_get(f, "rate"), *cl = json_object_get(f, "clearance");
    out->rate = out->clearance = -1;
    if ((rate != NULL) == (cl != NULL))
        return fail(c, KS_EMODEL, jp, "give exactly one of \"rate\" and \"clearance\"");
    char jr[300];
    if (rate) {
        snprintf(jr, sizeof jr, "%s.rate", jp);
        if ((rc = ref_param(c, rate, jr, KS_DIM_RATE, &out->rate))) return rc;
    } else {
        snprintf(jr, sizeof jr, "%s.clearance", jp);
        if ((rc = ref_param(c, cl, jr, KS_DIM_FLOW, &out->clearance))) return rc;
        if (m->comps[out->from].volume < 0)
            return fail(c, KS_EMODEL, jr,
                        "compartment \"%s\" has no volume to turn a clearance "
                        "into a rate constant",
                        from);
    }
    json_t *fr = json_object_get(f, "fraction");
    out->fraction.param = -1;
    out->fraction.number = 1.0;
    if (fr) {
        snprintf(jr, sizeof jr, "%s.fraction", jp);
        if (!to) return fail(c, KS_EMODEL, jr, "a fraction needs a \"to\" compartment");
        if ((rc = ref_fraction(c, fr, jr, &out->fraction))) return rc;
    }
    out->conversion = 1.0;
    const char *conv = opt_str(f, "conversion");
    if (to && m->comps[out->to].analyte != m->comps[out->from].analyte) {
        snprintf(jr, sizeof jr, "%s.conversion", jp);
        if (!conv)
            return fail(c, KS_EMODEL, jp,
                        "flow between analytes \"%s\" and \"%s\" needs "
                        "\"conversion\": \"molar\" or \"mass\"",
                        m->analytes[m->comps[out->from].analyte].name,
                        m->analytes[m->comps[out->to].analyte].name);
        if (strcmp(conv, "molar") == 0)
            out->conversion = m->analytes[m->comps[out->to].analyte].molar_mass /
                              m->analytes[m->comps[out->from].analyte].molar_mass;
        else if (strcmp(conv, "mass") != 0)
            return fail(c, KS_EMODEL, jr, "unknown conversion \"%s\" (molar or mass)", conv);
    } else if (conv) {
        return fail(c, KS_EMODEL, jp, "\"conversion\" is only for flows between analytes");
    }
    json_t *tr = json_object_get(f, "transit");
    if (tr) {
        snprintf(jr, sizeof jr, "%s.transit", jp);
        if (!to) return fail(c, KS_EMODEL, jr, "a transit chain needs a \"to\" compartment");
        if (!json_is_object(tr)) return fail(c, KS_EMODEL, jr, "must be an object");
        if ((rc = check_keys(c, tr, jr, KEYS_TRANSIT))) return rc;
        json_t *n = json_object_get(tr, "n");
        if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 50)
            return fail(c, KS_EMODEL, jr, "\"n\" must be an integer from 1 to 50");
        out->transit_n = (int)json_integer_value(n);
        char jm[340];
        snprintf(jm, sizeof jm, "%s.mtt", jr);
        if ((rc = ref_param(c, json_object_get(tr, "mtt"), jm, KS_DIM_TIME, &out->transit_mtt)))
            return rc;
        if (!(m->params[out->transit_mtt].value > 0))
            return fail(c, KS_EMODEL, jm, "mean transit time must be positive");
    }
    return KS_OK;
}

static int load_flows(ctx *c, json_t *root)
{
    json_t *fs = json_object_get(root, "flows");
    if (!json_is_array(fs)) return fail(c, KS_EMODEL, "$.flows", "missing or not an array");
    ks_model *m = c->m;
    m->flows = calloc(json_array_size(fs) + 1, sizeof *m->flows);
    if (!m->flows) return fail(c, KS_ENOMEM, "$.flows", "out of memory");
    for (size_t i = 0; i < json_array_size(fs); i++) {
        char jp[64];
        snprintf(jp, sizeof jp, "$.flows[%zu]", i);
        int rc = load_flow(c, json_array_get(fs, i), jp, &m->flows[i]);
        if (rc) return rc;
        m->n_flows++;
    }
    return KS_OK;
}

static int load_effects(ctx *c, json_t *root)
{
    json_t *es = json_object_get(root, "effect_sites");
    if (!es) return KS_OK;
    if (!json_is_object(es)) return fail(c, KS_EMODEL, "$.effect_sites", "must be an object");
    ks_model *m = c->m;
    m->effects = calloc(json_object_size(es) + 1, sizeof *m->effects);
    if (!m->effects) return fail(c, KS_ENOMEM, "$.effect_sites", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(es, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.effect_sites.%s", key);
        ks_meffect *e = &m->effects[m->n_effects];
        e->name = key;
        e->ke0 = e->t_half = -1;
        const char *of = NULL;
        int rc;
        if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
        if ((rc = check_keys(c, v, jp, KEYS_EFFECT_SITE))) return rc;
        if ((rc = get_str(c, v, "of", jp, &of))) return rc;
        e->of = comp_index(m, of);
        char jo[300];
        snprintf(jo, sizeof jo, "%s.of", jp);
        if (e->of < 0) return fail(c, KS_EMODEL, jo, "no compartment named \"%s\"", of);
        if (!m->comps[e->of].observed)
            return fail(c, KS_EMODEL, jp, "compartment \"%s\" is not observed", of);
        for (int i = 0; i < m->n_effects; i++)
            if (m->effects[i].of == e->of)
                return fail(c, KS_EMODEL, jp, "a second effect site of \"%s\"", of);
        json_t *k = json_object_get(v, "ke0"), *th = json_object_get(v, "t_half_ke0");
        if ((k != NULL) == (th != NULL))
            return fail(c, KS_EMODEL, jp, "give exactly one of \"ke0\" and \"t_half_ke0\"");
        char jk[300];
        if (k) {
            snprintf(jk, sizeof jk, "%s.ke0", jp);
            if ((rc = ref_param(c, k, jk, KS_DIM_RATE, &e->ke0))) return rc;
            if (!(m->params[e->ke0].value > 0))
                return fail(c, KS_EMODEL, jk, "ke0 must be positive");
        } else {
            snprintf(jk, sizeof jk, "%s.t_half_ke0", jp);
            if ((rc = ref_param(c, th, jk, KS_DIM_TIME, &e->t_half))) return rc;
            if (!(m->params[e->t_half].value > 0))
                return fail(c, KS_EMODEL, jk, "half-life must be positive");
        }
        m->n_effects++;
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- routes */

static int load_fraction_spec(ctx *c, json_t *fr, const char *jp, ks_mroute *r, ks_mpath *p)
{
    int rc;
    p->frac_kind = KS_FRAC_VALUE;
    p->fraction.param = -1;
    p->fraction.number = 1.0;
    if (!fr) return KS_OK;
    if (json_is_string(fr) && strcmp(json_string_value(fr), "remainder") == 0) {
        p->frac_kind = KS_FRAC_REMAINDER;
        return KS_OK;
    }
    if (json_is_object(fr)) {
        json_t *pu = json_object_get(fr, "per_unit");
        if (!json_is_object(pu))
            return fail(c, KS_EMODEL, jp, "object fractions need \"per_unit\"");
        if (r->unit_dose <= 0)
            return fail(c, KS_EMODEL, jp, "\"per_unit\" needs the route's \"unit_dose\"");
        char jq[400];
        snprintf(jq, sizeof jq, "%s.per_unit.first", jp);
        /* A dimensionless parameter in [0, 1] (a bare number is not supported here). */
        ks_mvalue first = {-1, 0.0};
        if ((rc = ref_fraction(c, json_object_get(pu, "first"), jq, &first))) return rc;
        if (first.param < 0)
            return fail(c, KS_EMODEL, jq, "must name a dimensionless parameter, not a number");
        p->per_first = first.param;
        snprintf(jq, sizeof jq, "%s.per_unit.subsequent_factor", jp);
        if ((rc = ref_param(c, json_object_get(pu, "subsequent_factor"), jq, KS_DIM_NONE,
                            &p->per_factor)))
            return rc;
        p->frac_kind = KS_FRAC_PER_UNIT;
        return KS_OK;
    }
    return ref_fraction(c, fr, jp, &p->fraction);
}

static int load_path(ctx *c, json_t *v, const char *jp, ks_mroute *r, ks_mpath *p, int first)
{
    ks_model *m = c->m;
    const char *to = NULL;
    int rc;
    if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
    if ((rc = check_keys(c, v, jp, KEYS_PATH))) return rc;
    if ((rc = get_str(c, v, "to", jp, &to))) return rc;
    p->to = comp_index(m, to);
    char jq[320];
    snprintf(jq, sizeof jq, "%s.to", jp);
    if (p->to < 0) return fail(c, KS_EMODEL, jq, "no compartment named \"%s\"", to);
    if (first) r->analyte = m->comps[p->to].analyte;
    p->conversion = 1.0;
    if (m->comps[p->to].analyte != r->analyte) {
        const char *conv = opt_str(v, "conversion");
        if (!conv || (strcmp(conv, "molar") && strcmp(conv, "mass")))
            return fail(c, KS_EMODEL, jp,
                        "a pathway into another analyte needs \"conversion\": "
                        "\"molar\" or \"mass\"");
        if (strcmp(conv, "molar") == 0)
            p->conversion = m->analytes[m->comps[p->to].analyte].molar_mass /
                            m->analytes[r->analyte].molar_mass;
    }
    snprintf(jq, sizeof jq, "%s.fraction", jp);
    if ((rc = load_fraction_spec(c, json_object_get(v, "fraction"), jq, r, p))) return rc;
    p->bioav.param = -1;
    p->bioav.number = 1.0;
    json_t *b = json_object_get(v, "bioavailability");
    snprintf(jq, sizeof jq, "%s.bioavailability", jp);
    if (b && (rc = ref_fraction(c, b, jq, &p->bioav))) return rc;
    p->lag = p->duration = -1;
    json_t *lag = json_object_get(v, "lag"), *dur = json_object_get(v, "duration");
    snprintf(jq, sizeof jq, "%s.lag", jp);
    if (lag && (rc = ref_param(c, lag, jq, KS_DIM_TIME, &p->lag))) return rc;
    snprintf(jq, sizeof jq, "%s.duration", jp);
    if (dur && (rc = ref_param(c, dur, jq, KS_DIM_TIME, &p->duration))) return rc;
    if (dur && !(m->params[p->duration].value > 0))
        return fail(c, KS_EMODEL, jq, "duration must be positive");
    const char *input = opt_str(v, "input");
    if (input) {
        if (strcmp(input, "user"))
            return fail(c, KS_EMODEL, jp, "unknown input \"%s\" (user)", input);
        if (dur)
            return fail(c, KS_EMODEL, jp,
                        "\"input\": \"user\" and \"duration\" exclude each other");
        p->user_input = 1;
        r->takes_duration = 1;
    }
    return KS_OK;
}

static int check_route_fractions(ctx *c, const char *jp, ks_mroute *r)
{
    int remainders = 0;
    double sum = 0.0;
    for (int i = 0; i < r->n_paths; i++) {
        ks_mpath *p = &r->paths[i];
        if (p->frac_kind == KS_FRAC_REMAINDER)
            remainders++;
        else if (p->frac_kind == KS_FRAC_VALUE)
            sum +=
                p->fraction.param >= 0 ? c->m->params[p->fraction.param].value : p->fraction.number;
        else
            sum += c->m->params[p->per_first].value;
    }
    if (remainders > 1) return fail(c, KS_EMODEL, jp, "more than one \"remainder\" pathway");
    if (sum > 1.0 + 1e-12)
        return fail(c, KS_EMODEL, jp, "pathway fractions sum to %g, more than 1", sum);
    return KS_OK;
}

static int load_route(ctx *c, const char *name, json_t *v, ks_mroute *r)
{
    char jp[256];
    snprintf(jp, sizeof jp, "$.routes.%s", name);
    if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
    int rc0 = check_keys(c, v, jp, KEYS_ROUTE);
    if (rc0) return rc0;
    r->name = name;
    r->description = opt_str(v, "description");
    if (!r->description) return fail(c, KS_EMODEL, jp, "missing \"description\"");
    json_t *ud = json_object_get(v, "unit_dose");
    if (ud) {
        char ju[300];
        snprintf(ju, sizeof ju, "%s.unit_dose", jp);
        if (!json_is_object(ud)) return fail(c, KS_EMODEL, ju, "must be an object");
        if ((rc0 = check_keys(c, ud, ju, KEYS_UNIT_DOSE))) return rc0;
        json_t *val = json_object_get(ud, "value");
        const char *unit = opt_str(ud, "unit");
        if (!json_is_number(val) || !unit || strcmp(unit, "mg") || !(json_number_value(val) > 0))
            return fail(c, KS_EMODEL, jp, "\"unit_dose\" needs a positive \"value\" in \"mg\"");
        r->unit_dose = json_number_value(val);
        r->unit_what = opt_str(ud, "what");
        if (!r->unit_what) r->unit_what = "unit";
    }
    json_t *ps = json_object_get(v, "pathways");
    if (!json_is_array(ps) || json_array_size(ps) == 0)
        return fail(c, KS_EMODEL, jp, "missing or empty \"pathways\"");
    r->paths = calloc(json_array_size(ps), sizeof *r->paths);
    if (!r->paths) return fail(c, KS_ENOMEM, jp, "out of memory");
    for (size_t i = 0; i < json_array_size(ps); i++) {
        char jq[300];
        snprintf(jq, sizeof jq, "%s.pathways[%zu]", jp, i);
        int rc = load_path(c, json_array_get(ps, i), jq, r, &r->paths[i], i == 0);
        r->n_paths++;
        if (rc) return rc;
    }
    return check_route_fractions(c, jp, r);
}

static int load_routes(ctx *c, json_t *root)
{
    json_t *rs = json_object_get(root, "routes");
    if (!json_is_object(rs) || json_object_size(rs) == 0)
        return fail(c, KS_EMODEL, "$.routes", "missing or empty");
    ks_model *m = c->m;
    m->routes = calloc(json_object_size(rs), sizeof *m->routes);
    if (!m->routes) return fail(c, KS_ENOMEM, "$.routes", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(rs, key, v)
    {
        int rc = load_route(c, key, v, &m->routes[m->n_routes]);
        m->n_routes++;
        if (rc) return rc;
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- top level */

static int load_validity(ctx *c, json_t *root)
{
    json_t *va = json_object_get(root, "validity");
    if (!va) return KS_OK;
    if (!json_is_object(va)) return fail(c, KS_EMODEL, "$.validity", "must be an object");
    ks_model *m = c->m;
    if (!(m->validity_note = opt_str(root, "validity_note")))
        return fail(c, KS_EMODEL, "$",
                    "\"validity\" needs a \"validity_note\" saying where it comes from");
    m->validity = calloc(json_object_size(va) + 1, sizeof *m->validity);
    if (!m->validity) return fail(c, KS_ENOMEM, "$.validity", "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach(va, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.validity.%s", key);
        /* Accept "weight_kg" / "age_y" as well as the bare covariate name. */
        char cov[64];
        snprintf(cov, sizeof cov, "%s", key);
        char *us = strrchr(cov, '_');
        int ci = covariate_index(m, cov);
        if (ci < 0 && us) {
            *us = '\0';
            ci = covariate_index(m, cov);
        }
        if (ci < 0) return fail(c, KS_EMODEL, jp, "no covariate \"%s\" in $.covariates", cov);
        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
            !json_is_number(json_array_get(v, 1)))
            return fail(c, KS_EMODEL, jp, "must be [low, high]");
        ks_mvalidity *r = &m->validity[m->n_validity++];
        r->covariate = ci;
        r->lo = json_number_value(json_array_get(v, 0));
        r->hi = json_number_value(json_array_get(v, 1));
        if (!(r->lo <= r->hi)) return fail(c, KS_EMODEL, jp, "low is above high");
    }
    return KS_OK;
}

static int load_header(ctx *c, json_t *root)
{
    ks_model *m = c->m;
    const char *fmt = NULL;
    int rc;
    if (!json_is_object(root)) return fail(c, KS_EMODEL, "$", "must be a JSON object");
    if ((rc = get_str(c, root, "format", "$", &fmt))) return rc;
    if (strcmp(fmt, "ketsim-model/1") == 0 && (rc = check_keys(c, root, "$", KEYS_TOP))) return rc;
    json_t *notes = json_object_get(root, "notes");
    if (notes) {
        if (!json_is_array(notes))
            return fail(c, KS_EMODEL, "$.notes", "must be an array of strings");
        for (size_t i = 0; i < json_array_size(notes); i++)
            if (!json_is_string(json_array_get(notes, i)))
                return fail(c, KS_EMODEL, "$.notes", "item %zu is not a string", i);
    }
    if (strcmp(fmt, "ketsim-model/1"))
        return fail(c, KS_EMODEL, "$.format", "\"%s\" is not \"ketsim-model/1\"", fmt);
    if ((rc = get_str(c, root, "name", "$", &m->name))) return rc;
    if ((rc = get_str(c, root, "title", "$", &m->title))) return rc;
    if ((rc = get_str(c, root, "drug", "$", &m->drug))) return rc;
    if ((rc = get_str(c, root, "sampling_site", "$", &m->sampling_site))) return rc;
    if (strcmp(m->sampling_site, "arterial") && strcmp(m->sampling_site, "venous") &&
        strcmp(m->sampling_site, "unknown"))
        return fail(c, KS_EMODEL, "$.sampling_site", "\"%s\" (arterial, venous or unknown)",
                    m->sampling_site);
    m->sampling_note = opt_str(root, "sampling_note");
    m->description = opt_str(root, "description");
    json_t *pop = json_object_get(root, "population");
    if (!json_is_object(pop)) return fail(c, KS_EMODEL, "$.population", "missing or not an object");
    if ((rc = get_str(c, pop, "description", "$.population", &m->population))) return rc;
    /* The name must match the file name, so that `--model NAME` finds this file. */
    if (m->path) {
        const char *base = strrchr(m->path, '/');
        base = base ? base + 1 : m->path;
        size_t len = strlen(m->name);
        if (strncmp(base, m->name, len) || strcmp(base + len, ".json"))
            return fail(c, KS_EMODEL, "$.name", "\"%s\" does not match the file name \"%s\"",
                        m->name, base);
    }
    return KS_OK;
}

/* Every compartment must be reachable by something, and an effect site or flow
 * must not reference a depot as observed; check that no body compartment is
 * a dead end that holds drug forever by mistake? That is a modelling choice,
 * so it is not rejected. Build the readable structure text. */
static int build_structure_text(ctx *c)
{
    ks_model *m = c->m;
    size_t cap = 4096 + 256 * (size_t)(m->n_comps + m->n_flows + m->n_effects);
    char *s = malloc(cap);
    if (!s) return fail(c, KS_ENOMEM, "$", "out of memory");
    size_t n = 0;
    n += (size_t)snprintf(s + n, cap - n, "compartments:\n");
    for (int i = 0; i < m->n_comps; i++) {
        const ks_mcomp *cp = &m->comps[i];
        n += (size_t)snprintf(s + n, cap - n, "  %-18s %-14s %s%s%s%s\n", cp->name,
                              m->analytes[cp->analyte].name, cp->depot ? "depot" : "body",
                              cp->volume >= 0 ? ", volume " : "",
                              cp->volume >= 0 ? m->params[cp->volume].name : "",
                              cp->observed ? ", observed (cp)" : "");
    }
    n += (size_t)snprintf(s + n, cap - n, "flows:\n");
    for (int i = 0; i < m->n_flows; i++) {
        const ks_mflow *f = &m->flows[i];
        const char *by = f->rate >= 0 ? m->params[f->rate].name : m->params[f->clearance].name;
        char frac[96] = "";
        if (f->fraction.param >= 0)
            snprintf(frac, sizeof frac, " x %s", m->params[f->fraction.param].name);
        else if (f->fraction.number != 1.0)
            snprintf(frac, sizeof frac, " x %g", f->fraction.number);
        char tr[96] = "";
        if (f->transit_n)
            snprintf(tr, sizeof tr, " via %d transit compartments (MTT %s)", f->transit_n,
                     m->params[f->transit_mtt].name);
        n += (size_t)snprintf(s + n, cap - n, "  %-18s -> %-18s %s %s%s%s%s\n",
                              m->comps[f->from].name, f->to >= 0 ? m->comps[f->to].name : "(out)",
                              f->rate >= 0 ? "rate" : "clearance", by, frac, tr,
                              f->conversion != 1.0 ? " (molar conversion)" : "");
    }
    if (m->n_effects) n += (size_t)snprintf(s + n, cap - n, "effect sites:\n");
    for (int i = 0; i < m->n_effects; i++) {
        const ks_meffect *e = &m->effects[i];
        n += (size_t)snprintf(s + n, cap - n, "  %-18s of %s, %s %s\n", e->name,
                              m->comps[e->of].name, e->ke0 >= 0 ? "ke0" : "t1/2 ke0",
                              m->params[e->ke0 >= 0 ? e->ke0 : e->t_half].name);
    }
    n += (size_t)snprintf(s + n, cap - n, "routes:\n");
    for (int i = 0; i < m->n_routes; i++) {
        const ks_mroute *r = &m->routes[i];
        n += (size_t)snprintf(s + n, cap - n, "  %s: %s\n", r->name, r->description);
        for (int k = 0; k < r->n_paths && n < cap - 256; k++) {
            const ks_mpath *p = &r->paths[k];
            char frac[128];
            if (p->frac_kind == KS_FRAC_REMAINDER)
                snprintf(frac, sizeof frac, "the remainder");
            else if (p->frac_kind == KS_FRAC_PER_UNIT)
                snprintf(frac, sizeof frac, "%s per %s (x %s for each later one)",
                         m->params[p->per_first].name, r->unit_what, m->params[p->per_factor].name);
            else if (p->fraction.param >= 0)
                snprintf(frac, sizeof frac, "%s", m->params[p->fraction.param].name);
            else
                snprintf(frac, sizeof frac, "%g", p->fraction.number);
            n += (size_t)snprintf(
                s + n, cap - n, "    %s into %s%s%s%s%s%s%s\n", frac, m->comps[p->to].name,
                p->bioav.param >= 0 ? ", bioavailability " : "",
                p->bioav.param >= 0 ? m->params[p->bioav.param].name : "",
                p->duration >= 0 ? ", zero-order over " : "",
                p->duration >= 0 ? m->params[p->duration].name : "", p->lag >= 0 ? ", lag " : "",
                p->lag >= 0 ? m->params[p->lag].name : "");
            if (p->user_input)
                n += (size_t)snprintf(s + n, cap - n, "    (bolus, or infusion over --over)\n");
        }
    }
    m->structure_text = s;
    return KS_OK;
}

/* Residual error: one object per analyte; not simulated yet, but checked. */
static int load_residual(ctx *c, json_t *root)
{
    json_t *re = json_object_get(root, "residual_error");
    if (!re) return KS_OK;
    if (!json_is_object(re)) return fail(c, KS_EMODEL, "$.residual_error", "must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(re, key, v)
    {
        char jp[256];
        snprintf(jp, sizeof jp, "$.residual_error.%s", key);
        if (analyte_index(c->m, key) < 0)
            return fail(c, KS_EMODEL, jp, "no analyte named \"%s\"", key);
        if (!json_is_object(v)) return fail(c, KS_EMODEL, jp, "must be an object");
        int rc = check_keys(c, v, jp, KEYS_RESIDUAL);
        if (rc) return rc;
        const char *type = opt_str(v, "type");
        const char *types[] = {"proportional", "additive", "combined", "lognormal"};
        int ok = 0;
        for (int i = 0; type && i < 4; i++)
            ok |= strcmp(type, types[i]) == 0;
        if (!ok)
            return fail(c, KS_EMODEL, jp,
                        "\"type\" must be proportional, additive, "
                        "combined or lognormal");
    }
    return KS_OK;
}

/* Covariances between parameters' variabilities ("iiv_covariance": a list of
 * pairs). The whole matrix must be positive definite. */
static int load_iiv_cov(ctx *c, json_t *root)
{
    json_t *list = json_object_get(root, "iiv_covariance");
    if (!list) return KS_OK;
    if (!json_is_array(list)) return fail(c, KS_EMODEL, "$.iiv_covariance", "must be an array");
    ks_model *m = c->m;
    size_t n = json_array_size(list);
    m->iiv_cov = n ? calloc(n, sizeof *m->iiv_cov) : NULL;
    if (n && !m->iiv_cov) return fail(c, KS_ENOMEM, "$.iiv_covariance", "out of memory");
    for (size_t i = 0; i < n; i++) {
        char jp[64];
        snprintf(jp, sizeof jp, "$.iiv_covariance[%zu]", i);
        json_t *e = json_array_get(list, i);
        if (!json_is_object(e)) return fail(c, KS_EMODEL, jp, "must be an object");
        int rc = check_keys(c, e, jp, KEYS_IIV_COV);
        if (rc) return rc;
        json_t *ps = json_object_get(e, "parameters");
        if (!json_is_array(ps) || json_array_size(ps) != 2 ||
            !json_is_string(json_array_get(ps, 0)) || !json_is_string(json_array_get(ps, 1)))
            return fail(c, KS_EMODEL, jp, "\"parameters\" must be two parameter names");
        int ab[2];
        for (int k = 0; k < 2; k++) {
            const char *pn = json_string_value(json_array_get(ps, k));
            ab[k] = param_index(m, pn);
            if (ab[k] < 0) return fail(c, KS_EMODEL, jp, "no parameter named \"%s\"", pn);
            if (m->params[ab[k]].iiv_type == KS_IIV_NONE)
                return fail(c, KS_EMODEL, jp, "parameter %s has no \"iiv\"", pn);
        }
        if (ab[0] == ab[1]) return fail(c, KS_EMODEL, jp, "the two parameters must differ");
        for (int j = 0; j < m->n_iiv_cov; j++)
            if ((m->iiv_cov[j].a == ab[0] && m->iiv_cov[j].b == ab[1]) ||
                (m->iiv_cov[j].a == ab[1] && m->iiv_cov[j].b == ab[0]))
                return fail(c, KS_EMODEL, jp, "this pair is given twice");
        json_t *cv = json_object_get(e, "covariance"), *cr = json_object_get(e, "correlation");
        if (!!cv == !!cr)
            return fail(c, KS_EMODEL, jp, "give exactly one of \"covariance\" and \"correlation\"");
        json_t *x = cv ? cv : cr;
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return fail(c, KS_EMODEL, jp, "\"%s\" must be a finite number",
                        cv ? "covariance" : "correlation");
        double sa = sqrt(m->params[ab[0]].iiv_var), sb = sqrt(m->params[ab[1]].iiv_var);
        double cov = cv ? json_number_value(x) : json_number_value(x) * sa * sb;
        if (cr && !(fabs(json_number_value(x)) < 1.0))
            return fail(c, KS_EMODEL, jp, "\"correlation\" must be strictly between -1 and 1");
        const char *src = NULL;
        if ((rc = get_str(c, e, "source", jp, &src))) return rc;
        if (citation_index(m, src) < 0)
            return fail(c, KS_EMODEL, jp, "\"source\" \"%s\" is not a key of $.citations", src);
        const char *ver = NULL;
        if ((rc = get_str(c, e, "verification", jp, &ver))) return rc;
        char jv[96];
        snprintf(jv, sizeof jv, "%s.verification", jp);
        if ((rc = check_verification(c, jv, ver))) return rc;
        m->iiv_cov[m->n_iiv_cov].a = ab[0];
        m->iiv_cov[m->n_iiv_cov].b = ab[1];
        m->iiv_cov[m->n_iiv_cov].cov = cov;
        m->n_iiv_cov++;
    }
    if (!ks_model_iiv_positive_definite(m))
        return fail(c, KS_EMODEL, "$.iiv_covariance",
                    "the variability matrix is not positive definite (check the covariances)");
    return KS_OK;
}

static int load_all(ctx *c, json_t *root)
{
    int rc;
    if ((rc = load_header(c, root))) return rc;
    if ((rc = load_citations(c, root))) return rc;
    if ((rc = load_analytes(c, root))) return rc;
    if ((rc = load_covariates(c, root))) return rc;
    if ((rc = load_params(c, root))) return rc;
    if ((rc = load_comps(c, root))) return rc;
    if ((rc = load_flows(c, root))) return rc;
    if ((rc = load_effects(c, root))) return rc;
    if ((rc = load_routes(c, root))) return rc;
    if ((rc = load_validity(c, root))) return rc;
    if ((rc = load_residual(c, root))) return rc;
    if ((rc = load_iiv_cov(c, root))) return rc;
    return build_structure_text(c);
}

void ks_model_free(ks_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_citations; i++)
        free(m->citations[i].text);
    for (int i = 0; i < m->n_params; i++) {
        free(m->params[i].effects);
        free(m->params[i].cov_text);
    }
    for (int i = 0; i < m->n_routes; i++)
        free(m->routes[i].paths);
    free(m->iiv_cov);
    free(m->citations);
    free(m->analytes);
    free(m->covariates);
    free(m->params);
    free(m->comps);
    free(m->flows);
    free(m->effects);
    free(m->routes);
    free(m->validity);
    free(m->structure_text);
    free(m->path);
    json_decref(m->root);
    free(m);
}

static int load_from_root(json_t *root, const char *origin, const char *path, ks_model **out,
                          ks_error *err)
{
    ks_model *m = calloc(1, sizeof *m);
    if (!m) {
        json_decref(root);
        return ks_error_set(err, KS_ENOMEM, "%s: out of memory", origin);
    }
    m->root = root;
    if (path && !(m->path = strdup(path))) {
        ks_model_free(m);
        return ks_error_set(err, KS_ENOMEM, "%s: out of memory", origin);
    }
    ctx c = {origin, m, err};
    int rc = load_all(&c, root);
    if (rc) {
        ks_model_free(m);
        return rc;
    }
    *out = m;
    return KS_OK;
}

int ks_model_load_string(const char *json, const char *origin, ks_model **out, ks_error *err)
{
    if (!json || !out) return ks_error_set(err, KS_EINVAL, "ks_model_load_string: NULL argument");
    if (!origin) origin = "(model text)";
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return ks_error_set(err, KS_EPARSE, "%s: line %d, column %d: %s", origin, je.line,
                            je.column, je.text);
    return load_from_root(root, origin, NULL, out, err);
}

int ks_model_load(const char *path, ks_model **out, ks_error *err)
{
    if (!path || !out) return ks_error_set(err, KS_EINVAL, "ks_model_load: NULL argument");
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (!f) return ks_error_set(err, KS_EIO, "%s: cannot open model file", path);
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root)
        return ks_error_set(err, KS_EPARSE, "%s: line %d, column %d: %s", path, je.line, je.column,
                            je.text);
    return load_from_root(root, path, path, out, err);
}

/* Per-kg dimensions count as their base dimension when a parameter's unit changes. */
static ks_dim base_dim(ks_dim d)
{
    switch (d) {
    case KS_DIM_VOLUME_PER_WEIGHT:
        return KS_DIM_VOLUME;
    case KS_DIM_FLOW_PER_WEIGHT:
        return KS_DIM_FLOW;
    case KS_DIM_MASS_PER_WEIGHT:
        return KS_DIM_MASS;
    default:
        return d;
    }
}

/* The new value is written into a copy of the model's JSON document, which is loaded
 * again with every check; on success the new model's contents replace the old ones. */
int ks_model_set_param(ks_model *m, const char *name, double value, const char *unit, ks_error *err)
{
    if (!m || !name || !unit)
        return ks_error_set(err, KS_EINVAL, "ks_model_set_param: NULL argument");
    int i = param_index(m, name);
    if (i < 0)
        return ks_error_set(err, KS_ENOTFOUND, "model %s has no parameter \"%s\"", m->name, name);
    if (!isfinite(value))
        return ks_error_set(err, KS_EINVAL,
                            "parameter %s of model %s: the value is not a finite number", name,
                            m->name);
    ks_dim dim;
    double factor;
    if (ks_unit_lookup(unit, &dim, &factor, NULL))
        return ks_error_set(err, KS_EUNIT, "parameter %s of model %s: unknown unit \"%s\"", name,
                            m->name, unit);
    if (base_dim(dim) != m->params[i].dim)
        return ks_error_set(err, KS_EUNIT,
                            "parameter %s of model %s: \"%s\" is a %s unit, the parameter is a %s "
                            "(\"%s\")",
                            name, m->name, unit, ks_dim_name(dim), ks_dim_name(m->params[i].dim),
                            m->params[i].unit);
    json_t *root = json_deep_copy(m->root);
    json_t *p = root ? json_object_get(json_object_get(root, "parameters"), name) : NULL;
    if (!p || json_object_set_new(p, "value", json_real(value)) ||
        json_object_set_new(p, "unit", json_string(unit))) {
        json_decref(root);
        return ks_error_set(err, KS_ENOMEM, "parameter %s of model %s: out of memory", name,
                            m->name);
    }
    char origin[512];
    snprintf(origin, sizeof origin, "%.300s (with %.64s = %.17g %.16s)",
             m->path ? m->path : m->name, name, value, unit);
    ks_model *nm = NULL;
    int rc = load_from_root(root, origin, m->path, &nm, err);
    if (rc) return rc;
    ks_model old = *m;
    *m = *nm;
    *nm = old;
    ks_model_free(nm);
    return KS_OK;
}
