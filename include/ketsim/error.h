/* ketsim: status codes and error messages.
 *
 * Every ketsim function that can fail returns an int status: KS_OK (0) or one of
 * the codes below. Functions also take an optional `ks_error *err` (may be NULL);
 * on failure it receives the code and a one-line message that names the place
 * (file, JSON path, argument). The library never prints, exits or aborts, and
 * keeps no global state: the message lives in the caller's ks_error.
 */
#ifndef KETSIM_ERROR_H
#define KETSIM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ks_status {
    KS_OK = 0,
    KS_EINVAL = 1,    /* an argument is invalid (negative dose, unknown route, ...) */
    KS_ENOMEM = 2,    /* out of memory */
    KS_EIO = 3,       /* a file could not be read or written */
    KS_EPARSE = 4,    /* malformed text: JSON, a number, a unit */
    KS_EMODEL = 5,    /* a model file is inconsistent (unknown compartment, ...) */
    KS_EUNIT = 6,     /* unknown unit, or a unit of the wrong dimension */
    KS_ENOTFOUND = 7, /* a named thing (model, route, output) does not exist */
    KS_ENUMERIC = 8,  /* a numerical method failed (singular matrix, overflow) */
    KS_ESTATE = 9,    /* a call in the wrong order (run before doses are set, ...) */
    KS_ECANCELED = 10 /* stopped by the caller (a progress callback returned non-zero) */
};

/* Size of the message buffer in ks_error. */
#define KS_ERRMSG_SIZE 512

/* Where a failed call leaves its explanation. Zero-initialise before use. */
typedef struct ks_error {
    int code;                 /* the status, as returned */
    char msg[KS_ERRMSG_SIZE]; /* one line, no trailing newline */
} ks_error;

/* A short constant description of a status code ("invalid argument", ...).
 * Never returns NULL; unknown codes give "unknown error". */
const char *ks_strerror(int code);

/* Fill `err` (if non-NULL) with `code` and a printf-style message, and return
 * `code`, so that callers can write `return ks_error_set(err, KS_EINVAL, ...)`. */
int ks_error_set(ks_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefix an existing message in `err` with `prefix: ` (for adding a place such
 * as a file name as the error travels up). Returns err->code (KS_OK if err is NULL). */
int ks_error_prefix(ks_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
