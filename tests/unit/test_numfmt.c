/* The fast table number formatter must print exactly what printf("%.10g") prints. */
#include "ks_test.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(double v)
{
    char fast[32], ref[32];
    ks_format_g10(v, fast);
    snprintf(ref, sizeof ref, "%.10g", v);
    if (strcmp(fast, ref)) fail_msg("%.17g: fast \"%s\" vs printf \"%s\"", v, fast, ref);
}

static void test_matches_printf(void **state)
{
    (void)state;
    double special[] = {0.0,
                        -0.0,
                        1.0,
                        -1.0,
                        0.5,
                        1e-4,
                        9.9999999995e-5,
                        1e-5,
                        1e10,
                        9999999999.5,
                        9999999999.4,
                        1e9,
                        123456789.05,
                        0.1,
                        0.3,
                        2.5,
                        1.0 / 3,
                        2.0 / 3,
                        240.3308107,
                        1234567890.0,
                        0.000123456789012,
                        5e-324,
                        1.7976931348623157e308};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        check(special[i]);
    /* Random magnitudes from 1e-25 to 1e25 (fast path and both fallbacks), both signs. */
    for (int i = 0; i < 2000000; i++) {
        double u = (double)(next() >> 11) / 9007199254740992.0;
        double v = pow(10.0, -25 + 50 * u);
        if (next() & 1) v = -v;
        check(v);
        /* Values on a 5-minute grid in hours, as the time column holds. */
        check(i / 12.0);
    }
    /* Decimal ties and near-ties at the tenth digit. */
    for (int i = 0; i < 200000; i++) {
        double base = (double)(next() % 9000000000ULL + 1000000000ULL);
        int shift = (int)(next() % 40) - 20;
        check((base + 0.5) * pow(10.0, shift - 10));
        check(nextafter((base + 0.5) * pow(10.0, shift - 10), 0));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_printf)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
