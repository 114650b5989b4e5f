/* Option parsing and shared helpers for the ketsim command. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ketsim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static cli_opt *find_opt(cli_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

static int add_value(cli_opt *o, const char *v)
{
    const char **na = realloc(o->all, (size_t)(o->n_all + 1) * sizeof *na);
    if (!na) return 1;
    o->all = na;
    o->all[o->n_all++] = v;
    o->value = v;
    return 0;
}

int cli_parse(int argc, char **argv, cli_opt *opts, size_t n_opts, int *help, const char *cmd)
{
    *help = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) {
            cli_error(cmd,
                      "unexpected argument \"%s\" (options start with --; see ketsim %s --help)", a,
                      cmd);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *o = find_opt(opts, n_opts, name, len);
        if (!o) {
            cli_error(cmd, "unknown option \"--%.*s\" (see ketsim %s --help)", (int)len, name, cmd);
            return 2;
        }
        if (o->seen && !o->repeatable) {
            cli_error(cmd, "--%s given twice", o->name);
            return 2;
        }
        o->seen = 1;
        if (!o->takes_value) {
            if (eq) {
                cli_error(cmd, "--%s takes no value", o->name);
                return 2;
            }
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v || (!eq && strncmp(v, "--", 2) == 0)) {
            cli_error(cmd, "--%s needs a value", o->name);
            return 2;
        }
        if (add_value(o, v)) {
            cli_error(cmd, "out of memory");
            return 2;
        }
    }
    return 0;
}

void cli_free_opts(cli_opt *opts, size_t n_opts)
{
    for (size_t i = 0; i < n_opts; i++) {
        free(opts[i].all);
        opts[i].all = NULL;
    }
}

const char *cli_get(const cli_opt *opts, size_t n_opts, const char *name)
{
    for (size_t i = 0; i < n_opts; i++)
        if (strcmp(opts[i].name, name) == 0) return opts[i].value;
    return NULL;
}

int cli_seen(const cli_opt *opts, size_t n_opts, const char *name)
{
    for (size_t i = 0; i < n_opts; i++)
        if (strcmp(opts[i].name, name) == 0) return opts[i].seen;
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_models_dir(void)
{
    const char *env = getenv("KETSIM_MODELS");
    if (env && *env) return env;
    if (is_dir(KS_MODELS_DIR_BUILD)) return KS_MODELS_DIR_BUILD;
    return KS_MODELS_DIR_INSTALL;
}

int cli_parse_plain(const char *cmd, const char *opt, const char *text, ks_dim dim, double *v)
{
    char *end;
    double x = strtod(text, &end);
    if (end != text && *end == '\0' && isfinite(x)) {
        *v = x;
        return 0;
    }
    ks_error err = {0};
    if (ks_quantity_parse(text, &dim, 1, opt, v, NULL, &err)) {
        cli_error(cmd, "%s", err.msg);
        return 2;
    }
    return 0;
}

const char *cli_data_dir(void)
{
    const char *env = getenv("KETSIM_DATA");
    if (env && *env) return env;
    if (is_dir(KS_DATA_DIR_BUILD)) return KS_DATA_DIR_BUILD;
    return KS_DATA_DIR_INSTALL;
}

void cli_primary_citation(const ks_model *m, ks_citation_info *ci)
{
    ks_model_citation(m, 0, ci);
    for (size_t i = 0; i < ks_model_n_citations(m); i++) {
        ks_citation_info c;
        ks_model_citation(m, i, &c);
        if (strcmp(c.key, ks_model_source(m)) == 0) *ci = c;
    }
}

/* The file a path names, for comparing outputs: the real path when the file or its
 * folder exists (so "x.csv", "./x.csv" and a symbolic link to it agree), else the path
 * with "." components and repeated slashes removed. */
static void canonical_output(const char *path, char *buf, size_t n)
{
    char *r = realpath(path, NULL);
    if (!r) {
        const char *slash = strrchr(path, '/');
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
                 slash ? path : ".");
        char *rd = realpath(dir, NULL);
        if (rd) {
            snprintf(buf, n, "%s/%s", rd, slash ? slash + 1 : path);
            free(rd);
            return;
        }
    }
    if (r) {
        snprintf(buf, n, "%s", r);
        free(r);
        return;
    }
    size_t j = 0;
    for (const char *p = path; *p && j + 1 < n;) {
        if (p[0] == '/' && p[1] == '/') {
            p++;
        } else if ((p == path || p[-1] == '/') && p[0] == '.' && (p[1] == '/' || !p[1])) {
            p += p[1] ? 2 : 1;
        } else
            buf[j++] = *p++;
    }
    buf[j] = '\0';
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino; /* hard links too */
    char ca[4200], cb[4200];
    canonical_output(a, ca, sizeof ca);
    canonical_output(b, cb, sizeof cb);
    return strcmp(ca, cb) == 0;
}

/* The first path of list a that names the same file as one of list b (within: a and b
 * are one list, each pair once): prints it for `cmd` and returns 2, else 0. */
static int clash(const char *cmd, const char *const *ao, const char *const *ap, size_t na,
                 const char *const *bo, const char *const *bp, size_t nb, int within)
{
    for (size_t i = 0; i < na; i++)
        for (size_t j = within ? i + 1 : 0; ap[i] && j < nb; j++) {
            if (!bp[j] || !cli_same_file(ap[i], bp[j])) continue;
            if (cmd && within)
                cli_error(cmd,
                          "%s \"%s\" and %s \"%s\" name the same file: give each output its own",
                          ao[i], ap[i], bo[j], bp[j]);
            else if (cmd)
                cli_error(cmd,
                          "%s \"%s\" would overwrite %s \"%s\", an input: give the output another "
                          "name",
                          ao[i], ap[i], bo[j], bp[j]);
            return 2;
        }
    return 0;
}

int cli_check_outputs(const char *cmd, const char *const *opts, const char *const *paths, size_t n)
{
    return clash(cmd, opts, paths, n, opts, paths, n, 1);
}

int cli_check_inputs(const char *cmd, const char *const *out_opts, const char *const *out_paths,
                     size_t n_out, const char *const *in_opts, const char *const *in_paths,
                     size_t n_in)
{
    return clash(cmd, out_opts, out_paths, n_out, in_opts, in_paths, n_in, 0);
}

int cli_check_ext(const char *cmd, const char *opt, const char *path, const char *ext1,
                  const char *ext2)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && (strcasecmp(dot + 1, ext1) == 0 || strcasecmp(dot + 1, ext2) == 0))
        return 0;
    if (cmd) cli_error(cmd, "%s \"%s\": expected a .%s or .%s file name", opt, path, ext1, ext2);
    return 2;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
                  uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(text, &end, 10);
    /* digits only: strtoull alone would skip leading space, take "-1" and " -1" (as
     * 2^64 - 1) and stop at "1.5" */
    if (!isdigit((unsigned char)text[0]) || end == text || *end || errno || x < lo || x > hi) {
        if (cmd)
            cli_error(cmd, "%s: \"%s\" is not a whole number from %llu to %llu", opt, text,
                      (unsigned long long)lo, (unsigned long long)hi);
        return 2;
    }
    *v = x;
    return 0;
}
