/* ketsim: exposure summaries of a simulated concentration curve.
 *
 * Cmax, Tmax and the time above a threshold are found on the exact solution, not
 * only on the output grid: a peak between output times (a bolus, an absorption peak)
 * is found. AUC to the last time is the exact integral of the model from time 0; the
 * terminal rate constant lambda_z is estimated the way non-compartmental analysis
 * does (log-linear regression over the last 3 or more positive points after Tmax with
 * the best adjusted R^2), and AUC to infinity = AUC_last + C_last / lambda_z.
 */
#ifndef KETSIM_SUMMARY_H
#define KETSIM_SUMMARY_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks_summary {
    double cmax;         /* ng/mL */
    double tmax;         /* h */
    double clast, tlast; /* last output time with a positive value, and that value */
    double auc_last;     /* ng*h/mL, exact, from time 0 to the last output time */
    double auc_inf;      /* ng*h/mL; NaN when lambda_z cannot be estimated */
    double lambda_z;     /* 1/h; NaN when fewer than 3 declining points follow Cmax */
    double t_half;       /* h, ln 2 / lambda_z; NaN likewise */
    int n_lambda;        /* points used for lambda_z */
    double threshold;    /* ng/mL as given, NaN for none */
    double time_above;   /* h above threshold within [0, tlast]; NaN without threshold */
} ks_summary;

/* Summarise output column `j` of a run simulation. `threshold` (ng/mL) may be
 * NaN. Needs at least two output times. */
int ks_summary_compute(ks_sim *s, size_t j, double threshold, ks_summary *out, ks_error *err);

/* One session of a course: from a dose to just before the next (the last to the last
 * output time). */
typedef struct ks_session_summary {
    double start_h, end_h;
    double trough;     /* ng/mL just before the session's dose */
    double cmax, tmax; /* ng/mL, h: the session's peak, found on the exact solution */
    double auc;        /* ng*h/mL over the session, exact */
    double time_above; /* h above the threshold within the session; NaN without one */
} ks_session_summary;

/* Summarise output column j per session; `starts` are the session start times (h,
 * increasing, within the output times; dose times are the natural choice). */
int ks_summary_sessions(ks_sim *s, size_t j, const double *starts, size_t n, double threshold,
                        ks_session_summary *out, ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
