/* Model loader and units: the shipped models load; every rule of docs/model-format.md
 * that a small hand-written model breaks is rejected with the right status and a
 * message naming the origin (file), the JSON path and the problem.
 *
 * The rejection cases start from one valid minimal model (BASE, checked to load
 * first) and apply a few edits to it, each an exact JSON path and a JSON value, so
 * that every case breaks exactly one rule. */
#define _POSIX_C_SOURCE 200809L

#include "ks_test.h"

#include "ketsim/ketsim.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORIGIN "mini.json"

/* A valid two-compartment model: central (observed) <-> periph, clearance out of
 * central, an effect site, and an iv route. */
static const char BASE[] =
    "{\n"
    "  \"format\": \"ketsim-model/1\",\n"
    "  \"name\": \"mini\",\n"
    "  \"title\": \"minimal test model\",\n"
    "  \"drug\": \"racemic ketamine\",\n"
    "  \"citations\": {\n"
    "    \"c1\": { \"authors\": \"Doe J\", \"year\": 2000, \"doi\": \"10.1000/xyz\",\n"
    "              \"where_read\": \"made up for a test\", \"verification\": \"abstract\" }\n"
    "  },\n"
    "  \"source\": \"c1\",\n"
    "  \"population\": { \"description\": \"none\" },\n"
    "  \"sampling_site\": \"venous\",\n"
    "  \"analytes\": { \"ketamine\": { \"molar_mass_g_mol\": 237.73, \"source\": \"formula\" } },\n"
    "  \"parameters\": {\n"
    "    \"V1\":  { \"value\": 10,  \"unit\": \"L\",     \"source\": \"c1\", \"verification\": "
    "\"abstract\" },\n"
    "    \"CL\":  { \"value\": 60,  \"unit\": \"L/h\",   \"source\": \"c1\", \"verification\": "
    "\"abstract\" },\n"
    "    \"k12\": { \"value\": 0.5, \"unit\": \"1/min\", \"source\": \"c1\", \"verification\": "
    "\"code only\" },\n"
    "    \"k21\": { \"value\": 0.2, \"unit\": \"1/min\", \"source\": \"c1\", \"verification\": "
    "\"code only\" },\n"
    "    \"ke0\": { \"value\": 0.6, \"unit\": \"1/min\", \"source\": \"c1\", \"verification\": "
    "\"estimated\" }\n"
    "  },\n"
    "  \"compartments\": {\n"
    "    \"central\": { \"analyte\": \"ketamine\", \"volume\": \"V1\", \"observed\": true },\n"
    "    \"periph\":  { \"analyte\": \"ketamine\" }\n"
    "  },\n"
    "  \"flows\": [\n"
    "    { \"from\": \"central\", \"to\": \"periph\", \"rate\": \"k12\" },\n"
    "    { \"from\": \"periph\", \"to\": \"central\", \"rate\": \"k21\" },\n"
    "    { \"from\": \"central\", \"clearance\": \"CL\" }\n"
    "  ],\n"
    "  \"effect_sites\": { \"effect\": { \"of\": \"central\", \"ke0\": \"ke0\" } },\n"
    "  \"routes\": {\n"
    "    \"iv\": { \"description\": \"iv bolus or infusion\",\n"
    "            \"pathways\": [ { \"to\": \"central\", \"input\": \"user\" } ] }\n"
    "  }\n"
    "}\n";

/* ------------------------------------------------------------------ editing BASE */

typedef struct edit {
    const char *path;  /* "parameters.V1.unit", "flows[0].to", "flows[3]" (append) */
    const char *value; /* JSON text; NULL deletes the member */
} edit;

#define MAX_EDITS 6

/* Apply one edit; returns 0 or -1 (a broken test case, not a loader result). */
static int apply_edit(json_t *root, const edit *e)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", e->path);
    json_t *parent = root;
    char *seg = buf;
    for (;;) {
        /* The next segment: up to '.', '[' or the end. */
        size_t len = strcspn(seg, ".[");
        char key[64];
        if (len >= sizeof key) return -1;
        memcpy(key, seg, len);
        key[len] = '\0';
        char *rest = seg + len;
        long index = -1;
        if (*rest == '[') {
            index = strtol(rest + 1, &rest, 10);
            if (*rest != ']') return -1;
            rest++;
        }
        int last = *rest == '\0';
        json_t *child = len ? json_object_get(parent, key) : parent;
        if (index >= 0) {
            if (!json_is_array(child)) return -1;
            if (last) {
                json_t *v = e->value ? json_loads(e->value, JSON_DECODE_ANY, NULL) : NULL;
                if (e->value && !v) return -1;
                if (!v) return json_array_remove(child, (size_t)index);
                if ((size_t)index == json_array_size(child)) return json_array_append_new(child, v);
                return json_array_set_new(child, (size_t)index, v);
            }
            child = json_array_get(child, (size_t)index);
        } else if (last) {
            if (!e->value) return json_object_del(parent, key);
            json_t *v = json_loads(e->value, JSON_DECODE_ANY, NULL);
            if (!v) return -1;
            return json_object_set_new(parent, key, v);
        }
        if (!child) return -1;
        parent = child;
        seg = *rest == '.' ? rest + 1 : rest;
    }
}

/* BASE with the edits applied, as a malloc'ed JSON text (fails the test on a bad edit). */
static char *edited_base(const edit *edits)
{
    json_error_t je;
    json_t *root = json_loads(BASE, 0, &je);
    if (!root) fail_msg("BASE does not parse: line %d: %s", je.line, je.text);
    for (int i = 0; i < MAX_EDITS && edits[i].path; i++)
        if (apply_edit(root, &edits[i]) != 0) {
            json_decref(root);
            fail_msg("test case edit %s = %s could not be applied", edits[i].path,
                     edits[i].value ? edits[i].value : "(delete)");
        }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    assert_non_null(text);
    return text;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("message \"%s\" does not contain \"%s\"", haystack, needle);
}

/* ------------------------------------------------------------------ rejection cases */

typedef struct reject_case {
    const char *name;
    edit edits[MAX_EDITS];
    int code;               /* expected status */
    const char *needles[4]; /* each must occur in the message (JSON path first) */
} reject_case;

static const reject_case CASES[] = {
    {"wrong format", {{"format", "\"ketsim-model/2\""}}, KS_EMODEL, {"$.format", "ketsim-model/2"}},
    {"missing format", {{"format", NULL}}, KS_EMODEL, {"$: ", "missing \"format\""}},
    {"missing citations", {{"citations", NULL}}, KS_EMODEL, {"$.citations", "missing or empty"}},
    {"empty citations", {{"citations", "{}"}}, KS_EMODEL, {"$.citations", "missing or empty"}},
    {"model source not a citation", {{"source", "\"c9\""}}, KS_EMODEL, {"$.source", "\"c9\""}},
    {"parameter source not a citation",
     {{"parameters.CL.source", "\"smith1999\""}},
     KS_EMODEL,
     {"$.parameters.CL", "\"smith1999\"", "not a key of $.citations"}},
    {"missing doi without doi_note",
     {{"citations.c1.doi", NULL}},
     KS_EMODEL,
     {"$.citations.c1", "missing \"doi\"", "doi_note"}},
    {"missing year", {{"citations.c1.year", NULL}}, KS_EMODEL, {"$.citations.c1", "\"year\""}},
    {"missing where_read",
     {{"citations.c1.where_read", NULL}},
     KS_EMODEL,
     {"$.citations.c1", "\"where_read\""}},
    {"unknown verification (parameter)",
     {{"parameters.k12.verification", "\"peer reviewed\""}},
     KS_EMODEL,
     {"$.parameters.k12.verification", "unknown verification level", "\"peer reviewed\""}},
    {"unknown verification (citation)",
     {{"citations.c1.verification", "\"hearsay\""}},
     KS_EMODEL,
     {"$.citations.c1.verification", "\"hearsay\""}},
    {"unknown unit",
     {{"parameters.CL.unit", "\"mg/fortnight\""}},
     KS_EUNIT,
     {"$.parameters.CL.unit", "unknown unit", "\"mg/fortnight\""}},
    {"volume used as a rate",
     {{"flows[0].rate", "\"V1\""}},
     KS_EUNIT,
     {"$.flows[0].rate", "\"V1\"", "volume", "expected a rate constant"}},
    {"rate constant used as a volume",
     {{"compartments.central.volume", "\"k12\""}},
     KS_EUNIT,
     {"$.compartments.central.volume", "\"k12\"", "expected a volume"}},
    {"rate used as a clearance",
     {{"flows[2].clearance", "\"k12\""}},
     KS_EUNIT,
     {"$.flows[2].clearance", "\"k12\"", "expected a clearance"}},
    {"flow to a missing compartment",
     {{"flows[0].to", "\"periph3\""}},
     KS_EMODEL,
     {"$.flows[0].to", "no compartment named \"periph3\""}},
    {"flow from a missing compartment",
     {{"flows[1].from", "\"periph9\""}},
     KS_EMODEL,
     {"$.flows[1]", "no compartment named \"periph9\""}},
    {"flow to a missing parameter",
     {{"flows[1].rate", "\"k99\""}},
     KS_EMODEL,
     {"$.flows[1].rate", "no parameter named \"k99\""}},
    {"negative volume",
     {{"parameters.V1.value", "-10"}},
     KS_EMODEL,
     {"$.parameters.V1", "negative volume"}},
    {"zero volume",
     {{"parameters.V1.value", "0"}},
     KS_EMODEL,
     {"$.compartments.central.volume", "must be positive"}},
    {"flow fraction above 1",
     {{"flows[0].fraction", "1.5"}},
     KS_EMODEL,
     {"$.flows[0].fraction", "1.5", "outside [0, 1]"}},
    {"fraction parameter above 1",
     {{"parameters.F",
       "{\"value\": 120, \"unit\": \"%\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"flows[0].fraction", "\"F\""}},
     KS_EMODEL,
     {"$.flows[0].fraction", "\"F\"", "outside [0, 1]"}},
    {"bioavailability above 1",
     {{"routes.iv.pathways[0].bioavailability", "1.2"}},
     KS_EMODEL,
     {"$.routes.iv.pathways[0].bioavailability", "outside [0, 1]"}},
    {"per-kg unit without weight covariate",
     {{"parameters.V1.unit", "\"L/kg\""}},
     KS_EMODEL,
     {"$.parameters.V1", "\"L/kg\"", "per kg", "\"weight\""}},
    {"flow between analytes without conversion",
     {{"analytes.norketamine", "{\"molar_mass_g_mol\": 223.70, \"source\": \"formula\"}"},
      {"parameters.Vn",
       "{\"value\": 50, \"unit\": \"L\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"compartments.nk", "{\"analyte\": \"norketamine\", \"volume\": \"Vn\", \"observed\": true}"},
      {"flows[3]",
       "{\"from\": \"central\", \"to\": \"nk\", \"clearance\": \"CL\", \"fraction\": 0.5}"}},
     KS_EMODEL,
     {"$.flows[3]", "\"ketamine\"", "\"norketamine\"", "\"conversion\""}},
    {"unknown conversion",
     {{"analytes.norketamine", "{\"molar_mass_g_mol\": 223.70, \"source\": \"formula\"}"},
      {"parameters.Vn",
       "{\"value\": 50, \"unit\": \"L\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"compartments.nk", "{\"analyte\": \"norketamine\", \"volume\": \"Vn\", \"observed\": true}"},
      {"flows[3]",
       "{\"from\": \"central\", \"to\": \"nk\", \"clearance\": \"CL\", \"fraction\": 0.5, "
       "\"conversion\": \"volume\"}"}},
     KS_EMODEL,
     {"$.flows[3].conversion", "\"volume\""}},
    {"two remainder pathways",
     {{"routes.iv.pathways", "[{\"to\": \"central\", \"fraction\": \"remainder\"},"
                             " {\"to\": \"periph\", \"fraction\": \"remainder\"}]"}},
     KS_EMODEL,
     {"$.routes.iv", "more than one \"remainder\""}},
    {"route fractions above 1",
     {{"routes.iv.pathways", "[{\"to\": \"central\", \"fraction\": 0.6},"
                             " {\"to\": \"periph\", \"fraction\": 0.5}]"}},
     KS_EMODEL,
     {"$.routes.iv", "sum to 1.1", "more than 1"}},
    {"route to a missing compartment",
     {{"routes.iv.pathways[0].to", "\"gut\""}},
     KS_EMODEL,
     {"$.routes.iv.pathways[0].to", "no compartment named \"gut\""}},
    {"per_unit without unit_dose",
     {{"parameters.FR",
       "{\"value\": 0.5, \"unit\": \"1\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"routes.iv.pathways[0].fraction",
       "{\"per_unit\": {\"first\": \"FR\", \"subsequent_factor\": \"FR\"}}"}},
     KS_EMODEL,
     {"$.routes.iv.pathways[0].fraction", "\"unit_dose\""}},
    {"per_unit first given as a number",
     {{"parameters.Q",
       "{\"value\": 0.8, \"unit\": \"1\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"routes.iv.unit_dose", "{\"value\": 28, \"unit\": \"mg\", \"what\": \"device\"}"},
      {"routes.iv.pathways[0].fraction",
       "{\"per_unit\": {\"first\": 0.5, \"subsequent_factor\": \"Q\"}}"}},
     KS_EMODEL,
     {"$.routes.iv.pathways[0].fraction.per_unit.first", "parameter"}},
    {"effect site of a non-observed compartment",
     {{"effect_sites.effect.of", "\"periph\""}},
     KS_EMODEL,
     {"$.effect_sites.effect", "\"periph\"", "not observed"}},
    {"effect site with both ke0 and t_half_ke0",
     {{"parameters.th",
       "{\"value\": 6, \"unit\": \"min\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"effect_sites.effect.t_half_ke0", "\"th\""}},
     KS_EMODEL,
     {"$.effect_sites.effect", "exactly one of \"ke0\" and \"t_half_ke0\""}},
    {"flow with both rate and clearance",
     {{"flows[2].rate", "\"k12\""}},
     KS_EMODEL,
     {"$.flows[2]", "exactly one of \"rate\" and \"clearance\""}},
    {"flow with neither rate nor clearance",
     {{"flows[2].clearance", NULL}},
     KS_EMODEL,
     {"$.flows[2]", "exactly one of \"rate\" and \"clearance\""}},
    {"clearance out of a compartment without volume",
     {{"flows[1]", "{\"from\": \"periph\", \"to\": \"central\", \"clearance\": \"CL\"}"}},
     KS_EMODEL,
     {"$.flows[1].clearance", "\"periph\"", "no volume"}},
    {"second observed compartment",
     {{"compartments.periph",
       "{\"analyte\": \"ketamine\", \"volume\": \"V1\", \"observed\": true}"}},
     KS_EMODEL,
     {"$.compartments.periph", "second observed"}},
    {"observed compartment without volume",
     {{"compartments.central.volume", NULL}},
     KS_EMODEL,
     {"$.compartments.central", "needs a volume"}},
    {"compartment of an unknown analyte",
     {{"compartments.periph.analyte", "\"ketamine_hcl\""}},
     KS_EMODEL,
     {"$.compartments.periph", "no analyte named \"ketamine_hcl\""}},
    {"compartment name with capitals",
     {{"compartments.Periph", "{\"analyte\": \"ketamine\"}"}},
     KS_EMODEL,
     {"$.compartments.Periph", "a-z, 0-9 and _"}},
    {"unknown sampling site",
     {{"sampling_site", "\"capillary\""}},
     KS_EMODEL,
     {"$.sampling_site", "\"capillary\""}},
    {"population without description",
     {{"population", "{\"n\": 12}"}},
     KS_EMODEL,
     {"$.population", "missing \"description\""}},
    {"covariate effect on an undeclared covariate",
     {{"parameters.CL.covariates", "[{\"type\": \"power\", \"covariate\": \"weight\", "
                                   "\"reference\": 70, \"exponent\": 0.75}]"}},
     KS_EMODEL,
     {"$.parameters.CL.covariates[0]", "\"weight\"", "not declared"}},
    {"validity without validity_note",
     {{"covariates", "{\"weight\": {\"unit\": \"kg\", \"default\": 70}}"},
      {"validity", "{\"weight\": [40, 120]}"}},
     KS_EMODEL,
     {"$: ", "\"validity_note\""}},
    {"transit chain without mtt",
     {{"flows[0].transit", "{\"n\": 3}"}},
     KS_EMODEL,
     {"$.flows[0].transit.mtt", "must name a parameter"}},
    /* Never fail silently: a misspelled or unknown key is an error, not a default. */
    {"misspelled flow key",
     {{"flows[0].fration", "0.5"}},
     KS_EMODEL,
     {"$.flows[0]", "unknown key \"fration\""}},
    {"misspelled parameter key",
     {{"parameters.V1.vaule", "1"}},
     KS_EMODEL,
     {"$.parameters.V1", "unknown key \"vaule\""}},
    {"unknown top-level key",
     {{"compartment", "{}"}},
     KS_EMODEL,
     {"$: ", "unknown key \"compartment\""}},
    {"observed is not a boolean",
     {{"compartments.central.observed", "\"yes\""}},
     KS_EMODEL,
     {"$.compartments.central", "\"observed\" must be true or false"}},
    {"optional covariate without default",
     {{"covariates", "{\"age\": {\"unit\": \"y\", \"required\": false}}"}},
     KS_EMODEL,
     {"$.covariates.age", "needs a \"default\""}},
    {"weight covariate in years",
     {{"covariates", "{\"weight\": {\"unit\": \"y\"}}"}},
     KS_EUNIT,
     {"$.covariates.weight", "must be in kg"}},
    {"factor effect on a non-flag covariate",
     {{"covariates", "{\"age\": {\"unit\": \"y\", \"default\": 40}}"},
      {"parameters.CL.covariates",
       "[{\"type\": \"factor\", \"covariate\": \"age\", \"factor\": 0.5}]"}},
     KS_EMODEL,
     {"$.parameters.CL.covariates[0]", "needs a flag covariate"}},
    {"iiv with an unknown type",
     {{"parameters.CL.iiv", "{\"type\": \"normal\", \"sd\": 1}"}},
     KS_EMODEL,
     {"$.parameters.CL.iiv", "unknown type \"normal\""}},
    {"residual error of an unknown analyte",
     {{"residual_error", "{\"norketamine\": {\"type\": \"proportional\"}}"}},
     KS_EMODEL,
     {"$.residual_error.norketamine", "no analyte"}},
    {"notes that are not strings", {{"notes", "[1]"}}, KS_EMODEL, {"$.notes", "not a string"}},
    {"zero mean transit time",
     {{"parameters.MTT0",
       "{\"value\": 0, \"unit\": \"min\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
      {"flows[0].to", "\"periph\""},
      {"flows[0].transit", "{\"n\": 2, \"mtt\": \"MTT0\"}"}},
     KS_EMODEL,
     {"$.flows[0].transit.mtt", "must be positive"}},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

static void test_reject(void **state)
{
    const reject_case *rc_ = *state;
    char *text = edited_base(rc_->edits);
    ks_model *m = NULL;
    ks_error err = {0};
    int rc = ks_model_load_string(text, ORIGIN, &m, &err);
    if (rc == KS_OK) {
        ks_model_free(m);
        free(text);
        fail_msg("case \"%s\": the loader accepted the model", rc_->name);
    }
    free(text);
    assert_null(m);
    if (rc != rc_->code)
        fail_msg("case \"%s\": status %d (%s), expected %d (%s); message: %s", rc_->name, rc,
                 ks_strerror(rc), rc_->code, ks_strerror(rc_->code), err.msg);
    assert_int_equal(err.code, rc);
    /* One line, naming the file first. */
    assert_null(strchr(err.msg, '\n'));
    if (strncmp(err.msg, ORIGIN ": ", strlen(ORIGIN) + 2) != 0)
        fail_msg("case \"%s\": message does not start with the origin: %s", rc_->name, err.msg);
    for (int i = 0; i < 4 && rc_->needles[i]; i++)
        assert_contains(err.msg, rc_->needles[i]);
}

/* ------------------------------------------------------------------ accepted models */

static ks_model *load_ok(const char *text)
{
    ks_model *m = NULL;
    ks_error err = {0};
    int rc = ks_model_load_string(text, ORIGIN, &m, &err);
    if (rc != KS_OK) fail_msg("expected the model to load, got %d: %s", rc, err.msg);
    assert_non_null(m);
    return m;
}

static void test_base_loads(void **state)
{
    (void)state;
    ks_model *m = load_ok(BASE);
    assert_string_equal(ks_model_name(m), "mini");
    assert_int_equal(ks_model_n_routes(m), 1);
    assert_true(ks_model_has_route(m, "iv"));
    assert_true(ks_model_route_takes_duration(m, "iv"));
    assert_int_equal(ks_model_n_params(m), 5);
    ks_param_info p;
    assert_int_equal(ks_model_param(m, 0, &p), KS_OK);
    assert_string_equal(p.name, "V1");
    assert_string_equal(p.unit, "L");
    ks_model_free(m);
}

/* The editing machinery reproduces BASE, and the positive controls for the
 * rejection cases (the same structure made right) load: a per-kg unit with a weight
 * covariate, a flow between analytes with a conversion, a nasal-type route. */
static void test_valid_variants_load(void **state)
{
    (void)state;
    static const edit none[] = {{NULL, NULL}};
    static const edit per_kg[] = {
        {"parameters.V1.unit", "\"L/kg\""},
        {"covariates", "{\"weight\": {\"unit\": \"kg\", \"required\": true}}"},
        {NULL, NULL}};
    static const edit metabolite[] = {
        {"analytes.norketamine", "{\"molar_mass_g_mol\": 223.70, \"source\": \"formula\"}"},
        {"parameters.Vn",
         "{\"value\": 50, \"unit\": \"L\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
        {"compartments.nk",
         "{\"analyte\": \"norketamine\", \"volume\": \"Vn\", \"observed\": true}"},
        {"flows[3]",
         "{\"from\": \"central\", \"to\": \"nk\", \"clearance\": \"CL\", \"fraction\": 0.5, "
         "\"conversion\": \"molar\"}"},
        {NULL, NULL}};
    static const edit nasal[] = {
        {"parameters.FR",
         "{\"value\": 0.5, \"unit\": \"1\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
        {"parameters.Q",
         "{\"value\": 0.8, \"unit\": \"1\", \"source\": \"c1\", \"verification\": \"abstract\"}"},
        {"routes.nasal",
         "{\"description\": \"spray\", \"unit_dose\": {\"value\": 28, \"unit\": \"mg\"},"
         " \"pathways\": [{\"to\": \"central\", \"fraction\": {\"per_unit\": "
         "{\"first\": \"FR\", \"subsequent_factor\": \"Q\"}}},"
         " {\"to\": \"periph\", \"fraction\": \"remainder\"}]}"},
        {NULL, NULL}};
    static const edit doi_note[] = {{"citations.c1.doi", NULL},
                                    {"citations.c1.doi_note", "\"none exists; PMID given\""},
                                    {NULL, NULL}};
    const edit *variants[] = {none, per_kg, metabolite, nasal, doi_note};
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        char *text = edited_base(variants[i]);
        ks_model *m = load_ok(text);
        free(text);
        if (variants[i] == nasal) {
            assert_true(ks_model_has_route(m, "nasal"));
            assert_false(ks_model_route_takes_duration(m, "nasal"));
        }
        if (variants[i] == metabolite) assert_int_equal(ks_model_n_analytes(m), 2);
        ks_model_free(m);
    }
}

static void test_malformed_json(void **state)
{
    (void)state;
    ks_model *m = NULL;
    ks_error err = {0};
    /* A missing comma on line 3. */
    int rc = ks_model_load_string("{\n  \"format\": \"ketsim-model/1\",\n  \"name\": \"x\"\n"
                                  "  \"title\": \"t\"\n}\n",
                                  ORIGIN, &m, &err);
    assert_int_equal(rc, KS_EPARSE);
    assert_null(m);
    assert_contains(err.msg, ORIGIN ": ");
    assert_contains(err.msg, "line 4");
    assert_null(strchr(err.msg, '\n'));

    /* A duplicate key is an error, not "the last one wins". */
    memset(&err, 0, sizeof err);
    rc = ks_model_load_string("{\"format\": \"ketsim-model/1\", \"format\": \"ketsim-model/1\"}",
                              ORIGIN, &m, &err);
    assert_int_equal(rc, KS_EPARSE);
    assert_contains(err.msg, "line 1");
    assert_contains(err.msg, "format");

    /* Not an object at all. */
    memset(&err, 0, sizeof err);
    rc = ks_model_load_string("[1, 2]", ORIGIN, &m, &err);
    assert_int_not_equal(rc, KS_OK);
    assert_contains(err.msg, ORIGIN);
}

/* ------------------------------------------------------------------ shipped models and files */

static void test_shipped_models_load(void **state)
{
    (void)state;
    ks_model *m = NULL;
    ks_error err = {0};
    int rc = ks_model_load(ks_test_path("models/ketamine/domino-1982.json"), &m, &err);
    if (rc) fail_msg("domino-1982: %s", err.msg);
    assert_string_equal(ks_model_name(m), "domino-1982");
    assert_true(ks_model_has_route(m, "iv"));
    assert_true(ks_model_route_takes_duration(m, "iv"));
    assert_false(ks_model_has_route(m, "rectal"));
    assert_string_equal(ks_model_sampling_site(m), "unknown");
    double lo, hi;
    assert_int_equal(ks_model_validity(m, "age", &lo, &hi), KS_ENOTFOUND);
    ks_model_free(m);

    m = NULL;
    rc = ks_model_load(ks_test_path("models/esketamine/perez-ruixo-2021.json"), &m, &err);
    if (rc) fail_msg("perez-ruixo-2021: %s", err.msg);
    assert_string_equal(ks_model_name(m), "perez-ruixo-2021");
    assert_true(ks_model_has_route(m, "nasal"));
    assert_true(ks_model_has_route(m, "oral"));
    assert_true(ks_model_has_route(m, "iv"));
    assert_false(ks_model_route_takes_duration(m, "nasal"));
    assert_int_equal(ks_model_validity(m, "age", &lo, &hi), KS_OK);
    KS_ASSERT_CLOSE(lo, 18.0, 0, 0);
    KS_ASSERT_CLOSE(hi, 86.0, 0, 0);
    assert_int_equal(ks_model_n_analytes(m), 2);
    ks_model_free(m);
}

static void test_missing_file(void **state)
{
    (void)state;
    ks_model *m = NULL;
    ks_error err = {0};
    assert_int_equal(ks_model_load("/nonexistent/dir/none.json", &m, &err), KS_EIO);
    assert_null(m);
    assert_contains(err.msg, "/nonexistent/dir/none.json");
}

/* Write text to dir/file; returns the path (static buffer). */
static const char *write_temp(const char *dir, const char *file, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_name_must_match_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/ks_test_model_load_XXXXXX";
    assert_non_null(mkdtemp(dir));
    ks_model *m = NULL;
    ks_error err = {0};

    /* The same text loads from mini.json ... */
    const char *good = write_temp(dir, "mini.json", BASE);
    int rc = ks_model_load(good, &m, &err);
    if (rc) fail_msg("mini.json: %s", err.msg);
    assert_string_equal(ks_model_path(m), good);
    ks_model_free(m);
    m = NULL;
    remove(good);

    /* ... and is rejected from other.json (and from mini.json.bak-like names). */
    const char *names[] = {"other.json", "mini-2.json"};
    for (size_t i = 0; i < 2; i++) {
        const char *bad = write_temp(dir, names[i], BASE);
        char bad_path[512];
        snprintf(bad_path, sizeof bad_path, "%s", bad);
        memset(&err, 0, sizeof err);
        rc = ks_model_load(bad_path, &m, &err);
        remove(bad_path);
        if (rc == KS_OK) {
            ks_model_free(m);
            fail_msg("%s with name \"mini\" was accepted", names[i]);
        }
        assert_int_equal(rc, KS_EMODEL);
        assert_null(m);
        assert_contains(err.msg, bad_path);
        assert_contains(err.msg, "$.name");
        assert_contains(err.msg, "\"mini\"");
        assert_contains(err.msg, names[i]);
    }

    /* A file's parse error names the file and the line. */
    const char *broken = write_temp(dir, "broken.json", "{\n\"format\": \"ketsim-model/1\",\n}\n");
    char broken_path[512];
    snprintf(broken_path, sizeof broken_path, "%s", broken);
    memset(&err, 0, sizeof err);
    rc = ks_model_load(broken_path, &m, &err);
    remove(broken_path);
    assert_int_equal(rc, KS_EPARSE);
    assert_contains(err.msg, broken_path);
    assert_contains(err.msg, "line 3");
    assert_int_equal(rmdir(dir), 0);
}

static void test_model_find(void **state)
{
    (void)state;
    char models[4096], path[4096];
    snprintf(models, sizeof models, "%s", ks_test_path("models"));
    ks_error err = {0};
    assert_int_equal(ks_model_find("domino-1982", models, path, sizeof path, &err), KS_OK);
    assert_contains(path, "ketamine/domino-1982.json");

    memset(&err, 0, sizeof err);
    assert_int_equal(ks_model_find("domino-1928", models, path, sizeof path, &err), KS_ENOTFOUND);
    assert_int_equal(err.code, KS_ENOTFOUND);
    assert_contains(err.msg, "\"domino-1928\"");
    assert_contains(err.msg, "domino-1982");
    /* The nearest name is suggested first. */
    const char *closest = strstr(err.msg, "closest: ");
    assert_non_null(closest);
    assert_int_equal(strncmp(closest + 9, "domino-1982", 11), 0);

    memset(&err, 0, sizeof err);
    assert_int_equal(ks_model_find("perez-ruixo", models, path, sizeof path, &err), KS_ENOTFOUND);
    assert_contains(err.msg, "perez-ruixo-2021");

    char **names = NULL;
    size_t n = 0;
    assert_int_equal(ks_model_list(models, &names, &n, &err), KS_OK);
    /* Sorted by name, across the drug folders, each once; the library issue ships 12+. */
    assert_true(n >= 12);
    int domino = 0, perez = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(strcmp(names[i - 1], names[i]) < 0);
        domino += strcmp(names[i], "domino-1982") == 0;
        perez += strcmp(names[i], "perez-ruixo-2021") == 0;
    }
    assert_int_equal(domino, 1);
    assert_int_equal(perez, 1);
    ks_model_names_free(names, n);
}

/* ------------------------------------------------------------------ units */

static const ks_dim TIME[] = {KS_DIM_TIME};
static const ks_dim DOSE[] = {KS_DIM_MASS, KS_DIM_MASS_PER_WEIGHT};

static double parse_ok(const char *text, const ks_dim *allowed, int n, ks_dim want_dim)
{
    double v = NAN;
    ks_dim d = (ks_dim)-1;
    ks_error err = {0};
    int rc = ks_quantity_parse(text, allowed, n, "--test", &v, &d, &err);
    if (rc) fail_msg("\"%s\": %s", text, err.msg);
    assert_int_equal(d, want_dim);
    return v;
}

static void test_quantity_parse(void **state)
{
    (void)state;
    KS_ASSERT_CLOSE(parse_ok("40min", TIME, 1, KS_DIM_TIME), 40.0 / 60.0, 1e-15, 0);
    KS_ASSERT_CLOSE(parse_ok("40min", TIME, 1, KS_DIM_TIME), 0.6667, 0, 1e-4);
    KS_ASSERT_CLOSE(parse_ok("2h", TIME, 1, KS_DIM_TIME), 2.0, 0, 0);
    KS_ASSERT_CLOSE(parse_ok("2 h", TIME, 1, KS_DIM_TIME), 2.0, 0, 0);
    KS_ASSERT_CLOSE(parse_ok("3d", TIME, 1, KS_DIM_TIME), 72.0, 0, 0);
    KS_ASSERT_CLOSE(parse_ok("90s", TIME, 1, KS_DIM_TIME), 0.025, 1e-15, 0);
    KS_ASSERT_CLOSE(parse_ok("0.5mg/kg", DOSE, 2, KS_DIM_MASS_PER_WEIGHT), 0.5, 0, 0);
    KS_ASSERT_CLOSE(parse_ok("56 mg", DOSE, 2, KS_DIM_MASS), 56.0, 0, 0);
    KS_ASSERT_CLOSE(parse_ok("56mg", DOSE, 2, KS_DIM_MASS), 56.0, 0, 0);
}

static void parse_fails(const char *text, const ks_dim *allowed, int n, int code,
                        const char *needle)
{
    double v = -12345.0;
    ks_error err = {0};
    int rc = ks_quantity_parse(text, allowed, n, "--over", &v, NULL, &err);
    if (rc == KS_OK) fail_msg("\"%s\" was accepted as %g", text, v);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_contains(err.msg, "--over");
    assert_contains(err.msg, needle);
    assert_null(strchr(err.msg, '\n'));
    KS_ASSERT_CLOSE(v, -12345.0, 0, 0); /* untouched */
}

static void test_quantity_errors(void **state)
{
    (void)state;
    parse_fails("40", TIME, 1, KS_EUNIT, "no unit");
    parse_fails("40 furlongs", TIME, 1, KS_EUNIT, "unknown unit \"furlongs\"");
    parse_fails("40mg", TIME, 1, KS_EUNIT, "is a mass, expected a time");
    parse_fails("35mgs", DOSE, 2, KS_EUNIT, "unknown unit \"mgs\"");
    parse_fails("", TIME, 1, KS_EPARSE, "empty");
    parse_fails("min", TIME, 1, KS_EPARSE, "does not start with a number");
    parse_fails("40min later", TIME, 1, KS_EUNIT, "unknown unit");
}

static void test_unit_lookup(void **state)
{
    (void)state;
    ks_dim d;
    double f;
    ks_error err = {0};
    assert_int_equal(ks_unit_lookup("mL/min/kg", &d, &f, &err), KS_OK);
    assert_int_equal(d, KS_DIM_FLOW_PER_WEIGHT);
    KS_ASSERT_CLOSE(f, 0.06, 1e-15, 0);
    assert_int_equal(ks_unit_lookup("1/min", &d, &f, &err), KS_OK);
    assert_int_equal(d, KS_DIM_RATE);
    KS_ASSERT_CLOSE(f, 60.0, 0, 0);
    assert_int_equal(ks_unit_lookup("ug/mL", &d, &f, &err), KS_OK);
    assert_int_equal(d, KS_DIM_CONC);
    KS_ASSERT_CLOSE(f, 1000.0, 0, 0);
    assert_int_equal(ks_unit_lookup("%", &d, &f, &err), KS_OK);
    KS_ASSERT_CLOSE(f, 0.01, 0, 0);
    /* Exact spelling: no case folding. */
    assert_int_equal(ks_unit_lookup("ml/min/kg", &d, &f, &err), KS_EUNIT);
    assert_contains(err.msg, "\"ml/min/kg\"");
    assert_int_equal(ks_unit_lookup("mg/fortnight", &d, &f, &err), KS_EUNIT);
}

int main(void)
{
    struct CMUnitTest tests[16 + N_CASES];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_base_loads);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_valid_variants_load);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_malformed_json);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_shipped_models_load);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_missing_file);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_name_must_match_file);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_model_find);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_quantity_parse);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_quantity_errors);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_unit_lookup);
    for (size_t i = 0; i < N_CASES; i++)
        tests[n++] = (struct CMUnitTest){CASES[i].name, test_reject, NULL, NULL, (void *)&CASES[i]};
    return _cmocka_run_group_tests("model_load", tests, n, NULL, NULL);
}
