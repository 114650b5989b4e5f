/* Regimens: text or JSON -> clauses -> the expanded dose list (see ketsim/regimen.h). */
#include "core/date.h"
#include "ketsim/regimen.h"
#include "ketsim/units.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative tolerance for times that are meant to be equal (a window end, the end of
 * an infusion and the start of the next). */
#define TIME_TOL 1e-9
/* Largest number accepted anywhere in a regimen. */
#define MAX_NUMBER 1e9

typedef enum cl_kind { CL_EVERY, CL_PER_WEEK, CL_WEEKDAYS, CL_PAUSE } cl_kind;

/* One schedule clause. `where` locates it in error messages. */
typedef struct clause {
    cl_kind kind;
    double interval_h; /* every */
    int per_week;      /* N/week */
    unsigned weekdays; /* bit d = weekday d (0 = Monday) */
    long count;        /* > 0: count form; 0: duration form */
    double span_h;     /* duration form, pause */
    char where[160];
} clause;

struct ks_regimen {
    ks_regimen_dose *doses;
    size_t n;
    char *route;
    double end_h;
    int start_kind;
    ks_datetime start;
};

/* What the parser collects before expansion. */
typedef struct parsed {
    int have_dose;
    double amount; /* mg or mg/kg */
    int per_kg;
    double duration_h;
    char route[64];
    int start_kind;
    ks_datetime start;
    char start_where[160];
    clause *cl;
    size_t n_cl, cap_cl;
} parsed;

/* A cursor over one clause of a text, or over one JSON string value (`path` set). */
typedef struct scan {
    const char *s;
    size_t i, end;
    const char *path; /* JSON path of the value, or NULL for regimen text */
    ks_error *err;
} scan;

/* ------------------------------------------------------------------ errors */

/* The token at [pos, pos+len) for a message: printable, at most 40 bytes. */
static void token_text(const scan *sc, size_t pos, size_t len, char *buf, size_t cap)
{
    if (len == 0) {
        snprintf(buf, cap, "%s", sc->s[pos] == ';' ? "end of clause" : "end of text");
        return;
    }
    size_t k = 0;
    buf[k++] = '"';
    for (size_t j = 0; j < len && k + 5 < cap && j < 40; j++) {
        unsigned char c = (unsigned char)sc->s[pos + j];
        buf[k++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    if (len > 40 && k + 5 < cap) {
        buf[k++] = '.';
        buf[k++] = '.';
        buf[k++] = '.';
    }
    buf[k++] = '"';
    buf[k] = '\0';
}

/* "character 12 ("wen")" for text, "$.schedule[0].every ("0w")" for JSON. */
static void locate(const scan *sc, size_t pos, size_t len, char *buf, size_t cap)
{
    char tok[64];
    token_text(sc, pos, len, tok, sizeof tok);
    if (sc->path)
        snprintf(buf, cap, "%s (%s)", sc->path, tok);
    else
        snprintf(buf, cap, "character %zu (%s)", pos + 1, tok);
}

static int serr(const scan *sc, size_t pos, size_t len, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int serr(const scan *sc, size_t pos, size_t len, int code, const char *fmt, ...)
{
    char where[160], msg[KS_ERRMSG_SIZE];
    locate(sc, pos, len, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ks_error_set(sc->err, code, "%s: %s", where, msg);
}

/* Keep a message on one line: control bytes (from a JSON key, a file name or the
 * JSON parser's quote of the input) become '?'. Returns rc. */
static int one_line(ks_error *err, int rc)
{
    if (rc && err)
        for (char *c = err->msg; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    return rc;
}

/* ------------------------------------------------------------------ tokens */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(scan *sc)
{
    while (sc->i < sc->end && is_space(sc->s[sc->i]))
        sc->i++;
}

static int at_end(scan *sc)
{
    skip_ws(sc);
    return sc->i >= sc->end;
}

/* Length of the word (letter, then letters, digits, '_' or '-') at position p. */
static size_t word_len(const scan *sc, size_t p)
{
    if (p >= sc->end || !is_alpha(sc->s[p])) return 0;
    size_t n = 1;
    while (p + n < sc->end && (is_alpha(sc->s[p + n]) || is_digit(sc->s[p + n]) ||
                               sc->s[p + n] == '_' || sc->s[p + n] == '-'))
        n++;
    return n;
}

/* Length of the run of non-space bytes at p, for naming an unexpected token. */
static size_t blob_len(const scan *sc, size_t p)
{
    size_t n = 0;
    while (p + n < sc->end && !is_space(sc->s[p + n]))
        n++;
    return n;
}

static int word_eq(const scan *sc, size_t p, size_t len, const char *kw)
{
    size_t k = strlen(kw);
    if (k != len) return 0;
    for (size_t j = 0; j < k; j++)
        if (tolower((unsigned char)sc->s[p + j]) != kw[j]) return 0;
    return 1;
}

/* If the next word is `kw`, consume it. */
static int accept_kw(scan *sc, const char *kw)
{
    skip_ws(sc);
    size_t n = word_len(sc, sc->i);
    if (n && word_eq(sc, sc->i, n, kw)) {
        sc->i += n;
        return 1;
    }
    return 0;
}

static const char *const KEYWORDS[] = {"over", "every", "x", "then", "start", "pause"};

static int is_keyword(const scan *sc, size_t p, size_t len)
{
    for (size_t k = 0; k < sizeof KEYWORDS / sizeof *KEYWORDS; k++)
        if (word_eq(sc, p, len, KEYWORDS[k])) return 1;
    return 0;
}

static const char *const DAY3[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const DAYFULL[] = {"monday", "tuesday",  "wednesday", "thursday",
                                      "friday", "saturday", "sunday"};

/* The weekday named at [p, p+len), 0 = Monday, or -1. */
static int weekday_of(const scan *sc, size_t p, size_t len)
{
    for (int d = 0; d < 7; d++)
        if (word_eq(sc, p, len, DAY3[d]) || word_eq(sc, p, len, DAYFULL[d])) return d;
    return -1;
}

/* Length of an unsigned decimal number at p ("12", "0.5", ".5", "3."), or 0. */
static size_t number_len(const scan *sc, size_t p)
{
    size_t n = 0, digits = 0;
    while (p + n < sc->end && is_digit(sc->s[p + n])) {
        n++;
        digits++;
    }
    if (p + n < sc->end && sc->s[p + n] == '.') {
        n++;
        while (p + n < sc->end && is_digit(sc->s[p + n])) {
            n++;
            digits++;
        }
    }
    return digits ? n : 0;
}

/* Read the number at the cursor (which must be at one). */
static int read_number(scan *sc, double *v, size_t *pos, size_t *len, const char *what)
{
    skip_ws(sc);
    *pos = sc->i;
    *len = number_len(sc, sc->i);
    if (!*len) {
        size_t b = blob_len(sc, sc->i);
        if (sc->i < sc->end && sc->s[sc->i] == '-')
            return serr(sc, sc->i, b, KS_EINVAL, "%s must be positive", what);
        return serr(sc, sc->i, b, KS_EPARSE, "expected %s (a number)", what);
    }
    char buf[64];
    if (*len >= sizeof buf) return serr(sc, *pos, *len, KS_EPARSE, "%s: number too long", what);
    memcpy(buf, sc->s + *pos, *len);
    buf[*len] = '\0';
    *v = strtod(buf, NULL);
    sc->i += *len;
    if (!(*v <= MAX_NUMBER)) return serr(sc, *pos, *len, KS_EINVAL, "%s: number too large", what);
    return KS_OK;
}

/* Time units spelt out ("2 weeks") stand for their symbols. */
static const char *unit_alias(const char *u)
{
    static const char *const alias[][2] = {{"week", "w"},   {"weeks", "w"},    {"hour", "h"},
                                           {"hours", "h"},  {"minute", "min"}, {"minutes", "min"},
                                           {"mins", "min"}, {"wks", "w"}};
    for (size_t k = 0; k < sizeof alias / sizeof *alias; k++)
        if (strcmp(u, alias[k][0]) == 0) return alias[k][1];
    return u;
}

/* The unit after a number at the cursor: attached ("40min"), or the next word when it
 * is a unit ("40 min"). *ulen = 0 when there is none. An attached unit must be known. */
static int read_unit(scan *sc, size_t *upos, size_t *ulen, ks_dim *dim, double *factor)
{
    size_t p = sc->i;
    int attached = p < sc->end && (is_alpha(sc->s[p]) || sc->s[p] == '/' || sc->s[p] == '%');
    if (!attached) {
        while (p < sc->end && is_space(sc->s[p]))
            p++;
    }
    size_t n = 0;
    while (p + n < sc->end && (is_alpha(sc->s[p + n]) || sc->s[p + n] == '/'))
        n++;
    *upos = p;
    *ulen = 0;
    if (n == 0) return KS_OK;
    char buf[32];
    int known = n < sizeof buf;
    if (known) {
        memcpy(buf, sc->s + p, n);
        buf[n] = '\0';
        known = ks_unit_lookup(unit_alias(buf), dim, factor, NULL) == KS_OK;
    }
    if (!known) {
        if (attached) return serr(sc, p, n, KS_EUNIT, "unknown unit");
        return KS_OK; /* a separate word that is no unit: the number has none */
    }
    *ulen = n;
    sc->i = p + n;
    return KS_OK;
}

static const char *dims_example(ks_dim d)
{
    return d == KS_DIM_TIME ? "min, h, d or w, e.g. 40min, 2w" : "mg or mg/kg, e.g. 84mg, 0.5mg/kg";
}

/* A positive quantity of one of `allowed` dimensions (the first names the examples).
 * A zero value is an error with `zero_msg` (default: "<what> must be positive"). */
static int read_quantity(scan *sc, const ks_dim *allowed, int n_allowed, const char *what,
                         const char *zero_msg, double *v, ks_dim *dim_out)
{
    size_t pos, len, upos, ulen;
    double x, factor = 1;
    ks_dim dim = KS_DIM_NONE;
    int rc = read_number(sc, &x, &pos, &len, what);
    if (!rc) rc = read_unit(sc, &upos, &ulen, &dim, &factor);
    if (rc) return rc;
    if (!ulen)
        return serr(sc, pos, len, KS_EUNIT, "%s has no unit (%s)", what, dims_example(allowed[0]));
    int ok = 0;
    for (int k = 0; k < n_allowed; k++)
        ok |= allowed[k] == dim;
    if (!ok)
        return serr(sc, upos, ulen, KS_EUNIT, "%s needs a unit of %s (%s)", what,
                    ks_dim_name(allowed[0]), dims_example(allowed[0]));
    size_t qlen = upos + ulen - pos;
    if (!(x > 0)) {
        if (zero_msg) return serr(sc, pos, qlen, KS_EINVAL, "%s", zero_msg);
        return serr(sc, pos, qlen, KS_EINVAL, "%s must be positive", what);
    }
    *v = x * factor;
    if (dim_out) *dim_out = dim;
    if (dim == KS_DIM_TIME && !(*v <= KS_REGIMEN_MAX_HOURS))
        return serr(sc, pos, qlen, KS_EINVAL, "%s is longer than 100 years", what);
    return KS_OK;
}

static int read_time(scan *sc, const char *what, const char *zero_msg, double *v)
{
    ks_dim t = KS_DIM_TIME;
    return read_quantity(sc, &t, 1, what, zero_msg, v, NULL);
}

/* Nothing may follow: text left over is an error naming it. */
static int expect_end(scan *sc, const char *after)
{
    if (at_end(sc)) return KS_OK;
    size_t n = word_len(sc, sc->i);
    if (!n) n = blob_len(sc, sc->i);
    return serr(sc, sc->i, n, KS_EPARSE, "unexpected text after %s", after);
}

/* ------------------------------------------------------------------ clauses */

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

/* Read exactly `n` digits at the cursor as an int, or return -1. */
static int digits(scan *sc, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (sc->i >= sc->end || !is_digit(sc->s[sc->i])) return -1;
        v = v * 10 + (sc->s[sc->i++] - '0');
    }
    return v;
}

/* YYYY-MM-DD [HH:MM] at the cursor. */
static int read_datetime(scan *sc, parsed *p)
{
    skip_ws(sc);
    size_t pos = sc->i, len = blob_len(sc, pos);
    int y = digits(sc, 4), ok = y >= 0 && sc->i < sc->end && sc->s[sc->i++] == '-';
    int mo = ok ? digits(sc, 2) : -1;
    ok = ok && mo >= 0 && sc->i < sc->end && sc->s[sc->i++] == '-';
    int d = ok ? digits(sc, 2) : -1;
    if (!ok || d < 0 || (sc->i < sc->end && !is_space(sc->s[sc->i])))
        return serr(sc, pos, len, KS_EPARSE, "expected a start date YYYY-MM-DD");
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return serr(sc, pos, len, KS_EINVAL, "no such date (YYYY-MM-DD, from year 1900)");
    p->start = (ks_datetime){y, mo, d, 0, 0};
    p->start_kind = 1;
    if (at_end(sc)) return KS_OK;
    pos = sc->i;
    len = blob_len(sc, pos);
    if (!is_digit(sc->s[pos])) return KS_OK; /* expect_end names it */
    int h = digits(sc, 2);
    ok = h >= 0 && sc->i < sc->end && sc->s[sc->i++] == ':';
    int mi = ok ? digits(sc, 2) : -1;
    if (!ok || mi < 0 || (sc->i < sc->end && !is_space(sc->s[sc->i])))
        return serr(sc, pos, len, KS_EPARSE, "expected a clock time HH:MM");
    if (h > 23 || mi > 59) return serr(sc, pos, len, KS_EINVAL, "no such clock time (00:00-23:59)");
    p->start.hour = h;
    p->start.minute = mi;
    p->start_kind = 2;
    return KS_OK;
}

static int parse_start(scan *sc, parsed *p, size_t kw_pos)
{
    if (p->start_kind)
        return serr(sc, kw_pos, 5, KS_EINVAL, "a second start clause (the first is at %s)",
                    p->start_where);
    locate(sc, kw_pos, 5, p->start_where, sizeof p->start_where);
    int rc = read_datetime(sc, p);
    return rc ? rc : expect_end(sc, "the start date and time");
}

/* A route name at the cursor, copied into p->route. */
static int read_route(scan *sc, parsed *p)
{
    skip_ws(sc);
    size_t pos = sc->i, n = word_len(sc, pos);
    const char *eg = "(e.g. \"84mg nasal\", \"0.5mg/kg iv over 40min\")";
    if (sc->i >= sc->end) return serr(sc, pos, 0, KS_EPARSE, "the dose has no route %s", eg);
    if (!n || is_keyword(sc, pos, n))
        return serr(sc, pos, n ? n : blob_len(sc, pos), KS_EPARSE,
                    "expected the route after the amount %s", eg);
    if (n >= sizeof p->route) return serr(sc, pos, n, KS_EPARSE, "route name too long");
    memcpy(p->route, sc->s + pos, n);
    p->route[n] = '\0';
    sc->i += n;
    return KS_OK;
}

static int parse_dose(scan *sc, parsed *p)
{
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT}, dim;
    int rc = read_quantity(sc, dims, 2, "the amount", NULL, &p->amount, &dim);
    if (rc) return rc;
    p->per_kg = dim == KS_DIM_MASS_PER_WEIGHT;
    if ((rc = read_route(sc, p))) return rc;
    if (accept_kw(sc, "over") &&
        (rc = read_time(sc, "the infusion duration", NULL, &p->duration_h)))
        return rc;
    p->have_dose = 1;
    return expect_end(sc, "the dose");
}

/* "x COUNT" or "x DURATION" at the cursor. */
static int parse_repeat(scan *sc, clause *c)
{
    skip_ws(sc);
    size_t pos = sc->i;
    /* "x" as a word of its own, or "x" directly followed by the number ("x4"). */
    int is_x = pos < sc->end && (sc->s[pos] == 'x' || sc->s[pos] == 'X') &&
               !(pos + 1 < sc->end && is_alpha(sc->s[pos + 1]));
    if (!is_x) {
        size_t n = word_len(sc, pos);
        return serr(sc, pos, n ? n : blob_len(sc, pos), KS_EPARSE,
                    "expected \"x COUNT\" (x 4) or \"x DURATION\" (x 2w): how long the "
                    "schedule runs");
    }
    sc->i++;
    skip_ws(sc);
    size_t npos = sc->i, nlen, upos, ulen;
    double v, factor = 1;
    ks_dim dim = KS_DIM_NONE;
    int rc = read_number(sc, &v, &npos, &nlen, "the count or duration after x");
    if (!rc) rc = read_unit(sc, &upos, &ulen, &dim, &factor);
    if (rc) return rc;
    if (ulen) {
        if (dim != KS_DIM_TIME)
            return serr(sc, upos, ulen, KS_EUNIT,
                        "the duration after x needs a time unit (d or w, e.g. x 4w)");
        if (!(v > 0)) return serr(sc, npos, upos + ulen - npos, KS_EINVAL, "zero duration");
        c->span_h = v * factor;
        if (!(c->span_h <= KS_REGIMEN_MAX_HOURS))
            return serr(sc, npos, upos + ulen - npos, KS_EINVAL, "duration longer than 100 years");
        c->count = 0;
    } else {
        if (memchr(sc->s + npos, '.', nlen))
            return serr(sc, npos, nlen, KS_EINVAL,
                        "a count must be a whole number (or give a duration, e.g. x 4w)");
        if (v == 0) return serr(sc, npos, nlen, KS_EINVAL, "count of zero");
        if (v > KS_REGIMEN_MAX_DOSES)
            return serr(sc, npos, nlen, KS_EINVAL, "more than %d doses", KS_REGIMEN_MAX_DOSES);
        c->count = (long)v;
    }
    return expect_end(sc, "the schedule");
}

static int parse_weekdays(scan *sc, clause *c)
{
    for (int item = 0;; item++) {
        skip_ws(sc);
        size_t pos = sc->i, n = word_len(sc, pos);
        int d = n ? weekday_of(sc, pos, n) : -1;
        if (d < 0) {
            if (!n) n = blob_len(sc, pos);
            if (item == 0 && !(pos + n < sc->end && sc->s[pos + n] == ','))
                return serr(sc, pos, n, KS_EPARSE,
                            "unknown weekday or schedule (expected every D x ..., N/week x "
                            "..., weekdays such as mon,wed,fri x ..., pause D or start DATE)");
            return serr(sc, pos, n, KS_EPARSE,
                        "unknown weekday (mon, tue, wed, thu, fri, sat, sun)");
        }
        if (c->weekdays & (1u << d))
            return serr(sc, pos, n, KS_EINVAL, "%s is listed twice", DAY3[d]);
        c->weekdays |= 1u << d;
        sc->i += n;
        skip_ws(sc);
        if (sc->i < sc->end && sc->s[sc->i] == ',') {
            sc->i++;
            continue;
        }
        break;
    }
    return parse_repeat(sc, c);
}

static int parse_per_week(scan *sc, clause *c, size_t pos)
{
    double v;
    size_t npos, nlen;
    int rc = read_number(sc, &v, &npos, &nlen, "doses per week");
    if (rc) return rc;
    skip_ws(sc);
    if (!(sc->i < sc->end && sc->s[sc->i] == '/')) {
        /* A second amount: only one dose per regimen. */
        return serr(sc, pos, blob_len(sc, pos), KS_EPARSE,
                    "expected a schedule (N/week, every, weekdays, pause); a regimen has one "
                    "dose clause, the first");
    }
    sc->i++;
    skip_ws(sc);
    size_t wpos = sc->i, wn = word_len(sc, wpos);
    if (!wn || !(word_eq(sc, wpos, wn, "week") || word_eq(sc, wpos, wn, "w") ||
                 word_eq(sc, wpos, wn, "wk")))
        return serr(sc, wpos, wn ? wn : blob_len(sc, wpos), KS_EPARSE,
                    "expected \"week\" (N/week: N doses in each week)");
    sc->i += wn;
    if (memchr(sc->s + npos, '.', nlen))
        return serr(sc, npos, nlen, KS_EINVAL, "doses per week must be a whole number");
    if (v == 0) return serr(sc, npos, nlen, KS_EINVAL, "count of zero doses per week");
    if (v > 7)
        return serr(sc, npos, nlen, KS_EINVAL,
                    "more than 7 doses per week (for more than one a day use every, e.g. "
                    "every 12h)");
    c->per_week = (int)v;
    return parse_repeat(sc, c);
}

static int add_clause(parsed *p, clause **out)
{
    if (p->n_cl == p->cap_cl) {
        size_t cap = p->cap_cl ? 2 * p->cap_cl : 8;
        clause *na = realloc(p->cl, cap * sizeof *na);
        if (!na) return KS_ENOMEM;
        p->cl = na;
        p->cap_cl = cap;
    }
    *out = &p->cl[p->n_cl++];
    memset(*out, 0, sizeof **out);
    return KS_OK;
}

/* One schedule clause at the cursor (after the dose clause). */
static int parse_schedule(scan *sc, parsed *p)
{
    accept_kw(sc, "then");
    skip_ws(sc);
    size_t pos = sc->i, n = word_len(sc, pos);
    if (sc->i >= sc->end) return serr(sc, pos, 0, KS_EPARSE, "\"then\" without a schedule");
    clause *c;
    if (add_clause(p, &c)) return ks_error_set(sc->err, KS_ENOMEM, "out of memory");
    locate(sc, pos, n ? n : blob_len(sc, pos), c->where, sizeof c->where);
    if (n && word_eq(sc, pos, n, "every")) {
        sc->i += n;
        c->kind = CL_EVERY;
        int rc = read_time(sc, "the interval", "zero interval", &c->interval_h);
        return rc ? rc : parse_repeat(sc, c);
    }
    if (n && word_eq(sc, pos, n, "pause")) {
        sc->i += n;
        c->kind = CL_PAUSE;
        int rc = read_time(sc, "the pause", "zero pause", &c->span_h);
        return rc ? rc : expect_end(sc, "the pause");
    }
    if (n && word_eq(sc, pos, n, "start"))
        return serr(sc, pos, n, KS_EPARSE, "\"then\" cannot come before start");
    if (is_digit(sc->s[pos]) || sc->s[pos] == '.') {
        c->kind = CL_PER_WEEK;
        return parse_per_week(sc, c, pos);
    }
    c->kind = CL_WEEKDAYS;
    return parse_weekdays(sc, c);
}

/* ------------------------------------------------------------------ calendar */

/* Weekday (0 = Monday) of a civil date; 1970-01-01 was a Thursday. */
static int weekday_of_date(const ks_datetime *t)
{
    long z = ks_days_from_civil(t->year, t->month, t->day);
    return (int)(((z + 3) % 7 + 7) % 7);
}

/* ------------------------------------------------------------------ expansion */

typedef struct expander {
    ks_regimen *r;
    int *src; /* clause of each dose */
    size_t cap;
    const parsed *p;
    ks_error *err;
} expander;

static int add_dose(expander *x, double t, int ci)
{
    ks_regimen *r = x->r;
    if (!(t <= KS_REGIMEN_MAX_HOURS))
        return ks_error_set(x->err, KS_EINVAL, "%s: the course runs past 100 years",
                            ci >= 0 ? x->p->cl[ci].where : "regimen");
    if (r->n >= KS_REGIMEN_MAX_DOSES)
        return ks_error_set(x->err, KS_EINVAL, "%s: more than %d doses",
                            ci >= 0 ? x->p->cl[ci].where : "regimen", KS_REGIMEN_MAX_DOSES);
    if (r->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        ks_regimen_dose *nd = realloc(r->doses, cap * sizeof *nd);
        if (!nd) return ks_error_set(x->err, KS_ENOMEM, "out of memory");
        r->doses = nd;
        int *ns = realloc(x->src, cap * sizeof *ns);
        if (!ns) return ks_error_set(x->err, KS_ENOMEM, "out of memory");
        x->src = ns;
        x->cap = cap;
    }
    r->doses[r->n] = (ks_regimen_dose){t, x->p->amount, x->p->per_kg, x->p->duration_h, r->route};
    x->src[r->n++] = ci;
    return KS_OK;
}

/* Is t before the end of a window ending at `end` (with rounding tolerance)? */
static int before(double t, double end)
{
    return t < end - TIME_TOL * fmax(1.0, fabs(end));
}

/* Day of the k-th dose of an N/week pattern, counted from the clause start. */
static long per_week_day(long k, int n)
{
    return 7 * (k / n) + (7 * (k % n)) / n;
}

static int expand_clause(expander *x, int ci, double *t)
{
    const clause *c = &x->p->cl[ci];
    double t0 = *t;
    size_t n0 = x->r->n;
    int rc = KS_OK;
    switch (c->kind) {
    case CL_PAUSE:
        *t = t0 + c->span_h;
        break;
    case CL_EVERY:
        if (c->count) {
            for (long k = 0; !rc && k < c->count; k++)
                rc = add_dose(x, t0 + (double)k * c->interval_h, ci);
            *t = t0 + (double)c->count * c->interval_h;
        } else {
            if (c->span_h / c->interval_h > KS_REGIMEN_MAX_DOSES)
                return ks_error_set(x->err, KS_EINVAL, "%s: more than %d doses", c->where,
                                    KS_REGIMEN_MAX_DOSES);
            for (long k = 0; !rc && before((double)k * c->interval_h, c->span_h); k++)
                rc = add_dose(x, t0 + (double)k * c->interval_h, ci);
            *t = t0 + c->span_h;
        }
        break;
    case CL_PER_WEEK:
        if (c->count) {
            for (long k = 0; !rc && k < c->count; k++)
                rc = add_dose(x, t0 + 24.0 * (double)per_week_day(k, c->per_week), ci);
            *t = t0 + 24.0 * (double)per_week_day(c->count, c->per_week);
        } else {
            for (long k = 0; !rc && before(24.0 * (double)per_week_day(k, c->per_week), c->span_h);
                 k++)
                rc = add_dose(x, t0 + 24.0 * (double)per_week_day(k, c->per_week), ci);
            *t = t0 + c->span_h;
        }
        break;
    case CL_WEEKDAYS: {
        if (!x->p->start_kind)
            return ks_error_set(x->err, KS_EINVAL,
                                "%s: a weekday schedule needs the course's start date (start "
                                "YYYY-MM-DD [HH:MM])",
                                c->where);
        int wd0 = weekday_of_date(&x->p->start);
        /* Whole days from the course start, from the first at or after t0. */
        long d = (long)ceil(t0 / 24.0 - TIME_TOL);
        double end = t0 + c->span_h;
        long found = 0;
        for (;; d++) {
            int on = (c->weekdays >> ((wd0 + d) % 7)) & 1u;
            if (c->count) {
                if (on && found == c->count) break; /* where the next dose would be */
            } else if (!before(24.0 * (double)d, end)) {
                break;
            }
            if (on) {
                if ((rc = add_dose(x, 24.0 * (double)d, ci))) return rc;
                found++;
            }
        }
        *t = c->count ? 24.0 * (double)d : end;
        break;
    }
    }
    if (rc) return rc;
    if (c->kind != CL_PAUSE && x->r->n == n0)
        return ks_error_set(x->err, KS_EINVAL,
                            "%s: no dose falls in this clause's window (it is shorter than the "
                            "time to its first dose)",
                            c->where);
    if (!(*t <= KS_REGIMEN_MAX_HOURS))
        return ks_error_set(x->err, KS_EINVAL, "%s: the course runs past 100 years", c->where);
    return KS_OK;
}

static int expand(const parsed *p, ks_regimen *r, ks_error *err)
{
    expander x = {r, NULL, 0, p, err};
    double t = 0;
    int rc = KS_OK;
    if (p->n_cl == 0) {
        rc = add_dose(&x, 0.0, -1);
    } else {
        for (size_t i = 0; !rc && i < p->n_cl; i++)
            rc = expand_clause(&x, (int)i, &t);
        if (!rc && r->n == 0)
            rc = ks_error_set(err, KS_EINVAL, "%s: the schedule gives no dose (only pauses)",
                              p->cl[0].where);
    }
    r->end_h = p->n_cl ? t : 0.0;
    /* Infusions may not overlap: each starts at or after the end of the previous one. */
    for (size_t i = 1; !rc && i < r->n; i++) {
        double prev_end = r->doses[i - 1].time_h + r->doses[i - 1].duration_h;
        if (before(r->doses[i].time_h, prev_end))
            rc = ks_error_set(err, KS_EINVAL,
                              "%s: overlapping infusions: dose %zu at %.4g h starts before dose "
                              "%zu (at %.4g h, over %.4g h) ends at %.4g h",
                              p->cl[x.src[i]].where, i + 1, r->doses[i].time_h, i,
                              r->doses[i - 1].time_h, r->doses[i - 1].duration_h, prev_end);
    }
    free(x.src);
    return rc;
}

/* ------------------------------------------------------------------ building */

static void parsed_free(parsed *p)
{
    free(p->cl);
}

static int build(parsed *p, ks_regimen **out, ks_error *err)
{
    ks_regimen *r = calloc(1, sizeof *r);
    if (!r || !(r->route = strdup(p->route))) {
        free(r);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    r->start_kind = p->start_kind;
    r->start = p->start;
    int rc = expand(p, r, err);
    if (rc) {
        ks_regimen_free(r);
        return rc;
    }
    *out = r;
    return KS_OK;
}

int ks_regimen_parse(const char *text, ks_regimen **out, ks_error *err)
{
    if (!out) return ks_error_set(err, KS_EINVAL, "ks_regimen_parse: out is NULL");
    *out = NULL;
    if (!text) return ks_error_set(err, KS_EINVAL, "ks_regimen_parse: no text");
    parsed p = {0};
    size_t len = strlen(text);
    scan sc = {text, 0, len, NULL, err};
    int rc = KS_OK;
    if (at_end(&sc)) return serr(&sc, len, 0, KS_EPARSE, "empty regimen (e.g. \"84mg nasal\")");
    for (size_t b = 0; !rc && b <= len;) {
        const char *semi = memchr(text + b, ';', len - b);
        size_t e = semi ? (size_t)(semi - text) : len;
        sc.i = b;
        sc.end = e;
        if (at_end(&sc)) {
            rc = serr(&sc, e, 0, KS_EPARSE, "empty clause");
            break;
        }
        size_t pos = sc.i, n = word_len(&sc, pos);
        if (n && word_eq(&sc, pos, n, "start")) {
            sc.i += n;
            rc = parse_start(&sc, &p, pos);
        } else if (!p.have_dose) {
            if (!is_digit(text[pos]) && text[pos] != '.')
                rc = serr(&sc, pos, n ? n : blob_len(&sc, pos), KS_EPARSE,
                          "a regimen starts with its dose (e.g. \"84mg nasal\", \"0.5mg/kg iv "
                          "over 40min\")");
            else
                rc = parse_dose(&sc, &p);
        } else {
            rc = parse_schedule(&sc, &p);
        }
        b = e + 1;
    }
    if (!rc && !p.have_dose)
        rc = serr(&sc, len, 0, KS_EPARSE, "the regimen has no dose (e.g. \"84mg nasal\")");
    if (!rc) rc = build(&p, out, err);
    parsed_free(&p);
    return one_line(err, rc);
}

/* ------------------------------------------------------------------ JSON */

typedef struct jctx {
    const char *name;
    ks_error *err;
} jctx;

static int jerr(const jctx *j, int code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int jerr(const jctx *j, int code, const char *path, const char *fmt, ...)
{
    char msg[KS_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ks_error_set(j->err, code, "%s: %s: %s", j->name, path, msg);
}

/* Errors from a scan of a JSON string carry the path; prefix the file name. */
static int jscan_fail(const jctx *j, int rc)
{
    if (rc && j->err) ks_error_prefix(j->err, "%s", j->name);
    return rc;
}

/* A scan over the string value `v` at `path` (v must be a string). */
static scan jscan(const jctx *j, json_t *v, const char *path)
{
    const char *s = json_string_value(v);
    return (scan){s, 0, strlen(s), path, j->err};
}

/* Only the listed keys may appear in object `o` at `path` (catches misspellings). */
static int check_keys(const jctx *j, json_t *o, const char *path, const char *const *keys, size_t n,
                      const char *list)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (size_t i = 0; i < n; i++)
            ok |= strcmp(k, keys[i]) == 0;
        if (!ok) return jerr(j, KS_EPARSE, path, "unknown key \"%.60s\" (%s)", k, list);
    }
    return KS_OK;
}

static int json_string_at(const jctx *j, json_t *o, const char *key, const char *path, int required,
                          json_t **out)
{
    *out = json_object_get(o, key);
    if (!*out) return required ? jerr(j, KS_EPARSE, path, "missing \"%s\"", key) : KS_OK;
    if (!json_is_string(*out)) {
        char p[200];
        snprintf(p, sizeof p, "%s.%s", path, key);
        return jerr(j, KS_EPARSE, p, "must be a string with its unit");
    }
    return KS_OK;
}

static int json_dose(const jctx *j, json_t *d, parsed *p)
{
    static const char *const keys[] = {"amount", "route", "over"};
    if (!json_is_object(d)) return jerr(j, KS_EPARSE, "$.dose", "must be an object");
    int rc = check_keys(j, d, "$.dose", keys, 3, "amount, route, over");
    json_t *a, *r, *o;
    if (!rc) rc = json_string_at(j, d, "amount", "$.dose", 1, &a);
    if (!rc) rc = json_string_at(j, d, "route", "$.dose", 1, &r);
    if (!rc) rc = json_string_at(j, d, "over", "$.dose", 0, &o);
    if (rc) return rc;
    scan sc = jscan(j, a, "$.dose.amount");
    ks_dim dims[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT}, dim;
    rc = read_quantity(&sc, dims, 2, "the amount", NULL, &p->amount, &dim);
    if (!rc) rc = expect_end(&sc, "the amount");
    if (rc) return jscan_fail(j, rc);
    p->per_kg = dim == KS_DIM_MASS_PER_WEIGHT;
    sc = jscan(j, r, "$.dose.route");
    rc = read_route(&sc, p);
    if (!rc) rc = expect_end(&sc, "the route");
    if (rc) return jscan_fail(j, rc);
    if (o) {
        sc = jscan(j, o, "$.dose.over");
        rc = read_time(&sc, "the infusion duration", NULL, &p->duration_h);
        if (!rc) rc = expect_end(&sc, "the duration");
        if (rc) return jscan_fail(j, rc);
    }
    p->have_dose = 1;
    return KS_OK;
}

/* "count" (integer) or "for" (duration) of a schedule item. */
static int json_repeat(const jctx *j, json_t *it, const char *path, clause *c)
{
    json_t *cnt = json_object_get(it, "count"), *f = json_object_get(it, "for");
    char p[200];
    if (!cnt == !f)
        return jerr(j, KS_EPARSE, path,
                    "give exactly one of \"count\" (a number of doses) and "
                    "\"for\" (a duration such as \"4w\")");
    if (cnt) {
        snprintf(p, sizeof p, "%s.count", path);
        if (!json_is_integer(cnt)) return jerr(j, KS_EPARSE, p, "must be a whole number");
        json_int_t v = json_integer_value(cnt);
        if (v == 0) return jerr(j, KS_EINVAL, p, "count of zero");
        if (v < 0) return jerr(j, KS_EINVAL, p, "must be positive");
        if (v > KS_REGIMEN_MAX_DOSES)
            return jerr(j, KS_EINVAL, p, "more than %d doses", KS_REGIMEN_MAX_DOSES);
        c->count = (long)v;
        return KS_OK;
    }
    snprintf(p, sizeof p, "%s.for", path);
    if (!json_is_string(f)) return jerr(j, KS_EPARSE, p, "must be a string with its unit");
    scan sc = jscan(j, f, p);
    int rc = read_time(&sc, "the duration", "zero duration", &c->span_h);
    if (!rc) rc = expect_end(&sc, "the duration");
    return jscan_fail(j, rc);
}

static int json_item(const jctx *j, json_t *it, size_t idx, parsed *p)
{
    static const char *const keys[] = {"every", "per_week", "weekdays", "pause", "count", "for"};
    char path[64], p2[96];
    snprintf(path, sizeof path, "$.schedule[%zu]", idx);
    if (!json_is_object(it)) return jerr(j, KS_EPARSE, path, "must be an object");
    int rc = check_keys(j, it, path, keys, 6, "every, per_week, weekdays, pause, count, for");
    if (rc) return rc;
    const char *kinds[] = {"every", "per_week", "weekdays", "pause"};
    int kind = -1, nk = 0;
    for (int k = 0; k < 4; k++)
        if (json_object_get(it, kinds[k])) {
            kind = k;
            nk++;
        }
    if (nk != 1)
        return jerr(j, KS_EPARSE, path,
                    "give exactly one of \"every\", \"per_week\", \"weekdays\" and \"pause\"");
    clause *c;
    if (add_clause(p, &c)) return ks_error_set(j->err, KS_ENOMEM, "out of memory");
    snprintf(c->where, sizeof c->where, "%s: %s", j->name, path);
    snprintf(p2, sizeof p2, "%s.%s", path, kinds[kind]);
    json_t *v = json_object_get(it, kinds[kind]);
    if (kind == 0 || kind == 3) {
        c->kind = kind == 0 ? CL_EVERY : CL_PAUSE;
        if (!json_is_string(v)) return jerr(j, KS_EPARSE, p2, "must be a string with its unit");
        scan sc = jscan(j, v, p2);
        double *dst = kind == 0 ? &c->interval_h : &c->span_h;
        rc = read_time(&sc, kind == 0 ? "the interval" : "the pause",
                       kind == 0 ? "zero interval" : "zero pause", dst);
        if (!rc) rc = expect_end(&sc, kinds[kind]);
        if (rc) return jscan_fail(j, rc);
        if (kind == 3) {
            if (json_object_get(it, "count") || json_object_get(it, "for"))
                return jerr(j, KS_EPARSE, path, "a pause takes no \"count\" or \"for\"");
            return KS_OK;
        }
    } else if (kind == 1) {
        c->kind = CL_PER_WEEK;
        if (!json_is_integer(v)) return jerr(j, KS_EPARSE, p2, "must be a whole number (1 to 7)");
        json_int_t n = json_integer_value(v);
        if (n == 0) return jerr(j, KS_EINVAL, p2, "count of zero doses per week");
        if (n < 1 || n > 7) return jerr(j, KS_EINVAL, p2, "must be 1 to 7");
        c->per_week = (int)n;
    } else {
        c->kind = CL_WEEKDAYS;
        if (!json_is_array(v) || json_array_size(v) == 0)
            return jerr(j, KS_EPARSE, p2, "must be a non-empty array of weekday names");
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            char p3[220];
            snprintf(p3, sizeof p3, "%s[%zu]", p2, i);
            if (!json_is_string(e)) return jerr(j, KS_EPARSE, p3, "must be a weekday name");
            scan sc = jscan(j, e, p3);
            skip_ws(&sc);
            size_t n = word_len(&sc, sc.i);
            int d = n ? weekday_of(&sc, sc.i, n) : -1;
            if (d < 0 || sc.i + n != sc.end)
                return jerr(j, KS_EPARSE, p3,
                            "unknown weekday \"%.40s\" (mon, tue, wed, thu, fri, sat, sun)",
                            json_string_value(e));
            if (c->weekdays & (1u << d))
                return jerr(j, KS_EINVAL, p3, "%s is listed twice", DAY3[d]);
            c->weekdays |= 1u << d;
        }
    }
    return json_repeat(j, it, path, c);
}

int ks_regimen_parse_json(const char *json_text, const char *name, ks_regimen **out, ks_error *err)
{
    if (!out) return ks_error_set(err, KS_EINVAL, "ks_regimen_parse_json: out is NULL");
    *out = NULL;
    jctx j = {name ? name : "regimen JSON", err};
    if (!json_text) return jerr(&j, KS_EINVAL, "$", "no text");
    json_error_t je;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return one_line(err, ks_error_set(err, KS_EPARSE, "%s: line %d column %d: %s", j.name,
                                          je.line, je.column, je.text));
    parsed p = {0};
    static const char *const keys[] = {"dose", "start", "schedule", "note"};
    int rc = json_is_object(root)
                 ? check_keys(&j, root, "$", keys, 4, "dose, start, schedule, note")
                 : jerr(&j, KS_EPARSE, "$", "must be an object");
    json_t *d = rc ? NULL : json_object_get(root, "dose");
    if (!rc && !d) rc = jerr(&j, KS_EPARSE, "$", "missing \"dose\"");
    if (!rc) rc = json_dose(&j, d, &p);
    json_t *st = rc ? NULL : json_object_get(root, "start");
    if (st) {
        if (!json_is_string(st)) {
            rc = jerr(&j, KS_EPARSE, "$.start", "must be a string \"YYYY-MM-DD [HH:MM]\"");
        } else {
            scan sc = jscan(&j, st, "$.start");
            rc = read_datetime(&sc, &p);
            if (!rc) rc = expect_end(&sc, "the start date and time");
            jscan_fail(&j, rc);
        }
    }
    json_t *sch = rc ? NULL : json_object_get(root, "schedule");
    if (sch && !json_is_array(sch)) rc = jerr(&j, KS_EPARSE, "$.schedule", "must be an array");
    for (size_t i = 0; !rc && sch && i < json_array_size(sch); i++)
        rc = json_item(&j, json_array_get(sch, i), i, &p);
    if (!rc) rc = build(&p, out, err);
    parsed_free(&p);
    json_decref(root);
    return one_line(err, rc);
}

int ks_regimen_load_json(const char *path, ks_regimen **out, ks_error *err)
{
    if (!out) return ks_error_set(err, KS_EINVAL, "ks_regimen_load_json: out is NULL");
    *out = NULL;
    if (!path) return ks_error_set(err, KS_EINVAL, "ks_regimen_load_json: no path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return one_line(err,
                        ks_error_set(err, KS_EIO, "%s: cannot open (%s)", path, strerror(errno)));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = KS_OK;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            if (cap > (size_t)16 << 20) {
                rc = ks_error_set(err, KS_EIO, "%s: larger than 16 MB", path);
                break;
            }
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = ks_error_set(err, KS_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    if (!rc && ferror(f)) rc = ks_error_set(err, KS_EIO, "%s: read error", path);
    fclose(f);
    if (!rc) {
        buf[n] = '\0';
        if (strlen(buf) != n)
            rc = ks_error_set(err, KS_EPARSE, "%s: contains a NUL byte", path);
        else
            rc = ks_regimen_parse_json(buf, path, out, err);
    }
    free(buf);
    return one_line(err, rc);
}

/* ------------------------------------------------------------------ access */

void ks_regimen_free(ks_regimen *r)
{
    if (!r) return;
    free(r->doses);
    free(r->route);
    free(r);
}

size_t ks_regimen_n_doses(const ks_regimen *r)
{
    return r ? r->n : 0;
}

const ks_regimen_dose *ks_regimen_dose_get(const ks_regimen *r, size_t i)
{
    return r && i < r->n ? &r->doses[i] : NULL;
}

double ks_regimen_end_h(const ks_regimen *r)
{
    if (!r) return NAN;
    return r->end_h > 0 ? r->end_h : (r->n ? r->doses[r->n - 1].time_h : 0.0);
}

int ks_regimen_start_kind(const ks_regimen *r)
{
    return r ? r->start_kind : 0;
}

int ks_regimen_start(const ks_regimen *r, ks_datetime *out, ks_error *err)
{
    if (!r || !out) return ks_error_set(err, KS_EINVAL, "ks_regimen_start: NULL argument");
    if (!r->start_kind) return ks_error_set(err, KS_ESTATE, "the regimen has no start date");
    *out = r->start;
    return KS_OK;
}

int ks_regimen_calendar(const ks_regimen *r, double time_h, ks_datetime *out, int *weekday,
                        ks_error *err)
{
    if (!r || !out) return ks_error_set(err, KS_EINVAL, "ks_regimen_calendar: NULL argument");
    if (!r->start_kind) return ks_error_set(err, KS_ESTATE, "the regimen has no start date");
    if (!(time_h >= 0 && time_h <= KS_REGIMEN_MAX_HOURS))
        return ks_error_set(err, KS_EINVAL, "time %g h is outside the course (0 to 100 years)",
                            time_h);
    long long minutes = (long long)r->start.hour * 60 + r->start.minute + llround(time_h * 60.0);
    long long days = minutes / 1440;
    long z = ks_days_from_civil(r->start.year, r->start.month, r->start.day) + (long)days;
    int mins = (int)(minutes % 1440);
    ks_civil_from_days(z, &out->year, &out->month, &out->day);
    out->hour = mins / 60;
    out->minute = mins % 60;
    if (weekday) *weekday = (int)(((z + 3) % 7 + 7) % 7);
    return KS_OK;
}

const char *ks_weekday_name(int weekday)
{
    return weekday >= 0 && weekday < 7 ? DAY3[weekday] : "?";
}

int ks_regimen_to_doses(const ks_regimen *r, double weight_kg, ks_dose *doses, size_t n,
                        ks_error *err)
{
    if (!r || (!doses && r->n))
        return ks_error_set(err, KS_EINVAL, "ks_regimen_to_doses: NULL argument");
    if (n < r->n)
        return ks_error_set(err, KS_EINVAL, "ks_regimen_to_doses: room for %zu doses, need %zu", n,
                            r->n);
    for (size_t i = 0; i < r->n; i++) {
        const ks_regimen_dose *d = &r->doses[i];
        double mg = d->amount;
        if (d->per_kg) {
            if (!(weight_kg > 0 && isfinite(weight_kg)))
                return ks_error_set(err, KS_EINVAL, "dose %zu is %g mg/kg: a body weight is needed",
                                    i + 1, d->amount);
            mg = d->amount * weight_kg;
        }
        doses[i] = (ks_dose){d->time_h, mg, d->duration_h, d->route};
    }
    return KS_OK;
}
