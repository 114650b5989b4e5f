/* Result tables as CSV or JSON, written atomically. */
#include "ketsim/io.h"
#include "io/numfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ks_atomic_open(const char *path, FILE **f, char *tmp_path, size_t tmp_size, ks_error *err)
{
    /* Not mkstemp: it creates the file 0600 regardless of the umask, and the result
     * should have the permissions any other new file of the user's gets. */
    int fd = -1;
    for (unsigned n = 0; n < 1000 && fd < 0; n++) {
        if (snprintf(tmp_path, tmp_size, "%s.tmp%ld.%u", path, (long)getpid(), n) >= (int)tmp_size)
            return ks_error_set(err, KS_EINVAL, "%s: path too long", path);
        fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0)
        return ks_error_set(err, KS_EIO, "%s: cannot create the file (%s)", path, strerror(errno));
    *f = fdopen(fd, "w");
    if (!*f) {
        close(fd);
        unlink(tmp_path);
        return ks_error_set(err, KS_EIO, "%s: cannot open for writing", path);
    }
    return KS_OK;
}

void ks_atomic_abort(FILE *f, const char *tmp_path)
{
    if (f) fclose(f);
    unlink(tmp_path);
}

int ks_atomic_commit(FILE *f, const char *tmp_path, const char *path, ks_error *err)
{
    int bad = ferror(f);
    if (fflush(f) != 0) bad = 1;
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp_path, path) != 0) {
        unlink(tmp_path);
        return ks_error_set(err, KS_EIO, "%s: write failed (%s); nothing was written", path,
                            strerror(errno ? errno : EIO));
    }
    return KS_OK;
}

/* %.10g keeps every figure that matters for concentrations without noise digits. */
static size_t put_number(char *buf, double v)
{
    if (isfinite(v)) return ks_format_g10(v, buf);
    memcpy(buf, "NA", 3);
    return 2;
}

static int write_csv(const ks_table *t, FILE *f)
{
    fputs("time_h", f);
    if (t->labels) fprintf(f, ",%s", t->label_name ? t->label_name : "label");
    for (size_t j = 0; j < t->n_cols; j++)
        fprintf(f, ",%s", t->names[j]);
    fputc('\n', f);
    /* One buffer per row: 32 bytes per number is more than %.10g ever needs. */
    size_t cap = 32 * (t->n_cols + 1) + 2;
    char *row = malloc(cap);
    if (!row) return KS_ENOMEM;
    for (size_t i = 0; i < t->n_rows; i++) {
        size_t k = put_number(row, t->time_h[i]);
        if (t->labels) {
            fwrite(row, 1, k, f);
            fprintf(f, ",%s", t->labels[i]);
            k = 0;
        }
        for (size_t j = 0; j < t->n_cols; j++) {
            row[k++] = ',';
            k += put_number(row + k, t->cols[j][i]);
        }
        row[k++] = '\n';
        fwrite(row, 1, k, f);
    }
    free(row);
    return ferror(f) ? KS_EIO : KS_OK;
}

static json_t *number_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

static int write_json(const ks_table *t, FILE *f)
{
    json_t *root = json_object(), *meta = json_object(), *cols = json_object();
    if (!root || !meta || !cols) {
        json_decref(root);
        json_decref(meta);
        json_decref(cols);
        return KS_ENOMEM;
    }
    for (size_t k = 0; k < t->n_meta; k++)
        json_object_set_new(meta, t->meta_keys[k], json_string(t->meta_values[k]));
    json_object_set_new(root, "meta", meta);
    json_object_set_new(cols, "time_h", number_array(t->time_h, t->n_rows));
    if (t->labels) {
        json_t *lab = json_array();
        for (size_t i = 0; lab && i < t->n_rows; i++)
            json_array_append_new(lab, json_string(t->labels[i]));
        json_object_set_new(cols, t->label_name ? t->label_name : "label", lab);
    }
    for (size_t j = 0; j < t->n_cols; j++)
        json_object_set_new(cols, t->names[j], number_array(t->cols[j], t->n_rows));
    json_object_set_new(root, "columns", cols);
    int rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    fputc('\n', f);
    return rc == 0 && !ferror(f) ? KS_OK : KS_EIO;
}

int ks_table_write(const ks_table *t, ks_format fmt, const char *path, FILE *stream, ks_error *err)
{
    if (!t || (!t->time_h && t->n_rows) || (t->n_cols && (!t->names || !t->cols)))
        return ks_error_set(err, KS_EINVAL, "ks_table_write: incomplete table");
    int to_stream = !path || strcmp(path, "-") == 0;
    if (to_stream && !stream) return ks_error_set(err, KS_EINVAL, "ks_table_write: no output");
    FILE *f = stream;
    char tmp[4096];
    if (!to_stream) {
        int rc = ks_atomic_open(path, &f, tmp, sizeof tmp, err);
        if (rc) return rc;
    }
    int rc = fmt == KS_FORMAT_JSON ? write_json(t, f) : write_csv(t, f);
    if (to_stream) {
        if (rc || fflush(f) != 0) return ks_error_set(err, KS_EIO, "writing the table failed");
        return KS_OK;
    }
    if (rc) {
        ks_atomic_abort(f, tmp);
        return ks_error_set(err, KS_EIO, "%s: write failed; nothing was written", path);
    }
    return ks_atomic_commit(f, tmp, path, err);
}
