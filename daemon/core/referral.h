/*
 * referral: what an agency may change about its own referral after
 * publishing it: correction (each earlier version kept as history) and
 * withdrawal, and the coordinator's status as a referral moves on. Calls
 * records, linkfind and alerts' retraction, never a file above it.
 */
#ifndef CL_REFERRAL_H
#define CL_REFERRAL_H

#include "core.h"

#endif
