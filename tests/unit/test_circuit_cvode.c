/* The circuit's fixed-step exponential-Euler integrator against SUNDIALS CVODE (BDF,
 * tight tolerances) on one LHb cell: a healthy cell under a depolarising step, and a
 * depressed cell driven by fixed trains of GABA then glutamate pulses with ketamine
 * present (every state variable, block states included). Pass: the same number of
 * spikes at dt <= 0.005 ms; the errors in the first spike time and in the mean interspike
 * interval of the first 10 spikes shrink at first order as dt halves (the method
 * converges to the same solution); blocked NMDA fractions at the end within 1e-3.
 * The errors at the network's default step (0.05 ms) are printed and reported in
 * docs/circuit.md, not asserted. */
#include "ks_test.h"
#include "ketsim/circuit.h"

#include <cvode/cvode.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#define NV 11
#define MAXSPK 256

typedef struct scenario {
    ks_circuit_cell cell;
    ks_circuit_syn syn;
    ks_circuit_drug drug;
    double c_um;
    double t_end;
    double i_on, i_off, i_amp;
    double glu_period, glu_first, glu_last; /* pulse starts, ms (period 0: none) */
    double gaba_period, gaba_first, gaba_last;
    /* set during integration */
    double t_glu, t_gaba;
} scenario;

static double tr_at(double t, double period, double first, double last, double cdur, double cmax)
{
    if (period <= 0.0 || t < first || t >= last + cdur) return 0.0;
    double k = floor((t - first) / period);
    double start = first + k * period;
    return (t - start < cdur && start <= last) ? cmax : 0.0;
}

static void to_state(const double *y, ks_circuit_state *s)
{
    memcpy(s, y, sizeof *s);
}
static void from_state(const ks_circuit_state *s, double *y)
{
    memcpy(y, s, sizeof *s);
}

static int cv_rhs(sunrealtype t, N_Vector y, N_Vector yd, void *user)
{
    (void)t;
    scenario *sc = user;
    ks_circuit_state s, dy;
    to_state(N_VGetArrayPointer(y), &s);
    ks_circuit_cell_rhs(&sc->cell, &sc->syn, &sc->drug, &s, sc->t_glu, sc->t_gaba, sc->c_um, &dy);
    from_state(&dy, N_VGetArrayPointer(yd));
    return 0;
}

/* The inputs are piecewise constant; collect their edges. */
static size_t edges(const scenario *sc, double *e, size_t cap)
{
    size_t n = 0;
    e[n++] = sc->i_on;
    e[n++] = sc->i_off;
    const double per[2] = {sc->glu_period, sc->gaba_period};
    const double fst[2] = {sc->glu_first, sc->gaba_first};
    const double lst[2] = {sc->glu_last, sc->gaba_last};
    for (int k = 0; k < 2; k++)
        if (per[k] > 0)
            for (double t = fst[k]; t <= lst[k] + 1e-9 && n + 2 < cap; t += per[k]) {
                e[n++] = t;
                e[n++] = t + sc->syn.cdur_ms;
            }
    e[n++] = sc->t_end;
    /* sort */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && e[j] < e[j - 1]; j--) {
            double tmp = e[j];
            e[j] = e[j - 1];
            e[j - 1] = tmp;
        }
    return n;
}

static void set_inputs(scenario *sc, double t)
{
    sc->cell.i_app = (t >= sc->i_on && t < sc->i_off) ? sc->i_amp : 0.0;
    sc->t_glu =
        tr_at(t, sc->glu_period, sc->glu_first, sc->glu_last, sc->syn.cdur_ms, sc->syn.cmax_mm);
    sc->t_gaba =
        tr_at(t, sc->gaba_period, sc->gaba_first, sc->gaba_last, sc->syn.cdur_ms, sc->syn.cmax_mm);
}

static size_t run_cvode(scenario *sc, double *spk, ks_circuit_state *end)
{
    SUNContext ctx;
    assert_int_equal(SUNContext_Create(NULL, &ctx), 0);
    N_Vector y = N_VNew_Serial(NV, ctx);
    ks_circuit_state s;
    ks_circuit_state_rest(&sc->cell, -70.0, &s);
    from_state(&s, N_VGetArrayPointer(y));
    void *mem = CVodeCreate(CV_BDF, ctx);
    assert_int_equal(CVodeInit(mem, cv_rhs, 0.0, y), CV_SUCCESS);
    assert_int_equal(CVodeSStolerances(mem, 1e-10, 1e-10), CV_SUCCESS);
    SUNMatrix J = SUNDenseMatrix(NV, NV, ctx);
    SUNLinearSolver LS = SUNLinSol_Dense(y, J, ctx);
    assert_int_equal(CVodeSetLinearSolver(mem, LS, J), CV_SUCCESS);
    CVodeSetUserData(mem, sc);
    CVodeSetMaxNumSteps(mem, 10000000);
    double e[2048];
    size_t ne = edges(sc, e, 2048);
    double t = 0.0, vprev = s.v;
    size_t n = 0;
    for (size_t k = 0; k < ne; k++) {
        if (e[k] <= t) continue;
        set_inputs(sc, 0.5 * (t + e[k]));
        CVodeSetStopTime(mem, e[k]);
        const double h = 0.002; /* dense output for spike times */
        while (t < e[k] - 1e-12) {
            double tout = fmin(t + h, e[k]), tret;
            int rc = CVode(mem, tout, y, &tret, CV_NORMAL);
            assert_true(rc >= 0);
            double v = N_VGetArrayPointer(y)[0];
            if (vprev <= -20.0 && v > -20.0 && n < MAXSPK)
                spk[n++] = t + (tret - t) * (-20.0 - vprev) / (v - vprev);
            vprev = v;
            t = tret;
        }
        assert_int_equal(CVodeReInit(mem, t, y), CV_SUCCESS);
    }
    to_state(N_VGetArrayPointer(y), end);
    N_VDestroy(y);
    CVodeFree(&mem);
    SUNLinSolFree(LS);
    SUNMatDestroy(J);
    SUNContext_Free(&ctx);
    return n;
}

static size_t run_euler(scenario *sc, double dt, double *spk, ks_circuit_state *end)
{
    ks_circuit_state s;
    ks_circuit_state_rest(&sc->cell, -70.0, &s);
    size_t n = 0;
    long steps = lround(sc->t_end / dt);
    for (long k = 0; k < steps; k++) {
        double t = (double)k * dt;
        set_inputs(sc, t + 1e-9);
        double vo = s.v;
        ks_circuit_cell_step(&sc->cell, &sc->syn, &sc->drug, &s, dt, sc->t_glu, sc->t_gaba,
                             sc->c_um);
        if (vo <= -20.0 && s.v > -20.0 && n < MAXSPK) spk[n++] = t + dt * (-20.0 - vo) / (s.v - vo);
    }
    *end = s;
    return n;
}

/* Mean interspike interval of a train (ms). */
static double mean_isi(const double *t, size_t n)
{
    return (t[n - 1] - t[0]) / (double)(n - 1);
}

static void compare(scenario *sc, const char *name)
{
    double ref[MAXSPK], got[MAXSPK];
    ks_circuit_state sref, sgot;
    size_t nref = run_cvode(sc, ref, &sref);
    assert_true(nref >= 3);
    const double dts[4] = {0.0025, 0.005, 0.01, 0.05};
    double e_isi[4], e_first[4];
    for (int k = 0; k < 4; k++) {
        size_t n = run_euler(sc, dts[k], got, &sgot);
        assert_true(n >= 3);
        if (k < 2) assert_int_equal(n, nref);
        size_t m = n < nref ? n : nref;
        if (m > 10) m = 10;
        double isi = mean_isi(got, m), isi_ref = mean_isi(ref, m);
        e_isi[k] = fabs(isi - isi_ref) / isi_ref;
        e_first[k] = fabs(got[0] - ref[0]);
        printf("%s: dt %.4f ms: %zu spikes (CVODE %zu), first spike %+.3f ms, mean ISI of the "
               "first %zu %.3f vs %.3f ms (%+.2f%%), bound NMDA %.5f vs %.5f\n",
               name, dts[k], n, nref, got[0] - ref[0], m, isi, isi_ref,
               100.0 * (isi - isi_ref) / isi_ref, sgot.ob + sgot.cb, sref.ob + sref.cb);
        KS_ASSERT_CLOSE(sgot.ob, sref.ob, 0, 1e-3);
        KS_ASSERT_CLOSE(sgot.cb, sref.cb, 0, 1e-3);
    }
    /* The same ODE, solved at first order: halving the step (0.01 -> 0.005 -> 0.0025 ms)
     * shrinks both errors by a factor near 2 (at least 1.6). */
    for (int k = 0; k < 2; k++) {
        assert_true(e_isi[k] <= e_isi[k + 1] / 1.6);
        assert_true(e_first[k] <= e_first[k + 1] / 1.6);
    }
}

static void test_tonic_step(void **state)
{
    (void)state;
    scenario sc;
    memset(&sc, 0, sizeof sc);
    ks_circuit_cell_default(&sc.cell, 0);
    ks_circuit_syn_default(&sc.syn);
    ks_circuit_drug_default(&sc.drug);
    sc.t_end = 600.0;
    sc.i_on = 100.0;
    sc.i_off = 600.0;
    sc.i_amp = 1.0;
    compare(&sc, "healthy, +1 uA/cm2 step");
}

static void test_driven_depressed_with_ketamine(void **state)
{
    (void)state;
    scenario sc;
    memset(&sc, 0, sizeof sc);
    ks_circuit_cell_default(&sc.cell, 1);
    ks_circuit_syn_default(&sc.syn);
    ks_circuit_drug_default(&sc.drug);
    sc.c_um = 0.2;
    sc.t_end = 800.0;
    sc.i_on = sc.i_off = 0.0;
    sc.gaba_period = 10.0;
    sc.gaba_first = 100.0;
    sc.gaba_last = 300.0;
    sc.glu_period = 8.0;
    sc.glu_first = 300.0;
    sc.glu_last = 600.0;
    compare(&sc, "depressed, glutamate then GABA trains, 0.2 uM ketamine");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tonic_step),
        cmocka_unit_test(test_driven_depressed_with_ketamine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
