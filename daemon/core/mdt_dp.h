/*
 * mdt_dp: the mdt family's part of the data-protection duties: subject
 * access to the MDT's records about a person, what keeps a person live
 * for retention, their removal, and the decode check of every stored
 * MDT record. Its entry points (cl_core__mdt_subject, cl_core__mdt_live,
 * cl_core__mdt_purge, cl_core__mdt_decode_check) are declared where
 * dp.c and the case view find them (core_int.h).
 */
#ifndef CL_MDT_DP_H
#define CL_MDT_DP_H

#include "core.h"
#include "core_int.h"

#endif
