/*
 * anchor: the store's anchor, kept after the text of the key check in its
 * sealed row (store.c reads and writes the row).
 *
 * A group rolled back whole (its rows, its digest row and its table's
 * total, all from one older copy of the file) still adds up. So the
 * anchor holds every counted table's total as the store last wrote it,
 * moved by each change as the total moves (not copied from it): a total
 * put back from an older copy stays apart from its entry for good,
 * however the table changes afterwards, and cl_store_verify reports it
 * (at start and by `audit verify`). Putting the anchor back too puts back
 * every other table's total of that copy, the audit log's among them
 * (the audit table is counted): it then no longer adds up unless the log
 * is rolled back with it, which the signed checkpoints shipped off the
 * host show (`audit verify --checkpoint`).
 *
 * Entries: "name NUL count (8) digest (16)", in the order first written.
 */
#include "store_int.h"

#include <string.h>

_Static_assert(CL_DB_COUNT <= 64, "cl_store.tainted: one bit a table");

#define S_FIXED (8 + CL_STORE__TAG)
#define S_HEAD  sizeof(CL_STORE__KEYCHECK)

/* Where name's entry starts in a (len bytes), or len if it has none (a
 * malformed tail counts as none: the buffer was sealed, so it is ours). */
static size_t s_find(const uint8_t *a, size_t len, const char *name)
{
    size_t at = 0, n = strlen(name) + 1;
    while (at < len) {
        const uint8_t *z = memchr(a + at, 0, len - at);
        size_t nl = z ? (size_t)(z - (a + at)) + 1 : len;
        if (!z || at + nl + S_FIXED > len)
            return len;
        if (nl == n && !memcmp(a + at, name, n))
            return at;
        at += nl + S_FIXED;
    }
    return len;
}

int cl_store__anchor_parse(cl_store__anchor *a, size_t len)
{
    a->loaded = true;
    if (len >= S_HEAD && !memcmp(a->buf, CL_STORE__KEYCHECK, S_HEAD)) {
        a->len = len;
        return CL_OK;
    }
    /* none yet: a store being made, or one from before the anchor */
    if (len && (len != sizeof(CL_STORE__KEYCHECK_V1) ||
                memcmp(a->buf, CL_STORE__KEYCHECK_V1, len))) {
        a->loaded = false;
        return CL_ERR_CORRUPT;
    }
    memcpy(a->buf, CL_STORE__KEYCHECK, S_HEAD);
    a->len = S_HEAD;
    return CL_OK;
}

void cl_store__anchor_entry(const cl_store__anchor *a, const char *name,
                            uint64_t *count, uint8_t x[CL_STORE__TAG])
{
    const uint8_t *e = a->buf + S_HEAD;
    size_t len = a->len - S_HEAD, at = s_find(e, len, name);
    *count = 0;
    memset(x, 0, CL_STORE__TAG);
    if (at == len)
        return;
    e += at + strlen(name) + 1;
    for (int i = 0; i < 8; i++)
        *count = *count << 8 | e[i];
    memcpy(x, e + 8, CL_STORE__TAG);
}

int cl_store__anchor_move(cl_store__anchor *a, const char *name, uint64_t c0,
                          const uint8_t x0[CL_STORE__TAG], uint64_t c1,
                          const uint8_t x1[CL_STORE__TAG])
{
    uint64_t c;
    uint8_t x[CL_STORE__TAG];
    cl_store__anchor_entry(a, name, &c, x);
    c += c1 - c0;
    for (int i = 0; i < CL_STORE__TAG; i++)
        x[i] ^= x0[i] ^ x1[i];
    uint8_t *e = a->buf + S_HEAD;
    size_t len = a->len - S_HEAD, at = s_find(e, len, name);
    size_t n = strlen(name) + 1;
    if (at == len) {
        if (a->len + n + S_FIXED > sizeof(a->buf))
            return CL_ERR_FULL;
        memcpy(e + at, name, n);
        a->len += n + S_FIXED;
    }
    e += at + n;
    for (int i = 0; i < 8; i++)
        e[i] = (uint8_t)(c >> (56 - 8 * i));
    memcpy(e + 8, x, CL_STORE__TAG);
    a->moved = true;
    return CL_OK;
}

bool cl_store__is_total(const uint8_t *dk, size_t dk_len)
{
    return dk_len > 1 && memchr(dk, 0, dk_len) == dk + dk_len - 1;
}
