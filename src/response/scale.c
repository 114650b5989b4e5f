/* MADRS <-> HAM-D by piecewise-linear interpolation through published equipercentile
 * anchors (include/ketsim/response.h, docs/response-model.md "HAM-D output").
 *
 * Source: Leucht S, Fennema H, Engel RR, Kaspers-Janssen M, Szegedi A. Translating the
 * HAM-D into the MADRS and vice versa with equipercentile linking. J Affect Disord 2018
 * (vol. 226, pp. 326-331 as commonly cited: volume and pages not verified here; the
 * daneshyari.com listing says 2018, 6 pages). PMID 29031182; Elsevier PII
 * S0165032717300903. DOI: not found (searched 2026-11-22). Read: the abstract, at
 * https://proxy.weglot.com/wg_8714b7f1589aa0f6c92979708057c4a57/en/es/pubmed.ncbi.nlm.nih.gov/29031182,
 * https://daneshyari.com/en/article/5721671 and https://www.researcher-app.com/paper/101852.
 * Verification level B (abstract only; the paper's full conversion tables were not
 * found, nor which HAM-D version it used).
 * Method (abstract): equipercentile linking of simultaneous HAM-D and MADRS ratings in
 * 4388 patients from 31 mirtazapine trials in major depressive disorder (baseline and
 * weeks 1, 2, 4). Result used here: "HAM-D scores of 10, 20, 30 and 40 roughly
 * corresponded to MADRS scores of 13, 26, 39 and 52-53"; "52-53" is taken as 52.5.
 * The floor anchor (0, 0) is an ASSUMPTION of ketsim, not a published figure: both
 * scales score 0 when no item is rated (no symptoms).
 * Beyond the last anchor (MADRS 52.5, HAM-D 40) the last segment is extended: an
 * extrapolation, which the functions flag.
 * HAM-D range: the version was not found; ketsim ASSUMES the 17-item HAM-D (0-52), the
 * usual trial version, whose range contains every published anchor. */
#include "ketsim/response.h"

#include <math.h>

/* Anchors (MADRS, HAM-D), increasing; the first is the assumed floor. */
static const double ANCHOR_MADRS[] = {0, 13, 26, 39, 52.5};
static const double ANCHOR_HAMD[] = {0, 10, 20, 30, 40};
#define N_ANCHORS (sizeof ANCHOR_MADRS / sizeof *ANCHOR_MADRS)

/* y at x through the anchors xs -> ys (increasing), the last segment extended. At an
 * anchor the result is that anchor's y exactly (t is 0 or 1). */
static double interp(const double *xs, const double *ys, double x)
{
    size_t i = 0;
    while (i + 2 < N_ANCHORS && x > xs[i + 1])
        i++;
    double t = (x - xs[i]) / (xs[i + 1] - xs[i]);
    return ys[i] + t * (ys[i + 1] - ys[i]);
}

size_t ks_response_hamd_n_anchors(void)
{
    return N_ANCHORS;
}

int ks_response_hamd_anchor(size_t i, double *madrs, double *hamd)
{
    if (i >= N_ANCHORS) return KS_EINVAL;
    if (madrs) *madrs = ANCHOR_MADRS[i];
    if (hamd) *hamd = ANCHOR_HAMD[i];
    return KS_OK;
}

const char *ks_response_hamd_source(void)
{
    return KS_HAMD_SOURCE;
}

int ks_response_madrs_to_hamd(double madrs, double *hamd, int *extrapolated, ks_error *err)
{
    if (!(madrs >= 0 && madrs <= KS_MADRS_MAX))
        return ks_error_set(err, KS_EINVAL, "MADRS %g: outside the scale (0 to %g)", madrs,
                            KS_MADRS_MAX);
    double h = interp(ANCHOR_MADRS, ANCHOR_HAMD, madrs);
    if (hamd) *hamd = h;
    if (extrapolated) *extrapolated = madrs > ANCHOR_MADRS[N_ANCHORS - 1];
    return KS_OK;
}

int ks_response_hamd_to_madrs(double hamd, double *madrs, int *extrapolated, ks_error *err)
{
    if (!(hamd >= 0 && hamd <= KS_HAMD_MAX))
        return ks_error_set(err, KS_EINVAL, "HAM-D %g: outside the scale (0 to %g, 17-item)", hamd,
                            KS_HAMD_MAX);
    double m = interp(ANCHOR_HAMD, ANCHOR_MADRS, hamd);
    if (!(m <= KS_MADRS_MAX)) {
        double hmax = interp(ANCHOR_MADRS, ANCHOR_HAMD, KS_MADRS_MAX);
        return ks_error_set(err, KS_EINVAL,
                            "HAM-D %g: the linking (Leucht 2018, extended beyond its last anchor "
                            "HAM-D 40) gives MADRS %.4g, above the MADRS maximum %g: HAM-D above "
                            "%.4g has no MADRS equivalent here",
                            hamd, m, KS_MADRS_MAX, hmax);
    }
    if (madrs) *madrs = m;
    if (extrapolated) *extrapolated = hamd > ANCHOR_HAMD[N_ANCHORS - 1];
    return KS_OK;
}
