/*
 * devmode: the embedded default. Creates, under one folder, everything a new
 * user needs to run the whole flow: the daemon's key pair, key pairs and a
 * registry for demo agencies (a GP practice, a police force, council
 * children's and adult services, an MDT coordinator, an operator, an
 * auditor), a master key and an empty state directory, plus a configuration
 * file that points at them with an ipc:// endpoint inside the folder.
 * Existing files are kept, so running it again reuses the same store.
 * For development and demonstration only: production uses systemd/.
 */
#ifndef CL_DEVMODE_H
#define CL_DEVMODE_H

#include <stddef.h>

#include "cl_error.h"

/* Prepare dir; config_out receives the path of its caselinkd.conf. */
CL_NODISCARD int cl_devmode_prepare(const char *dir, char *config_out,
                                    size_t cap, char *err, size_t err_len);

#endif
