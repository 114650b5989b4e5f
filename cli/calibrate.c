/* ketsim calibrate: fit the response model to the published figures of
 * ../shared/data/efficacy.md, write the versioned parameter file. */
#include "resp.h"

#include <ctype.h>
#include <jansson.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "calibrate"
#define PARAM_VERSION "1"
/* the default sampler of the uncertainty section: 1 Markov chains, 0 SIR */
#define UNC_DEFAULT_MCMC 0
/* with SIR: 1 pooled over the iterations (AMIS), 0 the iteration with the largest ESS */
#define UNC_DEFAULT_POOLED 0

static const char HELP[] =
    "usage: ketsim calibrate [--write FILE | --errors FILE] [--max-eval N]\n"
    "                        [--pd FILE] [--iv-model NAME] [--nasal-model NAME]\n"
    "\n"
    "Fits the antidepressant response model (docs/response-model.md) to the published\n"
    "figures listed in ../shared/data/efficacy.md, and only those: pooled response and\n"
    "remission by time (Han 2016), control-arm response (Cochrane 2021), mean changes\n"
    "(Murrough 2013, Lii 2023), dose-response (Su 2017), durability after one infusion\n"
    "(Ibrahim 2012), six-infusion response and relapse (Murrough 2013, Phillips 2019),\n"
    "esketamine induction (TRANSFORM) and at suicide risk (Canuso 2018), and esketamine\n"
    "maintenance (SUSTAIN-1: relapse among stable remitters on continued esketamine and\n"
    "on placebo spray, by a deterministic quadrature; about 55 ms of each evaluation).\n"
    "The objective is\n"
    "the sum of squared standardised residuals; NLopt's BOBYQA on the log parameters,\n"
    "from fixed starting values, twice. Deterministic. Prints the fit per figure.\n"
    "Second stage, conditional on that fit: the PTSD (CAPS-5) variant's two parameters\n"
    "(theta_ptsd, phi_ptsd_active) solved from Feder 2021's two week-2 response shares\n"
    "(>= 30 % reduction; ketamine 67 %, midazolam 20 %, 15 per arm): exactly determined,\n"
    "written under \"variants\".\"ptsd\" of the same file.\n"
    "The relapse figures (Ibrahim 2012, Murrough 2013) are read on daily checks. The fit\n"
    "includes the within-patient fluctuation of the non-drug part (fluct_share, t_fluct_d);\n"
    "a FILE without those two parameters (written before they existed, as the shipped one)\n"
    "is read as the model without fluctuation, fluct_share 0, which --uncertainty then\n"
    "holds with t_fluct_d.\n"
    "\n"
    "  --write FILE     write the fitted parameters, what they were fitted to and the fit\n"
    "                   error per figure to FILE (whole or not at all); the shipped file\n"
    "                   is data/response-params.json\n"
    "  --errors FILE    no fit: recompute the fit error per figure with FILE's parameters;\n"
    "                   exit 1 when an error exceeds the one FILE records (relative 1e-5:\n"
    "                   the file keeps 6 significant digits) or when its uncertainty\n"
    "                   section was computed at other parameters; exit 2 when that\n"
    "                   section is malformed\n"
    "  --stage2 FILE    no depression fit: FILE's depression parameters (and the drive it\n"
    "                   records) are kept as they are, only the PTSD stage is recomputed;\n"
    "                   writes FILE with its \"variants\" section replaced to --write (week 2\n"
    "                   read at day 14, with the day-12 solution recorded as a sensitivity)\n"
    "  --uncertainty FILE  no fit: FILE's parameters as they are, its \"uncertainty\"\n"
    "                   section recomputed and printed (written to --write OUT when\n"
    "                   given): the Hessian of the objective, then 200 parameter sets\n"
    "                   (ketsim forecast --uncertainty uses them) drawn by the --sampler;\n"
    "                   5-20 minutes (SIR), an hour (MCMC), hours (SMC). A fit with --write\n"
    "                   computes it too\n"
    "  --sampler S      how the sets are drawn: sir (the default: iterated sampling\n"
    "                   importance resampling, up to 5 x 2000 proposals (--iterations),\n"
    "                   the sets from the\n"
    "                   iteration with the largest effective sample size), amis (the same\n"
    "                   iterations, every proposal kept and weighted against the mixture\n"
    "                   of the proposals so far: adaptive multiple importance sampling,\n"
    "                   so the effective sample size accumulates), mcmc (adaptive\n"
    "                   random-walk Metropolis, several chains from dispersed starts; the\n"
    "                   file records acceptance, rank-normalised split-R-hat and bulk/tail\n"
    "                   ESS per parameter, and \"converged\": R-hat < 1.01 and both ESS >= 100\n"
    "                   per chain) or smc (sequential Monte Carlo: islands of particles\n"
    "                   tempered from the Hessian's normal to the target with Metropolis\n"
    "                   moves, then moved at the target until the same criteria pass with\n"
    "                   the islands as chains). Progress on stderr. docs/response-model.md\n"
    "  --iterations N   with --sampler sir or amis: at most N iterations of 2000 proposals\n"
    "                   (default 5, at most 50)\n"
    "  --centre FILE    with --sampler amis: the proposal becomes a mixture with one more\n"
    "                   component about FILE's parameters (another local minimum of the\n"
    "                   objective, a basin the normal about the fit hardly reaches; the\n"
    "                   fit's held parameters kept); each component adapts to the sets\n"
    "                   it explains best. Repeatable, at most 4; the file records each\n"
    "                   centre's objective and share of the sets kept\n"
    "  --mcmc-draws N   draws kept per chain after the burn-in (default 3000, >= 100)\n"
    "  --mcmc-burn N    burn-in (adaptation) iterations per chain (default 1500)\n"
    "  --mcmc-chains N  chains, 2-64 (default 4; they run in parallel on OpenMP's threads,\n"
    "                   the same sets for any thread count); chains x (draws + burn-in)\n"
    "                   objective evaluations, about 12 per second on two cores\n"
    "  --smc-islands N  with --sampler smc: independent particle systems, 2-16 (default 4)\n"
    "  --smc-particles N  particles per island, 200-100000 (default 500; \"converged\" needs\n"
    "                   ESS >= 100 per island, out of reach with too few); islands x\n"
    "                   particles x sweeps objective evaluations per temperature\n"
    "  --smc-final N    at most N further sweeps at the target until the criteria pass\n"
    "                   (default 200, at most 60000; 0: none)\n"
    "  --no-uncertainty with --write: skip that section (a quick fit; forecast\n"
    "                   --uncertainty then refuses the file)\n"
    "  --ibrahim-rule R how Ibrahim 2012's durability is read: loss50 (default, the shipped\n"
    "                   fit: relapse = loss of the >= 50 % reduction, an assumption) or\n"
    "                   methods (the paper's own rule, read on a level-D copy of its Methods:\n"
    "                   < 25 % improvement on two consecutive daily ratings); recorded in\n"
    "                   the file, which --errors, --stage2 and --uncertainty then follow\n"
    "  --max-eval N     evaluations per optimiser pass (default 3000); a fit cut off by\n"
    "                   it is reported as not converged (refused with --errors or --stage2:\n"
    "                   no fit runs)\n"
    "  --start LIST     start only from these values over the defaults, e.g.\n"
    "                   \"w_fast=0.05,theta=8\"; without it the fit starts from the defaults\n"
    "                   and from \"" RESP_ALT_START "\" and keeps the better\n"
    "  --hold LIST      sensitivity fit (a profile): hold these parameters at these values\n"
    "                   (\"w_cons=9,t_cons_d=200\", over any start) and fit the others;\n"
    "                   with --write needs --no-uncertainty, and the file says it is not\n"
    "                   the calibration (\"sensitivity\" section; held parameters marked;\n"
    "                   --uncertainty and --stage2 refuse it, forecast and trial warn)\n"
    "  --fit-heldout    sensitivity fit: also fit the figures the report predicts and the\n"
    "                   calibration does not fit (Shiroma 2014: docs/response-model.md,\n"
    "                   \"Predicted, not fitted\"); with --write needs --no-uncertainty\n"
    "  --order          sensitivity fit: impose the relapse order (six 0.5 mg/kg\n"
    "                   infusions over 12 days relapse at least a day later than one, at\n"
    "                   the median among responders on daily checks), which the figures\n"
    "                   do not decide and the shipped fit does not meet; the file records\n"
    "                   it (\"relapse_order\"). docs/response-model.md, \"The relapse order\"\n"
    "  --weight LIST    sensitivity fit: count point K (from 1) of figure FIGURE W times in\n"
    "                   the objective, \"FIGURE:K=W,...\" (e.g. murrough2013bp-series:2=9:\n"
    "                   what would matching that point cost the other figures?); the\n"
    "                   per-figure errors printed and written stay unweighted\n"
    "  --pd FILE        NMDA occupancy parameters (default data/pd-acute.json; with\n"
    "                   --errors, the one FILE records, as are the two models)\n"
    "  --iv-model NAME  racemic IV model (default domino-1982)\n"
    "  --nasal-model NAME  esketamine nasal model (default perez-ruixo-2021)\n"
    "\n"
    "examples:\n"
    "  ketsim calibrate --write data/response-params.json\n"
    "  ketsim calibrate --errors data/response-params.json\n"
    "  ketsim calibrate --stage2 data/response-params.json --write new.json\n"
    "  ketsim calibrate --uncertainty data/response-params.json\n"
    "  ketsim calibrate --uncertainty fit.json --sampler mcmc --mcmc-draws 2000 --write out.json\n"
    "  ketsim calibrate --uncertainty fit.json --sampler amis --centre other-basin.json\n"
    "  ketsim calibrate --uncertainty fit.json --sampler smc --write out.json\n"
    "  ketsim calibrate --hold w_cons=9 --no-uncertainty --write profile.json\n"
    "\n"
    "Exit status: 0 done; 1 numerical failure or a fit error above the recorded one; 2 bad\n"
    "input.\n";

enum {
    O_WRITE,
    O_ERRORS,
    O_MAXEVAL,
    O_START,
    O_PD,
    O_IV,
    O_NASAL,
    O_STAGE2,
    O_UNC,
    O_NOUNC,
    O_IBRAHIM,
    O_SAMPLER,
    O_MCMC_DRAWS,
    O_MCMC_BURN,
    O_MCMC_CHAINS,
    O_HOLD,
    O_WEIGHT,
    O_CENTRE,
    O_ITERS,
    O_FIT_HELDOUT,
    O_SMC_ISLANDS,
    O_SMC_PARTICLES,
    O_SMC_FINAL,
    O_ORDER,
    O_COUNT
};

static double round6(double x)
{
    char b[64];
    snprintf(b, sizeof b, "%.6g", x);
    return strtod(b, NULL);
}

/* The PTSD stage on the (rounded) depression parameters p: the variant, its 1-SE ranges
 * (each share moved by one binomial SE), rounded to the file's 6 digits. */
static int ptsd_stage(const ks_response_designs *d, const ks_response_params *p,
                      ks_response_ptsd *v, double range[2][2], ks_error *err)
{
    int rc = ks_response_ptsd_calibrate(d, p, NULL, v, err);
    /* theta from the ketamine share -/+ 1 SE; phi from the midazolam share -/+ 1 SE */
    for (int s = 0; !rc && s < 2; s++) {
        const double sk[2] = {s ? 1.0 : -1.0, 0.0}, sm[2] = {0.0, s ? 1.0 : -1.0};
        ks_response_ptsd a = {0, 0}, b = {0, 0};
        rc = ks_response_ptsd_calibrate(d, p, sk, &a, err);
        if (!rc) rc = ks_response_ptsd_calibrate(d, p, sm, &b, err);
        if (!rc) range[0][s] = round6(a.theta_ptsd), range[1][s] = round6(b.phi_ptsd_active);
    }
    if (!rc) v->theta_ptsd = round6(v->theta_ptsd), v->phi_ptsd_active = round6(v->phi_ptsd_active);
    return rc;
}

/* The "variants" section: the PTSD variant fitted in stage 2 on p, NULL on error
 * (printed for CMD). */
static json_t *ptsd_json(const ks_response_designs *d, const ks_response_params *p,
                         const char *command)
{
    ks_error err = {0};
    ks_response_ptsd v;
    double range[2][2];
    resp_fig_err fe;
    ks_response_ptsd alt = {0, 0}; /* the day-12 reading, for the sensitivity */
    if (ptsd_stage(d, p, &v, range, &err) || resp_ptsd_errors(d, p, &v, &fe, &err) ||
        ks_response_ptsd_calibrate_at(d, p, NULL, KS_RESPONSE_PTSD_WEEK2_ALT_H, &alt, &err)) {
        cli_error(CMD, "PTSD stage: %s", err.msg);
        return NULL;
    }
    const ks_response_figure *f = ks_response_ptsd_figure();
    json_t *pt = json_object();
    json_object_set_new(pt, "title", json_string("PTSD (CAPS-5) variant"));
    json_object_set_new(
        pt, "description",
        json_string("Second stage of the command, conditional on the depression parameters "
                    "above (not refitted): every parameter is shared but theta (replaced by "
                    "theta_ptsd) and phi_active (replaced by phi_ptsd_active; the ketamine arm "
                    "shares it, as in depression). Response: >= 30 % CAPS-5 reduction, "
                    "log-score threshold ln(1/0.7). Two parameters from two numbers: exactly "
                    "determined, so the fit error is 0 to the solver's and the file's precision "
                    "and says nothing about the model; the 1-SE ranges say how little the 30 "
                    "patients fix the parameters. Calibrated only for racemic ketamine IV in "
                    "the active (awake, midazolam-controlled) context. docs/response-model.md."));
    json_object_set_new(pt, "response_reduction", json_real(KS_RESPONSE_PTSD_REDUCTION));
    json_object_set_new(pt, "scale", json_string("CAPS-5 total severity, 0-80"));
    json_object_set_new(pt, "week2_read_h", json_real(KS_RESPONSE_PTSD_WEEK2_H));
    json_object_set_new(
        pt, "week2_read_assumption",
        json_string("week 2 read at day 14 (336 h after the first infusion; last infusion day "
                    "11): the literal reading of Feder 2021's weekly visits counted from "
                    "baseline; no source gives the hour. ASSUMPTION, and the fit depends on it "
                    "strongly: see sensitivity_day12"));
    json_t *sens = json_object();
    json_object_set_new(sens, "week2_read_h", json_real(KS_RESPONSE_PTSD_WEEK2_ALT_H));
    json_object_set_new(sens, "theta_ptsd", json_real(round6(alt.theta_ptsd)));
    json_object_set_new(sens, "phi_ptsd_active", json_real(round6(alt.phi_ptsd_active)));
    json_object_set_new(sens, "meaning",
                        json_string("the stage-2 solution had week 2 been read 24 h after the "
                                    "sixth infusion (day 12); not used"));
    json_object_set_new(pt, "sensitivity_day12", sens);
    json_t *fig = json_object();
    json_object_set_new(fig, "id", json_string(f->id));
    json_object_set_new(fig, "study", json_string(f->study));
    json_object_set_new(fig, "what", json_string(f->what));
    json_object_set_new(fig, "source", json_string(f->source));
    json_object_set_new(fig, "unit", json_string(f->unit));
    json_object_set_new(fig, "n_points", json_integer(2));
    json_object_set_new(fig, "rmse", json_real(round6(fe.rmse)));
    json_object_set_new(fig, "max_abs_error", json_real(round6(fe.max_abs)));
    json_object_set_new(fig, "sum_sq_z", json_real(round6(fe.ssz)));
    json_object_set_new(fig, "observed", json_pack("[f,f]", round6(fe.obs[0]), round6(fe.obs[1])));
    json_object_set_new(fig, "predicted",
                        json_pack("[f,f]", round6(fe.pred[0]), round6(fe.pred[1])));
    json_t *figs = json_array();
    json_array_append_new(figs, fig);
    json_object_set_new(pt, "fitted_to", figs);
    static const char *const NM[2] = {"theta_ptsd", "phi_ptsd_active"};
    static const char *const REPL[2] = {"theta", "phi_active"};
    static const char *const MEAN[2] = {
        "median drug sensitivity in PTSD (log-score reduction per unit drug state)",
        "non-drug log-score reduction in PTSD, awake active placebo (midazolam) and the "
        "ketamine arm"};
    static const char *const FROM[2] = {
        "the ketamine arm's week-2 response (67 % = 10/15), with phi_ptsd_active",
        "the midazolam arm's week-2 response (20 % = 3/15) alone (no drug in that arm)"};
    const double val[2] = {v.theta_ptsd, v.phi_ptsd_active};
    char fit[256];
    snprintf(fit, sizeof fit,
             "exactly determined (2 parameters, 2 numbers): largest error %.2g percentage "
             "points at the file's 6 digits",
             fe.max_abs);
    json_t *par = json_object();
    for (int i = 0; i < 2; i++) {
        json_t *o = json_object(), *est = json_object();
        json_object_set_new(o, "value", json_real(val[i]));
        json_object_set_new(o, "unit", json_string("1"));
        json_object_set_new(o, "meaning", json_string(MEAN[i]));
        json_object_set_new(o, "replaces", json_string(REPL[i]));
        json_object_set_new(o, "verification", json_string("estimated"));
        json_object_set_new(est, "from", json_string(FROM[i]));
        json_object_set_new(est, "command", json_string(command));
        json_object_set_new(est, "fit", json_string(fit));
        json_object_set_new(est, "range_1se", json_pack("[f,f]", range[i][0], range[i][1]));
        char rm[160];
        snprintf(rm, sizeof rm,
                 "the value solved with the %s share 1 binomial SE (%.1f points) lower and higher",
                 i == 0 ? "ketamine" : "midazolam",
                 100 * sqrt(fe.obs[i] / 100 * (1 - fe.obs[i] / 100) / 15.0));
        json_object_set_new(est, "range_1se_meaning", json_string(rm));
        json_object_set_new(o, "estimated", est);
        json_object_set_new(par, NM[i], o);
    }
    json_object_set_new(pt, "parameters", par);
    json_t *var = json_object();
    json_object_set_new(var, "ptsd", pt);
    printf("calibrate: PTSD stage (exactly determined): theta_ptsd %.6g (1-SE range %.4g-%.4g), "
           "phi_ptsd_active %.6g (%.4g-%.4g); week-2 (day %d) response ketamine %.3f %% (observed "
           "%.3f), midazolam %.3f %% (observed %.3f); read at day 12 instead: theta_ptsd %.6g, "
           "phi_ptsd_active %.6g\n",
           v.theta_ptsd, range[0][0], range[0][1], v.phi_ptsd_active, range[1][0], range[1][1],
           KS_RESPONSE_PTSD_WEEK2_DAY, fe.pred[0], fe.obs[0], fe.pred[1], fe.obs[1], alt.theta_ptsd,
           alt.phi_ptsd_active);
    return var;
}

/* Status of parameter i in u: "identified", "not identified", "held at lower bound", ... */
static const char *unc_status(const ks_response_uncertainty *u, const ks_response_params *p, int i)
{
    if (u->free[i]) return u->identified[i] ? "identified" : "not identified";
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    return fabs(log(p->v[i] / lo.v[i])) < fabs(log(hi.v[i] / p->v[i])) ? "held at lower bound"
                                                                       : "held at upper bound";
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The sampler of the "uncertainty" section (--sampler, --mcmc-*): set once by
 * cmd_calibrate. */
typedef struct unc_cfg {
    int mcmc; /* 1: Markov chains; 0: iterated SIR */
    int smc;  /* 1: sequential Monte Carlo (mcmc 0) */
    int islands, particles, final_max;
    int chains, draws, burn;
    int pooled;    /* with mcmc 0: 1 pooled iterated SIR (AMIS), 0 iterations apart */
    int iters;     /* --iterations: at most this many SIR or pooled SIR iterations */
    int n_centres; /* --centre: extra components of the pooled SIR's mixture proposal */
    ks_response_params centres[KS_RESPONSE_AMIS_MAX_CENTRES];
    const char *centre_path[KS_RESPONSE_AMIS_MAX_CENTRES];
} unc_cfg;
static unc_cfg g_unc = {.mcmc = UNC_DEFAULT_MCMC,
                        .chains = KS_RESPONSE_MCMC_CHAINS,
                        .draws = KS_RESPONSE_MCMC_DRAWS,
                        .burn = KS_RESPONSE_MCMC_BURN,
                        .pooled = UNC_DEFAULT_POOLED,
                        .iters = KS_RESPONSE_SIR_ITER,
                        .islands = KS_RESPONSE_SMC_ISLANDS,
                        .particles = KS_RESPONSE_SMC_PARTICLES,
                        .final_max = KS_RESPONSE_SMC_FINAL_MAX};

/* The statistics both SIR forms record: into sir, and printed after `what` ("SIR,
 * iteration 3 kept" or "pooled SIR, 3 iterations"). */
static void sir_stats_json(json_t *sir, const ks_response_sir_stats *st, const char *meaning,
                           const char *what)
{
    json_object_set_new(sir, "converged", json_boolean(st->ess >= KS_RESPONSE_SIR_N));
    json_object_set_new(sir, "converged_meaning", json_string(meaning));
    json_object_set_new(sir, "proposals", json_integer(st->m));
    json_object_set_new(sir, "sets", json_integer(st->n));
    json_object_set_new(sir, "seed", json_integer(KS_RESPONSE_SIR_SEED));
    json_object_set_new(sir, "effective_sample_size", json_real(round6(st->ess)));
    json_object_set_new(sir, "largest_weight_share", json_real(round6(st->max_share)));
    json_object_set_new(sir, "proposals_without_weight", json_integer(st->n_infinite));
    json_object_set_new(
        sir, "objective_above_fit_p05_p50_p95",
        json_pack("[f,f,f]", round6(st->dobj_q[0]), round6(st->dobj_q[1]), round6(st->dobj_q[2])));
    printf("calibrate: %s: %d of %d proposals kept, effective sample size %.0f%s, largest "
           "weight %.2g %% of the total; kept sets' objective above the fit: median %.3g (5-95 "
           "%%: %.3g-%.3g)\n",
           what, st->n, st->m, st->ess,
           st->ess >= KS_RESPONSE_SIR_N ? "" : " (below the sets kept: NOT converged)",
           100 * st->max_share, st->dobj_q[1], st->dobj_q[0], st->dobj_q[2]);
}

static void amis_progress(int iteration, double ess, int pool, void *ud)
{
    (void)ud;
    fprintf(stderr,
            "calibrate: pooled SIR iteration %d: effective sample size of the pool %.0f of %d "
            "proposals\n",
            iteration, ess, pool);
}

/* The --centre components of the pooled SIR's mixture: per component its file, its
 * objective (the fit's held parameters set, as the sampler does) and its share of the
 * kept sets; printed too. */
static json_t *centres_json(const ks_response_designs *d, const ks_response_params *p,
                            const ks_response_uncertainty *u, const double *share)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:s,s:f,s:f}", "centre", "the fit", "objective",
                                       round6(u->objective), "share_of_sets", round6(share[0])));
    printf("calibrate: mixture proposal: the fit (objective %.4f) %.1f %% of the sets kept",
           u->objective, 100 * share[0]);
    for (int c = 0; c < g_unc.n_centres; c++) {
        ks_response_params q = *p;
        for (int i = 0; i < KS_RP_N; i++)
            if (u->free[i]) q.v[i] = g_unc.centres[c].v[i];
        double f = ks_response_objective(d, &q, NULL);
        json_array_append_new(a, json_pack("{s:s,s:f,s:f}", "centre", g_unc.centre_path[c],
                                           "objective", round6(f), "share_of_sets",
                                           round6(share[c + 1])));
        printf("; %s (objective %.4f with the fit's held parameters) %.1f %%", g_unc.centre_path[c],
               f, 100 * share[c + 1]);
    }
    printf("\n");
    return a;
}

/* Pooled iterated SIR (AMIS) from the Hessian proposal u: KS_RESPONSE_SIR_N sets into
 * sets, *st the pool's statistics; the "sir" object (with "pooled": true), or NULL
 * (printed). */
static json_t *amis_json(const ks_response_designs *d, const ks_response_params *p,
                         const ks_response_uncertainty *u, ks_response_params *sets,
                         ks_response_sir_stats *st)
{
    ks_error err = {0};
    double ie[KS_RESPONSE_SIR_ITER_MAX], share[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
    int ran = 0, nc = g_unc.n_centres;
    if (ks_response_amis_mix(ks_response_objective_fn, (void *)d, p, u, g_unc.centres, nc,
                             g_unc.iters, KS_RESPONSE_SIR_M, KS_RESPONSE_SIR_N,
                             KS_RESPONSE_SIR_INFLATE, KS_RESPONSE_SIR_SEED, 0, sets, st, ie, &ran,
                             share, amis_progress, NULL, &err)) {
        cli_error(CMD, "uncertainty: %s", err.msg);
        return NULL;
    }
    json_t *comps = nc ? centres_json(d, p, u, share) : NULL;
    json_t *iters = json_array();
    for (int t = 0; t < ran; t++) {
        json_array_append_new(
            iters, json_pack("{s:i,s:s,s:i,s:f}", "iteration", t + 1, "proposal",
                             t == 0 ? (nc ? "Hessian (flat axes 3 log units) about the fit and "
                                            "about each --centre, equal shares"
                                          : "Hessian (flat axes 3 log units)")
                             : nc   ? "per component: second moments about its centre of the "
                                      "sets drawn from the pool that it gives the highest "
                                      "density, SDs x 1.2; shares as the sets (at least 0.1)"
                                    : "second moments of sets drawn from the pool, SDs x 1.2",
                             "pool", (t + 1) * KS_RESPONSE_SIR_M, "pool_effective_sample_size",
                             round6(ie[t])));
    }
    json_t *sir = json_object();
    json_object_set_new(sir, "pooled", json_true());
    json_object_set_new(sir, "iterations_max", json_integer(g_unc.iters));
    json_object_set_new(sir, "iterations", iters);
    if (comps) json_object_set_new(sir, "mixture", comps);
    char what[64];
    snprintf(what, sizeof what, "pooled SIR, %d iterations", ran);
    sir_stats_json(sir, st,
                   "the pool's effective sample size reached the number of sets kept; if false, "
                   "the sets are fewer independent draws than they look and the tails of the "
                   "intervals are not to be trusted",
                   what);
    return sir;
}

/* Iterated SIR from the Hessian proposal u: KS_RESPONSE_SIR_N sets into sets, *st the
 * kept iteration's statistics; the "sir" object, or NULL (printed). */
static json_t *sir_json(const ks_response_designs *d, const ks_response_params *p,
                        const ks_response_uncertainty *u, ks_response_params *sets,
                        ks_response_sir_stats *st)
{
    ks_error err = {0};
    /* Iterative SIR (Dosne 2017): the first proposal from the Hessian, each next one from
     * the second moments of the sets just drawn (SDs x 1.2), until the weights spread over
     * at least as many proposals as sets are kept (effective sample size >= n). */
    json_t *iters = json_array();
    ks_response_uncertainty prop = *u;
    /* the iteration with the largest effective sample size is the one kept */
    ks_response_params *cur = malloc(KS_RESPONSE_SIR_N * sizeof *cur);
    ks_response_sir_stats bst = {0}, s1;
    int it = 0, best_it = 0, rc = KS_OK;
    if (!cur) rc = ks_error_set(&err, KS_ENOMEM, "out of memory");
    while (!rc && it < g_unc.iters) {
        if (it > 0)
            rc = ks_response_proposal_from_sets(p, cur, KS_RESPONSE_SIR_N, KS_RESPONSE_SIR_INFLATE,
                                                &prop, &err);
        if (!rc)
            rc = ks_response_sir(ks_response_objective_fn, (void *)d, p, &prop, KS_RESPONSE_SIR_M,
                                 KS_RESPONSE_SIR_N, KS_RESPONSE_SIR_SEED + (uint64_t)it, 0, cur,
                                 &s1, &err);
        if (rc) break;
        it++;
        fprintf(stderr,
                "calibrate: SIR iteration %d: effective sample size %.0f of %d proposals, largest "
                "weight %.2g %%, kept sets' objective above the fit: median %.3g\n",
                it, s1.ess, s1.m, 100 * s1.max_share, s1.dobj_q[1]);
        json_array_append_new(
            iters, json_pack("{s:i,s:s,s:f,s:f,s:[f,f,f]}", "iteration", it, "proposal",
                             it == 1 ? "Hessian (flat axes 3 log units)"
                                     : "second moments of the previous sets, SDs x 1.2",
                             "effective_sample_size", round6(s1.ess), "largest_weight_share",
                             round6(s1.max_share), "objective_above_fit_p05_p50_p95",
                             round6(s1.dobj_q[0]), round6(s1.dobj_q[1]), round6(s1.dobj_q[2])));
        if (s1.ess > bst.ess) {
            bst = s1, best_it = it;
            memcpy(sets, cur, KS_RESPONSE_SIR_N * sizeof *sets);
        }
        if (s1.ess >= KS_RESPONSE_SIR_N) break;
    }
    free(cur);
    if (rc) {
        cli_error(CMD, "uncertainty: %s", err.msg);
        json_decref(iters);
        return NULL;
    }
    *st = bst;
    json_t *sir = json_object();
    json_object_set_new(sir, "iterations", iters);
    json_object_set_new(sir, "iteration_kept", json_integer(best_it));
    json_object_set_new(sir, "iterations_max", json_integer(g_unc.iters));
    char what[64];
    snprintf(what, sizeof what, "SIR, iteration %d kept", best_it);
    sir_stats_json(sir, st,
                   "the kept iteration's effective sample size reached the number of sets "
                   "kept; if false, the sets are fewer independent draws than they look and "
                   "the tails of the intervals are not to be trusted",
                   what);
    return sir;
}

static void mcmc_progress(int chain, int done, int total, void *pud)
{
    (void)pud;
    if (done % 500 == 0 || done == total)
        fprintf(stderr, "calibrate: MCMC chain %d: %d of %d iterations (the first %d burn-in)\n",
                chain + 1, done, total, g_unc.burn);
}

/* The convergence record both chain-like samplers write (Markov chains, SMC): into m, and
 * printed as "max R-hat ...: converged; kept sets' objective ..." after what the caller
 * printed. `units` chains or islands, named `unit` ("chain", "island"); `how`: how the
 * diagnostics were computed, appended to "over the free parameters". */
static void diag_json(json_t *m, double max_rhat, double ess_bulk, double ess_tail, int converged,
                      int units, const char *unit, const char *how, const double dobj[3])
{
    json_object_set_new(m, "max_rhat", json_real(round6(max_rhat)));
    json_object_set_new(m, "min_ess_bulk", json_real(round6(ess_bulk)));
    json_object_set_new(m, "min_ess_tail", json_real(round6(ess_tail)));
    json_object_set_new(m, "converged", json_boolean(converged));
    char crit[768];
    snprintf(crit, sizeof crit,
             "over the free parameters%s: rank-normalised split-R-hat (the larger of bulk and "
             "folded) below %.2f and bulk- and tail-ESS at least %d per %s (%d) (Vehtari et al. "
             "2021); if false, the sets are fewer independent draws than they look, or the "
             "%ss have not found the same distribution, and the intervals are not to be trusted",
             how, KS_RESPONSE_MCMC_RHAT_MAX, KS_RESPONSE_MCMC_ESS_PER_CHAIN, unit,
             KS_RESPONSE_MCMC_ESS_PER_CHAIN * units, unit);
    json_object_set_new(m, "converged_meaning", json_string(crit));
    json_object_set_new(m, "objective_above_fit_p05_p50_p95",
                        json_pack("[f,f,f]", round6(dobj[0]), round6(dobj[1]), round6(dobj[2])));
    printf("max R-hat %.4g, min bulk-ESS %.0f, min tail-ESS %.0f (criteria: R-hat < %.2f, ESS >= "
           "%d): %s; kept sets' objective above the fit: median %.3g (5-95 %%: %.3g-%.3g)\n",
           max_rhat, ess_bulk, ess_tail, KS_RESPONSE_MCMC_RHAT_MAX,
           KS_RESPONSE_MCMC_ESS_PER_CHAIN * units, converged ? "converged" : "NOT converged",
           dobj[1], dobj[0], dobj[2]);
}

/* Markov chains from the Hessian proposal u: KS_RESPONSE_SIR_N sets into sets, *st the
 * diagnostics; the "mcmc" object, or NULL (printed). */
static json_t *mcmc_json(const ks_response_designs *d, const ks_response_params *p,
                         const ks_response_uncertainty *u, ks_response_params *sets,
                         ks_response_mcmc_stats *st)
{
    ks_error err = {0};
    ks_response_mcmc_opts o = {g_unc.chains,  g_unc.draws, g_unc.burn, KS_RESPONSE_SIR_SEED, 0,
                               mcmc_progress, NULL};
    if (ks_response_mcmc(ks_response_objective_fn, (void *)d, p, u, &o, KS_RESPONSE_SIR_N, sets,
                         NULL, st, &err)) {
        cli_error(CMD, "uncertainty: %s", err.msg);
        return NULL;
    }
    json_t *m = json_object();
    json_object_set_new(m, "sampler",
                        json_string("adaptive random-walk Metropolis (Roberts & Rosenthal 2009 "
                                    "adaptive Metropolis with a Robbins-Monro global scale), "
                                    "adaptation during the burn-in only"));
    json_object_set_new(m, "chains", json_integer(st->chains));
    json_object_set_new(m, "burn_in_per_chain", json_integer(st->burn));
    json_object_set_new(m, "draws_per_chain", json_integer(st->draws));
    json_object_set_new(m, "seed", json_integer(KS_RESPONSE_SIR_SEED));
    json_object_set_new(m, "sets", json_integer(KS_RESPONSE_SIR_N));
    json_object_set_new(m, "acceptance", json_real(round6(st->accept_rate)));
    json_t *ac = json_array();
    for (int c = 0; c < st->chains; c++)
        json_array_append_new(ac, json_real(round6(st->accept[c])));
    json_object_set_new(m, "acceptance_per_chain", ac);
    json_object_set_new(m, "proposals_outside_bounds", json_real(round6(st->outside_rate)));
    printf("calibrate: MCMC, %d chains of %d draws after %d burn-in: acceptance %.3f (per chain",
           st->chains, st->draws, st->burn, st->accept_rate);
    for (int c = 0; c < st->chains; c++)
        printf(" %.3f", st->accept[c]);
    printf("), proposals outside the bounds %.3f; ", st->outside_rate);
    diag_json(m, st->max_rhat, st->min_ess_bulk, st->min_ess_tail, st->converged, st->chains,
              "chain", "", st->dobj_q);
    return m;
}

static void smc_progress(int island, int stage, double beta, int sweep, double accept, long evals,
                         void *pud)
{
    const double t0 = *(const double *)pud; /* when the sampler started */
    double now = omp_get_wtime();
    if (island >= 0)
        fprintf(stderr,
                "calibrate: SMC island %d, stage %d (beta %.4g), sweep %d: acceptance %.3f; %ld "
                "objective evaluations, %.0f s\n",
                island + 1, stage, beta, sweep, accept, evals, now - t0);
    else
        fprintf(stderr,
                "calibrate: SMC at beta 1, all islands: further sweep %d, acceptance %.3f; %ld "
                "evaluations, %.0f s\n",
                sweep, accept, evals, now - t0);
}

static void smc_check(int sweeps, double max_rhat, double ess_bulk, double ess_tail, int converged,
                      void *pud)
{
    (void)pud;
    fprintf(stderr,
            "calibrate: SMC at beta 1 after %d further sweeps: max R-hat %.4g, min bulk-ESS %.0f, "
            "min tail-ESS %.0f (criteria: R-hat < %.2f, ESS >= %d): %s\n",
            sweeps, max_rhat, ess_bulk, ess_tail, KS_RESPONSE_MCMC_RHAT_MAX,
            KS_RESPONSE_MCMC_ESS_PER_CHAIN * g_unc.islands, converged ? "converged" : "not yet");
}

/* Sequential Monte Carlo from the Hessian proposal u: KS_RESPONSE_SIR_N sets into sets, *st
 * the diagnostics; the "smc" object, or NULL (printed). */
static json_t *smc_json(const ks_response_designs *d, const ks_response_params *p,
                        const ks_response_uncertainty *u, ks_response_params *sets,
                        ks_response_smc_stats *st)
{
    ks_error err = {0};
    double t0 = omp_get_wtime();
    ks_response_smc_opts o = {g_unc.islands,
                              g_unc.particles,
                              KS_RESPONSE_SMC_SWEEPS_MAX,
                              g_unc.final_max,
                              KS_RESPONSE_SIR_SEED,
                              0,
                              smc_progress,
                              &t0,
                              smc_check};
    if (ks_response_smc(ks_response_objective_fn, (void *)d, p, u, &o, KS_RESPONSE_SIR_N, sets,
                        NULL, st, &err)) {
        cli_error(CMD, "uncertainty: %s", err.msg);
        return NULL;
    }
    json_t *m = json_object();
    json_object_set_new(m, "sampler",
                        json_string("sequential Monte Carlo with adaptive tempering from the "
                                    "Hessian's normal, random-walk Metropolis moves, in "
                                    "independent islands"));
    json_object_set_new(m, "islands", json_integer(st->islands));
    json_object_set_new(m, "particles_per_island", json_integer(st->particles));
    json_object_set_new(m, "seed", json_integer(KS_RESPONSE_SIR_SEED));
    json_object_set_new(m, "sets", json_integer(KS_RESPONSE_SIR_N));
    json_object_set_new(m, "evaluations", json_integer(st->evaluations));
    json_t *isl = json_array();
    for (int s = 0; s < st->islands; s++) {
        json_t *stages = json_array();
        for (int g = 0; g < st->stages[s]; g++)
            json_array_append_new(stages,
                                  json_pack("{s:f,s:f,s:i,s:f}", "beta", round6(st->beta[s][g]),
                                            "acceptance", round6(st->accept[s][g]), "sweeps",
                                            st->sweeps[s][g], "moved", round6(st->moved[s][g])));
        json_array_append_new(isl, json_pack("{s:i,s:f,s:i,s:o}", "island", s + 1, "log_evidence",
                                             round6(st->log_evidence[s]), "ancestors",
                                             st->ancestors[s], "stages", stages));
    }
    json_object_set_new(m, "island_runs", isl);
    json_object_set_new(m, "islands_meaning",
                        json_string("per island: its temperatures (beta) with the acceptance of "
                                    "their Metropolis sweeps, the sweeps and the share of "
                                    "particles moved; log_evidence: its estimate of the log "
                                    "normalising constant of the target over the Hessian's "
                                    "normal (islands that found the same distribution agree "
                                    "within their Monte Carlo error); ancestors: initial draws "
                                    "with descendants at the end"));
    json_object_set_new(m, "final_sweeps", json_integer(st->final_sweeps));
    json_object_set_new(m, "final_sweeps_max", json_integer(g_unc.final_max));
    if (st->final_sweeps)
        json_object_set_new(m, "final_acceptance", json_real(round6(st->final_accept)));
    printf("calibrate: SMC, %d islands of %d particles, %ld objective evaluations; stages per "
           "island",
           st->islands, st->particles, st->evaluations);
    for (int s = 0; s < st->islands; s++)
        printf(" %d", st->stages[s]);
    printf(", log evidence per island");
    for (int s = 0; s < st->islands; s++)
        printf(" %.3f", st->log_evidence[s]);
    printf("; %d further sweeps at beta 1; ", st->final_sweeps);
    diag_json(m, st->max_rhat, st->min_ess_bulk, st->min_ess_tail, st->converged, st->islands,
              "island",
              ", with the islands as chains and each island's particles in their order as draws "
              "(particles that still share an ancestor are neighbours, so the ESS counts them as "
              "correlated)",
              st->dobj_q);
    return m;
}

/* The "uncertainty" section at the fit p (all figures' designs in d), printed as a table;
 * NULL on error (printed). */
static json_t *uncertainty_json(const ks_response_designs *d, const ks_response_params *p)
{
    ks_error err = {0};
    ks_response_uncertainty u;
    if (g_unc.mcmc)
        fprintf(stderr,
                "calibrate: parameter uncertainty: Hessian of the objective at 2 steps, then %d "
                "Markov chains of %d iterations (%d burn-in): %d objective evaluations...\n",
                g_unc.chains, g_unc.burn + g_unc.draws, g_unc.burn,
                g_unc.chains * (g_unc.burn + g_unc.draws));
    else if (g_unc.smc)
        fprintf(stderr,
                "calibrate: parameter uncertainty: Hessian of the objective at 2 steps, then "
                "sequential Monte Carlo, %d islands of %d particles (each temperature costs "
                "particles x sweeps evaluations; hours on two cores)...\n",
                g_unc.islands, g_unc.particles);
    else
        fprintf(stderr,
                "calibrate: parameter uncertainty: Hessian of the objective at 2 steps, then up "
                "to %d %sSIR iterations of %d proposals (about %d minutes on two cores)...\n",
                g_unc.iters, g_unc.pooled ? "pooled " : "", KS_RESPONSE_SIR_M, 2 + 3 * g_unc.iters);
    ks_response_params *sets = malloc(KS_RESPONSE_SIR_N * sizeof *sets);
    if (!sets) {
        cli_error(CMD, "uncertainty: out of memory");
        return NULL;
    }
    if (ks_response_uncertainty_compute(d, p, KS_RESPONSE_HESSIAN_STEP, 0, &u, &err)) {
        cli_error(CMD, "uncertainty: %s", err.msg);
        free(sets);
        return NULL;
    }
    ks_response_sir_stats st;
    ks_response_mcmc_stats mst;
    ks_response_smc_stats *sst = calloc(1, sizeof *sst);
    if (!sst) {
        cli_error(CMD, "uncertainty: out of memory");
        free(sets);
        return NULL;
    }
    json_t *samp = g_unc.mcmc     ? mcmc_json(d, p, &u, sets, &mst)
                   : g_unc.smc    ? smc_json(d, p, &u, sets, sst)
                   : g_unc.pooled ? amis_json(d, p, &u, sets, &st)
                                  : sir_json(d, p, &u, sets, &st);
    /* the diagnostics per parameter, for the table (Markov chains or SMC) */
    const double *q05 = g_unc.smc ? sst->q05 : mst.q05, *q95 = g_unc.smc ? sst->q95 : mst.q95,
                 *rhat = g_unc.smc ? sst->rhat : mst.rhat,
                 *essb = g_unc.smc ? sst->ess_bulk : mst.ess_bulk,
                 *esst = g_unc.smc ? sst->ess_tail : mst.ess_tail;
    const int diag = g_unc.mcmc || g_unc.smc;
    if (!samp) {
        free(sets), free(sst);
        return NULL;
    }
    json_t *un = json_object();
    json_object_set_new(
        un, "method",
        json_string(
            g_unc.smc
                ? "Sequential Monte Carlo on the log parameters (Del Moral P, Doucet A, Jasra A "
                  "2006, J R Stat Soc B 68:411): target density proportional to exp(-objective "
                  "/ (2 scale)) within the calibration bounds (the objective is a sum of squared "
                  "standardised residuals, -2 log-likelihood up to a constant for normal "
                  "errors), parameters the fit left at a bound held there. Independent islands "
                  "of particles (Verge C, Dubarry C, Del Moral P, Moulines E 2015, Stat Comput "
                  "25:243; arXiv:1306.3911), each drawn from the Hessian's normal q0 "
                  "(covariance 2 H^-1 times scale, flat axes 3 log units) and carried through "
                  "the targets q0^(1 - beta) pi^beta, beta from 0 to 1, each next beta where the "
                  "effective sample size of the incremental weights falls to half the particles "
                  "(adaptive tempering: Jasra A, Stephens DA, Doucet A, Tsagaris T 2011, Scand J "
                  "Stat 38:1), then systematic resampling and random-walk Metropolis sweeps "
                  "invariant for that target (steps from 2.38^2/d times the particles' weighted "
                  "covariance, the scale following the acceptance towards 0.234) until 99 % of "
                  "the particles have moved; at beta 1 the sweeps go on until the diagnostics "
                  "pass or \"final_sweeps_max\" are done. Convergence: rank-normalised "
                  "split-R-hat and bulk/tail effective sample sizes (Vehtari et al. 2021) with "
                  "the islands as chains and the particles in their order (families of one "
                  "ancestor are neighbours) as draws. The sets are evenly spaced over all final "
                  "particles. docs/response-model.md, Parameter uncertainty."
            : g_unc.mcmc
                ? "Markov chain Monte Carlo on the log parameters: target density proportional "
                  "to exp(-objective / (2 scale)) within the calibration bounds (the objective "
                  "is a sum of squared standardised residuals, -2 log-likelihood up to a "
                  "constant for normal errors), parameters the fit left at a bound held there. "
                  "Adaptive random-walk Metropolis (Roberts GO, Rosenthal JS 2009, J Comput "
                  "Graph Stat 18:349, doi:10.1198/jcgs.2009.06134, adaptive Metropolis: a "
                  "share 0.05 of steps from the fixed proposal, the rest from 2.38^2/d times "
                  "the covariance of the chains' states, here pooled over the chains in three "
                  "windows, with a Robbins-Monro global scale towards acceptance 0.234), "
                  "adapted during the burn-in only; several chains started "
                  "from dispersed draws of the Hessian's normal (covariance 2 H^-1 times scale, "
                  "flat axes 3 log units), which is also the fixed proposal. Convergence: "
                  "rank-normalised split-R-hat and bulk/tail effective sample sizes (Vehtari A, "
                  "Gelman A, Simpson D, Carpenter B, Buerkner P-C 2021, Bayesian Anal 16:667, "
                  "doi:10.1214/20-BA1221; autocorrelations summed with Geyer's initial monotone "
                  "sequence). The sets are thinned evenly from every chain's draws after the "
                  "burn-in. docs/response-model.md, Parameter uncertainty."
            : g_unc.pooled
                ? "Pooled iterated sampling importance resampling: adaptive multiple importance "
                  "sampling (AMIS; Cornuet J-M, Marin J-M, Mira A, Robert CP 2012, Scand J Stat "
                  "39:798, doi:10.1111/j.1467-9469.2011.00756.x). Target: exp(-(objective - fit) "
                  "/ (2 scale)) on the log parameters within the calibration bounds (the "
                  "objective is a sum of squared standardised residuals, -2 log-likelihood up "
                  "to a constant for normal errors); parameters the fit left at a bound held "
                  "there. First proposal: normal about the fit with covariance 2 H^-1 times "
                  "scale (H: central-difference Hessian in log parameters; eigen-axes with a "
                  "1-SD spread above 3 log units proposed with 3 log units); each next one: "
                  "normal about the fit with the second moments of 200 sets drawn from the pool "
                  "so far, SDs x 1.2; proposals outside the bounds redrawn (each proposal's mass "
                  "inside the bounds estimated from 20000 draws). Every proposal of every "
                  "iteration is kept and weighted by the target over the equal mixture of the "
                  "proposal densities so far (the balance heuristic); stop when the pool's "
                  "effective sample size reaches the number of sets (at most "
                  "\"iterations_max\" iterations of 2000). The sets: drawn without replacement "
                  "from the pool in proportion to "
                  "the weights (ketsim forecast --uncertainty uses them). With --centre "
                  "(\"mixture\"): each iteration's proposal is a mixture of such normals, one "
                  "about the fit and one about each centre, drawn in fixed shares (the "
                  "proposal density is the mixture's); each component then takes the second "
                  "moments about its centre of the sets it gives the highest density and a "
                  "share of the draws equal to theirs (at least 0.1). "
                  "docs/response-model.md, Parameter uncertainty."
                : "Sampling importance resampling (SIR; Dosne A-G et al. 2016, J Pharmacokinet "
                  "Pharmacodyn 43:583, doi:10.1007/s10928-016-9487-8), iterated (Dosne A-G, "
                  "Bergstrand M, Karlsson MO 2017, J Pharmacokinet Pharmacodyn 44:509, "
                  "doi:10.1007/s10928-017-9542-0). First proposal: the objective is a sum "
                  "of squared standardised residuals (-2 log-likelihood up to a constant for "
                  "normal errors), so near the fit the log parameters are approximately normal "
                  "with covariance 2 H^-1 times scale (H: central-difference Hessian of the "
                  "objective in log parameters); eigen-axes with a 1-SD spread above 3 log units "
                  "are not identified and are proposed with 3 log units; proposals outside the "
                  "calibration bounds are redrawn; parameters the fit left at a bound are held "
                  "there. Importance weight: exp(-(objective - fit) / (2 scale)) over the "
                  "proposal density; sets drawn without replacement in proportion to the "
                  "weights. Next proposals: normal about the fit with the second moments of the "
                  "sets just drawn, SDs x 1.2; stop when the effective sample size reaches the "
                  "number of sets (at most \"iterations_max\" iterations). Forecasts use the sets "
                  "of the "
                  "iteration with the largest effective sample size (ketsim forecast "
                  "--uncertainty). docs/response-model.md, Parameter uncertainty."));
    json_t *at = json_array();
    for (int i = 0; i < KS_RP_N; i++)
        json_array_append_new(at, json_real(round6(p->v[i])));
    json_object_set_new(un, "at", at);
    json_object_set_new(un, "at_meaning",
                        json_string("the parameter values it was computed at, in the order of "
                                    "parameters (--errors checks they are the file's)"));
    json_object_set_new(un, "step_log", json_real(u.step));
    json_object_set_new(un, "step_change_max", json_real(round6(u.step_change)));
    json_object_set_new(un, "step_change_meaning",
                        json_string("largest relative change of an identified parameter's SD "
                                    "when the Hessian is taken at twice the step"));
    json_object_set_new(un, "objective", json_real(round6(u.objective)));
    json_object_set_new(un, "n_points", json_integer(u.n_points));
    json_object_set_new(un, "n_free", json_integer(u.n_free));
    json_object_set_new(un, "scale", json_real(round6(u.scale)));
    json_object_set_new(un, "scale_meaning",
                        json_string("objective / (n_points - n_free) when above 1: the misfit "
                                    "beyond the figures' own errors widens every interval"));
    int nflat = 0;
    for (int j = 0; j < u.n_axes; j++)
        nflat += u.flat[j];
    json_object_set_new(un, "axes", json_integer(u.n_axes));
    json_object_set_new(un, "axes_not_identified", json_integer(nflat));
    json_object_set_new(un, g_unc.mcmc ? "mcmc" : g_unc.smc ? "smc" : "sir", samp);
    json_t *pars = json_object();
    printf("\n%-18s %12s  %-20s %9s  %-22s", "parameter", "value", "status", "sd_log",
           "90 % of the sets");
    if (diag)
        printf(" %-22s %7s %8s %8s", g_unc.smc ? "90 % of all particles" : "90 % of all draws",
               "R-hat", "ESS_bulk", "ESS_tail");
    printf(" %s\n", "unit");
    double col[KS_RESPONSE_SIR_N];
    for (int i = 0; i < KS_RP_N; i++) {
        json_t *o = json_object();
        const char *stt = unc_status(&u, p, i);
        json_object_set_new(o, "status", json_string(stt));
        if (u.identified[i])
            json_object_set_new(o, "sd_log_hessian", json_real(round6(sqrt(u.cov[i][i]))));
        for (int k = 0; k < KS_RESPONSE_SIR_N; k++)
            col[k] = sets[k].v[i];
        qsort(col, KS_RESPONSE_SIR_N, sizeof *col, cmp_dbl);
        double lo = col[(int)floor(0.05 * (KS_RESPONSE_SIR_N - 1))],
               hi = col[(int)ceil(0.95 * (KS_RESPONSE_SIR_N - 1))];
        json_object_set_new(o, "range_90_sets", json_pack("[f,f]", round6(lo), round6(hi)));
        char sd[16] = "-";
        if (u.identified[i]) snprintf(sd, sizeof sd, "%.3g", sqrt(u.cov[i][i]));
        printf("%-18s %12.5g  %-20s %9s  %10.4g-%-10.4g", ks_response_param_name(i), p->v[i], stt,
               sd, lo, hi);
        if (diag) {
            json_object_set_new(o, g_unc.smc ? "range_90_particles" : "range_90_draws",
                                json_pack("[f,f]", round6(q05[i]), round6(q95[i])));
            if (u.free[i]) {
                json_object_set_new(o, "rhat", json_real(round6(rhat[i])));
                json_object_set_new(o, "ess_bulk", json_real(round6(essb[i])));
                json_object_set_new(o, "ess_tail", json_real(round6(esst[i])));
            }
            printf(" %10.4g-%-10.4g %7.4g %8.0f %8.0f", q05[i], q95[i], rhat[i], essb[i], esst[i]);
        }
        printf(" %s\n", ks_response_param_unit(i));
        json_object_set_new(pars, ks_response_param_name(i), o);
    }
    json_object_set_new(un, "parameters", pars);
    json_t *arr = json_array();
    for (int k = 0; k < KS_RESPONSE_SIR_N; k++) {
        json_t *a = json_array();
        for (int i = 0; i < KS_RP_N; i++)
            json_array_append_new(a, json_real(round6(sets[k].v[i])));
        json_array_append_new(arr, a);
    }
    json_object_set_new(
        un, "sets_meaning",
        json_string(g_unc.mcmc  ? "parameter sets in the order of parameters, thinned evenly from "
                                  "every chain's draws after the burn-in, in a shuffled order: "
                                  "any first n of them is itself a thinned sample"
                    : g_unc.smc ? "parameter sets in the order of parameters, evenly spaced over "
                                  "every island's final particles, in a shuffled order: any "
                                  "first n of them is itself a thinned sample"
                                : "parameter sets in the order of parameters, drawn by SIR; "
                                  "any first n of them is itself a weighted sample"));
    json_object_set_new(un, "sets", arr);
    printf("calibrate: %d of %d parameters free (the others at a bound), %d of %d axes not "
           "identified; residual variance factor %.3g; identified SDs change by at most %.2g %% "
           "at twice the step\n",
           u.n_free, KS_RP_N, nflat, u.n_axes, u.scale, 100 * u.step_change);
    free(sets), free(sst);
    return un;
}

/* Write root to path whole or not at all; 0, or 2 with a message. */
static int dump_file(json_t *root, const char *path)
{
    ks_error err = {0};
    FILE *f = NULL;
    char tmp[4096];
    int rc = 0;
    if (ks_atomic_open(path, &f, tmp, sizeof tmp, &err)) {
        cli_error(CMD, "--write: %s", err.msg);
        rc = 2;
    } else if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) ||
               fputc('\n', f) == EOF) {
        ks_atomic_abort(f, tmp);
        cli_error(CMD, "--write: %s: cannot write", path);
        rc = 2;
    } else if (ks_atomic_commit(f, tmp, path, &err)) {
        cli_error(CMD, "--write: %s", err.msg);
        rc = 2;
    } else
        printf("calibrate: wrote %s (version %s)\n", path, PARAM_VERSION);
    return rc;
}

/* Stage 2 on p into root's "variants", then root to path; root is released. */
static int finish_file(json_t *root, const ks_response_designs *d, const ks_response_params *p,
                       const char *command, const char *path, int with_unc)
{
    json_t *var = ptsd_json(d, p, command), *un = var && with_unc ? uncertainty_json(d, p) : NULL;
    int rc = 1;
    if (var && (un || !with_unc)) {
        if (un) json_object_set_new(root, "uncertainty", un);
        json_object_set_new(root, "variants", var);
        rc = dump_file(root, path);
    } else
        json_decref(var);
    json_decref(root);
    return rc;
}

/* --fit-heldout: the predicted-only figures are fitted too (a sensitivity fit) */
static int g_fit_heldout;
/* --order: the relapse order is imposed (a sensitivity fit) */
static int g_order;

/* A fit that is not the calibration (--hold, --weight, --fit-heldout, --order). */
static int is_sensitivity(const char *hold, const char *weight)
{
    return hold || weight || g_fit_heldout || g_order;
}

/* The "relapse_order" section: whether the order was imposed, its terms, and the two
 * medians with p (NULL on error, printed). */
static json_t *order_json(const ks_response_designs *d, const ks_response_params *p)
{
    ks_error err = {0};
    double one, six, term;
    if (ks_response_order_eval(d, p, &one, &six, &term, &err)) {
        cli_error(CMD, "%s", err.msg);
        return NULL;
    }
    return json_pack(
        "{s:b,s:s,s:f,s:f,s:f,s:f,s:f,s:b}", "imposed", ks_response_designs_order(d), "what",
        "median relapse after the last dose among the responders 24 h after it (loss of the >= "
        "50 % reduction, daily checks, linear between them), six 0.5 mg/kg infusions over 12 "
        "days and one; when imposed, the objective adds weight x (margin_d - (six - one))^2 "
        "while six is less than margin_d days later (docs/response-model.md, \"The relapse "
        "order\")",
        "margin_d", KS_RESPONSE_ORDER_MARGIN_D, "weight", KS_RESPONSE_ORDER_WEIGHT,
        "one_infusion_d", round6(one), "six_infusions_d", round6(six), "term", round6(term),
        "holds", six - one >= KS_RESPONSE_ORDER_MARGIN_D);
}

static int write_file(const char *path, const ks_response_designs *d,
                      const ks_response_params *fitted, double objective, int n_eval, int converged,
                      const resp_env *e, int max_eval, const char *start, const char *used,
                      const char *pd_opt, int with_unc, int methods, const char *hold,
                      const char *weight)
{
    ks_error err = {0};
    /* The file holds 6 significant digits: its errors are those of the rounded values. */
    ks_response_params rounded = *fitted;
    for (int i = 0; i < KS_RP_N; i++)
        rounded.v[i] = round6(fitted->v[i]);
    const ks_response_params *p = &rounded;
    objective = ks_response_objective(d, p, NULL); /* with the --weight weights */
    /* the PD file as given (--pd), or the shipped one */
    const char *pd_file = pd_opt ? pd_opt : "data/pd-acute.json";
    char command[8800], sens[2200] = "";
    if (is_sensitivity(hold, weight))
        snprintf(sens, sizeof sens, "%s%s%s%s%s%s%s%s", hold ? " --hold \"" : "", hold ? hold : "",
                 hold ? "\"" : "", weight ? " --weight \"" : "", weight ? weight : "",
                 weight ? "\"" : "", g_fit_heldout ? " --fit-heldout" : "",
                 g_order ? " --order" : "");
    snprintf(command, sizeof command,
             "ketsim calibrate --iv-model %s --nasal-model %s%s%s --max-eval %d%s%s%s%s%s%s "
             "--write FILE",
             e->iv_name, e->nasal_name, pd_opt ? " --pd " : "", pd_opt ? pd_opt : "", max_eval,
             start ? " --start \"" : "", start ? start : "", start ? "\"" : "", sens,
             methods ? " --ibrahim-rule methods" : "", with_unc ? "" : " --no-uncertainty");
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string("ketsim-response/1"));
    json_object_set_new(root, "version", json_string(PARAM_VERSION));
    json_object_set_new(root, "title",
                        json_string("Antidepressant response model: fitted parameters"));
    json_object_set_new(
        root, "description",
        json_string("Every parameter is estimated (no source gives it): fitted by the command "
                    "below to the figures in fitted_to, all from ../shared/data/efficacy.md. "
                    "Equations and assumptions: docs/response-model.md. Cross-validation: "
                    "docs/validation-response.md. " KS_RESP_NOTE));
    json_object_set_new(root, "command", json_string(command));
    int held[KS_RP_N] = {0};
    if (is_sensitivity(hold, weight)) {
        ks_response_params hv;
        if (hold && resp_parse_hold(CMD, hold, &hv, held)) {
            json_decref(root);
            return 2;
        }
        json_object_set_new(
            root, "description",
            json_string(
                "A SENSITIVITY FIT, NOT THE CALIBRATION: the parameters named in "
                "sensitivity.held were held at their values and the others fitted, "
                "to the figures in fitted_to with the weights in sensitivity.weights "
                "(1 elsewhere), and to those in sensitivity.heldout_fitted, with the "
                "relapse order imposed when relapse_order.imposed says so; "
                "objective_sum_sq_z and fitted_to are unweighted and without the "
                "latter. Do not use it for forecasts. docs/response-model.md. " KS_RESP_NOTE));
        json_t *sj = json_object(), *hj = json_object(), *wj = json_array();
        for (int i = 0; i < KS_RP_N; i++)
            if (held[i]) json_object_set_new(hj, ks_response_param_name(i), json_real(p->v[i]));
        for (size_t f = 0; f < ks_response_n_figures(); f++)
            for (size_t k = 0; k < ks_response_figure_at(f)->n_points; k++) {
                double w = ks_response_designs_weight(d, f, k);
                if (w == 1) continue;
                json_t *o = json_object();
                json_object_set_new(o, "figure", json_string(ks_response_figure_at(f)->id));
                json_object_set_new(o, "point", json_integer((json_int_t)k + 1));
                json_object_set_new(o, "weight", json_real(w));
                json_array_append_new(wj, o);
            }
        json_object_set_new(sj, "held", hj);
        json_object_set_new(sj, "weights", wj);
        json_t *hf = json_array();
        for (size_t h = 0; g_fit_heldout && h < ks_response_n_heldout(); h++)
            json_array_append_new(hf, json_string(ks_response_heldout_at(h)->id));
        json_object_set_new(sj, "heldout_fitted", hf);
        json_object_set_new(sj, "objective_weighted", json_real(round6(objective)));
        json_object_set_new(root, "sensitivity", sj);
    }
    json_object_set_new(root, "optimiser",
                        json_string("NLopt LN_BOBYQA on log parameters within the bounds of "
                                    "ks_response_params_bounds, from ks_response_params_start, "
                                    "two passes (initial steps 0.5 then 0.1 in log units)"));
    json_t *drive = json_object();
    json_object_set_new(drive, "iv_model", json_string(e->iv_name));
    json_object_set_new(drive, "nasal_model", json_string(e->nasal_name));
    json_object_set_new(drive, "pd_file", json_string(pd_file));
    json_object_set_new(drive, "patient", json_string("70 kg, 45 y (typical PK)"));
    json_object_set_new(root, "drive", drive);
    json_object_set_new(root, "start_used", json_string(used));
    json_object_set_new(root, "ibrahim_rule", json_string(methods ? "methods" : "loss50"));
    json_t *order = order_json(d, p);
    if (!order) {
        json_decref(root);
        return 1;
    }
    json_object_set_new(root, "relapse_order", order);
    json_object_set_new(root, "objective_sum_sq_z", json_real(round6(objective)));
    json_object_set_new(root, "evaluations", json_integer(n_eval));
    json_object_set_new(root, "converged", json_boolean(converged));
    json_t *figs = json_array();
    size_t npts = 0;
    double ssz_all = 0;
    for (size_t i = 0; i < ks_response_n_figures(); i++) {
        const ks_response_figure *f = ks_response_figure_at(i);
        resp_fig_err fe;
        if (resp_figure_errors(d, p, i, &fe, &err)) {
            cli_error(CMD, "%s", err.msg);
            json_decref(root);
            return 1;
        }
        npts += f->n_points;
        ssz_all += fe.ssz;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(f->id));
        json_object_set_new(o, "study", json_string(f->study));
        json_object_set_new(o, "what", json_string(f->what));
        json_object_set_new(o, "source", json_string(f->source));
        json_object_set_new(o, "unit", json_string(f->unit));
        json_object_set_new(o, "n_points", json_integer((json_int_t)f->n_points));
        json_object_set_new(o, "rmse", json_real(round6(fe.rmse)));
        json_object_set_new(o, "max_abs_error", json_real(round6(fe.max_abs)));
        json_object_set_new(o, "sum_sq_z", json_real(round6(fe.ssz)));
        json_t *ob = json_array(), *pr = json_array();
        for (size_t k = 0; k < f->n_points; k++) {
            json_array_append_new(ob, json_real(round6(fe.obs[k])));
            json_array_append_new(pr, json_real(round6(fe.pred[k])));
        }
        json_object_set_new(o, "observed", ob);
        json_object_set_new(o, "predicted", pr);
        json_array_append_new(figs, o);
    }
    json_object_set_new(root, "fitted_to", figs);
    if (is_sensitivity(hold, weight)) { /* the fit error itself, unweighted (in place) */
        objective = ssz_all;
        json_object_set_new(root, "objective_sum_sq_z", json_real(round6(objective)));
    }
    json_t *par = json_object();
    char fit[256];
    snprintf(fit, sizeof fit,
             "sum of squared standardised residuals %.4g over %zu points of %zu figures "
             "(per-figure errors in fitted_to)",
             objective, npts, ks_response_n_figures());
    for (int i = 0; i < KS_RP_N; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "value", json_real(round6(p->v[i])));
        json_object_set_new(o, "unit", json_string(ks_response_param_unit(i)));
        json_object_set_new(o, "meaning", json_string(ks_response_param_meaning(i)));
        if (held[i]) {
            json_object_set_new(o, "verification", json_string("held (--hold), not estimated"));
            json_object_set_new(par, ks_response_param_name(i), o);
            continue;
        }
        json_object_set_new(o, "verification", json_string("estimated"));
        json_t *est = json_object();
        json_object_set_new(est, "from", json_string("the figures in fitted_to"));
        json_object_set_new(est, "command", json_string(command));
        json_object_set_new(est, "fit", json_string(fit));
        json_object_set_new(o, "estimated", est);
        json_object_set_new(par, ks_response_param_name(i), o);
    }
    json_object_set_new(root, "parameters", par);
    return finish_file(root, d, p, command, path, with_unc);
}

/* A fitted parameter file for option opt: its parameters into *p and its JSON (order
 * kept) into *root, whose member `key` must exist; 2 with a message otherwise. */
static int load_fitted(const char *opt, const char *path, const char *key, ks_response_params *p,
                       json_t **root)
{
    ks_error err = {0};
    *root = NULL;
    if (ks_response_params_load(path, p, &err)) {
        cli_error(CMD, "%s: %s", opt, err.msg);
        return 2;
    }
    json_error_t je;
    *root = json_load_file(path, JSON_PRESERVE_ORDER, &je);
    if (!*root || !json_object_get(*root, key)) {
        cli_error(CMD, "%s: %s: $.%s: missing", opt, path, key);
        json_decref(*root);
        *root = NULL;
        return 2;
    }
    return 0;
}

/* --stage2: FILE's depression part as it is, the PTSD stage recomputed from it. */
static int write_stage2(const char *in, const char *out, const ks_response_designs *d)
{
    ks_response_params p;
    json_t *root;
    if (load_fitted("--stage2", in, "command", &p, &root)) return 2;
    const char *command = json_string_value(json_object_get(root, "command"));
    if (!command) {
        cli_error(CMD, "--stage2: %s: $.command: not a string", in);
        json_decref(root);
        return 2;
    }
    return finish_file(root, d, &p, command, out, 0);
}

/* --uncertainty: FILE's parameters as they are; the uncertainty section recomputed (printed;
 * with --write, FILE with the section replaced to OUT). */
static int write_uncertainty(const char *in, const char *out, const ks_response_designs *d)
{
    ks_response_params p;
    json_t *root;
    if (load_fitted("--uncertainty", in, "parameters", &p, &root)) return 2;
    json_t *un = uncertainty_json(d, &p);
    int rc = 1;
    if (un) {
        /* how to make this section again (the file's "command" made the fit) */
        char cmd[4096];
        size_t n = (size_t)snprintf(cmd, sizeof cmd, "ketsim calibrate --uncertainty FILE");
        if (g_unc.mcmc)
            n += (size_t)snprintf(cmd + n, sizeof cmd - n,
                                  " --sampler mcmc --mcmc-chains %d --mcmc-burn %d --mcmc-draws %d",
                                  g_unc.chains, g_unc.burn, g_unc.draws);
        else if (g_unc.pooled)
            n += (size_t)snprintf(cmd + n, sizeof cmd - n, " --sampler amis");
        else if (g_unc.smc)
            n += (size_t)snprintf(
                cmd + n, sizeof cmd - n,
                " --sampler smc --smc-islands %d --smc-particles %d --smc-final %d", g_unc.islands,
                g_unc.particles, g_unc.final_max);
        if (!g_unc.mcmc && !g_unc.smc && g_unc.iters != KS_RESPONSE_SIR_ITER)
            n += (size_t)snprintf(cmd + n, sizeof cmd - n, " --iterations %d", g_unc.iters);
        for (int c = 0; c < g_unc.n_centres && n < sizeof cmd; c++)
            n +=
                (size_t)snprintf(cmd + n, sizeof cmd - n, " --centre \"%s\"", g_unc.centre_path[c]);
        if (n < sizeof cmd) snprintf(cmd + n, sizeof cmd - n, " --write FILE");
        json_object_set_new(un, "command", json_string(cmd));
        /* in place of the old section, or before "variants" (the order calibrate writes) */
        json_t *var = json_incref(json_object_get(root, "variants"));
        json_object_del(root, "uncertainty");
        json_object_del(root, "variants");
        json_object_set_new(root, "uncertainty", un);
        if (var) json_object_set_new(root, "variants", var);
        rc = out ? dump_file(root, out) : 0;
    }
    json_decref(root);
    return rc;
}

/* A whole number option --NAME in [lo, hi] into *out; 2 with a message otherwise. */
static int parse_int(const cli_opt *o, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(o->value, &end, 10);
    if (!isdigit((unsigned char)o->value[0]) || *end || v < lo || v > hi) {
        cli_error(CMD, "--%s \"%s\": expected a whole number from %ld to %ld", o->name, o->value,
                  lo, hi);
        return 2;
    }
    *out = (int)v;
    return 0;
}

/* --sampler and --mcmc-* into g_unc; only where an uncertainty section is computed
 * (--uncertainty FILE, or a fit with --write and without --no-uncertainty). */
static int parse_sampler(const cli_opt *o, int fitted)
{
    int unc = o[O_UNC].value || (!fitted && o[O_WRITE].value && !o[O_NOUNC].seen);
    for (int q = O_SAMPLER; q <= O_MCMC_CHAINS; q++)
        if (o[q].value && !unc) {
            cli_error(CMD,
                      "--%s: only where the uncertainty section is computed (--uncertainty FILE, "
                      "or a fit with --write and without --no-uncertainty)",
                      o[q].name);
            return 2;
        }
    if (o[O_SAMPLER].value) {
        if (strcmp(o[O_SAMPLER].value, "mcmc") == 0)
            g_unc.mcmc = 1;
        else if (strcmp(o[O_SAMPLER].value, "sir") == 0)
            g_unc.mcmc = 0, g_unc.pooled = 0;
        else if (strcmp(o[O_SAMPLER].value, "amis") == 0)
            g_unc.mcmc = 0, g_unc.pooled = 1;
        else if (strcmp(o[O_SAMPLER].value, "smc") == 0)
            g_unc.mcmc = 0, g_unc.pooled = 0, g_unc.smc = 1;
        else {
            cli_error(CMD, "--sampler \"%s\": expected sir, amis, mcmc or smc", o[O_SAMPLER].value);
            return 2;
        }
    }
    for (int q = O_SMC_ISLANDS; q <= O_SMC_FINAL; q++)
        if (o[q].value && (!unc || !g_unc.smc)) {
            cli_error(CMD,
                      "--%s: only with --sampler smc (where the uncertainty section is "
                      "computed)",
                      o[q].name);
            return 2;
        }
    if (o[O_SMC_ISLANDS].value &&
        parse_int(&o[O_SMC_ISLANDS], 2, KS_RESPONSE_SMC_MAX_ISLANDS, &g_unc.islands))
        return 2;
    /* at least 2 islands of 200: never fewer particles than the sets kept */
    if (o[O_SMC_PARTICLES].value &&
        parse_int(&o[O_SMC_PARTICLES], 200, KS_RESPONSE_SMC_MAX_PARTICLES, &g_unc.particles))
        return 2;
    if (o[O_SMC_FINAL].value && parse_int(&o[O_SMC_FINAL], 0, 60000, &g_unc.final_max)) return 2;
    for (int q = O_MCMC_DRAWS; q <= O_MCMC_CHAINS; q++)
        if (o[q].value && !g_unc.mcmc) {
            cli_error(CMD, "--%s: only with --sampler mcmc", o[q].name);
            return 2;
        }
    if (o[O_ITERS].value && (!unc || g_unc.mcmc || g_unc.smc)) {
        cli_error(CMD, "--iterations: only with --sampler sir or amis (where the uncertainty "
                       "section is computed)");
        return 2;
    }
    if (o[O_ITERS].value && parse_int(&o[O_ITERS], 1, KS_RESPONSE_SIR_ITER_MAX, &g_unc.iters))
        return 2;
    if (o[O_CENTRE].value && (!unc || g_unc.mcmc || g_unc.smc || !g_unc.pooled)) {
        cli_error(CMD, "--centre: only with --sampler amis (where the uncertainty section is "
                       "computed)");
        return 2;
    }
    if (o[O_CENTRE].n_all > KS_RESPONSE_AMIS_MAX_CENTRES) {
        cli_error(CMD, "--centre: given %d times, at most %d", o[O_CENTRE].n_all,
                  KS_RESPONSE_AMIS_MAX_CENTRES);
        return 2;
    }
    for (int c = 0; o[O_CENTRE].value && c < o[O_CENTRE].n_all; c++) {
        ks_error err = {0};
        if (ks_response_params_load(o[O_CENTRE].all[c], &g_unc.centres[c], &err)) {
            cli_error(CMD, "--centre: %s", err.msg);
            return 2;
        }
        /* inside the calibration bounds, checked now rather than after the Hessian (a
         * file without fluctuation has fluct_share 0, below its bound: not a centre) */
        ks_response_params lo, hi;
        ks_response_params_bounds(&lo, &hi);
        for (int i = 0; i < KS_RP_N; i++)
            if (!(g_unc.centres[c].v[i] >= lo.v[i] && g_unc.centres[c].v[i] <= hi.v[i])) {
                cli_error(CMD, "--centre: %s: %s %g is outside the calibration bounds %g-%g",
                          o[O_CENTRE].all[c], ks_response_param_name(i), g_unc.centres[c].v[i],
                          lo.v[i], hi.v[i]);
                return 2;
            }
        g_unc.centre_path[c] = o[O_CENTRE].all[c];
        g_unc.n_centres = c + 1;
    }
    if (o[O_MCMC_DRAWS].value && parse_int(&o[O_MCMC_DRAWS], 100, 10000000, &g_unc.draws)) return 2;
    if (o[O_MCMC_BURN].value && parse_int(&o[O_MCMC_BURN], 0, 10000000, &g_unc.burn)) return 2;
    if (o[O_MCMC_CHAINS].value &&
        parse_int(&o[O_MCMC_CHAINS], 2, KS_RESPONSE_MCMC_MAX_CHAINS, &g_unc.chains))
        return 2;
    return 0;
}

/* Compare the fit errors of FILE's parameters with those FILE records. */
/* A fit runs for minutes: a line on stderr every KS_RESPONSE_PROGRESS_EVERY evaluations. */
static void fit_progress(int n_eval, double best, void *ud)
{
    (void)ud;
    fprintf(stderr, "calibrate: %d evaluations, best objective so far %.4f\n", n_eval, best);
}

/* --weight "FIGURE:K=W,...": weight W (>= 0) on point K (from 1) of figure FIGURE in the
 * objective of d (d NULL: only checked); 2 with a message naming the item when malformed. */
static int parse_weights(const char *text, ks_response_designs *d)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf) { /* cut, it would change the last item silently */
        cli_error(CMD, "--weight: the list is longer than %zu characters", sizeof buf - 1);
        return 2;
    }
    snprintf(buf, sizeof buf, "%s", text);
    int item = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        item++;
        char id[128];
        unsigned long k = 0;
        double w = NAN;
        int used = 0;
        size_t fi = ks_response_n_figures();
        int parsed = sscanf(tok, "%127[^:]:%lu=%lf%n", id, &k, &w, &used) == 3 && tok[used] == '\0';
        if (parsed)
            for (size_t f = 0; f < ks_response_n_figures(); f++)
                if (strcmp(id, ks_response_figure_at(f)->id) == 0) fi = f;
        ks_error err = {0};
        if (fi < ks_response_n_figures() && k > ks_response_figure_at(fi)->n_points)
            ks_error_set(&err, KS_EINVAL, "%s has %zu points", id,
                         ks_response_figure_at(fi)->n_points);
        else if (parsed && !(isfinite(w) && w >= 0))
            ks_error_set(&err, KS_EINVAL, "%g is not a finite weight >= 0", w);
        if (fi == ks_response_n_figures() || k < 1 || err.msg[0] ||
            (d && ks_response_designs_set_weight(d, fi, k - 1, w, &err))) {
            cli_error(CMD,
                      "--weight item %d (\"%s\"): expected FIGURE:K=W with a figure id of the "
                      "calibration (ketsim calibrate --help), its point K from 1 and a weight "
                      ">= 0%s%s",
                      item, tok, err.msg[0] ? ": " : "", err.msg);
            return 2;
        }
    }
    if (item == 0) {
        cli_error(CMD, "--weight \"%s\": expected FIGURE:K=W,... with at least one item", text);
        return 2;
    }
    return 0;
}

static int check_errors(const char *path, const ks_response_designs *d)
{
    ks_response_params p;
    ks_error err = {0};
    json_t *root;
    if (load_fitted("--errors", path, "fitted_to", &p, &root)) return 2;
    json_t *figs = json_object_get(root, "fitted_to");
    if (!json_is_array(figs)) {
        cli_error(CMD, "--errors: %s: $.fitted_to: not an array", path);
        json_decref(root);
        return 2;
    }
    int bad = 0;
    printf("%-24s %10s %10s %10s  %s\n", "figure", "rmse", "recorded", "max_abs", "unit");
    for (size_t i = 0; i < ks_response_n_figures(); i++) {
        const ks_response_figure *f = ks_response_figure_at(i);
        json_t *rec = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(figs, k, v)
        {
            const char *id = json_string_value(json_object_get(v, "id"));
            if (id && strcmp(id, f->id) == 0) rec = v;
        }
        if (!rec) {
            cli_error(CMD, "--errors: %s: no record of figure %s", path, f->id);
            bad = 2;
            continue;
        }
        resp_fig_err fe;
        if (resp_figure_errors(d, &p, i, &fe, &err)) {
            cli_error(CMD, "%s", err.msg);
            json_decref(root);
            return 1;
        }
        double r = json_number_value(json_object_get(rec, "rmse"));
        double m = json_number_value(json_object_get(rec, "max_abs_error"));
        int over = fe.rmse > r * (1 + 1e-5) + 1e-9 || fe.max_abs > m * (1 + 1e-5) + 1e-9;
        printf("%-24s %10.4g %10.4g %10.4g  %s%s\n", f->id, fe.rmse, r, fe.max_abs, f->unit,
               over ? "  ABOVE THE RECORDED ERROR" : "");
        if (over && !bad) bad = 1;
    }
    /* the PTSD variant: its two shares with the file's values */
    ks_response_ptsd v;
    json_t *pf = json_array_get(
        json_object_get(json_object_get(json_object_get(root, "variants"), "ptsd"), "fitted_to"),
        0);
    resp_fig_err fe;
    if (ks_response_ptsd_load(path, &v, &err) || !pf) {
        cli_error(CMD, "--errors: %s", pf ? err.msg : "no $.variants.ptsd.fitted_to record");
        bad = 2;
    } else if (resp_ptsd_errors(d, &p, &v, &fe, &err)) {
        cli_error(CMD, "%s", err.msg);
        bad = 1;
    } else {
        double r = json_number_value(json_object_get(pf, "rmse"));
        double m = json_number_value(json_object_get(pf, "max_abs_error"));
        /* exactly determined: the recorded errors are ~0, so an absolute slack of 1e-4
         * percentage points (the file's 6 digits) */
        int over = fe.rmse > r * (1 + 1e-5) + 1e-4 || fe.max_abs > m * (1 + 1e-5) + 1e-4;
        printf("%-24s %10.4g %10.4g %10.4g  %s%s\n", ks_response_ptsd_figure()->id, fe.rmse, r,
               fe.max_abs, ks_response_ptsd_figure()->unit,
               over ? "  ABOVE THE RECORDED ERROR" : "");
        if (over && !bad) bad = 1;
    }
    /* the uncertainty section, when there is one: readable, and of these parameters */
    json_t *un = json_object_get(root, "uncertainty");
    if (un) {
        ks_response_params *sets = NULL;
        size_t ns = 0;
        json_t *at = json_object_get(un, "at");
        /* 17 values: a file from before the within-patient fluctuation (its parameters
         * loaded with fluct_share 0) */
        size_t nat = json_array_size(at);
        int n_ok = nat == KS_RP_N || (nat == KS_RP_N_NOFLUCT && p.v[KS_RP_FLUCT] == 0);
        int same = n_ok;
        for (size_t i = 0; same && i < nat; i++)
            same = json_number_value(json_array_get(at, i)) == p.v[i];
        if (ks_response_uncertainty_load(path, &sets, &ns, &err)) {
            cli_error(CMD, "--errors: %s", err.msg);
            bad = 2;
        } else if (!n_ok) {
            cli_error(CMD,
                      "--errors: %s: $.uncertainty.at: missing or not %d numbers (%d for a file "
                      "without the fluctuation parameters)",
                      path, KS_RP_N, KS_RP_N_NOFLUCT);
            bad = 2;
        } else if (!same) {
            cli_error(CMD,
                      "--errors: %s: $.uncertainty.at: not the file's parameters: the section "
                      "was computed at others (recompute it with --uncertainty)",
                      path);
            if (!bad) bad = 1; /* a check that fails, as an error above the recorded one */
        } else
            printf("uncertainty: %zu parameter sets, computed at these parameters\n", ns);
        free(sets);
    } else
        printf("uncertainty: no section (forecast --uncertainty refuses this file)\n");
    json_decref(root);
    if (!bad) printf("calibrate: every fit error is within what %s records\n", path);
    return bad;
}

int cmd_calibrate(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        {"write", 1, NULL, 0, NULL, 0, 0},        {"errors", 1, NULL, 0, NULL, 0, 0},
        {"max-eval", 1, NULL, 0, NULL, 0, 0},     {"start", 1, NULL, 0, NULL, 0, 0},
        {"pd", 1, NULL, 0, NULL, 0, 0},           {"iv-model", 1, NULL, 0, NULL, 0, 0},
        {"nasal-model", 1, NULL, 0, NULL, 0, 0},  {"stage2", 1, NULL, 0, NULL, 0, 0},
        {"uncertainty", 1, NULL, 0, NULL, 0, 0},  {"no-uncertainty", 0, NULL, 0, NULL, 0, 0},
        {"ibrahim-rule", 1, NULL, 0, NULL, 0, 0}, {"sampler", 1, NULL, 0, NULL, 0, 0},
        {"mcmc-draws", 1, NULL, 0, NULL, 0, 0},   {"mcmc-burn", 1, NULL, 0, NULL, 0, 0},
        {"mcmc-chains", 1, NULL, 0, NULL, 0, 0},  {"hold", 1, NULL, 0, NULL, 0, 0},
        {"weight", 1, NULL, 0, NULL, 0, 0},       {"centre", 1, NULL, 0, NULL, 0, 1},
        {"iterations", 1, NULL, 0, NULL, 0, 0},   {"fit-heldout", 0, NULL, 0, NULL, 0, 0},
        {"smc-islands", 1, NULL, 0, NULL, 0, 0},  {"smc-particles", 1, NULL, 0, NULL, 0, 0},
        {"smc-final", 1, NULL, 0, NULL, 0, 0},    {"order", 0, NULL, 0, NULL, 0, 0}};
    int help = 0;
    if (cli_parse(argc, argv, o, O_COUNT, &help, CMD)) return 2;
    if (help) {
        fputs(HELP, stdout);
        cli_free_opts(o, O_COUNT);
        return 0;
    }
    int rc = 0, max_eval = 3000;
    if (o[O_WRITE].value && o[O_ERRORS].value) {
        cli_error(CMD, "--write and --errors: give one of them");
        rc = 2;
    }
    if (!rc && o[O_STAGE2].value && (o[O_ERRORS].value || !o[O_WRITE].value)) {
        cli_error(CMD, "--stage2 FILE: needs --write OUT and no --errors");
        rc = 2;
    }
    if (!rc && o[O_NOUNC].seen &&
        (!o[O_WRITE].value || o[O_ERRORS].value || o[O_STAGE2].value || o[O_UNC].value)) {
        cli_error(CMD, "--no-uncertainty: only with a fit that writes (--write, no --errors, "
                       "--stage2 or --uncertainty)");
        rc = 2;
    }
    if (!rc && o[O_UNC].value && (o[O_ERRORS].value || o[O_STAGE2].value)) {
        cli_error(CMD, "--uncertainty FILE: not with --errors or --stage2");
        rc = 2;
    }
    /* no depression fit with --stage2, --errors or --uncertainty: options of the fit are
     * refused */
    const char *nofit = o[O_STAGE2].value   ? "--stage2"
                        : o[O_ERRORS].value ? "--errors"
                        : o[O_UNC].value    ? "--uncertainty"
                                            : NULL;
    for (int q = O_MAXEVAL; !rc && q <= O_START; q++)
        if (o[q].value && nofit) {
            cli_error(CMD, "--%s: not with %s (no depression fit is run)", o[q].name, nofit);
            rc = 2;
        }
    for (int q = O_HOLD; !rc && q <= O_WEIGHT; q++) {
        if (o[q].value && nofit) {
            cli_error(CMD, "--%s: not with %s (no depression fit is run)", o[q].name, nofit);
            rc = 2;
        } else if (o[q].value && o[O_WRITE].value && !o[O_NOUNC].seen) {
            /* the uncertainty section describes a calibration, not a sensitivity fit */
            cli_error(CMD, "--%s: a sensitivity fit; with --write give --no-uncertainty",
                      o[q].name);
            rc = 2;
        }
    }
    if (!rc && o[O_FIT_HELDOUT].seen) {
        if (nofit) {
            cli_error(CMD, "--fit-heldout: not with %s (no depression fit is run)", nofit);
            rc = 2;
        } else if (o[O_WRITE].value && !o[O_NOUNC].seen) {
            cli_error(CMD, "--fit-heldout: a sensitivity fit; with --write give --no-uncertainty");
            rc = 2;
        }
        g_fit_heldout = 1;
    }
    if (!rc && o[O_ORDER].seen) {
        if (nofit) {
            cli_error(CMD,
                      "--order: not with %s (the file records whether the order was "
                      "imposed)",
                      nofit);
            rc = 2;
        } else if (o[O_WRITE].value && !o[O_NOUNC].seen) {
            cli_error(CMD, "--order: a sensitivity fit; with --write give --no-uncertainty");
            rc = 2;
        }
        g_order = 1;
    }
    int n_free = KS_RP_N;
    if (!rc && o[O_WEIGHT].value) rc = parse_weights(o[O_WEIGHT].value, NULL); /* early */
    if (!rc && o[O_HOLD].value) { /* check it before the minutes of work */
        ks_response_params hv, lo, hi;
        int held[KS_RP_N], n_held = 0;
        rc = resp_parse_hold(CMD, o[O_HOLD].value, &hv, held);
        ks_error derr = {0}; /* a value out of the model's domain: bad input, before the work */
        if (!rc && ks_response_params_check(&hv, &derr)) {
            cli_error(CMD, "--hold \"%s\": %s", o[O_HOLD].value, derr.msg);
            rc = 2;
        }
        ks_response_params_bounds(&lo, &hi);
        for (int i = 0; !rc && i < KS_RP_N; i++) {
            n_held += held[i];
            if (held[i] && (hv.v[i] < lo.v[i] || hv.v[i] > hi.v[i]))
                fprintf(stderr,
                        "ketsim %s: warning: --hold %s=%g lies outside the fit's bounds "
                        "(%g-%g)\n",
                        CMD, ks_response_param_name(i), hv.v[i], lo.v[i], hi.v[i]);
        }
        if (!rc && n_held == KS_RP_N) {
            cli_error(CMD, "--hold: every parameter is held; nothing to fit (use --errors)");
            rc = 2;
        }
        n_free = KS_RP_N - n_held;
    }
    if (!rc && o[O_MAXEVAL].value) rc = resp_parse_max_eval(CMD, o[O_MAXEVAL].value, &max_eval);
    if (!rc && o[O_START].value) { /* check it before the minutes of work */
        ks_response_params tmp;
        ks_response_params_start(&tmp);
        rc = resp_parse_start(CMD, o[O_START].value, &tmp);
    }
    resp_env e;
    memset(&e, 0, sizeof e);
    /* --errors: the drive FILE records, unless given (then a difference is stated) */
    const char *fitted = o[O_ERRORS].value   ? o[O_ERRORS].value
                         : o[O_STAGE2].value ? o[O_STAGE2].value
                                             : o[O_UNC].value;
    if (!rc && fitted && (o[O_UNC].value || o[O_STAGE2].value)) {
        /* a sensitivity fit is not at a minimum of the calibration objective: no
         * uncertainty or PTSD stage on it (--errors only reads it) */
        json_t *root = json_load_file(fitted, 0, NULL);
        if (json_object_get(root, "sensitivity")) {
            cli_error(CMD,
                      "%s %s: a sensitivity fit (calibrate "
                      "--hold/--weight/--fit-heldout/--order), not the "
                      "calibration: no uncertainty or PTSD stage is computed on it",
                      nofit, fitted);
            rc = 2;
        }
        json_decref(root);
    }
    if (!rc && fitted)
        rc = resp_env_load_fitted(&e, CMD, nofit, fitted, o[O_PD].value, o[O_IV].value,
                                  o[O_NASAL].value);
    else if (!rc)
        rc = resp_env_load(&e, CMD, o[O_PD].value, o[O_IV].value, o[O_NASAL].value);
    if (!rc && o[O_WRITE].value) { /* the fit may not overwrite its PD file */
        const char *const names[] = {"--write"}, *const paths[] = {o[O_WRITE].value};
        const char *const in_names[] = {o[O_PD].value ? "--pd" : "the PD file",
                                        o[O_STAGE2].value ? "--stage2" : "--uncertainty"};
        const char *const in_paths[] = {e.pd_path,
                                        o[O_STAGE2].value ? o[O_STAGE2].value : o[O_UNC].value};
        rc = cli_check_inputs(CMD, names, paths, 1, in_names, in_paths, in_paths[1] ? 2 : 1);
    }
    if (!rc) rc = parse_sampler(o, fitted != NULL);
    int methods = 0;
    if (!rc && o[O_IBRAHIM].value) {
        if (fitted) {
            cli_error(CMD, "--ibrahim-rule: not with %s (the file records its rule)", nofit);
            rc = 2;
        } else if (strcmp(o[O_IBRAHIM].value, "methods") == 0)
            methods = 1;
        else if (strcmp(o[O_IBRAHIM].value, "loss50") != 0) {
            cli_error(CMD, "--ibrahim-rule \"%s\": expected loss50 or methods", o[O_IBRAHIM].value);
            rc = 2;
        }
    }
    ks_response_designs *d = NULL;
    ks_error err = {0};
    /* --stage2 needs the six-infusion design only */
    if (!rc && (o[O_STAGE2].value ? ks_response_designs_create_ptsd(e.iv, e.pd, &d, &err)
                                  : ks_response_designs_create(e.iv, e.nasal, e.pd, &d, &err))) {
        cli_error(CMD, "%s", err.msg);
        rc = 1;
    }
    if (!rc) ks_response_designs_set_progress(d, fit_progress, KS_RESPONSE_PROGRESS_EVERY, NULL);
    if (!rc && o[O_WEIGHT].value) rc = parse_weights(o[O_WEIGHT].value, d);
    if (!rc && g_fit_heldout) ks_response_designs_set_heldout(d, 1);
    if (!rc && g_order) ks_response_designs_set_order(d, 1);
    if (!rc && fitted) rc = resp_designs_reading(CMD, nofit, fitted, d);
    if (!rc && methods) ks_response_designs_set_ibrahim(d, KS_IBRAHIM_METHODS);
    if (!rc && o[O_ERRORS].value) {
        rc = check_errors(o[O_ERRORS].value, d);
    } else if (!rc && o[O_STAGE2].value) {
        rc = write_stage2(o[O_STAGE2].value, o[O_WRITE].value, d);
    } else if (!rc && o[O_UNC].value) {
        rc = write_uncertainty(o[O_UNC].value, o[O_WRITE].value, d);
    } else if (!rc) {
        ks_response_params fit;
        const char *used = NULL;
        double obj = 0;
        int n_eval = 0, converged = 0;
        fprintf(stderr, "calibrate: fitting %d parameters to %zu figures (NLopt BOBYQA)...\n",
                n_free, ks_response_n_figures());
        rc = resp_fit_held(CMD, d, NULL, max_eval, o[O_START].value, o[O_HOLD].value, &fit, &obj,
                           &n_eval, &used, &converged);
        if (!rc) printf("calibrate: best start: %s\n", used);
        if (!rc && !converged)
            fprintf(stderr,
                    "ketsim %s: warning: the fit did not converge (a pass reached --max-eval %d, "
                    "or a 1 %% probe of a parameter still lowered the objective by more than %g "
                    "after %d extra passes): it may not be at a minimum\n",
                    CMD, max_eval, KS_RESPONSE_CONVERGED_GAIN, KS_RESPONSE_MAX_EXTRA_PASSES);
        if (!rc) {
            printf("calibrate: objective (sum of squared standardised residuals%s%s) %.4g after "
                   "%d evaluations\n",
                   o[O_WEIGHT].value ? ", with the --weight weights" : "",
                   g_fit_heldout ? ", with the predicted-only figures" : "", obj, n_eval);
            if (is_sensitivity(o[O_HOLD].value, o[O_WEIGHT].value))
                printf("calibrate: a sensitivity fit (--hold/--weight/--fit-heldout/--order), "
                       "not the calibration; the per-figure sums below are unweighted and leave "
                       "the predicted-only figures out\n");
            double one, six, term;
            if (!ks_response_order_eval(d, &fit, &one, &six, &term, &err))
                printf("calibrate: relapse order %s: median relapse after six infusions %.2f d, "
                       "after one %.2f d (daily checks, linear between them; the objective's "
                       "order term %.3g)\n",
                       ks_response_designs_order(d) ? "imposed (--order)" : "not imposed", six, one,
                       term);
            printf("\n");
            ks_response_params hv;
            int held[KS_RP_N] = {0};
            if (o[O_HOLD].value) resp_parse_hold(CMD, o[O_HOLD].value, &hv, held);
            printf("%-18s %12s  %s\n", "parameter", "value", "unit");
            for (int i = 0; i < KS_RP_N; i++)
                printf("%-18s %12.5g  %s%s\n", ks_response_param_name(i), fit.v[i],
                       ks_response_param_unit(i), held[i] ? " (held)" : "");
            printf("\n%-24s %4s %10s %10s %8s  %s\n", "figure", "n", "rmse", "max_abs", "sum_z2",
                   "unit");
            double tot = 0;
            for (size_t i = 0; i < ks_response_n_figures() && !rc; i++) {
                resp_fig_err fe;
                const ks_response_figure *f = ks_response_figure_at(i);
                if (resp_figure_errors(d, &fit, i, &fe, &err)) {
                    cli_error(CMD, "%s", err.msg);
                    rc = 1;
                    break;
                }
                tot += fe.ssz;
                printf("%-24s %4zu %10.4g %10.4g %8.3g  %s\n", f->id, f->n_points, fe.rmse,
                       fe.max_abs, fe.ssz, f->unit);
                for (size_t k = 0; k < f->n_points; k++)
                    printf("    observed %8.3f  predicted %8.3f\n", fe.obs[k], fe.pred[k]);
            }
            if (!rc && o[O_WEIGHT].value)
                printf("%-24s %4s %10s %10s %8.4g  (unweighted)\n", "total", "", "", "", tot);
            for (size_t h = 0; !rc && g_fit_heldout && h < ks_response_n_heldout(); h++) {
                const ks_response_figure *f = ks_response_heldout_at(h);
                double ob[KS_RESPONSE_MAX_POINTS], pr[KS_RESPONSE_MAX_POINTS],
                    se[KS_RESPONSE_MAX_POINTS];
                if (ks_response_heldout_eval(d, &fit, h, ob, pr, se, &err)) {
                    cli_error(CMD, "%s", err.msg);
                    rc = 1;
                    break;
                }
                printf("%s (predicted-only, fitted here):\n", f->id);
                for (size_t k = 0; k < f->n_points; k++)
                    printf("    observed %8.3f  predicted %8.3f  (%s)\n", ob[k], pr[k],
                           ks_response_heldout_point(h, k));
            }
            printf("\n" KS_RESP_NOTE "\n");
        }
        if (!rc && o[O_WRITE].value)
            rc = write_file(o[O_WRITE].value, d, &fit, obj, n_eval, converged, &e, max_eval,
                            o[O_START].value, used, o[O_PD].value, !o[O_NOUNC].seen, methods,
                            o[O_HOLD].value, o[O_WEIGHT].value);
    }
    ks_response_designs_free(d);
    resp_env_free(&e);
    cli_free_opts(o, O_COUNT);
    return rc;
}
