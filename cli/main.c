/* ketsim: the command-line front end. Each subcommand lives in its own file. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "ketsim " KS_VERSION ": simulate ketamine and esketamine pharmacokinetics\n"
    "\n"
    "usage: ketsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  simulate     simulate doses through a published model: table, plot, summary\n"
    "  models       list the shipped models; `models show NAME` for one in full\n"
    "  regimen      `regimen explain TEXT`: the doses a treatment-course regimen gives\n"
    "  dataset      `dataset predict`: NONMEM-style datasets with NONMEM's semantics\n"
    "  compare      one dose through several models: one table, one plot\n"
    "  validate     every model against published observations: report and plots\n"
    "  fit-route    estimate a route's absorption rate from a published Tmax\n"
    "  session      one session in the chair: effects, peaks, discharge, what to watch\n"
    "  trial        virtual patients: percentiles over time for N patients (MPI-ready)\n"
    "  pd-validate  the acute-effect models against published figures (report)\n"
    "  pd-fit       estimate the acute-effect parameters from published summary figures\n"
    "  circuit      the lateral habenula circuit: bursting, NMDA block and trapping\n"
    "  calibrate    fit the antidepressant response model to published trial figures\n"
    "  forecast     MADRS trajectory, response, remission, relapse: regimens compared\n"
    "  response-validate  leave-one-study-out cross-validation of the response model\n"
    "\n"
    "Every command has --help with examples. Values carry their units: 40min, 2h, 3d,\n"
    "0.5mg/kg, 56mg, 100ng/mL. Times are in hours, concentrations in ng/mL.\n"
    "\n"
    "examples:\n"
    "  ketsim simulate --model domino-1982 --weight 70 --dose 0.5mg/kg --route iv --over 40min\n"
    "  ketsim simulate --model perez-ruixo-2021 --weight 74 --dose 84mg --route nasal --until 24h\n"
    "  ketsim models show perez-ruixo-2021\n"
    "\n"
    "Environment: KETSIM_MODELS names another models folder.\n" KS_DISCLAIMER "\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ketsim %s\n", KS_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "simulate") == 0) {
        int rc = cmd_simulate(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    if (strcmp(argv[1], "models") == 0) return cmd_models(argc - 2, argv + 2);
    if (strcmp(argv[1], "regimen") == 0) return cmd_regimen(argc - 2, argv + 2);
    if (strcmp(argv[1], "dataset") == 0) return cmd_dataset(argc - 2, argv + 2);
    if (strcmp(argv[1], "validate") == 0 || strcmp(argv[1], "compare") == 0) {
        int rc =
            argv[1][0] == 'v' ? cmd_validate(argc - 2, argv + 2) : cmd_compare(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    if (strcmp(argv[1], "fit-route") == 0) return cmd_fit_route(argc - 2, argv + 2);
    if (strcmp(argv[1], "pd-fit") == 0) return cmd_pd_fit(argc - 2, argv + 2);
    if (strcmp(argv[1], "pd-validate") == 0) return cmd_pd_validate(argc - 2, argv + 2);
    if (strcmp(argv[1], "calibrate") == 0) return cmd_calibrate(argc - 2, argv + 2);
    if (strcmp(argv[1], "forecast") == 0 || strcmp(argv[1], "response-validate") == 0) {
        int rc = argv[1][0] == 'f' ? cmd_forecast(argc - 2, argv + 2)
                                   : cmd_response_validate(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    if (strcmp(argv[1], "trial") == 0) {
        int rc = cmd_trial(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    if (strcmp(argv[1], "session") == 0) {
        int rc = cmd_session(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    if (strcmp(argv[1], "circuit") == 0) {
        int rc = cmd_circuit(argc - 2, argv + 2);
        ks_plot_release_fonts();
        return rc;
    }
    fprintf(stderr, "ketsim: unknown command \"%s\" (see ketsim --help for the commands)\n",
            argv[1]);
    return 2;
}
