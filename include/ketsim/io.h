/* ketsim: writing result tables.
 *
 * A table is a time column plus named value columns. CSV has one header line;
 * JSON is an object {"meta": {...}, "columns": {"time_h": [...], ...}}. A file is
 * written whole or not at all: the text goes to a temporary file in the same folder,
 * which is renamed over the target only when everything was written.
 */
#ifndef KETSIM_IO_H
#define KETSIM_IO_H

#include <stddef.h>
#include <stdio.h>
#include "ketsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ks_format { KS_FORMAT_CSV = 0, KS_FORMAT_JSON = 1 } ks_format;

typedef struct ks_table {
    const double *time_h;
    size_t n_rows;
    const char *const *names;  /* value column names (with units in the name) */
    const double *const *cols; /* n_cols arrays of n_rows values */
    size_t n_cols;
    /* JSON only: metadata pairs written under "meta" (may be empty). */
    const char *const *meta_keys;
    const char *const *meta_values;
    size_t n_meta;
    /* Optional text column written right after time_h (e.g. calendar times), or NULL. */
    const char *label_name;
    const char *const *labels; /* n_rows strings */
} ks_table;

/* Write `t` to `path` ("-" or NULL: to `stream`, which must then be non-NULL).
 * Errors: KS_EINVAL (bad table), KS_EIO (nothing is left at path). */
int ks_table_write(const ks_table *t, ks_format fmt, const char *path, FILE *stream, ks_error *err);

/* Open a temporary file next to `path` for an atomic write; on success *f is open
 * for writing and tmp_path (size >= strlen(path) + 16) holds its name. */
int ks_atomic_open(const char *path, FILE **f, char *tmp_path, size_t tmp_size, ks_error *err);
/* Close *f and rename it to path; on any failure remove it and return KS_EIO. */
int ks_atomic_commit(FILE *f, const char *tmp_path, const char *path, ks_error *err);
/* Close and remove without committing. */
void ks_atomic_abort(FILE *f, const char *tmp_path);

#ifdef __cplusplus
}
#endif
#endif
