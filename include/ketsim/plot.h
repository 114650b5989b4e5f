/* ketsim: plots (PNG or SVG) drawn with cairo.
 *
 * A plot is a set of line series against time, with axes labelled with units,
 * a legend, dose marks (bolus as a tick, infusion as a bar spanning its duration),
 * an optional horizontal threshold line and a footer line. The file is written
 * whole or not at all (drawn to a temporary file in the same folder, then renamed).
 */
#ifndef KETSIM_PLOT_H
#define KETSIM_PLOT_H

#include <stddef.h>
#include "ketsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_plot_series {
    const char *label; /* legend text, e.g. "plasma ketamine (ng/mL)" */
    const double *x;   /* time in hours, non-decreasing */
    const double *y;   /* values; NaN points are skipped */
    size_t n;
    int dashed; /* 1 draws a dashed line (e.g. effect site) */
    /* Optional band drawn as a translucent fill behind the line, in the series'
     * colour (e.g. the 5th to 95th percentile): lower and upper values at the same x,
     * or NULL. Points where either is not finite break the band. */
    const double *band_lo, *band_hi;
} ks_plot_series;

typedef struct ks_plot_dose_mark {
    double time_h;
    double duration_h; /* 0 for a bolus or absorbed dose */
    const char *label; /* e.g. "35 mg iv" (may be NULL) */
} ks_plot_dose_mark;

/* A calendar date and clock time for time 0 of a plot. */
typedef struct ks_plot_calendar {
    int year, month, day; /* month 1..12 */
    int hour, minute;
} ks_plot_calendar;

typedef struct ks_plot_spec {
    const char *title;
    const char *subtitle; /* may be NULL (e.g. the model citation) */
    const char *y_label;  /* with unit, e.g. "concentration (ng/mL)" */
    const ks_plot_series *series;
    size_t n_series;
    const ks_plot_dose_mark *doses;
    size_t n_doses;
    double threshold;                 /* NaN for none */
    const char *threshold_label;      /* may be NULL */
    const char *footer;               /* may be NULL, e.g. the decision-support statement */
    int width_px, height_px;          /* 0 -> 1000 x 600 */
    const ks_plot_calendar *calendar; /* time 0 on the calendar (NULL: none). With one,
                                       * an axis in days is labelled with dates. */
} ks_plot_spec;

/* Draw `spec` to `path`; the format follows the extension (".png" or ".svg",
 * case-insensitive). The x axis is time; its unit is chosen from the span
 * (minutes under 2 h, hours up to 72 h, days beyond) and named on the axis.
 * Errors: KS_EINVAL (no series, empty series, unknown extension),
 * KS_EIO (cannot write; nothing is left at `path`). */
int ks_plot_write(const ks_plot_spec *spec, const char *path, ks_error *err);

/* Several plots stacked in one image (e.g. concentrations above, effects below), each
 * drawn as ks_plot_write draws it on its own share of the height. The first panel's
 * width_px/height_px give the size of one panel (0 -> 1000 x 600). At most 8 panels.
 * Errors: as ks_plot_write, the message naming the panel. */
int ks_plot_write_panels(const ks_plot_spec *specs, size_t n, const char *path, ks_error *err);

/* Observed-versus-predicted plots: groups of points (x observed, y predicted) on
 * log-log axes that span the same decades, with the line of identity and, for each
 * fold f in `folds`, the lines y = f x and y = x / f (the first dashed, the rest
 * dotted). Points that are not finite and positive are not drawn (a log axis has no
 * place for them); callers that must report them do so in their own output. */
typedef struct ks_plot_points {
    const char *label; /* legend text, e.g. the model name */
    const double *x, *y;
    size_t n;
} ks_plot_points;

typedef struct ks_plot_scatter_spec {
    const char *title;
    const char *subtitle; /* may be NULL */
    const char *x_label;  /* e.g. "observed (ratio to unit)" */
    const char *y_label;
    const ks_plot_points *groups;
    size_t n_groups;
    const double *folds; /* each > 1, e.g. {2.0, 1.25} */
    size_t n_folds;
    const char *footer;      /* may be NULL */
    int width_px, height_px; /* 0 -> 900 x 700 */
} ks_plot_scatter_spec;

/* Draw `spec` to `path` (.png or .svg), whole or not at all.
 * Errors: KS_EINVAL (no groups, a fold not above 1, unknown extension, bad size),
 * KS_EIO (cannot write; nothing is left at `path`), KS_ENOMEM. */
int ks_plot_scatter_write(const ks_plot_scatter_spec *spec, const char *path, ks_error *err);

/* Spike rasters: panels side by side (one per condition), each a tick per spike at
 * (time, cell). Cells are numbered from 0 (drawn top to bottom). */
#include <stdint.h>
typedef struct ks_plot_raster_panel {
    const char *label; /* e.g. "depressed" */
    const double *t;   /* spike times, in the unit of x_label */
    const uint32_t *cell;
    size_t n;
    size_t n_cells;
    double t_start, t_end;
} ks_plot_raster_panel;

typedef struct ks_plot_raster_spec {
    const char *title;
    const char *subtitle; /* may be NULL */
    const char *x_label;  /* with unit, e.g. "time (ms)" */
    const char *y_label;  /* e.g. "cell" */
    const ks_plot_raster_panel *panels;
    size_t n_panels; /* 1 to 8 */
    const char *footer;
    int width_px, height_px; /* 0 -> 1200 x 600 */
} ks_plot_raster_spec;

/* Draw `spec` to `path` (.png or .svg), whole or not at all.
 * Errors: KS_EINVAL (no panels, a panel without cells or time span, unknown extension,
 * bad size), KS_EIO, KS_ENOMEM. */
int ks_plot_raster_write(const ks_plot_raster_spec *spec, const char *path, ks_error *err);

/* Free the font caches that cairo and fontconfig keep for the life of the process.
 * Optional: call once at program exit, after the last plot, so that leak checkers
 * (valgrind, LeakSanitizer) see a clean exit. No plot may be drawn afterwards. */
void ks_plot_release_fonts(void);

#ifdef __cplusplus
}
#endif
#endif
