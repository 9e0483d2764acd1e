/*
 * keyver: which data key versions are retired (see rotate.c), as a
 * transaction or the store sees it. Data only: no LMDB, no keys.
 */
#include "store_int.h"

bool cl_store__is_retired(uint64_t r, uint32_t v)
{
    uint32_t floor = CL_STORE__FLOOR(r);
    if (v < floor)
        return true;
    return v - floor + 1 < 32 && (CL_STORE__MASK(r) >> (v - floor + 1)) & 1;
}

uint64_t cl_store__txn_retired(const cl_txn *t)
{
    for (const cl_txn *p = t; p; p = p->parent)
        if (p->retired)
            return p->retired;
    return __atomic_load_n(&t->store->retired, __ATOMIC_RELAXED);
}
