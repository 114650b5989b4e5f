/* Every parameter of a cell, a synapse set and the drug checked against its range; an
 * error names the field. */
#include "circuit_internal.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct range {
    const char *name;
    size_t off;
    double lo, hi;
    int lo_open; /* 1: the lower bound itself is excluded */
} range;

#define CELL(f, lo, hi, open)                                                                      \
    {                                                                                              \
#f, offsetof(ks_circuit_cell, f), lo, hi, open                                             \
    }
static const range CELL_RANGES[] = {
    CELL(c_m, 0.0, 100.0, 1),         CELL(g_na, 0.0, 1e4, 0),
    CELL(e_na, -200.0, 200.0, 0),     CELL(v_t, -200.0, 200.0, 0),
    CELL(g_kd, 0.0, 1e4, 0),          CELL(e_k, -200.0, 200.0, 0),
    CELL(g_t, 0.0, 1e4, 0),           CELL(e_ca, -200.0, 300.0, 0),
    CELL(t_vshift, -100.0, 100.0, 0), CELL(t_phi_h, 0.0, 1e3, 1),
    CELL(g_h, 0.0, 1e4, 0),           CELL(e_h, -200.0, 200.0, 0),
    CELL(h_tcorr, 0.0, 1e3, 1),       CELL(g_l, 0.0, 1e4, 0),
    CELL(e_l, -200.0, 200.0, 0),      CELL(g_kir, 0.0, 1e4, 0),
    CELL(g_ampa, 0.0, 1e4, 0),        CELL(g_nmda, 0.0, 1e4, 0),
    CELL(g_gaba, 0.0, 1e4, 0),        CELL(e_ampa, -200.0, 200.0, 0),
    CELL(e_nmda, -200.0, 200.0, 0),   CELL(e_gaba, -200.0, 200.0, 0),
    CELL(mg_mm, 0.0, 100.0, 0),       CELL(i_app, -1e4, 1e4, 0),
};
#define SYN(f, lo, hi, open)                                                                       \
    {                                                                                              \
#f, offsetof(ks_circuit_syn, f), lo, hi, open                                              \
    }
static const range SYN_RANGES[] = {
    SYN(alpha_ampa, 0.0, 1e4, 0), SYN(beta_ampa, 0.0, 1e4, 1),  SYN(alpha_nmda, 0.0, 1e4, 0),
    SYN(beta_nmda, 0.0, 1e4, 1),  SYN(alpha_gaba, 0.0, 1e4, 0), SYN(beta_gaba, 0.0, 1e4, 1),
    SYN(cmax_mm, 0.0, 1e3, 0),    SYN(cdur_ms, 0.0, 1e3, 1),    SYN(deadtime_ms, 0.0, 1e4, 0),
};
#define DRUG(f, lo, hi, open)                                                                      \
    {                                                                                              \
#f, offsetof(ks_circuit_drug, f), lo, hi, open                                             \
    }
static const range DRUG_RANGES[] = {
    DRUG(kon_per_um_ms, 0.0, 1e6, 0),
    DRUG(koff_per_ms, 0.0, 1e6, 0),
};

static int check_ranges(const void *p, const range *r, size_t n, const char *what, ks_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double x;
        memcpy(&x, (const char *)p + r[i].off, sizeof x); /* the field at its offsetof */
        int ok = isfinite(x) && x <= r[i].hi && (r[i].lo_open ? x > r[i].lo : x >= r[i].lo);
        if (!ok)
            return ks_error_set(err, KS_EINVAL, "circuit: %s.%s = %g is outside %s%g, %g]", what,
                                r[i].name, x, r[i].lo_open ? "(" : "[", r[i].lo, r[i].hi);
    }
    return KS_OK;
}

int ks_circuit_params_check(const ks_circuit_cell *cell, const ks_circuit_syn *syn,
                            const ks_circuit_drug *drug, ks_error *err)
{
    int rc = KS_OK;
    if (cell)
        rc = check_ranges(cell, CELL_RANGES, sizeof CELL_RANGES / sizeof *CELL_RANGES, "cell", err);
    if (!rc && syn)
        rc = check_ranges(syn, SYN_RANGES, sizeof SYN_RANGES / sizeof *SYN_RANGES, "syn", err);
    if (!rc && drug)
        rc = check_ranges(drug, DRUG_RANGES, sizeof DRUG_RANGES / sizeof *DRUG_RANGES, "drug", err);
    return rc;
}
