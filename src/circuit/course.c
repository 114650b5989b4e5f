/* The course after a dose: block over hours, populations at sample times
 * (include/ketsim/circuit.h; the two time scales are explained in docs/design.md). */
#include "circuit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ks_circuit_interp(const double *t, const double *y, size_t n, double x)
{
    if (n == 0) return NAN;
    if (x <= t[0]) return y[0];
    for (size_t i = 1; i < n; i++)
        if (x <= t[i]) return y[i - 1] + (y[i] - y[i - 1]) * (x - t[i - 1]) / (t[i] - t[i - 1]);
    return y[n - 1];
}

void ks_circuit_course_free(ks_circuit_course *c)
{
    if (!c) return;
    free(c->bound);
    free(c->trapped);
    free(c->sample_h);
    free(c->sample_c_um);
    if (c->samples)
        for (size_t i = 0; i < c->n_samples; i++)
            ks_circuit_result_free(&c->samples[i]);
    free(c->samples);
    memset(c, 0, sizeof *c);
}

int ks_circuit_course_run(const ks_circuit_config *cfg, const double *t_h, const double *c_um,
                          size_t n, const double *sample_h, size_t n_samples,
                          void (*progress)(void *user, size_t done, size_t total), void *user,
                          ks_circuit_course *out, ks_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || !t_h || !c_um)
        return ks_error_set(err, KS_EINVAL, "circuit course: no concentration course");
    ks_circuit_config chk = *cfg; /* c_um, ob0, cb0 are set per sample */
    chk.c_um = chk.ob0 = chk.cb0 = 0.0;
    int crc = ks_circuit_config_check(&chk, err);
    if (crc) return crc;
    for (size_t q = 0; q < n_samples; q++)
        if (!(sample_h[q] >= t_h[0] && sample_h[q] <= t_h[n - 1]))
            return ks_error_set(err, KS_EINVAL,
                                "circuit course: sample time %zu (%g h) is outside the course", q,
                                sample_h[q]);
    out->n = n;
    out->n_samples = n_samples;
    out->bound = malloc(n * sizeof *out->bound);
    out->trapped = malloc(n * sizeof *out->trapped);
    out->sample_h = malloc((n_samples ? n_samples : 1) * sizeof *out->sample_h);
    out->sample_c_um = malloc((n_samples ? n_samples : 1) * sizeof *out->sample_c_um);
    out->samples = calloc(n_samples ? n_samples : 1, sizeof *out->samples);
    if (!out->bound || !out->trapped || !out->sample_h || !out->sample_c_um || !out->samples) {
        ks_circuit_course_free(out);
        return ks_error_set(err, KS_ENOMEM, "circuit course: out of memory");
    }
    int rc = ks_circuit_block_course(&cfg->syn, &cfg->drug, cfg->rate_glu_hz, cfg->seed, 0.0, 0.0,
                                     t_h, c_um, n, out->bound, out->trapped, err);
    for (size_t q = 0; q < n_samples && !rc; q++) {
        ks_circuit_config c = *cfg;
        double b = ks_circuit_interp(t_h, out->bound, n, sample_h[q]);
        double tr = ks_circuit_interp(t_h, out->trapped, n, sample_h[q]);
        c.c_um = ks_circuit_interp(t_h, c_um, n, sample_h[q]);
        c.cb0 = fmin(fmax(tr, 0.0), 1.0);
        c.ob0 = fmin(fmax(b - tr, 0.0), 1.0 - c.cb0);
        c.raster_cells = 0;
        out->sample_h[q] = sample_h[q];
        out->sample_c_um[q] = c.c_um;
        rc = ks_circuit_run(&c, &out->samples[q], err);
        if (!rc && progress) progress(user, q + 1, n_samples);
    }
    if (rc) ks_circuit_course_free(out);
    return rc;
}
