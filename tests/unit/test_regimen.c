/* Regimens: the issue's examples expand to exactly the expected doses, the documented
 * rules hold (count vs duration, N/week days, weekday windows, pauses), mg/kg becomes
 * mg only with a weight, and every malformed regimen is rejected with its position. */
#include "ks_test.h"
#include "ketsim/regimen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ks_regimen *parse_ok(const char *text)
{
    ks_regimen *r = NULL;
    ks_error err = {0};
    int rc = ks_regimen_parse(text, &r, &err);
    if (rc) fail_msg("\"%s\": %s", text, err.msg);
    assert_non_null(r);
    return r;
}

/* The regimen's doses are exactly at `days` (whole days from the start, at the
 * start's clock time), in order. */
static void assert_days(const ks_regimen *r, const double *days, size_t n)
{
    if (ks_regimen_n_doses(r) != n) fail_msg("%zu doses, expected %zu", ks_regimen_n_doses(r), n);
    for (size_t i = 0; i < n; i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(r, i);
        if (fabs(d->time_h - 24.0 * days[i]) > 1e-9)
            fail_msg("dose %zu at %.12g h (day %.6g), expected day %g", i + 1, d->time_h,
                     d->time_h / 24, days[i]);
    }
    assert_null(ks_regimen_dose_get(r, n));
}

static void expect_days(const char *text, const double *days, size_t n, double end_day)
{
    ks_regimen *r = parse_ok(text);
    assert_days(r, days, n);
    KS_ASSERT_CLOSE(ks_regimen_end_h(r), 24.0 * end_day, 0, 1e-9);
    ks_regimen_free(r);
}

#define DAYS(...)                                                                                  \
    (const double[]){__VA_ARGS__}, sizeof((const double[]){__VA_ARGS__}) / sizeof(double)

/* ---------------------------------------------------------------- the issue's examples */

static void test_issue_example_1(void **state)
{
    (void)state;
    /* 2026-11-30 is a Monday: mon,wed,fri for 2 weeks = days 0,2,4,7,9,11; the window
     * ends on day 14, where "every 1w x 4" starts: days 14,21,28,35; it ends on day 42. */
    const char *text =
        "0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; then every 1w x 4";
    ks_regimen *r = parse_ok(text);
    assert_days(r, DAYS(0, 2, 4, 7, 9, 11, 14, 21, 28, 35));
    KS_ASSERT_CLOSE(ks_regimen_end_h(r), 42 * 24.0, 0, 1e-9);
    for (size_t i = 0; i < ks_regimen_n_doses(r); i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(r, i);
        assert_true(d->per_kg);
        KS_ASSERT_CLOSE(d->amount, 0.5, 0, 0);
        KS_ASSERT_CLOSE(d->duration_h, 40.0 / 60.0, 1e-15, 0);
        assert_string_equal(d->route, "iv");
    }
    assert_int_equal(ks_regimen_start_kind(r), 2);
    /* Calendar: every dose at 09:00 on a mon, wed or fri; the last on 2027-01-04. */
    const char *wd[] = {"mon", "wed", "fri", "mon", "wed", "fri", "mon", "mon", "mon", "mon"};
    for (size_t i = 0; i < 10; i++) {
        ks_datetime t;
        int w;
        assert_int_equal(ks_regimen_calendar(r, ks_regimen_dose_get(r, i)->time_h, &t, &w, NULL),
                         KS_OK);
        assert_string_equal(ks_weekday_name(w), wd[i]);
        assert_int_equal(t.hour, 9);
        assert_int_equal(t.minute, 0);
    }
    ks_datetime last;
    ks_regimen_calendar(r, 35 * 24.0, &last, NULL, NULL);
    assert_int_equal(last.year, 2027);
    assert_int_equal(last.month, 1);
    assert_int_equal(last.day, 4);
    ks_regimen_free(r);

    /* Starting on a Wednesday, the first week runs Wed..Tue: Wed, Fri, Mon, Wed, Fri, Mon
     * (days 0,2,5,7,9,12), then weekly from day 14. */
    expect_days("0.5mg/kg iv over 40min; start 2026-12-02; mon,wed,fri x 2w; then every 1w x 4",
                DAYS(0, 2, 5, 7, 9, 12, 14, 21, 28, 35), 42);
    /* The start clause may come anywhere; "then" is optional; keywords ignore case. */
    expect_days("start 2026-11-30; 0.5mg/kg iv over 40min; MON, Wed, friday x 2w; Every 1w X 4",
                DAYS(0, 2, 4, 7, 9, 11, 14, 21, 28, 35), 42);
}

static void test_issue_example_2(void **state)
{
    (void)state;
    /* 2/week = days 0 and 3 of each week: 0,3,7,10,14,17,21,24; 1/week x 4w from day 28:
     * 28,35,42,49; every 2w x 8w from day 56: 56,70,84,98; the course ends on day 112. */
    const char *text = "84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w";
    ks_regimen *r = parse_ok(text);
    assert_days(r, DAYS(0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49, 56, 70, 84, 98));
    KS_ASSERT_CLOSE(ks_regimen_end_h(r), 112 * 24.0, 0, 1e-9);
    const ks_regimen_dose *d = ks_regimen_dose_get(r, 15);
    assert_false(d->per_kg);
    KS_ASSERT_CLOSE(d->amount, 84, 0, 0);
    KS_ASSERT_CLOSE(d->duration_h, 0, 0, 0);
    assert_string_equal(d->route, "nasal");
    assert_int_equal(ks_regimen_start_kind(r), 0);
    ks_datetime t;
    ks_error err = {0};
    assert_int_equal(ks_regimen_calendar(r, 0, &t, NULL, &err), KS_ESTATE);
    assert_int_equal(ks_regimen_start(r, &t, &err), KS_ESTATE);
    ks_regimen_free(r);
}

/* ---------------------------------------------------------------- documented rules */

static void test_count_and_duration(void **state)
{
    (void)state;
    /* x COUNT: that many doses; the clause ends where the next would be. */
    expect_days("84mg nasal; every 1w x 4", DAYS(0, 7, 14, 21), 28);
    expect_days("84mg nasal; every 1w x 4; every 1d x 1", DAYS(0, 7, 14, 21, 28), 29);
    /* x DURATION: the doses that start before the window ends; ends at the window end. */
    expect_days("84mg nasal; every 2w x 8w", DAYS(0, 14, 28, 42), 56);
    expect_days("84mg nasal; every 3d x 1w; every 1d x 1", DAYS(0, 3, 6, 7), 8);
    expect_days("84mg nasal; every 2 weeks x 8 weeks", DAYS(0, 14, 28, 42), 56);
    expect_days("84mg nasal; every 12h x 2d", DAYS(0, 0.5, 1, 1.5), 2);
    expect_days("84mg nasal; every 20min x 1h", DAYS(0, 1.0 / 72, 2.0 / 72), 1.0 / 24);
    /* N/week with a count: the next dose would be on day 10. */
    expect_days("84mg nasal; 2/week x 3; then every 1w x 2", DAYS(0, 3, 7, 10, 17), 24);
    /* Weekday count: mon, fri, mon; the next (fri) would be day 11. */
    expect_days("84mg nasal; start 2026-11-30; mon,fri x 3; every 1d x 1", DAYS(0, 4, 7, 11), 12);
    /* No schedule: one dose at time 0. */
    expect_days("84mg nasal", DAYS(0), 0);
    /* A pause moves the next clause on. */
    expect_days("84mg nasal; every 1d x 2; pause 1w; every 1d x 2", DAYS(0, 1, 9, 10), 11);
    expect_days("84mg nasal; pause 1w; 3/week x 4", DAYS(7, 9, 11, 14), 16);
}

static void test_per_week_days(void **state)
{
    (void)state;
    /* floor(7 k / N) for k = 0..N-1. */
    expect_days("84mg nasal; 1/week x 2w", DAYS(0, 7), 14);
    expect_days("84mg nasal; 2/week x 1w", DAYS(0, 3), 7);
    expect_days("84mg nasal; 3/week x 1w", DAYS(0, 2, 4), 7);
    expect_days("84mg nasal; 4/week x 1w", DAYS(0, 1, 3, 5), 7);
    expect_days("84mg nasal; 5/week x 1w", DAYS(0, 1, 2, 4, 5), 7);
    expect_days("84mg nasal; 6/week x 1w", DAYS(0, 1, 2, 3, 4, 5), 7);
    expect_days("84mg nasal; 7/week x 1w", DAYS(0, 1, 2, 3, 4, 5, 6), 7);
    expect_days("84mg nasal; 2/week x 10d", DAYS(0, 3, 7), 10);
    expect_days("84mg nasal; 2 / week x 4", DAYS(0, 3, 7, 10), 14);
}

static void test_weekday_windows(void **state)
{
    (void)state;
    /* Weekday doses fall on whole days from the course start, at or after the clause
     * start: after 36 h (day 1.5) the first candidate is day 2. 2026-11-30 is a Monday. */
    expect_days("84mg nasal; start 2026-11-30 08:00; every 36h x 1; wed,thu x 1w", DAYS(0, 2, 3),
                8.5);
    /* A Sunday start; tue/thu only. */
    expect_days("84mg nasal; start 2026-11-29; tue,thu x 2w", DAYS(2, 4, 9, 11), 14);
    /* Leap day and the clock: 2028-02-28 23:30 + 1 h is Tuesday 2028-02-29 00:30. */
    ks_regimen *r = parse_ok("84mg nasal; start 2028-02-28 23:30");
    ks_datetime t;
    int wd;
    assert_int_equal(ks_regimen_calendar(r, 1.0, &t, &wd, NULL), KS_OK);
    assert_int_equal(t.year, 2028);
    assert_int_equal(t.month, 2);
    assert_int_equal(t.day, 29);
    assert_int_equal(t.hour, 0);
    assert_int_equal(t.minute, 30);
    assert_string_equal(ks_weekday_name(wd), "tue");
    assert_int_equal(ks_regimen_calendar(r, 24.0 * 366, &t, &wd, NULL), KS_OK);
    assert_int_equal(t.year, 2029);
    assert_int_equal(t.month, 2);
    assert_int_equal(t.day, 28);
    assert_int_equal(ks_regimen_calendar(r, -1.0, &t, &wd, NULL), KS_EINVAL);
    assert_int_equal(ks_regimen_start_kind(r), 2);
    ks_regimen_free(r);
    r = parse_ok("84mg nasal; start 2026-11-30");
    assert_int_equal(ks_regimen_start_kind(r), 1);
    assert_int_equal(ks_regimen_start(r, &t, NULL), KS_OK);
    assert_int_equal(t.day, 30);
    assert_int_equal(t.hour, 0);
    ks_regimen_free(r);
    assert_string_equal(ks_weekday_name(6), "sun");
    assert_string_equal(ks_weekday_name(7), "?");
}

static void test_units_and_infusions(void **state)
{
    (void)state;
    ks_regimen *r = parse_ok("0.5 mg/kg iv over 2 h; every 1d x 2");
    KS_ASSERT_CLOSE(ks_regimen_dose_get(r, 0)->duration_h, 2.0, 0, 0);
    assert_true(ks_regimen_dose_get(r, 0)->per_kg);
    ks_regimen_free(r);
    r = parse_ok("500ug nasal");
    KS_ASSERT_CLOSE(ks_regimen_dose_get(r, 0)->amount, 0.5, 1e-15, 0);
    assert_false(ks_regimen_dose_get(r, 0)->per_kg);
    ks_regimen_free(r);
    /* Back-to-back infusions are allowed (the next starts as the previous ends). */
    r = parse_ok("0.5mg/kg iv over 40min; every 40min x 3");
    assert_int_equal(ks_regimen_n_doses(r), 3);
    ks_regimen_free(r);
}

static void test_mg_per_kg_to_mg(void **state)
{
    (void)state;
    ks_regimen *r = parse_ok("0.5mg/kg iv over 40min; every 2d x 3");
    ks_dose d[3];
    ks_error err = {0};
    assert_int_equal(ks_regimen_to_doses(r, 70, d, 3, &err), KS_OK);
    for (int i = 0; i < 3; i++) {
        KS_ASSERT_CLOSE(d[i].amount_mg, 35, 1e-15, 0);
        KS_ASSERT_CLOSE(d[i].time_h, 48.0 * i, 0, 0);
        KS_ASSERT_CLOSE(d[i].duration_h, 40.0 / 60, 1e-15, 0);
        assert_string_equal(d[i].route, "iv");
    }
    /* mg/kg without a weight, or with an impossible one. */
    assert_int_equal(ks_regimen_to_doses(r, NAN, d, 3, &err), KS_EINVAL);
    assert_non_null(strstr(err.msg, "weight"));
    assert_int_equal(ks_regimen_to_doses(r, 0, d, 3, &err), KS_EINVAL);
    assert_int_equal(ks_regimen_to_doses(r, INFINITY, d, 3, &err), KS_EINVAL);
    /* Too little room. */
    assert_int_equal(ks_regimen_to_doses(r, 70, d, 2, &err), KS_EINVAL);
    ks_regimen_free(r);
    /* mg doses need no weight. */
    r = parse_ok("84mg nasal; every 1w x 2");
    assert_int_equal(ks_regimen_to_doses(r, NAN, d, 3, &err), KS_OK);
    KS_ASSERT_CLOSE(d[1].amount_mg, 84, 0, 0);
    KS_ASSERT_CLOSE(d[1].time_h, 168, 0, 0);
    ks_regimen_free(r);
}

/* ---------------------------------------------------------------- malformed */

typedef struct bad_case {
    const char *text;
    int code;
    size_t pos;        /* 1-based character of the offending token */
    const char *token; /* as quoted in the message, or "end of ..." */
    const char *words; /* part of the explanation */
} bad_case;

static const bad_case BAD[] = {
    /* the issue's list */
    {"0.5mg/kg iv over 40min; start 2026-11-30; mon,wen,fri x 2w", KS_EPARSE, 47, "\"wen\"",
     "unknown weekday"},
    {"0.5mg/kg iv over 40min; start 2026-11-30; wen x 2w", KS_EPARSE, 43, "\"wen\"",
     "unknown weekday"},
    {"84mg nasal; every 0w x 4", KS_EINVAL, 19, "\"0w\"", "zero interval"},
    {"84mg nasal; every 0 min x 4", KS_EINVAL, 19, "\"0 min\"", "zero interval"},
    {"84mg nasal; every 1w x 0", KS_EINVAL, 24, "\"0\"", "count of zero"},
    {"84mg nasal; 0/week x 4w", KS_EINVAL, 13, "\"0\"", "count of zero"},
    {"84mg nasal; every 1fortnight x 4", KS_EUNIT, 20, "\"fortnight\"", "unknown unit"},
    {"84mgs nasal", KS_EUNIT, 3, "\"mgs\"", "unknown unit"},
    {"0.5mg/kg iv over 40min; every 30min x 4", KS_EINVAL, 25, "\"every\"",
     "overlapping infusions"},
    {"0.5mg/kg iv over 2h; every 1h x 1; every 1d x 2", KS_EINVAL, 36, "\"every\"",
     "overlapping infusions"},
    {"84mg; every 1w x 4", KS_EPARSE, 5, "end of clause", "no route"},
    {"84mg", KS_EPARSE, 5, "end of text", "no route"},
    {"84mg over 40min", KS_EPARSE, 6, "\"over\"", "route"},
    {"84mg nasal; every 1w x 4 please", KS_EPARSE, 26, "\"please\"", "unexpected text"},
    {"84mg nasal now", KS_EPARSE, 12, "\"now\"", "unexpected text"},
    /* weekday lists without a start date */
    {"0.5mg/kg iv over 40min; mon,wed,fri x 2w; then every 1w x 4", KS_EINVAL, 25, "\"mon\"",
     "start date"},
    /* numbers, counts, units */
    {"84mg nasal; every 1w x 2.5", KS_EINVAL, 24, "\"2.5\"", "whole number"},
    {"84 nasal", KS_EUNIT, 1, "\"84\"", "no unit"},
    {"84mg nasal; every 1 x 4", KS_EUNIT, 19, "\"1\"", "no unit"},
    {"84mg nasal; every 1mg x 4", KS_EUNIT, 20, "\"mg\"", "time"},
    {"84mg nasal; every 1w x 4mg", KS_EUNIT, 25, "\"mg\"", "time unit"},
    {"84min nasal", KS_EUNIT, 3, "\"min\"", "mass"},
    {"0mg nasal", KS_EINVAL, 1, "\"0mg\"", "positive"},
    {"84mg nasal over 0min", KS_EINVAL, 17, "\"0min\"", "positive"},
    {"84mg nasal; every -1w x 3", KS_EINVAL, 19, "\"-1w\"", "positive"},
    {"84mg nasal; every 1w x 0w", KS_EINVAL, 24, "\"0w\"", "zero duration"},
    {"84mg nasal; pause 0d; every 1d x 1", KS_EINVAL, 19, "\"0d\"", "zero pause"},
    {"84mg nasal; 8/week x 2w", KS_EINVAL, 13, "\"8\"", "more than 7"},
    {"84mg nasal; 2.5/week x 2w", KS_EINVAL, 13, "\"2.5\"", "whole number"},
    {"84mg nasal; 2/month x 2w", KS_EPARSE, 15, "\"month\"", "week"},
    /* structure */
    {"", KS_EPARSE, 1, "end of text", "empty regimen"},
    {"   ", KS_EPARSE, 4, "end of text", "empty regimen"},
    {"84mg nasal;", KS_EPARSE, 12, "end of text", "empty clause"},
    {"84mg nasal;; every 1w x 2", KS_EPARSE, 12, "end of clause", "empty clause"},
    {"every 1w x 4", KS_EPARSE, 1, "\"every\"", "starts with its dose"},
    {"start 2026-11-30", KS_EPARSE, 17, "end of text", "no dose"},
    {"84mg nasal; 56mg nasal", KS_EPARSE, 13, "\"56mg\"", "one dose clause"},
    {"84mg nasal; every 1w", KS_EPARSE, 21, "end of text", "x COUNT"},
    {"84mg nasal; every 1w for 4w", KS_EPARSE, 22, "\"for\"", "x COUNT"},
    {"84mg nasal; mon wed x 1w", KS_EPARSE, 17, "\"wed\"", "x COUNT"},
    {"84mg nasal; start 2026-11-30; mon, x 1w", KS_EPARSE, 36, "\"x\"", "unknown weekday"},
    {"84mg nasal; start 2026-11-30; mon,mon x 2w", KS_EINVAL, 35, "\"mon\"", "twice"},
    {"84mg nasal; then", KS_EPARSE, 17, "end of text", "then"},
    {"84mg nasal; x 3", KS_EPARSE, 13, "\"x\"", "schedule"},
    {"84mg nasal; pause 1w", KS_EINVAL, 13, "\"pause\"", "no dose"},
    {"84mg nasal; start 2026-12-01; mon x 3d", KS_EINVAL, 31, "\"mon\"", "no dose"},
    /* dates */
    {"84mg nasal; start 2026-02-30", KS_EINVAL, 19, "\"2026-02-30\"", "no such date"},
    {"84mg nasal; start 2026-13-01", KS_EINVAL, 19, "\"2026-13-01\"", "no such date"},
    {"84mg nasal; start 2026-2-3", KS_EPARSE, 19, "\"2026-2-3\"", "YYYY-MM-DD"},
    {"84mg nasal; start 2026-02-03 25:00", KS_EINVAL, 30, "\"25:00\"", "clock time"},
    {"84mg nasal; start 2026-02-03 9:00", KS_EPARSE, 30, "\"9:00\"", "HH:MM"},
    {"84mg nasal; start 2026-02-03 09:00 utc", KS_EPARSE, 36, "\"utc\"", "unexpected text"},
    {"84mg nasal; start 2026-02-03; start 2026-02-04", KS_EINVAL, 31, "\"start\"", "second start"},
    {"84mg nasal; then start 2026-02-03", KS_EPARSE, 18, "\"start\"", "then"},
    /* limits */
    {"84mg nasal; every 1s x 100w", KS_EINVAL, 13, "\"every\"", "more than 100000 doses"},
    {"84mg nasal; every 1w x 100000", KS_EINVAL, 13, "\"every\"", "100 years"},
    {"84mg nasal; every 1w x 1000000", KS_EINVAL, 24, "\"1000000\"", "more than 100000"},
    {"84mg nasal; every 99999999999w x 2", KS_EINVAL, 19, "\"99999999999\"", "too large"},
    {"84mg nasal; every 6000000h x 2", KS_EINVAL, 19, "\"6000000h\"", "100 years"},
    /* bytes that are not text are named, not printed raw */
    {"84mg nasal; every 1w x 4 \x01\x02", KS_EPARSE, 26, "\"??\"", "unexpected text"},
};

static void test_malformed_rejected_with_position(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof BAD / sizeof *BAD; k++) {
        const bad_case *b = &BAD[k];
        ks_regimen *r = (ks_regimen *)&r; /* must be set to NULL */
        ks_error err = {0};
        int rc = ks_regimen_parse(b->text, &r, &err);
        char want[128];
        snprintf(want, sizeof want, "character %zu (%s): ", b->pos, b->token);
        if (rc != b->code || r != NULL || strncmp(err.msg, want, strlen(want)) != 0 ||
            !strstr(err.msg, b->words) || err.code != rc || strchr(err.msg, '\n'))
            fail_msg("\"%s\": status %d (want %d), message \"%s\" (want it to start with "
                     "\"%s\" and contain \"%s\")",
                     b->text, rc, b->code, err.msg, want, b->words);
    }
    /* NULL arguments. */
    ks_regimen *r;
    assert_int_equal(ks_regimen_parse(NULL, &r, NULL), KS_EINVAL);
    assert_int_equal(ks_regimen_parse("84mg nasal", NULL, NULL), KS_EINVAL);
    ks_regimen_free(NULL);
    assert_int_equal(ks_regimen_n_doses(NULL), 0);
}

/* ---------------------------------------------------------------- JSON */

static ks_regimen *json_ok(const char *json)
{
    ks_regimen *r = NULL;
    ks_error err = {0};
    if (ks_regimen_parse_json(json, "t.json", &r, &err)) fail_msg("%s: %s", json, err.msg);
    return r;
}

static void assert_same_doses(const ks_regimen *a, const ks_regimen *b)
{
    assert_int_equal(ks_regimen_n_doses(a), ks_regimen_n_doses(b));
    for (size_t i = 0; i < ks_regimen_n_doses(a); i++) {
        const ks_regimen_dose *x = ks_regimen_dose_get(a, i), *y = ks_regimen_dose_get(b, i);
        assert_true(x->time_h == y->time_h && x->amount == y->amount && x->per_kg == y->per_kg &&
                    x->duration_h == y->duration_h);
        assert_string_equal(x->route, y->route);
    }
    assert_true(ks_regimen_end_h(a) == ks_regimen_end_h(b));
    assert_int_equal(ks_regimen_start_kind(a), ks_regimen_start_kind(b));
}

static void test_json_same_as_text(void **state)
{
    (void)state;
    ks_regimen *t = parse_ok("0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; "
                             "then every 1w x 4");
    ks_regimen *j = json_ok("{\"note\": \"issue example 1\",\n"
                            " \"dose\": {\"amount\": \"0.5mg/kg\", \"route\": \"iv\", \"over\": "
                            "\"40min\"},\n"
                            " \"start\": \"2026-11-30 09:00\",\n"
                            " \"schedule\": [{\"weekdays\": [\"mon\", \"wed\", \"fri\"], "
                            "\"for\": \"2w\"},\n"
                            "              {\"every\": \"1w\", \"count\": 4}]}");
    assert_same_doses(t, j);
    ks_regimen_free(t);
    ks_regimen_free(j);
    t = parse_ok("84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w; pause 1w; every 1d x 2");
    j = json_ok("{\"dose\": {\"amount\": \"84mg\", \"route\": \"nasal\"},\n"
                " \"schedule\": [{\"per_week\": 2, \"for\": \"4w\"}, {\"per_week\": 1, \"for\": "
                "\"4w\"},\n"
                "  {\"every\": \"2w\", \"for\": \"8w\"}, {\"pause\": \"1w\"}, {\"every\": \"1d\", "
                "\"count\": 2}]}");
    assert_same_doses(t, j);
    ks_regimen_free(t);
    ks_regimen_free(j);
    /* No schedule: one dose. */
    j = json_ok("{\"dose\": {\"amount\": \"56mg\", \"route\": \"nasal\"}}");
    assert_int_equal(ks_regimen_n_doses(j), 1);
    ks_regimen_free(j);
}

typedef struct json_bad {
    const char *json;
    int code;
    const char *prefix; /* the message starts with this */
    const char *words;
} json_bad;

#define D84 "\"dose\": {\"amount\": \"84mg\", \"route\": \"nasal\"}"

static const json_bad JBAD[] = {
    {"{" D84 ", \"schedule\": [{\"every\": \"0w\", \"count\": 4}]}", KS_EINVAL,
     "t.json: $.schedule[0].every (\"0w\"): ", "zero interval"},
    {"{" D84 ", \"schedule\": [{\"per_week\": 2, \"for\": \"4w\"}, {\"every\": \"1w\", "
     "\"count\": 0}]}",
     KS_EINVAL, "t.json: $.schedule[1].count: ", "count of zero"},
    {"{" D84 ", \"start\": \"2026-11-30\", \"schedule\": [{\"weekdays\": [\"mon\", \"wen\"], "
     "\"for\": \"2w\"}]}",
     KS_EPARSE, "t.json: $.schedule[0].weekdays[1]: ", "unknown weekday"},
    {"{" D84 ", \"schedule\": [{\"weekdays\": [\"mon\"], \"for\": \"2w\"}]}", KS_EINVAL,
     "t.json: $.schedule[0]: ", "start date"},
    {"{" D84 ", \"schedule\": [{\"every\": \"1fortnight\", \"count\": 4}]}", KS_EUNIT,
     "t.json: $.schedule[0].every (\"fortnight\"): ", "unknown unit"},
    {"{\"dose\": {\"amount\": \"0.5mg/kg\", \"route\": \"iv\", \"over\": \"40min\"}, "
     "\"schedule\": [{\"every\": \"30min\", \"count\": 3}]}",
     KS_EINVAL, "t.json: $.schedule[0]: ", "overlapping infusions"},
    {"{\"dose\": {\"amount\": \"84mg\"}}", KS_EPARSE, "t.json: $.dose: ", "missing \"route\""},
    {"{\"dose\": {\"amount\": \"84mg\", \"route\": \"over\"}}", KS_EPARSE,
     "t.json: $.dose.route (\"over\"): ", "route"},
    {"{\"dose\": {\"amount\": \"84mg\", \"route\": \"nasal spray\"}}", KS_EPARSE,
     "t.json: $.dose.route (\"spray\"): ", "unexpected text"},
    {"{\"dose\": {\"amount\": 84, \"route\": \"nasal\"}}", KS_EPARSE,
     "t.json: $.dose.amount: ", "string"},
    {"{\"dose\": {\"amount\": \"84\", \"route\": \"nasal\"}}", KS_EUNIT,
     "t.json: $.dose.amount (\"84\"): ", "no unit"},
    {"{" D84 ", \"schedule\": [{\"every\": \"1w\", \"count\": 4, \"for\": \"2w\"}]}", KS_EPARSE,
     "t.json: $.schedule[0]: ", "exactly one"},
    {"{" D84 ", \"schedule\": [{\"every\": \"1w\"}]}", KS_EPARSE,
     "t.json: $.schedule[0]: ", "exactly one"},
    {"{" D84 ", \"schedule\": [{\"every\": \"1w\", \"per_week\": 2, \"count\": 1}]}", KS_EPARSE,
     "t.json: $.schedule[0]: ", "exactly one"},
    {"{" D84 ", \"schedule\": [{\"every\": \"1w\", \"count\": 2.5}]}", KS_EPARSE,
     "t.json: $.schedule[0].count: ", "whole number"},
    {"{" D84 ", \"schedule\": [{\"per_week\": 9, \"count\": 2}]}", KS_EINVAL,
     "t.json: $.schedule[0].per_week: ", "1 to 7"},
    {"{" D84 ", \"schedule\": [{\"pause\": \"1w\", \"count\": 2}]}", KS_EPARSE,
     "t.json: $.schedule[0]: ", "pause"},
    {"{" D84 ", \"schedule\": [{\"evry\": \"1w\", \"count\": 2}]}", KS_EPARSE,
     "t.json: $.schedule[0]: ", "unknown key \"evry\""},
    {"{" D84 ", \"schedule\": {}}", KS_EPARSE, "t.json: $.schedule: ", "array"},
    {"{" D84 ", \"start\": \"2026-02-30\"}", KS_EINVAL,
     "t.json: $.start (\"2026-02-30\"): ", "no such date"},
    {"{" D84 ", \"start\": 20261130}", KS_EPARSE, "t.json: $.start: ", "string"},
    {"{" D84 ", \"extra\": 1}", KS_EPARSE, "t.json: $: ", "unknown key \"extra\""},
    {"{" D84 ", " D84 "}", KS_EPARSE, "t.json: line 1 column ", "duplicate"},
    {"[1]", KS_EPARSE, "t.json: $: ", "object"},
    {"{}", KS_EPARSE, "t.json: $: ", "missing \"dose\""},
    {"{\"dose\": ", KS_EPARSE, "t.json: line ", ""},
};

static void test_json_errors_name_the_path(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof JBAD / sizeof *JBAD; k++) {
        const json_bad *b = &JBAD[k];
        ks_regimen *r = NULL;
        ks_error err = {0};
        int rc = ks_regimen_parse_json(b->json, "t.json", &r, &err);
        if (rc != b->code || r || strncmp(err.msg, b->prefix, strlen(b->prefix)) != 0 ||
            !strstr(err.msg, b->words))
            fail_msg("%s: status %d (want %d), \"%s\" (want \"%s...%s\")", b->json, rc, b->code,
                     err.msg, b->prefix, b->words);
    }
}

static void test_json_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ks_regimen_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"dose\": {\"amount\": \"84mg\", \"route\": \"nasal\"},\n \"schedule\": "
          "[{\"every\": \"1w\", \"count\": 3}]}\n",
          f);
    fclose(f);
    ks_regimen *r = NULL;
    ks_error err = {0};
    assert_int_equal(ks_regimen_load_json(path, &r, &err), KS_OK);
    assert_days(r, DAYS(0, 7, 14));
    ks_regimen_free(r);
    /* A bad file: the message starts with the path. */
    f = fopen(path, "w");
    fputs("{\"dose\": {\"amount\": \"84mg\", \"route\": \"nasal\"},\n \"schedule\": "
          "[{\"every\": \"1w\", \"count\": 0}]}\n",
          f);
    fclose(f);
    assert_int_equal(ks_regimen_load_json(path, &r, &err), KS_EINVAL);
    assert_null(r);
    assert_true(strncmp(err.msg, path, strlen(path)) == 0);
    assert_non_null(strstr(err.msg, "$.schedule[0].count: count of zero"));
    unlink(path);
    assert_int_equal(ks_regimen_load_json(path, &r, &err), KS_EIO);
    assert_non_null(strstr(err.msg, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example_1),
        cmocka_unit_test(test_issue_example_2),
        cmocka_unit_test(test_count_and_duration),
        cmocka_unit_test(test_per_week_days),
        cmocka_unit_test(test_weekday_windows),
        cmocka_unit_test(test_units_and_infusions),
        cmocka_unit_test(test_mg_per_kg_to_mg),
        cmocka_unit_test(test_malformed_rejected_with_position),
        cmocka_unit_test(test_json_same_as_text),
        cmocka_unit_test(test_json_errors_name_the_path),
        cmocka_unit_test(test_json_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
