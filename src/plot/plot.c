/* Plots of concentration against time, drawn with cairo to PNG or SVG.
 *
 * The drawing is done in logical pixels on a canvas of at least 1000 x 600 (larger
 * images are scaled up uniformly so the text stays in proportion). The file is
 * written to a temporary file next to the target and renamed over it at the end,
 * so a failed call leaves nothing at the target path.
 */
#define _POSIX_C_SOURCE 200809L

#include "core/date.h"
#include "ketsim/plot.h"
#include "plot/plot_internal.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <cairo-svg.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Font sizes and distances, in logical pixels. */
#define KS_PLOT_FS_TITLE 18.0
#define KS_PLOT_FS_SUBTITLE 13.0
#define KS_PLOT_FS_TICK 13.0
#define KS_PLOT_FS_AXIS 14.0
#define KS_PLOT_FS_LEGEND 13.0
#define KS_PLOT_FS_SMALL 12.0
#define KS_PLOT_PAD 12.0
#define KS_PLOT_TICK_LEN 5.0
#define KS_PLOT_MARK_H 10.0
#define KS_PLOT_LABEL_GAP 10.0
#define KS_PLOT_LEGEND_ROW 20.0
#define KS_PLOT_LEGEND_PAD 8.0
#define KS_PLOT_LEGEND_SAMPLE 30.0
#define KS_PLOT_PI 3.14159265358979323846

/* One axis in display units: from lo to hi with ticks every `step`. */
typedef struct ks_plot_axis {
    double lo, hi, step;
    int decimals; /* digits after the point in tick labels */
} ks_plot_axis;

typedef struct ks_plot_rect {
    double x0, y0, x1, y1;
} ks_plot_rect;

/* Where everything goes on the canvas (logical pixels) and how data map to it. */
typedef struct ks_plot_frame {
    double w, h;                     /* logical canvas size */
    double left, right, top, bottom; /* plot area */
    double title_y, subtitle_y;      /* baselines (0: not drawn) */
    double xlabel_y, footer_y;       /* baselines */
    double ylabel_x;                 /* centre line of the rotated y label */
    ks_plot_axis x, y;
    double per_hour; /* display time units per hour */
    const char *x_label;
    char x_label_buf[96];             /* the label when it names a calendar origin */
    const ks_plot_calendar *calendar; /* time 0 on the calendar, or NULL */
    double legend_w, legend_h;        /* size of the legend box */
    ks_plot_rect legend;              /* where it goes */
} ks_plot_frame;

/* A dose mark that falls on the plot, in time order. */
typedef struct ks_plot_dose_ref {
    double t;
    size_t i;
} ks_plot_dose_ref;

/* ---------------------------------------------------------------- validation */

static int ks_plot_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int ks_plot_ext_is(const char *ext, const char *want)
{
    for (; *ext && *want; ext++, want++)
        if (ks_plot_lower((unsigned char)*ext) != *want) return 0;
    return *ext == '\0' && *want == '\0';
}

/* KS_PLOT_PNG, KS_PLOT_SVG, or 0 for anything else. */
static int ks_plot_format_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return 0;
    if (ks_plot_ext_is(dot + 1, "png")) return KS_PLOT_PNG;
    if (ks_plot_ext_is(dot + 1, "svg")) return KS_PLOT_SVG;
    return 0;
}

static const char *ks_plot_name(const char *s)
{
    return s ? s : "(unnamed)";
}

static int ks_plot_check_series(const ks_plot_spec *spec, ks_error *err)
{
    if (spec->n_series == 0 || !spec->series)
        return ks_error_set(err, KS_EINVAL, "plot: no series to draw");
    for (size_t i = 0; i < spec->n_series; i++) {
        const ks_plot_series *s = &spec->series[i];
        if (s->n == 0)
            return ks_error_set(err, KS_EINVAL, "plot: series %zu (\"%s\") has no points", i,
                                ks_plot_name(s->label));
        if (!s->x || !s->y)
            return ks_error_set(err, KS_EINVAL, "plot: series %zu (\"%s\") has no %s values", i,
                                ks_plot_name(s->label), s->x ? "y" : "x");
    }
    return KS_OK;
}

static int ks_plot_check_doses(const ks_plot_spec *spec, ks_error *err)
{
    if (spec->n_doses > 0 && !spec->doses)
        return ks_error_set(err, KS_EINVAL, "plot: %zu dose marks announced but none given",
                            spec->n_doses);
    for (size_t i = 0; i < spec->n_doses; i++) {
        const ks_plot_dose_mark *d = &spec->doses[i];
        if (!isfinite(d->time_h))
            return ks_error_set(err, KS_EINVAL, "plot: dose mark %zu has no finite time", i);
        if (!isfinite(d->duration_h) || d->duration_h < 0)
            return ks_error_set(err, KS_EINVAL,
                                "plot: dose mark %zu has an invalid duration (%g h)", i,
                                d->duration_h);
    }
    return KS_OK;
}

int ks_plot_check_target(const char *path, int *format, ks_error *err)
{
    if (!path || !*path) return ks_error_set(err, KS_EINVAL, "plot: no output file given");
    *format = ks_plot_format_of(path);
    if (!*format)
        return ks_error_set(err, KS_EINVAL, "plot: unknown file type \"%s\" (use .png or .svg)",
                            path);
    return KS_OK;
}

int ks_plot_size(int width, int height, int def_w, int def_h, int *w, int *h, ks_error *err)
{
    *w = width == 0 ? def_w : width;
    *h = height == 0 ? def_h : height;
    if (*w < KS_PLOT_MIN_W || *h < KS_PLOT_MIN_H || *w > KS_PLOT_MAX_PX || *h > KS_PLOT_MAX_PX)
        return ks_error_set(err, KS_EINVAL,
                            "plot: size %d x %d px is out of range (%d x %d to %d x %d)", *w, *h,
                            KS_PLOT_MIN_W, KS_PLOT_MIN_H, KS_PLOT_MAX_PX, KS_PLOT_MAX_PX);
    return KS_OK;
}

static int ks_plot_validate(const ks_plot_spec *spec, const char *path, int *format, int *w, int *h,
                            ks_error *err)
{
    if (!spec) return ks_error_set(err, KS_EINVAL, "plot: no plot description given");
    int rc = ks_plot_check_target(path, format, err);
    if (rc == KS_OK) rc = ks_plot_check_series(spec, err);
    if (rc == KS_OK) rc = ks_plot_check_doses(spec, err);
    if (rc == KS_OK)
        rc = ks_plot_size(spec->width_px, spec->height_px, KS_PLOT_DEFAULT_W, KS_PLOT_DEFAULT_H, w,
                          h, err);
    return rc;
}

/* ------------------------------------------------------------------- scales */

/* Number of tick intervals needed to cover [lo, hi] with multiples of `step`. */
static double ks_plot_intervals(double lo, double hi, double step)
{
    return ceil(hi / step - 1e-9) - floor(lo / step + 1e-9);
}

/* Smallest step of the form {1, 2, 2.5, 5} x 10^k that covers [lo, hi] in at most
 * `max_n` intervals. */
static double ks_plot_nice_step(double lo, double hi, int max_n)
{
    static const double mant[] = {1.0, 2.0, 2.5, 5.0};
    double range = hi - lo > 0 ? hi - lo : 1.0;
    double p = pow(10.0, floor(log10(range / max_n)));
    for (int k = 0; k < 4; k++, p *= 10.0)
        for (size_t m = 0; m < sizeof mant / sizeof mant[0]; m++)
            if (ks_plot_intervals(lo, hi, mant[m] * p) <= max_n) return mant[m] * p;
    return 10.0 * p;
}

static int ks_plot_decimals(double step)
{
    for (int d = 0; d < 9; d++) {
        double v = step * pow(10.0, d);
        if (fabs(v - round(v)) < 1e-6 * fmax(1.0, fabs(v))) return d;
    }
    return 9;
}

static void ks_plot_axis_fit(ks_plot_axis *a, double lo, double hi, double step)
{
    a->step = step;
    a->lo = floor(lo / step + 1e-9) * step;
    a->hi = ceil(hi / step - 1e-9) * step;
    if (a->hi <= a->lo) a->hi = a->lo + step;
    a->decimals = ks_plot_decimals(step);
}

/* Steps that read well for a time unit, smallest first (0-terminated). */
static const double *ks_plot_time_steps(double per_hour)
{
    static const double minutes[] = {1, 2, 5, 10, 15, 20, 30, 60, 0};
    static const double hours[] = {0.25, 0.5, 1, 2, 3, 4, 6, 12, 24, 0};
    static const double days[] = {1, 2, 7, 14, 28, 0};
    if (per_hour > 1.0) return minutes;
    return per_hour == 1.0 ? hours : days;
}

/* "30 Nov" for the instant `days` after the calendar origin. */
static void ks_plot_date_text(char *buf, size_t size, const ks_plot_calendar *c, double days)
{
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    double minutes = c->hour * 60.0 + c->minute + days * 1440.0;
    long z = ks_days_from_civil(c->year, c->month, c->day) + (long)floor(minutes / 1440.0);
    int y, m, d;
    ks_civil_from_days(z, &y, &m, &d);
    snprintf(buf, size, "%d %s", d, months[(m - 1) % 12]);
}

/* Choose the display unit from the span (in hours) and fit nice ticks. */
static void ks_plot_time_axis(ks_plot_frame *f, double lo_h, double hi_h, int max_n)
{
    double span = hi_h - lo_h;
    if (span <= 2.0) {
        f->per_hour = 60.0;
        f->x_label = "time (min)";
    } else if (span <= 72.0) {
        f->per_hour = 1.0;
        f->x_label = "time (h)";
    } else {
        f->per_hour = 1.0 / 24.0;
        f->x_label = "time (d)";
    }
    if (f->calendar) {
        const ks_plot_calendar *c = f->calendar;
        snprintf(f->x_label_buf, sizeof f->x_label_buf, "%s %04d-%02d-%02d %02d:%02d)",
                 f->per_hour < 1.0   ? "date (time 0 ="
                 : f->per_hour > 1.0 ? "time (min after"
                                     : "time (h after",
                 c->year, c->month, c->day, c->hour, c->minute);
        f->x_label = f->x_label_buf;
    }
    double lo = lo_h * f->per_hour, hi = hi_h * f->per_hour;
    const double *steps = ks_plot_time_steps(f->per_hour);
    for (; *steps > 0; steps++) {
        if (ks_plot_intervals(lo, hi, *steps) <= max_n) {
            ks_plot_axis_fit(&f->x, lo, hi, *steps);
            return;
        }
    }
    ks_plot_axis_fit(&f->x, lo, hi, ks_plot_nice_step(lo, hi, max_n));
}

/* Range of the finite points over all series (x in hours). */
static void ks_plot_data_range(const ks_plot_spec *spec, double *x_lo, double *x_hi, double *y_lo,
                               double *y_hi)
{
    *x_lo = INFINITY, *x_hi = -INFINITY, *y_lo = 0.0, *y_hi = 0.0;
    for (size_t i = 0; i < spec->n_series; i++) {
        const ks_plot_series *s = &spec->series[i];
        for (size_t k = 0; k < s->n; k++) {
            if (!isfinite(s->x[k])) continue;
            *x_lo = fmin(*x_lo, s->x[k]);
            *x_hi = fmax(*x_hi, s->x[k]);
            if (s->band_lo && s->band_hi && isfinite(s->band_lo[k]) && isfinite(s->band_hi[k])) {
                *y_lo = fmin(*y_lo, s->band_lo[k]);
                *y_hi = fmax(*y_hi, s->band_hi[k]);
            }
            if (!isfinite(s->y[k])) continue;
            *y_lo = fmin(*y_lo, s->y[k]);
            *y_hi = fmax(*y_hi, s->y[k]);
        }
    }
    if (!(*x_lo <= *x_hi)) *x_lo = 0.0, *x_hi = 1.0;
    if (isfinite(spec->threshold)) *y_hi = fmax(*y_hi, spec->threshold);
}

static void ks_plot_value_axis(ks_plot_axis *a, double lo, double hi, int max_n)
{
    if (!(hi > lo))
        hi = lo + 1.0; /* nothing to show: 0 to 1 */
    else
        hi += 0.02 * (hi - lo); /* a little room above the highest point */
    ks_plot_axis_fit(a, lo, hi, ks_plot_nice_step(lo, hi, max_n));
}

static double ks_plot_px(const ks_plot_frame *f, double x_h)
{
    double v = x_h * f->per_hour;
    return f->left + (v - f->x.lo) / (f->x.hi - f->x.lo) * (f->right - f->left);
}

static double ks_plot_py(const ks_plot_frame *f, double y)
{
    return f->bottom - (y - f->y.lo) / (f->y.hi - f->y.lo) * (f->bottom - f->top);
}

/* Centre of the pixel column/row containing v: keeps 1-px lines sharp. */
static double ks_plot_snap(double v)
{
    return floor(v) + 0.5;
}

static void ks_plot_tick_text(char *buf, size_t size, double v, int decimals)
{
    if (fabs(v) < 1e-12) v = 0.0;
    snprintf(buf, size, "%.*f", decimals, v);
}

/* ------------------------------------------------------------------- text */

void ks_plot_font(cairo_t *cr, double size, int bold, int italic)
{
    cairo_select_font_face(cr, "sans-serif",
                           italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double ks_plot_text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

static double ks_plot_line_h(cairo_t *cr, double *ascent, double *descent)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    if (ascent) *ascent = fe.ascent;
    if (descent) *descent = fe.descent;
    return fe.ascent + fe.descent;
}

void ks_plot_rgb_set(cairo_t *cr, ks_plot_rgb c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

/* Draw `s` with its baseline at y; align 0 = left, 0.5 = centre, 1 = right. */
void ks_plot_show(cairo_t *cr, double x, double y, const char *s, double align)
{
    cairo_move_to(cr, x - align * ks_plot_text_w(cr, s), y);
    cairo_show_text(cr, s);
}

/* Baseline that centres the current font's digits (and capitals) vertically on y. */
double ks_plot_mid_baseline(cairo_t *cr, double y)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, "0", &e);
    return y - (e.y_bearing + e.height / 2.0);
}

/* The box around text of width w, left edge x, in the current font. */
static ks_plot_rect ks_plot_text_box(cairo_t *cr, double x, double baseline, double w)
{
    double asc, desc;
    ks_plot_line_h(cr, &asc, &desc);
    ks_plot_rect r = {x - 3.0, baseline - asc - 1.0, x + w + 3.0, baseline + desc + 1.0};
    return r;
}

/* Left-aligned text on a translucent white box, so it stays readable over lines
 * while the lines still show through. */
static void ks_plot_show_boxed(cairo_t *cr, double x, double baseline, const char *s,
                               ks_plot_rgb colour)
{
    ks_plot_rect r = ks_plot_text_box(cr, x, baseline, ks_plot_text_w(cr, s));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.75);
    cairo_rectangle(cr, r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
    cairo_fill(cr);
    ks_plot_rgb_set(cr, colour, 1.0);
    ks_plot_show(cr, x, baseline, s, 0.0);
}

ks_plot_rgb ks_plot_grey(double v)
{
    ks_plot_rgb c = {v, v, v};
    return c;
}

/* Okabe-Ito colours, ordered for contrast on white (yellow last). */
ks_plot_rgb ks_plot_palette(size_t i)
{
    static const unsigned hex[] = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7,
                                   0xE69F00, 0x56B4E9, 0x000000, 0xF0E442};
    unsigned h = hex[i % (sizeof hex / sizeof hex[0])];
    ks_plot_rgb c = {((h >> 16) & 0xff) / 255.0, ((h >> 8) & 0xff) / 255.0, (h & 0xff) / 255.0};
    return c;
}

/* ------------------------------------------------------------------ layout */

/* Title, subtitle and top of the plot area. */
static void ks_plot_layout_top(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f)
{
    double y = KS_PLOT_PAD, asc, desc;
    f->title_y = f->subtitle_y = 0.0;
    if (spec->title && *spec->title) {
        ks_plot_font(cr, KS_PLOT_FS_TITLE, 1, 0);
        ks_plot_line_h(cr, &asc, &desc);
        f->title_y = y + asc;
        y += asc + desc + 2.0;
    }
    if (spec->subtitle && *spec->subtitle) {
        ks_plot_font(cr, KS_PLOT_FS_SUBTITLE, 0, 0);
        ks_plot_line_h(cr, &asc, &desc);
        f->subtitle_y = y + asc;
        y += asc + desc;
    }
    f->top = ks_plot_snap(y + 10.0);
}

/* Footer, x axis label, tick labels and bottom of the plot area. */
static void ks_plot_layout_bottom(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f)
{
    double y = f->h - KS_PLOT_PAD + 4.0, asc, desc;
    f->footer_y = 0.0;
    if (spec->footer && *spec->footer) {
        ks_plot_font(cr, KS_PLOT_FS_SMALL, 0, 1);
        ks_plot_line_h(cr, &asc, &desc);
        f->footer_y = y - desc;
        y -= asc + desc + 8.0;
    }
    ks_plot_font(cr, KS_PLOT_FS_AXIS, 0, 0);
    ks_plot_line_h(cr, &asc, &desc);
    f->xlabel_y = y - desc;
    y -= asc + desc + 4.0;
    ks_plot_font(cr, KS_PLOT_FS_TICK, 0, 0);
    y -= ks_plot_line_h(cr, NULL, NULL) + KS_PLOT_TICK_LEN + 2.0;
    f->bottom = ks_plot_snap(y);
}

/* Widest y tick label, which sets the left margin. */
static double ks_plot_ytick_w(cairo_t *cr, const ks_plot_axis *a)
{
    char buf[64];
    double w = 0.0;
    ks_plot_font(cr, KS_PLOT_FS_TICK, 0, 0);
    long n = lround((a->hi - a->lo) / a->step);
    for (long k = 0; k <= n; k++) {
        ks_plot_tick_text(buf, sizeof buf, a->lo + (double)k * a->step, a->decimals);
        w = fmax(w, ks_plot_text_w(cr, buf));
    }
    return w;
}

/* Left margin (y label and tick labels), right edge and the time axis. */
static void ks_plot_layout_x(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f, double x_lo,
                             double x_hi)
{
    double left = KS_PLOT_PAD;
    if (spec->y_label && *spec->y_label) {
        double asc, desc;
        ks_plot_font(cr, KS_PLOT_FS_AXIS, 0, 0);
        ks_plot_line_h(cr, &asc, &desc);
        f->ylabel_x = left + asc;
        left += asc + desc + 8.0;
    }
    left += ks_plot_ytick_w(cr, &f->y) + KS_PLOT_TICK_LEN + 5.0;
    f->left = ks_plot_snap(left);
    f->right = ks_plot_snap(f->w - 28.0);
    if (f->right - f->left < 60.0) f->right = f->left + 60.0;
    int max_x = (int)fmin(8.0, fmax(2.0, floor((f->right - f->left) / 70.0)));
    ks_plot_time_axis(f, x_lo, x_hi, max_x);
}

static int ks_plot_max_yticks(const ks_plot_frame *f)
{
    return (int)fmin(7.0, fmax(2.0, floor((f->bottom - f->top) / 28.0)));
}

/* Does the segment a-b touch the rectangle? (Liang-Barsky clipping.) */
static int ks_plot_seg_hits(double ax, double ay, double bx, double by, const ks_plot_rect *r)
{
    double t0 = 0.0, t1 = 1.0, dx = bx - ax, dy = by - ay;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - r->x0, r->x1 - ax, ay - r->y0, r->y1 - ay};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0.0) {
            if (q[k] < 0.0) return 0;
            continue;
        }
        double t = q[k] / p[k];
        if (p[k] < 0.0) {
            if (t > t1) return 0;
            t0 = fmax(t0, t);
        } else {
            if (t < t0) return 0;
            t1 = fmin(t1, t);
        }
    }
    return 1;
}

/* Number of pieces of the curves that a box drawn at `r` would cover. */
static size_t ks_plot_hits(const ks_plot_spec *spec, const ks_plot_frame *f, const ks_plot_rect *r)
{
    size_t hits = 0;
    for (size_t i = 0; i < spec->n_series; i++) {
        const ks_plot_series *s = &spec->series[i];
        double qx = 0.0, qy = 0.0;
        int pen_down = 0;
        for (size_t k = 0; k < s->n; k++) {
            if (!isfinite(s->x[k]) || !isfinite(s->y[k])) {
                pen_down = 0;
                continue;
            }
            double px = ks_plot_px(f, s->x[k]), py = ks_plot_py(f, s->y[k]);
            if (!pen_down) qx = px, qy = py;
            hits += (size_t)ks_plot_seg_hits(qx, qy, px, py, r);
            qx = px, qy = py, pen_down = 1;
        }
    }
    return hits;
}

static int ks_plot_rects_meet(const ks_plot_rect *a, const ks_plot_rect *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

static const char *ks_plot_series_label(const ks_plot_series *s, char *buf, size_t size, size_t i)
{
    if (s->label && *s->label) return s->label;
    snprintf(buf, size, "series %zu", i + 1);
    return buf;
}

static void ks_plot_legend_size(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f)
{
    char buf[32];
    double text_w = 0.0;
    ks_plot_font(cr, KS_PLOT_FS_LEGEND, 0, 0);
    for (size_t i = 0; i < spec->n_series; i++) {
        const char *label = ks_plot_series_label(&spec->series[i], buf, sizeof buf, i);
        text_w = fmax(text_w, ks_plot_text_w(cr, label));
    }
    f->legend_w = floor(2.0 * KS_PLOT_LEGEND_PAD + KS_PLOT_LEGEND_SAMPLE + 8.0 + text_w);
    f->legend_h =
        floor(2.0 * KS_PLOT_LEGEND_PAD + KS_PLOT_LEGEND_ROW * (double)spec->n_series - 4.0);
}

/* The legend box in the upper-right (right = 1) or upper-left corner of the plot area. */
static ks_plot_rect ks_plot_legend_at(const ks_plot_frame *f, int right)
{
    ks_plot_rect r;
    r.x0 = right ? ks_plot_snap(f->right - 10.0 - f->legend_w) : ks_plot_snap(f->left + 10.0);
    r.y0 = ks_plot_snap(f->top + 10.0);
    r.x1 = r.x0 + f->legend_w;
    r.y1 = r.y0 + f->legend_h;
    return r;
}

/* Highest finite y of the points that fall under the legend's columns. */
static double ks_plot_y_under(const ks_plot_spec *spec, const ks_plot_frame *f)
{
    double top = -INFINITY;
    for (size_t i = 0; i < spec->n_series; i++) {
        const ks_plot_series *s = &spec->series[i];
        for (size_t k = 0; k < s->n; k++) {
            if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
            double px = ks_plot_px(f, s->x[k]);
            if (px >= f->legend.x0 - 4.0 && px <= f->legend.x1 + 4.0) top = fmax(top, s->y[k]);
        }
    }
    return top;
}

/* Raise the y axis (by at most half) so the curves pass under the upper-right legend.
 * Returns 1 if that worked (f updated). */
static int ks_plot_grow_for_legend(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f,
                                   double x_lo, double x_hi)
{
    double under = ks_plot_y_under(spec, f), room = f->bottom - f->legend.y1 - 6.0;
    if (!(under > f->y.lo) || room < 0.3 * (f->bottom - f->top)) return 0;
    double need = f->y.lo + (under - f->y.lo) * (f->bottom - f->top) / room;
    if (need > f->y.lo + 1.5 * (f->y.hi - f->y.lo)) return 0;
    ks_plot_frame g = *f;
    ks_plot_axis_fit(&g.y, g.y.lo, need, ks_plot_nice_step(g.y.lo, need, ks_plot_max_yticks(&g)));
    if (g.y.hi > f->y.lo + 1.5 * (f->y.hi - f->y.lo)) return 0;
    ks_plot_layout_x(cr, spec, &g, x_lo, x_hi);
    g.legend = ks_plot_legend_at(&g, 1);
    if (ks_plot_hits(spec, &g, &g.legend) > 0) return 0;
    *f = g;
    return 1;
}

/* Upper right if it hides nothing (raising the y axis a little if that helps), else
 * upper left if that hides nothing, else upper right over the curves. */
static void ks_plot_place_legend(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f,
                                 double x_lo, double x_hi)
{
    ks_plot_legend_size(cr, spec, f);
    f->legend = ks_plot_legend_at(f, 1);
    if (ks_plot_hits(spec, f, &f->legend) == 0) return;
    if (ks_plot_grow_for_legend(cr, spec, f, x_lo, x_hi)) return;
    ks_plot_rect left = ks_plot_legend_at(f, 0);
    if (ks_plot_hits(spec, f, &left) == 0) f->legend = left;
}

static void ks_plot_layout(cairo_t *cr, const ks_plot_spec *spec, ks_plot_frame *f)
{
    double x_lo, x_hi, y_lo, y_hi;
    ks_plot_data_range(spec, &x_lo, &x_hi, &y_lo, &y_hi);
    ks_plot_layout_top(cr, spec, f);
    ks_plot_layout_bottom(cr, spec, f);
    if (f->bottom - f->top < 60.0) f->bottom = f->top + 60.0;
    ks_plot_value_axis(&f->y, y_lo, y_hi, ks_plot_max_yticks(f));
    ks_plot_layout_x(cr, spec, f, x_lo, x_hi);
    ks_plot_place_legend(cr, spec, f, x_lo, x_hi);
}

/* ------------------------------------------------------------------ drawing */

static void ks_plot_draw_titles(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f)
{
    if (f->title_y > 0) {
        ks_plot_font(cr, KS_PLOT_FS_TITLE, 1, 0);
        ks_plot_rgb_set(cr, ks_plot_grey(0.1), 1.0);
        ks_plot_show(cr, f->left, f->title_y, spec->title, 0.0);
    }
    if (f->subtitle_y > 0) {
        ks_plot_font(cr, KS_PLOT_FS_SUBTITLE, 0, 0);
        ks_plot_rgb_set(cr, ks_plot_grey(0.4), 1.0);
        ks_plot_show(cr, f->left, f->subtitle_y, spec->subtitle, 0.0);
    }
}

static void ks_plot_draw_grid(cairo_t *cr, const ks_plot_frame *f)
{
    cairo_set_line_width(cr, 1.0);
    ks_plot_rgb_set(cr, ks_plot_grey(0.9), 1.0);
    long ny = lround((f->y.hi - f->y.lo) / f->y.step);
    for (long k = 1; k < ny; k++) {
        double py = ks_plot_snap(ks_plot_py(f, f->y.lo + (double)k * f->y.step));
        cairo_move_to(cr, f->left, py);
        cairo_line_to(cr, f->right, py);
    }
    long nx = lround((f->x.hi - f->x.lo) / f->x.step);
    for (long k = 1; k < nx; k++) {
        double px = ks_plot_snap(ks_plot_px(f, (f->x.lo + (double)k * f->x.step) / f->per_hour));
        cairo_move_to(cr, px, f->top);
        cairo_line_to(cr, px, f->bottom);
    }
    cairo_stroke(cr);
}

static void ks_plot_draw_yticks(cairo_t *cr, const ks_plot_frame *f)
{
    char buf[64];
    long n = lround((f->y.hi - f->y.lo) / f->y.step);
    ks_plot_font(cr, KS_PLOT_FS_TICK, 0, 0);
    for (long k = 0; k <= n; k++) {
        double v = f->y.lo + (double)k * f->y.step;
        double py = ks_plot_snap(ks_plot_py(f, v));
        ks_plot_rgb_set(cr, ks_plot_grey(0.33), 1.0);
        cairo_move_to(cr, f->left - KS_PLOT_TICK_LEN, py);
        cairo_line_to(cr, f->left, py);
        cairo_stroke(cr);
        ks_plot_tick_text(buf, sizeof buf, v, f->y.decimals);
        ks_plot_rgb_set(cr, ks_plot_grey(0.2), 1.0);
        ks_plot_show(cr, f->left - KS_PLOT_TICK_LEN - 4.0, ks_plot_mid_baseline(cr, py), buf, 1.0);
    }
}

static void ks_plot_draw_xticks(cairo_t *cr, const ks_plot_frame *f)
{
    char buf[64];
    double asc;
    long n = lround((f->x.hi - f->x.lo) / f->x.step);
    ks_plot_font(cr, KS_PLOT_FS_TICK, 0, 0);
    ks_plot_line_h(cr, &asc, NULL);
    for (long k = 0; k <= n; k++) {
        double v = f->x.lo + (double)k * f->x.step;
        double px = ks_plot_snap(ks_plot_px(f, v / f->per_hour));
        ks_plot_rgb_set(cr, ks_plot_grey(0.33), 1.0);
        cairo_move_to(cr, px, f->bottom);
        cairo_line_to(cr, px, f->bottom + KS_PLOT_TICK_LEN);
        cairo_stroke(cr);
        if (f->calendar && f->per_hour < 1.0)
            ks_plot_date_text(buf, sizeof buf, f->calendar, v);
        else
            ks_plot_tick_text(buf, sizeof buf, v, f->x.decimals);
        ks_plot_rgb_set(cr, ks_plot_grey(0.2), 1.0);
        ks_plot_show(cr, px, f->bottom + KS_PLOT_TICK_LEN + 2.0 + asc, buf, 0.5);
    }
}

static void ks_plot_draw_axis_labels(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f)
{
    ks_plot_font(cr, KS_PLOT_FS_AXIS, 0, 0);
    ks_plot_rgb_set(cr, ks_plot_grey(0.1), 1.0);
    /* The calendar label lives in the frame itself: a copied frame carries its own. */
    ks_plot_show(cr, (f->left + f->right) / 2.0, f->xlabel_y,
                 f->calendar ? f->x_label_buf : f->x_label, 0.5);
    if (!spec->y_label || !*spec->y_label) return;
    cairo_save(cr);
    cairo_translate(cr, f->ylabel_x, (f->top + f->bottom) / 2.0);
    cairo_rotate(cr, -KS_PLOT_PI / 2.0);
    ks_plot_show(cr, 0.0, 0.0, spec->y_label, 0.5);
    cairo_restore(cr);
}

static void ks_plot_draw_frame(cairo_t *cr, const ks_plot_frame *f)
{
    cairo_set_line_width(cr, 1.0);
    ks_plot_rgb_set(cr, ks_plot_grey(0.33), 1.0);
    cairo_rectangle(cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
    cairo_stroke(cr);
}

static void ks_plot_clip(cairo_t *cr, const ks_plot_frame *f)
{
    cairo_rectangle(cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
    cairo_clip(cr);
}

/* Bolus: a filled triangle standing on the x axis. */
static void ks_plot_draw_bolus(cairo_t *cr, const ks_plot_frame *f, double px)
{
    cairo_move_to(cr, px, f->bottom - KS_PLOT_MARK_H);
    cairo_line_to(cr, px + 5.0, f->bottom);
    cairo_line_to(cr, px - 5.0, f->bottom);
    cairo_close_path(cr);
    ks_plot_rgb_set(cr, ks_plot_grey(0.25), 0.9);
    cairo_fill(cr);
}

/* Infusion: a translucent bar along the x axis for its duration (at least 4 px wide). */
static void ks_plot_draw_infusion(cairo_t *cr, const ks_plot_frame *f, double px0, double px1)
{
    double w = fmax(px1 - px0, 5.0);
    cairo_rectangle(cr, px0, f->bottom - KS_PLOT_MARK_H, w, KS_PLOT_MARK_H);
    ks_plot_rgb_set(cr, ks_plot_grey(0.3), 0.35);
    cairo_fill_preserve(cr);
    ks_plot_rgb_set(cr, ks_plot_grey(0.25), 0.8);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
}

static void ks_plot_draw_dose_marks(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f,
                                    const ks_plot_dose_ref *refs, size_t n)
{
    cairo_save(cr);
    ks_plot_clip(cr, f);
    for (size_t k = 0; k < n; k++) {
        const ks_plot_dose_mark *d = &spec->doses[refs[k].i];
        double px0 = ks_plot_px(f, d->time_h);
        if (d->duration_h > 0)
            ks_plot_draw_infusion(cr, f, px0, ks_plot_px(f, d->time_h + d->duration_h));
        else
            ks_plot_draw_bolus(cr, f, px0);
    }
    cairo_restore(cr);
}

static int ks_plot_same_label(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Left edge for a label of width w near x, kept inside the plot area. */
static double ks_plot_clamp_label(const ks_plot_frame *f, double x, double w)
{
    if (x + w > f->right - 4.0) x = f->right - 4.0 - w;
    return fmax(x, f->left + 4.0);
}

static double ks_plot_label_baseline(cairo_t *cr, const ks_plot_frame *f)
{
    double desc;
    ks_plot_line_h(cr, NULL, &desc);
    return f->bottom - KS_PLOT_MARK_H - 4.0 - desc;
}

/* Left edge for a dose label of width w at time t_h: starting at the mark, ending at it
 * or ending just before it, whichever hides least of the curves, and clear of labels
 * left of `used`.
 * NAN if neither is clear. */
static double ks_plot_label_spot(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f,
                                 double t_h, double w, double used)
{
    double px = ks_plot_px(f, t_h), base = ks_plot_label_baseline(cr, f), best = NAN;
    const double xs[3] = {ks_plot_clamp_label(f, px - 4.0, w),
                          ks_plot_clamp_label(f, px + 4.0 - w, w),
                          ks_plot_clamp_label(f, px - 7.0 - w, w)};
    size_t best_hits = 0;
    for (int k = 0; k < 3; k++) {
        if (xs[k] < used + KS_PLOT_LABEL_GAP) continue;
        ks_plot_rect r = ks_plot_text_box(cr, xs[k], base, w);
        size_t hits = ks_plot_hits(spec, f, &r);
        if (isnan(best) || hits < best_hits) best = xs[k], best_hits = hits;
    }
    return best;
}

/* Left edge for one label summing up a run of doses: next to the earliest dose where it
 * hides none of the curves, else where it hides least. NAN if there is no room. */
static double ks_plot_summary_spot(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f,
                                   const ks_plot_dose_ref *refs, size_t count, double w,
                                   double used)
{
    double base = ks_plot_label_baseline(cr, f), best = NAN;
    size_t best_hits = 0;
    for (size_t k = 0; k < count; k++) {
        double x = ks_plot_label_spot(cr, spec, f, refs[k].t, w, used);
        if (isnan(x)) continue;
        ks_plot_rect r = ks_plot_text_box(cr, x, base, w);
        size_t hits = ks_plot_hits(spec, f, &r);
        if (isnan(best) || hits < best_hits) best = x, best_hits = hits;
        if (hits == 0) break;
    }
    return best;
}

/* Label a run of doses with the same label: each one if they all fit side by side,
 * otherwise only the first one, as "label xN". Returns the new right edge used. */
static double ks_plot_label_run(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f,
                                const ks_plot_dose_ref *refs, size_t count, double used)
{
    const char *label = spec->doses[refs[0].i].label;
    double w = ks_plot_text_w(cr, label), right = used, base = ks_plot_label_baseline(cr, f);
    int fits = 1;
    for (size_t k = 0; k < count && fits; k++) {
        double x = ks_plot_label_spot(cr, spec, f, refs[k].t, w, right);
        fits = !isnan(x);
        right = x + w;
    }
    if (fits) {
        right = used;
        for (size_t k = 0; k < count; k++) {
            double x = ks_plot_label_spot(cr, spec, f, refs[k].t, w, right);
            ks_plot_show_boxed(cr, x, base, label, ks_plot_grey(0.2));
            right = x + w;
        }
        return right;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s \xc3\x97%zu", label, count); /* U+00D7 multiplication sign */
    w = ks_plot_text_w(cr, buf);
    double x = ks_plot_summary_spot(cr, spec, f, refs, count, w, used);
    if (isnan(x)) return used;
    ks_plot_show_boxed(cr, x, base, buf, ks_plot_grey(0.2));
    return x + w;
}

static void ks_plot_draw_dose_labels(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f,
                                     const ks_plot_dose_ref *refs, size_t n)
{
    double used = -INFINITY;
    ks_plot_font(cr, KS_PLOT_FS_SMALL, 0, 0);
    for (size_t i = 0; i < n;) {
        const char *label = spec->doses[refs[i].i].label;
        size_t j = i + 1;
        while (j < n && ks_plot_same_label(label, spec->doses[refs[j].i].label))
            j++;
        if (label && *label) used = ks_plot_label_run(cr, spec, f, refs + i, j - i, used);
        i = j;
    }
}

static int ks_plot_cmp_dose(const void *a, const void *b)
{
    const ks_plot_dose_ref *p = a, *q = b;
    if (p->t != q->t) return p->t < q->t ? -1 : 1;
    return p->i < q->i ? -1 : (p->i > q->i);
}

/* The dose marks that show on the time axis, in time order (malloc'ed; NULL with
 * *n = 0 when there are none). Returns KS_ENOMEM if allocation fails. */
static int ks_plot_visible_doses(const ks_plot_spec *spec, const ks_plot_frame *f,
                                 ks_plot_dose_ref **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (spec->n_doses == 0) return KS_OK;
    ks_plot_dose_ref *refs = malloc(spec->n_doses * sizeof *refs);
    if (!refs) return KS_ENOMEM;
    double lo_h = f->x.lo / f->per_hour, hi_h = f->x.hi / f->per_hour;
    for (size_t i = 0; i < spec->n_doses; i++) {
        const ks_plot_dose_mark *d = &spec->doses[i];
        if (d->time_h + d->duration_h < lo_h || d->time_h > hi_h) continue;
        refs[*n].t = d->time_h;
        refs[*n].i = i;
        (*n)++;
    }
    qsort(refs, *n, sizeof *refs, ks_plot_cmp_dose);
    *out = refs;
    return KS_OK;
}

static void ks_plot_series_style(cairo_t *cr, const ks_plot_series *s, size_t i)
{
    static const double dash[] = {8.0, 5.0};
    ks_plot_rgb_set(cr, ks_plot_palette(i), 1.0);
    cairo_set_line_width(cr, 2.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, s->dashed ? CAIRO_LINE_CAP_BUTT : CAIRO_LINE_CAP_ROUND);
    cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0.0);
}

/* The band of a series: one filled polygon per run of finite points. */
static void ks_plot_draw_band(cairo_t *cr, const ks_plot_frame *f, const ks_plot_series *s,
                              size_t i)
{
    if (!s->band_lo || !s->band_hi) return;
    cairo_save(cr);
    ks_plot_clip(cr, f);
    ks_plot_rgb_set(cr, ks_plot_palette(i), 0.18);
    size_t k = 0;
    while (k < s->n) {
        while (k < s->n && !(isfinite(s->x[k]) && isfinite(s->band_lo[k]) && isfinite(s->band_hi[k])))
            k++;
        size_t a = k;
        while (k < s->n && isfinite(s->x[k]) && isfinite(s->band_lo[k]) && isfinite(s->band_hi[k]))
            k++;
        if (k - a < 2) continue;
        cairo_move_to(cr, ks_plot_px(f, s->x[a]), ks_plot_py(f, s->band_hi[a]));
        for (size_t j = a + 1; j < k; j++)
            cairo_line_to(cr, ks_plot_px(f, s->x[j]), ks_plot_py(f, s->band_hi[j]));
        for (size_t j = k; j-- > a;)
            cairo_line_to(cr, ks_plot_px(f, s->x[j]), ks_plot_py(f, s->band_lo[j]));
        cairo_close_path(cr);
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* One series as a polyline; non-finite points break the line. */
static void ks_plot_draw_series(cairo_t *cr, const ks_plot_frame *f, const ks_plot_series *s,
                                size_t i)
{
    int pen_down = 0;
    ks_plot_draw_band(cr, f, s, i);
    cairo_save(cr);
    ks_plot_clip(cr, f);
    ks_plot_series_style(cr, s, i);
    for (size_t k = 0; k < s->n; k++) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k])) {
            pen_down = 0;
            continue;
        }
        double px = ks_plot_px(f, s->x[k]), py = ks_plot_py(f, s->y[k]);
        if (!pen_down) {
            cairo_move_to(cr, px, py);
            cairo_line_to(cr, px, py); /* an isolated point still shows as a dot */
        } else {
            cairo_line_to(cr, px, py);
        }
        pen_down = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The threshold's label just above (or below) its line, at the right or the left end,
 * wherever it hides least of the curves and stays off the legend. */
static void ks_plot_draw_threshold_label(cairo_t *cr, const ks_plot_spec *spec,
                                         const ks_plot_frame *f, double py)
{
    char buf[64];
    const char *label = spec->threshold_label;
    if (!label || !*label) {
        snprintf(buf, sizeof buf, "threshold %g", spec->threshold);
        label = buf;
    }
    double asc, desc, w, best = INFINITY, bx = f->left + 8.0, bb = py - 4.0;
    ks_plot_font(cr, KS_PLOT_FS_SMALL, 0, 0);
    ks_plot_line_h(cr, &asc, &desc);
    w = ks_plot_text_w(cr, label);
    const double xs[2] = {f->right - 8.0 - w, f->left + 8.0};
    const double bases[2] = {py - 4.0 - desc, py + 4.0 + asc};
    for (int b = 0; b < 2; b++) {
        for (int k = 0; k < 2; k++) {
            ks_plot_rect r = ks_plot_text_box(cr, xs[k], bases[b], w);
            if (r.y0 < f->top + 1.0 || r.y1 > f->bottom - KS_PLOT_MARK_H) continue;
            double score = (double)ks_plot_hits(spec, f, &r);
            if (ks_plot_rects_meet(&r, &f->legend)) score += 1e9;
            if (score < best) best = score, bx = xs[k], bb = bases[b];
        }
    }
    ks_plot_show_boxed(cr, bx, bb, label, ks_plot_grey(0.2));
}

static void ks_plot_draw_threshold(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f)
{
    static const double dash[] = {10.0, 4.0, 2.0, 4.0};
    if (!isfinite(spec->threshold)) return;
    double py = ks_plot_py(f, spec->threshold);
    if (py < f->top || py > f->bottom) return;
    cairo_save(cr);
    ks_plot_rgb_set(cr, ks_plot_grey(0.3), 1.0);
    cairo_set_line_width(cr, 1.5);
    cairo_set_dash(cr, dash, 4, 0.0);
    cairo_move_to(cr, f->left, py);
    cairo_line_to(cr, f->right, py);
    cairo_stroke(cr);
    cairo_restore(cr);

    ks_plot_draw_threshold_label(cr, spec, f, py);
}

/* The legend box: a line sample and the label of each series. */
static void ks_plot_draw_legend(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f)
{
    const ks_plot_rect *r = &f->legend;
    const double pad = KS_PLOT_LEGEND_PAD, sample = KS_PLOT_LEGEND_SAMPLE;
    char buf[32];
    cairo_rectangle(cr, r->x0, r->y0, r->x1 - r->x0, r->y1 - r->y0);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 1.0);
    ks_plot_rgb_set(cr, ks_plot_grey(0.7), 1.0);
    cairo_stroke(cr);

    ks_plot_font(cr, KS_PLOT_FS_LEGEND, 0, 0);
    for (size_t i = 0; i < spec->n_series; i++) {
        double cy = r->y0 + pad + KS_PLOT_LEGEND_ROW * (double)i + (KS_PLOT_LEGEND_ROW - 4.0) / 2.0;
        cairo_save(cr);
        ks_plot_series_style(cr, &spec->series[i], i);
        cairo_move_to(cr, r->x0 + pad, cy);
        cairo_line_to(cr, r->x0 + pad + sample, cy);
        cairo_stroke(cr);
        cairo_restore(cr);
        ks_plot_rgb_set(cr, ks_plot_grey(0.1), 1.0);
        ks_plot_show(cr, r->x0 + pad + sample + 8.0, ks_plot_mid_baseline(cr, cy),
                     ks_plot_series_label(&spec->series[i], buf, sizeof buf, i), 0.0);
    }
}

static void ks_plot_draw_footer(cairo_t *cr, const ks_plot_spec *spec, const ks_plot_frame *f)
{
    if (f->footer_y <= 0) return;
    ks_plot_font(cr, KS_PLOT_FS_SMALL, 0, 1);
    ks_plot_rgb_set(cr, ks_plot_grey(0.4), 1.0);
    ks_plot_show(cr, KS_PLOT_PAD, f->footer_y, spec->footer, 0.0);
}

/* Everything, on a canvas of w x h device pixels. */
static int ks_plot_render(cairo_t *cr, const void *data, int w, int h)
{
    const ks_plot_spec *spec = data;
    double scale =
        fmax(1.0, fmin(4.0, fmin(w / (double)KS_PLOT_DEFAULT_W, h / (double)KS_PLOT_DEFAULT_H)));
    ks_plot_frame f = {.w = w / scale, .h = h / scale, .calendar = spec->calendar};
    cairo_scale(cr, scale, scale);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    ks_plot_layout(cr, spec, &f);

    ks_plot_dose_ref *refs;
    size_t n_refs;
    if (ks_plot_visible_doses(spec, &f, &refs, &n_refs) != KS_OK) return KS_ENOMEM;
    ks_plot_draw_titles(cr, spec, &f);
    ks_plot_draw_grid(cr, &f);
    for (size_t i = 0; i < spec->n_series; i++)
        ks_plot_draw_series(cr, &f, &spec->series[i], i);
    ks_plot_draw_dose_marks(cr, spec, &f, refs, n_refs);
    ks_plot_draw_threshold(cr, spec, &f);
    ks_plot_draw_dose_labels(cr, spec, &f, refs, n_refs);
    ks_plot_draw_frame(cr, &f);
    ks_plot_draw_yticks(cr, &f);
    ks_plot_draw_xticks(cr, &f);
    ks_plot_draw_axis_labels(cr, spec, &f);
    ks_plot_draw_legend(cr, spec, &f);
    ks_plot_draw_footer(cr, spec, &f);
    free(refs);
    return KS_OK;
}

/* ------------------------------------------------------------------- output */

static cairo_status_t ks_plot_stream(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *fp = closure;
    return fwrite(data, 1, len, fp) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static int ks_plot_cairo_fail(cairo_status_t st, const char *path, ks_error *err)
{
    if (st == CAIRO_STATUS_NO_MEMORY)
        return ks_error_set(err, KS_ENOMEM, "plot: out of memory drawing \"%s\"", path);
    return ks_error_set(err, KS_EIO, "plot: cannot write \"%s\": %s", path,
                        cairo_status_to_string(st));
}

/* Draw on `surface` and report the first cairo failure. */
static int ks_plot_draw_on(cairo_surface_t *surface, const ks_plot_job *job, int w, int h,
                           const char *path, ks_error *err)
{
    cairo_t *cr = cairo_create(surface);
    int rc = KS_OK;
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS && job->render(cr, job->data, w, h) != KS_OK)
        rc = ks_error_set(err, KS_ENOMEM, "plot: out of memory drawing \"%s\"", path);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (rc == KS_OK && st != CAIRO_STATUS_SUCCESS) rc = ks_plot_cairo_fail(st, path, err);
    return rc;
}

static int ks_plot_emit_png(const ks_plot_job *spec, int w, int h, FILE *fp, const char *path,
                            ks_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_status_t st = cairo_surface_status(s);
    int rc = st == CAIRO_STATUS_SUCCESS ? ks_plot_draw_on(s, spec, w, h, path, err)
                                        : ks_plot_cairo_fail(st, path, err);
    if (rc == KS_OK) {
        st = cairo_surface_write_to_png_stream(s, ks_plot_stream, fp);
        if (st != CAIRO_STATUS_SUCCESS) rc = ks_plot_cairo_fail(st, path, err);
    }
    cairo_surface_destroy(s);
    return rc;
}

static int ks_plot_emit_svg(const ks_plot_job *spec, int w, int h, FILE *fp, const char *path,
                            ks_error *err)
{
    cairo_surface_t *s = cairo_svg_surface_create_for_stream(ks_plot_stream, fp, w, h);
    cairo_status_t st = cairo_surface_status(s);
    int rc = KS_OK;
    if (st != CAIRO_STATUS_SUCCESS) rc = ks_plot_cairo_fail(st, path, err);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
    if (rc == KS_OK) cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
#endif
    if (rc == KS_OK) rc = ks_plot_draw_on(s, spec, w, h, path, err);
    cairo_surface_finish(s); /* writes the document to the stream */
    st = cairo_surface_status(s);
    if (rc == KS_OK && st != CAIRO_STATUS_SUCCESS) rc = ks_plot_cairo_fail(st, path, err);
    cairo_surface_destroy(s);
    return rc;
}

/* Create a new file next to `path` (named <path>.tmp<pid>.<n>); returns its
 * malloc'ed name and the open descriptor in *fd. */
static int ks_plot_open_temp(const char *path, char **tmp, int *fd, ks_error *err)
{
    size_t size = strlen(path) + 48;
    *tmp = malloc(size);
    if (!*tmp) return ks_error_set(err, KS_ENOMEM, "plot: out of memory");
    for (int i = 0; i < 1000; i++) {
        snprintf(*tmp, size, "%s.tmp%ld.%d", path, (long)getpid(), i);
        *fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (*fd >= 0) return KS_OK;
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(*tmp);
    *tmp = NULL;
    return ks_error_set(err, KS_EIO, "plot: cannot write \"%s\": %s", path, strerror(e));
}

/* Flush `fp` to disk and close it. Keeps an earlier failure `rc`, else returns KS_OK
 * or KS_EIO. */
static int ks_plot_close(FILE *fp, int rc, const char *path, ks_error *err)
{
    int e = 0;
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) e = errno;
    if (fclose(fp) != 0 && e == 0) e = errno;
    if (rc == KS_OK && e != 0)
        rc = ks_error_set(err, KS_EIO, "plot: cannot write \"%s\": %s", path, strerror(e));
    return rc;
}

static int ks_plot_emit(const ks_plot_job *spec, int format, int w, int h, const char *path,
                        const char *tmp, int fd, ks_error *err)
{
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        return ks_error_set(err, KS_EIO, "plot: cannot write \"%s\": %s", path, strerror(e));
    }
    int rc = format == KS_PLOT_PNG ? ks_plot_emit_png(spec, w, h, fp, path, err)
                                   : ks_plot_emit_svg(spec, w, h, fp, path, err);
    rc = ks_plot_close(fp, rc, path, err);
    if (rc == KS_OK && rename(tmp, path) != 0)
        rc = ks_error_set(err, KS_EIO, "plot: cannot write \"%s\": %s", path, strerror(errno));
    return rc;
}

int ks_plot_write(const ks_plot_spec *spec, const char *path, ks_error *err)
{
    int format = 0, w = 0, h = 0;
    int rc = ks_plot_validate(spec, path, &format, &w, &h, err);
    if (rc != KS_OK) return rc;
    const ks_plot_calendar *c = spec->calendar;
    if (c && (c->month < 1 || c->month > 12 || c->day < 1 || c->day > 31 || c->hour < 0 ||
              c->hour > 23 || c->minute < 0 || c->minute > 59 || c->year < 1 || c->year > 9999))
        return ks_error_set(err, KS_EINVAL,
                            "plot: calendar origin %04d-%02d-%02d %02d:%02d is "
                            "not a valid date and time",
                            c->year, c->month, c->day, c->hour, c->minute);
    ks_plot_job job = {ks_plot_render, spec};
    return ks_plot_output(&job, format, w, h, path, err);
}

int ks_plot_output(const ks_plot_job *job, int format, int w, int h, const char *path,
                   ks_error *err)
{
    int fd = -1;
    char *tmp = NULL;
    int rc = ks_plot_open_temp(path, &tmp, &fd, err);
    if (rc != KS_OK) return rc;
    rc = ks_plot_emit(job, format, w, h, path, tmp, fd, err);
    if (rc != KS_OK) remove(tmp);
    free(tmp);
    return rc;
}

void ks_plot_release_fonts(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

/* ------------------------------------------------------------------- panels */

typedef struct ks_plot_panels {
    const ks_plot_spec *specs;
    size_t n;
} ks_plot_panels;

static int ks_plot_render_panels(cairo_t *cr, const void *data, int w, int h)
{
    const ks_plot_panels *p = data;
    int hp = h / (int)p->n;
    for (size_t i = 0; i < p->n; i++) {
        cairo_save(cr);
        cairo_rectangle(cr, 0, (double)hp * (double)i, w, hp);
        cairo_clip(cr);
        cairo_translate(cr, 0, (double)hp * (double)i);
        int rc = ks_plot_render(cr, &p->specs[i], w, hp);
        cairo_restore(cr);
        if (rc != KS_OK) return rc;
    }
    return KS_OK;
}

int ks_plot_write_panels(const ks_plot_spec *specs, size_t n, const char *path, ks_error *err)
{
    if (!specs || n == 0) return ks_error_set(err, KS_EINVAL, "plot: no panels given");
    if (n > 8) return ks_error_set(err, KS_EINVAL, "plot: %zu panels (at most 8)", n);
    int format = 0, w = 0, h = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = ks_plot_validate(&specs[i], path, &format, &w, &h, err);
        if (rc != KS_OK) return ks_error_prefix(err, "panel %zu", i + 1);
    }
    ks_plot_size(specs[0].width_px, specs[0].height_px, KS_PLOT_DEFAULT_W, KS_PLOT_DEFAULT_H, &w,
                 &h, err);
    if (h * (int)n > KS_PLOT_MAX_PX)
        return ks_error_set(err, KS_EINVAL, "plot: %zu panels of %d px are too tall", n, h);
    ks_plot_panels p = {specs, n};
    ks_plot_job job = {ks_plot_render_panels, &p};
    return ks_plot_output(&job, format, w, h * (int)n, path, err);
}
