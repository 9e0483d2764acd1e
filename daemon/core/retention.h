/*
 * retention: core's part of retention (the policy is dp.c's): what keeps
 * a person's records live, and purging everything that names or
 * describes a person. Calls records, matchq and alerts, never a file
 * above it.
 */
#ifndef CL_RETENTION_H
#define CL_RETENTION_H

#include "core.h"

#endif
