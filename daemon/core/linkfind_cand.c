/*
 * linkfind_cand: the candidates a description is compared with. The
 * records sharing a blocking key with it, bounded by a budget (the rows
 * of the others are not read) and ranked into a first look and the rest
 * of the budget, and how common its names are among the
 * stored records (the term frequencies its weight takes). Calls records,
 * block and the store only.
 */
#include "linkfind_cand.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "codec.h"

/* Posting lists are counted up to this cap. */
#define S_TF_CAP 32

int cl_linkfind_cand_tf_part(cl_txn *t, const cl_store *st,
                             const cl_match_config *mc, const cl_person *p,
                             bool stored, unsigned parts, cl_match_tf *tf)
{
    uint8_t k[CL_BLIND_LEN];
    uint64_t records = 0;
    int rc = cl_store_counter(t, "record", &records);
    for (int i = 0; i < 2 && rc == CL_OK; i++) {
        size_t n = 0, as_family = 0;
        if (!(parts & (i == 0 ? CL_MATCH_TF_FAMILY : CL_MATCH_TF_GIVEN)))
            continue;
        bool has =
            cl_block_tf_key(st, i == 0 ? p->family : p->given, i == 1, k);
        /* counted, not read: a count is all the weight needs */
        if (has)
            rc = cl_store_count(t, CL_DB_BLOCK, k, CL_BLIND_LEN, S_TF_CAP, &n);
        if (i == 1) {
            /* and how many carry p's given name as their family name: the
             * name's role (cl_match_tf), whatever the store's size; not
             * counted when the given name's own count is at the cap,
             * which this one (capped the same) can never exceed: a
             * common given name, and a look-up saved */
            if (rc == CL_OK && n < S_TF_CAP &&
                cl_block_tf_key(st, p->given, false, k))
                rc = cl_store_count(t, CL_DB_BLOCK, k, CL_BLIND_LEN, S_TF_CAP,
                                    &as_family);
            tf->given_n = (uint32_t)n;
            tf->given_as_family_n = (uint32_t)as_family;
        }
        /* too few records to tell a rare name from a common one */
        if (rc != CL_OK || !has || records < 1000)
            continue;
        /* the share of records carrying the name, this one included:
         * a stored record (relinking) is among those counted already */
        double f = stored ? (double)(n ? n : 1) / (double)records
                          : (double)(n + 1) / (double)(records + 1);
        /* at the cap the name is at least this common, and maybe far
         * more: never weigh it above the level's own u */
        if (n >= S_TF_CAP) {
            double u = mc->u[i == 0 ? CL_W_FAMILY_EXACT : CL_W_GIVEN_EXACT];
            f = f > u ? f : u;
        }
        if (i == 0)
            tf->family = f;
        else
            tf->given = f;
    }
    /* how many records give p's postcode and address: counted far past
     * a home's records, so that a hostel or a placeholder tells */
    for (int i = 0; i < 2 && rc == CL_OK; i++) {
        size_t n = 0;
        if (!(parts & (i == 0 ? CL_MATCH_TF_POSTCODE : CL_MATCH_TF_ADDRESS)) ||
            !cl_block_place_key(st, p, i == 1, k))
            continue;
        rc = cl_store_count(t, CL_DB_BLOCK, k, CL_BLIND_LEN, CL_MATCH_PLACE_CAP,
                            &n);
        /* this one included, as for the names */
        n = stored ? (n ? n : 1) : n + 1;
        tf->records = stored ? records : records + 1;
        if (i == 0)
            tf->postcode_n = (uint32_t)n;
        else
            tf->address_n = (uint32_t)n;
        /* and how many of them are p's family's, once: only where the
         * others could be more than a home holds (cl_match_place_weight) */
        if (rc == CL_OK && n > CL_MATCH_HOME_ROWS && !tf->family_n &&
            cl_block_family_place_key(st, p, k)) {
            size_t nf = 0;
            rc = cl_store_count(t, CL_DB_BLOCK, k, CL_BLIND_LEN,
                                CL_MATCH_PLACE_CAP, &nf);
            tf->family_n = (uint32_t)(stored ? (nf ? nf : 1) : nf + 1);
        }
    }
    sodium_memzero(k, sizeof(k));
    return rc;
}

int cl_linkfind_cand_tf(cl_txn *t, const cl_store *st,
                        const cl_match_config *mc, const cl_person *p,
                        bool stored, cl_match_tf *tf)
{
    memset(tf, 0, sizeof(*tf));
    return cl_linkfind_cand_tf_part(t, st, mc, p, stored,
                                    CL_MATCH_TF_FAMILY | CL_MATCH_TF_GIVEN |
                                        CL_MATCH_TF_POSTCODE |
                                        CL_MATCH_TF_ADDRESS,
                                    tf);
}

/* A candidate record met in the blocks: how many of the description's
 * keys hold it, the size of the smallest block it was met in, and where
 * its rows are among the pairs (s_pick). */
typedef struct s_hit {
    uint64_t rid;
    uint32_t keys, rows;
    uint32_t first, end;
} s_hit;

/* One row met: its record, its place among the rows, its block's size. */
typedef struct s_row_of {
    uint64_t rid;
    uint32_t row, rows;
} s_row_of;

/* Most keys first, then the smallest block, then the newest record. */
static bool s_hit_before(const s_hit *x, const s_hit *y)
{
    if (x->keys != y->keys)
        return x->keys > y->keys;
    if (x->rows != y->rows)
        return x->rows < y->rows;
    return x->rid > y->rid;
}

/* Insertion sorts: a match meets tens of rows, not thousands, and qsort
 * would cost more than the rest of the choice. */
static void s_rows_sort(s_row_of *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        s_row_of x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].rid > x.rid; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void s_hits_rank(s_hit *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        s_hit x = v[i];
        size_t j = i;
        for (; j > 0 && s_hit_before(&x, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

typedef struct s_pick_ctx {
    size_t budget; /* 0: none */
    cl_records_ids *ids;
    size_t first;           /* the first look's budget ... */
    cl_records_ids *firsts; /* ... and its records (NULL: one look) */
} s_pick_ctx;

static uint64_t s_row_rid(const cl_store_row *r)
{
    return r->key_len == CL_BLIND_LEN + 8 ? cl_be64_get(r->key + CL_BLIND_LEN)
                                          : 0;
}

/* Choose among the rows met (cl_linkfind_cand_find): every record when they
 * fit the budget, else those under two keys or more and then those in
 * the smallest blocks. Rows come prefix by prefix. */
static int s_pick(void *ctx, const cl_store_row *rows, size_t n, bool *keep)
{
    const s_pick_ctx *c = ctx;
    s_row_of *pv = malloc(n * sizeof(*pv));
    s_hit *hv = malloc(n * sizeof(*hv));
    if (!pv || !hv) {
        free(pv);
        free(hv);
        return CL_ERR_NOMEM;
    }
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && rows[j].prefix == rows[i].prefix;)
            j++;
        for (size_t k = i; k < j; k++)
            pv[k] =
                (s_row_of){s_row_rid(&rows[k]), (uint32_t)k, (uint32_t)(j - i)};
    }
    s_rows_sort(pv, n);
    size_t m = 0;
    for (size_t i = 0, j; i < n; i = j) {
        uint32_t least = pv[i].rows;
        for (j = i; j < n && pv[j].rid == pv[i].rid; j++)
            least = pv[j].rows < least ? pv[j].rows : least;
        hv[m++] = (s_hit){pv[i].rid, (uint32_t)(j - i), least, (uint32_t)i,
                          (uint32_t)j};
    }
    size_t kept = m, first = m;
    int rc = CL_OK;
    if ((c->budget && m > c->budget) || (c->firsts && m > c->first))
        s_hits_rank(hv, m);
    if (c->budget && m > c->budget)
        for (kept = c->budget; kept < m && hv[kept].keys > 1;)
            kept++;
    /* the first look: as many again of the same ranking */
    if (c->firsts && kept > c->first)
        for (first = c->first; first < kept && hv[first].keys > 1;)
            first++;
    for (size_t h = 0; h < kept; h++) {
        /* one row shows the record shares a key: only it is opened (the
         * others count for the record's rank unopened, as the rows of
         * the records not kept do) */
        keep[pv[hv[h].first].row] = true;
        if (c->firsts && h < first && rc == CL_OK)
            rc = cl_records_ids_push(c->firsts, hv[h].rid);
    }
    free(pv);
    free(hv);
    return rc > 0 ? CL_OK : rc;
}

static int s_pick_push(void *ctx, const uint8_t *key, size_t len)
{
    const s_pick_ctx *c = ctx;
    if (len != CL_BLIND_LEN + 8)
        return CL_ERR_CORRUPT;
    int rc = cl_records_ids_push(c->ids, cl_be64_get(key + CL_BLIND_LEN));
    return rc > 0 ? CL_OK : rc; /* past the most: the rest are dropped */
}

/* cl_linkfind_cand_find, choosing with pc (into its ids): the keys that
 * are not names alone, then, only when those found nobody but self, the
 * names-only keys, hashed only then. */
static int s_find(cl_txn *t, const cl_store *st, const cl_person *p,
                  uint64_t self, s_pick_ctx *pc)
{
    uint8_t keys[CL_BLOCK_MAX][CL_BLIND_LEN];
    cl_records_ids *ids = pc->ids;
    int rc = CL_OK;
    size_t from = ids->n;
    for (int pass = 0; pass < 2 && rc == CL_OK; pass++) {
        bool found = false;
        for (size_t i = from; i < ids->n && !found; i++)
            found = ids->v[i] != self;
        if (pass == 1 && found)
            break; /* the stronger keys found someone */
        size_t nk = cl_block_keys_tier(st, p, keys, CL_BLOCK_MAX, pass == 1);
        if (nk)
            rc = cl_store_scan_pick(t, CL_DB_BLOCK, &keys[0][0], CL_BLIND_LEN,
                                    nk, CL_BLOCK_CAP, s_pick, s_pick_push, pc);
    }
    sodium_memzero(keys, sizeof(keys));
    cl_records_ids_unique(ids);
    return rc;
}

int cl_linkfind_cand_find(cl_txn *t, const cl_store *st, const cl_person *p,
                          uint64_t self, size_t budget, cl_records_ids *ids)
{
    s_pick_ctx pc = {budget, ids, 0, NULL};
    return s_find(t, st, p, self, &pc);
}

int cl_linkfind_cand_looks(cl_txn *t, const cl_store *st, const cl_person *p,
                           cl_records_ids *ids, size_t *first)
{
    cl_records_ids firsts = {.max = CL_LINKFIND_CANDIDATES_MAX};
    s_pick_ctx pc = {CL_LINKFIND_BUDGET, ids, CL_LINKFIND_FIRST, &firsts};
    int rc = s_find(t, st, p, 0, &pc);
    cl_records_ids_unique(&firsts);
    /* the first look's records ahead */
    uint64_t *rest = NULL;
    size_t n1 = 0, n2 = 0;
    if (rc == CL_OK && ids->n && !(rest = malloc(ids->n * sizeof(*rest))))
        rc = CL_ERR_NOMEM;
    for (size_t i = 0, j = 0; rc == CL_OK && i < ids->n; i++) {
        while (j < firsts.n && firsts.v[j] < ids->v[i])
            j++;
        if (j < firsts.n && firsts.v[j] == ids->v[i])
            ids->v[n1++] = ids->v[i];
        else
            rest[n2++] = ids->v[i];
    }
    if (n2)
        memcpy(ids->v + n1, rest, n2 * sizeof(*rest));
    *first = n1;
    free(rest);
    free(firsts.v);
    return rc;
}

int cl_linkfind_block_candidates(cl_txn *t, const cl_store *st,
                                 const cl_person *p, cl_records_ids *ids)
{
    return cl_linkfind_cand_find(t, st, p, 0, 0, ids);
}

int cl_linkfind_match_candidates(cl_txn *t, const cl_person *p,
                                 cl_records_ids *ids)
{
    return cl_linkfind_cand_find(t, cl_store_of(t), p, 0, CL_LINKFIND_BUDGET,
                                 ids);
}

int cl_linkfind_candidate_count(cl_txn *t, const cl_person *p, size_t *n)
{
    cl_records_ids ids = {.max = CL_LINKFIND_CANDIDATES_MAX};
    int rc = cl_linkfind_match_candidates(t, p, &ids);
    *n = ids.n;
    free(ids.v);
    return rc;
}

static const char s_key_counted[] = "places.counted";

int cl_linkfind_cand_places_counted(cl_txn *t, bool *counted)
{
    int64_t at = 0;
    uint64_t held = 0;
    *counted = false;
    int rc = cl_records_stamp_get(t, CL_DB_LINKING, s_key_counted, &at, 1);
    if (rc == CL_OK) {
        *counted = true;
        return CL_OK;
    }
    if (rc != CL_ERR_NOT_FOUND)
        return rc;
    /* no record held: nothing uncounted */
    rc = cl_store_entries(t, CL_DB_RECORD, &held);
    *counted = rc == CL_OK && held == 0;
    return rc;
}

int cl_linkfind_cand_places_mark(cl_txn *t, int64_t now)
{
    return cl_records_stamp_put(t, CL_DB_LINKING, s_key_counted, &now, 1);
}
