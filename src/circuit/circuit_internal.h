/* Pieces shared inside the circuit module. */
#ifndef KS_CIRCUIT_INTERNAL_H
#define KS_CIRCUIT_INTERNAL_H

#include "ketsim/circuit.h"

typedef struct ks_burst_acc {
    double last;
    int run, run_ok;
    size_t n_spikes, n_bursts, n_burst_spikes;
} ks_burst_acc;

void ks_burst_acc_init(ks_burst_acc *a);
/* count = 0: a spike before the measured window (sets the preceding silence only). */
void ks_burst_acc_push(ks_burst_acc *a, const ks_circuit_burst_rule *r, double t_ms, int count);
void ks_burst_acc_finish(ks_burst_acc *a, const ks_circuit_burst_rule *r,
                         ks_circuit_train_stats *out);
int ks_circuit_burst_rule_check(const ks_circuit_burst_rule *r, ks_error *err);

/* Counter-seeded xoshiro256** stream per cell: the same numbers for cell i of seed s
 * whatever the order or thread. */
typedef struct ks_rng {
    uint64_t s[4];
} ks_rng;
void ks_rng_seed(ks_rng *g, uint64_t seed, uint64_t stream);
double ks_rng_uniform(ks_rng *g); /* in (0, 1) */

/* Low-discrepancy heterogeneity factor 1 + h (2 frac((i+1) phi_j) - 1), j = 0..4. */
double ks_circuit_hetero(size_t cell, int which, double h);

#endif
