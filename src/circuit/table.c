/* The population's tabulated exponential-Euler step (see circuit_internal.h). */
#include "circuit_internal.h"

#include <math.h>
#include <stdlib.h>

/* The functions of V, in the order stored: m_inf, E_m, h_inf, E_h, n_inf, E_n, ht_inf,
 * E_ht, mh_inf, E_mh, minf_t^2, minf_kir, mg block. Formulas as in neuron.c. */
static double xexp(double x, double k)
{
    double u = x / k;
    if (fabs(u) < 1e-6) return k * (1.0 + 0.5 * u);
    return x / (1.0 - exp(-u));
}

static void funcs(const ks_circuit_cell *c, double dt, double v, double *f)
{
    double u = v - c->v_t;
    double am = 0.32 * xexp(u - 13.0, 4.0), bm = 0.28 * xexp(-(u - 40.0), 5.0);
    double ah = 0.128 * exp(-(u - 17.0) / 18.0), bh = 4.0 / (1.0 + exp(-(u - 40.0) / 5.0));
    double an = 0.032 * xexp(u - 15.0, 5.0), bn = 0.5 * exp(-(u - 10.0) / 40.0);
    double vm = v + c->t_vshift;
    double mt = 1.0 / (1.0 + exp(-(vm + 57.0) / 6.2));
    double ht = 1.0 / (1.0 + exp((vm + 81.0) / 4.0));
    double tt =
        (30.8 + (211.4 + exp((vm + 113.2) / 5.0)) / (1.0 + exp((vm + 84.0) / 3.2))) / c->t_phi_h;
    double mh = 1.0 / (1.0 + exp((v + 86.4) / 11.2));
    double th = 1.0 / (exp(-14.59 - 0.086 * v) + exp(-1.87 + 0.0701 * v)) / c->h_tcorr;
    f[0] = am / (am + bm);
    f[1] = exp(-(am + bm) * dt);
    f[2] = ah / (ah + bh);
    f[3] = exp(-(ah + bh) * dt);
    f[4] = an / (an + bn);
    f[5] = exp(-(an + bn) * dt);
    f[6] = ht;
    f[7] = exp(-dt / tt);
    f[8] = mh;
    f[9] = exp(-dt / th);
    f[10] = mt * mt;
    f[11] = 1.0 / (1.0 + exp((v + 97.9) / 9.7));
    f[12] = ks_circuit_mg_block(v, c->mg_mm);
}

int ks_circuit_table_init(ks_circuit_table *t, const ks_circuit_cell *cell,
                          const ks_circuit_syn *sy, const ks_circuit_drug *d, double dt,
                          double c_um)
{
    t->n = (size_t)llround((KS_TABLE_VMAX - KS_TABLE_VMIN) / KS_TABLE_DV) + 1;
    t->row = calloc(t->n * KS_TABLE_STRIDE, sizeof *t->row);
    if (!t->row) return KS_ENOMEM;
    t->cell = *cell;
    t->dt = dt;
    double f0[KS_TABLE_NF], f1[KS_TABLE_NF];
    funcs(cell, dt, KS_TABLE_VMIN, f0);
    for (size_t k = 0; k < t->n; k++) {
        funcs(cell, dt, KS_TABLE_VMIN + (double)(k + 1) * KS_TABLE_DV, f1);
        double *r = t->row + k * KS_TABLE_STRIDE;
        for (int j = 0; j < KS_TABLE_NF; j++) {
            r[j] = f0[j];
            r[KS_TABLE_NF + j] = f1[j] - f0[j];
            f0[j] = f1[j];
        }
    }
    for (int T = 0; T < 2; T++) {
        double tr = T ? sy->cmax_mm : 0.0;
        double a = sy->alpha_ampa * tr, g = sy->alpha_gaba * tr, n = sy->alpha_nmda * tr;
        t->ra_inf[T] = a / (a + sy->beta_ampa);
        t->ra_e[T] = exp(-(a + sy->beta_ampa) * dt);
        t->rg_inf[T] = g / (g + sy->beta_gaba);
        t->rg_e[T] = exp(-(g + sy->beta_gaba) * dt);
        t->an[T] = n;
        t->o_b[T] = n + sy->beta_nmda + d->kon_per_um_ms * c_um;
        t->o_e[T] = exp(-t->o_b[T] * dt);
        t->cb_b[T] = n;
        t->cb_e[T] = exp(-n * dt);
    }
    t->ob_b = d->koff_per_ms + sy->beta_nmda;
    t->ob_e = exp(-t->ob_b * dt);
    t->kc = d->kon_per_um_ms * c_um;
    t->koff = d->koff_per_ms;
    t->beta_n = sy->beta_nmda;
    return KS_OK;
}

void ks_circuit_table_free(ks_circuit_table *t)
{
    free(t->row);
    t->row = NULL;
}

static inline double relax(double x, double a, double b, double e, double dt)
{
    if (b < 1e-12) return x + a * dt;
    double xi = a / b;
    return xi + (x - xi) * e;
}

void ks_circuit_table_step(const ks_circuit_table *t, const ks_circuit_cell *c, ks_circuit_state *s,
                           int glu, int gaba)
{
    double f[KS_TABLE_NF];
    double x = (s->v - KS_TABLE_VMIN) / KS_TABLE_DV;
    if (x >= 0.0 && x < (double)(t->n - 1)) {
        size_t k = (size_t)x;
        double w = x - (double)k;
        const double *r = t->row + k * KS_TABLE_STRIDE;
        for (int j = 0; j < KS_TABLE_NF; j++)
            f[j] = r[j] + w * r[KS_TABLE_NF + j];
    } else {
        funcs(&t->cell, t->dt, s->v, f);
    }
    double dt = t->dt;
    double gna = c->g_na * s->m * s->m * s->m * s->h;
    double n2 = s->n * s->n;
    double gk = c->g_kd * n2 * n2;
    double gt = c->g_t * f[10] * s->ht;
    double gh = c->g_h * s->mh;
    double gkir = c->g_kir * f[11];
    double ga = c->g_ampa * s->r_ampa;
    double gn = c->g_nmda * s->o_nmda * f[12];
    double gg = c->g_gaba * s->r_gaba;
    double g = gna + gk + gt + gh + c->g_l + gkir + ga + gn + gg;
    double ge = gna * c->e_na + gk * c->e_k + gt * c->e_ca + gh * c->e_h + c->g_l * c->e_l +
                gkir * c->e_k + ga * c->e_ampa + gn * c->e_nmda + gg * c->e_gaba + c->i_app;
    double vi = ge / g;
    ks_circuit_state o = *s;
    s->v = vi + (o.v - vi) * exp(-g * dt / c->c_m);
    s->m = f[0] + (o.m - f[0]) * f[1];
    s->h = f[2] + (o.h - f[2]) * f[3];
    s->n = f[4] + (o.n - f[4]) * f[5];
    s->ht = f[6] + (o.ht - f[6]) * f[7];
    s->mh = f[8] + (o.mh - f[8]) * f[9];
    s->r_ampa = t->ra_inf[glu] + (o.r_ampa - t->ra_inf[glu]) * t->ra_e[glu];
    s->r_gaba = t->rg_inf[gaba] + (o.r_gaba - t->rg_inf[gaba]) * t->rg_e[gaba];
    double an = t->an[glu];
    s->o_nmda =
        relax(o.o_nmda, an * (1.0 - o.ob - o.cb) + t->koff * o.ob, t->o_b[glu], t->o_e[glu], dt);
    s->ob = relax(o.ob, t->kc * o.o_nmda + an * o.cb, t->ob_b, t->ob_e, dt);
    s->cb = relax(o.cb, t->beta_n * o.ob, t->cb_b[glu], t->cb_e[glu], dt);
}
