/*
 * fuzz_stored: any bytes as a stored value. The first byte picks the
 * sub-database whose record decoder reads the rest (plaintext, as after
 * opening): cl_core_decode_check runs the decoder that module's reads use
 * (test_records pins that); the whole input is also tried as a sealed
 * value.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "seal.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const cl_db dbs[] = {
        CL_DB_RECORD,        CL_DB_REFERRAL,    CL_DB_PERSON,
        CL_DB_RELATION,      CL_DB_HISTORY,     CL_DB_AUDIT,
        CL_DB_MAILBOX,       CL_DB_INFOREQ,     CL_DB_FEED,
        CL_DB_ACTION,        CL_DB_RAG,         CL_DB_DISCUSSION,
        CL_DB_AGENCY_REF,    CL_DB_INTAKE,      CL_DB_LINKING,
        CL_DB_PLAN,          CL_DB_FLAG_LOG,    CL_DB_HOLD,
        CL_DB_ALERTED,       CL_DB_MEETING,     CL_DB_REVIEW,
        CL_DB_MDT,           CL_DB_MEASURE_DEF, CL_DB_MEASURE,
        CL_DB_RECORD_HISTORY};
    static uint8_t pt[CL_STORE_MAX_VALUE];
    uint8_t key[CL_KEY_LEN];
    size_t n = 0;
    uint32_t ver;
    if (size == 0)
        return 0;
    if (sodium_init() < 0)
        abort();
    if (cl_core_decode_check(dbs[data[0] % (sizeof(dbs) / sizeof(dbs[0]))],
                             data + 1, size - 1) != CL_OK) {
        /* refusals are expected */
    }
    memset(key, 7, sizeof(key));
    if (cl_seal_version(&ver, data, size) != CL_OK) {
        /* refusals are expected */
    }
    if (cl_seal_open(pt, sizeof(pt), &n, key, (const uint8_t *)"record", 6,
                     data, size) != CL_OK) {
        /* refusals are expected */
    }
    return 0;
}
