/*
 * casefind: finding people for a coordinator: ranked candidates for a
 * description, and case finding (high-level users of one agency known to
 * few others), with aggregate counts under the threshold suppressed.
 * Calls records, linkfind and caseview's break-glass check only.
 */
#ifndef CL_CASEFIND_H
#define CL_CASEFIND_H

#include "core.h"

#endif
