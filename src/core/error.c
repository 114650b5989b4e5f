/* Status codes and the caller-owned error record (no global state). */
#include "ketsim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ks_strerror(int code)
{
    switch (code) {
    case KS_OK:
        return "success";
    case KS_EINVAL:
        return "invalid argument";
    case KS_ENOMEM:
        return "out of memory";
    case KS_EIO:
        return "input/output error";
    case KS_EPARSE:
        return "parse error";
    case KS_EMODEL:
        return "inconsistent model";
    case KS_EUNIT:
        return "unit error";
    case KS_ENOTFOUND:
        return "not found";
    case KS_ENUMERIC:
        return "numerical failure";
    case KS_ESTATE:
        return "call out of order";
    case KS_ECANCELED:
        return "canceled";
    default:
        return "unknown error";
    }
}

int ks_error_set(ks_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ks_error_prefix(ks_error *err, const char *fmt, ...)
{
    if (!err) return KS_OK;
    char prefix[KS_ERRMSG_SIZE];
    char old[KS_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* Assemble by hand: truncation is intended when the two parts are too long. */
    size_t used = 0, cap = sizeof err->msg - 1;
    const char *parts[3] = {prefix, ": ", old};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - used) len = cap - used;
        memcpy(err->msg + used, parts[i], len);
        used += len;
    }
    err->msg[used] = '\0';
    return err->code;
}
