/* Simulate 0.5 mg/kg racemic ketamine over 40 min in a 70 kg adult and print the
 * plasma concentration every 30 min. Build against the installed library:
 *   cc simulate_dose.c $(pkg-config --cflags --libs ketsim) -o simulate_dose
 *   ./simulate_dose $(pkg-config --variable=modelsdir ketsim)/ketamine/domino-1982.json */
#include <ketsim/ketsim.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    ks_error err = {0};
    ks_model *model = NULL;
    ks_sim *sim = NULL;
    ks_covariates patient = {0};
    ks_dose dose = {.time_h = 0, .amount_mg = 0.5 * 70, .duration_h = 40.0 / 60, .route = "iv"};
    double times[13];
    for (int i = 0; i < 13; i++)
        times[i] = 0.5 * i;
    ks_covariates_set(&patient, "weight", 70, &err);
    if (argc < 2 || ks_model_load(argv[1], &model, &err) || ks_sim_create(model, &sim, &err) ||
        ks_sim_set_covariates(sim, &patient, &err) || ks_sim_add_dose(sim, &dose, &err) ||
        ks_sim_set_times(sim, times, 13, &err) || ks_sim_run(sim, &err)) {
        fprintf(stderr, "error: %s\n", argc < 2 ? "usage: simulate_dose MODEL.json" : err.msg);
        return 1;
    }
    for (int i = 0; i < 13; i++)
        printf("%5.1f h  %8.2f ng/mL\n", times[i], ks_sim_output(sim, 0)[i]);
    ks_sim_free(sim);
    ks_model_free(model);
    return 0;
}
