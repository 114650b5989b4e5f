/* libFuzzer target for the regimen parsers (text and JSON).
 *
 * Every input is parsed as regimen text and as a JSON regimen. Besides crashes and
 * sanitizer reports, a broken invariant aborts: a parsed regimen has 1 to
 * KS_REGIMEN_MAX_DOSES doses at finite, strictly increasing times within the course,
 * no infusion overlapping the next, and converts to ks_dose values; a rejected one
 * leaves *out NULL and a one-line message that starts with its position.
 *
 * Build (tests/cli/test_fuzz_regimen.sh does this and runs it for a bounded time):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       tests/fuzz/fuzz_regimen.c src/regimen/regimen.c src/units/units.c \
 *       src/core/error.c $(pkg-config --cflags --libs jansson) -lm -o fuzz_regimen
 *   ./fuzz_regimen -dict=tests/fuzz/regimen.dict CORPUS_DIR
 */
#include "ketsim/regimen.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, ks_regimen *r, const ks_error *err, int json)
{
    if (rc != KS_OK) {
        if (r || err->code != rc || !err->msg[0] || strchr(err->msg, '\n')) abort();
        /* Text errors start with the position, JSON errors with the name. */
        if (!json && strncmp(err->msg, "character ", 10) != 0 && rc != KS_ENOMEM) abort();
        if (json && strncmp(err->msg, "fuzz: ", 6) != 0 && rc != KS_ENOMEM) abort();
        return;
    }
    size_t n = ks_regimen_n_doses(r);
    if (!r || n < 1 || n > KS_REGIMEN_MAX_DOSES) abort();
    double end = ks_regimen_end_h(r);
    for (size_t i = 0; i < n; i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(r, i);
        if (!d || !isfinite(d->time_h) || d->time_h < 0 || d->time_h > KS_REGIMEN_MAX_HOURS ||
            !(d->amount > 0) || !isfinite(d->amount) || !(d->duration_h >= 0) || !d->route ||
            !d->route[0] || d->time_h > end)
            abort();
        if (i > 0) {
            const ks_regimen_dose *p = ks_regimen_dose_get(r, i - 1);
            if (!(d->time_h > p->time_h)) abort();
            double pe = p->time_h + p->duration_h;
            if (d->time_h < pe - 1e-9 * fmax(1.0, pe)) abort();
        }
        if (ks_regimen_start_kind(r)) {
            ks_datetime t;
            int wd;
            if (ks_regimen_calendar(r, d->time_h, &t, &wd, NULL) != KS_OK) abort();
            if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour < 0 ||
                t.hour > 23 || t.minute < 0 || t.minute > 59 || wd < 0 || wd > 6)
                abort();
        }
    }
    if (ks_regimen_dose_get(r, n)) abort();
    ks_dose *doses = malloc(n * sizeof *doses);
    if (doses) {
        ks_error e = {0};
        if (ks_regimen_to_doses(r, 70.0, doses, n, &e) != KS_OK) abort();
        for (size_t i = 0; i < n; i++)
            if (!(doses[i].amount_mg > 0) || !isfinite(doses[i].amount_mg)) abort();
        free(doses);
    }
    ks_regimen_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    ks_regimen *r = NULL;
    ks_error err = {0};
    int rc = ks_regimen_parse(s, &r, &err);
    check(rc, r, &err, 0);
    r = NULL;
    memset(&err, 0, sizeof err);
    rc = ks_regimen_parse_json(s, "fuzz", &r, &err);
    check(rc, r, &err, 1);
    free(s);
    return 0;
}
