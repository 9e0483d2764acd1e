/*
 * backup: the online backup, one at a time. The request prepares a
 * folder inside the batch; after the commit a thread of its own copies
 * the store beside the final folder and swaps it into place only when
 * complete; the loop answers whoever asked when the thread says it is
 * done. Nothing here resizes the map (the loop waits for the thread
 * first).
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat2, RENAME_EXCHANGE (_GNU_SOURCE) */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "item.h"
#include "log.h"

/* Remove a backup folder the daemon made (data.mdb, lock.mdb, itself). */
static void s_rm_backup_dir(const char *path)
{
    char f[CL_PATH_SZ + 160];
    snprintf(f, sizeof(f), "%s/data.mdb", path);
    (void)unlink(f);
    snprintf(f, sizeof(f), "%s/lock.mdb", path);
    (void)unlink(f);
    (void)rmdir(path);
}

static bool s_name_ok(const char *n)
{
    if (!n[0] || !strcmp(n, ".") || !strcmp(n, ".."))
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

/* Prepare a backup folder; the copy itself starts after the commit. */
int cl_backup_prepare(cl_server *s, s_item *it)
{
    char dir[CL_PATH_SZ + 16];
    it->rep.kind = CL_REQ_ADMIN_BACKUP;
    if (!s_name_ok(it->req.u.backup_name)) {
        cl_item_fail(it, CL_ERR_INVALID,
                     "backup name: letters, digits, '-', '_' and '.' only");
        return CL_OK;
    }
    if (s->backup_running) {
        cl_item_fail(it, CL_ERR_BUSY, "a backup is already running");
        return CL_OK;
    }
    snprintf(dir, sizeof(dir), "%s/backups", s->cfg.state_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cl_item_fail(it, CL_ERR_IO, "cannot create the backups folder");
        return CL_OK;
    }
    if (it->req.u.backup_name[0] == '.') {
        cl_item_fail(it, CL_ERR_INVALID,
                     "backup name: must not start with '.'");
        return CL_OK;
    }
    /* The copy is made beside the final folder and put in its place only
     * when complete, so a name can be used every night: the old backup is
     * replaced atomically (or kept, if the new one fails). */
    snprintf(s->backup_final, sizeof(s->backup_final), "%s/%s", dir,
             it->req.u.backup_name);
    snprintf(s->backup_path, sizeof(s->backup_path), "%s/.%s.partial", dir,
             it->req.u.backup_name);
    s_rm_backup_dir(s->backup_path); /* a copy interrupted before */
    if (mkdir(s->backup_path, 0700) != 0) {
        cl_item_fail(it, CL_ERR_IO, "cannot create the backup folder");
        return CL_OK;
    }
    it->deferred = true;
    return CL_OK;
}

/* Put the complete copy at its final name: files 0600, folder 0700,
 * data on disk, then an atomic exchange with any older backup there. */
static int s_backup_install(cl_server *s)
{
    char f[CL_PATH_SZ + 160];
    snprintf(f, sizeof(f), "%s/data.mdb", s->backup_path);
    int fd = open(f, O_RDONLY | O_CLOEXEC);
    int rc =
        fd >= 0 && fchmod(fd, 0600) == 0 && fsync(fd) == 0 ? CL_OK : CL_ERR_IO;
    if (fd >= 0)
        close(fd);
    if (rc == CL_OK && chmod(s->backup_path, 0700) != 0)
        rc = CL_ERR_IO;
    if (rc != CL_OK)
        return rc;
    if (renameat2(AT_FDCWD, s->backup_path, AT_FDCWD, s->backup_final,
                  RENAME_EXCHANGE) == 0) {
        s_rm_backup_dir(s->backup_path); /* now the old one */
    } else if (errno != ENOENT ||
               rename(s->backup_path, s->backup_final) != 0) {
        return CL_ERR_IO;
    }
    char dir[CL_PATH_SZ + 16];
    snprintf(dir, sizeof(dir), "%s/backups", s->cfg.state_dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            rc = CL_ERR_IO;
        close(dfd);
    }
    return rc;
}

static void *s_backup_main(void *arg)
{
    cl_server *s = arg;
    uint64_t one = 1;
    s->backup_rc = cl_store_backup(s->store, s->backup_path, &s->backup_bytes);
    if (s->backup_rc == CL_OK)
        s->backup_rc = s_backup_install(s);
    else
        s_rm_backup_dir(s->backup_path);
    if (write(s->backup_efd, &one, sizeof(one)) != sizeof(one))
        s->backup_rc = CL_ERR_IO;
    return NULL;
}

void cl_backup_start(cl_server *s, s_item *it)
{
    zmq_msg_init(&s->backup_route);
    zmq_msg_move(&s->backup_route, &it->route);
    s->backup_delim = it->has_delim;
    memcpy(s->backup_msgid, it->req.msgid, CL_MSGID_LEN);
    s->backup_running = true;
    s->backup_total = 0;
    if (cl_store_backup_size(s->store, &s->backup_total) != CL_OK)
        cl_log_warn("backup: size unknown; progress shows bytes only");
    cl_log_info("backup started: %s (about %llu bytes)", s->backup_path,
                (unsigned long long)s->backup_total);
    if (pthread_create(&s->backup_thread, NULL, s_backup_main, s) != 0) {
        s->backup_rc = CL_ERR_NOMEM;
        uint64_t one = 1;
        if (write(s->backup_efd, &one, sizeof(one)) < 0)
            cl_log_err("backup: eventfd write failed");
    }
}

/* Answer whoever asked for the backup; the thread has been joined. */
void cl_backup_finish_joined(cl_server *s)
{
    uint64_t v;
    cl_reply rep;
    if (read(s->backup_efd, &v, sizeof(v)) != sizeof(v))
        cl_log_warn("backup: eventfd read failed");
    s->backup_running = false;
    memset(&rep, 0, sizeof(rep));
    memcpy(rep.msgid, s->backup_msgid, CL_MSGID_LEN);
    rep.kind = CL_REQ_ADMIN_BACKUP;
    /* the copy is one generation behind the live store from now on */
    if (s->backup_rc == CL_OK)
        s->backup_rc = cl_store_generation_bump(s->store);
    if (s->backup_rc == CL_OK) {
        CL_COPY(rep.u.backup.path, s->backup_final);
        rep.u.backup.bytes = s->backup_bytes;
        cl_log_info("backup done: %s (%llu bytes)", s->backup_final,
                    (unsigned long long)s->backup_bytes);
    } else {
        rep.status = cl_wire_status(s->backup_rc);
        snprintf(rep.error, sizeof(rep.error), "backup failed: %s",
                 cl_strerror(s->backup_rc));
        cl_log_err("backup failed: %s", cl_strerror(s->backup_rc));
    }
    cl_item_reply_to(s, &s->backup_route, s->backup_delim, &rep);
    zmq_msg_close(&s->backup_route);
}

/* The backup thread signalled: join it and answer. */
void cl_backup_finish(cl_server *s)
{
    if (!s->backup_running)
        return;
    pthread_join(s->backup_thread, NULL);
    cl_backup_finish_joined(s);
}

/* The copy is written to the partial folder's data.mdb in order, so its
 * size is how far the copy has got. */
void cl_backup_progress(const cl_server *s, cl_stats *st)
{
    char f[CL_PATH_SZ + 160];
    struct stat sb;
    st->backup_running = s->backup_running;
    if (!s->backup_running)
        return;
    snprintf(f, sizeof(f), "%s/data.mdb", s->backup_path);
    st->backup_done = stat(f, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    st->backup_total =
        s->backup_total > st->backup_done ? s->backup_total : st->backup_done;
}
