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

/* The population's fast step: every function of V that the gates and the voltage
 * equation need (steady states, exp(-(alpha+beta) dt), T and Kir activations, Mg2+
 * block), tabulated on a grid of KS_TABLE_DV mV and interpolated linearly, as NEURON's
 * TABLE does; outside the grid the functions are evaluated directly. The synaptic
 * factors, which take two values (transmitter present or not), are precomputed.
 * Same scheme and formulas as ks_circuit_cell_step; differs only by interpolation. */
#define KS_TABLE_VMIN (-130.0)
#define KS_TABLE_VMAX (70.0)
#define KS_TABLE_DV 0.05
#define KS_TABLE_NF 13
#define KS_TABLE_STRIDE (2 * KS_TABLE_NF) /* values, then slopes */
typedef struct ks_circuit_table {
    size_t n;
    double *row;          /* n rows: KS_TABLE_NF values, then their slopes */
    ks_circuit_cell cell; /* the gating parameters the table was built for */
    double dt;
    /* synapses: [0] no transmitter, [1] transmitter present */
    double ra_inf[2], ra_e[2], rg_inf[2], rg_e[2];
    double o_b[2], o_e[2]; /* B and exp(-B dt) for the NMDA open state */
    double ob_b, ob_e;
    double cb_b[2], cb_e[2];
    double an[2]; /* alpha_nmda * T */
    double kc, koff, beta_n;
} ks_circuit_table;

int ks_circuit_table_init(ks_circuit_table *t, const ks_circuit_cell *cell,
                          const ks_circuit_syn *syn, const ks_circuit_drug *drug, double dt,
                          double c_um);
void ks_circuit_table_free(ks_circuit_table *t);
/* One step of a cell whose conductances are `cell` (gating parameters as the table's);
 * glu, gaba: 1 if transmitter is present during the step. */
void ks_circuit_table_step(const ks_circuit_table *t, const ks_circuit_cell *cell,
                           ks_circuit_state *s, int glu, int gaba);

#endif
