/*
 * names: one name from a list, case-insensitively, with "did you mean"
 * (see names.h). The nearest name is by edit distance (cl_distance) over
 * lower-cased bytes; a name the typed text is a part of counts as near too.
 */
#include "names.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cl_distance.h"

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
        size_t d = cl_distance(name, strlen(name), c, strlen(c), true);
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
