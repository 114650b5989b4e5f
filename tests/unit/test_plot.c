/* Plot module: files are written whole (PNG/SVG), the curves are drawn, and errors
 * leave nothing behind. Set KS_PLOT_KEEP_DIR to a folder to keep the pictures. */
#define _POSIX_C_SOURCE 200809L

#include "ks_test.h"

#include "ketsim/plot.h"

#include <cairo.h>
#include <dirent.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct plot_fixture {
    char dir[64];
    char path[512];
} plot_fixture;

/* Okabe-Ito blue and vermillion: the colours of series 0 and 1. */
static const unsigned char BLUE[3] = {0x00, 0x72, 0xB2};
static const unsigned char VERMILLION[3] = {0xD5, 0x5E, 0x00};

static int setup(void **state)
{
    plot_fixture *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ks_test_plot_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    plot_fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
            if (remove(p) != 0) rmdir(p);
        }
        closedir(d);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static const char *in_dir(plot_fixture *fx, const char *name)
{
    snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, name);
    return fx->path;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries in a folder other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

/* Pixels within `tol` of colour c in the rectangle [x0,x1) x [y0,y1). */
static long count_colour(cairo_surface_t *img, const unsigned char c[3], int tol, int x0, int y0,
                         int x1, int y1)
{
    cairo_surface_flush(img);
    const unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    long n = 0;
    for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
            uint32_t px;
            memcpy(&px, data + (size_t)y * (size_t)stride + (size_t)x * 4, sizeof px);
            int r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;
            if (abs(r - c[0]) <= tol && abs(g - c[1]) <= tol && abs(b - c[2]) <= tol) n++;
        }
    }
    return n;
}

/* A plasma curve after a 35 mg bolus at 0 h and an effect-site curve lagging it. */
#define N_PTS 200
typedef struct two_curves {
    double x[N_PTS], plasma[N_PTS], effect[N_PTS];
    ks_plot_series series[2];
    ks_plot_dose_mark doses[2];
} two_curves;

static void make_two_curves(two_curves *c, ks_plot_spec *spec)
{
    for (int i = 0; i < N_PTS; i++) {
        double t = 8.0 * i / (N_PTS - 1);
        double after = t >= 4.0 ? t - 4.0 : -1.0;
        c->x[i] = t;
        c->plasma[i] = 300.0 * exp(-1.2 * t) + (after >= 0 ? 200.0 * exp(-1.2 * after) : 0.0);
        c->effect[i] = 150.0 * (exp(-1.2 * t) - exp(-6.0 * t)) +
                       (after >= 0 ? 100.0 * (exp(-1.2 * after) - exp(-6.0 * after)) : 0.0);
    }
    c->series[0] = (ks_plot_series){.label = "plasma ketamine (ng/mL)", .x = c->x, .y = c->plasma, .n = N_PTS};
    c->series[1] = (ks_plot_series){.label = "effect site (ng/mL)", .x = c->x, .y = c->effect, .n = N_PTS, .dashed = 1};
    c->doses[0] = (ks_plot_dose_mark){0.0, 0.0, "35 mg iv"};
    c->doses[1] = (ks_plot_dose_mark){4.0, 0.5, "20 mg over 30 min"};
    *spec = (ks_plot_spec){.title = "Ketamine, two doses",
                           .subtitle = "test model",
                           .y_label = "concentration (ng/mL)",
                           .series = c->series,
                           .n_series = 2,
                           .doses = c->doses,
                           .n_doses = 2,
                           .threshold = NAN,
                           .footer = "Decision support only: a clinician decides.",
                           .width_px = 900,
                           .height_px = 500};
}

static void test_png_two_series(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    ks_error err = {0};
    make_two_curves(&c, &spec);
    const char *path = in_dir(fx, "two.png");
    assert_int_equal(ks_plot_write(&spec, path, &err), KS_OK);

    char *bytes = ks_test_read_file(path);
    assert_non_null(bytes);
    assert_memory_equal(bytes, "\x89PNG\r\n\x1a\n", 8);
    free(bytes);

    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(img), 900);
    assert_int_equal(cairo_image_surface_get_height(img), 500);
    /* Left half of the plot area, away from the legend: both curves are there. */
    assert_true(count_colour(img, BLUE, 40, 120, 80, 450, 400) > 100);
    assert_true(count_colour(img, VERMILLION, 40, 120, 80, 450, 400) > 50);
    cairo_surface_destroy(img);
    assert_int_equal(count_entries(fx->dir), 1); /* no temporary file left */
}

static void test_svg_two_series(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    make_two_curves(&c, &spec);
    const char *path = in_dir(fx, "two.SVG");
    assert_int_equal(ks_plot_write(&spec, path, NULL), KS_OK);
    char *text = ks_test_read_file(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "<svg"));
    assert_non_null(strstr(text, "width=\"900"));
    assert_non_null(strstr(text, "</svg>"));
    free(text);
    assert_int_equal(count_entries(fx->dir), 1);
}

static void test_default_size(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    make_two_curves(&c, &spec);
    spec.width_px = spec.height_px = 0;
    spec.subtitle = spec.footer = NULL;
    const char *path = in_dir(fx, "default.png");
    assert_int_equal(ks_plot_write(&spec, path, NULL), KS_OK);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_image_surface_get_width(img), 1000);
    assert_int_equal(cairo_image_surface_get_height(img), 600);
    cairo_surface_destroy(img);
}

static void test_unknown_extension(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    ks_error err = {0};
    make_two_curves(&c, &spec);
    const char *names[] = {"x.pdf", "x", "png", "x.png.bak", ".png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *path = in_dir(fx, names[i]);
        err = (ks_error){0};
        assert_int_equal(ks_plot_write(&spec, path, &err), KS_EINVAL);
        assert_int_equal(err.code, KS_EINVAL);
        assert_non_null(strstr(err.msg, "unknown file type"));
        assert_non_null(strstr(err.msg, names[i]));
        assert_false(file_exists(path));
    }
    assert_int_equal(count_entries(fx->dir), 0);
}

static void test_unwritable_path(void **state)
{
    (void)state;
    two_curves c;
    ks_plot_spec spec;
    ks_error err = {0};
    make_two_curves(&c, &spec);
    assert_int_equal(ks_plot_write(&spec, "/nonexistent-dir/x.png", &err), KS_EIO);
    assert_int_equal(err.code, KS_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.png"));
    assert_false(file_exists("/nonexistent-dir/x.png"));
}

/* The temporary file is created but cannot replace the target (a folder):
 * the call fails and the temporary file is gone. */
static void test_rename_failure_cleans_up(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    ks_error err = {0};
    make_two_curves(&c, &spec);
    const char *path = in_dir(fx, "busy.svg");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(ks_plot_write(&spec, path, &err), KS_EIO);
    assert_non_null(strstr(err.msg, "busy.svg"));
    assert_int_equal(count_entries(fx->dir), 1); /* only the folder */
}

static void test_replaces_existing_file(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    make_two_curves(&c, &spec);
    const char *path = in_dir(fx, "old.png");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old contents", f);
    fclose(f);
    assert_int_equal(ks_plot_write(&spec, path, NULL), KS_OK);
    char *bytes = ks_test_read_file(path);
    assert_non_null(bytes);
    assert_memory_equal(bytes, "\x89PNG", 4);
    free(bytes);
    assert_int_equal(count_entries(fx->dir), 1);
}

static void expect_einval(plot_fixture *fx, const ks_plot_spec *spec, const char *path,
                          const char *words)
{
    ks_error err = {0};
    assert_int_equal(ks_plot_write(spec, path, &err), KS_EINVAL);
    assert_int_equal(err.code, KS_EINVAL);
    if (!strstr(err.msg, words)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
    assert_int_equal(count_entries(fx->dir), 0);
}

static void test_invalid_arguments(void **state)
{
    plot_fixture *fx = *state;
    two_curves c;
    ks_plot_spec spec;
    make_two_curves(&c, &spec);
    const char *path = in_dir(fx, "bad.png");
    expect_einval(fx, NULL, path, "plot");
    expect_einval(fx, &spec, NULL, "output");
    expect_einval(fx, &spec, "", "output");

    ks_plot_spec s = spec;
    s.n_series = 0;
    expect_einval(fx, &s, path, "no series");
    s = spec;
    s.series = NULL;
    expect_einval(fx, &s, path, "no series");

    ks_plot_series series[2] = {c.series[0], c.series[1]};
    s.series = series;
    series[1].n = 0;
    expect_einval(fx, &s, path, "effect site");
    series[1] = c.series[1];
    series[1].y = NULL;
    expect_einval(fx, &s, path, "no y values");
    series[1] = c.series[1];
    series[0].x = NULL;
    expect_einval(fx, &s, path, "no x values");

    s = spec;
    s.n_doses = 3;
    s.doses = NULL;
    expect_einval(fx, &s, path, "dose");
    ks_plot_dose_mark bad_dose = {1.0, -2.0, NULL};
    s.doses = &bad_dose;
    s.n_doses = 1;
    expect_einval(fx, &s, path, "duration");

    s = spec;
    s.width_px = -5;
    expect_einval(fx, &s, path, "size");
}

/* Every y zero or NaN: still a plot (y from 0 to 1). */
static void test_flat_and_missing_values(void **state)
{
    plot_fixture *fx = *state;
    double x[4] = {0, 1, 2, 3}, zeros[4] = {0, 0, 0, 0}, nans[4] = {NAN, NAN, NAN, NAN};
    ks_plot_series series[2] = {{.label = "zero", .x = x, .y = zeros, .n = 4},
                                {.label = "missing", .x = x, .y = nans, .n = 4, .dashed = 1}};
    ks_plot_spec spec = {.title = "flat", .series = series, .n_series = 2, .threshold = NAN};
    const char *path = in_dir(fx, "flat.png");
    assert_int_equal(ks_plot_write(&spec, path, NULL), KS_OK);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(img);
}

/* Where to put a picture meant to be looked at: KS_PLOT_KEEP_DIR or the test folder. */
static const char *keep_path(plot_fixture *fx, const char *name)
{
    const char *keep = getenv("KS_PLOT_KEEP_DIR");
    if (!keep || !*keep) return in_dir(fx, name);
    snprintf(fx->path, sizeof fx->path, "%s/%s", keep, name);
    return fx->path;
}

/* Four weeks at ~5-minute resolution with an infusion every few days. */
static void test_long_course(void **state)
{
    plot_fixture *fx = *state;
    enum { N = 8064, ND = 6 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    ks_plot_dose_mark doses[ND];
    for (int d = 0; d < ND; d++)
        doses[d] = (ks_plot_dose_mark){24.0 * (1 + 4.5 * d), 40.0 / 60.0, "0.5 mg/kg over 40 min"};
    for (int i = 0; i < N; i++) {
        double t = 28.0 * 24.0 * i / (N - 1), c = 0.0;
        for (int d = 0; d < ND; d++) {
            double s = t - doses[d].time_h, dur = doses[d].duration_h;
            if (s < 0) continue;
            c += s < dur ? 240.0 * (1 - exp(-2.0 * s))
                         : 240.0 * (1 - exp(-2.0 * dur)) * exp(-0.9 * (s - dur));
        }
        x[i] = t;
        y[i] = (i > 3000 && i < 3100) ? NAN : c; /* a gap in the data */
    }
    ks_plot_series series = {.label = "plasma ketamine (ng/mL)", .x = x, .y = y, .n = N};
    ks_plot_spec spec = {.title = "Ketamine infusions over 4 weeks",
                         .subtitle = "Domino et al. 1982, three-compartment model",
                         .y_label = "concentration (ng/mL)",
                         .series = &series,
                         .n_series = 1,
                         .doses = doses,
                         .n_doses = ND,
                         .threshold = NAN,
                         .footer = "Decision support only: a clinician decides."};
    ks_error err = {0};
    const char *path = keep_path(fx, "long_course.png");
    assert_int_equal(ks_plot_write(&spec, path, &err), KS_OK);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_image_surface_get_width(img), 1000);
    assert_true(count_colour(img, BLUE, 40, 100, 60, 700, 520) > 300);
    cairo_surface_destroy(img);
    path = keep_path(fx, "long_course.svg");
    assert_int_equal(ks_plot_write(&spec, path, &err), KS_OK);
    free(x);
    free(y);
}

/* One day, one 40-minute infusion, plasma and effect site, with a threshold. */
static void test_one_day_threshold(void **state)
{
    plot_fixture *fx = *state;
    enum { N = 24 * 12 + 1 };
    double x[N], cp[N], ce[N];
    const double dur = 40.0 / 60.0, t0 = 1.0;
    for (int i = 0; i < N; i++) {
        double t = 24.0 * i / (N - 1), s = t - t0;
        x[i] = t;
        if (s < 0) {
            cp[i] = 0.0;
        } else if (s < dur) {
            cp[i] = 420.0 * (1 - exp(-3.0 * s));
        } else {
            cp[i] = 420.0 * (1 - exp(-3.0 * dur)) *
                    (0.7 * exp(-2.5 * (s - dur)) + 0.3 * exp(-0.25 * (s - dur)));
        }
        ce[i] =
            i == 0 ? 0.0 : ce[i - 1] + (cp[i] - ce[i - 1]) * (1 - exp(-3.0 * (x[i] - x[i - 1])));
    }
    ks_plot_series series[2] = {{.label = "plasma ketamine (ng/mL)", .x = x, .y = cp, .n = N},
                                {.label = "effect site (ng/mL)", .x = x, .y = ce, .n = N, .dashed = 1}};
    ks_plot_dose_mark dose = {t0, dur, "0.5 mg/kg iv over 40 min"};
    ks_plot_spec spec = {.title = "Ketamine 0.5 mg/kg over 40 minutes",
                         .subtitle = "70 kg adult; Domino et al. 1982",
                         .y_label = "concentration (ng/mL)",
                         .series = series,
                         .n_series = 2,
                         .doses = &dose,
                         .n_doses = 1,
                         .threshold = 150.0,
                         .threshold_label = "dissociation above ~150 ng/mL",
                         .footer = "Decision support only: a clinician decides."};
    const char *path = keep_path(fx, "one_day.png");
    assert_int_equal(ks_plot_write(&spec, path, NULL), KS_OK);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_true(count_colour(img, VERMILLION, 40, 100, 60, 600, 520) > 30);
    cairo_surface_destroy(img);
}

/* A calendar origin: a valid one draws (date ticks), an impossible one is refused and
 * leaves no file. */
static void test_calendar(void **state)
{
    plot_fixture *fx = *state;
    double x[3] = {0, 24 * 20, 24 * 40}, y[3] = {1, 2, 1};
    ks_plot_series series = {.label = "plasma", .x = x, .y = y, .n = 3};
    ks_plot_calendar cal = {2026, 11, 30, 9, 0};
    ks_plot_spec spec = {.title = "course",
                         .y_label = "concentration (ng/mL)",
                         .series = &series,
                         .n_series = 1,
                         .threshold = NAN,
                         .calendar = &cal};
    ks_error err = {0};
    assert_int_equal(ks_plot_write(&spec, in_dir(fx, "cal.png"), &err), KS_OK);
    assert_true(file_exists(in_dir(fx, "cal.png")));
    ks_plot_calendar bad = {2026, 13, 30, 9, 0};
    spec.calendar = &bad;
    assert_int_equal(ks_plot_write(&spec, in_dir(fx, "bad.png"), &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "2026-13-30"));
    assert_false(file_exists(in_dir(fx, "bad.png")));
}

/* Observed-versus-predicted: a PNG of the default size with both groups' colours
 * (first group blue, second vermillion); bad specs are refused and leave nothing. */
static void test_scatter(void **state)
{
    plot_fixture *fx = *state;
    const double ox[] = {10, 100, 300}, oy[] = {12, 90, 500}, px[] = {5, 50}, py[] = {4, 80};
    ks_plot_points g[2] = {{"model a", ox, oy, 3}, {"model b", px, py, 2}};
    const double folds[] = {1.25, 2.0};
    ks_plot_scatter_spec spec = {"t", NULL, "observed", "predicted", g, 2, folds, 2, NULL, 0, 0};
    ks_error err = {0};
    const char *path = in_dir(fx, "s.png");
    if (ks_plot_scatter_write(&spec, path, &err)) fail_msg("%s", err.msg);
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_image_surface_get_width(img), 900);
    assert_int_equal(cairo_image_surface_get_height(img), 700);
    /* Markers are filled at 75 % opacity over white; about 47 (circle) and 40 (square)
     * pixels each: the legend's marker plus 3 and 2 points, not the legend alone. */
    const unsigned char blue_fill[3] = {64, 149, 197}, verm_fill[3] = {224, 134, 64};
    assert_true(count_colour(img, blue_fill, 4, 0, 0, 900, 700) > 150);
    assert_true(count_colour(img, verm_fill, 4, 0, 0, 900, 700) > 100);
    cairo_surface_destroy(img);
    const double bad_fold[] = {1.0};
    spec.folds = bad_fold;
    spec.n_folds = 1;
    assert_int_equal(ks_plot_scatter_write(&spec, in_dir(fx, "b.png"), &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "fold band 1 is not above 1"));
    spec.n_folds = 0;
    assert_int_equal(ks_plot_scatter_write(&spec, in_dir(fx, "b.pdf"), &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "unknown file type"));
    spec.width_px = 100;
    assert_int_equal(ks_plot_scatter_write(&spec, in_dir(fx, "b.png"), &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    spec.n_groups = 0;
    assert_int_equal(ks_plot_scatter_write(&spec, in_dir(fx, "b.png"), &err), KS_EINVAL);
    assert_int_equal(count_entries(fx->dir), 1); /* only s.png */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_png_two_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_svg_two_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_failure_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaces_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flat_and_missing_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_course, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_day_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scatter, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* Let cairo and fontconfig free their caches, so LeakSanitizer and valgrind see
     * only leaks of our own. */
    cairo_debug_reset_static_data();
    FcFini();
    return failed;
}
