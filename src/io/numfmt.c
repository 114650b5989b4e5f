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

/* Powers of ten that long double (64-bit mantissa) holds exactly: 5^27 < 2^63. */
#define MAX_POW 27

static long double pow10_exact(int k)
{
    long double p = 1.0L;
    for (int i = 0; i < k; i++)
        p *= 10.0L;
    return p;
}

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

/* The ten significant digits of a (> 0) and its decimal exponent; 0 when the last
 * digit cannot be trusted (near a rounding half) or the range is not covered. */
static int ten_digits(double a, uint64_t *m_out, int *e_out)
{
    int e = (int)floor(log10(a));
    int k = 9 - e; /* scale by 10^k */
    if (k > MAX_POW || -k > MAX_POW) return 0;
    long double scaled =
        k >= 0 ? (long double)a * pow10_exact(k) : (long double)a / pow10_exact(-k);
    if (scaled >= 1e10L) {
        e++;
        scaled /= 10;
    }
    if (scaled < 1e9L) {
        e--;
        scaled *= 10;
    }
    long double fl = floorl(scaled), frac = scaled - fl;
    if (fabsl(frac - 0.5L) < 1e-6L) return 0;
    uint64_t m = (uint64_t)fl + (frac > 0.5L);
    if (m >= 10000000000ULL) {
        m /= 10;
        e++;
    }
    *m_out = m;
    *e_out = e;
    return 1;
}

size_t ks_format_g10(double v, char *buf)
{
    if (v == 0.0) return slow(v, buf); /* "0" or "-0" */
    uint64_t m;
    int e;
    if (!ten_digits(fabs(v), &m, &e)) return slow(v, buf);
    char digits[10];
    put_digits(m, 10, digits);
    int nd = 10;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--; /* %g drops trailing zeros */
    size_t k = 0;
    if (v < 0) buf[k++] = '-';
    if (e < -4 || e >= 10) { /* %g's exponent form: d.ddde-05 */
        buf[k++] = digits[0];
        if (nd > 1) {
            buf[k++] = '.';
            for (int i = 1; i < nd; i++)
                buf[k++] = digits[i];
        }
        buf[k++] = 'e';
        buf[k++] = e < 0 ? '-' : '+';
        int ae = e < 0 ? -e : e;
        if (ae >= 100) buf[k++] = (char)('0' + ae / 100);
        buf[k++] = (char)('0' + ae / 10 % 10);
        buf[k++] = (char)('0' + ae % 10);
    } else if (e >= 0) {
        int int_digits = e + 1;
        for (int i = 0; i < int_digits; i++)
            buf[k++] = i < nd ? digits[i] : '0';
        if (nd > int_digits) {
            buf[k++] = '.';
            for (int i = int_digits; i < nd; i++)
                buf[k++] = digits[i];
        }
    } else {
        buf[k++] = '0';
        buf[k++] = '.';
        for (int i = 0; i < -e - 1; i++)
            buf[k++] = '0';
        for (int i = 0; i < nd; i++)
            buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return k;
}
