/* Units: every conversion in ketsim lives here.
 * Internal units: h, mg, L, L/h, 1/h, mg/h; concentrations in ng/mL. */
#include "ketsim/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit_def {
    const char *symbol;
    ks_dim dim;
    double factor; /* value_internal = value * factor */
} unit_def;

static const unit_def UNITS[] = {
    {"1", KS_DIM_NONE, 1.0},
    {"-", KS_DIM_NONE, 1.0},
    {"fraction", KS_DIM_NONE, 1.0},
    {"%", KS_DIM_NONE, 0.01},
    {"h", KS_DIM_TIME, 1.0},
    {"hr", KS_DIM_TIME, 1.0},
    {"min", KS_DIM_TIME, 1.0 / 60.0},
    {"s", KS_DIM_TIME, 1.0 / 3600.0},
    {"d", KS_DIM_TIME, 24.0},
    {"day", KS_DIM_TIME, 24.0},
    {"days", KS_DIM_TIME, 24.0},
    {"w", KS_DIM_TIME, 168.0},
    {"wk", KS_DIM_TIME, 168.0},
    {"mg", KS_DIM_MASS, 1.0},
    {"g", KS_DIM_MASS, 1000.0},
    {"ug", KS_DIM_MASS, 1e-3},
    {"mg/kg", KS_DIM_MASS_PER_WEIGHT, 1.0},
    {"ug/kg", KS_DIM_MASS_PER_WEIGHT, 1e-3},
    {"L", KS_DIM_VOLUME, 1.0},
    {"mL", KS_DIM_VOLUME, 1e-3},
    {"L/kg", KS_DIM_VOLUME_PER_WEIGHT, 1.0},
    {"mL/kg", KS_DIM_VOLUME_PER_WEIGHT, 1e-3},
    {"L/h", KS_DIM_FLOW, 1.0},
    {"L/min", KS_DIM_FLOW, 60.0},
    {"mL/min", KS_DIM_FLOW, 0.06},
    {"mL/h", KS_DIM_FLOW, 1e-3},
    {"L/h/kg", KS_DIM_FLOW_PER_WEIGHT, 1.0},
    {"L/min/kg", KS_DIM_FLOW_PER_WEIGHT, 60.0},
    {"mL/min/kg", KS_DIM_FLOW_PER_WEIGHT, 0.06},
    {"1/h", KS_DIM_RATE, 1.0},
    {"/h", KS_DIM_RATE, 1.0},
    {"1/min", KS_DIM_RATE, 60.0},
    {"/min", KS_DIM_RATE, 60.0},
    {"1/d", KS_DIM_RATE, 1.0 / 24.0},
    {"mg/h", KS_DIM_MASS_RATE, 1.0},
    {"mg/min", KS_DIM_MASS_RATE, 60.0},
    {"ng/mL", KS_DIM_CONC, 1.0},
    {"ug/L", KS_DIM_CONC, 1.0},
    {"mg/L", KS_DIM_CONC, 1000.0},
    {"ug/mL", KS_DIM_CONC, 1000.0},
    {"kg", KS_DIM_WEIGHT, 1.0},
    {"y", KS_DIM_AGE, 1.0},
};

int ks_unit_lookup(const char *unit, ks_dim *dim, double *factor, ks_error *err)
{
    if (!unit) return ks_error_set(err, KS_EUNIT, "no unit given");
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (strcmp(UNITS[i].symbol, unit) == 0) {
            if (dim) *dim = UNITS[i].dim;
            if (factor) *factor = UNITS[i].factor;
            return KS_OK;
        }
    }
    return ks_error_set(err, KS_EUNIT, "unknown unit \"%s\"", unit);
}

const char *ks_dim_unit(ks_dim dim)
{
    switch (dim) {
    case KS_DIM_NONE:
        return "1";
    case KS_DIM_TIME:
        return "h";
    case KS_DIM_MASS:
        return "mg";
    case KS_DIM_MASS_PER_WEIGHT:
        return "mg/kg";
    case KS_DIM_VOLUME:
        return "L";
    case KS_DIM_VOLUME_PER_WEIGHT:
        return "L/kg";
    case KS_DIM_FLOW:
        return "L/h";
    case KS_DIM_FLOW_PER_WEIGHT:
        return "L/h/kg";
    case KS_DIM_RATE:
        return "1/h";
    case KS_DIM_MASS_RATE:
        return "mg/h";
    case KS_DIM_CONC:
        return "ng/mL";
    case KS_DIM_WEIGHT:
        return "kg";
    case KS_DIM_AGE:
        return "y";
    }
    return "?";
}

const char *ks_dim_name(ks_dim dim)
{
    switch (dim) {
    case KS_DIM_NONE:
        return "dimensionless";
    case KS_DIM_TIME:
        return "time";
    case KS_DIM_MASS:
        return "mass";
    case KS_DIM_MASS_PER_WEIGHT:
        return "mass per body weight";
    case KS_DIM_VOLUME:
        return "volume";
    case KS_DIM_VOLUME_PER_WEIGHT:
        return "volume per body weight";
    case KS_DIM_FLOW:
        return "clearance";
    case KS_DIM_FLOW_PER_WEIGHT:
        return "clearance per body weight";
    case KS_DIM_RATE:
        return "rate constant";
    case KS_DIM_MASS_RATE:
        return "mass per time";
    case KS_DIM_CONC:
        return "concentration";
    case KS_DIM_WEIGHT:
        return "body weight";
    case KS_DIM_AGE:
        return "age";
    }
    return "?";
}

/* Example units of a dimension, for error messages. */
static const char *dim_examples(ks_dim dim)
{
    switch (dim) {
    case KS_DIM_TIME:
        return "e.g. 40min, 2h, 3d";
    case KS_DIM_MASS:
        return "e.g. 56mg";
    case KS_DIM_MASS_PER_WEIGHT:
        return "e.g. 0.5mg/kg";
    case KS_DIM_CONC:
        return "e.g. 100ng/mL";
    case KS_DIM_WEIGHT:
        return "e.g. 70kg";
    default:
        return ks_dim_unit(dim);
    }
}

int ks_quantity_parse(const char *text, const ks_dim *allowed, int n_allowed, const char *what,
                      double *value, ks_dim *dim_out, ks_error *err)
{
    if (!what) what = "value";
    if (!text || !*text) return ks_error_set(err, KS_EPARSE, "%s: empty value", what);
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE || !isfinite(v))
        return ks_error_set(err, KS_EPARSE, "%s: \"%s\" does not start with a number", what, text);
    while (*end == ' ')
        end++;
    if (!*end) {
        if (n_allowed == 1 && allowed[0] == KS_DIM_NONE) {
            *value = v;
            if (dim_out) *dim_out = KS_DIM_NONE;
            return KS_OK;
        }
        return ks_error_set(err, KS_EUNIT, "%s: \"%s\" has no unit (%s)", what, text,
                            dim_examples(n_allowed > 0 ? allowed[0] : KS_DIM_NONE));
    }
    ks_dim dim;
    double factor;
    if (ks_unit_lookup(end, &dim, &factor, NULL) != KS_OK)
        return ks_error_set(err, KS_EUNIT, "%s: unknown unit \"%s\" in \"%s\" (%s)", what, end,
                            text, dim_examples(n_allowed > 0 ? allowed[0] : KS_DIM_NONE));
    for (int i = 0; i < n_allowed; i++) {
        if (allowed[i] == dim) {
            *value = v * factor;
            if (dim_out) *dim_out = dim;
            return KS_OK;
        }
    }
    return ks_error_set(err, KS_EUNIT, "%s: \"%s\" is a %s, expected a %s (%s)", what, text,
                        ks_dim_name(dim), ks_dim_name(n_allowed > 0 ? allowed[0] : KS_DIM_NONE),
                        dim_examples(n_allowed > 0 ? allowed[0] : KS_DIM_NONE));
}
