/* ketsim dataset: predictions for a NONMEM-style dataset, with NONMEM's semantics. */
#include "cli.h"
#include "ketsim/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: ketsim dataset predict --model NAME --data FILE.csv [options]\n"
    "\n"
    "Simulate every individual of a NONMEM-style dataset (ID TIME AMT RATE EVID CMT II ADDL\n"
    "SS ...; upper or lower case; \".\" is 0) with NONMEM's event semantics, and write the\n"
    "dataset back with a PRED column (ng/mL) after all of its own columns.\n"
    "CMT numbers are the model's compartments in file order, from 1 (ketsim models show).\n"
    "\n"
    "options:\n"
    "  --model NAME        a shipped model name or a model file\n"
    "  --data FILE         the dataset (CSV with a header)\n"
    "  --output COLUMN     which concentration to predict (default: the first, e.g.\n"
    "                      cp_ketamine_ng_ml)\n"
    "  --weight W, --age A covariates for every individual; a column named like a model\n"
    "                      covariate (WEIGHT, AGE, ...) gives each individual its own\n"
    "  --lag CMT=SOURCE    where the lag time of doses into CMT comes from: a column of\n"
    "                      the dataset, or param:NAME for a model parameter (repeatable)\n"
    "  --bioav CMT=SOURCE  the same for bioavailability F\n"
    "  --rate CMT=SOURCE   the modeled rate (mg/h) for RATE=-1 records\n"
    "  --duration CMT=SOURCE  the modeled duration for RATE=-2 records\n"
    "  --out FILE          where to write (default: standard output)\n"
    "\n"
    "Every record ketsim cannot interpret exactly is an error naming its line and column.\n"
    "See docs/nonmem-conformance.md for the semantics and the NONMEM conformance result.\n"
    "\n"
    "example:\n"
    "  ketsim dataset predict --model domino-1982 --data study.csv --out study-pred.csv\n"
    "  ketsim dataset predict --model advan2.json --data nmtest.csv --lag 2=lagt \\\n"
    "      --bioav 2=bioav --rate 2=rat2 --duration 2=dur2 --out pred.csv\n";

enum { D_MODEL, D_DATA, D_OUTPUT, D_WEIGHT, D_AGE, D_LAG, D_BIOAV, D_RATE, D_DUR, D_OUT, D_COUNT };

/* "2=lagt" or "2=param:ALAG" into the map slot for CMT 2. */
static int parse_map(const cli_opt *o, const char **col, const char **param)
{
    for (int i = 0; i < o->n_all; i++) {
        const char *v = o->all[i], *eq = strchr(v, '=');
        char *end;
        long cmt = strtol(v, &end, 10);
        if (!eq || end != eq || cmt < 1 || cmt > KS_DATASET_MAX_CMT || !eq[1]) {
            cli_error("dataset", "--%s: \"%s\" is not CMT=SOURCE (CMT 1 to %d)", o->name, v,
                      KS_DATASET_MAX_CMT);
            return 2;
        }
        if (strncmp(eq + 1, "param:", 6) == 0) {
            param[cmt - 1] = eq + 7;
        } else {
            col[cmt - 1] = eq + 1;
        }
    }
    return 0;
}

static int predict(const cli_opt *o)
{
    if (!o[D_MODEL].value || !o[D_DATA].value) {
        cli_error("dataset", "predict needs --model and --data (see ketsim dataset --help)");
        return 2;
    }
    ks_dataset_map map = {0};
    if (parse_map(&o[D_LAG], map.lag, map.lag_param) ||
        parse_map(&o[D_BIOAV], map.bioav, map.bioav_param) ||
        parse_map(&o[D_RATE], map.rate, map.rate_param) ||
        parse_map(&o[D_DUR], map.duration, map.duration_param))
        return 2;
    ks_covariates cov = {0};
    const char *names[2] = {"weight", "age"};
    for (int k = 0; k < 2; k++) {
        const char *v = o[k == 0 ? D_WEIGHT : D_AGE].value;
        if (!v) continue;
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x) || x < 0 || (k == 0 && !(x > 0))) {
            cli_error("dataset", "--%s: \"%s\" is not a possible value", names[k], v);
            return 2;
        }
        ks_covariates_set(&cov, names[k], x, NULL);
    }
    char path[4096];
    ks_error err = {0};
    ks_model *m = NULL;
    ks_dataset *d = NULL;
    if (ks_model_find(o[D_MODEL].value, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, &m, &err)) {
        cli_error("dataset", "--model: %s", err.msg);
        return 2;
    }
    int rc = ks_dataset_read(o[D_DATA].value, &d, &err);
    double *pred = NULL;
    const char *output = o[D_OUTPUT].value;
    char first[96] = "";
    if (!rc && !output) {
        ks_sim *s = NULL;
        if (ks_sim_create(m, &s, &err) == KS_OK && ks_sim_n_outputs(s) > 0)
            snprintf(first, sizeof first, "%s", ks_sim_output_name(s, 0));
        ks_sim_free(s);
        output = first;
    }
    if (!rc) {
        pred = calloc(ks_dataset_n_rows(d) + 1, sizeof *pred);
        rc = pred ? ks_dataset_predict(m, &cov, d, &map, output, pred, &err) : KS_ENOMEM;
    }
    if (!rc)
        rc = ks_dataset_write_with(d, "PRED", pred, o[D_OUT].value ? o[D_OUT].value : "-", &err);
    if (rc)
        cli_error("dataset", "%s", err.msg[0] ? err.msg : ks_strerror(rc));
    else if (o[D_OUT].value)
        fprintf(stderr, "%zu records, PRED = %s, written to %s\n", ks_dataset_n_rows(d), output,
                o[D_OUT].value);
    free(pred);
    ks_dataset_free(d);
    ks_model_free(m);
    return rc ? (rc == KS_ENOMEM || rc == KS_EIO ? 1 : 2) : 0;
}

int cmd_dataset(int argc, char **argv)
{
    if (argc == 0 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fputs(HELP, argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    if (strcmp(argv[0], "predict") != 0) {
        cli_error("dataset", "unknown subcommand \"%s\" (predict; see ketsim dataset --help)",
                  argv[0]);
        return 2;
    }
    cli_opt o[D_COUNT] = {[D_MODEL] = {"model", 1},
                          [D_DATA] = {"data", 1},
                          [D_OUTPUT] = {"output", 1},
                          [D_WEIGHT] = {"weight", 1},
                          [D_AGE] = {"age", 1},
                          [D_LAG] = {"lag", 1, .repeatable = 1},
                          [D_BIOAV] = {"bioav", 1, .repeatable = 1},
                          [D_RATE] = {"rate", 1, .repeatable = 1},
                          [D_DUR] = {"duration", 1, .repeatable = 1},
                          [D_OUT] = {"out", 1}};
    int help = 0;
    int rc = cli_parse(argc - 1, argv + 1, o, D_COUNT, &help, "dataset");
    if (!rc && help) fputs(HELP, stdout);
    if (!rc && !help) rc = predict(o);
    cli_free_opts(o, D_COUNT);
    return rc;
}
