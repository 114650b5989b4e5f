/* Helpers shared by ketsim's cmocka tests. */
#ifndef KS_TEST_H
#define KS_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Fail the test unless |got - want| <= abs_tol + rel_tol * |want|, printing both. */
#define KS_ASSERT_CLOSE(got, want, rel_tol, abs_tol)                                               \
    ks_assert_close((got), (want), (rel_tol), (abs_tol), #got, __FILE__, __LINE__)
void ks_assert_close(double got, double want, double rel_tol, double abs_tol, const char *expr,
                     const char *file, int line);

/* 1 when the test runs at the sanitizer build's reduced size (KS_TEST_SMALL set to anything
 * but "" or "0": tests/CMakeLists.txt sets it for every test of the KS_SANITIZE build), else 0.
 * A test that reads it runs fewer virtual patients or repeats, the same code paths; README.md
 * ("Tests") lists what each one reduces. */
int ks_test_small(void);

/* Path of a file in the source tree (static buffer, valid until the next call). */
const char *ks_test_path(const char *relative);

/* Read a whole file into a malloc'ed NUL-terminated string (NULL on failure). */
char *ks_test_read_file(const char *path);

/* The published value (and unit, when `unit` is not NULL) of parameter `name` of a
 * model; fails the test when the model has no such parameter. */
struct ks_model;
double ks_test_param(const struct ks_model *m, const char *name, const char **unit);

/* The drug state of the response tests (ks_response_drive, CVODE) for a 40-minute
 * infusion-like NMDA occupancy pulse at t = 0 (0.5 at its end, decaying with a 2.5-h time
 * constant), on n grid points of dt_h; malloc'ed (free()); fails the test on an error. */
struct ks_response_params;
double *ks_test_pulse_drive(const struct ks_response_params *p, size_t n, double dt_h);

#endif
