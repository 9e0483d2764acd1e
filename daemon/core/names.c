/*
 * names: one name from a list, case-insensitively, with "did you mean"
 * (see names.h). The nearest name is by edit distance over lower-cased
 * bytes; a name the typed text is a part of counts as near too.
 */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Edit distance, case folded, up to 127 bytes a side (else "far"). */
static size_t s_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[128];
    if (la > 127 || lb > 127)
        return 999;
    for (size_t j = 0; j <= lb; j++)
        d[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t t = d[j];
            size_t c = prev + (tolower((unsigned char)a[i - 1]) !=
                               tolower((unsigned char)b[j - 1]));
            if (d[j] + 1 < c)
                c = d[j] + 1;
            if (d[j - 1] + 1 < c)
                c = d[j - 1] + 1;
            d[j] = c;
            prev = t;
        }
    }
    return d[lb];
}

static const char *s_stristr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; n && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return hay;
    return NULL;
}

int cl_names_resolve(char *name, size_t cap, const char *list, size_t n,
                     size_t stride, const char *field, const char *what,
                     char err[CL_ERROR_SZ])
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const char *c = list + i * stride;
        if (!strcasecmp(c, name)) {
            if (strlen(c) < cap)
                memmove(name, c, strlen(c) + 1);
            return CL_OK;
        }
        size_t d = s_distance(name, c);
        if (strlen(name) >= 4 && s_stristr(c, name))
            d = d < 3 ? d : 3; /* "Oakfield" for "Oakfield Surgery" */
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    size_t len = strlen(name);
    if (best && best_d <= (len / 4 > 3 ? len / 4 : 3))
        snprintf(err, CL_ERROR_SZ, "%s: no %s '%.60s'; did you mean '%.100s'?",
                 field, what, name, best);
    else if (n)
        snprintf(err, CL_ERROR_SZ,
                 "%s: no %s '%.60s' (names are chosen from the registered "
                 "list, e.g. '%.80s')",
                 field, what, name, list);
    else
        snprintf(err, CL_ERROR_SZ, "%s: no %s '%.60s'", field, what, name);
    return CL_ERR_INVALID;
}
