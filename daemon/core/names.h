/*
 * names: free-text names chosen from a list (registered agencies, the
 * configured workstreams) as a person types them: the same name in any
 * case is the listed one, and a near miss is refused with "did you mean".
 * Pure functions: no store, no I/O.
 */
#ifndef CL_NAMES_H
#define CL_NAMES_H

#include <stddef.h>

#include "cl_model.h"

/*
 * Resolve name (cap bytes, NUL-terminated) against n names laid out
 * stride bytes apart from list. On a match in any case name is replaced by
 * the listed spelling and CL_OK returned; otherwise CL_ERR_INVALID with a
 * sentence in err naming the field, what it holds ("registered agency")
 * and the nearest listed name.
 */
CL_NODISCARD int cl_names_resolve(char *name, size_t cap, const char *list,
                                  size_t n, size_t stride, const char *field,
                                  const char *what, char err[CL_ERROR_SZ]);

#endif
