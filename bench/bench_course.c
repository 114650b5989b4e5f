/* ketsim bench: one 28-day course, timed inside the library, against a numerical
 * ODE baseline (SUNDIALS CVODE, BDF + dense Newton, as mrgsolve's/rxode2's LSODA
 * would integrate the same system).
 *
 * Course: model perez-ruixo-2021 (esketamine + noresketamine + effect site), 70 kg,
 * 0.5 mg/kg = 35 mg IV over 40 min on days 0, 2, 4, 7, 9, 11, simulated to 28 d on
 * a 5-minute grid (8065 output times), exactly as `ketsim simulate` builds it.
 *
 * Measured per simulation (clock_gettime(CLOCK_MONOTONIC), many repetitions,
 * median and minimum in microseconds):
 *   ketsim full      ks_sim_create + set_covariates + 6 x add_dose + set_times + run + free
 *   ketsim run warm  ks_sim_run again on the same sim (its step-matrix cache is filled)
 *   ketsim run cold  ks_sim_run after ks_sim_set_covariates (cache emptied; not timed)
 *   model load       ks_model_find + ks_model_load + ks_model_free (the JSON file)
 *   CSV write        ks_table_write of the 8065 x 4 table to a file
 *   CVODE            the same dx/dt = A x + u(t) (A from ks_sim_system_matrix),
 *                    restarted at every infusion start and end, output on the grid
 * Then the ratio CVODE / ketsim and the largest relative difference between the two
 * over every output value where ketsim > 1e-6 ng/mL.
 *
 * usage: bench_course [--models DIR] [--seconds S]   (S: time budget per measurement)
 */
#include "ketsim/ketsim.h"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the course */

#define N_DOSES 6
static const double DOSE_DAYS[N_DOSES] = {0, 2, 4, 7, 9, 11};
static const double WEIGHT_KG = 70.0, DOSE_MG_PER_KG = 0.5, INFUSION_H = 40.0 / 60.0;
static const double UNTIL_H = 28 * 24.0, EVERY_H = 5.0 / 60.0;
static const char *MODEL = "perez-ruixo-2021", *ROUTE = "iv";

typedef struct course {
    const ks_model *m;
    ks_covariates cov;
    ks_dose dose[N_DOSES];
    double *t;
    size_t nt;
} course;

/* The output grid exactly as `ketsim simulate --until --every` builds it. */
static double *make_grid(double until, double every, size_t *n)
{
    size_t k = (size_t)floor(until / every + 1e-9);
    int extra = fabs((double)k * every - until) > 1e-9 * until;
    *n = k + 1 + (size_t)extra;
    double *t = malloc(*n * sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i <= k; i++)
        t[i] = (double)i * every;
    t[extra ? k + 1 : k] = until;
    return t;
}

static void die(const char *what, const ks_error *err)
{
    fprintf(stderr, "bench_course: %s: %s\n", what, err && err->msg[0] ? err->msg : "failed");
    exit(1);
}

/* One whole simulation through the public API; the caller frees the sim. */
static ks_sim *ketsim_course(const course *c)
{
    ks_sim *s = NULL;
    ks_error err = {0};
    if (ks_sim_create(c->m, &s, &err)) die("ks_sim_create", &err);
    if (ks_sim_set_covariates(s, &c->cov, &err)) die("ks_sim_set_covariates", &err);
    for (int i = 0; i < N_DOSES; i++)
        if (ks_sim_add_dose(s, &c->dose[i], &err)) die("ks_sim_add_dose", &err);
    if (ks_sim_set_times(s, c->t, c->nt, &err)) die("ks_sim_set_times", &err);
    if (ks_sim_run(s, &err)) die("ks_sim_run", &err);
    return s;
}

/* ---------------------------------------------------------------- CVODE baseline */

typedef struct ode {
    size_t n;        /* states */
    const double *A; /* n x n row-major, per hour */
    int in_state;    /* state that receives the infusion */
    double u;        /* current infusion rate into in_state, mg/h */
    size_t n_out;
    const double *crow; /* n_out x n: output j = crow[j] . x (ng/mL) */
    double rtol, atol;
    long steps, rhs, jac; /* totals of the last run */
} ode;

static int ode_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
    (void)t;
    const ode *o = ud;
    const double *x = N_VGetArrayPointer(y);
    double *d = N_VGetArrayPointer(ydot);
    for (size_t i = 0; i < o->n; i++) {
        const double *r = o->A + i * o->n;
        double acc = 0.0;
        for (size_t j = 0; j < o->n; j++)
            acc += r[j] * x[j];
        d[i] = acc;
    }
    d[o->in_state] += o->u;
    return 0;
}

static int ode_jac(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *ud, N_Vector t1,
                   N_Vector t2, N_Vector t3)
{
    (void)t;
    (void)y;
    (void)fy;
    (void)t1;
    (void)t2;
    (void)t3;
    const ode *o = ud;
    for (size_t j = 0; j < o->n; j++) {
        sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
        for (size_t i = 0; i < o->n; i++)
            col[i] = o->A[i * o->n + j];
    }
    return 0;
}

static void record(const ode *o, const double *x, size_t it, size_t nt, double *out)
{
    for (size_t j = 0; j < o->n_out; j++) {
        const double *r = o->crow + j * o->n;
        double acc = 0.0;
        for (size_t k = 0; k < o->n; k++)
            acc += r[k] * x[k];
        out[j * nt + it] = acc;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The course through CVODE. Every infusion start and end is an event: the
 * integration stops there (tstop) and restarts (CVodeReInit), as mrgsolve and
 * rxode2 restart their solver at each dosing record. Outputs: out[j * nt + it]. */
static void cvode_course(SUNContext ctx, ode *o, const course *c, double *out)
{
    double ev[2 * N_DOSES + 1];
    size_t nev = 0;
    for (int i = 0; i < N_DOSES; i++) {
        ev[nev++] = c->dose[i].time_h;
        ev[nev++] = c->dose[i].time_h + c->dose[i].duration_h;
    }
    qsort(ev, nev, sizeof *ev, cmp_double);
    ev[nev++] = c->t[c->nt - 1];
    double rate = c->dose[0].amount_mg / c->dose[0].duration_h;

    N_Vector y = N_VNew_Serial((sunindextype)o->n, ctx);
    SUNMatrix J = SUNDenseMatrix((sunindextype)o->n, (sunindextype)o->n, ctx);
    SUNLinearSolver LS = SUNLinSol_Dense(y, J, ctx);
    void *mem = CVodeCreate(CV_BDF, ctx);
    if (!y || !J || !LS || !mem) die("CVODE setup", NULL);
    N_VConst(0.0, y);
    int bad = CVodeInit(mem, ode_rhs, 0.0, y) || CVodeSStolerances(mem, o->rtol, o->atol) ||
              CVodeSetUserData(mem, o) || CVodeSetLinearSolver(mem, LS, J) ||
              CVodeSetJacFn(mem, ode_jac) || CVodeSetMaxNumSteps(mem, 100000);
    if (bad) die("CVODE configuration", NULL);
    o->steps = o->rhs = o->jac = 0;
    double *x = N_VGetArrayPointer(y), tcur = 0.0;
    size_t it = 0;
    for (size_t k = 0; k + 1 < nev; k++) {
        double t0 = ev[k], t1 = ev[k + 1];
        if (t1 <= t0) continue;
        o->u = 0.0;
        for (int i = 0; i < N_DOSES; i++)
            if (c->dose[i].time_h <= t0 && c->dose[i].time_h + c->dose[i].duration_h > t0)
                o->u += rate;
        if (k > 0 && CVodeReInit(mem, t0, y)) die("CVodeReInit", NULL);
        if (CVodeSetStopTime(mem, t1)) die("CVodeSetStopTime", NULL);
        tcur = t0;
        /* Outputs in (t0, t1], plus those within rounding of tcur (e.g. the grid
         * point 8 x 5 min against the infusion end 40/60 h). */
        for (; it < c->nt && c->t[it] <= t1 * (1 + 1e-12); it++) {
            double tout = c->t[it];
            if (fabs(tout - tcur) > 1e-10 * fmax(1.0, fabs(tcur))) {
                if (CVode(mem, fmin(tout, t1), y, &tcur, CV_NORMAL) < 0) die("CVode", NULL);
            }
            record(o, x, it, c->nt, out);
        }
        if (fabs(t1 - tcur) > 1e-10 * fmax(1.0, t1) && CVode(mem, t1, y, &tcur, CV_NORMAL) < 0)
            die("CVode", NULL);
        long a = 0, b = 0, d = 0;
        CVodeGetNumSteps(mem, &a);
        CVodeGetNumRhsEvals(mem, &b);
        CVodeGetNumJacEvals(mem, &d);
        o->steps += a;
        o->rhs += b;
        o->jac += d;
    }
    if (it != c->nt) die("CVODE output grid", NULL);
    CVodeFree(&mem);
    SUNLinSolFree(LS);
    SUNMatDestroy(J);
    N_VDestroy(y);
}

/* Largest |cvode - ketsim| / ketsim over the values where ketsim > floor (ng/mL). */
typedef struct diff {
    double rel, t, value; /* largest relative difference, where, ketsim's value there */
    size_t j, n;
} diff;

static diff compare(const ks_sim *s, const double *cv, size_t nt, double floor_ng_ml)
{
    diff d = {0.0, 0.0, 0.0, 0, 0};
    for (size_t j = 0; j < ks_sim_n_outputs(s); j++) {
        const double *ks = ks_sim_output(s, j), *t = ks_sim_times(s);
        for (size_t it = 0; it < nt; it++) {
            if (!(ks[it] > floor_ng_ml)) continue;
            double r = fabs(cv[j * nt + it] - ks[it]) / ks[it];
            d.n++;
            if (r > d.rel) d = (diff){r, t[it], ks[it], j, d.n};
        }
    }
    return d;
}

/* ---------------------------------------------------------------- timing */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

typedef struct timing {
    int reps;
    double median, min;
} timing;

typedef void (*bench_fn)(void *ctx);

/* Run `prep` (untimed) then `fn` (timed) until `budget_s` seconds have been spent
 * in fn and at least min_reps runs were made (at most max_reps). */
static timing bench(bench_fn prep, bench_fn fn, void *ctx, double budget_s, int min_reps,
                    int max_reps)
{
    double *v = malloc((size_t)max_reps * sizeof *v), spent = 0.0;
    if (!v) die("out of memory", NULL);
    int n = 0;
    for (int w = 0; w < 3; w++) { /* warm-up: page faults, caches, lazy binding */
        if (prep) prep(ctx);
        fn(ctx);
    }
    while (n < max_reps && (n < min_reps || spent < budget_s * 1e6)) {
        if (prep) prep(ctx);
        double t0 = now_us();
        fn(ctx);
        v[n] = now_us() - t0;
        spent += v[n++];
    }
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    timing r = {n, n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), v[0]};
    free(v);
    return r;
}

typedef struct bctx {
    course *c;
    ks_sim *sim; /* for the run-only measurements */
    const char *models_dir;
    const char *csv_path;
    ode *o;
    SUNContext sun;
    double *cv_out;
} bctx;

static void b_full(void *p)
{
    ks_sim_free(ketsim_course(((bctx *)p)->c));
}

static void b_run(void *p)
{
    ks_error err = {0};
    if (ks_sim_run(((bctx *)p)->sim, &err)) die("ks_sim_run", &err);
}

/* Resetting the covariates rebuilds A and empties the step-matrix cache. */
static void b_cold_prep(void *p)
{
    bctx *b = p;
    ks_error err = {0};
    if (ks_sim_set_covariates(b->sim, &b->c->cov, &err)) die("ks_sim_set_covariates", &err);
}

static void b_load(void *p)
{
    bctx *b = p;
    char path[4096];
    ks_model *m = NULL;
    ks_error err = {0};
    if (ks_model_find(MODEL, b->models_dir, path, sizeof path, &err) ||
        ks_model_load(path, &m, &err))
        die("model load", &err);
    ks_model_free(m);
}

static void b_csv(void *p)
{
    bctx *b = p;
    size_t no = ks_sim_n_outputs(b->sim);
    const char *names[8];
    const double *cols[8];
    for (size_t j = 0; j < no && j < 8; j++) {
        names[j] = ks_sim_output_name(b->sim, j);
        cols[j] = ks_sim_output(b->sim, j);
    }
    ks_table t = {ks_sim_times(b->sim), ks_sim_n_times(b->sim), names, cols, no, NULL, NULL, 0};
    ks_error err = {0};
    if (ks_table_write(&t, KS_FORMAT_CSV, b->csv_path, NULL, &err)) die("ks_table_write", &err);
}

static void b_cvode(void *p)
{
    bctx *b = p;
    cvode_course(b->sun, b->o, b->c, b->cv_out);
}

/* ---------------------------------------------------------------- main */

/* The whole-process stages for `--once`: exit after the named stage, so that
 * hyperfine can time fresh processes stage by stage (page faults, syscalls and
 * dynamic linking included, unlike the in-process loops). */
enum { ONCE_NONE, ONCE_START, ONCE_LOAD, ONCE_SIM, ONCE_CSV };

static int once_stage(const char *a)
{
    const char *names[] = {"", "start", "load", "sim", "csv"};
    for (int i = ONCE_START; i <= ONCE_CSV; i++)
        if (strcmp(a, names[i]) == 0) return i;
    return -1;
}

static void row(const char *label, timing t)
{
    printf("| %s | %d | %.1f | %.1f |\n", label, t.reps, t.median, t.min);
}

static void diff_line(const char *what, const ks_sim *s, const double *cv, size_t nt)
{
    diff a = compare(s, cv, nt, 1e-6), b = compare(s, cv, nt, 1.0);
    printf("| %s | %.2e (%s = %.3g ng/mL at t = %.4g h) | %.2e |\n", what, a.rel,
           ks_sim_output_name(s, a.j), a.value, a.t, b.rel);
}

int main(int argc, char **argv)
{
    const char *models_dir = "models";
    double budget = 2.0;
    int once = ONCE_NONE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--models") == 0 && i + 1 < argc)
            models_dir = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (strcmp(argv[i], "--once") == 0 && i + 1 < argc && once_stage(argv[i + 1]) > 0)
            once = once_stage(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_course [--models DIR] [--seconds S] "
                            "[--once start|load|sim|csv]\n");
            return 2;
        }
    }
    if (once == ONCE_START) return 0;

    ks_error err = {0};
    char path[4096];
    ks_model *m = NULL;
    if (ks_model_find(MODEL, models_dir, path, sizeof path, &err) || ks_model_load(path, &m, &err))
        die("model", &err);
    course c = {.m = m};
    ks_covariates_set(&c.cov, "weight", WEIGHT_KG, NULL);
    for (int i = 0; i < N_DOSES; i++)
        c.dose[i] = (ks_dose){DOSE_DAYS[i] * 24.0, DOSE_MG_PER_KG * WEIGHT_KG, INFUSION_H, ROUTE};
    c.t = make_grid(UNTIL_H, EVERY_H, &c.nt);
    if (!c.t) die("out of memory", NULL);
    if (once == ONCE_LOAD) return 0;

    /* Reference run. */
    ks_sim *s = ketsim_course(&c);
    char tmpl[] = "/tmp/ketsim-bench-XXXXXX", csv[4200];
    if (!mkdtemp(tmpl)) die("mkdtemp", NULL);
    snprintf(csv, sizeof csv, "%s/course.csv", tmpl);
    bctx b = {&c, s, models_dir, csv, NULL, NULL, NULL};
    if (once == ONCE_SIM || once == ONCE_CSV) {
        if (once == ONCE_CSV) b_csv(&b);
        unlink(csv);
        rmdir(tmpl);
        return 0; /* the process exits: no frees, as a CLI may */
    }

    /* The same system for CVODE, from the public API. */
    size_t n = ks_sim_n_states(s), no = ks_sim_n_outputs(s);
    double *A = malloc(n * n * sizeof *A), *crow = calloc(no * n, sizeof *crow);
    double *cv_out = malloc(no * c.nt * sizeof *cv_out);
    if (!A || !crow || !cv_out) die("out of memory", NULL);
    if (ks_sim_system_matrix(s, A, &err)) die("ks_sim_system_matrix", &err);
    double frac = 0.0;
    if (ks_sim_route_input_fraction(s, ROUTE, c.dose[0].amount_mg, &frac, &err))
        die("ks_sim_route_input_fraction", &err);
    if (fabs(frac - 1.0) > 1e-12) die("the iv route is expected to deliver the whole dose", NULL);
    int in_state = -1;
    for (size_t i = 0; i < n; i++)
        if (ks_sim_state_kind(s, i) == 0 && strcmp(ks_sim_state_name(s, i), "central") == 0)
            in_state = (int)i;
    if (in_state < 0) die("no state \"central\"", NULL);
    /* Output j (ng/mL) = 1000 x (row of its AUC integrator in A) . x, since the
     * AUC state integrates that concentration in mg/L. */
    for (size_t j = 0; j < no; j++) {
        char want[160];
        const char *name = ks_sim_output_name(s, j);
        size_t len = strlen(name);
        snprintf(want, sizeof want, "auc_%.*s", (int)(len > 6 ? len - 6 : len),
                 name); /* -"_ng_ml" */
        int found = 0;
        for (size_t i = 0; i < n && !found; i++) {
            if (ks_sim_state_kind(s, i) != 4 || strcmp(ks_sim_state_name(s, i), want) != 0)
                continue;
            for (size_t k = 0; k < n; k++)
                crow[j * n + k] = 1000.0 * A[i * n + k];
            found = 1;
        }
        if (!found) die("no AUC state for an output", NULL);
    }
    SUNContext sun = NULL;
    if (SUNContext_Create(NULL, &sun)) die("SUNContext_Create", NULL);
    b.sun = sun;
    b.cv_out = cv_out;
    /* The tolerance sets: the brief's, rxode2's defaults (atol 1e-8, rtol 1e-6),
     * and a tight one to show that CVODE converges to ketsim. */
    ode o[3] = {{n, A, in_state, 0.0, no, crow, 1e-8, 1e-10, 0, 0, 0},
                {n, A, in_state, 0.0, no, crow, 1e-6, 1e-8, 0, 0, 0},
                {n, A, in_state, 0.0, no, crow, 1e-12, 1e-16, 0, 0, 0}};
    const char *olabel[3] = {"CVODE BDF dense, rtol 1e-8, atol 1e-10",
                             "CVODE BDF dense, rtol 1e-6, atol 1e-8 (rxode2's defaults)",
                             "CVODE BDF dense, rtol 1e-12, atol 1e-16"};

    timing t_full = bench(NULL, b_full, &b, budget, 50, 100000);
    timing t_warm = bench(NULL, b_run, &b, budget, 50, 100000);
    timing t_cold = bench(b_cold_prep, b_run, &b, budget, 50, 100000);
    timing t_load = bench(NULL, b_load, &b, budget, 50, 100000);
    b_run(&b); /* outputs valid again for the table and the comparison */
    timing t_csv = bench(NULL, b_csv, &b, budget, 50, 100000);
    timing t_cv[3];
    double *cv_keep = malloc(3 * no * c.nt * sizeof *cv_keep);
    if (!cv_keep) die("out of memory", NULL);
    for (int k = 0; k < 3; k++) {
        b.o = &o[k];
        t_cv[k] = bench(NULL, b_cvode, &b, budget, 20, 100000);
        memcpy(cv_keep + (size_t)k * no * c.nt, cv_out, no * c.nt * sizeof *cv_out);
    }
    unlink(csv);
    rmdir(tmpl);

    double cmax = 0.0;
    for (size_t it = 0; it < c.nt; it++)
        cmax = fmax(cmax, ks_sim_output(s, 0)[it]);
    printf("Course: model %s, %g kg, %g mg/kg = %g mg %s over %g min on days", MODEL, WEIGHT_KG,
           DOSE_MG_PER_KG, DOSE_MG_PER_KG * WEIGHT_KG, ROUTE, INFUSION_H * 60.0);
    for (int i = 0; i < N_DOSES; i++)
        printf("%s %g", i ? "," : "", DOSE_DAYS[i]);
    printf("; to %g d every %g min = %zu output times x %zu outputs (", UNTIL_H / 24.0,
           EVERY_H * 60.0, c.nt, no);
    for (size_t j = 0; j < no; j++)
        printf("%s%s", j ? ", " : "", ks_sim_output_name(s, j));
    printf("); %zu states. ketsim esketamine plasma Cmax %.4g ng/mL.\n\n", n, cmax);

    printf("| measurement (per simulation) | runs | median (us) | min (us) |\n");
    printf("|---|---:|---:|---:|\n");
    row("ketsim: create + covariates + 6 doses + times + run + free", t_full);
    row("ketsim: run only, step-matrix cache warm (re-run of the same sim)", t_warm);
    row("ketsim: run only, cache cold (after ks_sim_set_covariates, untimed)", t_cold);
    row("ketsim: model find + load + free (JSON)", t_load);
    row("ketsim: CSV table write, 8065 rows x 4 columns, to a file", t_csv);
    for (int k = 0; k < 3; k++)
        row(olabel[k], t_cv[k]);

    printf("\n| baseline | CVODE / ketsim full (median) | (min) | steps | RHS evals | "
           "Jacobian evals |\n|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < 3; k++)
        printf("| %s | %.1fx | %.1fx | %ld | %ld | %ld |\n", olabel[k],
               t_cv[k].median / t_full.median, t_cv[k].min / t_full.min, o[k].steps, o[k].rhs,
               o[k].jac);

    diff a = compare(s, cv_keep, c.nt, 1e-6);
    printf("\nCVODE vs ketsim, max relative difference over the %zu output values where ketsim > "
           "1e-6 ng/mL (and, last column, > 1 ng/mL):\n\n",
           a.n);
    printf("| baseline | max rel. diff, values > 1e-6 ng/mL (where) | values > 1 ng/mL |\n"
           "|---|---|---:|\n");
    for (int k = 0; k < 3; k++)
        diff_line(olabel[k], s, cv_keep + (size_t)k * no * c.nt, c.nt);

    SUNContext_Free(&sun);
    ks_sim_free(s);
    ks_model_free(m);
    free(A);
    free(crow);
    free(cv_out);
    free(cv_keep);
    free(c.t);
    return 0;
}
