/* ketsim: response summaries of a virtual trial's patients (ks_response_trial). The
 * patients' draws are those of ks_response_patient_rep (replicate 0: ks_response_patient);
 * the sums run in fixed blocks of
 * patients in patient order, so any thread count gives the same bits. */
#include "ketsim/response.h"
#include "ketsim/trial.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

#define BLOCK 256
#define CHUNK_DOUBLES ((uint64_t)1 << 19) /* per-block sums held at once (4 MiB) */

/* The responder fraction (score <= keep b0) and the scale's maximum of a spec, with the
 * MADRS defaults for 0. */
static double spec_keep(const ks_response_trial_spec *s)
{
    return s->keep > 0 ? s->keep : 0.5;
}
static double spec_max(const ks_response_trial_spec *s)
{
    return s->score_max > 0 ? s->score_max : 60.0;
}

/* Patient i of the spec's replicate: sensitivity, non-drug multiplier and baseline (the
 * normal draw index 1, clipped to 1..the scale's maximum; b0_mean when b0_sd is 0). */
static void draw(const ks_response_trial_spec *s, uint64_t i, double *th, double *ph, double *b0)
{
    ks_response_patient_rep(s->params, s->ctx, s->seed, s->replicate, i, th, ph);
    *b0 = s->b0_mean;
    if (s->b0_sd > 0) {
        double z[2];
        ks_rng_normal2(s->seed, s->replicate, i, KS_RNG_RESPONSE, 1, z);
        *b0 = fmin(spec_max(s), fmax(1, s->b0_mean + s->b0_sd * z[0]));
    }
}

/* Whether the spec's patients fluctuate within themselves (a path per patient). */
static int spec_fluct(const ks_response_trial_spec *s)
{
    return s->params->v[KS_RP_FLUCT] > 0 && s->params->v[KS_RP_OMEGA_PHI] > 0;
}

/* The checks both summaries share (what: the message's prefix). */
static int check_spec(const ks_response_trial_spec *s, const char *what, ks_error *err)
{
    int rc = ks_response_params_check(s->params, err);
    if (rc) return rc;
    if (s->n < 1) return ks_error_set(err, KS_EINVAL, "%s: n: no patients", what);
    double mx = spec_max(s);
    if (!(s->keep >= 0 && s->keep < 1))
        return ks_error_set(err, KS_EINVAL, "%s: keep %g is not in [0, 1)", what, s->keep);
    if (!(s->score_max >= 0 && s->score_max <= 1000))
        return ks_error_set(err, KS_EINVAL, "%s: score_max %g is not in 0..1000", what,
                            s->score_max);
    if (s->hamd && mx != 60)
        return ks_error_set(err, KS_EINVAL,
                            "%s: hamd: the HAM-D conversion is from MADRS (score_max 60, not %g)",
                            what, mx);
    const char *nm = mx == 60 ? "MADRS" : "score";
    if (!(s->b0_mean >= 1 && s->b0_mean <= mx))
        return ks_error_set(err, KS_EINVAL, "%s: baseline %s %g is not in 1..%g", what, nm,
                            s->b0_mean, mx);
    if (!(s->b0_sd >= 0 && s->b0_sd <= mx / 2))
        return ks_error_set(err, KS_EINVAL, "%s: baseline SD %g is not in 0..%g", what, s->b0_sd,
                            mx / 2);
    if (s->ctx < 0 || s->ctx >= KS_CTX_N)
        return ks_error_set(err, KS_EINVAL, "%s: context %d is not a context", what, s->ctx);
    if (s->n_grid < 1 || !(s->dt_h > 0))
        return ks_error_set(err, KS_EINVAL, "%s: empty drug-state grid", what);
    return KS_OK;
}

int ks_response_trial(const ks_response_trial_spec *s, ks_response_trial_row *out, ks_error *err)
{
    if (!s || !out || !s->params || !s->times_h)
        return ks_error_set(err, KS_EINVAL, "response trial: missing spec, output or times");
    int rc = check_spec(s, "response trial", err);
    if (rc) return rc;
    if (!(s->cutoff >= 0 && s->cutoff <= spec_max(s)))
        return ks_error_set(err, KS_EINVAL, "response trial: remission cutoff %g is not in 0..%g",
                            s->cutoff, spec_max(s));
    double t_end = (double)(s->n_grid - 1) * s->dt_h;
    for (size_t i = 0; i < s->n_times; i++)
        if (!(s->times_h[i] >= 0 && s->times_h[i] <= t_end * (1 + 1e-12)))
            return ks_error_set(err, KS_EINVAL,
                                "response trial: time %zu (%g h) is outside the drug state's grid "
                                "(0 to %g h)",
                                i + 1, s->times_h[i], t_end);
    uint64_t n = s->n, nb = (n + BLOCK - 1) / BLOCK;
    /* The output times in chunks, one parallel region per chunk rather than per time:
     * each region ends in a barrier, and when other processes hold the cores a barrier
     * costs a scheduler slice (measured: 0.5 s became 13 s for 10 000 patients and 2161
     * times with two busy processes on the two cores). Per block and time of a chunk,
     * the sums are the same arithmetic in the same order as one time at a time. */
    size_t nt = s->n_times, chunk = (size_t)(CHUNK_DOUBLES / (nb * 6));
    if (chunk > nt) chunk = nt;
    if (chunk < 1) chunk = 1;
    double *th = malloc(n * sizeof *th), *ph = malloc(n * sizeof *ph), *b0 = malloc(n * sizeof *b0);
    /* per time and block: MADRS sums, then HAM-D sums; responders, remitters, no HAM-D */
    double *bs = malloc(chunk * nb * 6 * sizeof *bs);
    uint64_t *bc = malloc(chunk * nb * 3 * sizeof *bc);
    double *g = malloc((nt ? nt : 1) * sizeof *g), *dd = malloc((nt ? nt : 1) * sizeof *dd);
    /* with within-patient fluctuation, each patient's path (advanced through the output
     * times in their order: ascending costs one normal number per hour, an earlier time
     * restarts the path) */
    int fl = spec_fluct(s);
    ks_response_path *path = fl ? malloc(n * sizeof *path) : NULL;
    rc = KS_OK;
    if (!th || !ph || !b0 || !bs || !bc || !g || !dd || (fl && !path)) {
        rc = ks_error_set(err, KS_ENOMEM, "response trial: out of memory for %llu patients",
                          (unsigned long long)n);
        goto done;
    }
    int nthr = s->threads > 0 ? s->threads : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(nthr)
    for (uint64_t i = 0; i < n; i++) {
        draw(s, i, &th[i], &ph[i], &b0[i]);
        if (fl) ks_response_path_init(&path[i], s->params, s->seed, s->replicate, i);
    }
    for (size_t ti = 0; ti < nt; ti++) {
        double t = s->times_h[ti], d = 0;
        if (s->D) {
            double x = t / s->dt_h;
            size_t k = (size_t)floor(x);
            if (k >= s->n_grid - 1)
                d = s->D[s->n_grid - 1];
            else {
                double f = x - (double)k;
                d = s->D[k] + f * (s->D[k + 1] - s->D[k]);
            }
        }
        /* ks_response_score with the non-drug time course, the same for every patient,
         * computed once: b0 exp(-(phi_i g + theta_i d)), the same arithmetic. */
        g[ti] = ks_response_nondrug(s->params, s->ctx, t);
        dd[ti] = d > 0 ? d : 0.0;
    }
    for (size_t t0 = 0; t0 < nt; t0 += chunk) {
        size_t m = nt - t0 < chunk ? nt - t0 : chunk;
#pragma omp parallel for schedule(static) num_threads(nthr)
        for (uint64_t b = 0; b < nb; b++) {
            uint64_t hi = (b + 1) * BLOCK < n ? (b + 1) * BLOCK : n;
            for (size_t j = 0; j < m; j++) {
                double gj = g[t0 + j], dj = dd[t0 + j], tj = s->times_h[t0 + j];
                double sum = 0, sc = 0, sc2 = 0, hsum = 0, hsc = 0, hsc2 = 0;
                /* nbad: scores without a HAM-D equivalent (none expected: 0..60) */
                uint64_t nr = 0, nm = 0, nbad = 0;
                for (uint64_t i = b * BLOCK; i < hi; i++) {
                    /* the stable part times the path factor at tj (f = 0: no path, the
                     * same bits as before the fluctuation) */
                    double ph_i = fl ? ph[i] * ks_response_path_factor(&path[i], tj) : ph[i];
                    double sc_i = b0[i] * exp(-(ph_i * gj + th[i] * dj));
                    double c = sc_i - b0[i];
                    sum += sc_i;
                    sc += c;
                    sc2 += c * c;
                    nr += sc_i <= spec_keep(s) * b0[i];
                    nm += sc_i <= s->cutoff;
                    if (s->hamd) {
                        double h, hb;
                        if (ks_response_madrs_to_hamd(sc_i, &h, NULL, NULL) ||
                            ks_response_madrs_to_hamd(b0[i], &hb, NULL, NULL)) {
                            nbad++;
                            continue;
                        }
                        hsum += h;
                        hsc += h - hb;
                        hsc2 += (h - hb) * (h - hb);
                    }
                }
                double *o = bs + 6 * (j * nb + b);
                o[0] = sum, o[1] = sc, o[2] = sc2, o[3] = hsum, o[4] = hsc, o[5] = hsc2;
                uint64_t *q = bc + 3 * (j * nb + b);
                q[0] = nr, q[1] = nm, q[2] = nbad;
            }
        }
        for (size_t j = 0; j < m; j++) {
            double tot[6] = {0};
            uint64_t nr = 0, nm = 0, nbad = 0;
            for (uint64_t b = 0; b < nb; b++) {
                for (int k = 0; k < 6; k++)
                    tot[k] += bs[6 * (j * nb + b) + (size_t)k];
                nr += bc[3 * (j * nb + b)];
                nm += bc[3 * (j * nb + b) + 1];
                nbad += bc[3 * (j * nb + b) + 2];
            }
            if (nbad) {
                rc = ks_error_set(err, KS_EINVAL,
                                  "response trial: %llu scores at %g h have no HAM-D equivalent",
                                  (unsigned long long)nbad, s->times_h[t0 + j]);
                goto done;
            }
            double N = (double)n, mc = tot[1] / N, hmc = tot[4] / N;
            double var = n > 1 ? (tot[2] - N * mc * mc) / (N - 1) : 0;
            double hvar = n > 1 ? (tot[5] - N * hmc * hmc) / (N - 1) : 0;
            out[t0 + j] = (ks_response_trial_row){tot[0] / N,
                                                  mc,
                                                  sqrt(var > 0 ? var : 0),
                                                  (double)nr / N,
                                                  (double)nm / N,
                                                  s->hamd ? tot[3] / N : NAN,
                                                  s->hamd ? hmc : NAN,
                                                  s->hamd ? sqrt(hvar > 0 ? hvar : 0) : NAN};
        }
    }
done:
    free(path);
    free(th);
    free(ph);
    free(b0);
    free(bs);
    free(bc);
    free(g);
    free(dd);
    return rc;
}

/* The same quantile as `ketsim forecast` (cli/forecast.c quant_sorted): linear between
 * neighbours, and a position next to a censored (+INFINITY) value is censored. */
static double median_sorted(const double *v, size_t n)
{
    double pos = 0.5 * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n || v[i + 1] == v[i]) return v[i < n ? i : n - 1];
    if (isinf(v[i + 1])) return pos == (double)i ? v[i] : v[i + 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ks_response_trial_relapse(const ks_response_trial_spec *s, ks_response_relapse *out,
                              ks_error *err)
{
    if (!s || !out || !s->params)
        return ks_error_set(err, KS_EINVAL, "response relapse: missing spec or output");
    int rc = check_spec(s, "response relapse", err);
    if (rc) return rc;
    double step_f = 1.0 / s->dt_h;
    size_t step = (size_t)llround(step_f);
    if (step < 1 || fabs(step_f - (double)step) > 1e-9 * step_f)
        return ks_error_set(err, KS_EINVAL,
                            "response relapse: grid step %g h does not divide the hour", s->dt_h);
    double last = s->params->last_visit_h, t0 = last + 24, keep = spec_keep(s);
    double t_end = (double)(s->n_grid - 1) * s->dt_h;
    *out = (ks_response_relapse){0, 0, NAN, NAN, (t_end - last) / 24.0, NULL};
    size_t k0 = (size_t)llround(t0 / s->dt_h);
    if (!(last >= 0) || k0 >= s->n_grid) {
        out->why = "last dose + 24 h is beyond the horizon";
        return KS_OK;
    }
    uint64_t n = s->n;
    double *rel = malloc(n * sizeof *rel);
    if (!rel)
        return ks_error_set(err, KS_ENOMEM, "response relapse: out of memory for %llu patients",
                            (unsigned long long)n);
    int nthr = s->threads > 0 ? s->threads : omp_get_max_threads();
    int fl = spec_fluct(s);
    /* daily checks: the grid divides the hour, so a day is 24 hour steps */
    size_t dstep = step * (size_t)KS_RESPONSE_RELAPSE_CHECK_H;
    /* each patient's result in its own slot: NaN not a responder at t0, +INFINITY still
     * responding at every daily check to the end of the grid, else days from the last
     * dose to the first check without response */
#pragma omp parallel for schedule(static) num_threads(nthr)
    for (uint64_t i = 0; i < n; i++) {
        double th_i, ph_i, bi;
        draw(s, i, &th_i, &ph_i, &bi);
        ks_response_path path;
        if (fl) ks_response_path_init(&path, s->params, s->seed, s->replicate, i);
        rel[i] = NAN;
        /* f = 0: the stable multiplier alone (the path factor is exactly 1) */
        /* the path at the cohort's check (k0), the same lattice hour as the first check */
        double ph0 = fl ? ph_i * ks_response_path_factor(&path, (double)k0 * s->dt_h) : ph_i;
        if (ks_response_score(s->params, s->ctx, bi, th_i, ph0, t0, s->D ? s->D[k0] : 0) >
            keep * bi)
            continue;
        rel[i] = INFINITY;
        for (size_t k = k0; k < s->n_grid; k += dstep) {
            double tk = (double)k * s->dt_h;
            double phk = fl ? ph_i * ks_response_path_factor(&path, tk) : ph_i;
            if (ks_response_score(s->params, s->ctx, bi, th_i, phk, tk, s->D ? s->D[k] : 0) >
                keep * bi) {
                rel[i] = (tk - last) / 24.0;
                break;
            }
        }
    }
    size_t m = 0, nrel = 0;
    for (uint64_t i = 0; i < n; i++)
        if (!isnan(rel[i])) {
            nrel += !isinf(rel[i]);
            rel[m++] = rel[i];
        }
    out->responders = m;
    out->relapsed = nrel;
    if (!m)
        out->why = "no responders 24 h after the last dose";
    else {
        out->share_relapsed = (double)nrel / (double)m;
        qsort(rel, m, sizeof *rel, cmp_d);
        double med = median_sorted(rel, m);
        if (isinf(med))
            out->why = "fewer than half of the responders relapse within the horizon";
        else
            out->median_d = med;
    }
    free(rel);
    return KS_OK;
}
