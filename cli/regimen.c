/* ketsim regimen explain: print the doses a regimen expands to. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "usage: ketsim regimen explain \"REGIMEN\" [--weight W]\n"
    "       ketsim regimen explain --file REGIMEN.json [--weight W]\n"
    "\n"
    "Print the doses a regimen expands to, one numbered row each, so you can check\n"
    "what ketsim understood: dose number, day of the course (whole days from the start),\n"
    "weekday, date and clock time (with a start clause), hours from the start, amount\n"
    "(mg/kg and, with --weight, mg), route and infusion duration; then \"N doses over\n"
    "D days\" (from the first dose to the last).\n"
    "\n"
    "A regimen is a dose, then schedule clauses separated by ';', each starting where\n"
    "the previous one ends:\n"
    "  84mg nasal | 0.5mg/kg iv over 40min    the dose (first)\n"
    "  start 2026-11-30 09:00                 course start (needed for weekdays)\n"
    "  every 1w x 4                           4 doses a week apart\n"
    "  every 2w x 8w                          a dose every 2 weeks for 8 weeks\n"
    "  2/week x 4w                            days 0 and 3 of each week, for 4 weeks\n"
    "  mon,wed,fri x 2w                       those weekdays for 2 weeks\n"
    "  pause 1w                               no dose for a week\n"
    "\"x 4\" is a count of doses, \"x 4w\" a duration; \"then\" may start a clause.\n"
    "The grammar in full: docs/regimen.md.\n"
    "\n"
    "options:\n"
    "  --file F.json   read the regimen from a JSON file instead\n"
    "  --weight W      body weight in kg, to show mg/kg doses in mg\n"
    "\n"
    "examples:\n"
    "  ketsim regimen explain \"0.5mg/kg iv over 40min; start 2026-11-30 09:00; "
    "mon,wed,fri x 2w; then every 1w x 4\" --weight 70\n"
    "  ketsim regimen explain \"84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w\"\n"
    "  ketsim regimen explain --file course.json\n"
    "\n" KS_DISCLAIMER "\n";

enum { O_FILE, O_WEIGHT, O_COUNT };

/* "40 min", "2 h", "-" for none. */
static void fmt_duration(double h, char *buf, size_t n)
{
    if (h <= 0)
        snprintf(buf, n, "-");
    else if (h < 2)
        snprintf(buf, n, "%.4g min", h * 60);
    else
        snprintf(buf, n, "%.4g h", h);
}

static int explain(const ks_regimen *r, double weight)
{
    size_t n = ks_regimen_n_doses(r);
    int cal = ks_regimen_start_kind(r) > 0, clock = ks_regimen_start_kind(r) == 2;
    ks_error err = {0};
    if (cal) {
        ks_datetime s;
        ks_regimen_start(r, &s, &err);
        printf("course start: %04d-%02d-%02d", s.year, s.month, s.day);
        if (clock) printf(" %02d:%02d", s.hour, s.minute);
        printf(" (time 0)\n");
    }
    printf("%5s %5s", "dose", "day");
    if (cal) printf(" %-7s %-10s", "weekday", "date");
    if (clock) printf(" %-5s", "time");
    printf(" %10s  %-22s %-8s %s\n", "time_h", "amount", "route", "duration");
    for (size_t i = 0; i < n; i++) {
        const ks_regimen_dose *d = ks_regimen_dose_get(r, i);
        printf("%5zu %5ld", i + 1, (long)floor(d->time_h / 24.0 + 1e-9));
        if (cal) {
            ks_datetime t;
            int wd;
            ks_regimen_calendar(r, d->time_h, &t, &wd, &err);
            printf(" %-7s %04d-%02d-%02d", ks_weekday_name(wd), t.year, t.month, t.day);
            if (clock) printf(" %02d:%02d", t.hour, t.minute);
        }
        char amount[64], dur[32];
        if (d->per_kg && !isnan(weight))
            snprintf(amount, sizeof amount, "%.4g mg/kg = %.4g mg", d->amount, d->amount * weight);
        else
            snprintf(amount, sizeof amount, "%.4g %s", d->amount, d->per_kg ? "mg/kg" : "mg");
        fmt_duration(d->duration_h, dur, sizeof dur);
        printf(" %10.6g  %-22s %-8s %s\n", d->time_h, amount, d->route, dur);
    }
    double first = ks_regimen_dose_get(r, 0)->time_h, last = ks_regimen_dose_get(r, n - 1)->time_h;
    printf("%zu dose%s over %.4g days\n", n, n == 1 ? "" : "s", (last - first) / 24.0);
    return 0;
}

int cmd_regimen(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        fputs(HELP, argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "explain") != 0) {
        cli_error("regimen", "unknown subcommand \"%s\" (explain; see ketsim regimen --help)",
                  argv[0]);
        return 2;
    }
    argc--;
    argv++;
    /* The regimen text comes first; everything after it is options. */
    const char *text = NULL;
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0) {
        text = argv[0];
        argc--;
        argv++;
    }
    cli_opt o[O_COUNT] = {[O_FILE] = {"file", 1}, [O_WEIGHT] = {"weight", 1}};
    int help = 0;
    int rc = cli_parse(argc, argv, o, O_COUNT, &help, "regimen");
    if (rc || help) {
        if (help) fputs(HELP, stdout);
        cli_free_opts(o, O_COUNT);
        return rc;
    }
    const char *file = o[O_FILE].value, *wtext = o[O_WEIGHT].value;
    cli_free_opts(o, O_COUNT);
    if (!text == !file) {
        cli_error("regimen",
                  text ? "give the regimen as text or with --file, not both"
                       : "explain needs a regimen, e.g. ketsim regimen explain \"84mg nasal; "
                         "every 1w x 4\" (see ketsim regimen --help)");
        return 2;
    }
    double weight = NAN;
    if (wtext) {
        ks_dim dim = KS_DIM_WEIGHT;
        ks_error werr = {0};
        char *end;
        weight = strtod(wtext, &end);
        if (end == wtext || *end || !isfinite(weight)) {
            if (ks_quantity_parse(wtext, &dim, 1, "--weight", &weight, NULL, &werr)) {
                cli_error("regimen", "%s", werr.msg);
                return 2;
            }
        }
        if (!(weight > 0) || weight > 700) {
            cli_error("regimen", "--weight: %s kg is not a possible body weight", wtext);
            return 2;
        }
    }
    ks_regimen *r = NULL;
    ks_error err = {0};
    rc = text ? ks_regimen_parse(text, &r, &err) : ks_regimen_load_json(file, &r, &err);
    if (rc) {
        if (file)
            cli_error("regimen", "--file: %s", err.msg);
        else
            cli_error("regimen", "%s", err.msg);
        return rc == KS_ENOMEM ? 1 : 2;
    }
    rc = explain(r, weight);
    ks_regimen_free(r);
    return rc;
}
