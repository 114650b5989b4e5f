/* Shared pieces of the response commands. */
#include "resp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_model(const char *cmd, const char *name, ks_model **m)
{
    char path[4096];
    ks_error err = {0};
    if (ks_model_find(name, cli_models_dir(), path, sizeof path, &err) ||
        ks_model_load(path, m, &err)) {
        cli_error(cmd, "%s", err.msg);
        return 2;
    }
    return 0;
}

int resp_env_load(resp_env *e, const char *cmd, const char *pd_path, const char *iv_name,
                  const char *nasal_name)
{
    memset(e, 0, sizeof *e);
    e->iv_name = iv_name ? iv_name : "domino-1982";
    e->nasal_name = nasal_name ? nasal_name : "perez-ruixo-2021";
    if (pd_path)
        snprintf(e->pd_path, sizeof e->pd_path, "%s", pd_path);
    else
        snprintf(e->pd_path, sizeof e->pd_path, "%s/pd-acute.json", cli_data_dir());
    ks_error err = {0};
    if (ks_pd_load(e->pd_path, &e->pd, &err)) {
        cli_error(cmd, "--pd: %s", err.msg);
        return 2;
    }
    if (load_model(cmd, e->iv_name, &e->iv) || load_model(cmd, e->nasal_name, &e->nasal)) return 2;
    if (!ks_model_has_route(e->iv, "iv")) {
        cli_error(cmd, "--iv-model: %s has no iv route", e->iv_name);
        return 2;
    }
    if (!ks_model_has_route(e->nasal, "nasal")) {
        cli_error(cmd, "--nasal-model: %s has no nasal route", e->nasal_name);
        return 2;
    }
    return 0;
}

void resp_env_free(resp_env *e)
{
    ks_model_free(e->iv);
    ks_model_free(e->nasal);
    ks_pd_free(e->pd);
    memset(e, 0, sizeof *e);
}

void resp_default_params_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/response-params.json", cli_data_dir());
}

int resp_figure_errors(const ks_response_designs *d, const ks_response_params *p, size_t fi,
                       resp_fig_err *out, ks_error *err)
{
    double se[16];
    const ks_response_figure *f = ks_response_figure_at(fi);
    memset(out, 0, sizeof *out);
    int rc = ks_response_figure_eval(d, p, fi, out->obs, out->pred, se, err);
    if (rc) return rc;
    double s2 = 0;
    for (size_t i = 0; i < f->n_points; i++) {
        double e = out->pred[i] - out->obs[i];
        s2 += e * e;
        if (fabs(e) > out->max_abs) out->max_abs = fabs(e);
        out->ssz += (e / se[i]) * (e / se[i]);
    }
    out->rmse = sqrt(s2 / (double)f->n_points);
    return KS_OK;
}

int resp_parse_start(const char *cmd, const char *text, ks_response_params *p)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    int item = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        item++;
        char *eq = strchr(tok, '=');
        int found = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < KS_RP_N; i++)
                if (strcmp(tok, ks_response_param_name(i)) == 0) found = i;
        }
        char *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : NAN;
        if (found < 0 || !end || *end || !(v > 0)) {
            cli_error(cmd, "--start item %d (\"%s\"): expected NAME=VALUE with a parameter name "
                           "and a positive value",
                      item, tok);
            return 2;
        }
        p->v[found] = v;
    }
    return 0;
}

int resp_fit(const char *cmd, const ks_response_designs *d, const int *use, int max_eval,
             const char *start, ks_response_params *out, double *objective, int *n_eval,
             const char **start_used)
{
    const char *starts[2] = {start, start ? NULL : RESP_ALT_START};
    int n = start ? 1 : 2, total = 0;
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        ks_response_params s, fit;
        ks_response_params_start(&s);
        if (starts[i] && resp_parse_start(cmd, starts[i], &s)) return 2;
        double obj;
        int nev;
        ks_error err = {0};
        if (ks_response_calibrate(d, &s, use, max_eval, &fit, &obj, &nev, &err)) {
            cli_error(cmd, "%s", err.msg);
            return 1;
        }
        total += nev;
        if (obj < best) {
            best = obj;
            *out = fit;
            if (start_used) *start_used = starts[i] ? starts[i] : "defaults";
        }
    }
    *objective = best;
    *n_eval = total;
    return 0;
}
