/* Shared pieces of the ketsim command: option parsing and the models folder. */
#ifndef KS_CLI_H
#define KS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include "ketsim/ketsim.h"

#define KS_DISCLAIMER "Decision support only: a clinician decides."

/* One parsed option: "--name value" or "--name=value" or a flag. */
typedef struct cli_opt {
    const char *name; /* without dashes */
    int takes_value;
    const char *value; /* last value given, NULL if absent */
    int seen;
    const char **all; /* every value given, for repeatable options */
    int n_all;
    int repeatable;
} cli_opt;

/* Parse argv against opts. Unknown options and missing values are errors that name
 * the argument. Returns 0 or prints the error and returns 2; sets *help when --help. */
int cli_parse(int argc, char **argv, cli_opt *opts, size_t n_opts, int *help, const char *cmd);
void cli_free_opts(cli_opt *opts, size_t n_opts);
const char *cli_get(const cli_opt *opts, size_t n_opts, const char *name);
int cli_seen(const cli_opt *opts, size_t n_opts, const char *name);

/* The folder with the shipped models: $KETSIM_MODELS, else the source tree's
 * models/ when present, else the installed data folder. */
const char *cli_models_dir(void);

/* A number with an optional unit that is the default one ("70" or "70kg") for option
 * `opt` of command `cmd`; prints the error and returns 2 when it is neither. */
int cli_parse_plain(const char *cmd, const char *opt, const char *text, ks_dim dim, double *v);

/* The folder with the shipped data (observations for `validate`): $KETSIM_DATA, else
 * the source tree's data/, else the installed data folder. */
const char *cli_data_dir(void);

/* The citation a model names as its primary source. */
void cli_primary_citation(const ks_model *m, ks_citation_info *ci);

/* Outputs: refuse two options naming the same file (opts[i] names the option of
 * paths[i], e.g. "--out"; NULL paths are skipped). Paths are compared as cli_same_file
 * does. Prints one line (unless cmd is NULL) and returns 2, else 0. Call before
 * computing. */
int cli_check_outputs(const char *cmd, const char *const *opts, const char *const *paths, size_t n);
/* Whether two paths name the same file: the same device and inode when both exist (so
 * hard and symbolic links agree), else by their real path where the file or its folder
 * exists, else after removing "." components and repeated slashes. */
int cli_same_file(const char *a, const char *b);
/* Inputs: refuse an output (out_opts[i] names the option of out_paths[i]) that names the
 * same file as an input (in_opts[j], in_paths[j]); NULL paths are skipped. Prints one
 * line naming both options (unless cmd is NULL) and returns 2, else 0. Call before
 * computing, so that an input is never destroyed. */
int cli_check_inputs(const char *cmd, const char *const *out_opts, const char *const *out_paths,
                     size_t n_out, const char *const *in_opts, const char *const *in_paths,
                     size_t n_in);
/* Refuse an output file name that does not end in .ext1 or .ext2 (any case): prints one
 * line naming `opt` (unless cmd is NULL) and returns 2, else 0. */
int cli_check_ext(const char *cmd, const char *opt, const char *path, const char *ext1,
                  const char *ext2);

/* A whole number from lo to hi in decimal digits, parsed with strtoull (so every value up
 * to 2^64 - 1 is exact; "1.5", "1e3", "-1", "+1", " 1", " -1" are refused: the first
 * character must be a digit). Prints one line naming
 * `opt` (unless cmd is NULL) and returns 2, else 0. */
int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
                  uint64_t *v);

/* Print "ketsim CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

int cmd_simulate(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_regimen(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_fit_route(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_trial(int argc, char **argv);
int cmd_pd_fit(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_pd_validate(int argc, char **argv);
int cmd_circuit(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_response_validate(int argc, char **argv);

#endif
