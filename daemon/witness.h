/*
 * witness: ships each audit checkpoint off the host as it is made.
 *
 * The operator configures a command ([audit] checkpoint_command); for each
 * checkpoint it is run by /bin/sh with the checkpoint text on its standard
 * input and nothing else inherited (no descriptors, an empty signal mask).
 * The daemon never waits for it while serving: finished commands are
 * reaped on later turns and a failure is logged. A checkpoint holds no
 * personal data (a count, a hash, a time, a public key, a signature).
 */
#ifndef CL_WITNESS_H
#define CL_WITNESS_H

#include <stdbool.h>

typedef struct cl_witness cl_witness;

/* A shipper for cmd (borrowed for the shipper's life); NULL or "" ships
 * nothing. A command still running after timeout_s is stopped (with what
 * it started) and logged as not shipped; so is the oldest of 16 running
 * when a newer checkpoint comes, and any still running at stop. Returns
 * NULL only when out of memory. */
cl_witness *cl_witness_new(const char *cmd, unsigned timeout_s);

/* Start shipping text. Failure to start is logged, never fatal. */
void cl_witness_ship(cl_witness *w, const char *text);

/* Reap finished commands and log failures, stopping those over their
 * time; with wait_ms > 0 (at stop), wait up to that long for every one
 * still running, then stop the rest. */
void cl_witness_reap(cl_witness *w, int wait_ms);

/* Free; call cl_witness_reap with a wait first. Safe on NULL. */
void cl_witness_destroy(cl_witness **w);

#endif
