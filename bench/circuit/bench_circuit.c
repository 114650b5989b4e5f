/* The LHb population of ketsim's circuit module, timed, for the Brian2 comparison
 * (bench/circuit/run.sh). Prints one JSON line: size, step, duration, firing statistics,
 * the spike count and the wall time of ks_circuit_run (clock_gettime MONOTONIC).
 * usage: bench_circuit CELLS DURATION_MS WARMUP_MS DT_MS SEED [SPIKES.csv]
 * With SPIKES.csv, writes cell,time_ms for every spike of the first 200 cells. */
#include <ketsim/circuit.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr,
                "usage: bench_circuit CELLS DURATION_MS WARMUP_MS DT_MS SEED [SPIKES.csv]\n");
        return 2;
    }
    ks_circuit_config c;
    ks_circuit_config_default(&c); /* depressed cells, no ketamine */
    c.n_cells = (size_t)atol(argv[1]);
    c.duration_ms = atof(argv[2]);
    c.warmup_ms = atof(argv[3]);
    c.dt_ms = atof(argv[4]);
    c.seed = (uint64_t)atoll(argv[5]);
    c.raster_cells = argc > 6 ? 200 : 0;
    ks_circuit_result r;
    ks_error err = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ks_circuit_run(&c, &r, &err)) {
        fprintf(stderr, "bench_circuit: %s\n", err.msg);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("{\"tool\": \"ketsim\", \"cells\": %zu, \"dt_ms\": %g, \"duration_ms\": %g, "
           "\"warmup_ms\": %g, \"frac_bursting\": %.4f, \"frac_tonic\": %.4f, "
           "\"frac_silent\": %.4f, \"bursts_per_s\": %.4f, \"spikes_per_burst\": %.4f, "
           "\"mean_rate_hz\": %.4f, \"run_s\": %.4f}\n",
           c.n_cells, c.dt_ms, c.duration_ms, c.warmup_ms, r.frac_bursting, r.frac_tonic,
           r.frac_silent, r.bursts_per_s, r.spikes_per_burst, r.mean_rate_hz, secs);
    if (argc > 6) {
        FILE *f = fopen(argv[6], "w");
        if (!f) return 1;
        fprintf(f, "cell,time_ms\n");
        for (size_t i = 0; i < r.n_raster; i++)
            fprintf(f, "%u,%.3f\n", r.raster_cell[i], r.raster_t_ms[i]);
        fclose(f);
    }
    ks_circuit_result_free(&r);
    return 0;
}
