/* Validation against published observations (see ketsim/validate.h). */
#include "ketsim/validate.h"
#include "core/linalg.h"
#include "sim/sim_internal.h"
#include "ketsim/sim.h"
#include "ketsim/summary.h"
#include "ketsim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the file */

static const char *const COLUMNS[] = {"study_id",
                                      "arm",
                                      "citation",
                                      "doi",
                                      "drug",
                                      "analyte",
                                      "route",
                                      "dose_mg",
                                      "dose_mg_per_kg",
                                      "infusion_min",
                                      "population",
                                      "age_y",
                                      "weight_kg",
                                      "sampling_site",
                                      "quantity",
                                      "value",
                                      "unit",
                                      "auc_end_h",
                                      "spread",
                                      "spread_type",
                                      "n",
                                      "where_read",
                                      "verification",
                                      "note",
                                      "design",
                                      "measured_from_h"};
#define N_COLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])
/* The design columns are optional: a file may end at "note". */
#define N_REQUIRED 24
/* At most this many doses in one row's design. */
#define MAX_DESIGN_DOSES 1000

struct ks_obs_set {
    ks_obs *rows;
    size_t n, cap;
    char **strings; /* every text field and design dose list, owned */
    size_t ns, caps;
    int n_columns; /* N_REQUIRED or N_COLUMNS, from the header */
};

void ks_obs_free(ks_obs_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->ns; i++)
        free(set->strings[i]);
    free(set->strings);
    free(set->rows);
    free(set);
}

size_t ks_obs_count(const ks_obs_set *set)
{
    return set ? set->n : 0;
}

const ks_obs *ks_obs_get(const ks_obs_set *set, size_t i)
{
    return set && i < set->n ? &set->rows[i] : NULL;
}

int ks_obs_is_misprint(const ks_obs *o)
{
    return strncmp(o->note, "MISPRINT", 8) == 0;
}

/* A new block of `size` bytes owned by the set (freed with it), or NULL. */
static void *own(ks_obs_set *set, size_t size)
{
    if (set->ns == set->caps) {
        size_t nc = set->caps ? 2 * set->caps : 256;
        char **ns = realloc(set->strings, nc * sizeof *ns);
        if (!ns) return NULL;
        set->strings = ns;
        set->caps = nc;
    }
    char *c = malloc(size ? size : 1);
    if (c) set->strings[set->ns++] = c;
    return c;
}

static const char *keep(ks_obs_set *set, const char *s, size_t len)
{
    char *c = own(set, len + 1);
    if (!c) return NULL;
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

/* One CSV record from *p (RFC 4180: quoted fields may hold commas, quotes as "" and
 * line breaks). Fields are written unquoted into buf, separated by NULs; *line counts
 * line breaks. Returns the number of fields, or -1 for an unterminated quote. */
static int record(const char **p, char *buf, const char **fields, int max, int *line)
{
    const char *s = *p;
    char *o = buf;
    int n = 0;
    for (;;) {
        if (n < max) fields[n] = o;
        n++;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '\0') return -1;
                if (*s == '"' && s[1] == '"') {
                    *o++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    if (*s == '\n') (*line)++;
                    *o++ = *s++;
                }
            }
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            *o++ = *s++;
        *o++ = '\0';
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r') s++;
        if (*s == '\n') s++;
        break;
    }
    *p = s;
    return n;
}

static int is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static int number(const char *text, double *v)
{
    if (is_blank(text)) {
        *v = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    while (*end && isspace((unsigned char)*end))
        end++;
    return (*end || errno || !isfinite(*v)) ? -1 : 0;
}

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static const char *const QUANTITIES[] = {"cmax", "tmax", "auc_0_t", "auc_inf", "auc",
                                         "f",    "cl",   "t_half",  "vss",     NULL};
static const char *const ROUTES[] = {"iv",     "intranasal", "im",     "oral", "sublingual",
                                     "buccal", "inhaled",    "rectal", NULL};
static const char *const DRUGS[] = {"racemic ketamine", "esketamine", NULL};
static const char *const SITES[] = {"arterial", "venous", "unknown", NULL};

/* The units accepted for each quantity, and their factor to ketsim's unit (ng/mL, h,
 * ng*h/mL, fraction, L/h, L); per-kg units multiply by weight. */
typedef struct unit_def {
    const char *quantity, *unit;
    double factor;
    int per_kg;
} unit_def;

static const unit_def UNITS[] = {
    {"cmax", "ng/mL", 1, 0},
    {"cmax", "ug/L", 1, 0},
    {"tmax", "h", 1, 0},
    {"tmax", "min", 1.0 / 60, 0},
    {"auc", "ng*h/mL", 1, 0},
    {"auc", "ug*h/L", 1, 0},
    {"auc", "ng*min/mL", 1.0 / 60, 0},
    {"f", "%", 0.01, 0},
    {"f", "fraction", 1, 0},
    {"cl", "L/h", 1, 0},
    {"cl", "L/min", 60, 0},
    {"cl", "mL/min", 0.06, 0},
    {"cl", "mL/min/kg", 0.06, 1},
    {"cl", "L/h/kg", 1, 1},
    {"t_half", "h", 1, 0},
    {"t_half", "min", 1.0 / 60, 0},
    {"vss", "L", 1, 0},
    {"vss", "L/kg", 1, 1},
};

static const unit_def *unit_of(const char *quantity, const char *unit)
{
    const char *q = strncmp(quantity, "auc", 3) == 0 ? "auc" : quantity;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (strcmp(UNITS[i].quantity, q) == 0 && strcmp(UNITS[i].unit, unit) == 0) return &UNITS[i];
    return NULL;
}

/* Quantities a linear model gives the same for any dose (F, CL, half-life, Vss, Tmax): a
 * source may state them without a dose. */
static int dose_free(const char *quantity)
{
    static const char *const q[] = {"f", "cl", "t_half", "vss", "tmax", NULL};
    return one_of(quantity, q);
}

/* The dose simulated when a figure states none: one 28 mg esketamine nasal device (its
 * first-device fraction), and for a linear model any dose gives the same F, CL, t1/2. */
#define KS_VALIDATE_DOSE_NONE_MG 28.0

static int check_row(const ks_obs *o, const char *path, ks_error *err)
{
#define BAD(col, ...)                                                                              \
    do {                                                                                           \
        char m_[200];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        return ks_error_set(err, KS_EPARSE, "%s:%d: %s: %s", path, o->line, col, m_);              \
    } while (0)
    if (!*o->study_id) BAD("study_id", "empty");
    if (!*o->arm) BAD("arm", "empty");
    if (!one_of(o->drug, DRUGS))
        BAD("drug", "\"%s\" is not racemic ketamine or esketamine", o->drug);
    if (!*o->analyte) BAD("analyte", "empty");
    if (!one_of(o->route, ROUTES)) BAD("route", "unknown route \"%s\"", o->route);
    if (!one_of(o->quantity, QUANTITIES)) BAD("quantity", "unknown quantity \"%s\"", o->quantity);
    if (!one_of(o->sampling_site, SITES))
        BAD("sampling_site", "\"%s\" is not arterial, venous or unknown", o->sampling_site);
    if (!isnan(o->dose_mg) && !isnan(o->dose_mg_per_kg))
        BAD("dose_mg", "give one of dose_mg and dose_mg_per_kg, not both");
    if (isnan(o->dose_mg) && isnan(o->dose_mg_per_kg) && !dose_free(o->quantity))
        BAD("dose_mg", "%s depends on the dose: give dose_mg or dose_mg_per_kg", o->quantity);
    if (o->dose_mg <= 0 || o->dose_mg_per_kg <= 0) BAD("dose_mg", "the dose must be positive");
    if (o->infusion_min < 0) BAD("infusion_min", "negative infusion time %g", o->infusion_min);
    if (o->weight_kg <= 0) BAD("weight_kg", "weight %g kg is not positive", o->weight_kg);
    if (!(o->value > 0)) BAD("value", "the value must be a positive number");
    if (!unit_of(o->quantity, o->unit))
        BAD("unit", "\"%s\" is not a unit ketsim knows for %s", o->unit, o->quantity);
    if (strcmp(o->quantity, "auc_0_t") == 0 && !(o->auc_end_h > 0))
        BAD("auc_end_h", "auc_0_t needs the end of the interval in hours");
    if (!*o->where_read) BAD("where_read", "empty: every figure says where it was read");
    if (!*o->verification) BAD("verification", "empty");
    return KS_OK;
#undef BAD
}

static int same_time(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

/* Does design dose d match the row's own dose (route, amount, infusion time)? */
static int is_row_dose(const ks_obs *o, const ks_regimen_dose *d)
{
    if (strcmp(d->route, o->route) != 0) return 0;
    double want = d->per_kg ? o->dose_mg_per_kg : o->dose_mg;
    if (!(isfinite(want) && same_time(d->amount, want))) return 0;
    return isnan(o->infusion_min) || same_time(d->duration_h, o->infusion_min / 60.0);
}

/* The design column: "TIME: REGIMEN | TIME: REGIMEN ...", each REGIMEN expanded by
 * ks_regimen_parse and shifted by its TIME, into o->design_doses in time order. */
static int parse_design(ks_obs_set *set, ks_obs *o, const char *path, ks_error *err)
{
#define BAD(col, ...)                                                                              \
    do {                                                                                           \
        char m_[400];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        rc = ks_error_set(err, KS_EPARSE, "%s:%d: %s: %s", path, o->line, col, m_);                \
        goto done;                                                                                 \
    } while (0)
    int rc = KS_OK;
    char *text = NULL;
    ks_regimen *r = NULL;
    ks_regimen_dose *doses = NULL;
    size_t n = 0;
    o->design_doses = NULL;
    o->n_design = 0;
    if (is_blank(o->design)) {
        if (!isnan(o->measured_from_h))
            BAD("measured_from_h", "given without a design (leave both empty for one dose)");
        return KS_OK;
    }
    if (isnan(o->measured_from_h))
        BAD("measured_from_h", "a design needs the time its figure is measured from (h)");
    if (o->measured_from_h < 0) BAD("measured_from_h", "%g h is negative", o->measured_from_h);
    static const char *const single[] = {"f", "cl", "vss", NULL};
    if (one_of(o->quantity, single))
        BAD("design", "%s is a single-dose quantity: give it on a row without a design",
            o->quantity);
    if (!(text = malloc(strlen(o->design) + 1)) ||
        !(doses = own(set, MAX_DESIGN_DOSES * sizeof *doses))) {
        rc = ks_error_set(err, KS_ENOMEM, "out of memory");
        goto done;
    }
    strcpy(text, o->design);
    int part = 0;
    for (char *p = text, *next; p; p = next) {
        part++;
        next = strchr(p, '|');
        if (next) *next++ = '\0';
        char *colon = strchr(p, ':');
        if (!colon)
            BAD("design", "part %d (\"%s\"): start it with its time, as in \"6h: 20mg iv\"", part,
                p);
        *colon = '\0';
        while (isspace((unsigned char)*p))
            p++;
        double t0 = NAN;
        ks_dim dim = KS_DIM_TIME;
        ks_error e = {0};
        if (ks_quantity_parse(p, &dim, 1, "time", &t0, NULL, &e))
            BAD("design", "part %d: %.300s", part, e.msg);
        if (!(t0 >= 0 && isfinite(t0))) BAD("design", "part %d: time \"%s\" is negative", part, p);
        if (ks_regimen_parse(colon + 1, &r, &e)) BAD("design", "part %d: %.300s", part, e.msg);
        for (size_t i = 0; i < ks_regimen_n_doses(r); i++) {
            const ks_regimen_dose *d = ks_regimen_dose_get(r, i);
            if (!one_of(d->route, ROUTES))
                BAD("design",
                    "part %d: route \"%s\" is not a route of this file (iv, "
                    "intranasal, im, oral, sublingual, buccal, inhaled, rectal)",
                    part, d->route);
            if (n == MAX_DESIGN_DOSES) BAD("design", "more than %d doses", MAX_DESIGN_DOSES);
            doses[n] = *d;
            doses[n].time_h += t0;
            if (!(doses[n].route = keep(set, d->route, strlen(d->route)))) {
                rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                goto done;
            }
            for (size_t j = n++; j > 0 && doses[j - 1].time_h > doses[j].time_h; j--) {
                ks_regimen_dose t = doses[j];
                doses[j] = doses[j - 1];
                doses[j - 1] = t;
            }
        }
        ks_regimen_free(r);
        r = NULL;
    }
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = same_time(doses[i].time_h, o->measured_from_h) && is_row_dose(o, &doses[i]);
    if (!found)
        BAD("measured_from_h",
            "no dose of the design starts at %g h with the row's route (%s), dose and "
            "infusion time",
            o->measured_from_h, o->route);
    o->design_doses = doses;
    o->n_design = n;
done:
    ks_regimen_free(r);
    free(text);
    return rc;
#undef BAD
}

/* Fill row o from the record's fields. */
static int fill(ks_obs_set *set, ks_obs *o, const char **f, const char *path, ks_error *err)
{
    const char **text[] = {&o->study_id,
                           &o->arm,
                           &o->citation,
                           &o->doi,
                           &o->drug,
                           &o->analyte,
                           &o->route,
                           NULL,
                           NULL,
                           NULL,
                           &o->population,
                           NULL,
                           NULL,
                           &o->sampling_site,
                           &o->quantity,
                           NULL,
                           &o->unit,
                           NULL,
                           &o->spread,
                           &o->spread_type,
                           NULL,
                           &o->where_read,
                           &o->verification,
                           &o->note,
                           &o->design,
                           NULL};
    double *num[N_COLUMNS] = {0};
    num[7] = &o->dose_mg;
    num[8] = &o->dose_mg_per_kg;
    num[9] = &o->infusion_min;
    num[11] = &o->age_y;
    num[12] = &o->weight_kg;
    num[15] = &o->value;
    num[17] = &o->auc_end_h;
    num[20] = &o->n;
    num[25] = &o->measured_from_h;
    o->design = "";
    o->measured_from_h = NAN;
    for (size_t c = 0; c < (size_t)set->n_columns; c++) {
        if (num[c]) {
            if (number(f[c], num[c]))
                return ks_error_set(err, KS_EPARSE, "%s:%d: %s: \"%s\" is not a number", path,
                                    o->line, COLUMNS[c], f[c]);
        } else {
            const char *k = keep(set, f[c], strlen(f[c]));
            if (!k) return ks_error_set(err, KS_ENOMEM, "out of memory");
            *text[c] = k;
        }
    }
    int rc = check_row(o, path, err);
    return rc ? rc : parse_design(set, o, path, err);
}

static int header(const char **f, int nf, const char *path, int line, int *ncols, ks_error *err)
{
    size_t want = nf > N_REQUIRED ? N_COLUMNS : N_REQUIRED;
    for (size_t c = 0; c < want; c++)
        if ((int)c >= nf || strcmp(f[c], COLUMNS[c]) != 0)
            return ks_error_set(err, KS_EPARSE, "%s:%d: column %zu is \"%s\", expected \"%s\"",
                                path, line, c + 1, (int)c < nf ? f[c] : "", COLUMNS[c]);
    if (nf != (int)want)
        return ks_error_set(err, KS_EPARSE, "%s:%d: %d columns, expected %zu", path, line, nf,
                            want);
    *ncols = (int)want;
    return KS_OK;
}

static int parse(const char *text, const char *path, ks_obs_set *set, ks_error *err)
{
    char *buf = malloc(strlen(text) + 1);
    if (!buf) return ks_error_set(err, KS_ENOMEM, "out of memory");
    const char *p = text;
    const char *f[N_COLUMNS + 1];
    int line = 1, seen_header = 0, rc = KS_OK;
    while (*p && !rc) {
        int start = line;
        if (!seen_header && *p == '#') { /* comments above the header */
            p += strcspn(p, "\n");
            if (*p) p++;
            line++;
            continue;
        }
        int nf = record(&p, buf, f, (int)N_COLUMNS + 1, &line);
        line++;
        if (nf < 0) {
            rc = ks_error_set(err, KS_EPARSE, "%s:%d: a quoted field is not closed", path, start);
        } else if (nf == 1 && is_blank(f[0])) {
            continue;
        } else if (!seen_header) {
            rc = header(f, nf, path, start, &set->n_columns, err);
            seen_header = 1;
        } else if (nf != set->n_columns) {
            rc = ks_error_set(err, KS_EPARSE, "%s:%d: %d fields, expected %d", path, start, nf,
                              set->n_columns);
        } else {
            if (set->n == set->cap) {
                size_t nc = set->cap ? 2 * set->cap : 64;
                ks_obs *nr = realloc(set->rows, nc * sizeof *nr);
                if (!nr) {
                    rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                    break;
                }
                set->rows = nr;
                set->cap = nc;
            }
            ks_obs *o = &set->rows[set->n];
            *o = (ks_obs){.line = start};
            rc = fill(set, o, f, path, err);
            if (!rc) set->n++;
        }
    }
    free(buf);
    if (!rc && !seen_header) rc = ks_error_set(err, KS_EPARSE, "%s: no header row", path);
    return rc;
}

static int is_bolus_iv(const ks_obs *o)
{
    return strcmp(o->route, "iv") == 0 && !(o->infusion_min > 0);
}

static void link_bolus_samples(ks_obs_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        ks_obs *o = &set->rows[i];
        o->bolus_sample_h = NAN;
        if (!is_bolus_iv(o) || strcmp(o->quantity, "cmax") != 0) continue;
        for (size_t j = 0; j < set->n; j++) {
            const ks_obs *t = &set->rows[j];
            if (strcmp(t->quantity, "tmax") == 0 && strcmp(t->study_id, o->study_id) == 0 &&
                strcmp(t->arm, o->arm) == 0 && strcmp(t->analyte, o->analyte) == 0)
                o->bolus_sample_h = t->value * unit_of("tmax", t->unit)->factor;
        }
    }
}

int ks_obs_read(const char *path, ks_obs_set **out, ks_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ks_error_set(err, KS_EIO, "%s: cannot open (%s)", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *t = realloc(text, cap *= 2);
            if (!t) {
                free(text);
                text = NULL;
            } else {
                text = t;
            }
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!text) return ks_error_set(err, KS_ENOMEM, "out of memory");
    if (bad) {
        free(text);
        return ks_error_set(err, KS_EIO, "%s: read error", path);
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        return ks_error_set(err, KS_EPARSE, "%s: contains a NUL byte", path);
    }
    ks_obs_set *set = calloc(1, sizeof *set);
    int rc = set ? parse(text, path, set, err) : ks_error_set(err, KS_ENOMEM, "out of memory");
    free(text);
    if (!rc) link_bolus_samples(set);
    if (rc) {
        ks_obs_free(set);
        return rc;
    }
    *out = set;
    return KS_OK;
}

/* --------------------------------------------------------- applicability */

static int contains(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == word[i])
            i++;
        if (i == n) return 1;
    }
    return 0;
}

/* "racemic" or "es" for a drug text; NULL when neither. */
static const char *drug_kind(const char *drug)
{
    if (contains(drug, "racemic")) return "racemic";
    if (contains(drug, "esketamine") || contains(drug, "s-ketamine")) return "es";
    return NULL;
}

/* Names a model may give each analyte of an observation. */
static const char *const *analyte_names(const char *analyte)
{
    static const char *const ket[] = {"ketamine", NULL};
    static const char *const nk[] = {"norketamine", NULL};
    static const char *const esk[] = {"esketamine", "s_ketamine", NULL};
    static const char *const nesk[] = {"noresketamine", "s_norketamine", "norketamine", NULL};
    static const char *const hnk[] = {"hydroxynorketamine", "s_hydroxynorketamine", "s_hnk", "hnk",
                                      NULL};
    if (strcmp(analyte, "ketamine") == 0) return ket;
    if (strcmp(analyte, "norketamine") == 0) return nk;
    if (strcmp(analyte, "esketamine") == 0) return esk;
    if (strcmp(analyte, "noresketamine") == 0) return nesk;
    if (strcmp(analyte, "hydroxynorketamine") == 0) return hnk;
    return NULL;
}

const char *ks_validate_analyte(const ks_model *m, const ks_obs *o)
{
    const char *dk = drug_kind(o->drug), *mk = drug_kind(ks_model_drug(m));
    if (!dk || !mk || strcmp(dk, mk) != 0) return NULL;
    const char *const *names = analyte_names(o->analyte);
    for (; names && *names; names++)
        for (size_t i = 0; i < ks_model_n_analytes(m); i++)
            if (strcmp(ks_model_analyte_name(m, i), *names) == 0)
                return ks_model_analyte_name(m, i);
    return NULL;
}

/* Does model route `name` give observation route `want` (itself, a variant
 * "want-<source>", or a synonym)? */
static int route_matches(const char *name, const char *want)
{
    static const char *const syn[][4] = {{"intranasal", "nasal", NULL},
                                         {"sublingual", "film", "otf", NULL},
                                         {"buccal", "film", "otf", NULL},
                                         {"im", "intramuscular", NULL},
                                         {"iv", NULL}};
    for (size_t k = 0; k < sizeof syn / sizeof syn[0]; k++) {
        if (strcmp(syn[k][0], want) != 0) continue;
        for (int j = 0; j < 4 && syn[k][j]; j++) {
            size_t n = strlen(syn[k][j]);
            if (strncmp(name, syn[k][j], n) == 0 && (name[n] == '\0' || name[n] == '-')) return 1;
        }
        return 0;
    }
    size_t n = strlen(want);
    return strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == '-');
}

size_t ks_validate_routes(const ks_model *m, const ks_obs *o, const char **names, size_t max)
{
    size_t k = 0;
    if (!ks_validate_analyte(m, o)) return 0;
    for (size_t i = 0; i < ks_model_n_routes(m) && k < max; i++) {
        const char *r = ks_model_route_name(m, i);
        /* "iv" alone for IV figures: "iv-..." variants are other designs. */
        if (strcmp(o->route, "iv") == 0 ? strcmp(r, "iv") == 0 : route_matches(r, o->route))
            names[k++] = r;
    }
    return k;
}

/* ------------------------------------------------------------- prediction */

typedef struct exposure {
    double cmax, tmax, auc_t, auc_inf, t_half;
    double c_at; /* concentration at the time asked for (NaN when none) */
} exposure;

static int not_applicable(ks_prediction *p, const char *fmt, const char *arg)
{
    p->applies = 0;
    snprintf(p->reason, sizeof p->reason, fmt, arg);
    return KS_OK;
}

static void caveat(ks_prediction *p, int when, const char *text)
{
    size_t n = strlen(p->reason);
    if (when) snprintf(p->reason + n, sizeof p->reason - n, "%s%s", n ? "; " : "", text);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Output times: every minute for 12 h after each dose start, then every 10 min, to
 * `horizon`, plus `extra` (when finite). With one dose at time 0 this is the grid of a
 * single-dose figure. */
static double *grid(const ks_dose *d, size_t nd, double horizon, double extra, size_t *n)
{
    size_t per = 12 * 60 + (size_t)(horizon * 6) + 8, k = 0;
    double *t = malloc((per * nd + 1) * sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i < nd; i++) {
        if (i && d[i].time_h == d[i - 1].time_h) continue;
        for (int j = 0; j <= 12 * 60 && d[i].time_h + j / 60.0 <= horizon + 1e-9; j++)
            t[k++] = d[i].time_h + j / 60.0;
        for (double x = 12 + 1.0 / 6; d[i].time_h + x <= horizon + 1e-9; x += 1.0 / 6)
            t[k++] = d[i].time_h + x;
    }
    if (isfinite(extra) && extra > 0) t[k++] = extra;
    qsort(t, k, sizeof *t, by_value);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || t[i] - t[m - 1] > 1e-9) t[m++] = t[i];
    for (size_t i = 0; i < m && isfinite(extra); i++)
        if (fabs(t[i] - extra) <= 1e-9) t[i] = extra; /* exactly, for AUC 0-t */
    *n = m;
    return t;
}

/* Simulate the doses and summarise `analyte` from `from` (h; a dose start) on: Cmax and
 * Tmax up to the next later dose start (the end without one), Tmax and AUC 0-t_end
 * counted from `from`, AUC 0-inf from `from` when no dose follows (NaN otherwise),
 * the concentration at from + t_at. `design` 0 keeps the summary of the whole run (one
 * dose at time 0). *skip gets a reason when a dose is refused by the model (a nasal
 * dose that is not whole devices, say). */
static int expose(const ks_model *m, const ks_covariates *c, const ks_dose *d, size_t nd,
                  int design, double from, const char *analyte, double t_end, double t_at,
                  exposure *e, char *skip, size_t skip_size, ks_error *err)
{
    double last = d[nd - 1].time_h;
    double horizon = fmax(last + 96.0, isfinite(t_end) ? from + t_end : 0);
    size_t n = 0;
    double *t = grid(d, nd, horizon, from + t_end, &n);
    if (!t) return ks_error_set(err, KS_ENOMEM, "out of memory");
    ks_sim *s = NULL;
    ks_error local = {0};
    int rc = ks_sim_create(m, &s, err);
    if (!rc) rc = ks_sim_set_covariates(s, c, err);
    for (size_t i = 0; i < nd && !rc; i++) {
        if (ks_sim_add_dose(s, &d[i], &local)) {
            snprintf(skip, skip_size, "%s", local.msg);
            ks_sim_free(s);
            free(t);
            return KS_OK;
        }
    }
    if (!rc) rc = ks_sim_set_times(s, t, n, err);
    if (!rc) rc = ks_sim_run(s, err);
    char col[96];
    snprintf(col, sizeof col, "cp_%s_ng_ml", analyte);
    int j = rc ? -1 : ks_sim_output_index(s, col);
    if (!rc && j < 0) rc = ks_error_set(err, KS_EINVAL, "model has no output %s", col);
    ks_summary sm = {0};
    if (!rc) rc = ks_summary_compute(s, (size_t)j, NAN, &sm, err);
    const double *auc = rc ? NULL : ks_sim_output_auc(s, (size_t)j);
    double auc_from = 0.0;
    for (size_t i = 0; !rc && i < n; i++)
        if (same_time(t[i], from)) auc_from = auc[i];
    if (!rc) {
        e->cmax = sm.cmax;
        e->tmax = sm.tmax;
        e->auc_inf = sm.auc_inf;
        e->t_half = sm.t_half;
        e->auc_t = NAN;
        for (size_t i = 0; i < n && isfinite(t_end); i++)
            if (fabs(t[i] - (from + t_end)) < 1e-9) e->auc_t = auc[i] - auc_from;
    }
    if (!rc && design) {
        /* The session that starts at `from`, on the exact solution. */
        double starts[2] = {from, NAN};
        size_t ns = 1;
        for (size_t i = 0; i < nd && ns == 1; i++)
            if (d[i].time_h > from && !same_time(d[i].time_h, from)) starts[ns++] = d[i].time_h;
        ks_session_summary ses[2];
        rc = ks_summary_sessions(s, (size_t)j, starts, ns, NAN, ses, err);
        if (!rc) {
            e->cmax = ses[0].cmax;
            e->tmax = ses[0].tmax - from;
            e->auc_inf = ns == 1 ? sm.auc_inf - auc_from : NAN;
        }
    }
    if (!rc) {
        e->c_at = NAN;
        if (isfinite(t_at)) {
            double *v = malloc(ks_sim_n_outputs(s) * sizeof *v);
            if (!v) rc = ks_error_set(err, KS_ENOMEM, "out of memory");
            if (!rc) rc = ks_sim_eval(s, from + t_at, v, err);
            if (!rc) e->c_at = v[j];
            free(v);
        }
    }
    ks_sim_free(s);
    free(t);
    return rc;
}

static int covariates(const ks_model *m, const ks_obs *o, ks_covariates *c, ks_prediction *p,
                      ks_error *err)
{
    *c = (ks_covariates){0};
    p->weight_kg = isnan(o->weight_kg) ? 70.0 : o->weight_kg;
    p->weight_assumed = isnan(o->weight_kg);
    int rc = ks_covariates_set(c, "weight", p->weight_kg, err);
    if (!rc && !isnan(o->age_y)) rc = ks_covariates_set(c, "age", o->age_y, err);
    if (rc) return rc;
    char warn[1024];
    int nw = 0;
    ks_error local = {0};
    if (ks_model_check_covariates(m, c, warn, sizeof warn, &nw, &local))
        return not_applicable(p, "%s", local.msg); /* a covariate it needs is missing */
    /* Warnings are either "does not use" (harmless) or "outside the range". */
    p->extrapolated = strstr(warn, "outside the range") != NULL;
    return KS_OK;
}

static double in_obs_unit(const ks_obs *o, double canonical, double weight)
{
    const unit_def *u = unit_of(o->quantity, o->unit);
    return canonical / u->factor / (u->per_kg ? weight : 1.0);
}

/* Vss of `analyte` exactly: under a constant IV infusion of the parent the body reaches
 * a steady state x = -A^-1 u (body compartments only: the sinks, integrators and effect
 * sites carry no drug in the body); Vss = the analyte's amount in the body / its plasma
 * concentration. For a metabolite this is its own steady-state volume (the formation rate
 * cancels). */
static int predict_vss(const ks_model *m, const ks_obs *o, const char *analyte, ks_prediction *p,
                       ks_error *err)
{
    if (!ks_model_has_route(m, "iv"))
        return not_applicable(p, "%s", "Vss needs an IV route (a steady state of the body)");
    ks_covariates c;
    int rc = covariates(m, o, &c, p, err);
    if (rc || !p->applies) return rc;
    ks_sim *s = NULL;
    if ((rc = ks_sim_create(m, &s, err)) || (rc = ks_sim_set_covariates(s, &c, err))) {
        ks_sim_free(s);
        return rc;
    }
    size_t n = ks_sim_n_states(s), nb = 0;
    double *A = malloc(n * n * sizeof *A), *Ab = malloc(n * n * sizeof *Ab);
    double *x = calloc(n, sizeof *x);
    int *body = malloc(n * sizeof *body), *idx = malloc(n * sizeof *idx);
    if (!A || !Ab || !x || !body || !idx) rc = ks_error_set(err, KS_ENOMEM, "out of memory");
    if (!rc) rc = ks_sim_system_matrix(s, A, err);
    const ks_mroute *r = rc ? NULL : &m->routes[ks_model_route_index(m, "iv")];
    for (size_t i = 0; !rc && i < n; i++) {
        body[i] = ks_sim_state_kind(s, i) == KS_ST_AMOUNT;
        for (int k = 0; body[i] && k < m->n_comps; k++)
            if (s->comp_state[k] == (int)i && m->comps[k].depot) body[i] = 0;
        if (body[i]) idx[nb++] = (int)i;
    }
    for (size_t a = 0; !rc && a < nb; a++)
        for (size_t b = 0; b < nb; b++)
            Ab[a * nb + b] = -A[(size_t)idx[a] * n + (size_t)idx[b]];
    for (size_t a = 0; !rc && a < nb; a++)
        x[a] = idx[a] == s->comp_state[r->paths[0].to] ? 1.0 : 0.0; /* 1 mg/h */
    double amount = 0.0, conc = NAN;
    if (!rc && ks_solve(Ab, x, nb))
        rc = not_applicable(p, "%s", "no steady state (a compartment without elimination)");
    for (size_t a = 0; !rc && p->applies && a < nb; a++) {
        int an = ks_sim_state_analyte(s, (size_t)idx[a]);
        if (strcmp(ks_model_analyte_name(m, (size_t)an), analyte) != 0) continue;
        amount += x[a];
        for (int k = 0; k < m->n_comps; k++)
            if (s->comp_state[k] == idx[a] && m->comps[k].observed)
                conc = x[a] / s->pv[m->comps[k].volume];
    }
    ks_sim_free(s);
    free(A);
    free(Ab);
    free(x);
    free(body);
    free(idx);
    if (rc || !p->applies) return rc;
    if (!(conc > 0)) return not_applicable(p, "model has no plasma compartment for %s", analyte);
    p->value = in_obs_unit(o, amount / conc, p->weight_kg);
    caveat(p, 1, "exact steady state of the model (IV infusion)");
    return KS_OK;
}

/* A route of `m` for a design dose by observation route `want`: `row_route` for the
 * row's own route, else the model's only route that gives it. NULL with the reason in
 * p when there is none or more than one. */
static const char *design_route(const ks_model *m, const ks_obs *o, const char *want,
                                const char *row_route, ks_prediction *p)
{
    if (strcmp(want, o->route) == 0) return row_route;
    const char *found = NULL;
    char names[256] = "";
    size_t k = 0, used = 0;
    for (size_t i = 0; i < ks_model_n_routes(m); i++) {
        const char *r = ks_model_route_name(m, i);
        if (strcmp(want, "iv") == 0 ? strcmp(r, "iv") != 0 : !route_matches(r, want)) continue;
        found = r;
        k++;
        used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0,
                                 "%s%s", k > 1 ? ", " : "", r);
    }
    if (k == 1) return found;
    char why[400];
    if (k == 0)
        snprintf(why, sizeof why,
                 "model has no %s route for a dose of the design: the design is not simulated "
                 "without it",
                 want);
    else
        snprintf(why, sizeof why,
                 "several routes of the model give %s (%.200s): the design does "
                 "not say which",
                 want, names);
    not_applicable(p, "%s", why);
    return NULL;
}

/* The design's doses for this model and patient, and a caveat naming them. */
static int design_doses(const ks_model *m, const ks_obs *o, const char *route, ks_dose *d,
                        ks_prediction *p)
{
    char text[300] = "design:";
    size_t used = strlen(text);
    for (size_t i = 0; i < o->n_design; i++) {
        const ks_regimen_dose *x = &o->design_doses[i];
        const char *r = design_route(m, o, x->route, route, p);
        if (!r) return 0;
        if (x->duration_h > 0 && !ks_model_route_takes_duration(m, r))
            return not_applicable(p, "route %s takes no infusion time", r), 0;
        d[i] = (ks_dose){x->time_h, x->per_kg ? x->amount * p->weight_kg : x->amount, x->duration_h,
                         r};
        char over[32] = "";
        if (x->duration_h > 0) snprintf(over, sizeof over, " over %.4g min", x->duration_h * 60);
        if (used < sizeof text)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s %.4g mg %s%s at %g h",
                                     i ? "," : "", d[i].amount_mg, r, over, x->time_h);
    }
    caveat(p, 1, text);
    char from[80];
    snprintf(from, sizeof from, "measured from %g h", o->measured_from_h);
    caveat(p, 1, from);
    return 1;
}

int ks_validate_predict(const ks_model *m, const ks_obs *o, const char *route, ks_prediction *p,
                        ks_error *err)
{
    *p = (ks_prediction){.applies = 1, .value = NAN};
    const char *analyte = ks_validate_analyte(m, o);
    if (!analyte) return not_applicable(p, "model has no %s for this drug", o->analyte);
    if (strcmp(o->quantity, "vss") == 0) return predict_vss(m, o, analyte, p, err);
    if (strcmp(o->quantity, "cl") == 0 && strcmp(o->route, "iv") != 0)
        return not_applicable(p, "%s", "clearance is compared for IV arms only");
    ks_covariates c;
    int rc = covariates(m, o, &c, p, err);
    if (rc || !p->applies) return rc;
    double amount = !isnan(o->dose_mg)          ? o->dose_mg
                    : !isnan(o->dose_mg_per_kg) ? o->dose_mg_per_kg * p->weight_kg
                                                : KS_VALIDATE_DOSE_NONE_MG;
    double dur = isnan(o->infusion_min) ? 0.0 : o->infusion_min / 60.0;
    if (dur > 0 && !ks_model_route_takes_duration(m, route))
        return not_applicable(p, "route %s takes no infusion time", route);
    exposure e;
    char skip[512] = "";
    int bolus = is_bolus_iv(o);
    if (bolus && strcmp(o->quantity, "tmax") == 0)
        return not_applicable(p, "%s",
                              "Tmax of an IV bolus: a compartment model peaks at time 0, the "
                              "study at its first sample");
    if (bolus && strcmp(o->quantity, "cmax") == 0 && isnan(o->bolus_sample_h))
        return not_applicable(p, "%s",
                              "Cmax of an IV bolus without the study's Tmax: it depends on the "
                              "first sample time");
    double at = bolus && strcmp(o->quantity, "cmax") == 0 ? o->bolus_sample_h : NAN;
    ks_dose one = {0, amount, dur, route}, *doses = &one;
    size_t nd = 1;
    double from = 0.0;
    if (o->n_design) {
        if (!(doses = malloc(o->n_design * sizeof *doses)))
            return ks_error_set(err, KS_ENOMEM, "out of memory");
        nd = o->n_design;
        from = o->measured_from_h;
        if (!design_doses(m, o, route, doses, p)) {
            free(doses);
            return KS_OK;
        }
    }
    rc = expose(m, &c, doses, nd, o->n_design > 0, from, analyte, o->auc_end_h, at, &e, skip,
                sizeof skip, err);
    if (doses != &one) free(doses);
    if (rc) return rc;
    if (*skip) return not_applicable(p, "%s", skip);
    double v = NAN;
    const char *q = o->quantity;
    if (strcmp(q, "cmax") == 0)
        v = isfinite(at) ? e.c_at : e.cmax;
    else if (strcmp(q, "tmax") == 0)
        v = e.tmax;
    else if (strcmp(q, "auc_0_t") == 0)
        v = e.auc_t;
    else if (strcmp(q, "auc_inf") == 0 || strcmp(q, "auc") == 0)
        v = e.auc_inf;
    else if (strcmp(q, "t_half") == 0)
        v = e.t_half;
    else if (strcmp(q, "cl") == 0)
        v = amount / (e.auc_inf * 1e-3); /* mg / (mg*h/L) */
    else if (strcmp(q, "f") == 0) {
        if (!ks_model_has_route(m, "iv"))
            return not_applicable(p, "%s", "model has no IV route to compare with");
        exposure iv;
        char skip_iv[512] = "";
        ks_dose ivd = {0, amount, 0, "iv"};
        rc = expose(m, &c, &ivd, 1, 0, 0.0, analyte, NAN, NAN, &iv, skip_iv, sizeof skip_iv, err);
        if (rc) return rc;
        if (*skip_iv) return not_applicable(p, "%s", skip_iv);
        v = e.auc_inf / iv.auc_inf;
    }
    if (!isfinite(v) && o->n_design && strncmp(q, "auc", 3) == 0 && strcmp(q, "auc_0_t") != 0)
        return not_applicable(p, "%s",
                              "AUC 0-inf after a dose that another dose of the design follows");
    if (!isfinite(v)) return not_applicable(p, "%s", "the terminal phase is not resolved in 96 h");
    p->value = in_obs_unit(o, v, p->weight_kg);
    char dose_note[64];
    snprintf(dose_note, sizeof dose_note, "no dose stated: %g mg simulated",
             KS_VALIDATE_DOSE_NONE_MG);
    caveat(p, strcmp(q, "auc") == 0, "interval not stated: AUC 0-inf");
    caveat(p, isnan(o->infusion_min) && strcmp(o->route, "iv") == 0,
           "infusion time not stated: bolus simulated");
    caveat(p, isfinite(at), "bolus: concentration at the study's Tmax");
    caveat(p, isnan(o->dose_mg) && isnan(o->dose_mg_per_kg), dose_note);
    return KS_OK;
}
