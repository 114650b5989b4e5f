/* Virtual patients' covariates: drawn from a specification, or read from a CSV. */
#include "ketsim/trial.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

enum dist { D_NORMAL, D_LOGNORMAL, D_UNIFORM, D_BERNOULLI, D_FIXED };

typedef struct rule {
    char name[32];
    char cond_name[32]; /* "" when unconditional */
    double cond_value;
    enum dist dist;
    double a, b;   /* normal: mean, sd; lognormal: median, cv (fraction); uniform: lo, hi;
                    * bernoulli: p; fixed: value */
    double lo, hi; /* truncation (-inf, inf when none) */
    int line;      /* 1-based line or rule number */
} rule;

struct ks_population {
    char origin[256];
    int per_line; /* 1: places are file lines; 0: rules of a command line */
    rule *rules;
    size_t n_rules;
    /* CSV */
    size_t rows, cols;
    char (*col)[32];
    double *val; /* rows x cols */
    int id_col;  /* -1 when none */
    char *text;
};

/* ---------------------------------------------------------------- parsing */

typedef struct pctx {
    const char *p;
    const char *origin;
    int per_line, line;
    ks_error *err;
} pctx;

static int perr(pctx *c, const char *fmt, const char *a)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, a);
    if (c->per_line) return ks_error_set(c->err, KS_EPARSE, "%s:%d: %s", c->origin, c->line, msg);
    return ks_error_set(c->err, KS_EPARSE, "%s rule %d: %s", c->origin, c->line, msg);
}

static void skip_ws(pctx *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r')
        c->p++;
}

static int ident(pctx *c, char *out, size_t size)
{
    skip_ws(c);
    size_t n = 0;
    while (isalnum((unsigned char)c->p[n]) || c->p[n] == '_')
        n++;
    if (n == 0 || n >= size) return -1;
    memcpy(out, c->p, n);
    out[n] = '\0';
    c->p += n;
    return 0;
}

static int expect(pctx *c, const char *tok)
{
    skip_ws(c);
    size_t n = strlen(tok);
    if (strncmp(c->p, tok, n) != 0) return -1;
    c->p += n;
    return 0;
}

/* A number with an optional unit: "%" (returned divided by 100 when want_pct), the
 * covariate's own unit (kg for weight, y for age), nothing else. */
static int number(pctx *c, const char *cov, int want_pct, double *x)
{
    skip_ws(c);
    char *end;
    errno = 0;
    double v = strtod(c->p, &end);
    if (end == c->p || !isfinite(v) || errno == ERANGE)
        return perr(c, "expected a number at \"%.20s\"", c->p);
    c->p = end;
    skip_ws(c);
    if (*c->p == '%') {
        if (!want_pct) return perr(c, "a percentage is not expected here (\"%.20s\")", c->p);
        c->p++;
        v /= 100.0;
    } else if (want_pct) {
        return perr(c, "the CV must be written as a percentage (\"%.20s\")", c->p);
    } else if (isalpha((unsigned char)*c->p)) {
        char unit[16];
        if (ident(c, unit, sizeof unit)) return perr(c, "bad unit at \"%.20s\"", c->p);
        const char *want = strcmp(cov, "weight") == 0 ? "kg" : strcmp(cov, "age") == 0 ? "y" : NULL;
        if (!want || strcmp(unit, want) != 0) {
            char msg[120];
            snprintf(msg, sizeof msg, "unit \"%s\" is not the unit of %s (%s)", unit, cov,
                     want ? want : "none");
            return perr(c, "%s", msg);
        }
    }
    *x = v;
    return 0;
}

static int parse_args(pctx *c, rule *r, int nargs)
{
    if (expect(c, "(")) return perr(c, "expected \"(\" after the distribution%s", "");
    double v[2] = {0, 0};
    for (int i = 0; i < nargs; i++) {
        if (i && expect(c, ",")) return perr(c, "expected \",\" between arguments%s", "");
        int rc = number(c, r->dist == D_BERNOULLI ? "" : r->name, r->dist == D_LOGNORMAL && i == 1,
                        &v[i]);
        if (rc) return rc;
    }
    if (expect(c, ")"))
        return perr(c, "expected \")\" (the distribution has %s argument(s))",
                    nargs == 1 ? "1" : "2");
    r->a = v[0];
    r->b = v[1];
    return 0;
}

static int check_rule(pctx *c, rule *r)
{
    switch (r->dist) {
    case D_NORMAL:
        if (!(r->b > 0)) return perr(c, "normal(mean, sd) needs sd > 0%s", "");
        break;
    case D_LOGNORMAL:
        if (!(r->a > 0) || !(r->b > 0))
            return perr(c, "lognormal(median, cv%%) needs both > 0%s", "");
        break;
    case D_UNIFORM:
        if (!(r->b > r->a)) return perr(c, "uniform(lo, hi) needs lo < hi%s", "");
        break;
    case D_BERNOULLI:
        if (!(r->a >= 0 && r->a <= 1)) return perr(c, "bernoulli(p) needs 0 <= p <= 1%s", "");
        break;
    case D_FIXED:
        break;
    }
    if (!(r->lo < r->hi)) return perr(c, "the range \"in lo..hi\" needs lo < hi%s", "");
    if ((r->dist == D_NORMAL || r->dist == D_LOGNORMAL) && isfinite(r->lo)) {
        /* The truncated interval must hold some probability. */
        double m = r->dist == D_NORMAL ? r->a : log(r->a);
        double s = r->dist == D_NORMAL ? r->b : sqrt(log1p(r->b * r->b));
        double lo = r->dist == D_NORMAL ? r->lo : (r->lo > 0 ? log(r->lo) : -INFINITY);
        double hi = r->dist == D_NORMAL ? r->hi : log(r->hi);
        if (gsl_cdf_ugaussian_P((hi - m) / s) - gsl_cdf_ugaussian_P((lo - m) / s) < 1e-12)
            return perr(c,
                        "the range \"in lo..hi\" has (almost) no probability under the "
                        "distribution%s",
                        "");
    }
    if (strcmp(r->name, "weight") == 0 &&
        ((r->dist == D_NORMAL && !(r->lo > 0)) || (r->dist == D_UNIFORM && !(r->a > 0)) ||
         (r->dist == D_FIXED && !(r->a > 0))))
        return perr(c, "weight must stay above 0 kg: give a range, e.g. \"in 40..150\"%s", "");
    if (strcmp(r->name, "age") == 0 &&
        ((r->dist == D_NORMAL && !(r->lo >= 0)) || (r->dist == D_UNIFORM && !(r->a >= 0)) ||
         (r->dist == D_FIXED && !(r->a >= 0))))
        return perr(c, "age must stay at or above 0 y: give a range, e.g. \"in 18..65\"%s", "");
    return 0;
}

static int parse_rule(pctx *c, rule *r, const rule *prev, size_t n_prev)
{
    memset(r, 0, sizeof *r);
    r->line = c->line;
    r->lo = -INFINITY;
    r->hi = INFINITY;
    if (ident(c, r->name, sizeof r->name))
        return perr(c, "expected a covariate name at \"%.20s\"", c->p);
    skip_ws(c);
    if (*c->p == '|') {
        c->p++;
        if (ident(c, r->cond_name, sizeof r->cond_name))
            return perr(c, "expected a covariate name after \"|\"%s", "");
        int known = 0;
        for (size_t i = 0; i < n_prev; i++)
            known |= strcmp(prev[i].name, r->cond_name) == 0;
        if (!known)
            return perr(c, "the condition's covariate %s is not set by an earlier rule",
                        r->cond_name);
        if (expect(c, "=")) return perr(c, "expected \"=\" in the condition%s", "");
        int rc = number(c, r->cond_name, 0, &r->cond_value);
        if (rc) return rc;
    }
    if (expect(c, "~")) return perr(c, "expected \"~\" then a distribution at \"%.20s\"", c->p);
    char d[16];
    if (ident(c, d, sizeof d)) return perr(c, "expected a distribution at \"%.20s\"", c->p);
    int nargs = 2;
    if (strcmp(d, "normal") == 0)
        r->dist = D_NORMAL;
    else if (strcmp(d, "lognormal") == 0)
        r->dist = D_LOGNORMAL;
    else if (strcmp(d, "uniform") == 0)
        r->dist = D_UNIFORM;
    else if (strcmp(d, "bernoulli") == 0)
        r->dist = D_BERNOULLI, nargs = 1;
    else if (strcmp(d, "fixed") == 0)
        r->dist = D_FIXED, nargs = 1;
    else
        return perr(c,
                    "unknown distribution \"%s\" (normal, lognormal, uniform, bernoulli, "
                    "fixed)",
                    d);
    int rc = parse_args(c, r, nargs);
    if (rc) return rc;
    skip_ws(c);
    if (strncmp(c->p, "in", 2) == 0 && !isalnum((unsigned char)c->p[2])) {
        if (r->dist != D_NORMAL && r->dist != D_LOGNORMAL)
            return perr(c, "\"in lo..hi\" applies to normal and lognormal only%s", "");
        c->p += 2;
        /* "40..90": strtod would read "40." as the number, so parse a copy that stops
         * at the "..". */
        const char *dots = strstr(c->p, "..");
        size_t len = dots ? (size_t)(dots - c->p) : 0;
        if (!dots || len >= 64 || memchr(c->p, '\n', len))
            return perr(c, "expected \"..\" in the range (\"in 40..150\")%s", "");
        char lo_text[64];
        memcpy(lo_text, c->p, len);
        lo_text[len] = '\0';
        pctx sub = *c;
        sub.p = lo_text;
        if ((rc = number(&sub, r->name, 0, &r->lo))) return rc;
        skip_ws(&sub);
        if (*sub.p) return perr(c, "unexpected text \"%.20s\" in the range", sub.p);
        c->p = dots + 2;
        if ((rc = number(c, r->name, 0, &r->hi))) return rc;
    }
    skip_ws(c);
    if (*c->p == '#') c->p += strcspn(c->p, "\n");
    if (*c->p && *c->p != '\n' && *c->p != ';') return perr(c, "unexpected text \"%.20s\"", c->p);
    return check_rule(c, r);
}

static void describe(ks_population *p)
{
    size_t cap = 256 + p->n_rules * 160, used = 0;
    p->text = malloc(cap);
    if (!p->text) return;
    p->text[0] = '\0';
    if (p->rows) {
        snprintf(p->text, cap, "%zu patients' covariates from %s (columns:", p->rows, p->origin);
        used = strlen(p->text);
        for (size_t j = 0; j < p->cols; j++)
            used += (size_t)snprintf(p->text + used, cap - used, " %s", p->col[j]);
        snprintf(p->text + used, cap - used, ")");
        return;
    }
    static const char *names[] = {"normal", "lognormal", "uniform", "bernoulli", "fixed"};
    for (size_t i = 0; i < p->n_rules; i++) {
        const rule *r = &p->rules[i];
        char cond[64] = "";
        if (r->cond_name[0]) snprintf(cond, sizeof cond, " | %s = %g", r->cond_name, r->cond_value);
        char args[64];
        if (r->dist == D_BERNOULLI || r->dist == D_FIXED)
            snprintf(args, sizeof args, "%g", r->a);
        else if (r->dist == D_LOGNORMAL)
            snprintf(args, sizeof args, "%g, %g%%", r->a, r->b * 100);
        else
            snprintf(args, sizeof args, "%g, %g", r->a, r->b);
        char range[64] = "";
        if (isfinite(r->lo)) snprintf(range, sizeof range, " in %g..%g", r->lo, r->hi);
        used += (size_t)snprintf(p->text + used, cap - used, "%s%s%s ~ %s(%s)%s", i ? "; " : "",
                                 r->name, cond, names[r->dist], args, range);
    }
}

int ks_population_parse(const char *text, const char *origin, ks_population **out, ks_error *err)
{
    if (!text || !origin || !out)
        return ks_error_set(err, KS_EINVAL, "ks_population_parse: NULL argument");
    ks_population *p = calloc(1, sizeof *p);
    if (!p) return ks_error_set(err, KS_ENOMEM, "out of memory");
    snprintf(p->origin, sizeof p->origin, "%s", origin);
    p->id_col = -1;
    /* A command-line text separates rules by ';'; a file by lines (';' too). */
    p->per_line = strchr(text, '\n') != NULL;
    size_t cap = 8;
    p->rules = malloc(cap * sizeof *p->rules);
    if (!p->rules) {
        free(p);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    pctx c = {text, origin, p->per_line, 1, err};
    int rc = KS_OK, rule_no = 0;
    while (*c.p && !rc) {
        skip_ws(&c);
        if (*c.p == '#') c.p += strcspn(c.p, "\n");
        if (*c.p == '\n' || *c.p == ';' || *c.p == '\0') {
            if (*c.p == '\n') c.line = p->per_line ? c.line + 1 : c.line;
            if (*c.p) c.p++;
            continue;
        }
        rule_no++;
        if (!p->per_line) c.line = rule_no;
        if (p->n_rules == cap) {
            rule *nr = realloc(p->rules, 2 * cap * sizeof *nr);
            if (!nr) {
                rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                break;
            }
            p->rules = nr;
            cap *= 2;
        }
        rc = parse_rule(&c, &p->rules[p->n_rules], p->rules, p->n_rules);
        if (!rc) p->n_rules++;
    }
    if (!rc && p->n_rules == 0)
        rc = ks_error_set(
            err, KS_EPARSE,
            "%s: no rule (expected e.g. \"weight ~ normal(75 kg, 15 kg) in 40..150\")", origin);
    if (rc) {
        ks_population_free(p);
        return rc;
    }
    describe(p);
    *out = p;
    return KS_OK;
}

static char *read_file(const char *path, ks_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ks_error_set(err, KS_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        ks_error_set(err, KS_ENOMEM, "out of memory");
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = cap > ((size_t)64 << 20) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                ks_error_set(err, cap > ((size_t)64 << 20) ? KS_EIO : KS_ENOMEM,
                             cap > ((size_t)64 << 20) ? "%s: larger than 64 MiB"
                                                      : "%s: out of memory",
                             path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    buf[n] = '\0';
    if (bad) {
        ks_error_set(err, KS_EIO, "%s: read error", path);
        free(buf);
        return NULL;
    }
    if (strlen(buf) != n) {
        ks_error_set(err, KS_EPARSE, "%s: contains a NUL byte (not a text file)", path);
        free(buf);
        return NULL;
    }
    return buf;
}

int ks_population_load(const char *path, ks_population **out, ks_error *err)
{
    char *text = read_file(path, err);
    if (!text) return err ? err->code : KS_EIO;
    /* Force line numbering even for a one-line file. */
    size_t n = strlen(text);
    char *t2 = malloc(n + 2);
    if (!t2) {
        free(text);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    memcpy(t2, text, n);
    t2[n] = '\n';
    t2[n + 1] = '\0';
    free(text);
    int rc = ks_population_parse(t2, path, out, err);
    free(t2);
    return rc;
}

/* ---------------------------------------------------------------- CSV */

/* Split one CSV line in place into fields (no quotes: covariates are numbers and
 * names). */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *s = line;
    for (;;) {
        if (n < max) f[n] = s;
        n++;
        char *comma = strchr(s, ',');
        if (!comma) break;
        *comma = '\0';
        s = comma + 1;
    }
    for (size_t i = 0; i < n && i < max; i++) {
        char *a = f[i];
        while (*a == ' ' || *a == '\t')
            a++;
        size_t len = strlen(a);
        while (len && (a[len - 1] == ' ' || a[len - 1] == '\t' || a[len - 1] == '\r'))
            a[--len] = '\0';
        f[i] = a;
    }
    return n;
}

int ks_population_read_csv(const char *path, ks_population **out, ks_error *err)
{
    if (!path || !out) return ks_error_set(err, KS_EINVAL, "ks_population_read_csv: NULL argument");
    char *text = read_file(path, err);
    if (!text) return err ? err->code : KS_EIO;
    ks_population *p = calloc(1, sizeof *p);
    int rc = KS_OK;
    if (!p) {
        free(text);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    snprintf(p->origin, sizeof p->origin, "%s", path);
    p->id_col = -1;
    char *f[KS_MAX_COVARIATES + 2];
    int line = 0;
    size_t cap = 0;
    char *next = text;
    while (next && !rc) {
        char *ln = next;
        char *nl = strchr(ln, '\n');
        if (nl) *nl = '\0';
        next = nl ? nl + 1 : NULL;
        line++;
        size_t len = strlen(ln);
        if (len && ln[len - 1] == '\r') ln[--len] = '\0';
        if (len == 0) continue;
        size_t nf = split(ln, f, KS_MAX_COVARIATES + 2);
        if (line == 1 || p->cols == 0) {
            if (nf > KS_MAX_COVARIATES + 1) {
                rc = ks_error_set(err, KS_EPARSE, "%s:%d: too many columns (at most %d covariates)",
                                  path, line, KS_MAX_COVARIATES);
                break;
            }
            p->cols = nf;
            p->col = calloc(nf, sizeof *p->col);
            if (!p->col) {
                rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                break;
            }
            for (size_t j = 0; j < nf && !rc; j++) {
                if (!*f[j] || strlen(f[j]) >= 32)
                    rc = ks_error_set(err, KS_EPARSE, "%s:%d: column %zu: empty or too long a name",
                                      path, line, j + 1);
                for (size_t k = 0; k < j && !rc; k++)
                    if (strcmp(p->col[k], f[j]) == 0)
                        rc = ks_error_set(err, KS_EPARSE, "%s:%d: column %zu: \"%s\" appears twice",
                                          path, line, j + 1, f[j]);
                if (rc) break;
                snprintf(p->col[j], 32, "%s", f[j]);
                if (strcmp(f[j], "id") == 0) p->id_col = (int)j;
            }
            continue;
        }
        if (nf != p->cols) {
            rc = ks_error_set(err, KS_EPARSE, "%s:%d: %zu fields, the header has %zu", path, line,
                              nf, p->cols);
            break;
        }
        if (p->rows == cap) {
            size_t nc = cap ? 2 * cap : 64;
            double *nv = realloc(p->val, nc * p->cols * sizeof *nv);
            if (!nv) {
                rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                break;
            }
            p->val = nv;
            cap = nc;
        }
        for (size_t j = 0; j < nf && !rc; j++) {
            char *end;
            errno = 0;
            double v = strtod(f[j], &end);
            if (!*f[j] || *end || !isfinite(v) || errno == ERANGE)
                rc = ks_error_set(err, KS_EPARSE, "%s:%d: column %s: \"%s\" is not a number", path,
                                  line, p->col[j], f[j]);
            else if (strcmp(p->col[j], "weight") == 0 && !(v > 0))
                rc =
                    ks_error_set(err, KS_EPARSE, "%s:%d: column weight: %g kg is not a body weight",
                                 path, line, v);
            else if (strcmp(p->col[j], "age") == 0 && v < 0)
                rc = ks_error_set(err, KS_EPARSE, "%s:%d: column age: %g y is negative", path, line,
                                  v);
            else
                p->val[p->rows * p->cols + j] = v;
        }
        if (!rc) p->rows++;
    }
    free(text);
    if (!rc && p->rows == 0)
        rc = ks_error_set(err, KS_EPARSE,
                          "%s: no patient rows (a header line, then one row per patient)", path);
    if (rc) {
        ks_population_free(p);
        return rc;
    }
    describe(p);
    *out = p;
    return KS_OK;
}

void ks_population_free(ks_population *p)
{
    if (!p) return;
    free(p->rules);
    free(p->col);
    free(p->val);
    free(p->text);
    free(p);
}

size_t ks_population_rows(const ks_population *p)
{
    return p ? p->rows : 0;
}

const char *ks_population_text(const ks_population *p)
{
    return p && p->text ? p->text : "";
}

/* ---------------------------------------------------------------- use */

static int model_has_cov(const ks_model *m, const char *name)
{
    for (int i = 0; i < m->n_covariates; i++)
        if (strcmp(m->covariates[i].name, name) == 0) return 1;
    return 0;
}

int ks_population_check(const ks_population *p, const ks_model *m, const ks_covariates *base,
                        ks_error *err)
{
    if (p) {
        for (size_t j = 0; j < p->cols; j++)
            if ((int)j != p->id_col && !model_has_cov(m, p->col[j]))
                return ks_error_set(err, KS_EINVAL, "%s: column %s is not a covariate of model %s",
                                    p->origin, p->col[j], m->name);
        for (size_t i = 0; i < p->n_rules; i++)
            if (!model_has_cov(m, p->rules[i].name)) {
                /* A covariate the model does not read (sex, for a model without it) is
                 * allowed when another rule depends on it (weight by sex). */
                int used = 0;
                for (size_t k = 0; k < p->n_rules; k++)
                    used |= strcmp(p->rules[k].cond_name, p->rules[i].name) == 0;
                if (!used)
                    return ks_error_set(err, KS_EINVAL,
                                        "%s%s%d: %s is not a covariate of model %s (and no rule "
                                        "depends on it)",
                                        p->origin, p->per_line ? ":" : " rule ", p->rules[i].line,
                                        p->rules[i].name, m->name);
            }
    }
    for (int i = 0; i < m->n_covariates; i++) {
        const ks_mcovariate *mc = &m->covariates[i];
        if (!mc->required) continue;
        double v;
        if (base && ks_covariates_get(base, mc->name, &v)) continue;
        int given = 0;
        if (p) {
            for (size_t j = 0; j < p->cols; j++)
                given |= strcmp(p->col[j], mc->name) == 0;
            for (size_t k = 0; k < p->n_rules; k++)
                given |= strcmp(p->rules[k].name, mc->name) == 0;
        }
        if (!given)
            return ks_error_set(err, KS_EINVAL,
                                "model %s needs covariate %s (%s): give it (e.g. --%s) or "
                                "draw it in a population",
                                m->name, mc->name, mc->unit, mc->name);
    }
    return KS_OK;
}

static double draw(const rule *r, double u)
{
    switch (r->dist) {
    case D_NORMAL:
    case D_LOGNORMAL: {
        double m = r->dist == D_NORMAL ? r->a : log(r->a);
        double s = r->dist == D_NORMAL ? r->b : sqrt(log1p(r->b * r->b));
        double lo = r->dist == D_NORMAL ? r->lo : (r->lo > 0 ? log(r->lo) : -INFINITY);
        double hi = r->dist == D_NORMAL ? r->hi : log(r->hi);
        double plo = isfinite(lo) ? gsl_cdf_ugaussian_P((lo - m) / s) : 0.0;
        double phi = isfinite(hi) ? gsl_cdf_ugaussian_P((hi - m) / s) : 1.0;
        double z = gsl_cdf_ugaussian_Pinv(plo + u * (phi - plo));
        double x = m + s * z;
        if (x < lo) x = lo; /* rounding at the edge */
        if (x > hi) x = hi;
        return r->dist == D_NORMAL ? x : exp(x);
    }
    case D_UNIFORM:
        return r->a + u * (r->b - r->a);
    case D_BERNOULLI:
        return u < r->a ? 1.0 : 0.0;
    case D_FIXED:
        return r->a;
    }
    return NAN;
}

int ks_population_sample(const ks_population *p, const ks_covariates *base, uint64_t seed,
                         uint32_t replicate, uint64_t patient, int resample, ks_covariates *out,
                         long *row, ks_error *err)
{
    *out = base ? *base : (ks_covariates){0};
    if (row) *row = -1;
    if (!p) return KS_OK;
    if (p->rows) {
        uint64_t r = patient;
        if (resample) {
            double u[2];
            ks_rng_uniform2(seed, replicate, patient, KS_RNG_ROW, 0, u);
            r = (uint64_t)(u[0] * (double)p->rows);
            if (r >= p->rows) r = p->rows - 1;
        } else if (patient >= p->rows) {
            return ks_error_set(err, KS_EINVAL,
                                "%s has %zu rows: patient %llu has none (draw "
                                "rows with replacement, or ask for fewer patients)",
                                p->origin, p->rows, (unsigned long long)patient + 1);
        }
        if (row) *row = (long)r;
        for (size_t j = 0; j < p->cols; j++) {
            if ((int)j == p->id_col) continue;
            int rc = ks_covariates_set(out, p->col[j], p->val[r * p->cols + j], err);
            if (rc) return rc;
        }
        return KS_OK;
    }
    /* One uniform per rule (index = rule number), so a rule's draw never depends on
     * which other rules applied. */
    char done[64][32];
    size_t n_done = 0;
    for (size_t i = 0; i < p->n_rules; i++) {
        const rule *r = &p->rules[i];
        int already = 0;
        for (size_t k = 0; k < n_done; k++)
            already |= strcmp(done[k], r->name) == 0;
        if (already) continue;
        if (r->cond_name[0]) {
            double cv;
            if (!ks_covariates_get(out, r->cond_name, &cv) || cv != r->cond_value) continue;
        }
        double u[2];
        ks_rng_uniform2(seed, replicate, patient, KS_RNG_COVARIATE, (uint32_t)i, u);
        int rc = ks_covariates_set(out, r->name, draw(r, u[0]), err);
        if (rc) return rc;
        if (n_done < 64) snprintf(done[n_done++], 32, "%s", r->name);
    }
    /* Every covariate named by some rule must have been set by one. */
    for (size_t i = 0; i < p->n_rules; i++) {
        int set = 0;
        for (size_t k = 0; k < n_done; k++)
            set |= strcmp(done[k], p->rules[i].name) == 0;
        if (!set)
            return ks_error_set(err, KS_EINVAL,
                                "%s: no rule for %s applies to patient %llu (conditions of "
                                "%s%d and the rules for the same covariate do not cover it)",
                                p->origin, p->rules[i].name, (unsigned long long)patient + 1,
                                p->per_line ? "line " : "rule ", p->rules[i].line);
    }
    return KS_OK;
}
