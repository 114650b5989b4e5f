/* NONMEM-style datasets: reading, checking every record, and simulating them with
 * NONMEM's semantics through the exact engine (src/sim/nmrun.c). */
#include "ketsim/dataset.h"
#include "ketsim/sim.h"
#include "sim/nmrun.h"
#include "sim/sim_internal.h"
#include "model/model_internal.h"
#include "ketsim/io.h"
#include "io/numfmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ks_dataset {
    char *origin;
    char **names;
    size_t n_cols;
    double *v; /* n_rows x n_cols */
    size_t *line;
    size_t n_rows, cap_rows;
};

void ks_dataset_free(ks_dataset *d)
{
    if (!d) return;
    for (size_t j = 0; j < d->n_cols; j++)
        free(d->names[j]);
    free(d->names);
    free(d->v);
    free(d->line);
    free(d->origin);
    free(d);
}

size_t ks_dataset_n_rows(const ks_dataset *d)
{
    return d->n_rows;
}
size_t ks_dataset_n_columns(const ks_dataset *d)
{
    return d->n_cols;
}
const char *ks_dataset_column_name(const ks_dataset *d, size_t j)
{
    return j < d->n_cols ? d->names[j] : NULL;
}
double ks_dataset_value(const ks_dataset *d, size_t row, size_t col)
{
    return row < d->n_rows && col < d->n_cols ? d->v[row * d->n_cols + col] : NAN;
}
size_t ks_dataset_line(const ks_dataset *d, size_t row)
{
    return row < d->n_rows ? d->line[row] : 0;
}

int ks_dataset_column(const ks_dataset *d, const char *name)
{
    for (size_t j = 0; j < d->n_cols; j++)
        if (strcasecmp(d->names[j], name) == 0) return (int)j;
    return -1;
}

/* ---------------------------------------------------------------- reading */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Split line in place at commas; returns the number of fields (at most max). */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < max) fields[n] = trim(p);
        n++;
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static int read_header(ks_dataset *d, char *line, ks_error *err)
{
    char *fields[256];
    if (*line == '#') line++;
    size_t n = split(line, fields, 256);
    if (n > 256) return ks_error_set(err, KS_EPARSE, "%s:1: more than 256 columns", d->origin);
    d->names = calloc(n, sizeof *d->names);
    if (!d->names) return ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        if (!*fields[j])
            return ks_error_set(err, KS_EPARSE, "%s:1: column %zu has no name", d->origin, j + 1);
        for (size_t k = 0; k < j; k++)
            if (strcasecmp(d->names[k], fields[j]) == 0)
                return ks_error_set(err, KS_EPARSE, "%s:1: column \"%s\" appears twice", d->origin,
                                    fields[j]);
        if (!(d->names[j] = strdup(fields[j])))
            return ks_error_set(err, KS_ENOMEM, "out of memory");
        d->n_cols++;
    }
    if (ks_dataset_column(d, "ID") < 0 || ks_dataset_column(d, "TIME") < 0)
        return ks_error_set(err, KS_EPARSE, "%s:1: the header needs ID and TIME columns",
                            d->origin);
    return KS_OK;
}

static int read_row(ks_dataset *d, char *line, size_t lineno, ks_error *err)
{
    char *fields[256];
    size_t n = split(line, fields, 256);
    if (n != d->n_cols)
        return ks_error_set(err, KS_EPARSE, "%s:%zu: %zu fields, the header has %zu", d->origin,
                            lineno, n, d->n_cols);
    if (d->n_rows == d->cap_rows) {
        size_t nc = d->cap_rows ? 2 * d->cap_rows : 256;
        double *nv = realloc(d->v, nc * d->n_cols * sizeof *nv);
        if (!nv) return ks_error_set(err, KS_ENOMEM, "out of memory");
        d->v = nv;
        size_t *nl = realloc(d->line, nc * sizeof *nl);
        if (!nl) return ks_error_set(err, KS_ENOMEM, "out of memory");
        d->line = nl;
        d->cap_rows = nc;
    }
    double *row = d->v + d->n_rows * d->n_cols;
    for (size_t j = 0; j < n; j++) {
        const char *f = fields[j];
        if (!*f || strcmp(f, ".") == 0) { /* NONMEM: missing means 0 */
            row[j] = 0.0;
            continue;
        }
        char *end;
        errno = 0;
        row[j] = strtod(f, &end);
        if (*end || errno == ERANGE || !isfinite(row[j]))
            return ks_error_set(err, KS_EPARSE, "%s:%zu: column %s: \"%s\" is not a number",
                                d->origin, lineno, d->names[j], f);
    }
    d->line[d->n_rows++] = lineno;
    return KS_OK;
}

int ks_dataset_read_string(const char *text, const char *origin, ks_dataset **out, ks_error *err)
{
    if (!text || !out) return ks_error_set(err, KS_EINVAL, "ks_dataset_read: NULL argument");
    ks_dataset *d = calloc(1, sizeof *d);
    char *copy = strdup(text);
    if (!d || !copy || !(d->origin = strdup(origin ? origin : "(dataset)"))) {
        free(copy);
        ks_dataset_free(d);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    int rc = KS_OK, have_header = 0;
    size_t lineno = 0;
    for (char *line = copy, *next; line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *t = trim(line);
        if (!*t) continue;
        if (!have_header) {
            rc = read_header(d, t, err);
            have_header = 1;
        } else {
            rc = read_row(d, t, lineno, err);
        }
    }
    if (!rc && !have_header) rc = ks_error_set(err, KS_EPARSE, "%s: empty dataset", d->origin);
    free(copy);
    if (rc) {
        ks_dataset_free(d);
        return rc;
    }
    *out = d;
    return KS_OK;
}

int ks_dataset_read(const char *path, ks_dataset **out, ks_error *err)
{
    if (!path) return ks_error_set(err, KS_EINVAL, "ks_dataset_read: NULL path");
    FILE *f = fopen(path, "rb");
    if (!f) return ks_error_set(err, KS_EIO, "%s: cannot open dataset (%s)", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? KS_OK : KS_ENOMEM;
    while (!rc) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                rc = KS_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (rc || bad) {
        free(buf);
        return ks_error_set(err, rc ? rc : KS_EIO, "%s: cannot read dataset", path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return ks_error_set(err, KS_EPARSE, "%s: not a text file (contains NUL bytes)", path);
    }
    rc = ks_dataset_read_string(buf, path, out, err);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- records */

typedef struct cols {
    int id, time, amt, rate, evid, cmt, ii, addl, ss;
    int lag[KS_DATASET_MAX_CMT], f[KS_DATASET_MAX_CMT], r[KS_DATASET_MAX_CMT],
        dur[KS_DATASET_MAX_CMT];
    /* model parameter indices (or -1) for lag, F and modeled duration */
    int lag_p[KS_DATASET_MAX_CMT], f_p[KS_DATASET_MAX_CMT], dur_p[KS_DATASET_MAX_CMT],
        r_p[KS_DATASET_MAX_CMT];
    int cov[KS_MAX_COVARIATES * 4]; /* column of each model covariate, or -1 */
} cols;

static double get(const ks_dataset *d, size_t row, int col, double def)
{
    return col < 0 ? def : d->v[row * d->n_cols + (size_t)col];
}

static int map_column(const ks_dataset *d, const char *name, const char *what, int cmt, int *out,
                      ks_error *err)
{
    *out = -1;
    if (!name) return KS_OK;
    *out = ks_dataset_column(d, name);
    if (*out < 0)
        return ks_error_set(err, KS_ENOTFOUND, "%s: no column \"%s\" for the %s of CMT %d",
                            d->origin, name, what, cmt);
    return KS_OK;
}

static int map_param(const ks_model *m, const char *name, ks_dim dim, const char *what, int cmt,
                     int *out, ks_error *err)
{
    *out = -1;
    if (!name) return KS_OK;
    for (int i = 0; i < m->n_params; i++) {
        if (strcmp(m->params[i].name, name)) continue;
        if (m->params[i].dim != dim)
            return ks_error_set(err, KS_EUNIT, "parameter %s (%s) cannot be the %s of CMT %d", name,
                                m->params[i].unit, what, cmt);
        *out = i;
        return KS_OK;
    }
    return ks_error_set(err, KS_ENOTFOUND, "model %s has no parameter %s (for the %s of CMT %d)",
                        m->name, name, what, cmt);
}

static int find_params(const ks_model *m, const ks_dataset_map *map, cols *c, ks_error *err)
{
    for (int k = 0; k < KS_DATASET_MAX_CMT; k++) {
        int rc = map_param(m, map ? map->lag_param[k] : NULL, KS_DIM_TIME, "lag time", k + 1,
                           &c->lag_p[k], err);
        if (!rc)
            rc = map_param(m, map ? map->bioav_param[k] : NULL, KS_DIM_NONE, "bioavailability",
                           k + 1, &c->f_p[k], err);
        if (!rc)
            rc = map_param(m, map ? map->duration_param[k] : NULL, KS_DIM_TIME, "modeled duration",
                           k + 1, &c->dur_p[k], err);
        if (!rc)
            rc = map_param(m, map ? map->rate_param[k] : NULL, KS_DIM_MASS_RATE, "modeled rate",
                           k + 1, &c->r_p[k], err);
        if (rc) return rc;
    }
    return KS_OK;
}

static int find_columns(const ks_dataset *d, const ks_dataset_map *map, cols *c, ks_error *err)
{
    c->id = ks_dataset_column(d, "ID");
    c->time = ks_dataset_column(d, "TIME");
    c->amt = ks_dataset_column(d, "AMT");
    c->rate = ks_dataset_column(d, "RATE");
    c->evid = ks_dataset_column(d, "EVID");
    c->cmt = ks_dataset_column(d, "CMT");
    c->ii = ks_dataset_column(d, "II");
    c->addl = ks_dataset_column(d, "ADDL");
    c->ss = ks_dataset_column(d, "SS");
    for (int k = 0; k < KS_DATASET_MAX_CMT; k++) {
        int rc = KS_OK;
        if (!rc) rc = map_column(d, map ? map->lag[k] : NULL, "lag time", k + 1, &c->lag[k], err);
        if (!rc)
            rc = map_column(d, map ? map->bioav[k] : NULL, "bioavailability", k + 1, &c->f[k], err);
        if (!rc)
            rc = map_column(d, map ? map->rate[k] : NULL, "modeled rate", k + 1, &c->r[k], err);
        if (!rc)
            rc = map_column(d, map ? map->duration[k] : NULL, "modeled duration", k + 1, &c->dur[k],
                            err);
        if (rc) return rc;
    }
    return KS_OK;
}

#define ROWERR(col, ...) ks_error_set(err, KS_EINVAL, "%s:%zu: column %s: " __VA_ARGS__)

static int is_whole(double x)
{
    return x == floor(x);
}

/* One dataset row -> one engine record, with every NONMEM rule that ketsim cannot
 * follow exactly turned into an error naming the line and column. */
static int make_record(const ks_dataset *d, size_t row, const cols *c, int n_comps, ks_nm_record *r,
                       ks_error *err)
{
    const char *o = d->origin;
    size_t ln = d->line[row];
    memset(r, 0, sizeof *r);
    r->time = get(d, row, c->time, 0);
    r->amt = get(d, row, c->amt, 0);
    double rate = get(d, row, c->rate, 0);
    double evid = get(d, row, c->evid, r->amt > 0 ? 1 : 0);
    double cmt = get(d, row, c->cmt, 1);
    double ss = get(d, row, c->ss, 0), addl = get(d, row, c->addl, 0);
    r->ii = get(d, row, c->ii, 0);
    r->f = 1.0;
    if (!(evid == 0 || evid == 1 || evid == 2 || evid == 3 || evid == 4))
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column EVID: %g is not 0, 1, 2, 3 or 4", o, ln,
                            evid);
    r->evid = (int)evid;
    if (r->time < 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column TIME: %g is negative", o, ln, r->time);
    if (r->evid != 1 && r->evid != 4) return KS_OK;
    if (!is_whole(cmt) || cmt < 1 || cmt > n_comps)
        return ks_error_set(err, KS_EINVAL,
                            "%s:%zu: column CMT: %g is not a compartment of the model "
                            "(1 to %d; negative CMT is not supported)",
                            o, ln, cmt, n_comps);
    r->comp = (int)cmt - 1;
    if (r->amt < 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column AMT: %g is negative", o, ln, r->amt);
    if (!(ss == 0 || ss == 1 || ss == 2))
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column SS: %g is not 0, 1 or 2", o, ln, ss);
    r->ss = (int)ss;
    if (r->ii < 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column II: %g is negative", o, ln, r->ii);
    if (!is_whole(addl) || addl < 0 || addl > 1e6)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column ADDL: %g is not a count", o, ln, addl);
    r->addl = (int)addl;
    if (r->addl > 0 && r->ii == 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column II: ADDL %d needs an interval", o, ln,
                            r->addl);
    int k = r->comp < KS_DATASET_MAX_CMT ? r->comp : -1;
    if (k >= 0 && c->lag[k] >= 0) r->lag = get(d, row, c->lag[k], 0);
    if (k >= 0 && c->f[k] >= 0) r->f = get(d, row, c->f[k], 1);
    if (r->lag < 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column %s: lag time %g is negative", o, ln,
                            d->names[c->lag[k]], r->lag);
    if (r->f < 0)
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column %s: bioavailability %g is negative", o,
                            ln, d->names[c->f[k]], r->f);
    if (rate == -2 && k >= 0 && c->dur[k] < 0 && c->dur_p[k] >= 0) {
        r->dur = -1.0; /* from a model parameter: resolved per individual */
    } else if (rate == -1 && k >= 0 && c->r[k] < 0 && c->r_p[k] >= 0) {
        r->rate = -1.0; /* likewise */
    } else if (rate == -1 || rate == -2) {
        int col = k < 0 ? -1 : (rate == -1 ? c->r[k] : c->dur[k]);
        if (col < 0)
            return ks_error_set(err, KS_EINVAL,
                                "%s:%zu: column RATE: %g asks for a modeled %s of "
                                "CMT %d, and none is mapped",
                                o, ln, rate, rate == -1 ? "rate" : "duration", r->comp + 1);
        double v = get(d, row, col, 0);
        if (!(v > 0))
            return ks_error_set(err, KS_EINVAL, "%s:%zu: column %s: modeled %s %g must be positive",
                                o, ln, d->names[col], rate == -1 ? "rate" : "duration", v);
        if (rate == -1)
            r->rate = v;
        else
            r->dur = v;
    } else if (rate < 0) {
        return ks_error_set(err, KS_EINVAL,
                            "%s:%zu: column RATE: %g (only -1 and -2 are negative "
                            "codes)",
                            o, ln, rate);
    } else {
        r->rate = rate;
    }
    if (r->ss && r->ii == 0 && !(r->amt == 0 && r->rate > 0))
        return ks_error_set(err, KS_EINVAL,
                            "%s:%zu: column II: a steady-state dose needs an interval "
                            "(II=0 only for a constant infusion: AMT=0, RATE>0)",
                            o, ln);
    if (r->ss && r->ii == 0 && r->addl > 0)
        return ks_error_set(err, KS_EINVAL,
                            "%s:%zu: column ADDL: a constant infusion has no repeats", o, ln);
    if (r->amt == 0 && !(r->ss && r->rate > 0))
        return ks_error_set(err, KS_EINVAL, "%s:%zu: column AMT: a dose of 0", o, ln);
    return KS_OK;
}

/* The covariates of the individual in rows [i, j): `base`, overridden by columns named
 * like the model's covariates, which must not change within the individual. */
static int individual_covariates(const ks_model *m, const ks_dataset *d, const cols *c,
                                 const ks_covariates *base, ks_sim *s, size_t i, size_t j,
                                 ks_error *err)
{
    ks_covariates cv = {0};
    if (base) cv = *base;
    int any = 0;
    for (int k = 0; k < m->n_covariates; k++) {
        if (c->cov[k] < 0) continue;
        double v = get(d, i, c->cov[k], 0);
        for (size_t q = i + 1; q < j; q++)
            if (get(d, q, c->cov[k], 0) != v)
                return ks_error_set(err, KS_EINVAL,
                                    "%s:%zu: column %s: %g changes within ID %g "
                                    "(time-varying covariates are not supported yet)",
                                    d->origin, d->line[q], d->names[c->cov[k]],
                                    get(d, q, c->cov[k], 0), get(d, i, c->id, 0));
        int rc = ks_covariates_set(&cv, m->covariates[k].name, v, err);
        if (rc) return rc;
        any = 1;
    }
    if (!any && i > 0) return KS_OK; /* same covariates as before */
    int rc = ks_sim_set_covariates(s, &cv, err);
    if (rc) ks_error_prefix(err, "%s:%zu: ID %g", d->origin, d->line[i], get(d, i, c->id, 0));
    return rc;
}

/* Lag, F and modeled duration from model parameters, where no column gives them. */
static void resolve_params(const cols *c, const double *pv, ks_nm_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].evid != 1 && r[i].evid != 4) continue;
        int k = r[i].comp;
        if (k >= KS_DATASET_MAX_CMT) continue;
        if (c->lag[k] < 0 && c->lag_p[k] >= 0) r[i].lag = pv[c->lag_p[k]];
        if (c->f[k] < 0 && c->f_p[k] >= 0) r[i].f = pv[c->f_p[k]];
        if (r[i].dur < 0 && c->dur_p[k] >= 0) r[i].dur = pv[c->dur_p[k]];
        if (r[i].rate < 0 && c->r_p[k] >= 0) r[i].rate = pv[c->r_p[k]];
    }
}

int ks_dataset_predict(const ks_model *m, const ks_covariates *cov, const ks_dataset *d,
                       const ks_dataset_map *map, const char *output, double *pred, ks_error *err)
{
    if (!m || !d || !output || !pred)
        return ks_error_set(err, KS_EINVAL, "ks_dataset_predict: NULL argument");
    cols c;
    int rc = find_columns(d, map, &c, err);
    if (!rc) rc = find_params(m, map, &c, err);
    for (int k = 0; k < m->n_covariates && !rc; k++) {
        if (k >= (int)(sizeof c.cov / sizeof *c.cov))
            rc = ks_error_set(err, KS_EMODEL, "too many covariates");
        else
            c.cov[k] = ks_dataset_column(d, m->covariates[k].name);
    }
    if (rc) return rc;
    ks_sim *s = NULL;
    if ((rc = ks_sim_create(m, &s, err))) return rc;
    /* Covariates are set per individual (individual_covariates). */
    int out = ks_sim_output_index(s, output);
    int n_comps = (int)ks_model_n_compartments(m);
    ks_nm_record *r = malloc((d->n_rows ? d->n_rows : 1) * sizeof *r);
    if (out < 0)
        rc = ks_error_set(err, KS_ENOTFOUND, "model %s has no output %s", ks_model_name(m), output);
    if (!rc && !r) rc = ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n_rows && !rc; i++)
        rc = make_record(d, i, &c, n_comps, &r[i], err);
    /* Individuals are runs of rows with the same ID; time may only go back at a reset. */
    for (size_t i = 0; i < d->n_rows && !rc;) {
        size_t j = i + 1;
        double id = get(d, i, c.id, 0);
        while (j < d->n_rows && get(d, j, c.id, 0) == id) {
            if (r[j].time < r[j - 1].time && r[j].evid != 3 && r[j].evid != 4)
                rc = ks_error_set(err, KS_EINVAL,
                                  "%s:%zu: column TIME: %g is before the previous "
                                  "record (%g) of ID %g",
                                  d->origin, d->line[j], r[j].time, r[j - 1].time, id);
            j++;
        }
        if (!rc) rc = individual_covariates(m, d, &c, cov, s, i, j, err);
        if (!rc) resolve_params(&c, s->pv, r + i, j - i);
        if (!rc) {
            size_t failed = 0;
            rc = ks_sim_nm_run(s, r + i, j - i, (size_t)out, pred + i, &failed, err);
            if (rc) ks_error_prefix(err, "%s:%zu: ID %g", d->origin, d->line[i + failed], id);
        }
        i = j;
    }
    free(r);
    ks_sim_free(s);
    return rc;
}

/* ---------------------------------------------------------------- writing */

/* Model compartment of state i, or -1 (transit, effect and accumulator states). */
static int comp_of_state(const ks_sim *s, int state)
{
    for (int c = 0; c < s->m->n_comps; c++)
        if (s->comp_state[c] == state) return c;
    return -1;
}

static void put(FILE *f, double v)
{
    char buf[32];
    ks_format_g10(v, buf);
    /* %.10g loses digits a reader would need to reproduce the run to 1e-10: use 17. */
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, f);
}

typedef struct wrow {
    double t;
    int order;
    int comp;
    double amt, rate;
    int evid;
    double dv;
} wrow;

static int cmp_wrow(const void *a, const void *b)
{
    const wrow *x = a, *y = b;
    if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
    return x->order - y->order;
}

int ks_dataset_write_sim(ks_sim *s, const char *output, const char *path, ks_error *err)
{
    if (!s || !output || !path)
        return ks_error_set(err, KS_EINVAL, "ks_dataset_write_sim: NULL argument");
    if (!s->ran) return ks_error_set(err, KS_ESTATE, "ks_dataset_write_sim before ks_sim_run");
    int out = ks_sim_output_index(s, output);
    if (out < 0) return ks_error_set(err, KS_ENOTFOUND, "no output %s", output);
    if (s->out[out].comp < 0)
        return ks_error_set(err, KS_EINVAL,
                            "%s is an effect-site output; datasets observe a "
                            "compartment",
                            output);
    size_t n = s->n_bol + s->n_inf + s->n_times, k = 0;
    wrow *w = malloc((n ? n : 1) * sizeof *w);
    if (!w) return ks_error_set(err, KS_ENOMEM, "out of memory");
    /* Doses before observations at the same time: the observation sees the dose, as
     * ketsim's own outputs do. */
    for (size_t i = 0; i < s->n_bol; i++) {
        int c = comp_of_state(s, s->bol[i].state);
        if (c < 0) continue; /* the amount that was never absorbed */
        w[k++] = (wrow){s->bol[i].t, 0, c, s->bol[i].amount, 0.0, 1, 0.0};
    }
    for (size_t i = 0; i < s->n_inf; i++) {
        int c = comp_of_state(s, s->inf[i].state);
        if (c < 0) continue;
        const ks_infusion *in = &s->inf[i];
        w[k++] = (wrow){in->start, 0, c, in->rate * (in->end - in->start), in->rate, 1, 0.0};
    }
    const double *cp = ks_sim_output(s, (size_t)out);
    for (size_t i = 0; i < s->n_times; i++)
        w[k++] = (wrow){s->times[i], 1, s->out[out].comp, 0.0, 0.0, 0, cp[i]};
    qsort(w, k, sizeof *w, cmp_wrow);
    FILE *f;
    char tmp[4096];
    int rc = ks_atomic_open(path, &f, tmp, sizeof tmp, err);
    if (rc) {
        free(w);
        return rc;
    }
    fputs("ID,TIME,AMT,RATE,EVID,CMT,DV,MDV\n", f);
    for (size_t i = 0; i < k; i++) {
        fputs("1,", f);
        put(f, w[i].t);
        fputc(',', f);
        put(f, w[i].amt);
        fputc(',', f);
        put(f, w[i].rate);
        fprintf(f, ",%d,%d,", w[i].evid, w[i].comp + 1);
        put(f, w[i].dv);
        fprintf(f, ",%d\n", w[i].evid ? 1 : 0);
    }
    free(w);
    return ks_atomic_commit(f, tmp, path, err);
}

int ks_dataset_write_with(const ks_dataset *d, const char *name, const double *col,
                          const char *path, ks_error *err)
{
    if (!d || !name || !col || !path)
        return ks_error_set(err, KS_EINVAL, "ks_dataset_write_with: NULL argument");
    if (ks_dataset_column(d, name) >= 0)
        return ks_error_set(err, KS_EINVAL, "%s: the dataset already has a column %s", path, name);
    FILE *f = stdout;
    char tmp[4096];
    int to_stdout = strcmp(path, "-") == 0;
    int rc = to_stdout ? KS_OK : ks_atomic_open(path, &f, tmp, sizeof tmp, err);
    if (rc) return rc;
    for (size_t j = 0; j < d->n_cols; j++)
        fprintf(f, "%s,", d->names[j]);
    fprintf(f, "%s\n", name);
    for (size_t i = 0; i < d->n_rows; i++) {
        for (size_t j = 0; j < d->n_cols; j++)
            fprintf(f, "%.15g,", d->v[i * d->n_cols + j]);
        if (isfinite(col[i]))
            fprintf(f, "%.10g\n", col[i]);
        else
            fputs(".\n", f);
    }
    if (to_stdout)
        return fflush(f) == 0 && !ferror(f)
                   ? KS_OK
                   : ks_error_set(err, KS_EIO, "writing the dataset failed");
    return ks_atomic_commit(f, tmp, path, err);
}
