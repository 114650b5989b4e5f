/* Small test models as JSON text (docs/model-format.md). Every number here is a test
 * value, not a published one: the citations say so. */
#ifndef KS_MODELS_TEST_H
#define KS_MODELS_TEST_H

// clang-format off: JSON text laid out by hand

#define KS_TEST_HEADER(name_)                                                                      \
    "{\"format\":\"ketsim-model/1\",\"name\":\"" name_ "\",\"title\":\"test\",\"drug\":\"test\","  \
    "\"source\":\"t\",\"citations\":{\"t\":{\"authors\":\"ketsim tests\",\"year\":2026,"           \
    "\"doi_note\":\"synthetic test "                                                               \
    "model\",\"where_read\":\"tests\",\"verification\":\"derived\"}},"                             \
    "\"population\":{\"description\":\"none\"},\"sampling_site\":\"unknown\","

#define KS_P(name_, value_, unit_)                                                                 \
    "\"" name_ "\":{\"value\":" #value_ ",\"unit\":\"" unit_ "\",\"source\":\"t\","                \
    "\"verification\":\"derived\"}"

/* 1-compartment: iv and oral (ka, lag, F). */
static const char MODEL_1CMT[] = KS_TEST_HEADER(
    "one") "\"analytes\":{\"drug\":{\"molar_mass_g_mol\":200,\"source\":\"test\"}},"
           "\"parameters\":{" KS_P("V", 20, "L") "," KS_P("CL", 2, "L/h") "," KS_P(
               "KA", 1.5,
               "1/h") "," KS_P("LAG", 0.25,
                               "h") "," KS_P("F", 0.7,
                                             "fraction") "},"
                                                         "\"compartments\":{\"central\":{"
                                                         "\"analyte\":\"drug\",\"volume\":\"V\","
                                                         "\"observed\":true},"
                                                         "\"depot\":{\"analyte\":\"drug\",\"kind\":"
                                                         "\"depot\"}},"
                                                         "\"flows\":[{\"from\":\"central\","
                                                         "\"clearance\":\"CL\"},"
                                                         "{\"from\":\"depot\",\"to\":\"central\","
                                                         "\"rate\":\"KA\"}],"
                                                         "\"routes\":{\"iv\":{\"description\":"
                                                         "\"iv\",\"pathways\":[{\"to\":\"central\","
                                                         "\"input\":\"user\"}]},"
                                                         "\"oral\":{\"description\":\"oral\","
                                                         "\"pathways\":[{\"to\":\"depot\","
                                                         "\"bioavailability\":\"F\","
                                                         "\"lag\":\"LAG\"}]}}}";

/* 1-compartment oral with KA exactly equal to CL/V (= 0.1 1/h). */
static const char MODEL_KA_EQ_K[] = KS_TEST_HEADER(
    "kaeqk") "\"analytes\":{\"drug\":{\"molar_mass_g_mol\":200,\"source\":\"test\"}},"
             "\"parameters\":{" KS_P("V", 20, "L") "," KS_P("CL", 2, "L/h") "," KS_P(
                 "KA", 0.1, "1/h") "},"
                                   "\"compartments\":{\"central\":{\"analyte\":\"drug\",\"volume\":"
                                   "\"V\",\"observed\":true},"
                                   "\"depot\":{\"analyte\":\"drug\",\"kind\":\"depot\"}},"
                                   "\"flows\":[{\"from\":\"central\",\"clearance\":\"CL\"},"
                                   "{\"from\":\"depot\",\"to\":\"central\",\"rate\":\"KA\"}],"
                                   "\"routes\":{\"oral\":{\"description\":\"oral\",\"pathways\":[{"
                                   "\"to\":\"depot\"}]}}}";

/* 2-compartment iv with weight scaling. */
static const char MODEL_2CMT[] = KS_TEST_HEADER(
    "two") "\"covariates\":{\"weight\":{\"unit\":\"kg\"}},"
           "\"analytes\":{\"drug\":{\"molar_mass_g_mol\":200,\"source\":\"test\"}},"
           "\"parameters\":{" KS_P("V1", 38.7, "L") "," KS_P(
               "V2", 102,
               "L") ","
                    "\"CL\":{\"value\":90,\"unit\":\"L/"
                    "h\",\"source\":\"t\",\"verification\":\"derived\","
                    "\"covariates\":[{\"type\":\"power\",\"covariate\":\"weight\",\"reference\":70,"
                    "\"exponent\":0.75}]}," KS_P(
                        "Q", 215,
                        "L/h") "},"
                               "\"compartments\":{\"central\":{\"analyte\":\"drug\",\"volume\":"
                               "\"V1\",\"observed\":true},"
                               "\"periph\":{\"analyte\":\"drug\",\"volume\":\"V2\"}},"
                               "\"flows\":[{\"from\":\"central\",\"clearance\":\"CL\"},"
                               "{\"from\":\"central\",\"to\":\"periph\",\"clearance\":\"Q\"},"
                               "{\"from\":\"periph\",\"to\":\"central\",\"clearance\":\"Q\"}],"
                               "\"routes\":{\"iv\":{\"description\":\"iv\",\"pathways\":[{\"to\":"
                               "\"central\",\"input\":\"user\"}]}}}";

/* 3-compartment iv in micro-constants per minute, V1 per kg, effect site. */
static const char MODEL_3CMT[] = KS_TEST_HEADER(
    "three") "\"covariates\":{\"weight\":{\"unit\":\"kg\"}},"
             "\"analytes\":{\"drug\":{\"molar_mass_g_mol\":200,\"source\":\"test\"}},"
             "\"parameters\":{" KS_P("V1", 0.063, "L/kg") "," KS_P("k10", 0.4381, "1/min") "," KS_P("k12", 0.5921, "1/min") "," KS_P(
                 "k13", 0.59,
                 "1/min") "," KS_P("k21", 0.247,
                                   "1/min") "," KS_P("k31", 0.0146,
                                                     "1/min") "," KS_P("ke0", 0.652,
                                                                       "1/min") "},"
                                                                                "\"compartments\":{"
                                                                                "\"central\":{"
                                                                                "\"analyte\":"
                                                                                "\"drug\","
                                                                                "\"volume\":\"V1\","
                                                                                "\"observed\":true}"
                                                                                ","
                                                                                "\"p2\":{"
                                                                                "\"analyte\":"
                                                                                "\"drug\"},\"p3\":{"
                                                                                "\"analyte\":"
                                                                                "\"drug\"}},"
                                                                                "\"flows\":[{"
                                                                                "\"from\":"
                                                                                "\"central\","
                                                                                "\"rate\":\"k10\"},"
                                                                                "{\"from\":"
                                                                                "\"central\","
                                                                                "\"to\":\"p2\","
                                                                                "\"rate\":\"k12\"},"
                                                                                "{\"from\":\"p2\","
                                                                                "\"to\":"
                                                                                "\"central\","
                                                                                "\"rate\":\"k21\"},"
                                                                                "{\"from\":"
                                                                                "\"central\","
                                                                                "\"to\":\"p3\","
                                                                                "\"rate\":\"k13\"},"
                                                                                "{\"from\":\"p3\","
                                                                                "\"to\":"
                                                                                "\"central\","
                                                                                "\"rate\":\"k31\"}]"
                                                                                ","
                                                                                "\"effect_sites\":{"
                                                                                "\"effect\":{"
                                                                                "\"of\":"
                                                                                "\"central\","
                                                                                "\"ke0\":\"ke0\"}},"
                                                                                "\"routes\":{"
                                                                                "\"iv\":{"
                                                                                "\"description\":"
                                                                                "\"iv\","
                                                                                "\"pathways\":[{"
                                                                                "\"to\":"
                                                                                "\"central\","
                                                                                "\"input\":"
                                                                                "\"user\"}]}}}";

/* Parent (2-cmt) + metabolite (2-cmt), molar formation of 60 % of CL through a
 * 3-compartment transit chain, effect sites on both. */
static const char MODEL_METAB[] = KS_TEST_HEADER(
    "metab") "\"analytes\":{\"parent\":{\"molar_mass_g_mol\":237.73,\"source\":\"test\"},"
             "\"metab\":{\"molar_mass_g_mol\":223.70,\"source\":\"test\"}},"
             "\"parameters\":{" KS_P("V1", 60, "L") "," KS_P("V2", 150, "L") "," KS_P("CL", 80, "L/h") "," KS_P("Q", 120, "L/h") "," KS_P("FM", 0.6, "fraction") "," KS_P(
                 "MTT", 20,
                 "min") "," KS_P("VM1", 100,
                                 "L") "," KS_P("VM2", 200,
                                               "L") "," KS_P("CLM", 40,
                                                             "L/h") "," KS_P("QM", 30,
                                                                             "L/h") "," KS_P("TKE0",
                                                                                             6.1,
                                                                                             "min") "," KS_P("KE0M",
                                                                                                             0.05,
                                                                                                             "1/min") "},"
                                                                                                                      "\"compartments\":{\"central\":{\"analyte\":\"parent\",\"volume\":\"V1\",\"observed\":true},"
                                                                                                                      "\"periph\":{\"analyte\":\"parent\",\"volume\":\"V2\"},"
                                                                                                                      "\"m_central\":{\"analyte\":\"metab\",\"volume\":\"VM1\",\"observed\":true},"
                                                                                                                      "\"m_periph\":{\"analyte\":\"metab\",\"volume\":\"VM2\"}},"
                                                                                                                      "\"flows\":[{\"from\":\"central\",\"to\":\"m_central\",\"clearance\":\"CL\",\"fraction\":\"FM\","
                                                                                                                      "\"conversion\":\"molar\",\"transit\":{\"n\":3,\"mtt\":\"MTT\"}},"
                                                                                                                      "{\"from\":\"central\",\"to\":\"periph\",\"clearance\":\"Q\"},{\"from\":\"periph\",\"to\":\"central\",\"clearance\":\"Q\"},"
                                                                                                                      "{\"from\":\"m_central\",\"clearance\":\"CLM\"},"
                                                                                                                      "{\"from\":\"m_central\",\"to\":\"m_periph\",\"clearance\":\"QM\"},{\"from\":\"m_periph\",\"to\":\"m_central\",\"clearance\":\"QM\"}],"
                                                                                                                      "\"effect_sites\":{\"e_parent\":{\"of\":\"central\",\"t_half_ke0\":\"TKE0\"},"
                                                                                                                      "\"e_metab\":{\"of\":\"m_central\",\"ke0\":\"KE0M\"}},"
                                                                                                                      "\"routes\":{\"iv\":{\"description\":\"iv\",\"pathways\":[{\"to\":\"central\",\"input\":\"user\"}]}}}";

// clang-format on
#endif
