/*
 * wal: the sequential log before the B-tree (see wal.h for the format).
 */
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store_int.h"

struct cl_wal {
    int fd;
    uint64_t end;     /* where the next record goes */
    uint64_t records; /* appended since the last cut */
    bool broken;      /* a sync failed: the file's state is unknown */
};

int cl_wal_open(cl_wal **out, const char *path)
{
    *out = NULL;
    cl_wal *w = calloc(1, sizeof(*w));
    if (!w)
        return CL_ERR_NOMEM;
    w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        int e = errno;
        free(w);
        errno = e;
        return CL_ERR_IO;
    }
    struct stat st;
    if (fstat(w->fd, &st) != 0) {
        int e = errno;
        cl_wal_close(&w);
        errno = e;
        return CL_ERR_IO;
    }
    w->end = (uint64_t)st.st_size;
    *out = w;
    return CL_OK;
}

void cl_wal_close(cl_wal **wp)
{
    if (!wp || !*wp)
        return;
    if ((*wp)->fd >= 0)
        close((*wp)->fd);
    free(*wp);
    *wp = NULL;
}

static void s_header(uint8_t h[CL_WAL_HEADER], uint64_t seq, size_t len)
{
    memcpy(h, CL_WAL_MAGIC, 4);
    for (int i = 0; i < 8; i++)
        h[4 + i] = (uint8_t)(seq >> (8 * (7 - i)));
    for (int i = 0; i < 4; i++)
        h[12 + i] = (uint8_t)(len >> (8 * (3 - i)));
}

static void s_sum(uint8_t out[CL_WAL_SUM], const uint8_t h[CL_WAL_HEADER],
                  const uint8_t *body, size_t len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, CL_WAL_SUM);
    crypto_generichash_update(&st, h, CL_WAL_HEADER);
    crypto_generichash_update(&st, body, len);
    crypto_generichash_final(&st, out, CL_WAL_SUM);
}

/* The whole file, read into *buf (NULL if empty). */
static int s_read_all(const cl_wal *w, uint8_t **buf, size_t *len)
{
    struct stat st;
    *buf = NULL;
    *len = 0;
    if (fstat(w->fd, &st) != 0)
        return CL_ERR_IO;
    if (st.st_size == 0)
        return CL_OK;
    if ((uint64_t)st.st_size > SIZE_MAX / 2)
        return CL_ERR_NOMEM;
    uint8_t *b = malloc((size_t)st.st_size);
    if (!b)
        return CL_ERR_NOMEM;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = pread(w->fd, b + got, (size_t)st.st_size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* shorter than it was: what is there */
        got += (size_t)r;
    }
    *buf = b;
    *len = got;
    return CL_OK;
}

/* The record at b[off..len): its sequence, body and whole length, or
 * false if it is not a whole record whose checksum holds. */
static bool s_record(const uint8_t *b, size_t len, size_t off, uint64_t *seq,
                     const uint8_t **body, size_t *body_len, size_t *rec_len)
{
    if (len - off < CL_WAL_HEADER + CL_WAL_SUM ||
        memcmp(b + off, CL_WAL_MAGIC, 4))
        return false;
    const uint8_t *h = b + off;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = s << 8 | h[4 + i];
    size_t n =
        (size_t)h[12] << 24 | (size_t)h[13] << 16 | (size_t)h[14] << 8 | h[15];
    if (n > CL_WAL_BODY_MAX || len - off - CL_WAL_HEADER - CL_WAL_SUM < n)
        return false;
    uint8_t sum[CL_WAL_SUM];
    s_sum(sum, h, h + CL_WAL_HEADER, n);
    if (sodium_memcmp(sum, h + CL_WAL_HEADER + n, CL_WAL_SUM) != 0)
        return false;
    *seq = s;
    *body = h + CL_WAL_HEADER;
    *body_len = n;
    *rec_len = CL_WAL_HEADER + n + CL_WAL_SUM;
    return true;
}

bool cl_wal_first(const cl_wal *w, uint64_t *seq)
{
    uint8_t *b;
    size_t len, n, rec;
    const uint8_t *body;
    bool ok = s_read_all(w, &b, &len) == CL_OK && b &&
              s_record(b, len, 0, seq, &body, &n, &rec);
    free(b);
    return ok;
}

int cl_wal_replay(cl_wal *w, uint64_t after, cl_wal_fn fn, void *ctx,
                  uint64_t *last, uint64_t *tail)
{
    uint8_t *b;
    size_t len, off = 0;
    *last = after;
    *tail = 0;
    int rc = s_read_all(w, &b, &len);
    if (rc != CL_OK)
        return rc;
    uint64_t records = 0;
    while (off < len && rc == CL_OK) {
        uint64_t seq;
        const uint8_t *body;
        size_t n, rec;
        if (!s_record(b, len, off, &seq, &body, &n, &rec))
            break; /* torn: never durable, never acknowledged */
        if (seq <= after && *last > after)
            break; /* behind what it followed: not of this run */
        if (seq > after && seq != *last + 1)
            break; /* does not follow on */
        if (seq > after) {
            if ((rc = fn(ctx, seq, body, n)) != CL_OK)
                break;
            *last = seq;
        }
        off += rec;
        records++;
    }
    free(b);
    if (rc != CL_OK)
        return rc;
    *tail = len - off;
    if (*tail && ftruncate(w->fd, (off_t)off) != 0)
        return cl_store__io_err(errno); /* the next append would follow it */
    w->end = off;
    w->records = records;
    return CL_OK;
}

int cl_wal_append(cl_wal *w, uint64_t seq, const uint8_t *body, size_t len)
{
    if (w->broken)
        return CL_ERR_IO;
    if (len > CL_WAL_BODY_MAX)
        return CL_ERR_INVALID;
    uint8_t h[CL_WAL_HEADER], sum[CL_WAL_SUM];
    s_header(h, seq, len);
    s_sum(sum, h, body, len);
    struct iovec v[3] = {
        {h, sizeof(h)}, {(void *)body, len}, {sum, sizeof(sum)}};
    size_t total = sizeof(h) + len + sizeof(sum), done = 0;
    int iv = 0;
    while (done < total) {
        ssize_t r = pwritev(w->fd, v + iv, 3 - iv, (off_t)(w->end + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : ENOSPC;
            /* what was written of it goes: the next append follows the
             * last whole record */
            if (ftruncate(w->fd, (off_t)w->end) != 0)
                w->broken = true;
            errno = e;
            return cl_store__io_err(e);
        }
        done += (size_t)r;
        for (size_t k = (size_t)r; k;) { /* step the vectors past it */
            size_t step = k < v[iv].iov_len ? k : v[iv].iov_len;
            v[iv].iov_base = (uint8_t *)v[iv].iov_base + step;
            v[iv].iov_len -= step;
            k -= step;
            if (!v[iv].iov_len && iv < 2)
                iv++;
        }
    }
    w->end += total;
    w->records++;
    return CL_OK;
}

int cl_wal_sync(cl_wal *w)
{
    if (w->broken)
        return CL_ERR_IO;
    while (fdatasync(w->fd) != 0) {
        if (errno == EINTR)
            continue;
        w->broken = true;
        return cl_store__io_err(errno);
    }
    return CL_OK;
}

/* The first record's magic, zeroed by a rewind: what follows it in the
 * file is stale, never read again (a replay ends there). */
static const uint8_t s_no_magic[4];

int cl_wal_rewind(cl_wal *w)
{
    if (w->broken) /* what the file holds is unknown: it goes */
        return cl_wal_cut(w);
    if (!w->end)
        return CL_OK;
    ssize_t r;
    do
        r = pwrite(w->fd, s_no_magic, sizeof(s_no_magic), 0);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof(s_no_magic))
        return cl_wal_cut(w); /* then the file goes */
    w->end = 0;
    w->records = 0;
    w->broken = false; /* nothing in it to be unsure of */
    return CL_OK;
}

int cl_wal_cut(cl_wal *w)
{
    if (ftruncate(w->fd, 0) != 0)
        return cl_store__io_err(errno);
    w->end = 0;
    w->records = 0;
    w->broken = false; /* nothing in it to be unsure of */
    return CL_OK;
}

uint64_t cl_wal_bytes(const cl_wal *w)
{
    return w->end;
}

uint64_t cl_wal_records(const cl_wal *w)
{
    return w->records;
}
