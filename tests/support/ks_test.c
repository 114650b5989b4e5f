#include "ks_test.h"
#include <string.h>
#include "ketsim/model.h"
#include "ketsim/response.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void ks_assert_close(double got, double want, double rel_tol, double abs_tol, const char *expr,
                     const char *file, int line)
{
    double tol = abs_tol + rel_tol * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        print_error("%s:%d: %s = %.12g, expected %.12g (tolerance %.3g)\n", file, line, expr, got,
                    want, tol);
        _fail(file, line);
    }
}

int ks_test_small(void)
{
    const char *s = getenv("KS_TEST_SMALL");
    return s && *s && strcmp(s, "0") != 0;
}

const char *ks_test_path(const char *relative)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", KS_SOURCE_DIR, relative);
    return buf;
}

char *ks_test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

double ks_test_param(const ks_model *m, const char *name, const char **unit)
{
    for (size_t i = 0; i < ks_model_n_params(m); i++) {
        ks_param_info p;
        ks_model_param(m, i, &p);
        if (strcmp(p.name, name) == 0) {
            if (unit) *unit = p.unit;
            return p.value;
        }
    }
    fail_msg("no parameter %s", name);
    return NAN;
}

double *ks_test_pulse_drive(const ks_response_params *p, size_t n, double dt_h)
{
    double *occ = calloc(n, sizeof *occ), *D = calloc(n, sizeof *D);
    assert_non_null(occ);
    assert_non_null(D);
    for (size_t k = 0; k < n; k++) {
        double t = (double)k * dt_h;
        occ[k] = t <= 0.67 ? 0.5 * t / 0.67 : 0.5 * exp(-(t - 0.67) / 2.5);
    }
    ks_response_states st = {NULL, NULL, NULL, NULL, D, NULL};
    ks_error err = {0};
    assert_int_equal(ks_response_drive(p, occ, n, dt_h, &st, &err), KS_OK);
    free(occ);
    return D;
}
