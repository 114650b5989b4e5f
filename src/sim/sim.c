/* Building an individual's linear system from a model, and simulating doses exactly.
 *
 * State vector: model compartments (mg), transit compartments (mg), effect sites
 * (mg/L), per analyte the cumulative amount eliminated and the amount lost before
 * absorption (mg), and one AUC integrator per output (mg*h/L). dx/dt = A x + u(t),
 * with u constant between events; each step is x <- Phi(h) x + Gamma(h) u with
 * Phi = exp(A h), Gamma = int_0^h exp(A s) ds from one matrix exponential. */
#include "sim/sim_internal.h"
#include "pk/expm.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- layout */

static int count_states(const ks_model *m)
{
    int n = m->n_comps + m->n_effects + 2 * m->n_analytes;
    for (int i = 0; i < m->n_flows; i++)
        n += m->flows[i].transit_n;
    int n_out = m->n_effects;
    for (int i = 0; i < m->n_comps; i++)
        n_out += m->comps[i].observed;
    return n + n_out;
}

/* Name state i "<prefix><base><suffix>" and record its kind and analyte. */
static void name_state(ks_sim *s, int i, int kind, int analyte, const char *prefix,
                       const char *base, const char *suffix)
{
    snprintf(s->state_name[i], sizeof s->state_name[i], "%s%s%s", prefix, base, suffix);
    s->state_kind[i] = kind;
    s->state_analyte[i] = analyte;
}

static int layout(ks_sim *s)
{
    const ks_model *m = s->m;
    int n = count_states(m);
    s->n = (size_t)n;
    s->state_name = calloc((size_t)n, sizeof *s->state_name);
    s->state_kind = calloc((size_t)n, sizeof *s->state_kind);
    s->state_analyte = calloc((size_t)n, sizeof *s->state_analyte);
    s->comp_state = calloc((size_t)m->n_comps, sizeof *s->comp_state);
    s->transit_first = calloc((size_t)m->n_flows + 1, sizeof *s->transit_first);
    s->effect_state = calloc((size_t)m->n_effects + 1, sizeof *s->effect_state);
    s->elim_state = calloc((size_t)m->n_analytes, sizeof *s->elim_state);
    s->lost_state = calloc((size_t)m->n_analytes, sizeof *s->lost_state);
    s->out = calloc((size_t)n, sizeof *s->out);
    if (!s->state_name || !s->state_kind || !s->state_analyte || !s->comp_state ||
        !s->transit_first || !s->effect_state || !s->elim_state || !s->lost_state || !s->out)
        return KS_ENOMEM;
    int k = 0;
    for (int i = 0; i < m->n_comps; i++) {
        s->comp_state[i] = k;
        name_state(s, k++, KS_ST_AMOUNT, m->comps[i].analyte, "", m->comps[i].name, "");
    }
    for (int f = 0; f < m->n_flows; f++) {
        const ks_mflow *fl = &m->flows[f];
        s->transit_first[f] = fl->transit_n ? k : -1;
        for (int t = 0; t < fl->transit_n; t++) {
            char suffix[48];
            snprintf(suffix, sizeof suffix, "_transit%d_%d", f + 1, t + 1);
            name_state(s, k++, KS_ST_AMOUNT, m->comps[fl->from].analyte, "",
                       m->comps[fl->from].name, suffix);
        }
    }
    for (int e = 0; e < m->n_effects; e++) {
        s->effect_state[e] = k;
        name_state(s, k++, KS_ST_EFFECT, m->comps[m->effects[e].of].analyte, "", m->effects[e].name,
                   "");
    }
    for (int a = 0; a < m->n_analytes; a++) {
        s->elim_state[a] = k;
        name_state(s, k++, KS_ST_ELIM, a, "eliminated_", m->analytes[a].name, "");
        s->lost_state[a] = k;
        name_state(s, k++, KS_ST_LOST, a, "not_absorbed_", m->analytes[a].name, "");
    }
    /* Outputs: plasma (observed compartments) first, then effect sites. */
    for (int i = 0; i < m->n_comps; i++) {
        if (!m->comps[i].observed) continue;
        ks_output *o = &s->out[s->n_out++];
        snprintf(o->name, sizeof o->name, "cp_%s_ng_ml", m->analytes[m->comps[i].analyte].name);
        o->state = s->comp_state[i];
        o->analyte = m->comps[i].analyte;
        o->comp = i;
        o->auc_state = k;
        name_state(s, k++, KS_ST_AUC, o->analyte, "auc_cp_", m->analytes[o->analyte].name, "");
    }
    for (int e = 0; e < m->n_effects; e++) {
        ks_output *o = &s->out[s->n_out++];
        int a = m->comps[m->effects[e].of].analyte;
        snprintf(o->name, sizeof o->name, "ce_%s_ng_ml", m->analytes[a].name);
        o->state = s->effect_state[e];
        o->analyte = a;
        o->comp = -1;
        o->is_effect = 1;
        o->auc_state = k;
        name_state(s, k++, KS_ST_AUC, a, "auc_ce_", m->analytes[a].name, "");
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- system matrix */

#define AT(i, j) s->A[(size_t)(i)*s->n + (size_t)(j)]

/* First-order outflow from state `from` at rate k, of which `frac * conv` arrives
 * in `to` (or nothing when to < 0); what leaves the analyte goes to its sink. */
static void add_outflow(ks_sim *s, int from, int to, double k, double frac, double conv)
{
    AT(from, from) -= k;
    int a = s->state_analyte[from];
    if (to >= 0) {
        AT(to, from) += k * frac * conv;
        if (s->state_analyte[to] == a)
            AT(s->elim_state[a], from) += k * (1.0 - frac);
        else
            AT(s->elim_state[a], from) += k;
    } else {
        AT(s->elim_state[a], from) += k;
    }
}

static double comp_volume(const ks_sim *s, int comp)
{
    return s->pv[s->m->comps[comp].volume];
}

static int build_matrix(ks_sim *s, ks_error *err)
{
    const ks_model *m = s->m;
    memset(s->A, 0, s->n * s->n * sizeof *s->A);
    for (int f = 0; f < m->n_flows; f++) {
        const ks_mflow *fl = &m->flows[f];
        int from = s->comp_state[fl->from];
        double k =
            fl->rate >= 0 ? s->pv[fl->rate] : s->pv[fl->clearance] / comp_volume(s, fl->from);
        double frac = ks_mvalue_get(&fl->fraction, s->pv);
        if (!(frac >= 0.0 && frac <= 1.0))
            return ks_error_set(err, KS_EINVAL,
                                "model %s: flow %d from %s has fraction %g for these covariates "
                                "(outside [0, 1])",
                                m->name, f + 1, m->comps[fl->from].name, frac);
        int to = fl->to >= 0 ? s->comp_state[fl->to] : -1;
        if (!isfinite(k) || k < 0)
            return ks_error_set(err, KS_EINVAL, "model %s: flow %d from %s has rate %g 1/h",
                                m->name, f, m->comps[fl->from].name, k);
        if (fl->transit_n == 0) {
            add_outflow(s, from, to, k, frac, fl->conversion);
            continue;
        }
        double mtt = s->pv[fl->transit_mtt];
        if (!(mtt > 0))
            return ks_error_set(err, KS_EINVAL, "model %s: flow %d: transit MTT must be positive",
                                m->name, f);
        double ktr = fl->transit_n / mtt;
        int t0 = s->transit_first[f];
        add_outflow(s, from, t0, k, 1.0, 1.0);
        for (int t = 0; t + 1 < fl->transit_n; t++)
            add_outflow(s, t0 + t, t0 + t + 1, ktr, 1.0, 1.0);
        add_outflow(s, t0 + fl->transit_n - 1, to, ktr, frac, fl->conversion);
    }
    for (int e = 0; e < m->n_effects; e++) {
        const ks_meffect *ef = &m->effects[e];
        double ke0 = ef->ke0 >= 0 ? s->pv[ef->ke0] : log(2.0) / s->pv[ef->t_half];
        int es = s->effect_state[e];
        AT(es, s->comp_state[ef->of]) += ke0 / comp_volume(s, ef->of);
        AT(es, es) -= ke0;
    }
    for (size_t j = 0; j < s->n_out; j++) {
        ks_output *o = &s->out[j];
        if (o->is_effect) {
            AT(o->auc_state, o->state) += 1.0;
            o->scale = 1000.0; /* mg/L -> ng/mL */
        } else {
            double v = comp_volume(s, o->comp);
            AT(o->auc_state, o->state) += 1.0 / v;
            o->scale = 1000.0 / v;
        }
    }
    return KS_OK;
}

#undef AT

/* ---------------------------------------------------------------- create/free */

/* The results of the last run (checkpoints and output columns). */
static void free_results(ks_sim *s)
{
    free(s->cp_t);
    free(s->cp_x);
    free(s->cp_u);
    free(s->out_cp);
    free(s->outv);
    free(s->aucv);
}

void ks_sim_free(ks_sim *s)
{
    if (!s) return;
    free(s->state_name);
    free(s->state_kind);
    free(s->state_analyte);
    free(s->comp_state);
    free(s->transit_first);
    free(s->effect_state);
    free(s->elim_state);
    free(s->lost_state);
    free(s->out);
    free(s->pv);
    free(s->A);
    for (size_t i = 0; i < s->n_doses; i++)
        free(s->dose_route[i]);
    free(s->doses);
    free(s->dose_route);
    free(s->times);
    free(s->bol);
    free(s->inf);
    free_results(s);
    for (int i = 0; i < KS_STEP_CACHE; i++)
        free(s->cache[i].Phi);
    free(s->work);
    free(s->tmp);
    free(s);
}

int ks_sim_create(const ks_model *model, ks_sim **out, ks_error *err)
{
    if (!model || !out) return ks_error_set(err, KS_EINVAL, "ks_sim_create: NULL argument");
    ks_sim *s = calloc(1, sizeof *s);
    if (!s) return ks_error_set(err, KS_ENOMEM, "ks_sim_create: out of memory");
    s->m = model;
    int rc = layout(s);
    if (rc == KS_OK) {
        s->pv = calloc((size_t)model->n_params, sizeof *s->pv);
        s->A = calloc(s->n * s->n, sizeof *s->A);
        s->work = malloc(ks_expm_step_work_size(s->n) * sizeof *s->work);
        s->tmp = malloc(3 * s->n * sizeof *s->tmp); /* x, y, the cursor's state */
        for (int i = 0; i < KS_STEP_CACHE && rc == KS_OK; i++) {
            s->cache[i].Phi = malloc(2 * s->n * s->n * sizeof(double));
            if (!s->cache[i].Phi)
                rc = KS_ENOMEM;
            else
                s->cache[i].Gamma = s->cache[i].Phi + s->n * s->n;
        }
        if (!s->pv || !s->A || !s->work || !s->tmp) rc = KS_ENOMEM;
    }
    if (rc) {
        ks_sim_free(s);
        return ks_error_set(err, rc, "ks_sim_create: out of memory");
    }
    /* A model without required covariates can run without ks_sim_set_covariates. */
    ks_covariates none = {0};
    if (ks_model_resolve(model, &none, s->pv, NULL) == KS_OK && build_matrix(s, NULL) == KS_OK) {
        s->have_cov = 1;
        s->system_ready = 1;
    }
    *out = s;
    return KS_OK;
}

static void invalidate(ks_sim *s)
{
    s->ran = 0;
    s->cur_valid = 0;
}

int ks_sim_set_covariates(ks_sim *s, const ks_covariates *c, ks_error *err)
{
    if (!s || !c) return ks_error_set(err, KS_EINVAL, "ks_sim_set_covariates: NULL argument");
    return ks_sim_set_individual(s, c, NULL, NULL, err);
}

int ks_sim_set_individual(ks_sim *s, const ks_covariates *c, const double *eta, const int *eta_type,
                          ks_error *err)
{
    if (!s || !c) return ks_error_set(err, KS_EINVAL, "ks_sim_set_individual: NULL argument");
    invalidate(s);
    s->system_ready = 0;
    s->cov = *c;
    s->have_cov = 1;
    int rc = ks_model_resolve_eta(s->m, c, eta, eta_type, s->pv, err);
    if (rc) return rc;
    rc = build_matrix(s, err);
    if (rc) return rc;
    for (int i = 0; i < KS_STEP_CACHE; i++)
        s->cache[i].used = 0;
    s->system_ready = 1;
    return KS_OK;
}

/* ---------------------------------------------------------------- doses and times */

/* Fractions of a dose of `amount` mg by route r that go down each pathway. */
static int path_fractions(const ks_sim *s, const ks_mroute *r, double amount, double *frac,
                          ks_error *err)
{
    double sum = 0.0;
    int rem = -1;
    for (int i = 0; i < r->n_paths; i++) {
        const ks_mpath *p = &r->paths[i];
        if (p->frac_kind == KS_FRAC_REMAINDER) {
            rem = i;
            continue;
        }
        if (p->frac_kind == KS_FRAC_VALUE) {
            frac[i] = ks_mvalue_get(&p->fraction, s->pv);
        } else {
            double units = amount / r->unit_dose;
            double n = round(units);
            if (n < 1 || fabs(units - n) > 1e-9 * units)
                return ks_error_set(err, KS_EINVAL,
                                    "%g mg by route %s is not a whole number of "
                                    "%g mg %ss",
                                    amount, r->name, r->unit_dose, r->unit_what);
            double first = s->pv[p->per_first], q = s->pv[p->per_factor];
            frac[i] = first * (1.0 + (n - 1.0) * q) / n;
        }
        if (!(frac[i] >= 0.0 && frac[i] <= 1.0))
            return ks_error_set(err, KS_EINVAL,
                                "route %s pathway %d: fraction %g outside [0, 1] "
                                "for these covariates",
                                r->name, i + 1, frac[i]);
        sum += frac[i];
    }
    if (sum > 1.0 + 1e-12)
        return ks_error_set(err, KS_EINVAL,
                            "route %s: pathway fractions sum to %g (> 1) for these "
                            "covariates",
                            r->name, sum);
    if (rem >= 0) frac[rem] = fmax(0.0, 1.0 - sum);
    return KS_OK;
}

int ks_sim_route_input_fraction(ks_sim *s, const char *route, double amount_mg, double *fraction,
                                ks_error *err)
{
    int ri = ks_model_route_index(s->m, route ? route : "");
    if (ri < 0) return ks_error_set(err, KS_ENOTFOUND, "no route \"%s\"", route ? route : "");
    if (!s->system_ready) return ks_error_set(err, KS_ESTATE, "covariates are not set");
    const ks_mroute *r = &s->m->routes[ri];
    double frac[64];
    if (r->n_paths > 64) return ks_error_set(err, KS_EMODEL, "too many pathways");
    int rc = path_fractions(s, r, amount_mg, frac, err);
    if (rc) return rc;
    double total = 0.0;
    for (int i = 0; i < r->n_paths; i++)
        total += frac[i] * ks_mvalue_get(&r->paths[i].bioav, s->pv);
    *fraction = total;
    return KS_OK;
}

static int route_names(const ks_model *m, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < m->n_routes && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", m->routes[i].name);
    return 0;
}

int ks_sim_add_dose(ks_sim *s, const ks_dose *d, ks_error *err)
{
    if (!s || !d) return ks_error_set(err, KS_EINVAL, "ks_sim_add_dose: NULL argument");
    if (!isfinite(d->time_h) || d->time_h < 0)
        return ks_error_set(err, KS_EINVAL, "dose time %g h: must be finite and not negative",
                            d->time_h);
    if (!isfinite(d->amount_mg) || !(d->amount_mg > 0))
        return ks_error_set(err, KS_EINVAL, "dose amount %g mg: must be positive", d->amount_mg);
    if (!isfinite(d->duration_h) || d->duration_h < 0)
        return ks_error_set(err, KS_EINVAL, "infusion duration %g h: must not be negative",
                            d->duration_h);
    int ri = ks_model_route_index(s->m, d->route ? d->route : "");
    if (ri < 0) {
        char names[256];
        route_names(s->m, names, sizeof names);
        return ks_error_set(err, KS_ENOTFOUND, "route \"%s\": model %s has routes %s",
                            d->route ? d->route : "(none)", s->m->name, names);
    }
    const ks_mroute *r = &s->m->routes[ri];
    if (r->unit_dose > 0) {
        double units = d->amount_mg / r->unit_dose, n = round(units);
        if (n < 1 || fabs(units - n) > 1e-9 * units)
            return ks_error_set(err, KS_EINVAL,
                                "%g mg by route %s is not a whole number of %g mg "
                                "%ss",
                                d->amount_mg, r->name, r->unit_dose, r->unit_what);
    }
    if (d->duration_h > 0 && !s->m->routes[ri].takes_duration)
        return ks_error_set(err, KS_EINVAL,
                            "route %s of model %s takes no infusion duration "
                            "(its absorption is set by the model)",
                            d->route, s->m->name);
    if (s->n_doses == s->cap_doses) {
        size_t nc = s->cap_doses ? 2 * s->cap_doses : 8;
        ks_dose *nd = realloc(s->doses, nc * sizeof *nd);
        if (!nd) return ks_error_set(err, KS_ENOMEM, "out of memory");
        s->doses = nd;
        char **nr = realloc(s->dose_route, nc * sizeof *nr);
        if (!nr) return ks_error_set(err, KS_ENOMEM, "out of memory");
        s->dose_route = nr;
        s->cap_doses = nc;
    }
    char *rc = strdup(d->route);
    if (!rc) return ks_error_set(err, KS_ENOMEM, "out of memory");
    s->doses[s->n_doses] = *d;
    s->doses[s->n_doses].route = rc;
    s->dose_route[s->n_doses++] = rc;
    invalidate(s);
    return KS_OK;
}

void ks_sim_clear_doses(ks_sim *s)
{
    for (size_t i = 0; i < s->n_doses; i++)
        free(s->dose_route[i]);
    s->n_doses = 0;
    invalidate(s);
}

int ks_sim_set_times(ks_sim *s, const double *t, size_t n, ks_error *err)
{
    if (!s || (!t && n)) return ks_error_set(err, KS_EINVAL, "ks_sim_set_times: NULL argument");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]) || t[i] < 0)
            return ks_error_set(err, KS_EINVAL,
                                "output time %zu (%g h): must be finite and not "
                                "negative",
                                i, t[i]);
        if (i && t[i] < t[i - 1])
            return ks_error_set(err, KS_EINVAL,
                                "output times must not decrease (time %zu: %g h "
                                "after %g h)",
                                i, t[i], t[i - 1]);
    }
    double *nt = malloc((n ? n : 1) * sizeof *nt);
    if (!nt) return ks_error_set(err, KS_ENOMEM, "out of memory");
    if (n) memcpy(nt, t, n * sizeof *nt);
    free(s->times);
    s->times = nt;
    s->n_times = n;
    invalidate(s);
    return KS_OK;
}

/* ---------------------------------------------------------------- expanding doses */

static int push_bolus(ks_sim *s, size_t *cap, double t, int state, double amount)
{
    if (amount == 0.0) return KS_OK;
    if (s->n_bol == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        ks_bolus *nb = realloc(s->bol, nc * sizeof *nb);
        if (!nb) return KS_ENOMEM;
        s->bol = nb;
        *cap = nc;
    }
    s->bol[s->n_bol++] = (ks_bolus){t, state, amount};
    return KS_OK;
}

static int push_infusion(ks_sim *s, size_t *cap, double t0, double dur, int state, double amount)
{
    if (amount == 0.0) return KS_OK;
    if (s->n_inf == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        ks_infusion *ni = realloc(s->inf, nc * sizeof *ni);
        if (!ni) return KS_ENOMEM;
        s->inf = ni;
        *cap = nc;
    }
    double t1 = t0 + dur;
    /* The rate follows the interval as represented, so the amount given is exact. */
    s->inf[s->n_inf++] = (ks_infusion){t0, t1, state, amount / (t1 - t0)};
    return KS_OK;
}

/* One dose -> boluses and zero-order inputs per pathway; the part that is not
 * bioavailable (or not assigned to any pathway) is recorded as lost at dose time. */
static int expand_dose(ks_sim *s, const ks_dose *d, size_t *cap_b, size_t *cap_i, ks_error *err)
{
    const ks_model *m = s->m;
    const ks_mroute *r = &m->routes[ks_model_route_index(m, d->route)];
    double frac[64];
    if (r->n_paths > 64) return ks_error_set(err, KS_EMODEL, "too many pathways");
    int rc = path_fractions(s, r, d->amount_mg, frac, err);
    if (rc) return rc;
    double lost = d->amount_mg;
    for (int i = 0; i < r->n_paths; i++) {
        const ks_mpath *p = &r->paths[i];
        double part = d->amount_mg * frac[i];
        double bioav = ks_mvalue_get(&p->bioav, s->pv);
        if (!(bioav >= 0.0 && bioav <= 1.0))
            return ks_error_set(err, KS_EINVAL,
                                "route %s pathway %d: bioavailability %g for these covariates "
                                "(outside [0, 1])",
                                r->name, i + 1, bioav);
        double into = part * bioav;
        lost -= into;
        double t = d->time_h + (p->lag >= 0 ? s->pv[p->lag] : 0.0);
        double dur = p->duration >= 0 ? s->pv[p->duration] : (p->user_input ? d->duration_h : 0.0);
        int st = s->comp_state[p->to];
        into *= p->conversion;
        /* An infusion shorter than the resolution of its start time is a bolus. */
        if (dur > 0 && !(t + dur > t)) dur = 0.0;
        rc =
            dur > 0 ? push_infusion(s, cap_i, t, dur, st, into) : push_bolus(s, cap_b, t, st, into);
        if (rc) return ks_error_set(err, rc, "out of memory");
    }
    if (lost > 1e-15 * d->amount_mg) {
        rc = push_bolus(s, cap_b, d->time_h, s->lost_state[r->analyte], lost);
        if (rc) return ks_error_set(err, rc, "out of memory");
    }
    return KS_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_bolus(const void *a, const void *b)
{
    return cmp_double(&((const ks_bolus *)a)->t, &((const ks_bolus *)b)->t);
}

static int cmp_infusion(const void *a, const void *b)
{
    return cmp_double(&((const ks_infusion *)a)->start, &((const ks_infusion *)b)->start);
}

/* A dose time and an output time meant to be equal ("--at 25min" and the 5th point
 * of a 5-minute grid) can differ in the last bits. Move event times onto an output
 * time within the rounding of the times, so the output shows the state after the
 * dose rather than one ulp before it. */
size_t ks_sim_last_at_or_before(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static double snap(const ks_sim *s, double t)
{
    if (s->n_times == 0) return t;
    size_t lo = ks_sim_last_at_or_before(s->times, s->n_times, t);
    double tol = 64.0 * DBL_EPSILON * fmax(fabs(t), 1.0);
    for (size_t k = lo; k <= lo + 1 && k < s->n_times; k++)
        if (fabs(s->times[k] - t) <= tol) return s->times[k];
    return t;
}

static void snap_events(ks_sim *s)
{
    for (size_t i = 0; i < s->n_bol; i++)
        s->bol[i].t = snap(s, s->bol[i].t);
    for (size_t i = 0; i < s->n_inf; i++) {
        ks_infusion *in = &s->inf[i];
        double amount = in->rate * (in->end - in->start);
        double a = snap(s, in->start), b = snap(s, in->end);
        if (b > a) {
            in->start = a;
            in->end = b;
            in->rate = amount / (b - a);
        }
    }
}

/* ---------------------------------------------------------------- stepping */

/* Phi(h), Gamma(h) from a small cache. Step lengths that differ only by the rounding
 * of the times they were computed from (a few ulps of t) share one entry. */
static int step_matrices(ks_sim *s, double h, double tscale, ks_step_cache **out, ks_error *err)
{
    /* Rounding of the times themselves, but never more than a tiny part of the step. */
    double tol = fmin(64.0 * DBL_EPSILON * fmax(fabs(tscale), 1.0), 1e-9 * h);
    for (int i = 0; i < KS_STEP_CACHE; i++) {
        if (s->cache[i].used && fabs(s->cache[i].h - h) <= tol) {
            *out = &s->cache[i];
            return KS_OK;
        }
    }
    ks_step_cache *c = &s->cache[s->cache_next];
    s->cache_next = (s->cache_next + 1) % KS_STEP_CACHE;
    c->used = 0;
    int rc = ks_expm_step(s->A, s->n, h, c->Phi, c->Gamma, s->work, err);
    if (rc) return rc;
    c->h = h;
    c->used = 1;
    *out = c;
    return KS_OK;
}

/* y = Phi x + Gamma u (y must not alias x). */
static void apply_step(const ks_sim *s, const ks_step_cache *c, const double *x, const double *u,
                       int have_u, double *y)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++) {
        const double *pr = c->Phi + i * n, *gr = c->Gamma + i * n;
        double acc = 0.0;
        for (size_t j = 0; j < n; j++)
            acc += pr[j] * x[j];
        if (have_u)
            for (size_t j = 0; j < n; j++)
                acc += gr[j] * u[j];
        y[i] = acc;
    }
}

static int any_nonzero(const double *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (u[i] != 0.0) return 1;
    return 0;
}

/* Sorted unique breakpoints: 0, output times, dose and infusion start/end times. */
static int breakpoints(ks_sim *s, double **bp, size_t *nbp)
{
    size_t n = 1 + s->n_times + s->n_bol + 2 * s->n_inf;
    double *b = malloc(n * sizeof *b);
    if (!b) return KS_ENOMEM;
    size_t k = 0;
    b[k++] = 0.0;
    for (size_t i = 0; i < s->n_times; i++)
        b[k++] = s->times[i];
    for (size_t i = 0; i < s->n_bol; i++)
        b[k++] = s->bol[i].t;
    for (size_t i = 0; i < s->n_inf; i++) {
        b[k++] = s->inf[i].start;
        b[k++] = s->inf[i].end;
    }
    qsort(b, k, sizeof *b, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || b[i] != b[u - 1]) b[u++] = b[i];
    *bp = b;
    *nbp = u;
    return KS_OK;
}

static int alloc_results(ks_sim *s, size_t ncp)
{
    free_results(s);
    size_t nt = s->n_times ? s->n_times : 1;
    s->cp_t = malloc(ncp * sizeof *s->cp_t);
    s->cp_x = malloc(ncp * s->n * sizeof *s->cp_x);
    s->cp_u = malloc(ncp * s->n * sizeof *s->cp_u);
    s->out_cp = malloc(nt * sizeof *s->out_cp);
    s->outv = malloc(nt * (s->n_out ? s->n_out : 1) * sizeof *s->outv);
    s->aucv = malloc(nt * (s->n_out ? s->n_out : 1) * sizeof *s->aucv);
    if (!s->cp_t || !s->cp_x || !s->cp_u || !s->out_cp || !s->outv || !s->aucv) return KS_ENOMEM;
    return KS_OK;
}

/* Walk the breakpoints: at each, apply boluses, set the infusion rates for the
 * following segment, store a checkpoint, then step exactly to the next one. */
static int walk(ks_sim *s, const double *bp, size_t nbp, ks_error *err)
{
    size_t n = s->n;
    double *x = s->tmp, *y = s->tmp + n;
    memset(x, 0, n * sizeof *x);
    size_t ib = 0, is = 0, it = 0;
    size_t *active = malloc((s->n_inf + 1) * sizeof *active);
    if (!active) return ks_error_set(err, KS_ENOMEM, "out of memory");
    size_t n_active = 0;
    int rc = KS_OK;
    for (size_t k = 0; k < nbp && rc == KS_OK; k++) {
        double t = bp[k];
        for (; ib < s->n_bol && s->bol[ib].t <= t; ib++)
            x[s->bol[ib].state] += s->bol[ib].amount;
        for (; is < s->n_inf && s->inf[is].start <= t; is++)
            active[n_active++] = is;
        double *u = s->cp_u + k * n;
        memset(u, 0, n * sizeof *u);
        size_t keep = 0;
        for (size_t a = 0; a < n_active; a++) {
            const ks_infusion *in = &s->inf[active[a]];
            if (in->end <= t) continue;
            active[keep++] = active[a];
            u[in->state] += in->rate;
        }
        n_active = keep;
        s->cp_t[k] = t;
        memcpy(s->cp_x + k * n, x, n * sizeof *x);
        for (; it < s->n_times && s->times[it] == t; it++)
            s->out_cp[it] = k;
        if (k + 1 < nbp) {
            ks_step_cache *c;
            rc = step_matrices(s, bp[k + 1] - t, bp[k + 1], &c, err);
            if (rc) break;
            apply_step(s, c, x, u, any_nonzero(u, n), y);
            memcpy(x, y, n * sizeof *x);
        }
    }
    free(active);
    return rc;
}

/* Concentrations that are not finite (a volume that underflowed for an absurd
 * covariate, say) are an error, never a quietly wrong table. */
static int check_finite(const ks_sim *s, ks_error *err)
{
    for (size_t j = 0; j < s->n_out; j++)
        for (size_t it = 0; it < s->n_times; it++)
            if (!isfinite(s->outv[j * s->n_times + it]) || !isfinite(s->aucv[j * s->n_times + it]))
                return ks_error_set(err, KS_ENUMERIC,
                                    "%s is not a finite number at %g h (check "
                                    "the covariates: parameters are extreme)",
                                    s->out[j].name, s->times[it]);
    return KS_OK;
}

static void fill_outputs(ks_sim *s)
{
    for (size_t it = 0; it < s->n_times; it++) {
        const double *x = s->cp_x + s->out_cp[it] * s->n;
        for (size_t j = 0; j < s->n_out; j++) {
            s->outv[j * s->n_times + it] = x[s->out[j].state] * s->out[j].scale;
            s->aucv[j * s->n_times + it] = x[s->out[j].auc_state] * 1000.0;
        }
    }
}

int ks_sim_prepare_events(ks_sim *s, ks_error *err)
{
    s->n_bol = s->n_inf = 0;
    /* The arrays are kept between runs; their capacity is what was allocated. */
    size_t cap_b = s->cap_bol, cap_i = s->cap_inf;
    for (size_t i = 0; i < s->n_doses; i++) {
        int rc = expand_dose(s, &s->doses[i], &cap_b, &cap_i, err);
        if (rc) {
            s->cap_bol = cap_b;
            s->cap_inf = cap_i;
            return ks_error_prefix(err, "dose %zu", i + 1);
        }
    }
    s->cap_bol = cap_b;
    s->cap_inf = cap_i;
    snap_events(s);
    if (s->n_bol) qsort(s->bol, s->n_bol, sizeof *s->bol, cmp_bolus);
    if (s->n_inf) qsort(s->inf, s->n_inf, sizeof *s->inf, cmp_infusion);
    return KS_OK;
}

int ks_sim_run(ks_sim *s, ks_error *err)
{
    if (!s) return ks_error_set(err, KS_EINVAL, "ks_sim_run: NULL argument");
    invalidate(s);
    if (!s->system_ready)
        return ks_error_set(err, KS_ESTATE,
                            "model %s has no valid covariates: call ks_sim_set_covariates "
                            "(first, or again after it failed)",
                            s->m->name);
    int rc0 = ks_sim_prepare_events(s, err);
    if (rc0) return rc0;
    double *bp = NULL;
    size_t nbp = 0;
    if (breakpoints(s, &bp, &nbp) || alloc_results(s, nbp)) {
        free(bp);
        return ks_error_set(err, KS_ENOMEM, "out of memory");
    }
    s->n_cp = nbp;
    int rc = walk(s, bp, nbp, err);
    free(bp);
    if (rc) return rc;
    fill_outputs(s);
    if ((rc = check_finite(s, err))) return rc;
    s->ran = 1;
    return KS_OK;
}

/* ---------------------------------------------------------------- results */

const double *ks_sim_param_values(const ks_sim *s)
{
    return s && s->system_ready ? s->pv : NULL;
}

size_t ks_sim_n_outputs(const ks_sim *s)
{
    return s->n_out;
}
const char *ks_sim_output_name(const ks_sim *s, size_t j)
{
    return j < s->n_out ? s->out[j].name : NULL;
}
const char *ks_sim_output_analyte(const ks_sim *s, size_t j)
{
    return j < s->n_out ? s->m->analytes[s->out[j].analyte].name : NULL;
}
int ks_sim_output_is_effect(const ks_sim *s, size_t j)
{
    return j < s->n_out && s->out[j].is_effect;
}
int ks_sim_output_index(const ks_sim *s, const char *name)
{
    for (size_t j = 0; j < s->n_out; j++)
        if (strcmp(s->out[j].name, name) == 0) return (int)j;
    return -1;
}
const double *ks_sim_output(const ks_sim *s, size_t j)
{
    return s->ran && j < s->n_out ? s->outv + j * s->n_times : NULL;
}
const double *ks_sim_output_auc(const ks_sim *s, size_t j)
{
    return s->ran && j < s->n_out ? s->aucv + j * s->n_times : NULL;
}
size_t ks_sim_n_times(const ks_sim *s)
{
    return s->n_times;
}
const double *ks_sim_times(const ks_sim *s)
{
    return s->times;
}
size_t ks_sim_n_states(const ks_sim *s)
{
    return s->n;
}
const char *ks_sim_state_name(const ks_sim *s, size_t i)
{
    return i < s->n ? s->state_name[i] : NULL;
}
int ks_sim_state_kind(const ks_sim *s, size_t i)
{
    return i < s->n ? s->state_kind[i] : -1;
}
int ks_sim_state_analyte(const ks_sim *s, size_t i)
{
    return i < s->n ? s->state_analyte[i] : -1;
}
const double *ks_sim_state_at(const ks_sim *s, size_t k)
{
    /* An output time's state is the checkpoint stored at that time. */
    return s->ran && k < s->n_times ? s->cp_x + s->out_cp[k] * s->n : NULL;
}

int ks_sim_system_matrix(ks_sim *s, double *A, ks_error *err)
{
    if (!s->system_ready) return ks_error_set(err, KS_ESTATE, "covariates are not set");
    memcpy(A, s->A, s->n * s->n * sizeof *A);
    return KS_OK;
}

int ks_sim_step_matrices(ks_sim *s, double h, double tscale, ks_step_cache **out, ks_error *err)
{
    return step_matrices(s, h, tscale, out, err);
}

void ks_sim_apply_step(const ks_sim *s, const ks_step_cache *c, const double *x, const double *u,
                       double *y)
{
    apply_step(s, c, x, u, any_nonzero(u, s->n), y);
}

int ks_sim_auc_at(const ks_sim *s, size_t j, size_t k, double *auc)
{
    if (!s->ran || j >= s->n_out || k >= s->n_cp) return KS_ESTATE;
    *auc = s->cp_x[k * s->n + (size_t)s->out[j].auc_state] * 1000.0;
    return KS_OK;
}

int ks_sim_checkpoints(const ks_sim *s, const double **t, size_t *n)
{
    if (!s->ran) return KS_ESTATE;
    *t = s->cp_t;
    *n = s->n_cp;
    return KS_OK;
}

int ks_sim_eval_segment(ks_sim *s, size_t k, double h, double *values, double *slopes,
                        ks_error *err)
{
    if (!s->ran || k >= s->n_cp) return ks_error_set(err, KS_ESTATE, "no checkpoint %zu", k);
    const double *x = s->cp_x + k * s->n, *u = s->cp_u + k * s->n;
    double *y = s->tmp + s->n;
    if (h > 0) {
        ks_step_cache *c;
        int rc = step_matrices(s, h, s->cp_t[k] + h, &c, err);
        if (rc) return rc;
        apply_step(s, c, x, u, any_nonzero(u, s->n), y);
        x = y;
    }
    for (size_t j = 0; j < s->n_out; j++) {
        size_t i = (size_t)s->out[j].state;
        values[j] = x[i] * s->out[j].scale;
        if (slopes) {
            double d = u[i];
            for (size_t q = 0; q < s->n; q++)
                d += s->A[i * s->n + q] * x[q];
            slopes[j] = d * s->out[j].scale;
        }
    }
    return KS_OK;
}

/* The outputs at t, stepped from the stored state at or before t, or with `cursor` from
 * ks_sim_eval_next's previous time when no stored state lies between (then the cursor
 * moves to t). `who` names the caller in errors. */
static int eval_at(ks_sim *s, double t, int cursor, const char *who, double *values, ks_error *err)
{
    if (!s->ran) return ks_error_set(err, KS_ESTATE, "%s before ks_sim_run", who);
    if (!isfinite(t) || t < 0) return ks_error_set(err, KS_EINVAL, "time %g h is not valid", t);
    size_t n = s->n, lo = ks_sim_last_at_or_before(s->cp_t, s->n_cp, t);
    double *y = s->tmp + n, *cx = s->tmp + 2 * n;
    const double *x = s->cp_x + lo * n, *u = s->cp_u + lo * n;
    double from = s->cp_t[lo];
    if (cursor && s->cur_valid && s->cur_lo == lo && t >= s->cur_t) x = cx, from = s->cur_t;
    double h = t - from;
    if (h > 0) {
        ks_step_cache *c;
        int rc = step_matrices(s, h, t, &c, err);
        if (rc) return rc;
        apply_step(s, c, x, u, any_nonzero(u, n), y);
        x = y;
    }
    if (cursor) {
        if (x != cx) memcpy(cx, x, n * sizeof *cx);
        s->cur_valid = 1, s->cur_lo = lo, s->cur_t = t;
    }
    for (size_t j = 0; j < s->n_out; j++)
        values[j] = x[s->out[j].state] * s->out[j].scale;
    return KS_OK;
}

int ks_sim_eval_next(ks_sim *s, double t, double *values, ks_error *err)
{
    return eval_at(s, t, 1, "ks_sim_eval_next", values, err);
}

int ks_sim_eval(ks_sim *s, double t, double *values, ks_error *err)
{
    return eval_at(s, t, 0, "ks_sim_eval", values, err);
}
