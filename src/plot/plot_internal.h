/* Pieces of the plot module shared by its two kinds of plot: curves against time
 * (plot.c) and observed-versus-predicted scatter plots (scatter.c). */
#ifndef KS_PLOT_INTERNAL_H
#define KS_PLOT_INTERNAL_H

#include <cairo.h>
#include "ketsim/error.h"

enum ks_plot_format { KS_PLOT_PNG = 1, KS_PLOT_SVG = 2 };

#define KS_PLOT_DEFAULT_W 1000
#define KS_PLOT_DEFAULT_H 600
#define KS_PLOT_MIN_W 320
#define KS_PLOT_MIN_H 240
#define KS_PLOT_MAX_PX 16384

typedef struct ks_plot_rgb {
    double r, g, b;
} ks_plot_rgb;

/* Draw the whole picture on a canvas of w x h device pixels; KS_ENOMEM on failure. */
typedef int (*ks_plot_render_fn)(cairo_t *cr, const void *data, int w, int h);
typedef struct ks_plot_job {
    ks_plot_render_fn render;
    const void *data;
} ks_plot_job;

/* The output file's format from its extension; KS_EINVAL for none or another. */
int ks_plot_check_target(const char *path, int *format, ks_error *err);

/* Canvas size: width/height, or the defaults for 0; KS_EINVAL outside the limits. */
int ks_plot_size(int width, int height, int def_w, int def_h, int *w, int *h, ks_error *err);

/* Render `job` to `path` whole or not at all (a temporary file renamed at the end). */
int ks_plot_output(const ks_plot_job *job, int format, int w, int h, const char *path,
                   ks_error *err);

void ks_plot_font(cairo_t *cr, double size, int bold, int italic);
double ks_plot_text_w(cairo_t *cr, const char *s);
void ks_plot_rgb_set(cairo_t *cr, ks_plot_rgb c, double alpha);
/* Text with its baseline at y; align 0 = left, 0.5 = centre, 1 = right. */
void ks_plot_show(cairo_t *cr, double x, double y, const char *s, double align);
double ks_plot_mid_baseline(cairo_t *cr, double y);
ks_plot_rgb ks_plot_grey(double v);
/* Okabe-Ito colours, ordered for contrast on white. */
ks_plot_rgb ks_plot_palette(size_t i);

#endif
