/* Spike rasters: one panel per condition, side by side (see ketsim/plot.h). */
#include "ketsim/plot.h"
#include "plot/plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RS_PAD 14.0
#define RS_FS_TITLE 18.0
#define RS_FS_SUB 13.0
#define RS_FS_TICK 12.0
#define RS_FS_AXIS 13.0
#define RS_GAP 26.0

static double rs_step(double span)
{
    double raw = span / 5.0, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

static int rs_render(cairo_t *cr, const void *data, int wi, int hi)
{
    const ks_plot_raster_spec *s = data;
    double w = wi, h = hi;
    ks_plot_rgb_set(cr, ks_plot_grey(1.0), 1.0);
    cairo_paint(cr);
    double y = RS_PAD + RS_FS_TITLE;
    ks_plot_rgb_set(cr, ks_plot_grey(0.0), 1.0);
    ks_plot_font(cr, RS_FS_TITLE, 1, 0);
    ks_plot_show(cr, w / 2, y, s->title ? s->title : "", 0.5);
    if (s->subtitle) {
        y += RS_FS_SUB + 6;
        ks_plot_font(cr, RS_FS_SUB, 0, 1);
        ks_plot_show(cr, w / 2, y, s->subtitle, 0.5);
    }
    double top = y + 2 * RS_FS_SUB + 8;
    double bottom = h - RS_PAD - (s->footer ? RS_FS_SUB + 8 : 0) - RS_FS_AXIS - RS_FS_TICK - 16;
    double left = RS_PAD + RS_FS_AXIS + 40;
    double right = w - RS_PAD;
    size_t np = s->n_panels;
    double pw = (right - left - RS_GAP * (double)(np - 1)) / (double)np;
    /* y axis label, once */
    cairo_save(cr);
    ks_plot_font(cr, RS_FS_AXIS, 0, 0);
    cairo_translate(cr, RS_PAD + RS_FS_AXIS, (top + bottom) / 2);
    cairo_rotate(cr, -1.5707963267948966);
    ks_plot_show(cr, 0, 0, s->y_label ? s->y_label : "cell", 0.5);
    cairo_restore(cr);
    for (size_t p = 0; p < np; p++) {
        const ks_plot_raster_panel *pn = &s->panels[p];
        double x0 = left + (double)p * (pw + RS_GAP), x1 = x0 + pw;
        double span = pn->t_end > pn->t_start ? pn->t_end - pn->t_start : 1.0;
        double ncell = pn->n_cells > 0 ? (double)pn->n_cells : 1.0;
        ks_plot_font(cr, RS_FS_SUB, 1, 0);
        ks_plot_rgb_set(cr, ks_plot_palette(p), 1.0);
        ks_plot_show(cr, (x0 + x1) / 2, top - 8, pn->label ? pn->label : "", 0.5);
        ks_plot_rgb_set(cr, ks_plot_grey(0.3), 1.0);
        cairo_set_line_width(cr, 1.0);
        cairo_rectangle(cr, x0, top, pw, bottom - top);
        cairo_stroke(cr);
        /* spikes: a short vertical tick per spike */
        double row = (bottom - top) / ncell;
        ks_plot_rgb_set(cr, ks_plot_palette(p), 1.0);
        cairo_set_line_width(cr, fmax(0.8, fmin(1.5, pw / span * 0.8)));
        for (size_t i = 0; i < pn->n; i++) {
            double t = pn->t[i];
            if (!(t >= pn->t_start && t <= pn->t_end) || pn->cell[i] >= pn->n_cells) continue;
            double px = x0 + (t - pn->t_start) / span * pw;
            double py = top + ((double)pn->cell[i] + 0.5) * row;
            double half = fmax(0.5, 0.4 * row);
            cairo_move_to(cr, px, py - half);
            cairo_line_to(cr, px, py + half);
        }
        cairo_stroke(cr);
        /* time ticks */
        ks_plot_rgb_set(cr, ks_plot_grey(0.0), 1.0);
        ks_plot_font(cr, RS_FS_TICK, 0, 0);
        double st = rs_step(span);
        for (double t = ceil(pn->t_start / st) * st; t <= pn->t_end + 1e-9 * span; t += st) {
            double px = x0 + (t - pn->t_start) / span * pw;
            cairo_move_to(cr, px, bottom);
            cairo_line_to(cr, px, bottom + 4);
            cairo_stroke(cr);
            char buf[32];
            snprintf(buf, sizeof buf, "%g", t);
            ks_plot_show(cr, px, bottom + 6 + RS_FS_TICK, buf, 0.5);
        }
        if (p == 0) {
            char buf[32];
            snprintf(buf, sizeof buf, "%zu", pn->n_cells);
            ks_plot_show(cr, x0 - 4, top + RS_FS_TICK, "1", 1.0);
            ks_plot_show(cr, x0 - 4, bottom, buf, 1.0);
        }
        ks_plot_font(cr, RS_FS_AXIS, 0, 0);
        ks_plot_show(cr, (x0 + x1) / 2, bottom + 12 + RS_FS_TICK + RS_FS_AXIS,
                     s->x_label ? s->x_label : "time (ms)", 0.5);
    }
    if (s->footer) {
        ks_plot_font(cr, RS_FS_SUB, 0, 1);
        ks_plot_rgb_set(cr, ks_plot_grey(0.25), 1.0);
        ks_plot_show(cr, w / 2, h - RS_PAD, s->footer, 0.5);
    }
    return cairo_status(cr) == CAIRO_STATUS_SUCCESS ? KS_OK : KS_ENOMEM;
}

int ks_plot_raster_write(const ks_plot_raster_spec *spec, const char *path, ks_error *err)
{
    if (!spec || spec->n_panels == 0 || spec->n_panels > 8 || !spec->panels)
        return ks_error_set(err, KS_EINVAL, "raster plot: 1 to 8 panels are needed");
    for (size_t p = 0; p < spec->n_panels; p++) {
        const ks_plot_raster_panel *pn = &spec->panels[p];
        if (pn->n_cells == 0 || !(pn->t_end > pn->t_start) || (pn->n > 0 && (!pn->t || !pn->cell)))
            return ks_error_set(err, KS_EINVAL,
                                "raster plot: panel %zu needs cells, a time span and its spikes",
                                p);
    }
    int format = 0, w = 0, h = 0;
    int rc = ks_plot_check_target(path, &format, err);
    if (rc) return rc;
    rc = ks_plot_size(spec->width_px, spec->height_px, 1200, 600, &w, &h, err);
    if (rc) return rc;
    ks_plot_job job = {rs_render, spec};
    return ks_plot_output(&job, format, w, h, path, err);
}
