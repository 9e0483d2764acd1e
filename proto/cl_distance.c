/*
 * cl_distance: Levenshtein distance over one row of the table (see
 * cl_distance.h).
 */
#include "cl_distance.h"

#include <ctype.h>

static int s_byte(char c, bool fold)
{
    return fold ? tolower((unsigned char)c) : (unsigned char)c;
}

size_t cl_distance(const char *a, size_t la, const char *b, size_t lb,
                   bool fold)
{
    size_t d[CL_DISTANCE_MAX + 1];
    if (la > CL_DISTANCE_MAX || lb > CL_DISTANCE_MAX)
        return CL_DISTANCE_FAR;
    for (size_t j = 0; j <= lb; j++)
        d[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t t = d[j];
            size_t c =
                prev + (s_byte(a[i - 1], fold) != s_byte(b[j - 1], fold));
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
