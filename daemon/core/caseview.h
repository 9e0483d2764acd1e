/*
 * caseview: the linked case view, subject access and the auditor's search:
 * what a coordinator or auditor sees of a person, and the audit note that
 * names everyone shown. Calls records and plan, never the files above it.
 */
#ifndef CL_CASEVIEW_H
#define CL_CASEVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "records.h"

#endif
