/*
 * idfloor: handing out ids (cl_store_next_id) and the id floor file that
 * keeps them from being reused after a restore.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "store_int.h"

/* --- the id floor ------------------------------------------------------------
 *
 * An id handed out must never name anything else, even after the data
 * file is replaced by an older copy (a restore from backup), which rolls
 * the counters back. So every counter is reserved ahead, in blocks, in a
 * small file beside data.mdb ("id-floor": one "name value" line each),
 * written and fsync'd (then renamed over the old one) before an id past
 * the reservation is used. The file and the data file (META
 * "floor-generation") also carry a generation, moved on together after
 * every completed backup and at every clean stop
 * (cl_store_generation_bump), so a data file put back from any copy made
 * since is one generation or more behind the file. At open, a data file
 * whose generation differs from the file's has every counter moved up to
 * its reservation, and the daemon says so. Ids between are skipped, never
 * reused. */
#define S_FLOOR_FILE  "id-floor"
#define S_FLOOR_BLOCK 1000

static int s_floor_write(cl_store *s)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->floor_path);
    FILE *f = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return cl_store__io_err(e);
    }
    fprintf(f, "# caselink id floor: ids reserved per counter (see README, "
               "Restore). Keep this file when you restore data.mdb.\n");
    fprintf(f, "generation %llu\n", (unsigned long long)s->floor_gen);
    for (size_t i = 0; i < s->n_floor; i++)
        fprintf(f, "%s %llu\n", s->floor[i].name,
                (unsigned long long)s->floor[i].reserved);
    /* a full disk shows at the flush (or the sync, or the close) */
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? CL_OK
                                                     : cl_store__io_err(errno);
    if (fclose(f) != 0 && rc == CL_OK)
        rc = cl_store__io_err(errno);
    if (rc == CL_OK && rename(tmp, s->floor_path) != 0)
        rc = cl_store__io_err(errno);
    if (rc == CL_OK) { /* the rename itself, durably */
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s", s->floor_path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            rc = CL_ERR_IO;
        if (dfd >= 0)
            close(dfd);
    }
    return rc;
}

int cl_store__floor_load(cl_store *s, const char *dir)
{
    snprintf(s->floor_path, sizeof(s->floor_path), "%s/" S_FLOOR_FILE, dir);
    FILE *f = fopen(s->floor_path, "r");
    char line[256];
    if (!f)
        return errno == ENOENT ? CL_OK : CL_ERR_IO;
    while (fgets(line, sizeof(line), f) && s->n_floor < 64) {
        char name[48];
        unsigned long long v;
        if (line[0] == '#' || sscanf(line, "%47s %llu", name, &v) != 2)
            continue;
        if (!strcmp(name, "generation")) {
            s->floor_gen = v;
            s->floor_has_gen = true;
            continue;
        }
        memcpy(s->floor[s->n_floor].name, name, sizeof(name));
        s->floor[s->n_floor++].reserved = v;
    }
    fclose(f);
    return CL_OK;
}

static int s_meta_u64(cl_txn *t, const char *pfx, const char *name,
                      uint64_t *get, const uint64_t *put)
{
    char key[80];
    uint8_t buf[8];
    size_t len = 0;
    int n = snprintf(key, sizeof(key), "%s%s", pfx, name);
    if (put) {
        for (int b = 7; b >= 0; b--)
            buf[7 - b] = (uint8_t)(*put >> (8 * b));
        return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                                buf, 8);
    }
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n,
                              buf, sizeof(buf), &len);
    *get = 0;
    if (rc == CL_ERR_NOT_FOUND)
        return CL_OK;
    if (rc == CL_OK && len != 8)
        return CL_ERR_CORRUPT;
    for (size_t b = 0; rc == CL_OK && b < 8; b++)
        *get = *get << 8 | buf[b];
    return rc;
}

/* A data file of another generation than the id floor (put back from an
 * older copy): move its counters up to their reservations (at open). */
int cl_store__floor_apply(cl_store *s, cl_txn *t)
{
    uint64_t gen;
    int rc = s_meta_u64(t, "floor-generation", "", &gen, NULL);
    if (rc == CL_OK && !s->floor_has_gen && gen)
        s->floor_lost = gen; /* it ran with a floor that is gone */
    if (rc != CL_OK || !s->floor_has_gen || gen == s->floor_gen)
        return rc;
    for (size_t i = 0; i < s->n_floor && rc == CL_OK; i++) {
        uint64_t v;
        uint64_t r = s->floor[i].reserved;
        rc = cl_store_counter(t, s->floor[i].name, &v);
        if (rc == CL_OK && v < r) {
            rc = s_meta_u64(t, "counter:", s->floor[i].name, NULL, &r);
            s->floor_raised++;
        }
    }
    if (rc == CL_OK)
        rc = s_meta_u64(t, "floor-generation", "", NULL, &s->floor_gen);
    return rc;
}

int cl_store_generation_bump(cl_store *s)
{
    cl_txn *t = NULL;
    s->floor_gen++;
    s->floor_has_gen = true;
    int rc = s_floor_write(s); /* the file first: a crash leaves it ahead */
    /* each node's own, like its place in the replication log: never
     * captured, and not part of the content digest */
    bool capture = s->capture;
    s->capture = false;
    if (rc == CL_OK)
        rc = cl_store_begin(&t, s, NULL, true);
    s->capture = capture;
    if (rc == CL_OK)
        rc = s_meta_u64(t, "floor-generation", "", NULL, &s->floor_gen);
    if (rc == CL_OK)
        rc = cl_store_commit(&t);
    cl_store_abort(&t);
    return rc;
}

uint32_t cl_store_ids_raised(const cl_store *s)
{
    return s->floor_raised;
}

uint64_t cl_store_floor_lost(const cl_store *s)
{
    return s->floor_lost;
}

/* Make sure id v of counter is covered by the reservation on disk (and
 * note a new reservation in t). */
static int s_floor_cover(cl_txn *t, const char *counter, uint64_t v)
{
    cl_store *s = t->store;
    size_t i;
    for (i = 0; i < s->n_floor; i++)
        if (!strcmp(s->floor[i].name, counter))
            break;
    if (i < s->n_floor && v <= s->floor[i].reserved)
        return CL_OK;
    if (i == s->n_floor) {
        if (i == 64 || strlen(counter) >= sizeof(s->floor[i].name))
            return CL_ERR_INTERNAL;
        snprintf(s->floor[i].name, sizeof(s->floor[i].name), "%s", counter);
        s->n_floor++;
    }
    uint64_t old = s->floor[i].reserved;
    s->floor[i].reserved = v + S_FLOOR_BLOCK - 1;
    int rc = s_floor_write(s);
    if (rc != CL_OK)
        s->floor[i].reserved = old; /* not covered: no id */
    (void)t;
    return rc;
}

int cl_store_next_id(cl_txn *t, const char *counter, uint64_t *out)
{
    char key[64];
    uint8_t buf[8];
    uint64_t v;
    int rc = cl_store_counter(t, counter, &v);
    if (rc != CL_OK)
        return rc;
    v++;
    if ((rc = s_floor_cover(t, counter, v)) != CL_OK)
        return rc;
    for (int i = 7; i >= 0; i--)
        buf[7 - i] = (uint8_t)(v >> (8 * i));
    int n = snprintf(key, sizeof(key), "counter:%s", counter);
    rc = cl_store_put_raw(t, CL_DB_META, (const uint8_t *)key, (size_t)n, buf,
                          8);
    if (rc == CL_OK)
        *out = v;
    return rc;
}
