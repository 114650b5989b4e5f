/* ketsim: the lateral habenula (LHb) circuit module.
 *
 * A single-compartment conductance-based LHb neuron (fast Na+, delayed-rectifier K+,
 * T-type Ca2+, h-current, leak, an inward-rectifier K+ conductance standing for
 * astrocytic Kir4.1), kinetic AMPA, NMDA (Jahr-Stevens Mg2+ block) and GABA-A synapses
 * driven by Poisson glutamatergic and GABAergic input, and ketamine as an open-channel
 * blocker of the NMDA receptor with a trapped state. Every equation and parameter is
 * cited in src/circuit/params.c and docs/circuit.md, with what is a model choice.
 *
 * Units: time in ms inside the neuron (hours for the slow block course), voltage in mV,
 * conductance densities in mS/cm2, currents in uA/cm2, capacitance in uF/cm2,
 * transmitter in mM, free ketamine at the receptor in umol/L (uM).
 *
 * Integration: exponential Euler at a fixed step (each variable advanced exactly for
 * its own linear equation with every other variable and every instantaneous function
 * of V frozen at the start of the step, as Brian2's `exponential_euler` does).
 * Cells in a population are independent (external input only) and each owns its
 * random stream, so results do not depend on the order or thread they run in.
 */
#ifndef KETSIM_CIRCUIT_H
#define KETSIM_CIRCUIT_H

#include <stddef.h>
#include <stdint.h>
#include "ketsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Intrinsic and synaptic parameters of one cell (densities per cm2 of membrane). */
typedef struct ks_circuit_cell {
    double c_m;                    /* uF/cm2 */
    double g_na, e_na, v_t;        /* fast Na+ (Traub form in Pospischil 2008), mS/cm2, mV, mV */
    double g_kd, e_k;              /* delayed rectifier K+ (and the Kir reversal), mS/cm2, mV */
    double g_t, e_ca;              /* T-type Ca2+ (Destexhe 1996), mS/cm2, mV */
    double t_vshift;               /* mV, added to V in the T-current gates */
    double t_phi_h;                /* temperature factor of the T inactivation (1) */
    double g_h, e_h, h_tcorr;      /* h-current (Huguenard & McCormick / Budde), mS/cm2, mV, (1) */
    double g_l, e_l;               /* leak, mS/cm2, mV */
    double g_kir;                  /* inward rectifier standing for astrocytic Kir4.1, mS/cm2 */
    double g_ampa, g_nmda, g_gaba; /* peak synaptic conductance densities, mS/cm2 */
    double e_ampa, e_nmda, e_gaba; /* mV */
    double mg_mm;                  /* extracellular Mg2+, mM */
    double i_app;                  /* applied current, uA/cm2 (positive depolarises) */
} ks_circuit_cell;

/* Kinetic synapses (Destexhe, Mainen & Sejnowski 1994): dr/dt = alpha [T] (1-r) - beta r,
 * [T] a square pulse of cmax_mm lasting cdur_ms after each accepted input event; events
 * within cdur + deadtime of the previous accepted one are ignored. */
typedef struct ks_circuit_syn {
    double alpha_ampa, beta_ampa; /* /ms/mM, /ms */
    double alpha_nmda, beta_nmda;
    double alpha_gaba, beta_gaba;
    double cmax_mm, cdur_ms, deadtime_ms;
} ks_circuit_syn;

/* Ketamine open-channel block with trapping, on the NMDA receptor states
 *   C (closed) <-> O (open)          alpha[T], beta
 *   O  + K <-> OB (open, blocked)    kon*c, koff
 *   OB <-> CB (closed with the drug trapped)   beta, alpha[T]
 * The drug enters only open channels, stays when they close (CB), and leaves only
 * after they reopen. Only O conducts (times the Mg2+ block). */
typedef struct ks_circuit_drug {
    double kon_per_um_ms; /* /uM/ms, effective (ks_circuit_estimate_block) */
    double koff_per_ms;   /* /ms, effective */
} ks_circuit_drug;

/* State of one cell. */
typedef struct ks_circuit_state {
    double v;              /* mV */
    double m, h, n;        /* Na activation, Na inactivation, K activation */
    double ht;             /* T-current inactivation */
    double mh;             /* h-current activation */
    double r_ampa, r_gaba; /* open fractions */
    double o_nmda, ob, cb; /* NMDA: open, open-blocked, closed-blocked (trapped) */
} ks_circuit_state;

/* The defaults of the shipped LHb cell (docs/circuit.md): `kir` selects the Kir4.1
 * strength, 0 for the healthy and 1 for the depressed (Kir4.1 up) condition. */
void ks_circuit_cell_default(ks_circuit_cell *cell, int kir_up);
void ks_circuit_syn_default(ks_circuit_syn *syn);
/* Effective rates estimated from Orser et al. 1997 (see ks_circuit_estimate_block). */
void ks_circuit_drug_default(ks_circuit_drug *drug);

/* Gates at their steady state for voltage v, synapses closed, no drug bound. */
void ks_circuit_state_rest(const ks_circuit_cell *cell, double v, ks_circuit_state *s);

/* Right-hand side of the cell's ODEs (ms^-1; dv in mV/ms) for transmitter
 * concentrations t_glu, t_gaba (mM) and free ketamine c_um; dy in the field order of
 * ks_circuit_state. For checking the integrator against a general solver. */
void ks_circuit_cell_rhs(const ks_circuit_cell *cell, const ks_circuit_syn *syn,
                         const ks_circuit_drug *drug, const ks_circuit_state *s, double t_glu,
                         double t_gaba, double c_um, ks_circuit_state *dy);

/* One exponential-Euler step of dt_ms. */
void ks_circuit_cell_step(const ks_circuit_cell *cell, const ks_circuit_syn *syn,
                          const ks_circuit_drug *drug, ks_circuit_state *s, double dt_ms,
                          double t_glu, double t_gaba, double c_um);

/* Jahr & Stevens 1990 Mg2+ block factor B(V) (1). */
double ks_circuit_mg_block(double v_mv, double mg_mm);

/* ---- bursts ---- */

/* A burst: at least min_spikes spikes whose successive intervals are all <= max_isi_ms,
 * the first preceded by at least min_silence_ms without a spike (or the start of the
 * train). Spikes not in a burst are tonic. A cell is "bursting" when at least
 * burst_share of its spikes are in bursts, "tonic" when it fires otherwise, "silent"
 * when it does not fire. Model choices, not published criteria (docs/circuit.md). */
typedef struct ks_circuit_burst_rule {
    double max_isi_ms;
    double min_silence_ms;
    int min_spikes;
    double burst_share;
} ks_circuit_burst_rule;

void ks_circuit_burst_rule_default(ks_circuit_burst_rule *rule);

typedef struct ks_circuit_train_stats {
    size_t n_spikes;
    size_t n_bursts;
    size_t n_burst_spikes;
    int kind; /* KS_CIRCUIT_SILENT, _TONIC or _BURSTING */
} ks_circuit_train_stats;

enum { KS_CIRCUIT_SILENT = 0, KS_CIRCUIT_TONIC = 1, KS_CIRCUIT_BURSTING = 2 };

/* Classify a train of spike times (ms, increasing). Errors: KS_EINVAL (times not
 * increasing or not finite, a rule out of range). */
int ks_circuit_bursts(const double *t_ms, size_t n, const ks_circuit_burst_rule *rule,
                      ks_circuit_train_stats *out, ks_error *err);

/* ---- a population ---- */

typedef struct ks_circuit_config {
    size_t n_cells;
    double dt_ms;
    double duration_ms; /* measured window, after the warm-up */
    double warmup_ms;
    double rate_glu_hz;  /* glutamatergic input events per second per cell (AMPA + NMDA) */
    double rate_gaba_hz; /* GABAergic input events per second per cell */
    double hetero;       /* +- relative spread of g_t, g_kir, g_l and the input rates */
    uint64_t seed;
    ks_circuit_cell cell;
    ks_circuit_syn syn;
    ks_circuit_drug drug;
    double c_um;     /* free ketamine at the receptor during the window (uM) */
    double ob0, cb0; /* initial open-blocked and trapped NMDA fractions */
    ks_circuit_burst_rule burst;
    size_t raster_cells; /* record the spikes of the first raster_cells cells */
} ks_circuit_config;

/* Defaults: 1000 cells, dt 0.05 ms, 2 s window after 0.5 s warm-up, depressed cell. */
void ks_circuit_config_default(ks_circuit_config *cfg);

/* Limits of a run: the smallest step, and the most steps (warm-up + window) per cell. */
#define KS_CIRCUIT_DT_MIN_MS 1e-4
#define KS_CIRCUIT_MAX_STEPS 1e9

/* Every field of a cell, a synapse set and the drug against its range (any of the three
 * may be NULL): conductances, Mg2+ and rates >= 0, c_m, the temperature factors, the
 * closing rates beta and cdur > 0, potentials within [-200, 200] mV (E_Ca 300), all
 * finite. Errors: KS_EINVAL with the field, e.g. "cell.c_m = 0 is outside (0, 100]". */
int ks_circuit_params_check(const ks_circuit_cell *cell, const ks_circuit_syn *syn,
                            const ks_circuit_drug *drug, ks_error *err);

/* Every field of a configuration (the parameters above, cells, dt >= KS_CIRCUIT_DT_MIN_MS
 * and <= 0.1 ms, a window of at least one step, at most KS_CIRCUIT_MAX_STEPS steps,
 * rates, heterogeneity, concentration, initial block, burst rule). Errors: KS_EINVAL
 * naming the field. ks_circuit_run and ks_circuit_course_run call it first. */
int ks_circuit_config_check(const ks_circuit_config *cfg, ks_error *err);

typedef struct ks_circuit_result {
    size_t n_cells;
    double frac_bursting, frac_tonic, frac_silent; /* fractions of cells (1) */
    double bursts_per_s;     /* bursts per second per bursting cell (Hz): bursts of the
                              * bursting cells only, over their number (0 if none) */
    double spikes_per_burst; /* mean over EVERY burst, in any cell, tonic ones included
                              * (a property of bursts, not of bursting cells; NaN if no
                              * burst): the two do not share a denominator */
    double tonic_rate_hz;    /* mean firing rate of tonic cells */
    double mean_rate_hz;     /* mean firing rate of all cells */
    double v_mean_mv;        /* mean membrane potential over cells and window */
    double block_end;        /* mean (OB + CB) over cells at the end (1) */
    double trapped_end;      /* mean CB at the end (1) */
    /* raster of the first raster_cells cells: spike times (ms from the window start) */
    size_t n_raster;
    double *raster_t_ms;
    uint32_t *raster_cell;
} ks_circuit_result;

/* Run the population for warmup + duration. Errors: KS_EINVAL (a parameter out of
 * range, named: ks_circuit_config_check), KS_ENOMEM. */
int ks_circuit_run(const ks_circuit_config *cfg, ks_circuit_result *res, ks_error *err);
void ks_circuit_result_free(ks_circuit_result *res);

/* ---- ketamine at the channel over hours ---- */

/* The NMDA block state of a receptor pool under glutamatergic input at rate_glu_hz
 * (Poisson, seeded) and a free concentration c_um(t) given at times t_h (hours,
 * increasing; linear between, held outside), advanced exactly between input events.
 * The pool starts at t_h[0] closed with fractions ob0 open-blocked and cb0 trapped
 * (0, 0 for a drug-free start). Outputs at each t_h: bound fraction (OB + CB) and
 * trapped fraction (CB). Errors: KS_EINVAL, KS_ENUMERIC. */
int ks_circuit_block_course(const ks_circuit_syn *syn, const ks_circuit_drug *drug,
                            double rate_glu_hz, uint64_t seed, double ob0, double cb0,
                            const double *t_h, const double *c_um, size_t n, double *bound,
                            double *trapped, ks_error *err);

/* The course after a dose: the block of a receptor pool under cfg->rate_glu_hz of input
 * at every time t_h (ks_circuit_block_course with cfg->seed), and the population of cfg
 * simulated at each sample time (hours, within t_h's span) with the free concentration
 * and the block state (open-blocked, trapped) of the course at that time (linear
 * interpolation); cfg->c_um, ob0 and cb0 are ignored, rasters are not kept.
 * progress (may be NULL) is called after each sample. Errors: as the two it calls. */
typedef struct ks_circuit_course {
    size_t n;
    double *bound, *trapped; /* n values */
    size_t n_samples;
    double *sample_h, *sample_c_um;
    ks_circuit_result *samples; /* n_samples populations */
} ks_circuit_course;

int ks_circuit_course_run(const ks_circuit_config *cfg, const double *t_h, const double *c_um,
                          size_t n, const double *sample_h, size_t n_samples,
                          void (*progress)(void *user, size_t done, size_t total), void *user,
                          ks_circuit_course *out, ks_error *err);
void ks_circuit_course_free(ks_circuit_course *c);

/* Linear interpolation of y(t) at x (t increasing; held outside). */
double ks_circuit_interp(const double *t, const double *y, size_t n, double x);

/* Equilibrium bound fraction at constant c_um: c / (c + koff/kon). */
double ks_circuit_block_equilibrium(const ks_circuit_drug *drug, double c_um);

/* The estimate of the EFFECTIVE block rates from Orser, Pennefather & MacDonald 1997
 * (cell-attached single channels): kon from the shortening of the mean open time at
 * 1 uM, Kd by least squares in log Kd over the two Po' reductions (0.1 and 1 uM),
 * koff = kon Kd. Fills the inputs and results so that a report can print them.
 *
 * Effective, not microscopic: kon is derived for a channel whose open time is 3.26 ms,
 * but it is applied to the model's open state O, which closes at beta_nmda = 0.0066 /ms
 * (a mean dwell of about 151 ms: Destexhe's two-state receptor lumps the whole
 * glutamate-bound period into O). In the model the open dwell at 1 uM is therefore
 * beta/(beta + kon) = 0.044 of control, not Orser's measured 0.68, and a blocked
 * channel loses the drug before it closes with probability koff/(koff + beta) = 0.80,
 * where an open state closing at 1/3.26 ms would give 0.08. The model_* and *_check
 * fields give these numbers; docs/circuit.md states the consequences. */
typedef struct ks_circuit_block_estimate {
    double tau_open_ms, open_time_ratio_1um;
    double conc_um[2], po_ratio[2];
    double kd_each_um[2];
    double kon_per_um_ms, kd_um, koff_per_ms;
    /* the same rates on the model's open state (default synapse, beta_nmda) */
    double model_tau_open_ms;         /* 1/beta_nmda */
    double model_open_time_ratio_1um; /* beta/(beta + kon 1 uM); Orser measured 0.68 */
    double escape_before_close_model; /* koff/(koff + beta_nmda) */
    double escape_before_close_orser; /* koff/(koff + 1/tau_open_ms) */
    /* the outside-out figures read as if they were Kd (Po' 63% at 1 uM, 34% at 10 uM):
     * c r/(1-r), and their ratio to kd_um. Orser reports the outside-out reduction as
     * "primarily" fewer openings (a closed-channel mechanism), so these are not Kd
     * values of the open-channel block; they bound how far a Kd read that way differs. */
    double oo_conc_um[2], oo_po_ratio[2], oo_kd_um[2], oo_kd_over_kd[2];
} ks_circuit_block_estimate;
void ks_circuit_estimate_block(ks_circuit_block_estimate *e);

/* Free ketamine at the receptor (uM) from an effect-site concentration (ng/mL):
 * unbound fraction fu times the concentration over the molar mass (g/mol). */
double ks_circuit_free_um(double ce_ng_ml, double fu, double molar_mass_g_mol);

#ifdef __cplusplus
}
#endif
#endif
