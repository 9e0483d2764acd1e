/*
 * reindex: `caselinkd --rekey-indexes`, the offline step that completes a
 * master key replacement: the store's index keys move to a generation
 * the former master key cannot derive (store.h, cl_store_reindex). The
 * daemon must be stopped; a standby is then seeded again from a backup.
 */
#ifndef CL_REINDEX_H
#define CL_REINDEX_H

#include "config.h"

/* Re-index the store cfg names, with its master key file (which must be
 * the key in use: a replacement whose .next file was not moved yet is
 * refused). Progress and the outcome go to standard error as log lines;
 * err says why it failed. CL_ERR_BUSY if another process has the store
 * open (the daemon is running). */
CL_NODISCARD int cl_reindex_run(const cl_config *cfg, char *err,
                                size_t err_len);

#endif
