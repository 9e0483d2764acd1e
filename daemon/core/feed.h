/*
 * feed: feed health. A publisher may number its messages per feed; the
 * daemon notes each number, counts gaps and silences, and tells the
 * coordinating agencies once per episode (feed notices, counted apart in
 * their mailboxes). Also the governance notices to information
 * governance's mailboxes. A primitive over mailbox.c: counters and
 * notices only, no personal data.
 *
 * The requests are declared in core.h (and cl_core__feed_note in
 * core_int.h); what the domain library's other files share is here.
 */
#ifndef CL_FEED_H
#define CL_FEED_H

#include "core.h"

/* Decode check of a stored feed state (fuzzing). */
CL_NODISCARD int cl_feed_decode_check(const uint8_t *buf, size_t len);

#endif
