/*
 * feed: feed health. A publisher may number its messages per feed; the
 * daemon notes each number, counts gaps and silences, and tells the
 * coordinating agencies once per episode (feed notices, counted apart in
 * their mailboxes). Also the governance notices to information
 * governance's mailboxes. A primitive over mailbox.c: counters and
 * notices only, no personal data.
 */
#ifndef CL_FEED_H
#define CL_FEED_H

#include "cl_model.h"
#include "mailbox.h"
#include "store.h"

/* Decode check of a stored feed state (fuzzing). */
CL_NODISCARD int cl_feed_decode_check(const uint8_t *buf, size_t len);

/* A feed problem found, for the operator's log (no personal data). */
typedef struct cl_feed_event {
    cl_feed_msg msg; /* problem[0] == 0: nothing to report */
} cl_feed_event;

/* Tell information governance (every agency with an auditor, rc->audit):
 * g is copied to each auditor agency's mailbox, never refused (a notice
 * lost would hide what it reports). g->at is set to now. */
CL_NODISCARD int cl_feed_governance_notice(cl_txn *t, const cl_route_config *rc,
                                           cl_governance_msg *g, int64_t now);

/* Feed health for every feed seen. */
CL_NODISCARD int cl_feed_health(cl_txn *t, const cl_route_config *rc,
                                int64_t now, cl_feeds *out);

/* Mark feeds silent for longer than their interval and tell the
 * coordinators, once per silence; up to max events are returned in ev
 * (*n_ev) for the log. */
CL_NODISCARD int cl_feed_check_silent(cl_txn *t, const cl_route_config *rc,
                                      int64_t now, cl_feed_event *ev,
                                      size_t max, size_t *n_ev);

/* Note a feed's sequence number; *ev reports a gap. */
CL_NODISCARD int cl_feed_note(cl_txn *t, const cl_route_config *cfg,
                              const char *agency, const char *feed,
                              uint64_t seq, int64_t now, cl_feed_event *ev);

#endif
