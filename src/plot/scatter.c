/* Observed-versus-predicted scatter plots on log-log axes, with the line of identity
 * and fold-error bands (see ketsim/plot.h). */
#include "ketsim/plot.h"
#include "plot/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SC_PAD 14.0
#define SC_FS_TITLE 18.0
#define SC_FS_SUB 13.0
#define SC_FS_TICK 13.0
#define SC_FS_AXIS 14.0
#define SC_FS_LEGEND 13.0
#define SC_LEGEND_ROW 20.0
#define SC_MARK 5.0

typedef struct sc_frame {
    double w, h;
    double left, right, top, bottom; /* plot area */
    double lo, hi;                   /* log10 of the axis range, the same on both axes */
    double legend_x;
} sc_frame;

static double sc_px(const sc_frame *f, double v)
{
    return f->left + (log10(v) - f->lo) / (f->hi - f->lo) * (f->right - f->left);
}

static double sc_py(const sc_frame *f, double v)
{
    return f->bottom - (log10(v) - f->lo) / (f->hi - f->lo) * (f->bottom - f->top);
}

static int sc_usable(double x, double y)
{
    return isfinite(x) && isfinite(y) && x > 0 && y > 0;
}

/* Both axes span the same decades, so the identity line is the diagonal. */
static void sc_range(const ks_plot_scatter_spec *spec, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t g = 0; g < spec->n_groups; g++)
        for (size_t i = 0; i < spec->groups[g].n; i++) {
            double x = spec->groups[g].x[i], y = spec->groups[g].y[i];
            if (!sc_usable(x, y)) continue;
            mn = fmin(mn, fmin(x, y));
            mx = fmax(mx, fmax(x, y));
        }
    if (!(mx >= mn)) mn = mx = 1.0;
    *lo = floor(log10(mn) - 0.05);
    *hi = ceil(log10(mx) + 0.05);
    if (*hi - *lo < 1) *hi = *lo + 1;
}

static void sc_marker(cairo_t *cr, size_t g, double x, double y)
{
    const double r = SC_MARK;
    cairo_new_path(cr); /* an arc would otherwise join the previous point */
    switch (g % 4) {
    case 0:
        cairo_arc(cr, x, y, r, 0, 2 * 3.14159265358979323846);
        break;
    case 1:
        cairo_rectangle(cr, x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r);
        break;
    case 2:
        cairo_move_to(cr, x, y - r * 1.1);
        cairo_line_to(cr, x + r, y + r * 0.8);
        cairo_line_to(cr, x - r, y + r * 0.8);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y - r * 1.2);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r * 1.2);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
    }
    /* 7 colours x 4 shapes: 28 groups before a pair repeats (yellow is not used). */
    ks_plot_rgb c = ks_plot_palette(g % 7);
    ks_plot_rgb_set(cr, c, 0.75);
    cairo_fill_preserve(cr);
    ks_plot_rgb_set(cr, c, 1.0);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
}

static double sc_legend_width(cairo_t *cr, const ks_plot_scatter_spec *spec)
{
    ks_plot_font(cr, SC_FS_LEGEND, 0, 0);
    double w = 0;
    for (size_t g = 0; g < spec->n_groups; g++)
        w = fmax(w, ks_plot_text_w(cr, spec->groups[g].label ? spec->groups[g].label : ""));
    return w + 3 * SC_PAD + 2 * SC_MARK;
}

static void sc_layout(cairo_t *cr, const ks_plot_scatter_spec *spec, sc_frame *f)
{
    f->top = SC_PAD + SC_FS_TITLE + (spec->subtitle ? SC_FS_SUB + 8 : 0) + 2 * SC_PAD;
    f->bottom = f->h - SC_PAD - SC_FS_AXIS - SC_FS_TICK - 3 * SC_PAD - (spec->footer ? 18 : 0);
    f->left = SC_PAD + SC_FS_AXIS + 60.0;
    double legend = fmin(sc_legend_width(cr, spec), f->w * 0.45);
    f->right = f->w - legend - SC_PAD;
    f->legend_x = f->right + SC_PAD;
    /* A square plot area, so that a fold band has the same width everywhere. */
    double side = fmin(f->right - f->left, f->bottom - f->top);
    f->right = f->left + side;
    f->legend_x = f->right + SC_PAD;
    f->top = f->bottom - side;
}

static void sc_line(cairo_t *cr, const sc_frame *f, double factor, double alpha, int dashed)
{
    double a = pow(10.0, f->lo), b = pow(10.0, f->hi);
    cairo_save(cr);
    cairo_rectangle(cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
    cairo_clip(cr);
    ks_plot_rgb_set(cr, ks_plot_grey(0.25), alpha);
    cairo_set_line_width(cr, 1.2);
    if (dashed) {
        const double d[] = {6.0, 4.0};
        cairo_set_dash(cr, d, 2, 0);
    }
    cairo_move_to(cr, sc_px(f, a), sc_py(f, a * factor));
    cairo_line_to(cr, sc_px(f, b), sc_py(f, b * factor));
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void sc_tick_text(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%g", v);
}

/* Grid and tick labels at 1, 2 and 5 times each power of ten (1 only when the axis
 * spans more than three decades). */
static void sc_axes(cairo_t *cr, const sc_frame *f)
{
    char buf[32];
    int dense = f->hi - f->lo <= 3;
    ks_plot_font(cr, SC_FS_TICK, 0, 0);
    for (int e = (int)f->lo; e <= (int)f->hi; e++) {
        for (int m = 1; m <= 5; m += (m == 1 ? 1 : 3)) {
            if (m != 1 && !dense) continue;
            double v = m * pow(10.0, e);
            if (log10(v) > f->hi + 1e-9) continue;
            double x = sc_px(f, v), y = sc_py(f, v);
            ks_plot_rgb_set(cr, ks_plot_grey(m == 1 ? 0.85 : 0.93), 1.0);
            cairo_set_line_width(cr, 1.0);
            cairo_move_to(cr, x, f->top);
            cairo_line_to(cr, x, f->bottom);
            cairo_move_to(cr, f->left, y);
            cairo_line_to(cr, f->right, y);
            cairo_stroke(cr);
            sc_tick_text(buf, sizeof buf, v);
            ks_plot_rgb_set(cr, ks_plot_grey(0.2), 1.0);
            ks_plot_show(cr, x, f->bottom + SC_PAD + SC_FS_TICK * 0.8, buf, 0.5);
            ks_plot_show(cr, f->left - 6.0, ks_plot_mid_baseline(cr, y), buf, 1.0);
        }
    }
    ks_plot_rgb_set(cr, ks_plot_grey(0.3), 1.0);
    cairo_rectangle(cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
    cairo_stroke(cr);
}

static void sc_labels(cairo_t *cr, const ks_plot_scatter_spec *spec, const sc_frame *f)
{
    ks_plot_rgb_set(cr, ks_plot_grey(0.1), 1.0);
    ks_plot_font(cr, SC_FS_TITLE, 1, 0);
    double y = SC_PAD + SC_FS_TITLE;
    ks_plot_show(cr, SC_PAD, y, spec->title ? spec->title : "", 0.0);
    if (spec->subtitle) {
        ks_plot_font(cr, SC_FS_SUB, 0, 0);
        ks_plot_show(cr, SC_PAD, y + SC_FS_SUB + 8, spec->subtitle, 0.0);
    }
    ks_plot_font(cr, SC_FS_AXIS, 0, 0);
    ks_plot_show(cr, (f->left + f->right) / 2, f->bottom + 2 * SC_PAD + SC_FS_TICK + SC_FS_AXIS,
                 spec->x_label ? spec->x_label : "observed", 0.5);
    cairo_save(cr);
    cairo_translate(cr, SC_PAD + SC_FS_AXIS, (f->top + f->bottom) / 2);
    cairo_rotate(cr, -3.14159265358979323846 / 2);
    ks_plot_show(cr, 0, 0, spec->y_label ? spec->y_label : "predicted", 0.5);
    cairo_restore(cr);
    if (spec->footer) {
        ks_plot_font(cr, 12.0, 0, 1);
        ks_plot_rgb_set(cr, ks_plot_grey(0.4), 1.0);
        ks_plot_show(cr, SC_PAD, f->h - SC_PAD, spec->footer, 0.0);
    }
}

static void sc_legend(cairo_t *cr, const ks_plot_scatter_spec *spec, const sc_frame *f)
{
    ks_plot_font(cr, SC_FS_LEGEND, 0, 0);
    double y = f->top + SC_LEGEND_ROW / 2;
    for (size_t g = 0; g < spec->n_groups; g++, y += SC_LEGEND_ROW) {
        sc_marker(cr, g, f->legend_x + SC_MARK + 2, y);
        ks_plot_rgb_set(cr, ks_plot_grey(0.1), 1.0);
        ks_plot_show(cr, f->legend_x + 2 * SC_MARK + 10, ks_plot_mid_baseline(cr, y),
                     spec->groups[g].label ? spec->groups[g].label : "", 0.0);
    }
    char buf[96];
    ks_plot_rgb_set(cr, ks_plot_grey(0.35), 1.0);
    for (size_t k = 0; k < spec->n_folds; k++, y += SC_LEGEND_ROW) {
        snprintf(buf, sizeof buf, "%s: %g-fold", k == 0 ? "dashed" : "dotted", spec->folds[k]);
        ks_plot_show(cr, f->legend_x, ks_plot_mid_baseline(cr, y + SC_LEGEND_ROW / 2), buf, 0.0);
    }
}

static int sc_render(cairo_t *cr, const void *data, int w, int h)
{
    const ks_plot_scatter_spec *spec = data;
    double scale = fmax(1.0, fmin(4.0, fmin(w / (double)KS_PLOT_DEFAULT_W, h / 700.0)));
    sc_frame f = {.w = w / scale, .h = h / scale};
    cairo_scale(cr, scale, scale);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    sc_range(spec, &f.lo, &f.hi);
    sc_layout(cr, spec, &f);
    sc_axes(cr, &f);
    sc_line(cr, &f, 1.0, 0.9, 0);
    for (size_t k = 0; k < spec->n_folds; k++) {
        cairo_save(cr);
        if (k > 0) {
            const double d[] = {1.5, 3.0};
            cairo_set_dash(cr, d, 2, 0);
        }
        sc_line(cr, &f, spec->folds[k], 0.6, k == 0);
        sc_line(cr, &f, 1.0 / spec->folds[k], 0.6, k == 0);
        cairo_restore(cr);
    }
    cairo_save(cr);
    cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
    cairo_clip(cr);
    for (size_t g = 0; g < spec->n_groups; g++)
        for (size_t i = 0; i < spec->groups[g].n; i++)
            if (sc_usable(spec->groups[g].x[i], spec->groups[g].y[i]))
                sc_marker(cr, g, sc_px(&f, spec->groups[g].x[i]), sc_py(&f, spec->groups[g].y[i]));
    cairo_restore(cr);
    sc_labels(cr, spec, &f);
    sc_legend(cr, spec, &f);
    return KS_OK;
}

static int sc_check(const ks_plot_scatter_spec *spec, const char *path, int *format, int *w, int *h,
                    ks_error *err)
{
    if (!spec) return ks_error_set(err, KS_EINVAL, "plot: no plot description given");
    int rc = ks_plot_check_target(path, format, err);
    if (rc) return rc;
    if (!spec->n_groups || !spec->groups)
        return ks_error_set(err, KS_EINVAL, "plot: no points to draw");
    for (size_t g = 0; g < spec->n_groups; g++)
        if (spec->groups[g].n && (!spec->groups[g].x || !spec->groups[g].y))
            return ks_error_set(err, KS_EINVAL, "plot: group %zu has no values", g);
    for (size_t k = 0; k < spec->n_folds; k++)
        if (!(spec->folds[k] > 1.0) || !isfinite(spec->folds[k]))
            return ks_error_set(err, KS_EINVAL, "plot: fold band %g is not above 1",
                                spec->folds[k]);
    return ks_plot_size(spec->width_px, spec->height_px, 900, 700, w, h, err);
}

int ks_plot_scatter_write(const ks_plot_scatter_spec *spec, const char *path, ks_error *err)
{
    int format = 0, w = 0, h = 0;
    int rc = sc_check(spec, path, &format, &w, &h, err);
    if (rc) return rc;
    ks_plot_job job = {sc_render, spec};
    return ks_plot_output(&job, format, w, h, path, err);
}
