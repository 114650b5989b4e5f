/* The calibration objective's cost (ks_response_objective over the 13 figures at the
 * shipped parameters): the one-off set-up (ks_response_designs_create: the PK and
 * occupancy of every design) and the time per evaluation, on 1 thread and on all of
 * OpenMP's threads, with the objective's value (the same for any thread count: it must
 * print the same digits on both rows). Every sampler, fit and leave-one-study-out refit is
 * a sequence of these evaluations. Run by bench/objective/run.sh; not part of make test. */
#include "ketsim/ketsim.h"
#include "ketsim/response.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_objective ROOT N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (n < 1 || n > 100000) {
        fprintf(stderr, "bench_objective: N %s is not 1..100000\n", argv[2]);
        return 2;
    }
    char path[4096];
    ks_error err = {0};
    ks_model *iv = NULL, *esk = NULL;
    ks_pd *pd = NULL;
    ks_response_designs *d = NULL;
    ks_response_params p;
    int rc = 1;
    snprintf(path, sizeof path, "%s/models/ketamine/domino-1982.json", argv[1]);
    if (ks_model_load(path, &iv, &err)) goto done;
    snprintf(path, sizeof path, "%s/models/esketamine/perez-ruixo-2021.json", argv[1]);
    if (ks_model_load(path, &esk, &err)) goto done;
    snprintf(path, sizeof path, "%s/data/pd-acute.json", argv[1]);
    if (ks_pd_load(path, &pd, &err)) goto done;
    snprintf(path, sizeof path, "%s/data/response-params.json", argv[1]);
    if (ks_response_params_load(path, &p, &err)) goto done;
    double t0 = now();
    if (ks_response_designs_create(iv, esk, pd, &d, &err)) goto done;
    printf("set-up (ks_response_designs_create): %.3f s\n", now() - t0);
    int all = omp_get_max_threads();
    for (int pass = 0; pass < 2; pass++) {
        int thr = pass ? all : 1;
        omp_set_num_threads(thr);
        double f = ks_response_objective(d, &p, NULL); /* warm-up */
        t0 = now();
        for (int i = 0; i < n; i++)
            f = ks_response_objective(d, &p, NULL);
        double ms = 1e3 * (now() - t0) / n;
        printf("threads %d: %.1f ms per evaluation (%d evaluations), %.1f per second; objective "
               "%.6f\n",
               thr, ms, n, 1e3 / ms, f);
    }
    rc = 0;
done:
    if (rc) fprintf(stderr, "bench_objective: %s\n", err.msg);
    ks_response_designs_free(d);
    ks_pd_free(pd);
    ks_model_free(esk);
    ks_model_free(iv);
    return rc;
}
