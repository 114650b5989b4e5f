/* libFuzzer target for the dataset reader and the NONMEM-semantics runner: any text
 * must give either a dataset or an error with a one-line message, and any dataset that
 * reads must simulate or be refused, never crash, hang or leak. */
#include "ketsim/ketsim.h"
#include "ketsim/dataset.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char ADVAN2[] =
    "{\"format\":\"ketsim-model/1\",\"name\":\"advan2\",\"title\":\"fuzz\",\"drug\":\"test\","
    "\"source\":\"t\",\"citations\":{\"t\":{\"authors\":\"fuzz\",\"year\":2026,\"doi_note\":\"n\","
    "\"where_read\":\"w\",\"verification\":\"derived\"}},\"population\":{\"description\":\"n\"},"
    "\"sampling_site\":\"unknown\",\"covariates\":{\"weight\":{\"unit\":\"kg\",\"default\":70}},"
    "\"analytes\":{\"d\":{\"molar_mass_g_mol\":100,\"source\":\"x\"}},"
    "\"parameters\":{\"V\":{\"value\":20,\"unit\":\"L\",\"source\":\"t\",\"verification\":"
    "\"derived\"},"
    "\"CL\":{\"value\":1.1,\"unit\":\"L/h\",\"source\":\"t\",\"verification\":\"derived\"},"
    "\"KA\":{\"value\":1.5,\"unit\":\"1/h\",\"source\":\"t\",\"verification\":\"derived\"}},"
    "\"compartments\":{\"depot\":{\"analyte\":\"d\",\"kind\":\"depot\"},"
    "\"central\":{\"analyte\":\"d\",\"volume\":\"V\",\"observed\":true}},"
    "\"flows\":[{\"from\":\"depot\",\"to\":\"central\",\"rate\":\"KA\"},"
    "{\"from\":\"central\",\"clearance\":\"CL\"}],"
    "\"routes\":{\"iv\":{\"description\":\"x\",\"pathways\":[{\"to\":\"central\",\"input\":"
    "\"user\"}]}}}";

/* Keep each input cheap: the runner is exact, so work grows with the dose events. */
static int affordable(const ks_dataset *d)
{
    if (ks_dataset_n_rows(d) > 300) return 0;
    int ca = ks_dataset_column(d, "ADDL"), ci = ks_dataset_column(d, "II"),
        ct = ks_dataset_column(d, "TIME"), cl = ks_dataset_column(d, "LAGT");
    double events = 0;
    for (size_t i = 0; i < ks_dataset_n_rows(d); i++) {
        if (ca >= 0) events += fabs(ks_dataset_value(d, i, ca));
        /* A steady state with a lag leaves lag / II doses pending (a unit test covers
         * the large case; here it would only slow the search down). */
        if (cl >= 0 && ci >= 0 && ks_dataset_value(d, i, ci) != 0)
            events += fabs(ks_dataset_value(d, i, cl) / ks_dataset_value(d, i, ci));
        if (ci >= 0 && ks_dataset_value(d, i, ci) != 0 && fabs(ks_dataset_value(d, i, ci)) < 1e-3)
            return 0;
        if (ct >= 0 && fabs(ks_dataset_value(d, i, ct)) > 1e6) return 0;
    }
    return events < 2000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ks_model *m;
    ks_error err = {0};
    if (!m && ks_model_load_string(ADVAN2, "advan2", &m, &err)) abort();
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ks_dataset *d = NULL;
    int rc = ks_dataset_read_string(text, "fuzz.csv", &d, &err);
    if (rc && (!err.msg[0] || strchr(err.msg, '\n'))) abort(); /* one line, always */
    if (!rc && affordable(d)) {
        ks_dataset_map map = {0};
        if (ks_dataset_column(d, "LAGT") >= 0) map.lag[1] = "LAGT";
        if (ks_dataset_column(d, "BIOAV") >= 0) map.bioav[1] = "BIOAV";
        if (ks_dataset_column(d, "DUR2") >= 0) map.duration[1] = "DUR2";
        if (ks_dataset_column(d, "RAT2") >= 0) map.rate[1] = "RAT2";
        double *pred = calloc(ks_dataset_n_rows(d) + 1, sizeof *pred);
        if (pred) {
            err.msg[0] = '\0';
            rc = ks_dataset_predict(m, NULL, d, &map, "cp_d_ng_ml", pred, &err);
            if (rc && (!err.msg[0] || strchr(err.msg, '\n'))) abort();
            for (size_t i = 0; !rc && i < ks_dataset_n_rows(d); i++)
                if (!(pred[i] >= 0) || !isfinite(pred[i])) abort(); /* never a bad number */
            free(pred);
        }
    }
    ks_dataset_free(d);
    free(text);
    return 0;
}
