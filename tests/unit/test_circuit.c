/* The LHb circuit module: single-cell behaviour, ketamine block and trapping, burst
 * detection on constructed trains, and the population's qualitative findings on a
 * small population (docs/circuit.md). */
#include "ks_test.h"
#include "ketsim/circuit.h"
#include "circuit/circuit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Simulate one cell without synaptic input; spikes (upward crossings of -20 mV) go to
 * spk (up to cap); i_app(t) = i_step during [t_on, t_off) ms, else 0. */
static size_t run_cell(const ks_circuit_cell *c0, double v0, double t_end, double dt, double t_on,
                       double t_off, double i_step, double *spk, size_t cap, double *v_end)
{
    ks_circuit_cell c = *c0;
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    ks_circuit_state s;
    ks_circuit_state_rest(&c, v0, &s);
    size_t n = 0;
    long steps = lround(t_end / dt);
    for (long k = 0; k < steps; k++) {
        double t = (double)k * dt;
        c.i_app = (t >= t_on && t < t_off) ? i_step : 0.0;
        double vo = s.v;
        ks_circuit_cell_step(&c, &sy, &d, &s, dt, 0.0, 0.0, 0.0);
        if (vo <= -20.0 && s.v > -20.0 && n < cap) spk[n++] = t + dt;
    }
    if (v_end) *v_end = s.v;
    return n;
}

/* Steady-state membrane current (uA/cm2) at v with every gate at its steady state, from
 * the library's ks_circuit_state_rest and ks_circuit_cell_rhs. NOT independent of the
 * step: both share the rate functions (rates_at in src/circuit/neuron.c) with
 * ks_circuit_cell_step, so a wrong rate formula would move the zero of iss and the
 * stepped cell's rest alike. What it checks is that the exponential-Euler step settles
 * where the right-hand side is zero (a step/rhs inconsistency), not the formulas. */
static double iss(const ks_circuit_cell *c, double v)
{
    ks_circuit_state s;
    ks_circuit_state_rest(c, v, &s);
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    ks_circuit_state dy;
    ks_circuit_cell_rhs(c, &sy, &d, &s, 0.0, 0.0, 0.0, &dy);
    return -dy.v * c->c_m; /* outward positive */
}

static void test_resting_potential(void **state)
{
    (void)state;
    ks_circuit_cell dep, hea;
    ks_circuit_cell_default(&dep, 1);
    ks_circuit_cell_default(&hea, 0);
    double spk[400], v_end;
    /* Depressed (Kir4.1 up): silent, at rest at the zero of the steady-state I-V. */
    size_t n = run_cell(&dep, -70.0, 3000.0, 0.05, 0, 0, 0, spk, 400, &v_end);
    assert_int_equal(n, 0);
    double lo = -95.0, hi = -75.0;
    assert_true(iss(&dep, lo) < 0.0 && iss(&dep, hi) > 0.0);
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (iss(&dep, mid) < 0.0)
            lo = mid;
        else
            hi = mid;
    }
    KS_ASSERT_CLOSE(v_end, 0.5 * (lo + hi), 0.0, 0.05);
    /* The rest sits where the T channel is de-inactivated (h_inf > 0.5 at V+2 < -81). */
    assert_true(v_end < -83.0);
    /* Healthy (Kir4.1 normal): fires on its own, tonically (no burst). */
    n = run_cell(&hea, -70.0, 3000.0, 0.05, 0, 0, 0, spk, 400, NULL);
    assert_true(n >= 10);
    ks_circuit_burst_rule rule;
    ks_circuit_burst_rule_default(&rule);
    ks_circuit_train_stats st;
    assert_int_equal(ks_circuit_bursts(spk, n, &rule, &st, NULL), KS_OK);
    assert_int_equal(st.kind, KS_CIRCUIT_TONIC);
    /* Stronger Kir hyperpolarises: the silent rest falls monotonically with g_kir. */
    double prev = 0.0;
    for (int k = 0; k < 4; k++) {
        ks_circuit_cell c = dep;
        c.g_kir = 1.0 + 0.5 * k;
        assert_int_equal(run_cell(&c, -70.0, 2000.0, 0.05, 0, 0, 0, spk, 400, &v_end), 0);
        if (k > 0) assert_true(v_end < prev - 0.5);
        prev = v_end;
    }
}

static void test_rebound_burst(void **state)
{
    (void)state;
    ks_circuit_cell c;
    ks_circuit_cell_default(&c, 0);
    double spk[400];
    /* Healthy cell, hyperpolarised by -1 uA/cm2 for 500 ms from t = 2000 ms. */
    size_t n = run_cell(&c, -70.0, 2600.0, 0.05, 2000.0, 2500.0, -1.0, spk, 400, NULL);
    size_t after = 0, first = n;
    for (size_t i = 0; i < n; i++)
        if (spk[i] > 2500.0 && spk[i] < 2560.0) {
            if (first == n) first = i;
            after++;
        }
    assert_true(after >= 3); /* a rebound burst of at least 3 spikes within 60 ms */
    double min_isi = INFINITY;
    for (size_t i = first + 1; i < first + after; i++)
        min_isi = fmin(min_isi, spk[i] - spk[i - 1]);
    assert_true(min_isi < 15.0);
    /* Without the T current: at most one spike in the same 60 ms (no burst). */
    c.g_t = 0.0;
    n = run_cell(&c, -70.0, 2600.0, 0.05, 2000.0, 2500.0, -1.0, spk, 400, NULL);
    after = 0;
    for (size_t i = 0; i < n; i++)
        if (spk[i] > 2500.0 && spk[i] < 2560.0) after++;
    assert_true(after <= 1);
}

static void test_tonic_depolarisation(void **state)
{
    (void)state;
    ks_circuit_cell c;
    ks_circuit_cell_default(&c, 0);
    double spk[2000];
    double rate[2];
    const double amps[2] = {0.5, 1.5};
    for (int k = 0; k < 2; k++) {
        size_t n = run_cell(&c, -70.0, 3000.0, 0.05, 0.0, 3000.0, amps[k], spk, 2000, NULL);
        /* regular firing over the last 2 s: coefficient of variation of ISIs < 0.05 */
        double s = 0, s2 = 0;
        size_t m = 0;
        for (size_t i = 1; i < n; i++)
            if (spk[i - 1] > 1000.0) {
                double isi = spk[i] - spk[i - 1];
                s += isi;
                s2 += isi * isi;
                m++;
            }
        assert_true(m >= 10);
        double mean = s / (double)m, sd = sqrt(fmax(0.0, s2 / (double)m - mean * mean));
        assert_true(sd / mean < 0.05);
        rate[k] = 1000.0 / mean;
    }
    assert_true(rate[1] > 1.5 * rate[0]); /* rate grows with the depolarising current */
}

static void test_block_fraction(void **state)
{
    (void)state;
    ks_circuit_block_estimate e;
    ks_circuit_estimate_block(&e);
    /* kon from the open time: 1/(0.68*3.26) - 1/3.26 per ms per uM */
    KS_ASSERT_CLOSE(e.kon_per_um_ms, 1.0 / (0.68 * 3.26) - 1.0 / 3.26, 1e-12, 0);
    KS_ASSERT_CLOSE(e.kd_um, sqrt((0.1 * 0.53 / 0.47) * (1.0 * 0.24 / 0.76)), 1e-12, 0);
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    /* The mismatch the estimate reports (effective rates): the open-state exit rate of
     * the model's right-hand side at 1 uM, with O = 1 and no transmitter, is beta + kon;
     * its open dwell relative to control is 0.044, far from Orser's 0.68. */
    {
        ks_circuit_cell cell;
        ks_circuit_cell_default(&cell, 1);
        ks_circuit_state s0, dy;
        ks_circuit_state_rest(&cell, -70.0, &s0);
        s0.o_nmda = 1.0;
        ks_circuit_cell_rhs(&cell, &sy, &d, &s0, 0.0, 0.0, 1.0, &dy);
        double exit_rate = -dy.o_nmda; /* /ms */
        KS_ASSERT_CLOSE(e.model_open_time_ratio_1um, sy.beta_nmda / exit_rate, 1e-12, 0);
        KS_ASSERT_CLOSE(e.model_open_time_ratio_1um, 0.0437, 0, 0.0005);
        KS_ASSERT_CLOSE(e.model_tau_open_ms, 1.0 / 0.0066, 1e-9, 0);
        /* escape before closing: 0.80 in the model, 0.08 at Orser's open time */
        KS_ASSERT_CLOSE(e.escape_before_close_model, 0.805, 0, 0.005);
        KS_ASSERT_CLOSE(e.escape_before_close_orser, 0.0815, 0, 0.005);
        /* the outside-out figures read as Kd: 1.70 and 5.15 uM, 9 and 27 times Kd */
        KS_ASSERT_CLOSE(e.oo_kd_um[0], 0.63 / 0.37, 1e-12, 0);
        KS_ASSERT_CLOSE(e.oo_kd_um[1], 3.4 / 0.66, 1e-12, 0);
        KS_ASSERT_CLOSE(e.oo_kd_over_kd[0], 9.02, 0, 0.05);
        KS_ASSERT_CLOSE(e.oo_kd_over_kd[1], 27.3, 0, 0.1);
    }
    /* Under activity the bound fraction reaches c/(c + Kd) for constant c. */
    const double conc[3] = {0.05, 0.3, 3.0};
    for (int k = 0; k < 3; k++) {
        double t[3] = {0.0, 0.5, 1.0}, c[3] = {conc[k], conc[k], conc[k]}, b[3], tr[3];
        assert_int_equal(ks_circuit_block_course(&sy, &d, 20.0, 7, 0, 0, t, c, 3, b, tr, NULL),
                         KS_OK);
        double want = conc[k] / (conc[k] + e.kd_um);
        KS_ASSERT_CLOSE(b[2], want, 0.02, 0.0);
        KS_ASSERT_CLOSE(ks_circuit_block_equilibrium(&d, conc[k]), want, 1e-12, 0);
    }
    /* The population integrator agrees on the steady block fraction (one cell). */
    ks_circuit_config cfg;
    ks_circuit_config_default(&cfg);
    cfg.n_cells = 1;
    cfg.c_um = 0.3;
    cfg.duration_ms = 2000.0;
    cfg.warmup_ms = 3000.0;
    cfg.hetero = 0.0;
    ks_circuit_result r;
    assert_int_equal(ks_circuit_run(&cfg, &r, NULL), KS_OK);
    KS_ASSERT_CLOSE(r.block_end, 0.3 / (0.3 + e.kd_um), 0.05, 0.0);
    ks_circuit_result_free(&r);
}

static void test_trapping(void **state)
{
    (void)state;
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    /* Load: 1 uM for 1 h under 20 Hz of input. */
    double tl[2] = {0.0, 1.0}, cl[2] = {1.0, 1.0}, bl[2], trl[2];
    assert_int_equal(ks_circuit_block_course(&sy, &d, 20.0, 3, 0, 0, tl, cl, 2, bl, trl, NULL),
                     KS_OK);
    KS_ASSERT_CLOSE(bl[1], ks_circuit_block_equilibrium(&d, 1.0), 0.02, 0);
    double ob0 = bl[1] - trl[1], cb0 = trl[1];
    /* Wash out (c = 0) with no input: open-blocked channels either lose the drug
     * (koff) or close on it (beta); the closed ones stay trapped for good. */
    double keep = cb0 + ob0 * sy.beta_nmda / (sy.beta_nmda + d.koff_per_ms);
    double t0[3] = {0.0, 1.0, 10.0}, c0[3] = {0, 0, 0}, b0[3], tr0[3];
    assert_int_equal(ks_circuit_block_course(&sy, &d, 0.0, 3, ob0, cb0, t0, c0, 3, b0, tr0, NULL),
                     KS_OK);
    KS_ASSERT_CLOSE(b0[1], keep, 1e-9, 0);
    KS_ASSERT_CLOSE(b0[2], keep, 1e-9, 0);
    KS_ASSERT_CLOSE(tr0[2], keep, 1e-9, 0);
    /* With input the trapped drug leaves, the faster the more input. */
    const double rates[3] = {0.01, 0.1, 1.0};
    double left[3];
    for (int k = 0; k < 3; k++) {
        double t[2] = {0.0, 0.25}, c[2] = {0, 0}, b[2], tr[2];
        assert_int_equal(
            ks_circuit_block_course(&sy, &d, rates[k], 3, ob0, cb0, t, c, 2, b, tr, NULL), KS_OK);
        left[k] = b[1];
    }
    assert_true(left[0] < keep - 0.05);
    assert_true(left[1] < 0.5 * left[0]);
    assert_true(left[2] < 1e-3);
    /* The population integrator: one cell, washed out, 5 s with and without input. */
    ks_circuit_config cfg;
    ks_circuit_config_default(&cfg);
    cfg.n_cells = 1;
    cfg.hetero = 0.0;
    cfg.c_um = 0.0;
    cfg.ob0 = 0.0; /* all trapped: without input nothing moves */
    cfg.cb0 = cb0;
    cfg.warmup_ms = 0.0;
    cfg.duration_ms = 5000.0;
    cfg.rate_glu_hz = 0.0;
    ks_circuit_result r;
    assert_int_equal(ks_circuit_run(&cfg, &r, NULL), KS_OK);
    KS_ASSERT_CLOSE(r.block_end, cb0, 1e-12, 0);
    ks_circuit_result_free(&r);
    cfg.rate_glu_hz = 20.0;
    assert_int_equal(ks_circuit_run(&cfg, &r, NULL), KS_OK);
    assert_true(r.block_end < 0.5 * cb0);
    ks_circuit_result_free(&r);
}

static void test_block_course_input(void **state)
{
    (void)state;
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    /* No input, no block: the drug enters only open channels. */
    double t[3] = {0.0, 1.0, 2.0}, c[3] = {1.0, 1.0, 1.0}, b[3], tr[3];
    assert_int_equal(ks_circuit_block_course(&sy, &d, 0.0, 1, 0, 0, t, c, 3, b, tr, NULL), KS_OK);
    assert_true(b[2] == 0.0);
    /* Bad input is refused. */
    double tb[2] = {1.0, 0.5}, cb[2] = {0, 0}, o1[2], o2[2];
    ks_error err = {0};
    assert_int_equal(ks_circuit_block_course(&sy, &d, 1.0, 1, 0, 0, tb, cb, 2, o1, o2, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "time 1"));
    assert_int_equal(ks_circuit_block_course(&sy, &d, 1.0, 1, 0.7, 0.7, t, c, 3, o1, o2, NULL),
                     KS_EINVAL);
}

static void test_burst_detection(void **state)
{
    (void)state;
    ks_circuit_burst_rule r;
    ks_circuit_burst_rule_default(&r);
    ks_circuit_train_stats st;
    double t[64];
    /* regular 10 Hz: tonic, no burst */
    for (int i = 0; i < 20; i++)
        t[i] = 100.0 * i;
    assert_int_equal(ks_circuit_bursts(t, 20, &r, &st, NULL), KS_OK);
    assert_int_equal(st.kind, KS_CIRCUIT_TONIC);
    assert_int_equal(st.n_bursts, 0);
    /* three bursts of 4 spikes (5 ms apart) every 500 ms, plus one lone spike */
    size_t n = 0;
    for (int b = 0; b < 3; b++)
        for (int k = 0; k < 4; k++)
            t[n++] = 200.0 + 500.0 * b + 5.0 * k;
    t[n++] = 2000.0;
    assert_int_equal(ks_circuit_bursts(t, n, &r, &st, NULL), KS_OK);
    assert_int_equal(st.n_bursts, 3);
    assert_int_equal(st.n_burst_spikes, 12);
    assert_int_equal(st.n_spikes, 13);
    assert_int_equal(st.kind, KS_CIRCUIT_BURSTING);
    /* a doublet 50 ms after a spike is not a burst (no preceding silence) */
    double u[3] = {100.0, 150.0, 155.0};
    assert_int_equal(ks_circuit_bursts(u, 3, &r, &st, NULL), KS_OK);
    assert_int_equal(st.n_bursts, 0);
    /* the same doublet after 150 ms of silence is one */
    u[1] = 250.0;
    u[2] = 255.0;
    assert_int_equal(ks_circuit_bursts(u, 3, &r, &st, NULL), KS_OK);
    assert_int_equal(st.n_bursts, 1);
    assert_int_equal(st.kind, KS_CIRCUIT_BURSTING);
    /* an interval just over max_isi ends the run */
    double w[3] = {0.0, 20.5, 41.0};
    assert_int_equal(ks_circuit_bursts(w, 3, &r, &st, NULL), KS_OK);
    assert_int_equal(st.n_bursts, 0);
    /* empty: silent; non-increasing: refused */
    assert_int_equal(ks_circuit_bursts(NULL, 0, &r, &st, NULL), KS_OK);
    assert_int_equal(st.kind, KS_CIRCUIT_SILENT);
    double bad[2] = {5.0, 5.0};
    ks_error err = {0};
    assert_int_equal(ks_circuit_bursts(bad, 2, &r, &st, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "time 1"));
}

static double bursting(ks_circuit_config *cfg)
{
    ks_circuit_result r;
    assert_int_equal(ks_circuit_run(cfg, &r, NULL), KS_OK);
    double f = r.frac_bursting;
    ks_circuit_result_free(&r);
    return f;
}

static void test_population_findings(void **state)
{
    (void)state;
    ks_circuit_config cfg;
    ks_circuit_config_default(&cfg);
    cfg.n_cells = 40;
    cfg.duration_ms = 1500.0;
    cfg.warmup_ms = 300.0;
    double dep = bursting(&cfg);
    ks_circuit_config h = cfg;
    ks_circuit_cell_default(&h.cell, 0);
    double hea = bursting(&h);
    ks_circuit_config non = cfg;
    non.cell.g_nmda = 0.0;
    double no_nmda = bursting(&non);
    ks_circuit_config not = cfg;
    not .cell.g_t = 0.0;
    double no_t = bursting(&not );
    ks_circuit_config k = cfg;
    k.c_um = 1.0;
    double ket = bursting(&k);
    assert_true(dep >= 0.3);
    assert_true(hea <= 0.05);
    assert_true(no_nmda <= 0.25 * dep);
    assert_true(no_t == 0.0);
    assert_true(ket <= 0.5 * dep);
    /* The same cells whatever the population size: cell i's stream depends on i only. */
    ks_circuit_config small = cfg;
    small.n_cells = 10;
    small.raster_cells = 10;
    ks_circuit_config big = cfg;
    big.raster_cells = 10;
    ks_circuit_result a, b;
    assert_int_equal(ks_circuit_run(&small, &a, NULL), KS_OK);
    assert_int_equal(ks_circuit_run(&big, &b, NULL), KS_OK);
    assert_int_equal(a.n_raster, b.n_raster);
    for (size_t i = 0; i < a.n_raster; i++) {
        assert_true(a.raster_t_ms[i] == b.raster_t_ms[i]);
        assert_int_equal(a.raster_cell[i], b.raster_cell[i]);
    }
    ks_circuit_result_free(&a);
    ks_circuit_result_free(&b);
    /* bad configuration is refused with the field named */
    ks_circuit_config bad = cfg;
    bad.dt_ms = 0.5;
    ks_error err = {0};
    ks_circuit_result r;
    assert_int_equal(ks_circuit_run(&bad, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "dt"));
}

/* The population's tabulated step against the direct formulas: one step from many
 * states, every variable within 1e-6 (interpolation only); exact outside the table. */
static void test_table_step(void **state)
{
    (void)state;
    ks_circuit_cell c;
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_cell_default(&c, 1);
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    ks_circuit_table tab;
    assert_int_equal(ks_circuit_table_init(&tab, &c, &sy, &d, 0.05, 0.3), KS_OK);
    double worst = 0.0, worst_out = 0.0;
    unsigned seed = 12345;
    for (int k = 0; k < 4000; k++) {
        ks_circuit_state s;
        seed = seed * 1103515245u + 12345u;
        double v = -140.0 + 190.0 * (double)(seed >> 8) / 16777216.0; /* -140 .. 50 mV */
        ks_circuit_state_rest(&c, v, &s);
        s.m = 0.3;
        s.h = 0.6;
        s.n = 0.4;
        s.r_ampa = 0.2;
        s.r_gaba = 0.1;
        s.o_nmda = 0.2;
        s.ob = 0.1;
        s.cb = 0.3;
        int glu = k & 1, gaba = (k >> 1) & 1;
        ks_circuit_state a = s, b = s;
        ks_circuit_table_step(&tab, &c, &a, glu, gaba);
        ks_circuit_cell_step(&c, &sy, &d, &b, 0.05, glu ? sy.cmax_mm : 0.0, gaba ? sy.cmax_mm : 0.0,
                             0.3);
        double pa[11], pb[11];
        _Static_assert(sizeof a == sizeof pa, "ks_circuit_state is 11 doubles");
        memcpy(pa, &a, sizeof pa);
        memcpy(pb, &b, sizeof pb);
        for (int j = 0; j < 11; j++) {
            double diff = fabs(pa[j] - pb[j]);
            if (v < KS_TABLE_VMIN)
                worst_out = fmax(worst_out, diff);
            else
                worst = fmax(worst, diff);
        }
    }
    ks_circuit_table_free(&tab);
    assert_true(worst < 1e-6);
    assert_true(worst > 0.0); /* it is an interpolation, not the same code */
    assert_true(worst_out < 1e-12);
}

/* The course after a dose: the block course under the population's input, and the
 * populations at sample times start from it (more block, less bursting). */
static void test_course(void **state)
{
    (void)state;
    ks_circuit_config cfg;
    ks_circuit_config_default(&cfg);
    cfg.n_cells = 30;
    cfg.duration_ms = 1000.0;
    cfg.warmup_ms = 200.0;
    double t[4] = {0.0, 0.5, 1.0, 2.0}, c[4] = {0.0, 1.0, 1.0, 0.0};
    double s[2] = {0.0, 1.0};
    ks_circuit_course co;
    assert_int_equal(ks_circuit_course_run(&cfg, t, c, 4, s, 2, NULL, NULL, &co, NULL), KS_OK);
    double b[4], tr[4];
    assert_int_equal(ks_circuit_block_course(&cfg.syn, &cfg.drug, cfg.rate_glu_hz, cfg.seed, 0, 0,
                                             t, c, 4, b, tr, NULL),
                     KS_OK);
    for (int i = 0; i < 4; i++) {
        KS_ASSERT_CLOSE(co.bound[i], b[i], 0, 0);
        KS_ASSERT_CLOSE(co.trapped[i], tr[i], 0, 0);
    }
    KS_ASSERT_CLOSE(co.sample_c_um[1], 1.0, 0, 0);
    assert_true(co.samples[1].block_end > 0.7);
    assert_true(co.samples[1].frac_bursting < 0.5 * co.samples[0].frac_bursting);
    ks_circuit_course_free(&co);
    double bad[1] = {3.0};
    ks_error err = {0};
    assert_int_equal(ks_circuit_course_run(&cfg, t, c, 4, bad, 1, NULL, NULL, &co, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "outside"));
}

/* Every parameter is checked, the error names it; no run returns results for a
 * configuration it cannot simulate (review issue 8, finding 4). */
static void test_config_check(void **state)
{
    (void)state;
    ks_circuit_config cfg;
    ks_circuit_config_default(&cfg);
    cfg.n_cells = 2;
    cfg.duration_ms = 20.0;
    cfg.warmup_ms = 0.0;
    ks_error err = {0};
    assert_int_equal(ks_circuit_config_check(&cfg, &err), KS_OK);
    ks_circuit_result r;
    struct {
        const char *field;
        double *x;
        double bad;
    } cases[] = {
        {"cell.c_m", &cfg.cell.c_m, 0.0},
        {"cell.g_na", &cfg.cell.g_na, -50.0},
        {"cell.g_kir", &cfg.cell.g_kir, NAN},
        {"cell.e_gaba", &cfg.cell.e_gaba, -1e9},
        {"cell.t_phi_h", &cfg.cell.t_phi_h, 0.0},
        {"cell.mg_mm", &cfg.cell.mg_mm, -1.0},
        {"cell.i_app", &cfg.cell.i_app, INFINITY},
        {"syn.cdur_ms", &cfg.syn.cdur_ms, -1.0},
        {"syn.beta_nmda", &cfg.syn.beta_nmda, 0.0},
        {"syn.alpha_gaba", &cfg.syn.alpha_gaba, -0.5},
        {"syn.deadtime_ms", &cfg.syn.deadtime_ms, -1.0},
        {"drug.koff_per_ms", &cfg.drug.koff_per_ms, -1.0},
        {"drug.kon_per_um_ms", &cfg.drug.kon_per_um_ms, NAN},
        {"dt_ms", &cfg.dt_ms, 1e-20},
        {"dt_ms", &cfg.dt_ms, 0.0},
        {"duration_ms", &cfg.duration_ms, 0.01}, /* under half a step of 0.05 ms: 0 steps */
        {"duration_ms", &cfg.duration_ms, -1.0},
        {"warmup_ms", &cfg.warmup_ms, NAN},
        {"rate_gaba_hz", &cfg.rate_gaba_hz, -1.0},
        {"hetero", &cfg.hetero, 1.0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        double keep = *cases[k].x;
        *cases[k].x = cases[k].bad;
        memset(&err, 0, sizeof err);
        assert_int_equal(ks_circuit_run(&cfg, &r, &err), KS_EINVAL);
        if (!strstr(err.msg, cases[k].field))
            fail_msg("%s = %g: message \"%s\" does not name it", cases[k].field, cases[k].bad,
                     err.msg);
        *cases[k].x = keep;
    }
    /* a step count beyond the cap is an error, not a clamp (the old code overflowed
     * lround and returned every cell silent at 0 mV) */
    cfg.dt_ms = KS_CIRCUIT_DT_MIN_MS;
    cfg.duration_ms = 1e6; /* 1e10 steps */
    memset(&err, 0, sizeof err);
    assert_int_equal(ks_circuit_run(&cfg, &r, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "steps"));
    /* one step exactly is accepted and gives a finite mean potential */
    cfg.dt_ms = 0.05;
    cfg.duration_ms = 0.05;
    assert_int_equal(ks_circuit_run(&cfg, &r, &err), KS_OK);
    assert_true(isfinite(r.v_mean_mv) && r.v_mean_mv < -60.0);
    ks_circuit_result_free(&r);
    /* the block course and the course after a dose check the synapses and drug too */
    ks_circuit_syn sy;
    ks_circuit_drug d;
    ks_circuit_syn_default(&sy);
    ks_circuit_drug_default(&d);
    sy.cdur_ms = -1.0;
    double t[2] = {0.0, 1.0}, c[2] = {0.1, 0.1}, b[2], tr[2];
    memset(&err, 0, sizeof err);
    assert_int_equal(ks_circuit_block_course(&sy, &d, 1.0, 1, 0, 0, t, c, 2, b, tr, &err),
                     KS_EINVAL);
    assert_non_null(strstr(err.msg, "syn.cdur_ms"));
    cfg.cell.c_m = 0.0;
    ks_circuit_course co;
    double sh[1] = {0.5};
    memset(&err, 0, sizeof err);
    assert_int_equal(ks_circuit_course_run(&cfg, t, c, 2, sh, 1, NULL, NULL, &co, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "cell.c_m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resting_potential),
        cmocka_unit_test(test_rebound_burst),
        cmocka_unit_test(test_tonic_depolarisation),
        cmocka_unit_test(test_block_fraction),
        cmocka_unit_test(test_trapping),
        cmocka_unit_test(test_block_course_input),
        cmocka_unit_test(test_burst_detection),
        cmocka_unit_test(test_population_findings),
        cmocka_unit_test(test_table_step),
        cmocka_unit_test(test_course),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
