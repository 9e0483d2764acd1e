/*
 * bench.h: what caselink-bench's files share (bench.c, bench_writer.c).
 */
#ifndef CL_BENCH_H
#define CL_BENCH_H

#include <stdint.h>

#include "core.h"

/* Referral n of the bench, about synthetic person `person` (bench.c). */
void bench_referral(cl_referral *r, uint64_t person, uint64_t n);

/* --writer-cost N: prints the writer's CPU and pages per referral;
 * 0 or 1 (failed). */
int bench_writer_cost(uint64_t n);

#endif
