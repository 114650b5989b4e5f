/* Burst detection on spike trains (rule: include/ketsim/circuit.h). The same
 * accumulator classifies a stored train and, online, the cells of a population. */
#include "circuit_internal.h"

#include <math.h>

void ks_burst_acc_init(ks_burst_acc *a)
{
    a->last = -INFINITY;
    a->run = 0;
    a->run_ok = 0;
    a->n_spikes = a->n_bursts = a->n_burst_spikes = 0;
}

static void close_run(ks_burst_acc *a, const ks_circuit_burst_rule *r)
{
    if (a->run >= r->min_spikes && a->run_ok) {
        a->n_bursts++;
        a->n_burst_spikes += (size_t)a->run;
    }
    a->run = 0;
}

void ks_burst_acc_push(ks_burst_acc *a, const ks_circuit_burst_rule *r, double t, int count)
{
    double isi = t - a->last;
    if (a->run > 0 && isi <= r->max_isi_ms) {
        a->run++;
    } else {
        close_run(a, r);
        a->run = 1;
        a->run_ok = isi >= r->min_silence_ms; /* also true for the first spike */
    }
    a->last = t;
    if (count)
        a->n_spikes++;
    else
        a->run = 0; /* a warm-up spike only sets the silence before the window */
}

void ks_burst_acc_finish(ks_burst_acc *a, const ks_circuit_burst_rule *r,
                         ks_circuit_train_stats *out)
{
    close_run(a, r);
    out->n_spikes = a->n_spikes;
    out->n_bursts = a->n_bursts;
    out->n_burst_spikes = a->n_burst_spikes;
    if (a->n_spikes == 0)
        out->kind = KS_CIRCUIT_SILENT;
    else if (a->n_bursts > 0 && (double)a->n_burst_spikes >= r->burst_share * (double)a->n_spikes)
        out->kind = KS_CIRCUIT_BURSTING;
    else
        out->kind = KS_CIRCUIT_TONIC;
}

int ks_circuit_burst_rule_check(const ks_circuit_burst_rule *r, ks_error *err)
{
    if (!(r->max_isi_ms > 0.0) || !isfinite(r->max_isi_ms))
        return ks_error_set(err, KS_EINVAL, "burst rule: max_isi_ms must be positive and finite");
    if (!(r->min_silence_ms >= 0.0) || !isfinite(r->min_silence_ms))
        return ks_error_set(err, KS_EINVAL, "burst rule: min_silence_ms must be >= 0 and finite");
    if (r->min_spikes < 2)
        return ks_error_set(err, KS_EINVAL, "burst rule: min_spikes must be at least 2");
    if (!(r->burst_share > 0.0 && r->burst_share <= 1.0))
        return ks_error_set(err, KS_EINVAL, "burst rule: burst_share must be in (0, 1]");
    return KS_OK;
}

int ks_circuit_bursts(const double *t, size_t n, const ks_circuit_burst_rule *r,
                      ks_circuit_train_stats *out, ks_error *err)
{
    int rc = ks_circuit_burst_rule_check(r, err);
    if (rc) return rc;
    if (n > 0 && !t) return ks_error_set(err, KS_EINVAL, "spike train: NULL times");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]))
            return ks_error_set(err, KS_EINVAL, "spike train: time %zu is not finite", i);
        if (i > 0 && !(t[i] > t[i - 1]))
            return ks_error_set(err, KS_EINVAL,
                                "spike train: time %zu (%g ms) is not after the one before", i,
                                t[i]);
    }
    ks_burst_acc a;
    ks_burst_acc_init(&a);
    for (size_t i = 0; i < n; i++)
        ks_burst_acc_push(&a, r, t[i], 1);
    ks_burst_acc_finish(&a, r, out);
    return KS_OK;
}
