/*
 * core: caselink's domain logic, a library of pure functions over store
 * transactions. It decides who a record is about, what a caller may do and
 * see, and what a linked case looks like. It never touches sockets,
 * protobuf, configuration files or LMDB directly (only through store/), and
 * never logs personal data.
 *
 * Each file of daemon/core/ declares its functions in its own header; this
 * one declares core.c's (the decode check over every stored format and the
 * counts) and includes every other, for the daemon and the tests. Inside
 * the library a file includes the headers it uses, never this one.
 */
#ifndef CL_CORE_H
#define CL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "alerts.h"
#include "audit.h"
#include "block.h"
#include "casefind.h"
#include "caseview.h"
#include "dp.h"
#include "feed.h"
#include "flag.h"
#include "idset.h"
#include "inforeq.h"
#include "intake.h"
#include "link.h"
#include "linkfind.h"
#include "lists.h"
#include "mailbox.h"
#include "match.h"
#include "matchq.h"
#include "mdt.h"
#include "mdt_action.h"
#include "mdt_dp.h"
#include "mdt_pack.h"
#include "mdt_report.h"
#include "mdt_review.h"
#include "names.h"
#include "op.h"
#include "natural.h"
#include "plan.h"
#include "purpose.h"
#include "rechist.h"
#include "records.h"
#include "referral.h"
#include "refindex.h"
#include "retention.h"

/* Decode one stored plaintext value of sub-database db with the decoder
 * the daemon uses (for fuzzing): CL_OK, or CL_ERR_CORRUPT for bytes that
 * are not a valid record. Never reads past len. */
CL_NODISCARD int cl_core_decode_check(cl_db db, const uint8_t *buf, size_t len);

/* Counts for health and statistics: never personal data. */
CL_NODISCARD int cl_core_counts(cl_txn *t, uint64_t *persons,
                                uint64_t *referrals);

#endif
