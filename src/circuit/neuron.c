/* The LHb cell: currents, right-hand side and the exponential-Euler step.
 * Equations and sources: src/circuit/params.c and docs/circuit.md. */
#include "ketsim/circuit.h"

#include <math.h>

/* x / (1 - exp(-x/k)), continuous at x = 0 (limit k). */
static double xexp(double x, double k)
{
    double u = x / k;
    if (fabs(u) < 1e-6) return k * (1.0 + 0.5 * u);
    return x / (1.0 - exp(-u));
}

double ks_circuit_mg_block(double v, double mg)
{
    /* Jahr & Stevens 1990: B(V) = 1 / (1 + exp(-0.062 V) [Mg]/3.57). */
    return 1.0 / (1.0 + exp(-0.062 * v) * mg / 3.57);
}

/* Voltage-dependent rates and steady states at v. */
typedef struct rates {
    double am, bm, ah, bh, an, bn; /* /ms */
    double minf_t, hinf_t, tau_t;  /* T current */
    double minf_h, tau_h;          /* h current */
    double minf_kir;
    double mg;
} rates;

static void rates_at(const ks_circuit_cell *c, double v, rates *r)
{
    /* Pospischil et al. 2008 (Traub) Na/K rates, V relative to VT. */
    double u = v - c->v_t;
    r->am = 0.32 * xexp(u - 13.0, 4.0);
    r->bm = 0.28 * xexp(-(u - 40.0), 5.0);
    r->ah = 0.128 * exp(-(u - 17.0) / 18.0);
    r->bh = 4.0 / (1.0 + exp(-(u - 40.0) / 5.0));
    r->an = 0.032 * xexp(u - 15.0, 5.0);
    r->bn = 0.5 * exp(-(u - 10.0) / 40.0);
    /* Destexhe 1996 T current. */
    double vm = v + c->t_vshift;
    r->minf_t = 1.0 / (1.0 + exp(-(vm + 57.0) / 6.2));
    r->hinf_t = 1.0 / (1.0 + exp((vm + 81.0) / 4.0));
    r->tau_t =
        (30.8 + (211.4 + exp((vm + 113.2) / 5.0)) / (1.0 + exp((vm + 84.0) / 3.2))) / c->t_phi_h;
    /* Budde 1997 m_inf, Huguenard & McCormick 1992 tau for Ih. */
    r->minf_h = 1.0 / (1.0 + exp((v + 86.4) / 11.2));
    r->tau_h = 1.0 / (exp(-14.59 - 0.086 * v) + exp(-1.87 + 0.0701 * v)) / c->h_tcorr;
    /* Amarillo 2014 Kir gate. */
    r->minf_kir = 1.0 / (1.0 + exp((v + 97.9) / 9.7));
    r->mg = ks_circuit_mg_block(v, c->mg_mm);
}

/* Total conductance g and g*E sum (so that C dV/dt = ge - g V + I). */
static void conductances(const ks_circuit_cell *c, const ks_circuit_state *s, const rates *r,
                         double *g, double *ge)
{
    double gna = c->g_na * s->m * s->m * s->m * s->h;
    double n2 = s->n * s->n;
    double gk = c->g_kd * n2 * n2;
    double gt = c->g_t * r->minf_t * r->minf_t * s->ht;
    double gh = c->g_h * s->mh;
    double gkir = c->g_kir * r->minf_kir;
    double ga = c->g_ampa * s->r_ampa;
    double gn = c->g_nmda * s->o_nmda * r->mg;
    double gg = c->g_gaba * s->r_gaba;
    *g = gna + gk + gt + gh + c->g_l + gkir + ga + gn + gg;
    *ge = gna * c->e_na + gk * c->e_k + gt * c->e_ca + gh * c->e_h + c->g_l * c->e_l +
          gkir * c->e_k + ga * c->e_ampa + gn * c->e_nmda + gg * c->e_gaba;
}

void ks_circuit_state_rest(const ks_circuit_cell *c, double v, ks_circuit_state *s)
{
    rates r;
    rates_at(c, v, &r);
    s->v = v;
    s->m = r.am / (r.am + r.bm);
    s->h = r.ah / (r.ah + r.bh);
    s->n = r.an / (r.an + r.bn);
    s->ht = r.hinf_t;
    s->mh = r.minf_h;
    s->r_ampa = s->r_gaba = 0.0;
    s->o_nmda = s->ob = s->cb = 0.0;
}

void ks_circuit_cell_rhs(const ks_circuit_cell *c, const ks_circuit_syn *sy,
                         const ks_circuit_drug *d, const ks_circuit_state *s, double t_glu,
                         double t_gaba, double c_um, ks_circuit_state *dy)
{
    rates r;
    rates_at(c, s->v, &r);
    double g, ge;
    conductances(c, s, &r, &g, &ge);
    dy->v = (ge - g * s->v + c->i_app) / c->c_m;
    dy->m = r.am * (1.0 - s->m) - r.bm * s->m;
    dy->h = r.ah * (1.0 - s->h) - r.bh * s->h;
    dy->n = r.an * (1.0 - s->n) - r.bn * s->n;
    dy->ht = (r.hinf_t - s->ht) / r.tau_t;
    dy->mh = (r.minf_h - s->mh) / r.tau_h;
    double aa = sy->alpha_ampa * t_glu, an = sy->alpha_nmda * t_glu, ag = sy->alpha_gaba * t_gaba;
    dy->r_ampa = aa * (1.0 - s->r_ampa) - sy->beta_ampa * s->r_ampa;
    dy->r_gaba = ag * (1.0 - s->r_gaba) - sy->beta_gaba * s->r_gaba;
    double closed = 1.0 - s->o_nmda - s->ob - s->cb;
    double kc = d->kon_per_um_ms * c_um;
    dy->o_nmda = an * closed - sy->beta_nmda * s->o_nmda - kc * s->o_nmda + d->koff_per_ms * s->ob;
    dy->ob = kc * s->o_nmda - d->koff_per_ms * s->ob - sy->beta_nmda * s->ob + an * s->cb;
    dy->cb = sy->beta_nmda * s->ob - an * s->cb;
}

/* x' = a - b x over dt, exactly (b >= 0). */
static inline double expeuler(double x, double a, double b, double dt)
{
    if (b < 1e-12) return x + a * dt;
    double xi = a / b;
    return xi + (x - xi) * exp(-b * dt);
}

void ks_circuit_cell_step(const ks_circuit_cell *c, const ks_circuit_syn *sy,
                          const ks_circuit_drug *d, ks_circuit_state *s, double dt, double t_glu,
                          double t_gaba, double c_um)
{
    rates r;
    rates_at(c, s->v, &r);
    double g, ge;
    conductances(c, s, &r, &g, &ge);
    ks_circuit_state o = *s; /* every coefficient from the start of the step */
    s->v = expeuler(o.v, (ge + c->i_app) / c->c_m, g / c->c_m, dt);
    s->m = expeuler(o.m, r.am, r.am + r.bm, dt);
    s->h = expeuler(o.h, r.ah, r.ah + r.bh, dt);
    s->n = expeuler(o.n, r.an, r.an + r.bn, dt);
    s->ht = expeuler(o.ht, r.hinf_t / r.tau_t, 1.0 / r.tau_t, dt);
    s->mh = expeuler(o.mh, r.minf_h / r.tau_h, 1.0 / r.tau_h, dt);
    double aa = sy->alpha_ampa * t_glu, an = sy->alpha_nmda * t_glu, ag = sy->alpha_gaba * t_gaba;
    s->r_ampa = expeuler(o.r_ampa, aa, aa + sy->beta_ampa, dt);
    s->r_gaba = expeuler(o.r_gaba, ag, ag + sy->beta_gaba, dt);
    double kc = d->kon_per_um_ms * c_um;
    s->o_nmda = expeuler(o.o_nmda, an * (1.0 - o.ob - o.cb) + d->koff_per_ms * o.ob,
                         an + sy->beta_nmda + kc, dt);
    s->ob = expeuler(o.ob, kc * o.o_nmda + an * o.cb, d->koff_per_ms + sy->beta_nmda, dt);
    s->cb = expeuler(o.cb, sy->beta_nmda * o.ob, an, dt);
}
