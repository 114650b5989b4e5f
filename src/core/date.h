/* Proleptic Gregorian calendar arithmetic, shared by regimens and plots. */
#ifndef KS_CORE_DATE_H
#define KS_CORE_DATE_H

/* Days since 1970-01-01 of a civil date (month 1..12). */
long ks_days_from_civil(int y, int m, int d);
/* The civil date of a day count since 1970-01-01. */
void ks_civil_from_days(long z, int *y, int *m, int *d);

#endif
