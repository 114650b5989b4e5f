/* ketsim: from concentration to effect in the chair (pharmacodynamics).
 *
 * NMDA receptor occupancy from the unbound brain concentrations of every species
 * present, and the acute effects of a session (dissociation, psychotomimetic
 * intensity, sedation, blood pressure and heart rate), each driven by effect-site
 * concentrations. The parameters are data (`data/pd-acute.json`, format
 * "ketsim-pd/1", described in docs/pd.md) with unit, source, DOI, where read and
 * verification level; parameters no source gives are estimated from published
 * summary figures by ks_pd_fit (command `ketsim pd-fit`) and say so in the file.
 *
 * Effect site: each analyte's plasma concentration (output column cp_<analyte>)
 * drives its own effect compartment dCe/dt = ke0 (Cp - Ce) with the PD file's
 * t_half_ke0 (Anesthesiology 117(2):353, S-ketamine), whatever effect site the PK model carries,
 * so that every model and drug goes through the same biophase. The filter is
 * integrated exactly for a plasma concentration linear between sub-steps of at most
 * 30 s (plasma values are exact, from ks_sim_eval_next).
 *
 * Species and affinities: racemic ketamine is split 1:1 into S- and R-ketamine
 * (the racemate's composition; equal plasma exposure is an assumption), esketamine
 * is S-ketamine, noresketamine S-norketamine, racemic norketamine 1:1. Ki values
 * are rat-brain [3H]MK-801 binding constants (Ebert 1997, abstract): no human
 * affinity exists in the notes. Unbound brain concentration = fu x kp_uu x Ce.
 *
 * Every function returns KS_OK or a status with a message in `err` (error.h).
 */
#ifndef KETSIM_PD_H
#define KETSIM_PD_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_pd ks_pd;

/* Load and check a PD parameter file. Keys are strict; every parameter needs value,
 * unit (the one this version expects, named in the error), source (a citation key),
 * verification; a parameter with verification "estimated" needs an "estimated"
 * object {from, command, fit}. A citation's "year" is an integer, or null/absent when
 * the source read did not show it, and then "year_note" (a non-empty string) says why. Errors: KS_EIO, KS_EPARSE, KS_EMODEL (message names
 * the file and JSON path), KS_ENOMEM. */
int ks_pd_load(const char *path, ks_pd **out, ks_error *err);
void ks_pd_free(ks_pd *pd);

/* Value of parameter `name` in the unit of the file. KS_ENOTFOUND if unknown. */
int ks_pd_param(const ks_pd *pd, const char *name, double *value, ks_error *err);
/* Replace a parameter's value (used by the estimation). */
int ks_pd_set_param(ks_pd *pd, const char *name, double value, ks_error *err);
/* Number of parameters and their descriptions (strings owned by pd). */
typedef struct ks_pd_param_info {
    const char *name, *unit, *source, *verification, *note;
    double value;
    const char *est_from, *est_command, *est_fit; /* NULL unless estimated */
} ks_pd_param_info;
size_t ks_pd_n_params(const ks_pd *pd);
int ks_pd_param_at(const ks_pd *pd, size_t i, ks_pd_param_info *info);
/* Citation by key: "authors year, title, journal. doi:... (where_read; verification)". */
const char *ks_pd_citation_text(const ks_pd *pd, const char *key);

/* Competitive occupancy of one site by n species: sum(x_i) / (1 + sum(x_i)) with
 * x_i = cu_i / ki_i (same concentration unit). cu_i >= 0, ki_i > 0. */
double ks_pd_occupancy(const double *cu, const double *ki, size_t n);

/* NMDA-site weight of one analyte: d(sum Cu_i/Ki_i)/dCe in 1/(ng/mL), and its share
 * of S-ketamine (for effects driven by S-ketamine). Known analytes: ketamine
 * (racemic), esketamine, arketamine, norketamine (racemic), noresketamine. Others
 * get weight 0 and *known = 0 (the caller states it). */
int ks_pd_analyte_weight(const ks_pd *pd, const char *analyte, double *weight, double *s_share,
                         int *known, ks_error *err);

/* The effects. Variability: lognormal (median = typical, log-scale SD omega) for
 * dissociation and sedation; none for psychedelic intensity, blood pressure and heart
 * rate, whose spread is not estimable from the published figures (docs/pd.md): for
 * those the quantile is the typical value and the share a step at the threshold. */
enum ks_pd_effect {
    KS_PD_CADSS = 0, /* CADSS total score, change from pre-dose (points) */
    KS_PD_PSY,       /* psychedelic VAS intensity, % of the scale's maximum */
    KS_PD_SEDATION,  /* MOAA/S drop from 5 (points; MOAA/S = 5 - drop, >= 0) */
    KS_PD_DSBP,      /* systolic BP rise, mmHg */
    KS_PD_DDBP,      /* diastolic BP rise, mmHg */
    KS_PD_DHR,       /* heart-rate rise, beats/min */
    KS_PD_N_EFFECTS
};
/* Column-style name ("cadss_score", "dsbp_mmhg", ...) and a human label. */
const char *ks_pd_effect_name(int effect);
const char *ks_pd_effect_label(int effect);

/* Individual value at population quantile p (0 < p < 1) given the typical value. */
double ks_pd_quantile(const ks_pd *pd, int effect, double typical, double p);
/* Share of patients whose value is >= threshold, given the typical value. */
double ks_pd_share_at_least(const ks_pd *pd, int effect, double typical, double threshold);

/* A session's time course: at each output time of the simulation. */
typedef struct ks_pd_course {
    size_t n;
    double *t_h;
    double *drive;                /* sum Cu_i/Ki_i, dimensionless */
    double *occ;                  /* NMDA occupancy fraction */
    double *ce_s_ng_ml;           /* S-ketamine effect-site concentration, ng/mL */
    double *typ[KS_PD_N_EFFECTS]; /* typical value of each effect */
    char note[512];               /* analytes present but not counted, if any */
} ks_pd_course;

/* Effects over the simulation's output times (after ks_sim_run). The simulation must
 * have at least one plasma column (cp_) of a known analyte. */
int ks_pd_run(const ks_pd *pd, ks_sim *sim, ks_pd_course **out, ks_error *err);
void ks_pd_course_free(ks_pd_course *c);

/* Estimation of the effect parameters from the published summary figures (see
 * docs/pd.md): `rac_iv` is a racemic model with an "iv" route (0.5 mg/kg over 40 min
 * at 70 kg), `esk_nasal` an esketamine model with a "nasal" route (56 and 84 mg at
 * age 45). Writes the estimates into pd and a report (one line per target:
 * published, achieved) into `report`. */
int ks_pd_fit(ks_pd *pd, const ks_model *rac_iv, const ks_model *esk_nasal, char *report,
              size_t report_size, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
