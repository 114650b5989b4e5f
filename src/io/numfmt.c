/* printf("%.10g") without printf's multi-precision conversion, which dominated the
 * time of writing a table. The ten significant digits come from one long-double
 * multiplication; when the result lies too close to a rounding boundary to be sure
 * of the last digit, the number goes through snprintf instead, so the output is
 * always the same as printf's (tests/unit/test_numfmt.c checks millions of values). */
#include "io/numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const long double POW10[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,
                                    1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L,
                                    1e16L, 1e17L, 1e18L, 1e19L, 1e20L};

static size_t slow(double v, char *buf)
{
    return (size_t)snprintf(buf, 32, "%.10g", v);
}

/* Digits of m (exactly `n` of them, with leading zeros) into out. */
static void put_digits(uint64_t m, int n, char *out)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + m % 10);
        m /= 10;
    }
}

size_t ks_format_g10(double v, char *buf)
{
    if (v == 0.0) return slow(v, buf); /* "0" or "-0" */
    double a = fabs(v);
    /* The fast path covers the fixed-notation range of %.10g (1e-4 <= |v| < 1e10)
     * with the power of ten exactly representable. */
    if (!(a >= 1e-4 && a < 1e10)) return slow(v, buf);
    int e = (int)floor(log10(a));
    if (e < -4 || e > 9) return slow(v, buf);
    /* scaled = a * 10^(9 - e), in [1e9, 1e10) up to the log10 estimate. */
    long double scaled = 9 - e >= 0 ? (long double)a * POW10[9 - e] : (long double)a / POW10[e - 9];
    if (scaled >= 1e10L) { e++; scaled /= 10; }
    if (scaled < 1e9L) { e--; scaled *= 10; }
    if (e < -4 || e > 9) return slow(v, buf);
    long double fl = floorl(scaled), frac = scaled - fl;
    /* Too near a half to trust the last digit of a 64-bit-mantissa product: defer. */
    if (fabsl(frac - 0.5L) < 1e-6L) return slow(v, buf);
    uint64_t m = (uint64_t)fl + (frac > 0.5L);
    if (m >= 10000000000ULL) { m /= 10; e++; if (e > 9) return slow(v, buf); }
    char digits[10];
    put_digits(m, 10, digits);
    int nd = 10;
    while (nd > 1 && digits[nd - 1] == '0') nd--; /* %g drops trailing zeros */
    size_t k = 0;
    if (v < 0) buf[k++] = '-';
    if (e >= 0) {
        int int_digits = e + 1;
        for (int i = 0; i < int_digits; i++) buf[k++] = i < nd ? digits[i] : '0';
        if (nd > int_digits) {
            buf[k++] = '.';
            for (int i = int_digits; i < nd; i++) buf[k++] = digits[i];
        }
    } else {
        buf[k++] = '0';
        buf[k++] = '.';
        for (int i = 0; i < -e - 1; i++) buf[k++] = '0';
        for (int i = 0; i < nd; i++) buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return k;
}
