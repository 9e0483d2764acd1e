/*
 * fuzz_batch: any bytes as a replication batch read from the stream,
 * applied to a real store (opened once in a temporary folder; every
 * transaction aborted, so it stays empty). A malformed batch must be
 * refused, never read out of bounds or crash.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static char s_dir[] = "/tmp/clfuzz-batch.XXXXXX";
static cl_store *s_store;

static void s_cleanup(void)
{
    char path[64];
    cl_store_close(&s_store);
    snprintf(path, sizeof(path), "%s/data.mdb", s_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", s_dir);
    unlink(path);
    rmdir(s_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint64_t seq;
    cl_txn *t = NULL;
    if (!s_store) {
        uint8_t mk[CL_MASTER_KEY_LEN];
        if (sodium_init() < 0 || !mkdtemp(s_dir))
            abort();
        memset(mk, 7, sizeof(mk));
        if (cl_store_open(&s_store, s_dir, mk, 64u << 20) != CL_OK)
            abort();
        atexit(s_cleanup);
    }
    if (cl_store_begin(&t, s_store, NULL, true) != CL_OK)
        abort();
    if (cl_store_apply(t, data, size, ++seq) != CL_OK) {
        /* refusals are expected */
    }
    cl_store_abort(&t);
    return 0;
}
