/* ketsim: treatment courses written as a regimen.
 *
 * A regimen is one dose and the schedule it is given on, as text:
 *
 *     0.5mg/kg iv over 40min; start 2026-11-30 09:00; mon,wed,fri x 2w; then every 1w x 4
 *     84mg nasal; 2/week x 4w; 1/week x 4w; every 2w x 8w
 *
 * or as a JSON file with the same content. Parsing expands it into the list of doses
 * (time from the course start, amount, infusion duration, route), which
 * ks_regimen_to_doses turns into ks_dose values for a patient.
 *
 * Grammar (docs/regimen.md has it in full, with examples). Clauses are separated by
 * ';'. Keywords and weekday names are case-insensitive; units are spelt as in
 * units.h (min, h, d, w; mg, mg/kg, ug, g); a space between a number and its unit
 * is allowed.
 *
 *   regimen   = clause { ";" clause }
 *   clause    = dose | start | schedule
 *   dose      = AMOUNT ROUTE [ "over" DURATION ]      exactly one, before any schedule
 *   start     = "start" YYYY-MM-DD [ HH:MM ]           at most one, anywhere
 *   schedule  = [ "then" ] ( every | perweek | weekdays | pause )
 *   every     = "every" DURATION repeat
 *   perweek   = N "/week" repeat                        N = 1..7
 *   weekdays  = DAY { "," DAY } repeat                  DAY = mon..sun or monday..sunday
 *   pause     = "pause" DURATION
 *   repeat    = "x" COUNT | "x" DURATION
 *
 * Meaning:
 * - The schedule clauses run one after the other: each starts where the previous one
 *   ends (the first at the course start, time 0). A regimen without schedule clauses
 *   is one dose at time 0.
 * - "x COUNT" (a whole number without a unit) gives that many doses; the clause ends
 *   where the next dose of its pattern would have been (every 1w x 4 from day 0: doses
 *   on days 0, 7, 14, 21; the clause ends on day 28).
 *   "x DURATION" (a number with a time unit) makes the clause last that long: its doses
 *   are the pattern's doses that start before the end (every 2w x 8w: days 0, 14, 28,
 *   42; ends on day 56). A clause without a dose in its window is an error.
 * - every D: doses D apart, the first at the clause start.
 * - N/week: N doses in each 7-day week counted from the clause start, on days
 *   floor(7 k / N), k = 0..N-1 (1/week: day 0; 2/week: days 0 and 3; 3/week: 0, 2, 4;
 *   4/week: 0, 1, 3, 5; 5/week: 0, 1, 2, 4, 5; 6/week: 0..5; 7/week: every day).
 * - weekday lists need a start date (an error otherwise): the doses fall on the listed
 *   weekdays at the start's clock time, on whole days from the course start, from the
 *   clause start on (the first week of the course starts on the start date, whatever
 *   weekday it is).
 * - pause D: no dose for D.
 * - Errors: an unknown weekday or unit, a zero or negative interval, duration or
 *   count, a count that is not a whole number, a dose without a route, infusions that
 *   overlap (one starting before the previous ends; back to back is allowed), a
 *   weekday list without a start date, a clause with no dose in its window, text left
 *   over after a clause, more than KS_REGIMEN_MAX_DOSES doses or a course longer than
 *   KS_REGIMEN_MAX_HOURS. Messages start with the 1-based character (byte) position and
 *   the offending token, `character 31 ("wen"): unknown weekday ...`, or for JSON with
 *   the file name and JSON path, `plan.json: $.schedule[1].every ("0w"): ...`.
 */
#ifndef KETSIM_REGIMEN_H
#define KETSIM_REGIMEN_H

#include <stddef.h>
#include "ketsim/error.h"
#include "ketsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Upper limits of a regimen: number of doses, and hours from the course start to
 * the end of its last clause (100 years). */
#define KS_REGIMEN_MAX_DOSES 100000
#define KS_REGIMEN_MAX_HOURS 876600.0

typedef struct ks_regimen ks_regimen;

/* One dose of an expanded regimen. */
typedef struct ks_regimen_dose {
    double time_h;     /* hours from the course start */
    double amount;     /* mg, or mg per kg body weight when per_kg */
    int per_kg;        /* 1: amount is in mg/kg */
    double duration_h; /* infusion duration in hours; 0 when none was given */
    const char *route; /* route name as written; owned by the regimen */
} ks_regimen_dose;

/* A calendar date and wall-clock time (no time zone: days are 24 h). */
typedef struct ks_datetime {
    int year, month, day; /* month 1..12, day 1..31 */
    int hour, minute;     /* 0..23, 0..59 */
} ks_datetime;

/* Parse and expand a regimen text (grammar above). On success *out is a new regimen
 * to free with ks_regimen_free. Errors (KS_EPARSE for malformed text, KS_EUNIT for a
 * unit, KS_EINVAL for an impossible schedule, KS_ENOMEM) name the character position
 * and token. *out is NULL on failure. */
int ks_regimen_parse(const char *text, ks_regimen **out, ks_error *err);

/* Parse and expand a regimen given as JSON text (schema in docs/regimen.md). `name`
 * (e.g. a file name; may be NULL) starts every error message, followed by the JSON
 * path of the offending value. */
int ks_regimen_parse_json(const char *json_text, const char *name, ks_regimen **out, ks_error *err);

/* Read a JSON regimen file (ks_regimen_parse_json with the path as name). A file
 * that cannot be read is KS_EIO. */
int ks_regimen_load_json(const char *path, ks_regimen **out, ks_error *err);

/* Free a regimen (NULL is allowed). */
void ks_regimen_free(ks_regimen *r);

/* Number of doses (at least 1 for a parsed regimen). */
size_t ks_regimen_n_doses(const ks_regimen *r);

/* Dose i (0-based, in time order, strictly increasing times), or NULL when i is out of
 * range. Valid until ks_regimen_free. */
const ks_regimen_dose *ks_regimen_dose_get(const ks_regimen *r, size_t i);

/* Hours from the course start to the end of the last schedule clause (where the next
 * clause would start); the last dose's time for a regimen without schedule clauses. */
double ks_regimen_end_h(const ks_regimen *r);

/* What the start clause gave: 0 no start, 1 a date (the course starts at 00:00 of it),
 * 2 a date and a clock time. */
int ks_regimen_start_kind(const ks_regimen *r);

/* The course start (time 0). KS_ESTATE when the regimen has no start clause. */
int ks_regimen_start(const ks_regimen *r, ks_datetime *out, ks_error *err);

/* The calendar date and time of `time_h` hours after the course start, rounded to
 * the minute, and its weekday (0 = Monday .. 6 = Sunday; `weekday` may be NULL).
 * KS_ESTATE without a start clause; KS_EINVAL for a time that is not finite or
 * outside 0..KS_REGIMEN_MAX_HOURS. */
int ks_regimen_calendar(const ks_regimen *r, double time_h, ks_datetime *out, int *weekday,
                        ks_error *err);

/* Three-letter lower-case weekday name, 0 = "mon" .. 6 = "sun"; "?" out of range. */
const char *ks_weekday_name(int weekday);

/* Fill doses[0..n-1] with the regimen's doses for a patient of `weight_kg`, with
 * amounts in mg (mg/kg times the weight). `n` must be at least ks_regimen_n_doses(r).
 * The weight is needed only for mg/kg doses (pass NAN otherwise): a mg/kg dose
 * without a positive finite weight is KS_EINVAL. The routes point into the regimen. */
int ks_regimen_to_doses(const ks_regimen *r, double weight_kg, ks_dose *doses, size_t n,
                        ks_error *err);

#ifdef __cplusplus
}
#endif
#endif
