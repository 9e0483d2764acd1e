/*
 * keyfile: the master key file (read with its permissions checked,
 * generated), the keys derived from the store's root key, and the keyring
 * that wraps the root under the master key once it was replaced (below).
 * Owns no key after returning: the caller wipes what it read.
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

int cl_store__derive(cl_store *s, const uint8_t master[CL_KEY_LEN])
{
    if (!s->keys) {
        if (!(s->keys = sodium_malloc(sizeof(*s->keys))))
            return CL_ERR_NOMEM;
        sodium_memzero(s->keys, sizeof(*s->keys)); /* no epochs yet */
    }
    sodium_mprotect_readwrite(s->keys);
    crypto_kdf_derive_from_key(s->keys->index, CL_KEY_LEN, 1, "cl-index",
                               master);
    crypto_kdf_derive_from_key(s->keys->repl, CL_KEY_LEN, 1, "cl-repl_",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_mac, CL_KEY_LEN, 1, "cl-ixmac",
                               master);
    crypto_kdf_derive_from_key(s->keys->ix_enc, CL_KEY_LEN, 1, "cl-ixenc",
                               master);
    cl_store__ixk_hashes(s->keys);
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_kdf_derive_from_key(seed, sizeof(seed), 1, "cl-audit", master);
    crypto_sign_seed_keypair(s->keys->sign_pk, s->keys->sign_sk, seed);
    sodium_memzero(seed, sizeof(seed));
    memmove(s->keys->root, master, CL_KEY_LEN);
    s->keys->ixgen = 0;
    sodium_memzero(s->keys->ixsec, sizeof(s->keys->ixsec));
    sodium_memzero(s->keys->ixperm, sizeof(s->keys->ixperm));
    sodium_memzero(s->keys->ixkid, sizeof(s->keys->ixkid));
    s->keys->n_epochs = 0;
    s->keys->n_former = 0;
    sodium_memzero(s->keys->sign_seed, sizeof(s->keys->sign_seed));
    /* version 1 until the store's key state is read (open.c) */
    cl_store__data_key(s->keys, 1);
    sodium_mprotect_readonly(s->keys);
    return CL_OK;
}

void cl_store__data_key(cl_store__keys *k, uint32_t v)
{
    const uint8_t *from = k->root; /* versions before the first epoch */
    for (uint8_t i = 0; i < k->n_epochs; i++)
        if (k->from[i] <= v)
            from = k->epoch[i];
    crypto_kdf_derive_from_key(k->data[v % CL_STORE_KEY_VERSIONS], CL_KEY_LEN,
                               v, "cl-data_", from);
}

/* --- the keyring -----------------------------------------------------------
 *
 * Every key of a store derives from its root key: at first the first
 * master key itself (so that a node and its standby, opened with the same
 * key file, hold the same keys). Replacing the master key (cl_store_rekey)
 * writes the root, wrapped under the new master key, to meta "keyring":
 *
 *   "CLK1" | kid (16) | nonce (24) | XChaCha20-Poly1305 under
 *   kdf(master, 1, "cl-kek__"), associated data "CLK1" | kid, of
 *   root (32) | n (1) | n x (from (1) | epoch key (32))
 *
 * kid = kdf(master, 2, "cl-kek__") names the master key; from then on only
 * that key opens the store (another is CL_ERR_KEY). Each replacement also
 * draws a random epoch key: data keys from version `from` on derive from
 * it, not from the root, and the store moves to that version (the re-seal
 * then moves every value), so that once the earlier versions are retired
 * no value opens with keys a former master key can derive. An epoch
 * whose versions are all retired is dropped at the next replacement, so
 * the ring holds at most one epoch per live version however many
 * replacements there were. Each replacement also draws a new audit
 * signing key: the ring keeps its seed, and the public keys that signed
 * before (the newest CL_STORE__FORMER), so that checkpoints shipped
 * before it still verify while a former master key derives no signing
 * key in use. "CLK3": root | n | n x (from (4) | epoch key) | seed (32,
 * zeros: derived from the root) | m | m x public key; "CLK4" adds the
 * index generation: ixgen (4) | the id of the master key it was drawn
 * under (16) | ixsec (32) (generation 0: zeros, the index-row and
 * replication keys from the root, as before). "CLK3" had no generation,
 * "CLK2" no seed and no former keys, "CLK1" a 1-byte from (all read
 * only). A replacement keeps the generation; re-indexing (reindex.c)
 * draws the next one, so that a former master key derives no index key
 * in use.
 */
#define S_RING_MAGIC "CLK4"
#define S_RING_V3    "CLK3"
#define S_RING_V2    "CLK2"
#define S_RING_V1    "CLK1"
#define S_EPOCH_LEN  (4 + CL_KEY_LEN)
#define S_SIGN_TAIL  (32 + 1 + CL_STORE__FORMER * 32)
#define S_IX_TAIL    (4 + CL_KEY_ID_LEN + CL_KEY_LEN)
#define S_RING_MAX                                                             \
    (1 + CL_STORE__EPOCHS * S_EPOCH_LEN + S_SIGN_TAIL + S_IX_TAIL)
#define S_RING_PLAIN (CL_KEY_LEN + S_RING_MAX)

static void s_kek(const uint8_t master[CL_MASTER_KEY_LEN],
                  uint8_t kek[CL_KEY_LEN], uint8_t kid[CL_KEY_ID_LEN])
{
    crypto_kdf_derive_from_key(kek, CL_KEY_LEN, 1, "cl-kek__", master);
    crypto_kdf_derive_from_key(kid, CL_KEY_ID_LEN, 2, "cl-kek__", master);
}

/* The index-row, replication and blind permutation keys of k's index
 * generation (from the root in generation 0, as cl_store__derive made
 * them). */
static void s_ix_derive(cl_store__keys *k)
{
    const uint8_t *from = k->ixgen ? k->ixsec : k->root;
    crypto_kdf_derive_from_key(k->repl, CL_KEY_LEN, 1, "cl-repl_", from);
    crypto_kdf_derive_from_key(k->ix_mac, CL_KEY_LEN, 1, "cl-ixmac", from);
    crypto_kdf_derive_from_key(k->ix_enc, CL_KEY_LEN, 1, "cl-ixenc", from);
    if (k->ixgen)
        crypto_kdf_derive_from_key(k->ixperm, CL_KEY_LEN, 1, "cl-ixprm", from);
    else
        sodium_memzero(k->ixperm, sizeof(k->ixperm));
    cl_store__ixk_hashes(k);
}

/* The index generation at the end of a CLK4 ring's plaintext (pl bytes)
 * into k: CL_ERR_CORRUPT if it is too short. */
static int s_ixgen_read(cl_store__keys *k, const uint8_t *plain, size_t pl)
{
    if (pl < S_IX_TAIL)
        return CL_ERR_CORRUPT;
    const uint8_t *g = plain + pl - S_IX_TAIL;
    k->ixgen = (uint32_t)g[0] << 24 | (uint32_t)g[1] << 16 |
               (uint32_t)g[2] << 8 | g[3];
    memcpy(k->ixkid, g + 4, CL_KEY_ID_LEN);
    memcpy(k->ixsec, g + 4 + CL_KEY_ID_LEN, CL_KEY_LEN);
    s_ix_derive(k);
    return CL_OK;
}

/* The epochs of an unwrapped ring (elen: 1 for CLK1, 4 for CLK2) into k:
 * CL_ERR_CORRUPT unless they are well formed and ascending. */
static int s_epochs_read(cl_store__keys *k, const uint8_t *plain, size_t pl,
                         size_t elen, bool tail)
{
    uint8_t n = plain[CL_KEY_LEN];
    size_t base = CL_KEY_LEN + 1 + (size_t)n * (elen + CL_KEY_LEN);
    if (n > CL_STORE__EPOCHS || (tail ? pl < base + 33 : pl != base))
        return CL_ERR_CORRUPT;
    if (tail) { /* the signing key's seed and the former public keys */
        const uint8_t *t = plain + base;
        if (t[32] > CL_STORE__FORMER || pl != base + 33 + (size_t)t[32] * 32)
            return CL_ERR_CORRUPT;
        memcpy(k->sign_seed, t, 32);
        if (!sodium_is_zero(t, 32))
            crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, t);
        k->n_former = t[32];
        memcpy(k->former, t + 33, (size_t)t[32] * 32);
    }
    k->n_epochs = n;
    for (uint8_t i = 0; i < n; i++) {
        const uint8_t *e = plain + CL_KEY_LEN + 1 + (size_t)i * (elen + 32);
        k->from[i] = elen == 1 ? e[0]
                               : (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 |
                                     (uint32_t)e[2] << 8 | e[3];
        memcpy(k->epoch[i], e + elen, CL_KEY_LEN);
        if (k->from[i] == 0 || (i && k->from[i] <= k->from[i - 1]))
            return CL_ERR_CORRUPT;
    }
    return CL_OK;
}

int cl_store__keyring_open(cl_store *s, cl_txn *t,
                           const uint8_t master[CL_MASTER_KEY_LEN])
{
    uint8_t ring[4 + CL_KEY_ID_LEN + 24 + S_RING_PLAIN + 16];
    uint8_t plain[S_RING_PLAIN], kek[CL_KEY_LEN], kid[CL_KEY_ID_LEN];
    unsigned long long pl = 0;
    size_t len = 0;
    s_kek(master, kek, kid);
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"keyring", 7,
                              ring, sizeof(ring), &len);
    if (rc == CL_ERR_NOT_FOUND) { /* the root is this master key */
        sodium_mprotect_readwrite(s->keys);
        memcpy(s->keys->kid, kid, sizeof(kid));
        sodium_mprotect_readonly(s->keys);
        rc = CL_OK;
        goto out;
    }
    if (rc != CL_OK)
        goto out;
    const size_t head = 4 + CL_KEY_ID_LEN + 24;
    rc = CL_ERR_KEY;
    bool v1 = len >= 4 && !memcmp(ring, S_RING_V1, 4);
    bool v4 = len >= 4 && !memcmp(ring, S_RING_MAGIC, 4);
    bool v3 = v4 || (len >= 4 && !memcmp(ring, S_RING_V3, 4));
    if (len < head + CL_KEY_LEN + 1 + 16 ||
        (!v3 && !v1 && memcmp(ring, S_RING_V2, 4)) ||
        sodium_memcmp(ring + 4, kid, CL_KEY_ID_LEN) != 0 ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain, &pl, NULL, ring + head, len - head, ring, 4 + CL_KEY_ID_LEN,
            ring + 4 + CL_KEY_ID_LEN, kek) != 0)
        goto out; /* another master key (or the row was damaged) */
    if ((rc = cl_store__derive(s, plain)) != CL_OK)
        goto out;
    sodium_mprotect_readwrite(s->keys);
    rc = v4 ? s_ixgen_read(s->keys, plain, (size_t)pl) : CL_OK;
    if (rc == CL_OK)
        rc = s_epochs_read(s->keys, plain, (size_t)pl - (v4 ? S_IX_TAIL : 0),
                           v1 ? 1 : 4, v3);
    if (rc != CL_OK)
        s->keys->n_epochs = 0;
    cl_store__data_key(s->keys, 1);
    memcpy(s->keys->kid, kid, sizeof(kid));
    sodium_mprotect_readonly(s->keys);
out:
    sodium_memzero(plain, sizeof(plain));
    sodium_memzero(kek, sizeof(kek));
    return rc;
}

bool cl_store_ring_moved(cl_txn *t)
{
    uint8_t ring[4 + CL_KEY_ID_LEN + 24 + S_RING_PLAIN + 16];
    size_t len = 0;
    int rc = cl_store_get_raw(t, CL_DB_META, (const uint8_t *)"keyring", 7,
                              ring, sizeof(ring), &len);
    if (rc == CL_ERR_NOT_FOUND)
        return false; /* the root is the master key: nothing replicated */
    if (rc != CL_OK || len < 4 + CL_KEY_ID_LEN)
        return true; /* unreadable: adopting it says so */
    return sodium_memcmp(ring + 4, t->store->keys->kid, CL_KEY_ID_LEN) != 0;
}

bool cl_store_key_opens(const cl_store *s,
                        const uint8_t master[CL_MASTER_KEY_LEN])
{
    uint8_t kek[CL_KEY_LEN], kid[CL_KEY_ID_LEN];
    s_kek(master, kek, kid);
    bool same = sodium_memcmp(kid, s->keys->kid, sizeof(kid)) == 0;
    sodium_memzero(kek, sizeof(kek));
    return same;
}

int cl_store__ring_put(cl_txn *t, const uint8_t master[CL_MASTER_KEY_LEN])
{
    uint8_t ring[4 + CL_KEY_ID_LEN + 24 + S_RING_PLAIN + 16];
    uint8_t plain[S_RING_PLAIN], kek[CL_KEY_LEN];
    size_t pl = CL_KEY_LEN + 1;
    unsigned long long cl = 0;
    const cl_store__keys *k = t->store->keys;
    memcpy(plain, k->root, CL_KEY_LEN);
    plain[CL_KEY_LEN] = k->n_epochs;
    for (uint8_t i = 0; i < k->n_epochs; i++) {
        uint32_t f = k->from[i];
        plain[pl] = (uint8_t)(f >> 24);
        plain[pl + 1] = (uint8_t)(f >> 16);
        plain[pl + 2] = (uint8_t)(f >> 8);
        plain[pl + 3] = (uint8_t)f;
        memcpy(plain + pl + 4, k->epoch[i], CL_KEY_LEN);
        pl += S_EPOCH_LEN;
    }
    memcpy(plain + pl, k->sign_seed, 32);
    plain[pl + 32] = k->n_former;
    memcpy(plain + pl + 33, k->former, (size_t)k->n_former * 32);
    pl += 33 + (size_t)k->n_former * 32;
    plain[pl] = (uint8_t)(k->ixgen >> 24);
    plain[pl + 1] = (uint8_t)(k->ixgen >> 16);
    plain[pl + 2] = (uint8_t)(k->ixgen >> 8);
    plain[pl + 3] = (uint8_t)k->ixgen;
    memcpy(plain + pl + 4, k->ixkid, CL_KEY_ID_LEN);
    memcpy(plain + pl + 4 + CL_KEY_ID_LEN, k->ixsec, CL_KEY_LEN);
    pl += S_IX_TAIL;
    memcpy(ring, S_RING_MAGIC, 4);
    s_kek(master, kek, ring + 4);
    randombytes_buf(ring + 4 + CL_KEY_ID_LEN, 24);
    const size_t head = 4 + CL_KEY_ID_LEN + 24;
    crypto_aead_xchacha20poly1305_ietf_encrypt(ring + head, &cl, plain, pl,
                                               ring, 4 + CL_KEY_ID_LEN, NULL,
                                               ring + 4 + CL_KEY_ID_LEN, kek);
    sodium_memzero(plain, sizeof(plain));
    sodium_memzero(kek, sizeof(kek));
    return cl_store_put_raw(t, CL_DB_META, (const uint8_t *)"keyring", 7, ring,
                            head + (size_t)cl);
}

int cl_store__epoch_add(cl_store *s, uint32_t from, uint32_t floor,
                        const uint8_t master[CL_MASTER_KEY_LEN])
{
    cl_store__keys *k = s->keys;
    uint8_t kek[CL_KEY_LEN];
    sodium_mprotect_readwrite(k);
    /* drop the epochs whose versions are all retired: the next one
     * begins at or below the oldest live version */
    uint8_t drop = 0;
    while (drop + 1 < k->n_epochs && k->from[drop + 1] <= floor)
        drop++;
    for (uint8_t i = 0; i < drop; i++)
        sodium_memzero(k->epoch[i], CL_KEY_LEN);
    memmove(k->from, k->from + drop, (k->n_epochs - drop) * sizeof(*k->from));
    memmove(k->epoch, k->epoch + drop, (size_t)(k->n_epochs - drop) * 32);
    k->n_epochs -= drop;
    if (k->n_epochs >= CL_STORE__EPOCHS ||
        (k->n_epochs && from <= k->from[k->n_epochs - 1])) {
        sodium_mprotect_readonly(k);
        return CL_ERR_FULL;
    }
    k->from[k->n_epochs] = from;
    randombytes_buf(k->epoch[k->n_epochs], CL_KEY_LEN);
    k->n_epochs++;
    /* a new signing key: the one before stays known, to verify
     * checkpoints it signed (the newest CL_STORE__FORMER) */
    if (k->n_former == CL_STORE__FORMER) {
        memmove(k->former, k->former + 1, (CL_STORE__FORMER - 1) * 32);
        k->n_former--;
    }
    memcpy(k->former[k->n_former++], k->sign_pk, 32);
    randombytes_buf(k->sign_seed, sizeof(k->sign_seed));
    crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, k->sign_seed);
    cl_store__data_key(k, from);
    s_kek(master, kek, k->kid);
    sodium_mprotect_readonly(k);
    sodium_memzero(kek, sizeof(kek));
    return CL_OK;
}

/* --- keys in use: blind indexes, audit checkpoints ------------------------ */

/*
 * A blind index is BLAKE2b-128 keyed with the index key (derived from the
 * root: a former master key derives it) over the domain and the value;
 * from index generation 1 on, put through a keyed permutation of the 128
 * bits: a Feistel network of S_ROUNDS rounds over two 64-bit halves
 * whose round function is SipHash-2-4 (a pseudorandom function made for
 * short inputs) keyed with the generation's ixperm, over the round
 * number and the right half (Luby-Rackoff: with a pseudorandom round
 * function four rounds already make a strong pseudorandom permutation;
 * eight leave a margin). SipHash, not BLAKE2b: a blind index is computed
 * for every identifier and blocking key of every publish and match, and
 * eight keyed BLAKE2b calls cost 3.6 us more per blind index, where eight
 * SipHash calls cost about 0.2 us. Without ixperm, knowing the index key does
 * not tell which row holds a given NHS number, so the brute force of the
 * threat model needs the current master key. A permutation, not a second
 * hash, so that re-indexing moves each stored blind index to the next
 * generation from the row alone (cl_store__blind_move), with no need for
 * the value it was made from (a message id, a pair of record ids) that
 * the store no longer holds.
 */
#define S_ROUNDS 8
_Static_assert(crypto_shorthash_siphash24_KEYBYTES <= CL_KEY_LEN,
               "the round key is the first bytes of ixperm");
_Static_assert(crypto_shorthash_siphash24_BYTES == CL_BLIND_LEN / 2,
               "a round's output is half a blind index");

static void s_round(const cl_store__keys *k, int r, uint8_t b[CL_BLIND_LEN])
{
    uint8_t in[1 + CL_BLIND_LEN / 2], f[CL_BLIND_LEN / 2];
    in[0] = (uint8_t)r;
    memcpy(in + 1, b + CL_BLIND_LEN / 2, CL_BLIND_LEN / 2);
    crypto_shorthash_siphash24(f, in, sizeof(in), k->ixperm);
    for (int i = 0; i < CL_BLIND_LEN / 2; i++)
        b[i] ^= f[i];
    sodium_memzero(f, sizeof(f));
}

static void s_swap(uint8_t b[CL_BLIND_LEN])
{
    for (int i = 0; i < CL_BLIND_LEN / 2; i++) {
        uint8_t x = b[i];
        b[i] = b[i + CL_BLIND_LEN / 2];
        b[i + CL_BLIND_LEN / 2] = x;
    }
}

/* b through k's permutation, or back (inverse); none in generation 0. */
static void s_perm(const cl_store__keys *k, uint8_t b[CL_BLIND_LEN],
                   bool inverse)
{
    if (!k->ixgen)
        return;
    for (int i = 0; i < S_ROUNDS; i++) {
        if (inverse) {
            s_swap(b);
            s_round(k, S_ROUNDS - 1 - i, b);
        } else {
            s_round(k, i, b);
            s_swap(b);
        }
    }
}

void cl_store_blind(const cl_store *s, uint8_t out[CL_BLIND_LEN],
                    const char *domain, const uint8_t *value, size_t len)
{
    crypto_generichash_state st;
    memcpy(&st, &s->keys->blind_st, sizeof(st));
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, value, len);
    crypto_generichash_final(&st, out, CL_BLIND_LEN);
    sodium_memzero(&st, sizeof(st));
    s_perm(s->keys, out, false);
}

void cl_store__blind_move(const cl_store__keys *from, const cl_store__keys *to,
                          uint8_t b[CL_BLIND_LEN])
{
    s_perm(from, b, true);
    s_perm(to, b, false);
}

int cl_store__ixgen_next(cl_store *s, const uint8_t master[CL_MASTER_KEY_LEN])
{
    cl_store__keys *k = s->keys;
    uint8_t kek[CL_KEY_LEN];
    if (k->ixgen == UINT32_MAX)
        return CL_ERR_FULL;
    sodium_mprotect_readwrite(k);
    k->ixgen++;
    randombytes_buf(k->ixsec, sizeof(k->ixsec));
    s_kek(master, kek, k->ixkid);
    s_ix_derive(k);
    sodium_mprotect_readonly(k);
    sodium_memzero(kek, sizeof(kek));
    return CL_OK;
}

uint32_t cl_store_index_generation(const cl_store *s, bool *current)
{
    uint8_t kek[CL_KEY_LEN], kid[CL_KEY_ID_LEN];
    const cl_store__keys *k = s->keys;
    if (k->ixgen) { /* drawn under the master key in use */
        *current = sodium_memcmp(k->ixkid, k->kid, CL_KEY_ID_LEN) == 0;
        return k->ixgen;
    }
    s_kek(k->root, kek, kid); /* from the root: is it the master key? */
    *current = sodium_memcmp(kid, k->kid, CL_KEY_ID_LEN) == 0;
    sodium_memzero(kek, sizeof(kek));
    return 0;
}

void cl_store_audit_sign(const cl_store *s, uint8_t sig[CL_SIGN_LEN],
                         const uint8_t *msg, size_t len)
{
    crypto_sign_detached(sig, NULL, msg, len, s->keys->sign_sk);
}

void cl_store_audit_pk(const cl_store *s, uint8_t pk[CL_SIGN_PK_LEN])
{
    memcpy(pk, s->keys->sign_pk, CL_SIGN_PK_LEN);
}

bool cl_store_audit_pk_former(const cl_store *s,
                              const uint8_t pk[CL_SIGN_PK_LEN])
{
    for (uint8_t i = 0; i < s->keys->n_former; i++)
        if (sodium_memcmp(s->keys->former[i], pk, CL_SIGN_PK_LEN) == 0)
            return true;
    return false;
}
