/* NONMEM-style event records through the exact engine (see nmrun.h). */
#include "sim/nmrun.h"
#include "core/linalg.h"
#include "sim/sim_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An input event: a bolus, or the start or end of a zero-order input. */
enum { EV_BOLUS, EV_RATE_ON, EV_RATE_OFF };
typedef struct event {
    double t;
    int kind, state;
    double amount; /* mg for a bolus, mg/h for a rate change */
} event;

/* Pending inputs as a binary min-heap on time, and the zero-order input rates now
 * running: a steady state with a long lag or infusion can leave 1e5 inputs pending, so
 * each event costs O(log n), never a scan of them all. `active` counts the inputs
 * running into each state, so a rate returns to exactly zero when the last one ends
 * (summing and subtracting rates would leave rounding residue). */
typedef struct queue {
    event *ev;
    size_t n, cap;
    double *u;   /* input rate into each state, mg/h */
    int *active; /* zero-order inputs running into each state */
    size_t nstate;
} queue;

static int q_init(queue *q, size_t nstate)
{
    *q = (queue){0};
    q->u = calloc(nstate ? nstate : 1, sizeof *q->u);
    q->active = calloc(nstate ? nstate : 1, sizeof *q->active);
    q->nstate = nstate;
    return q->u && q->active ? KS_OK : KS_ENOMEM;
}

/* Heap order: time, then starts before ends so an input that starts and ends within
 * one batch of due events is never switched off before it is switched on. */
static int ev_before(const event *a, const event *b)
{
    return a->t < b->t || (a->t == b->t && a->kind < b->kind);
}

static int q_push(queue *q, event e)
{
    if (q->n == q->cap) {
        size_t nc = q->cap ? 2 * q->cap : 16;
        event *ne = realloc(q->ev, nc * sizeof *ne);
        if (!ne) return KS_ENOMEM;
        q->ev = ne;
        q->cap = nc;
    }
    size_t i = q->n++;
    while (i > 0 && ev_before(&e, &q->ev[(i - 1) / 2])) {
        q->ev[i] = q->ev[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->ev[i] = e;
    return KS_OK;
}

static event q_pop(queue *q)
{
    event top = q->ev[0], last = q->ev[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n) break;
        if (c + 1 < q->n && ev_before(&q->ev[c + 1], &q->ev[c])) c++;
        if (!ev_before(&q->ev[c], &last)) break;
        q->ev[i] = q->ev[c];
        i = c;
    }
    if (q->n) q->ev[i] = last;
    return top;
}

static int q_bolus(queue *q, double t, int state, double amount)
{
    if (amount == 0.0) return KS_OK;
    return q_push(q, (event){t, EV_BOLUS, state, amount});
}

static int q_infusion(queue *q, double t0, double t1, int state, double rate)
{
    if (rate == 0.0 || !(t1 > t0)) return KS_OK;
    int rc = q_push(q, (event){t0, EV_RATE_ON, state, rate});
    return rc ? rc : q_push(q, (event){t1, EV_RATE_OFF, state, rate});
}

static void q_clear(queue *q)
{
    q->n = 0;
    memset(q->u, 0, q->nstate * sizeof *q->u);
    memset(q->active, 0, q->nstate * sizeof *q->active);
}

static void q_free(queue *q)
{
    free(q->ev);
    free(q->u);
    free(q->active);
}

/* One exact step of length h with input rates u. */
static int step(ks_sim *s, double *x, double h, double tscale, const double *u, ks_error *err)
{
    if (h <= 0) return KS_OK;
    ks_step_cache *c;
    int rc = ks_sim_step_matrices(s, h, tscale, &c, err);
    if (rc) return rc;
    double *y = s->tmp + s->n;
    ks_sim_apply_step(s, c, x, u, y);
    memcpy(x, y, s->n * sizeof *x);
    return KS_OK;
}

/* Apply the events due at or before t: give boluses, switch rates on and off. */
static void due(queue *q, double *x, double t)
{
    while (q->n && q->ev[0].t <= t) {
        event e = q_pop(q);
        if (e.kind == EV_BOLUS) {
            x[e.state] += e.amount;
        } else if (e.kind == EV_RATE_ON) {
            q->active[e.state]++;
            q->u[e.state] += e.amount;
        } else if (--q->active[e.state] == 0) {
            q->u[e.state] = 0.0;
        } else {
            q->u[e.state] -= e.amount;
        }
    }
}

/* Advance x from t to t1 through the queue's inputs; boluses at t1 are given. */
static int advance(ks_sim *s, queue *q, double *x, double t, double t1, ks_error *err)
{
    due(q, x, t);
    while (t < t1) {
        double next = q->n && q->ev[0].t < t1 ? q->ev[0].t : t1;
        int rc = step(s, x, next - t, next, q->u, err);
        if (rc) return rc;
        t = next;
        due(q, x, t);
    }
    return KS_OK;
}

/* The inputs of one dose given at time td (after its lag): a bolus, or a zero-order
 * input at `rate` for `dur` hours. */
typedef struct dose_shape {
    int state;
    double amount; /* bioavailable amount */
    double rate;   /* 0 for a bolus */
    double dur;
} dose_shape;

static int shape_of(const ks_sim *s, const ks_nm_record *r, dose_shape *d, ks_error *err)
{
    d->state = s->comp_state[r->comp];
    d->amount = r->amt * r->f;
    d->rate = 0.0;
    d->dur = 0.0;
    if (r->rate > 0) {
        d->rate = r->rate;
        d->dur = d->amount / r->rate;
    } else if (r->dur > 0) {
        d->dur = r->dur;
        d->rate = d->amount / r->dur;
    }
    if (!isfinite(d->amount) || d->amount < 0)
        return ks_error_set(err, KS_EINVAL, "dose amount x F is %g", d->amount);
    return KS_OK;
}

static int q_dose(queue *q, const dose_shape *d, double td)
{
    if (d->rate > 0) return q_infusion(q, td, td + d->dur, d->state, d->rate);
    return q_bolus(q, td, d->state, d->amount);
}

/* Is state i part of the body (compartments, transit, effect sites)? Accumulators
 * (eliminated, not absorbed, AUC) grow without bound and have no steady state. */
static int is_body(const ks_sim *s, size_t i)
{
    return s->state_kind[i] == KS_ST_AMOUNT || s->state_kind[i] == KS_ST_EFFECT;
}

/* Solve M z = y in place (core/linalg.c); KS_ENUMERIC when M is singular. */
static int solve(double *M, double *y, size_t n, ks_error *err)
{
    if (ks_solve(M, y, n))
        return ks_error_set(err, KS_ENUMERIC,
                            "steady state does not exist: a compartment "
                            "never empties");
    return KS_OK;
}

/* Body states of the periodic solution at time t0 (just before any input at t0) for
 * the dose `d` repeated every ii with its first input offset `lag` after t0 - k ii:
 * z = (I - Phi(ii))^-1 y, y = the state at t0 from zero at t0 - ii under the inputs
 * of all periodic doses that fall in [t0 - ii, t0). */
static int periodic(ks_sim *s, const dose_shape *d, double lag, double ii, double t0, double *z,
                    ks_error *err)
{
    size_t n = s->n;
    queue w;
    double a = t0 - ii;
    int rc = q_init(&w, n);
    /* Doses at t0 + lag + k ii for every k whose input overlaps [a, t0). */
    double span = d->rate > 0 ? d->dur : 0.0;
    long kmax = (long)floor((t0 - (t0 + lag)) / ii) + 1;
    long kmin = (long)floor((a - span - (t0 + lag)) / ii) - 1;
    for (long k = kmin; k <= kmax && !rc; k++) {
        double td = t0 + lag + (double)k * ii;
        if (d->rate > 0) {
            double s0 = fmax(td, a), s1 = fmin(td + d->dur, t0);
            if (s1 > s0) rc = q_infusion(&w, s0, s1, d->state, d->rate);
        } else if (td >= a && td < t0) {
            rc = q_bolus(&w, td, d->state, d->amount);
        }
    }
    memset(z, 0, n * sizeof *z);
    /* The window holds only inputs before t0, so nothing of the next period is given. */
    if (!rc) rc = advance(s, &w, z, a, t0, err);
    q_free(&w);
    if (rc) return rc == KS_ENOMEM ? ks_error_set(err, rc, "out of memory") : rc;
    return ks_sim_periodic_solve(s, ii, t0, z, err);
}

/* Solve (diag I + sign X) z_B = b_B on the body states B of an n x n matrix X
 * (row-major) and right-hand side b; z gets z_B and zero elsewhere. b and z may alias. */
static int solve_on_body(ks_sim *s, const double *X, double diag, double sign, const double *b,
                         double *z, ks_error *err)
{
    size_t n = s->n, nb = 0;
    size_t *idx = malloc(n * sizeof *idx);
    double *M = malloc(n * n * sizeof *M), *y = malloc(n * sizeof *y);
    int rc = idx && M && y ? KS_OK : ks_error_set(err, KS_ENOMEM, "out of memory");
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            if (is_body(s, i)) idx[nb++] = i;
        for (size_t r = 0; r < nb; r++) {
            for (size_t q = 0; q < nb; q++)
                M[r * nb + q] = (r == q ? diag : 0.0) + sign * X[idx[r] * n + idx[q]];
            y[r] = b[idx[r]];
        }
        rc = solve(M, y, nb, err);
    }
    if (!rc) {
        memset(z, 0, n * sizeof *z);
        for (size_t r = 0; r < nb; r++)
            z[idx[r]] = y[r];
    }
    free(idx);
    free(M);
    free(y);
    return rc;
}

int ks_sim_periodic_solve(ks_sim *s, double ii, double t0, double *z, ks_error *err)
{
    ks_step_cache *c = NULL;
    int rc = ks_sim_step_matrices(s, ii, t0, &c, err);
    return rc ? rc : solve_on_body(s, c->Phi, 1.0, -1.0, z, z, err);
}

/* Steady state of a constant zero-order input: A_BB z = -u_B. */
static int constant_infusion_ss(ks_sim *s, const dose_shape *d, double *z, ks_error *err)
{
    memset(z, 0, s->n * sizeof *z);
    z[d->state] = -d->rate;
    return solve_on_body(s, s->A, 0.0, 1.0, z, z, err);
}

static void reset_body(ks_sim *s, double *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (is_body(s, i)) x[i] = 0.0;
}

/* A dose record: steady state (SS 1 or 2) first, then the dose and its ADDL repeats. */
static int dose(ks_sim *s, queue *q, const ks_nm_record *r, double *x, ks_error *err)
{
    dose_shape d;
    int rc = shape_of(s, r, &d, err);
    if (rc) return rc;
    /* The periodic history spans (lag + infusion) / II intervals; each is worked out
     * exactly, so a span beyond any dosing schedule is refused, not looped over. */
    if (r->ss && r->ii > 0 && !((r->lag + d.dur) / r->ii <= 1e5))
        return ks_error_set(err, KS_EINVAL,
                            "steady state with a lag time plus infusion of %g h spans more than "
                            "100000 dosing intervals of %g h",
                            r->lag + d.dur, r->ii);
    if (r->ss) {
        double *z = malloc(s->n * sizeof *z);
        if (!z) return ks_error_set(err, KS_ENOMEM, "out of memory");
        if (r->ii == 0)
            rc = constant_infusion_ss(s, &d, z, err);
        else
            rc = periodic(s, &d, r->lag, r->ii, r->time, z, err);
        if (!rc) {
            if (r->ss == 1) {
                reset_body(s, x);
                q_clear(q);
            }
            for (size_t i = 0; i < s->n; i++)
                if (is_body(s, i)) x[i] += z[i];
            /* Earlier implied doses whose inputs are still running at this time. */
            if (r->ii > 0 && d.rate > 0) {
                for (long k = -1; !rc; k--) {
                    double td = r->time + r->lag + (double)k * r->ii;
                    if (td + d.dur <= r->time) break;
                    rc = q_infusion(q, fmax(td, r->time), td + d.dur, d.state, d.rate);
                }
            }
            if (r->ii > 0 && d.rate == 0) {
                for (long k = -1; !rc; k--) { /* lag longer than ii: doses still to come */
                    double td = r->time + r->lag + (double)k * r->ii;
                    if (td < r->time) break;
                    rc = q_bolus(q, td, d.state, d.amount);
                }
            }
        }
        free(z);
        if (rc) return rc;
        /* A constant infusion at steady state (AMT 0, RATE > 0, II 0) sets the steady
         * state and, as NONMEM 7.4.3 does (conformance subject 26), does not run on
         * after the record: give an ordinary infusion record to continue it. */
        if (r->ii == 0) return KS_OK;
    }
    for (int k = 0; k <= r->addl && !rc; k++)
        rc = q_dose(q, &d, r->time + r->lag + (double)k * r->ii);
    return rc ? ks_error_set(err, KS_ENOMEM, "out of memory") : KS_OK;
}

int ks_sim_nm_run(ks_sim *s, const ks_nm_record *r, size_t n, size_t out, double *pred,
                  size_t *failed, ks_error *err)
{
    if (!s->system_ready) return ks_error_set(err, KS_ESTATE, "covariates are not set");
    if (out >= s->n_out) return ks_error_set(err, KS_EINVAL, "no output %zu", out);
    double *x = calloc(s->n, sizeof *x);
    queue q;
    int qrc = q_init(&q, s->n);
    int rc = x && !qrc ? KS_OK : ks_error_set(err, KS_ENOMEM, "out of memory");
    double t = n ? r[0].time : 0.0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (r[i].time < t && r[i].evid != 3 && r[i].evid != 4)
            rc = ks_error_set(err, KS_EINVAL, "time %g h is before %g h", r[i].time, t);
        if (!rc && r[i].time > t) rc = advance(s, &q, x, t, r[i].time, err);
        if (rc) {
            if (failed) *failed = i;
            break;
        }
        t = r[i].time;
        if (r[i].evid == 3 || r[i].evid == 4) {
            reset_body(s, x);
            q_clear(&q);
        }
        if (r[i].evid == 1 || r[i].evid == 4) rc = dose(s, &q, &r[i], x, err);
        if (!rc) {
            due(&q, x, t); /* a dose without lag is given at once */
            pred[i] = x[s->out[out].state] * s->out[out].scale;
        }
        if (rc && failed) *failed = i;
    }
    free(x);
    q_free(&q);
    return rc;
}
