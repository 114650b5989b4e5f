/* The virtual-trial runner.
 *
 * Per patient: draw covariates and deviations, resolve the parameters and the system
 * matrix through a ks_sim (so a trial patient is exactly what `ketsim simulate` would
 * compute for the same values), keep only the states that the doses reach (the sink
 * and integrator states that `simulate` also carries are dropped unless per-patient
 * AUCs are asked for), and walk the output grid with the exact step matrices, one
 * matrix exponential per distinct step length per patient.
 *
 * Work is done in rounds: each thread simulates a block of KS_TRIAL_BLOCK consecutive
 * patients into its buffer; then each thread adds the values of all buffers for its
 * own range of summary cells. No counts are shared between threads and every
 * summary is integer counts (or values in patient slots), so the result does not
 * depend on the thread count. */
#include "ketsim/trial.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "model/model_internal.h"
#include "pk/expm.h"
#include "pop/quantiles_internal.h"
#include "sim/sim_internal.h"

#define KS_TRIAL_BLOCK 256
#define N_STEP_CACHE 8

enum res_type { RES_NONE, RES_PROP, RES_ADD, RES_COMBINED, RES_LOG };

typedef struct residual {
    enum res_type type;
    double prop; /* fraction */
    double add;  /* ng/mL */
    double sd;   /* log scale */
} residual;

/* One input event of a patient, on the reduced states. */
typedef struct pevent {
    double t;
    int kind;     /* 0 bolus, 1 infusion start, 2 infusion end */
    int red;      /* reduced state */
    double value; /* mg (bolus) or mg/h (infusion, at its start and its end) */
    double end;   /* infusion start: when that infusion ends */
} pevent;

/* Step matrices for one step length, for every lane of a block (structure of arrays:
 * element (i, k) of lane p at [(i * r + k) * KS_TRIAL_BLOCK + p]). */
typedef struct step {
    double h;
    double *Phi, *Gamma;
} step;

/* Everything one thread needs; arrays of KS_TRIAL_BLOCK lanes (patients). */
typedef struct worker {
    ks_sim *sim;
    double *Ar;                 /* lanes x r x r */
    double *work, *phi1, *gam1; /* expm work and one lane's result */
    double *X, *Y, *U;          /* r x lanes */
    double *scale;              /* n_out x lanes: state -> ng/mL */
    double *aucv;               /* n_out x lanes: AUC at the last time (ng h/mL) */
    step cache[N_STEP_CACHE];
    int n_cache;
    double *eta;
    int *eta_type;
    double *pv;         /* lanes x n_params: individual values (for --patients) */
    ks_covariates *cov; /* lanes */
    pevent *ev;         /* every lane's events, lane p at ev_off[p] */
    size_t *ev_off, *ev_n;
    size_t ev_cap, ev_used;
    double *buf; /* n_cells x KS_TRIAL_BLOCK outputs */
    char *text;  /* KS_TRIAL_BLOCK lines of per-patient CSV */
    size_t text_cap;
    size_t *text_len; /* per patient in block */
    int suspect;      /* some output of the block is negative or not finite */
    uint64_t first;   /* first patient of the block */
    size_t count;     /* patients in the block */
    int rc;
    ks_error err;
} worker;

struct ks_trial {
    const ks_trial_spec *spec; /* the caller's, valid during ks_trial_run only */
    size_t n_times, n_probs;
    const ks_model *m;
    size_t n_out;
    int *out_col; /* sim output column of each trial output */
    char (*out_name)[96];
    /* reduced system */
    size_t n_full, r;
    int *keep;     /* reduced -> full state */
    int *red;      /* full -> reduced, or -1 */
    int *out_red;  /* output -> reduced state, or -1 (always 0) */
    int *auc_red;  /* output -> reduced AUC state, or -1 */
    residual *res; /* per output */
    int allow_negative;
    size_t n_cells;
    ks_quantiles *q;
    double *table;  /* replicates x n_cells x n_probs */
    double *tv_eta; /* this replicate's typical-value deviations (n_params), or NULL */
    uint32_t n_rep;
    int exact;
    uint64_t clipped;
    size_t peak_bytes;
};

/* ---------------------------------------------------------------- set-up */

static int output_columns(ks_trial *t, const ks_sim *s, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    size_t n = sp->outputs ? sp->n_outputs : ks_sim_n_outputs(s);
    if (n == 0) return ks_error_set(err, KS_EINVAL, "model %s has no output column", t->m->name);
    if (n > 64) return ks_error_set(err, KS_EINVAL, "trial: at most 64 outputs (choose some)");
    t->n_out = n;
    t->out_col = calloc(n, sizeof *t->out_col);
    t->out_name = calloc(n, sizeof *t->out_name);
    t->out_red = calloc(n, sizeof *t->out_red);
    t->auc_red = calloc(n, sizeof *t->auc_red);
    t->res = calloc(n, sizeof *t->res);
    if (!t->out_col || !t->out_name || !t->out_red || !t->auc_red || !t->res)
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        int c = sp->outputs ? ks_sim_output_index(s, sp->outputs[j]) : (int)j;
        if (c < 0) {
            char list[512] = "";
            size_t used = 0;
            for (size_t k = 0; k < ks_sim_n_outputs(s) && used < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                         ks_sim_output_name(s, k));
            return ks_error_set(err, KS_ENOTFOUND, "model %s has no output %s (it has: %s)",
                                t->m->name, sp->outputs[j], list);
        }
        t->out_col[j] = c;
        snprintf(t->out_name[j], sizeof t->out_name[j], "%s", ks_sim_output_name(s, (size_t)c));
    }
    return KS_OK;
}

/* The model's residual error for the analyte of output j (plasma outputs only). */
static int residual_of(ks_trial *t, const ks_sim *s, size_t j, ks_error *err)
{
    residual *r = &t->res[j];
    r->type = RES_NONE;
    if (!t->spec->residual || ks_sim_output_is_effect(s, (size_t)t->out_col[j])) return KS_OK;
    json_t *re = json_object_get(t->m->root, "residual_error");
    const char *analyte = ks_sim_output_analyte(s, (size_t)t->out_col[j]);
    json_t *e = re ? json_object_get(re, analyte) : NULL;
    if (!e) return KS_OK;
    const char *type = json_string_value(json_object_get(e, "type"));
    double prop = json_number_value(json_object_get(e, "proportional"));
    double cvp = json_number_value(json_object_get(e, "cv_percent"));
    double sd = json_number_value(json_object_get(e, "sd"));
    double add = json_number_value(json_object_get(e, "additive"));
    const char *au = json_string_value(json_object_get(e, "additive_unit"));
    if (json_object_get(e, "cv_percent")) prop = cvp / 100.0;
    if (add != 0.0) {
        if (!au)
            return ks_error_set(err, KS_EMODEL,
                                "model %s: residual error of %s has an additive "
                                "part without \"additive_unit\"",
                                t->m->name, analyte);
        if (strcmp(au, "nmol/mL") == 0 || strcmp(au, "nmol/L") == 0 || strcmp(au, "nM") == 0) {
            double mw = 0;
            for (int a = 0; a < t->m->n_analytes; a++)
                if (strcmp(t->m->analytes[a].name, analyte) == 0) mw = t->m->analytes[a].molar_mass;
            add *= mw * (strcmp(au, "nmol/mL") == 0 ? 1.0 : 1e-3); /* ng/mL */
        } else {
            ks_dim dim;
            double f;
            if (ks_unit_lookup(au, &dim, &f, NULL) || dim != KS_DIM_CONC)
                return ks_error_set(err, KS_EUNIT,
                                    "model %s: residual error of %s: unit \"%s\" is "
                                    "not a concentration",
                                    t->m->name, analyte, au);
            add *= f;
        }
    }
    if (strcmp(type, "proportional") == 0) {
        r->type = RES_PROP;
        r->prop = prop ? prop : sd;
    } else if (strcmp(type, "additive") == 0) {
        r->type = RES_ADD;
        r->add = add;
    } else if (strcmp(type, "combined") == 0) {
        r->type = RES_COMBINED;
        r->prop = prop;
        r->add = add;
    } else {
        r->type = RES_LOG;
        r->sd = sd;
    }
    /* Additive, combined and proportional errors can all give a measured value below
     * zero (C (1 + prop z) < 0 when z < -1/prop); only the log-normal one cannot. */
    if (r->type != RES_LOG) t->allow_negative = 1;
    return KS_OK;
}

/* States reached from the states doses enter, following the system matrix. */
static int reduce(ks_trial *t, ks_sim *s, int want_auc, ks_error *err)
{
    size_t n = ks_sim_n_states(s);
    t->n_full = n;
    double *A = malloc(n * n * sizeof *A);
    int *seen = calloc(n, sizeof *seen), *stack = malloc(n * sizeof *stack);
    t->keep = malloc(n * sizeof *t->keep);
    t->red = malloc(n * sizeof *t->red);
    if (!A || !seen || !stack || !t->keep || !t->red) {
        free(A);
        free(seen);
        free(stack);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    int rc = ks_sim_system_matrix(s, A, err);
    size_t sp = 0;
    for (size_t i = 0; !rc && i < s->n_bol; i++)
        if (!seen[s->bol[i].state]) seen[stack[sp++] = s->bol[i].state] = 1;
    for (size_t i = 0; !rc && i < s->n_inf; i++)
        if (!seen[s->inf[i].state]) seen[stack[sp++] = s->inf[i].state] = 1;
    while (!rc && sp) {
        int j = stack[--sp];
        for (size_t i = 0; i < n; i++) {
            int kind = ks_sim_state_kind(s, i);
            int wanted =
                kind == KS_ST_AMOUNT || kind == KS_ST_EFFECT || (want_auc && kind == KS_ST_AUC);
            if (wanted && !seen[i] && A[i * n + (size_t)j] != 0.0) seen[stack[sp++] = (int)i] = 1;
        }
    }
    /* Doses into sink states (pre-systemic loss) are not part of the walk. */
    for (size_t i = 0; i < n; i++) {
        int kind = ks_sim_state_kind(s, i);
        if (kind == KS_ST_ELIM || kind == KS_ST_LOST) seen[i] = 0;
    }
    t->r = 0;
    for (size_t i = 0; i < n; i++) {
        t->red[i] = seen[i] ? (int)t->r : -1;
        if (seen[i]) t->keep[t->r++] = (int)i;
    }
    for (size_t j = 0; j < t->n_out; j++) {
        const ks_output *o = &s->out[t->out_col[j]];
        t->out_red[j] = t->red[o->state];
        t->auc_red[j] = want_auc ? t->red[o->auc_state] : -1;
    }
    free(A);
    free(seen);
    free(stack);
    return rc;
}

/* ---------------------------------------------------------------- one block */

#define L KS_TRIAL_BLOCK

static int worker_init(worker *w, const ks_trial *t, ks_error *err)
{
    memset(w, 0, sizeof *w);
    const ks_trial_spec *sp = t->spec;
    int rc = ks_sim_create(t->m, &w->sim, err);
    if (rc) return rc;
    if ((rc = ks_sim_set_times(w->sim, sp->times, sp->n_times, err))) return rc;
    size_t r = t->r ? t->r : 1, np = (size_t)t->m->n_params, no = t->n_out;
    w->Ar = malloc(L * r * r * sizeof *w->Ar);
    w->work = malloc(ks_expm_step_work_size(r) * sizeof *w->work);
    w->phi1 = malloc(r * r * sizeof *w->phi1);
    w->gam1 = malloc(r * r * sizeof *w->gam1);
    w->X = malloc(r * L * sizeof *w->X);
    w->Y = malloc(r * L * sizeof *w->Y);
    w->U = malloc(r * L * sizeof *w->U);
    w->scale = malloc(no * L * sizeof *w->scale);
    w->aucv = calloc(no * L, sizeof *w->aucv);
    w->eta = calloc(np, sizeof *w->eta);
    w->eta_type = calloc(np, sizeof *w->eta_type);
    w->pv = malloc(L * (np ? np : 1) * sizeof *w->pv);
    w->cov = calloc(L, sizeof *w->cov);
    w->ev_off = calloc(L, sizeof *w->ev_off);
    w->ev_n = calloc(L, sizeof *w->ev_n);
    w->buf = malloc(t->n_cells * L * sizeof *w->buf);
    w->text_len = calloc(L, sizeof *w->text_len);
    if (!w->Ar || !w->work || !w->phi1 || !w->gam1 || !w->X || !w->Y || !w->U || !w->scale ||
        !w->aucv || !w->eta || !w->eta_type || !w->pv || !w->cov || !w->ev_off || !w->ev_n ||
        !w->buf || !w->text_len)
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    for (int i = 0; i < N_STEP_CACHE; i++) {
        w->cache[i].Phi = malloc(r * r * L * sizeof(double));
        w->cache[i].Gamma = malloc(r * r * L * sizeof(double));
        if (!w->cache[i].Phi || !w->cache[i].Gamma)
            return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    return KS_OK;
}

static void worker_free(worker *w)
{
    ks_sim_free(w->sim);
    free(w->Ar);
    free(w->work);
    free(w->phi1);
    free(w->gam1);
    free(w->X);
    free(w->Y);
    free(w->U);
    free(w->scale);
    free(w->aucv);
    free(w->eta);
    free(w->eta_type);
    free(w->pv);
    free(w->cov);
    free(w->ev);
    free(w->ev_off);
    free(w->ev_n);
    free(w->buf);
    free(w->text);
    free(w->text_len);
    for (int i = 0; i < N_STEP_CACHE; i++) {
        free(w->cache[i].Phi);
        free(w->cache[i].Gamma);
    }
}

/* Lane b's reduced matrix from the sim's current individual; a flow from a kept state
 * to a dropped body state would lose drug, so it is an error, never a quiet loss. */
static int reduced_matrix(worker *w, const ks_trial *t, size_t b, ks_error *err)
{
    size_t n = t->n_full, r = t->r;
    const double *A = w->sim->A;
    double *Ar = w->Ar + b * r * r;
    for (size_t a = 0; a < r; a++)
        for (size_t c = 0; c < r; c++)
            Ar[a * r + c] = A[(size_t)t->keep[a] * n + (size_t)t->keep[c]];
    for (size_t i = 0; i < n; i++) {
        if (t->red[i] >= 0) continue;
        int kind = ks_sim_state_kind(w->sim, i);
        if (kind != KS_ST_AMOUNT && kind != KS_ST_EFFECT) continue;
        for (size_t c = 0; c < r; c++)
            if (A[i * n + (size_t)t->keep[c]] != 0.0)
                return ks_error_set(err, KS_ENUMERIC,
                                    "state %s is reached for this patient but not for the "
                                    "first one (a parameter is 0 for some patients only); "
                                    "ketsim cannot reduce this model's system",
                                    ks_sim_state_name(w->sim, i));
    }
    return KS_OK;
}

static int cmp_event(const void *a, const void *b)
{
    const pevent *x = a, *y = b;
    if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
    if (x->kind != y->kind) return x->kind - y->kind;
    return x->red - y->red;
}

/* A dose into a state the first patient's doses do not reach: only the pre-systemic
 * loss record may go there; drug into the body must never be dropped. */
static int dropped_input(const ks_trial *t, const ks_sim *s, int state, ks_error *err)
{
    (void)t;
    int kind = ks_sim_state_kind(s, (size_t)state);
    if (kind == KS_ST_LOST || kind == KS_ST_ELIM) return KS_OK;
    return ks_error_set(err, KS_EINVAL,
                        "a dose of this patient enters %s, which the first patient's doses do "
                        "not reach; ketsim cannot simulate this trial exactly",
                        ks_sim_state_name(s, (size_t)state));
}

/* Lane b's input events (reduced states only), sorted by time. */
static int store_events(worker *w, const ks_trial *t, size_t b, ks_error *err)
{
    const ks_sim *s = w->sim;
    size_t n = s->n_bol + 2 * s->n_inf;
    if (w->ev_used + n > w->ev_cap) {
        size_t cap = 2 * (w->ev_used + n) + 64;
        pevent *ne = realloc(w->ev, cap * sizeof *ne);
        if (!ne) return ks_error_set(err, KS_ENOMEM, "out of memory");
        w->ev = ne;
        w->ev_cap = cap;
    }
    pevent *e = w->ev + w->ev_used;
    size_t k = 0;
    for (size_t i = 0; i < s->n_bol; i++) {
        int red = t->red[s->bol[i].state];
        if (red >= 0)
            e[k++] = (pevent){s->bol[i].t, 0, red, s->bol[i].amount, 0.0};
        else if (dropped_input(t, s, s->bol[i].state, err))
            return err->code;
    }
    for (size_t i = 0; i < s->n_inf; i++) {
        int red = t->red[s->inf[i].state];
        if (red < 0) {
            if (dropped_input(t, s, s->inf[i].state, err)) return err->code;
            continue;
        }
        e[k++] = (pevent){s->inf[i].start, 1, red, s->inf[i].rate, s->inf[i].end};
        e[k++] = (pevent){s->inf[i].end, 2, red, s->inf[i].rate, s->inf[i].end};
    }
    qsort(e, k, sizeof *e, cmp_event);
    w->ev_off[b] = w->ev_used;
    w->ev_n[b] = k;
    w->ev_used += k;
    return KS_OK;
}

/* 1 when lane b's events fall at the same times on the same states as lane a's. */
static int same_events(const worker *w, size_t a, size_t b)
{
    if (w->ev_n[a] != w->ev_n[b]) return 0;
    const pevent *x = w->ev + w->ev_off[a], *y = w->ev + w->ev_off[b];
    for (size_t k = 0; k < w->ev_n[a]; k++)
        if (x[k].t != y[k].t || x[k].kind != y[k].kind || x[k].red != y[k].red ||
            x[k].end != y[k].end)
            return 0;
    return 1;
}

/* The step matrices of length h for lanes [p0, p1) (one matrix exponential each). */
static int step_for(worker *w, const ks_trial *t, double h, double tscale, size_t p0, size_t p1,
                    step **out, ks_error *err)
{
    double tol = fmin(64.0 * DBL_EPSILON * fmax(fabs(tscale), 1.0), 1e-9 * h);
    for (int i = 0; i < w->n_cache; i++)
        if (fabs(w->cache[i].h - h) <= tol) {
            *out = &w->cache[i];
            return KS_OK;
        }
    if (w->n_cache == N_STEP_CACHE) w->n_cache = 0; /* rare: many distinct steps */
    step *c = &w->cache[w->n_cache++];
    size_t r = t->r;
    for (size_t p = p0; p < p1; p++) {
        int rc = ks_expm_step(w->Ar + p * r * r, r, h, w->phi1, w->gam1, w->work, err);
        if (rc) return rc;
        for (size_t e = 0; e < r * r; e++) {
            c->Phi[e * L + p] = w->phi1[e];
            c->Gamma[e * L + p] = w->gam1[e];
        }
    }
    c->h = h;
    *out = c;
    return KS_OK;
}

/* Y = Phi X (+ Gamma U) for lanes [p0, p1): the hot loop. The sum runs over k in the
 * same order in every lane and for one lane alone, without contraction to FMA (ISO C
 * mode), so a patient's result does not depend on how many lanes ran with it; the
 * clones only choose the vector width. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(KS_NO_CLONES)
__attribute__((target_clones("avx2", "default")))
#endif
static void
apply_step(size_t r, const double *restrict Phi, const double *restrict Gamma,
           const double *restrict X, const double *restrict U, int have_u, double *restrict Y,
           size_t p0, size_t p1)
{
    for (size_t i = 0; i < r; i++) {
        double *restrict y = Y + i * L;
        for (size_t p = p0; p < p1; p++)
            y[p] = 0.0;
        for (size_t k = 0; k < r; k++) {
            const double *restrict ph = Phi + (i * r + k) * L;
            const double *restrict x = X + k * L;
            for (size_t p = p0; p < p1; p++)
                y[p] += ph[p] * x[p];
        }
        if (have_u)
            for (size_t k = 0; k < r; k++) {
                const double *restrict g = Gamma + (i * r + k) * L;
                const double *restrict u = U + k * L;
                for (size_t p = p0; p < p1; p++)
                    y[p] += g[p] * u[p];
            }
    }
}

/* Lane p's value of its event k (0 past its events: a lane with other events is walked
 * again on its own afterwards, so what it gets here is never used). */
static inline double lane_value(const worker *w, size_t p, size_t k)
{
    return k < w->ev_n[p] ? w->ev[w->ev_off[p] + k].value : 0.0;
}

/* Walk lanes [p0, p1) over the grid with the events of lane `ref` (every lane in the
 * range has events at the same times on the same states; the amounts and rates are
 * each lane's own). Outputs go to w->buf. */
static int walk(worker *w, const ks_trial *t, size_t ref, size_t p0, size_t p1, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    size_t r = t->r, nt = sp->n_times, no = t->n_out;
    double *X = w->X, *Y = w->Y, *U = w->U;
    for (size_t i = 0; i < r; i++)
        for (size_t p = p0; p < p1; p++)
            X[i * L + p] = U[i * L + p] = 0.0;
    const pevent *ev = w->ev + w->ev_off[ref];
    size_t n_ev = w->ev_n[ref], ie = 0, it = 0;
    double t_now = 0.0;
    int have_u = 0;
    w->n_cache = 0;
    for (;;) {
        int changed = 0;
        for (; ie < n_ev && ev[ie].t <= t_now; ie++) {
            if (ev[ie].kind == 0) {
                double *x = X + (size_t)ev[ie].red * L;
                for (size_t p = p0; p < p1; p++)
                    x[p] += lane_value(w, p, ie);
            }
            changed = 1;
        }
        if (changed) { /* the rates of the infusions running after t_now, from scratch */
            have_u = 0;
            for (size_t i = 0; i < r; i++)
                for (size_t p = p0; p < p1; p++)
                    U[i * L + p] = 0.0;
            for (size_t k = 0; k < n_ev; k++) {
                /* running: started at or before t_now and ending after it */
                if (ev[k].kind != 1 || ev[k].t > t_now || ev[k].end <= t_now) continue;
                double *u = U + (size_t)ev[k].red * L;
                for (size_t p = p0; p < p1; p++)
                    u[p] += lane_value(w, p, k);
                have_u = 1;
            }
        }
        for (; it < nt && sp->times[it] <= t_now; it++)
            for (size_t j = 0; j < no; j++) {
                double *o = w->buf + (it * no + j) * L;
                const double *sc = w->scale + j * L;
                if (t->out_red[j] < 0) {
                    for (size_t p = p0; p < p1; p++)
                        o[p] = 0.0;
                } else {
                    const double *x = X + (size_t)t->out_red[j] * L;
                    int bad = 0;
                    for (size_t p = p0; p < p1; p++) {
                        double v = x[p] * sc[p];
                        o[p] = v;
                        bad |= !(v >= 0.0 && v <= DBL_MAX); /* negative, infinite or NaN */
                    }
                    w->suspect |= bad;
                }
            }
        if (it >= nt) break;
        double next = sp->times[it];
        if (ie < n_ev && ev[ie].t < next) next = ev[ie].t;
        step *c;
        int rc = step_for(w, t, next - t_now, next, p0, p1, &c, err);
        if (rc) return rc;
        apply_step(r, c->Phi, c->Gamma, X, U, have_u, Y, p0, p1);
        double *swap = X;
        X = Y;
        Y = swap;
        t_now = next;
    }
    for (size_t j = 0; j < no; j++)
        for (size_t p = p0; p < p1; p++)
            w->aucv[j * L + p] =
                t->auc_red[j] >= 0 ? X[(size_t)t->auc_red[j] * L + p] * 1000.0 : 0.0;
    return KS_OK;
}

static double residual_draw(const residual *r, double y, double z)
{
    switch (r->type) {
    case RES_PROP:
        return y * (1.0 + r->prop * z);
    case RES_ADD:
        return y + r->add * z;
    case RES_COMBINED:
        return y + sqrt(r->add * r->add + r->prop * r->prop * y * y) * z;
    case RES_LOG:
        return y * exp(r->sd * z);
    case RES_NONE:
        break;
    }
    return y;
}

typedef struct patient_summary {
    double cmax, tmax, auc, above;
} patient_summary;

/* Lane b after the walk: values checked, summaries (of the predictions), then the
 * residual error when asked for. */
static int finish_lane(worker *w, const ks_trial *t, size_t b, uint32_t rep, uint64_t patient,
                       patient_summary *ps, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    size_t nt = sp->n_times, no = t->n_out;
    for (size_t j = 0; j < no; j++) {
        ps[j] = (patient_summary){-INFINITY, NAN, w->aucv[j * L + b], 0.0};
        double thr = sp->thresholds ? sp->thresholds[j] : NAN;
        for (size_t it = 0; it < nt; it++) {
            double *o = &w->buf[(it * no + j) * L + b], v = *o;
            if (!isfinite(v) || v < 0) {
                if (v < 0 && v > -1e-12) {
                    *o = v = 0.0; /* rounding below an exact zero (no drug yet) */
                } else {
                    return ks_error_set(err, KS_ENUMERIC, "%s is %g at %g h", t->out_name[j], v,
                                        sp->times[it]);
                }
            }
            if (v > ps[j].cmax) {
                ps[j].cmax = v;
                ps[j].tmax = sp->times[it];
            }
            if (it > 0 && !isnan(thr)) {
                double v0 = w->buf[((it - 1) * no + j) * L + b], t0 = sp->times[it - 1];
                double t1 = sp->times[it];
                if (v0 >= thr && v >= thr)
                    ps[j].above += t1 - t0;
                else if (v0 >= thr || v >= thr) /* linear between grid points */
                    ps[j].above += (t1 - t0) * (fmax(v0, v) - thr) / fabs(v - v0);
            }
        }
    }
    for (size_t j = 0; j < no; j++) {
        if (t->res[j].type == RES_NONE) continue;
        for (size_t it = 0; it < nt; it++) {
            double z[2];
            uint64_t cell = it * no + j;
            ks_rng_normal2(sp->seed, rep, patient, KS_RNG_RESIDUAL, (uint32_t)(cell / 2), z);
            double *o = &w->buf[cell * L + b];
            *o = residual_draw(&t->res[j], *o, z[cell % 2]);
            if (!isfinite(*o))
                return ks_error_set(err, KS_ENUMERIC,
                                    "%s with residual error is "
                                    "not finite",
                                    t->out_name[j]);
        }
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- per-patient CSV */

static const char *dim_unit(ks_dim d)
{
    switch (d) {
    case KS_DIM_TIME:
        return "h";
    case KS_DIM_MASS:
        return "mg";
    case KS_DIM_VOLUME:
        return "L";
    case KS_DIM_FLOW:
        return "L_h";
    case KS_DIM_RATE:
        return "1_h";
    case KS_DIM_MASS_RATE:
        return "mg_h";
    case KS_DIM_CONC:
        return "ng_ml";
    default:
        return "1";
    }
}

static int header(const ks_trial *t, char *buf, size_t size)
{
    const ks_trial_spec *sp = t->spec;
    size_t used = (size_t)snprintf(buf, size, "replicate,patient");
    for (int i = 0; i < t->m->n_covariates && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, ",%s_%s", t->m->covariates[i].name,
                                 t->m->covariates[i].unit);
    size_t nv = ks_variability_n(sp->variability);
    for (size_t k = 0; k < nv && used < size; k++) {
        ks_variability_item it;
        ks_variability_item_get(sp->variability, k, &it);
        used += (size_t)snprintf(buf + used, size - used, ",%s_%s", it.name,
                                 dim_unit(t->m->params[it.param].dim));
    }
    for (size_t j = 0; j < t->n_out && used < size; j++) {
        used += (size_t)snprintf(buf + used, size - used, ",%s_cmax,%s_tmax_h", t->out_name[j],
                                 t->out_name[j]);
        if (t->auc_red[j] >= 0 && used < size)
            used += (size_t)snprintf(buf + used, size - used, ",%s_auc_ng_h_ml", t->out_name[j]);
        if (sp->thresholds && !isnan(sp->thresholds[j]) && used < size)
            used += (size_t)snprintf(buf + used, size - used, ",%s_hours_above_%g", t->out_name[j],
                                     sp->thresholds[j]);
    }
    return used < size ? KS_OK : KS_ENOMEM;
}

static int append_line(worker *w, size_t b, const ks_trial *t, uint32_t rep, uint64_t patient,
                       const ks_covariates *cov, const patient_summary *ps)
{
    const ks_trial_spec *sp = t->spec;
    size_t need =
        64 + 24 * ((size_t)t->m->n_covariates + ks_variability_n(sp->variability) + 4 * t->n_out);
    size_t off = b * need;
    if (w->text_cap < KS_TRIAL_BLOCK * need) {
        free(w->text);
        w->text = malloc(KS_TRIAL_BLOCK * need);
        if (!w->text) return KS_ENOMEM;
        w->text_cap = KS_TRIAL_BLOCK * need;
    }
    char *p = w->text + off;
    size_t used = (size_t)snprintf(p, need, "%u,%llu", rep + 1, (unsigned long long)patient + 1);
    for (int i = 0; i < t->m->n_covariates; i++) {
        double v = NAN;
        if (!ks_covariates_get(cov, t->m->covariates[i].name, &v)) v = t->m->covariates[i].def;
        used += (size_t)snprintf(p + used, need - used, ",%.9g", v);
    }
    const double *pv = w->pv + b * (size_t)t->m->n_params;
    size_t nv = ks_variability_n(sp->variability);
    for (size_t k = 0; k < nv; k++) {
        ks_variability_item it;
        ks_variability_item_get(sp->variability, k, &it);
        used += (size_t)snprintf(p + used, need - used, ",%.9g", pv[it.param]);
    }
    for (size_t j = 0; j < t->n_out; j++) {
        used += (size_t)snprintf(p + used, need - used, ",%.9g,%.9g", ps[j].cmax, ps[j].tmax);
        if (t->auc_red[j] >= 0) used += (size_t)snprintf(p + used, need - used, ",%.9g", ps[j].auc);
        if (sp->thresholds && !isnan(sp->thresholds[j]))
            used += (size_t)snprintf(p + used, need - used, ",%.9g", ps[j].above);
    }
    used += (size_t)snprintf(p + used, need - used, "\n");
    w->text_len[b] = used;
    return used < need ? KS_OK : KS_ENOMEM;
}

/* ---------------------------------------------------------------- a block */

/* Set up lane b: covariates, deviations, the individual's system and events. */
static int setup_lane(worker *w, const ks_trial *t, uint32_t rep, size_t b)
{
    const ks_trial_spec *sp = t->spec;
    uint64_t i = w->first + b;
    ks_covariates *cov = &w->cov[b];
    int rc = ks_population_sample(sp->population, &sp->base, sp->seed, rep, i, sp->resample, cov,
                                  NULL, &w->err);
    size_t np = (size_t)t->m->n_params;
    int use_eta = sp->variability || t->tv_eta;
    if (sp->variability) {
        ks_variability_sample(sp->variability, sp->seed, rep, i, w->eta, w->eta_type);
    } else {
        for (size_t p = 0; p < np; p++) {
            w->eta[p] = 0.0;
            w->eta_type[p] = KS_IIV_NONE;
        }
    }
    for (size_t p = 0; t->tv_eta && p < np; p++) {
        if (t->tv_eta[p] == 0.0 || w->eta_type[p] == KS_IIV_LOGIT) continue;
        w->eta[p] += t->tv_eta[p]; /* both log-scale: they add */
        w->eta_type[p] = KS_IIV_LOGNORMAL;
    }
    if (!rc)
        rc = ks_sim_set_individual(w->sim, cov, use_eta ? w->eta : NULL,
                                   use_eta ? w->eta_type : NULL, &w->err);
    ks_sim_clear_doses(w->sim);
    double weight = NAN;
    ks_covariates_get(cov, "weight", &weight);
    for (size_t d = 0; !rc && d < sp->n_doses; d++) {
        const ks_trial_dose *td = &sp->doses[d];
        if (td->per_kg && !(weight > 0))
            return ks_error_set(&w->err, KS_EINVAL,
                                "dose %zu is per kg but the patient has no "
                                "weight (give --weight or a population)",
                                d + 1);
        ks_dose dose = {td->time_h, td->per_kg ? td->amount * weight : td->amount, td->duration_h,
                        td->route};
        rc = ks_sim_add_dose(w->sim, &dose, &w->err);
    }
    if (!rc) rc = ks_sim_prepare_events(w->sim, &w->err);
    if (!rc) rc = reduced_matrix(w, t, b, &w->err);
    if (!rc) rc = store_events(w, t, b, &w->err);
    if (rc) return rc;
    memcpy(w->pv + b * np, ks_sim_param_values(w->sim), np * sizeof *w->pv);
    for (size_t j = 0; j < t->n_out; j++)
        w->scale[j * L + b] = w->sim->out[t->out_col[j]].scale;
    return KS_OK;
}

/* A block: set up every lane; walk together the lanes whose events fall at the same
 * times as the first lane's (the usual case: the same schedule for everyone), each
 * other lane alone; then check and summarise. */
static int run_block(worker *w, const ks_trial *t, uint32_t rep)
{
    const ks_trial_spec *sp = t->spec;
    patient_summary ps[64];
    size_t b = 0;
    int rc = KS_OK;
    w->ev_used = 0;
    w->suspect = 0;
    for (b = 0; b < w->count && !rc; b++)
        rc = setup_lane(w, t, rep, b);
    if (rc) b--;
    if (!rc && w->count && (rc = walk(w, t, 0, 0, w->count, &w->err))) b = 0;
    for (size_t k = 1; !rc && k < w->count; k++)
        if (!same_events(w, 0, k) && (rc = walk(w, t, k, k, k + 1, &w->err))) b = k;
    /* Lane by lane (strided through the buffer: only when there is something to do). */
    int any_res = 0;
    for (size_t j = 0; j < t->n_out; j++)
        any_res |= t->res[j].type != RES_NONE;
    int per_lane = w->suspect || any_res || sp->patients_out;
    for (size_t k = 0; !rc && per_lane && k < w->count; k++) {
        rc = finish_lane(w, t, k, rep, w->first + k, ps, &w->err);
        if (!rc && sp->patients_out && append_line(w, k, t, rep, w->first + k, &w->cov[k], ps))
            rc = ks_error_set(&w->err, KS_ENOMEM, "out of memory");
        if (rc) b = k;
    }
    if (rc) {
        ks_error_prefix(&w->err, "replicate %u, patient %llu", rep + 1,
                        (unsigned long long)(w->first + b) + 1);
        return w->rc = rc;
    }
    return KS_OK;
}

/* Add the values of every worker's block for cells [c0, c1). */
static void add_cells(ks_trial *t, worker *ws, int nw, size_t c0, size_t c1)
{
    for (size_t c = c0; c < c1; c++)
        for (int k = 0; k < nw; k++) {
            const worker *w = &ws[k];
            const double *v = w->buf + c * KS_TRIAL_BLOCK;
            /* Values were checked finite (and >= 0 unless allowed) in the walk. */
            if (t->exact)
                for (size_t b = 0; b < w->count; b++)
                    (void)ks_quantiles_add(t->q, c, (size_t)(w->first + b), v[b], NULL);
            else
                for (size_t b = 0; b < w->count; b++)
                    ks_q_hist_add(t->q, c, v[b]);
        }
}

/* ---------------------------------------------------------------- run */

static int check_spec(const ks_trial_spec *sp, ks_error *err)
{
    if (!sp->model) return ks_error_set(err, KS_EINVAL, "trial: no model");
    if (sp->n == 0)
        return ks_error_set(err, KS_EINVAL, "trial: the number of patients must be >= 1");
    if (sp->replicates == 0) return ks_error_set(err, KS_EINVAL, "trial: replicates must be >= 1");
    if (sp->n_times == 0) return ks_error_set(err, KS_EINVAL, "trial: no output times");
    if (sp->n_doses == 0) return ks_error_set(err, KS_EINVAL, "trial: no dose");
    if (sp->n_probs == 0) return ks_error_set(err, KS_EINVAL, "trial: no quantile asked for");
    for (size_t k = 0; k < sp->n_probs; k++)
        if (!(sp->probs[k] >= 0 && sp->probs[k] <= 1))
            return ks_error_set(err, KS_EINVAL, "trial: quantile %g is outside [0, 1]",
                                sp->probs[k]);
    if (sp->n_ranks < 1 || sp->rank < 0 || sp->rank >= sp->n_ranks)
        return ks_error_set(err, KS_EINVAL, "trial: rank %d of %d", sp->rank, sp->n_ranks);
    if (sp->outputs && sp->n_outputs > 64)
        return ks_error_set(err, KS_EINVAL, "trial: at most 64 outputs");
    if (sp->n_times > ((size_t)1 << 24) / 64)
        return ks_error_set(err, KS_EINVAL, "trial: at most %zu output times",
                            ((size_t)1 << 24) / 64);
    return KS_OK;
}

static int setup(ks_trial *t, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    ks_sim *s = NULL;
    int rc = ks_sim_create(t->m, &s, err);
    if (!rc) rc = ks_population_check(sp->population, t->m, &sp->base, err);
    ks_covariates cov;
    if (!rc)
        rc = ks_population_sample(sp->population, &sp->base, sp->seed, 0, 0, sp->resample, &cov,
                                  NULL, err);
    if (!rc) rc = ks_sim_set_covariates(s, &cov, err);
    double weight = NAN;
    ks_covariates_get(&cov, "weight", &weight);
    for (size_t d = 0; !rc && d < sp->n_doses; d++) {
        const ks_trial_dose *td = &sp->doses[d];
        ks_dose dose = {td->time_h,
                        td->per_kg ? td->amount * (weight > 0 ? weight : 70.0) : td->amount,
                        td->duration_h, td->route};
        rc = ks_sim_add_dose(s, &dose, err);
        if (rc) ks_error_prefix(err, "dose %zu", d + 1);
    }
    if (!rc) rc = ks_sim_set_times(s, sp->times, sp->n_times, err);
    if (!rc) rc = ks_sim_prepare_events(s, err);
    if (!rc) rc = output_columns(t, s, err);
    int any_res = 0;
    for (size_t j = 0; !rc && j < t->n_out; j++) {
        rc = residual_of(t, s, j, err);
        any_res |= t->res[j].type != RES_NONE;
    }
    if (!rc && sp->residual && !any_res)
        rc = ks_error_set(err, KS_EINVAL,
                          "model %s publishes no residual error for these outputs' analytes: "
                          "--residual would change nothing (ketsim models show %s)",
                          t->m->name, t->m->name);
    if (!rc) rc = reduce(t, s, sp->patients_out != NULL, err);
    ks_sim_free(s);
    return rc;
}

int ks_trial_patients_header(const ks_trial_spec *spec, char *buf, size_t size, ks_error *err)
{
    ks_trial t = {0};
    t.spec = spec;
    t.m = spec->model;
    ks_trial_spec tmp = *spec;
    if (!tmp.patients_out) tmp.patients_out = stderr; /* AUC columns as in a run */
    t.spec = &tmp;
    int rc = setup(&t, err);
    if (!rc && header(&t, buf, size)) rc = ks_error_set(err, KS_ENOMEM, "header too long");
    free(t.out_col);
    free(t.out_name);
    free(t.out_red);
    free(t.auc_red);
    free(t.res);
    free(t.keep);
    free(t.red);
    return rc;
}

static int run_replicate(ks_trial *t, worker *ws, int nw, uint32_t rep, uint64_t lo, uint64_t hi,
                         uint64_t *done, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    int rc = KS_OK;
    uint64_t base = lo;
    while (base < hi && !rc) {
        for (int k = 0; k < nw; k++) {
            uint64_t f = base + (uint64_t)k * KS_TRIAL_BLOCK;
            ws[k].first = f;
            ws[k].count = f >= hi ? 0 : (size_t)(hi - f < KS_TRIAL_BLOCK ? hi - f : KS_TRIAL_BLOCK);
            ws[k].rc = KS_OK;
        }
#ifdef _OPENMP
#pragma omp parallel num_threads(nw)
#endif
        {
#ifdef _OPENMP
            int me = omp_get_thread_num(), team = omp_get_num_threads();
#else
            int me = 0, team = 1;
#endif
            /* The runtime may give fewer threads than asked (OMP_THREAD_LIMIT,
             * OMP_DYNAMIC): each thread then takes several workers' shares, and the
             * split of patients and cells stays the same. */
            for (int k = me; k < nw; k += team)
                run_block(&ws[k], t, rep);
#ifdef _OPENMP
#pragma omp barrier
#endif
            int any_err = 0;
            for (int k = 0; k < nw; k++)
                any_err |= ws[k].rc != KS_OK;
            for (int k = me; k < nw && !any_err; k += team) {
                size_t c0 = t->n_cells * (size_t)k / (size_t)nw;
                size_t c1 = t->n_cells * (size_t)(k + 1) / (size_t)nw;
                add_cells(t, ws, nw, c0, c1);
            }
        }
        /* The first error in patient order, whatever thread met it. */
        for (int k = 0; k < nw && !rc; k++)
            if (ws[k].rc) {
                *err = ws[k].err;
                rc = ws[k].rc;
            }
        if (rc) break;
        if (sp->patients_out)
            for (int k = 0; k < nw; k++)
                for (size_t b = 0; b < ws[k].count; b++)
                    if (fwrite(ws[k].text + b * (ws[k].text_cap / KS_TRIAL_BLOCK), 1,
                               ws[k].text_len[b], sp->patients_out) != ws[k].text_len[b])
                        return ks_error_set(err, KS_EIO, "cannot write the per-patient summaries");
        uint64_t step = (uint64_t)nw * KS_TRIAL_BLOCK;
        *done += (hi - base < step ? hi - base : step);
        base += step;
        if (sp->progress &&
            sp->progress(*done, (uint64_t)sp->replicates * (hi - lo), sp->progress_user))
            return ks_error_set(err, KS_ECANCELED, "stopped after %llu patients",
                                (unsigned long long)*done);
    }
    return rc;
}

/* After the merge: the quantile table of this replicate. Every cell must hold every
 * patient (a value refused by the summary would otherwise leave a hole). */
static int fill_table(ks_trial *t, uint32_t rep, ks_error *err)
{
    const ks_trial_spec *sp = t->spec;
    double *tab = t->table + (size_t)rep * t->n_cells * sp->n_probs;
    uint64_t before = ks_quantiles_n_clipped(t->q);
    for (size_t c = 0; c < t->n_cells; c++) {
        if (ks_quantiles_count(t->q, c) != sp->n)
            return ks_error_set(
                err, KS_ENUMERIC, "trial: %s at %g h holds %llu of %llu patients' values",
                t->out_name[c % t->n_out], sp->times[c / t->n_out],
                (unsigned long long)ks_quantiles_count(t->q, c), (unsigned long long)sp->n);
        for (size_t k = 0; k < sp->n_probs; k++)
            tab[c * sp->n_probs + k] = ks_quantiles_get(t->q, c, sp->probs[k]);
    }
    t->clipped += ks_quantiles_n_clipped(t->q) - before;
    return KS_OK;
}

/* Replicate rep's deviations of the typical values from their published standard
 * errors (patient index UINT64_MAX: a counter no patient uses). */
static void draw_typical(ks_trial *t, uint32_t rep)
{
    const ks_trial_spec *sp = t->spec;
    for (int p = 0; p < t->m->n_params; p++) {
        double rse = t->m->params[p].rse;
        t->tv_eta[p] = 0.0;
        if (isnan(rse) || rse <= 0 || t->m->params[p].dim == KS_DIM_NONE) continue;
        double z[2];
        ks_rng_normal2(sp->seed, rep, UINT64_MAX, KS_RNG_TYPICAL, (uint32_t)p / 2, z);
        t->tv_eta[p] = sqrt(log1p(rse * rse)) * z[p % 2];
    }
}

int ks_trial_run(const ks_trial_spec *sp, ks_trial **out, ks_error *err)
{
    if (!sp || !out) return ks_error_set(err, KS_EINVAL, "ks_trial_run: NULL argument");
    int rc = check_spec(sp, err);
    if (rc) return rc;
    ks_trial *t = calloc(1, sizeof *t);
    if (!t) return ks_error_set(err, KS_ENOMEM, "out of memory");
    t->spec = sp;
    t->m = sp->model;
    t->n_rep = sp->replicates;
    t->n_times = sp->n_times;
    t->n_probs = sp->n_probs;
    if ((rc = setup(t, err))) goto fail;
    if (sp->uncertainty) {
        t->tv_eta = calloc((size_t)t->m->n_params, sizeof *t->tv_eta);
        if (!t->tv_eta) {
            rc = ks_error_set(err, KS_ENOMEM, "out of memory");
            goto fail;
        }
    }
    t->n_cells = sp->n_times * t->n_out;
    t->exact = sp->exact > 0 || (sp->exact < 0 && sp->n <= KS_TRIAL_EXACT_MAX / t->n_cells);
    if (!t->exact && sp->n > UINT32_MAX) {
        rc = ks_error_set(err, KS_EINVAL,
                          "trial: at most %u patients per replicate (the "
                          "histogram counts are 32-bit)",
                          UINT32_MAX);
        goto fail;
    }
    t->table = malloc((size_t)t->n_rep * t->n_cells * sp->n_probs * sizeof *t->table);
    if (!t->table) {
        rc = ks_error_set(err, KS_ENOMEM, "out of memory for %u replicates' tables", t->n_rep);
        goto fail;
    }
    if ((rc = ks_quantiles_create(t->n_cells, t->exact ? (size_t)sp->n : 0, t->allow_negative,
                                  &t->q, err)))
        goto fail;
    int nw = 1;
#ifdef _OPENMP
    nw = sp->threads > 0 ? sp->threads : omp_get_max_threads();
#endif
    if (nw > 256) nw = 256;
    worker *ws = calloc((size_t)nw, sizeof *ws);
    if (!ws) {
        rc = ks_error_set(err, KS_ENOMEM, "out of memory");
        goto fail;
    }
    for (int k = 0; k < nw && !rc; k++)
        rc = worker_init(&ws[k], t, err);
    t->peak_bytes = ks_quantiles_bytes(t->q) +
                    (size_t)nw * t->n_cells * KS_TRIAL_BLOCK * sizeof(double) +
                    (size_t)t->n_rep * t->n_cells * sp->n_probs * sizeof(double);
    uint64_t lo = sp->n * (uint64_t)sp->rank / (uint64_t)sp->n_ranks;
    uint64_t hi = sp->n * (uint64_t)(sp->rank + 1) / (uint64_t)sp->n_ranks;
    uint64_t done = 0;
    for (uint32_t rep = 0; rep < t->n_rep && !rc; rep++) {
        if (rep > 0) {
            ks_quantiles_free(t->q);
            t->q = NULL;
            rc = ks_quantiles_create(t->n_cells, t->exact ? (size_t)sp->n : 0, t->allow_negative,
                                     &t->q, err);
            if (rc) break;
        }
        if (t->tv_eta) draw_typical(t, rep);
        rc = run_replicate(t, ws, nw, rep, lo, hi, &done, err);
        if (!rc && sp->merge) rc = sp->merge(t->q, sp->merge_user, err);
        if (!rc) rc = fill_table(t, rep, err);
    }
    for (int k = 0; k < nw; k++)
        worker_free(&ws[k]);
    free(ws);
    if (rc) goto fail;
    *out = t;
    return KS_OK;
fail:
    ks_trial_free(t);
    return rc;
}

void ks_trial_free(ks_trial *t)
{
    if (!t) return;
    free(t->out_col);
    free(t->out_name);
    free(t->out_red);
    free(t->auc_red);
    free(t->res);
    free(t->keep);
    free(t->red);
    ks_quantiles_free(t->q);
    free(t->table);
    free(t->tv_eta);
    free(t);
}

size_t ks_trial_n_outputs(const ks_trial *t)
{
    return t->n_out;
}

const char *ks_trial_output_name(const ks_trial *t, size_t j)
{
    return j < t->n_out ? t->out_name[j] : NULL;
}

double ks_trial_quantile(const ks_trial *t, uint32_t r, size_t i, size_t j, size_t k)
{
    if (r >= t->n_rep || i >= t->n_times || j >= t->n_out || k >= t->n_probs) return NAN;
    return t->table[((size_t)r * t->n_cells + i * t->n_out + j) * t->n_probs + k];
}

int ks_trial_output_has_residual(const ks_trial *t, size_t j)
{
    return j < t->n_out && t->res[j].type != RES_NONE;
}

int ks_trial_is_exact(const ks_trial *t)
{
    return t->exact;
}

uint64_t ks_trial_n_clipped(const ks_trial *t)
{
    return t->clipped;
}

size_t ks_trial_bytes(const ks_trial *t)
{
    return t->peak_bytes;
}
