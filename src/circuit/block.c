/* Ketamine at the NMDA receptor over hours: the four-state trapping-block scheme of
 * include/ketsim/circuit.h advanced exactly, event by event. Between input events
 * no transmitter is present, C and CB are absorbing, and O, OB relax in closed form;
 * during each transmitter pulse the 4 x 4 linear system is advanced by its matrix
 * exponential (src/pk/expm.c). The concentration is held within each step, which is
 * at most KS_BLOCK_MAX_GAP_MS long. */
#include "circuit_internal.h"
#include "pk/expm.h"

#include <math.h>
#include <stdlib.h>

#define KS_BLOCK_MAX_GAP_MS 60000.0

double ks_circuit_block_equilibrium(const ks_circuit_drug *d, double c_um)
{
    if (c_um <= 0.0) return 0.0;
    double kd = d->koff_per_ms / d->kon_per_um_ms;
    return c_um / (c_um + kd);
}

/* x = (C, O, OB, CB); tau ms without transmitter at constant kc = kon c. */
static void gap(double *x, double tau, double kc, double koff, double beta)
{
    double p0 = x[1] + x[2];
    if (p0 <= 0.0 || tau <= 0.0) return;
    double o0 = x[1] / p0;
    double s = kc + koff;
    double f = s > 0.0 ? koff / s : o0;
    double eb = exp(-beta * tau), es = s > 0.0 ? exp(-s * tau) : 1.0;
    double p = p0 * eb;
    double o = p * (f + (o0 - f) * es);
    double int_p = p0 * (-expm1(-beta * tau)) / beta;
    double int_o = p0 * (f * (-expm1(-beta * tau)) / beta +
                         (o0 - f) * (-expm1(-(beta + s) * tau)) / (beta + s));
    x[0] += beta * int_o;
    x[3] += beta * (int_p - int_o);
    x[1] = o > 0.0 ? o : 0.0;
    x[2] = p - o > 0.0 ? p - o : 0.0;
}

static double conc_at(const double *t_ms, const double *c, size_t n, double t)
{
    if (t <= t_ms[0]) return c[0];
    if (t >= t_ms[n - 1]) return c[n - 1];
    size_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t_ms[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    double w = (t - t_ms[lo]) / (t_ms[hi] - t_ms[lo]);
    return c[lo] + w * (c[hi] - c[lo]);
}

static int pulse(double *x, double a, double kc, double koff, double beta, double dur, double *work,
                 ks_error *err)
{
    double A[16] = {
        -a * dur, beta * dur,           0,       0, a * dur, -(beta + kc) * dur, koff * dur, 0, 0,
        kc * dur, -(koff + beta) * dur, a * dur, 0, 0,       beta * dur,         -a * dur};
    double E[16];
    int rc = ks_expm(A, 4, E, work, err);
    if (rc) return rc;
    double y[4];
    for (int i = 0; i < 4; i++) {
        y[i] = 0.0;
        for (int j = 0; j < 4; j++)
            y[i] += E[4 * i + j] * x[j];
    }
    for (int i = 0; i < 4; i++)
        x[i] = y[i] < 0.0 ? 0.0 : y[i];
    return KS_OK;
}

int ks_circuit_block_course(const ks_circuit_syn *sy, const ks_circuit_drug *d, double rate_glu_hz,
                            uint64_t seed, double ob0, double cb0, const double *t_h,
                            const double *c_um, size_t n, double *bound, double *trapped,
                            ks_error *err)
{
    if (n == 0 || !t_h || !c_um || !bound || !trapped)
        return ks_error_set(err, KS_EINVAL, "block course: no times or no outputs");
    if (!(rate_glu_hz >= 0.0 && rate_glu_hz <= 1000.0))
        return ks_error_set(err, KS_EINVAL,
                            "block course: input rate must be in [0, 1000] Hz (got %g)",
                            rate_glu_hz);
    int prc = ks_circuit_params_check(NULL, sy, d, err);
    if (prc) {
        ks_error_prefix(err, "block course");
        return prc;
    }
    if (!(ob0 >= 0.0 && cb0 >= 0.0 && ob0 + cb0 <= 1.0))
        return ks_error_set(err, KS_EINVAL,
                            "block course: initial fractions must be >= 0 with a sum <= 1");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t_h[i]) || !isfinite(c_um[i]) || c_um[i] < 0.0)
            return ks_error_set(err, KS_EINVAL,
                                "block course: time or concentration %zu is not finite and >= 0",
                                i);
        if (i > 0 && !(t_h[i] > t_h[i - 1]))
            return ks_error_set(err, KS_EINVAL,
                                "block course: time %zu is not after the one before", i);
    }
    double *t_ms = malloc(n * sizeof *t_ms);
    double *work = malloc(ks_expm_work_size(4) * sizeof *work);
    if (!t_ms || !work) {
        free(t_ms);
        free(work);
        return ks_error_set(err, KS_ENOMEM, "block course: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        t_ms[i] = t_h[i] * 3.6e6;
    ks_rng g;
    ks_rng_seed(&g, seed, 0x6b6574616d696e65ULL);
    double rate = rate_glu_hz * 1e-3;
    double a = sy->alpha_nmda * sy->cmax_mm, beta = sy->beta_nmda, koff = d->koff_per_ms;
    double x[4] = {1.0 - ob0 - cb0, 0.0, ob0, cb0};
    double tc = t_ms[0];
    double next_ev = rate > 0 ? tc + -log(ks_rng_uniform(&g)) / rate : INFINITY;
    double ready = -INFINITY; /* first time a new pulse may start */
    size_t k = 0;
    int rc = KS_OK;
    bound[0] = ob0 + cb0;
    trapped[0] = cb0;
    k = 1;
    while (k < n) {
        double target = fmin(next_ev, t_ms[k]);
        /* advance without transmitter to target, in pieces of at most the max gap */
        while (tc < target) {
            double step = fmin(target - tc, KS_BLOCK_MAX_GAP_MS);
            double kc = d->kon_per_um_ms * conc_at(t_ms, c_um, n, tc + 0.5 * step);
            gap(x, step, kc, koff, beta);
            tc += step;
        }
        if (target == t_ms[k] && !(next_ev < t_ms[k])) {
            bound[k] = x[2] + x[3];
            trapped[k] = x[3];
            k++;
            continue;
        }
        /* an input event at tc */
        if (tc >= ready) {
            double kc = d->kon_per_um_ms * conc_at(t_ms, c_um, n, tc);
            rc = pulse(x, a, kc, koff, beta, sy->cdur_ms, work, err);
            if (rc) break;
            tc += sy->cdur_ms;
            ready = tc + sy->deadtime_ms;
        }
        next_ev += -log(ks_rng_uniform(&g)) / rate;
        if (next_ev < tc) next_ev = tc;  /* events inside a pulse are ignored */
        while (k < n && t_ms[k] <= tc) { /* outputs that fell inside the pulse */
            bound[k] = x[2] + x[3];
            trapped[k] = x[3];
            k++;
        }
    }
    free(t_ms);
    free(work);
    return rc;
}
