/*
 * keyfile: the master key file (read with its permissions checked,
 * generated). Owns no key after returning: the caller wipes what it read.
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

/* --- master key file ------------------------------------------------------ */

int cl_store_key_load(uint8_t out[CL_MASTER_KEY_LEN], const char *path,
                      char *err, size_t err_len)
{
    int rc = CL_ERR_IO;
    int fd = -1;
    uint8_t buf[130];
    ssize_t n = 0;
    struct stat st;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, err_len, "master key %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "master key %s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        rc = CL_ERR_PERM;
        snprintf(err, err_len,
                 "master key %s: mode %03o lets others read it; run "
                 "'chmod 600 %s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        goto out;
    }
    n = read(fd, buf, sizeof(buf));
    if (n < 0) {
        snprintf(err, err_len, "master key %s: %s", path, strerror(errno));
        goto out;
    }
    rc = CL_ERR_KEY;
    size_t len = (size_t)n;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len == CL_MASTER_KEY_LEN * 2) {
        size_t bin_len = 0;
        if (sodium_hex2bin(out, CL_MASTER_KEY_LEN, (const char *)buf, len, NULL,
                           &bin_len, NULL) != 0 ||
            bin_len != CL_MASTER_KEY_LEN) {
            snprintf(err, err_len, "master key %s: not valid hex", path);
            goto out;
        }
    } else if ((size_t)n == CL_MASTER_KEY_LEN) {
        memcpy(out, buf, CL_MASTER_KEY_LEN);
    } else {
        snprintf(err, err_len,
                 "master key %s: expected 32 bytes or 64 hex digits", path);
        goto out;
    }
    rc = CL_OK;
out:
    sodium_memzero(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return rc;
}

int cl_store_key_generate(const char *path)
{
    uint8_t key[CL_MASTER_KEY_LEN];
    char hex[CL_MASTER_KEY_LEN * 2 + 2];
    int rc = CL_ERR_IO;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? CL_ERR_EXISTS : CL_ERR_IO;
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    size_t len = strlen(hex);
    hex[len++] = '\n';
    if (write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0)
        rc = CL_OK;
    sodium_memzero(key, sizeof(key));
    sodium_memzero(hex, sizeof(hex));
    close(fd);
    return rc;
}

/* --- derived keys ----------------------------------------------------------
 */

int cl_store__derive(cl_store *s, const uint8_t master[CL_MASTER_KEY_LEN])
{
    s->keys = sodium_malloc(sizeof(*s->keys));
    if (!s->keys)
        return CL_ERR_NOMEM;
    for (uint32_t v = 1; v <= CL_STORE_KEY_VERSIONS; v++)
        crypto_kdf_derive_from_key(s->keys->data[v], CL_KEY_LEN, v, "cl-data_",
                                   master);
    crypto_kdf_derive_from_key(s->keys->index, CL_KEY_LEN, 1, "cl-index",
                               master);
    crypto_kdf_derive_from_key(s->keys->repl, CL_KEY_LEN, 1, "cl-repl_",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_mac, CL_KEY_LEN, 1, "cl-ixmac",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_enc, CL_KEY_LEN, 1, "cl-ixenc",
                               master);
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_kdf_derive_from_key(seed, sizeof(seed), 1, "cl-audit", master);
    crypto_sign_seed_keypair(s->keys->sign_pk, s->keys->sign_sk, seed);
    sodium_memzero(seed, sizeof(seed));
    sodium_mprotect_readonly(s->keys);
    return CL_OK;
}
