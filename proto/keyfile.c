/*
 * keyfile: reading and writing CURVE key files (see keyfile.h).
 */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "cl_model.h"

typedef struct s_keys {
    char pub[CL_Z85_KEY_SZ];
    char sec[CL_Z85_KEY_SZ];
    int bad_line;
} s_keys;

int cl_keyfile_z85_valid(const char *s)
{
    uint8_t bin[32];
    return strlen(s) == 40 && zmq_z85_decode(bin, s) != NULL;
}

static int s_handler(void *user, const char *section, const char *name,
                     const char *value)
{
    s_keys *k = user;
    if (strcmp(section, "curve") != 0)
        return 1; /* other sections are ignored */
    if (strcmp(name, "public-key") == 0)
        return cl_copy(k->pub, sizeof(k->pub), value) &&
               cl_keyfile_z85_valid(value);
    if (strcmp(name, "secret-key") == 0)
        return cl_copy(k->sec, sizeof(k->sec), value) &&
               cl_keyfile_z85_valid(value);
    return 1;
}

int cl_keyfile_read(const char *path, char *pub, char *sec, char *err,
                    size_t err_len)
{
    s_keys k;
    struct stat st;
    int rc = CL_ERR_KEY;
    memset(&k, 0, sizeof(k));
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, err_len, "key file %s: %s", path, strerror(errno));
        return CL_ERR_IO;
    }
    if (sec && fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, err_len,
                 "key file %s: mode %03o lets others read the secret key; "
                 "run 'chmod 600 %s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        rc = CL_ERR_PERM;
        goto out;
    }
    int line = ini_parse_file(f, s_handler, &k);
    if (line != 0) {
        snprintf(err, err_len, "key file %s line %d: not a valid Z85 key", path,
                 line);
        goto out;
    }
    if (!k.pub[0] || (sec && !k.sec[0])) {
        snprintf(err, err_len, "key file %s: no %s in a [curve] section", path,
                 k.pub[0] ? "secret-key" : "public-key");
        goto out;
    }
    memcpy(pub, k.pub, CL_Z85_KEY_SZ);
    if (sec)
        memcpy(sec, k.sec, CL_Z85_KEY_SZ);
    rc = CL_OK;
out:
    sodium_memzero(&k, sizeof(k));
    fclose(f);
    return rc;
}

static int s_write(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? CL_ERR_EXISTS : CL_ERR_IO;
    size_t n = strlen(text);
    int rc =
        write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? CL_OK : CL_ERR_IO;
    close(fd);
    return rc;
}

int cl_keyfile_generate(const char *base, char *pub)
{
    char sec[CL_Z85_KEY_SZ], pubk[CL_Z85_KEY_SZ], path[4096], text[256];
    int rc;
    if (zmq_curve_keypair(pubk, sec) != 0)
        return CL_ERR_INTERNAL;
    snprintf(path, sizeof(path), "%s.key", base);
    snprintf(text, sizeof(text),
             "# caselink CURVE key pair. Secret: keep this file mode 0600.\n"
             "[curve]\npublic-key = %s\nsecret-key = %s\n",
             pubk, sec);
    rc = s_write(path, 0600, text);
    sodium_memzero(text, sizeof(text));
    sodium_memzero(sec, sizeof(sec));
    if (rc != CL_OK)
        return rc;
    snprintf(path, sizeof(path), "%s.pub", base);
    snprintf(text, sizeof(text),
             "# caselink CURVE public key: register it with the daemon.\n"
             "[curve]\npublic-key = %s\n",
             pubk);
    rc = s_write(path, 0644, text);
    if (rc == CL_OK && pub)
        memcpy(pub, pubk, CL_Z85_KEY_SZ);
    return rc;
}
