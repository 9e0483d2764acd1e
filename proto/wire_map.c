/*
 * wire_map: the field-table engine and the nested messages mapped by hand
 * (person, referral, plan, attendees) that requests and replies share.
 *
 * A table row names a field of the .proto message; its offset, type and
 * repeated count come from protoc-c's descriptor, so a row cannot point at
 * the wrong member. Decoding checks every limit (string bytes, enum range,
 * entries) and names the field's full path in a refusal; encoding points
 * the protobuf struct into the model and caps repeated fields at the
 * model's size. Nothing here allocates while decoding.
 */
#include "wire_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_vec.h"

const char *cl_wire_join(cl_wire_path out, const char *pfx, const char *name)
{
    size_t a = strlen(pfx), b = strlen(name), cap = sizeof(cl_wire_path) - 1;
    if (a > cap)
        a = cap;
    memmove(out, pfx, a); /* pfx may be out itself */
    if (a && a < cap)
        out[a++] = '.';
    if (b > cap - a)
        b = cap - a;
    memcpy(out + a, name, b);
    out[a + b] = '\0';
    return out;
}

bool cl_wire_str(char *dst, size_t cap, const char *src, const char *pfx,
                 const char *name, char err[CL_ERROR_SZ])
{
    cl_wire_path p;
    if (!src) {
        dst[0] = '\0';
        return true;
    }
    if (!cl_copy(dst, cap, src)) {
        snprintf(err, CL_ERROR_SZ,
                 "%s: %zu bytes, at most %zu (limits count bytes of UTF-8, "
                 "not characters)",
                 cl_wire_join(p, pfx, name), strlen(src), cap - 1);
        return false;
    }
    return true;
}

bool cl_wire_enum8(uint8_t *dst, int v, int max, const char *pfx,
                   const char *name, char err[CL_ERROR_SZ])
{
    cl_wire_path p;
    if (v < 0 || v > max) {
        snprintf(err, CL_ERROR_SZ, "%s: value %d out of range (0 to %d)",
                 cl_wire_join(p, pfx, name), v, max);
        return false;
    }
    *dst = (uint8_t)v;
    return true;
}

bool cl_wire_too_many(size_t n, size_t max, const char *pfx, const char *name,
                      char err[CL_ERROR_SZ])
{
    cl_wire_path p;
    if (n <= max)
        return false;
    snprintf(err, CL_ERROR_SZ, "%s: %zu entries, at most %zu",
             cl_wire_join(p, pfx, name), n, max);
    return true;
}

/* Blocks are cut from zeroed chunks: a message's structs, its arrays of
 * pointers, one reply's worth, cost one calloc (a calloc each cost the
 * serving thread a tenth of its time in malloc and free); a block bigger
 * than a quarter chunk has its own. */
#define S_CHUNK 8192
#define S_ALIGN 16

void *cl_wire_alloc(cl_wire_scratch *s, size_t size)
{
    if (s->failed)
        return NULL;
    size = size ? (size + S_ALIGN - 1) & ~(size_t)(S_ALIGN - 1) : S_ALIGN;
    if (size <= s->room) {
        void *p = s->at;
        s->at += size;
        s->room -= size;
        return p;
    }
    if (CL_VEC_GROW(s->ptrs, s->n, s->cap) != CL_OK) {
        s->failed = true;
        return NULL;
    }
    bool own = size > S_CHUNK / 4;
    uint8_t *p = calloc(1, own ? size : S_CHUNK);
    if (!p) {
        s->failed = true;
        return NULL;
    }
    s->ptrs[s->n++] = p;
    if (!own) {
        s->at = p + size;
        s->room = S_CHUNK - size;
    }
    return p;
}

void cl_wire_scratch_free(cl_wire_scratch *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ptrs[i]);
    free(s->ptrs);
}

int cl_wire_pack(uint8_t **out, size_t *out_len, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return CL_ERR_NOMEM;
    size_t w = protobuf_c_message_pack(m, buf);
    if (w != n) {
        free(buf);
        return CL_ERR_INTERNAL;
    }
    *out = buf;
    *out_len = n;
    return CL_OK;
}

/* --- the field-table engine ---------------------------------------------- */

/* The descriptor of row f in message descriptor d; a row naming no field
 * is a programmer's error that test_wire's table checks catch. Looking a
 * name up is a binary search of string comparisons, for every field of
 * every message decoded or encoded (a tenth of the serving thread's CPU
 * per referral), so each thread remembers what it found: a direct-mapped
 * cache by row, the rows and descriptors being static and never freed. */
#define S_FD_CACHE 1024 /* a power of two, above the rows in use */
typedef struct s_fd_slot {
    const cl_wire_field *row;
    const ProtobufCMessageDescriptor *d;
    const ProtobufCFieldDescriptor *fd;
} s_fd_slot;
static _Thread_local s_fd_slot s_fd_cache[S_FD_CACHE];

static const ProtobufCFieldDescriptor *s_fd(const ProtobufCMessageDescriptor *d,
                                            const cl_wire_field *f)
{
    uintptr_t h = (uintptr_t)f / sizeof(*f);
    s_fd_slot *c = &s_fd_cache[(h ^ (h >> 10)) & (S_FD_CACHE - 1)];
    if (c->row == f && c->d == d)
        return c->fd;
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(d, f->name);
    if (fd)
        *c = (s_fd_slot){f, d, fd};
    return fd;
}

/* Width in bytes of a scalar protobuf-c member. */
static size_t s_width(const ProtobufCFieldDescriptor *fd)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    default:
        return 4;
    }
}

/* A string: refused if too long, or truncated in a lenient copy (err
 * NULL). */
static bool s_str_in(char *dst, size_t cap, const char *src, const char *pfx,
                     const char *name, char *err)
{
    if (!err) {
        cl_copy(dst, cap, src ? src : "");
        return true;
    }
    return cl_wire_str(dst, cap, src, pfx, name, err);
}

static bool s_bad_row(const cl_wire_field *f, const char *pfx, char *err)
{
    cl_wire_path p;
    if (err)
        snprintf(err, CL_ERROR_SZ, "%s: internal error: no such field mapped",
                 cl_wire_join(p, pfx, f->name));
    return false;
}

static bool s_strs_in(uint8_t *base, const cl_wire_field *f, char *const *v,
                      size_t n, const char *pfx, char *err)
{
    if (!err && n > (size_t)f->max)
        n = (size_t)f->max; /* a lenient copy */
    if (cl_wire_too_many(n, (size_t)f->max, pfx, f->name, err))
        return false;
    uint32_t *count = (uint32_t *)(base + f->count);
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (!s_str_in((char *)base + f->off + i * f->size, f->size, v[i], pfx,
                      f->name, err))
            return false;
        else
            (*count)++;
    return true;
}

static bool s_u64s_in(uint8_t *base, const cl_wire_field *f, const uint64_t *v,
                      size_t n, const char *pfx, char *err)
{
    if (cl_wire_too_many(n, (size_t)f->max, pfx, f->name, err))
        return false;
    *(uint32_t *)(base + f->count) = (uint32_t)n;
    if (n)
        memcpy(base + f->off, v, n * sizeof(uint64_t));
    return true;
}

/* A LIST row's count, 4 or 8 bytes wide. */
static size_t s_count_get(const uint8_t *p, uint8_t width)
{
    uint32_t c4;
    size_t c8;
    if (width == sizeof(c8)) {
        memcpy(&c8, p, sizeof(c8));
        return c8;
    }
    memcpy(&c4, p, sizeof(c4));
    return c4;
}

static void s_count_put(uint8_t *p, uint8_t width, size_t c)
{
    uint32_t c4 = (uint32_t)c;
    if (width == sizeof(c))
        memcpy(p, &c, sizeof(c));
    else
        memcpy(p, &c4, sizeof(c4));
}

/* Repeated sub-messages into a LIST row's array, each entry by the row's
 * sub rows and named pfx.name[i] in a refusal. A request (err set) never
 * allocates: only fixed arrays are mapped there; a reply's owned array is
 * calloc'd here (false: out of memory). */
static bool s_list_in(uint8_t *base, const cl_wire_field *f,
                      ProtobufCMessage *const *v, size_t n, const char *pfx,
                      char *err)
{
    uint8_t *arr = base + f->off;
    if (f->max && !err && n > (size_t)f->max)
        n = (size_t)f->max; /* a lenient copy */
    if (f->max && cl_wire_too_many(n, (size_t)f->max, pfx, f->name, err))
        return false;
    if (!f->max && err)
        return s_bad_row(f, pfx, err);
    if (!f->max && !(arr = calloc(n + 1, f->size)))
        return false;
    if (!f->max)
        memcpy(base + f->off, &arr, sizeof(arr));
    s_count_put(base + f->count, f->count_size, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = arr + i * f->size;
        char name[80];
        cl_wire_path sub;
        memset(e, 0, f->size);
        snprintf(name, sizeof(name), "%s[%zu]", f->name, i);
        if (f->nested && err && !f->nested->in)
            return s_bad_row(f, pfx, err);
        if (f->nested && err &&
            !f->nested->in(e, v[i], cl_wire_join(sub, pfx, name), err))
            return false;
        if (f->nested && !err && f->nested->copy)
            f->nested->copy(e, v[i]);
        if (!f->nested && err &&
            !cl_wire_fields_in(e, v[i], f->sub, cl_wire_join(sub, pfx, name),
                               err))
            return false;
        if (!f->nested && !err && cl_wire_fields_copy(e, v[i], f->sub) != CL_OK)
            return false;
        s_count_put(base + f->count, f->count_size, i + 1);
    }
    return true;
}

static bool s_field_in(uint8_t *base, const ProtobufCMessage *m,
                       const cl_wire_field *f, const char *pfx, char *err)
{
    const ProtobufCFieldDescriptor *fd = s_fd(m->descriptor, f);
    if (!fd)
        return s_bad_row(f, pfx, err);
    const uint8_t *p = (const uint8_t *)m + fd->offset;
    const size_t n =
        fd->label == PROTOBUF_C_LABEL_REPEATED
            ? *(const size_t *)((const uint8_t *)m + fd->quantifier_offset)
            : 0;
    cl_wire_path sub;
    switch (f->type) {
    case CL_WF_STR:
        return s_str_in((char *)base + f->off, f->size, *(char *const *)p, pfx,
                        f->name, err);
    case CL_WF_ENUM:
        if (!err) {
            base[f->off] = (uint8_t) * (const int *)p;
            return true;
        }
        return cl_wire_enum8(base + f->off, *(const int *)p, f->max, pfx,
                             f->name, err);
    case CL_WF_NUM:
        if (s_width(fd) != f->size)
            return s_bad_row(f, pfx, err);
        memcpy(base + f->off, p, f->size);
        return true;
    case CL_WF_BOOL:
        *(bool *)(base + f->off) = *(const protobuf_c_boolean *)p != 0;
        return true;
    case CL_WF_DOUBLE:
        memcpy(base + f->off, p, sizeof(double));
        return true;
    case CL_WF_STRS:
        return s_strs_in(base, f, *(char *const *const *)p, n, pfx, err);
    case CL_WF_U64S:
        return s_u64s_in(base, f, *(const uint64_t *const *)p, n, pfx, err);
    case CL_WF_SUB: {
        const ProtobufCMessage *sm = *(const ProtobufCMessage *const *)p;
        if (!err)
            return !sm ||
                   cl_wire_fields_copy(base + f->off, sm, f->sub) == CL_OK;
        return !sm || cl_wire_fields_in(base + f->off, sm, f->sub,
                                        cl_wire_join(sub, pfx, f->name), err);
    }
    case CL_WF_NESTED:
        if (!err) {
            if (f->nested->copy)
                f->nested->copy(base + f->off,
                                *(const ProtobufCMessage *const *)p);
            return true;
        }
        return f->nested->in(base + f->off, *(const ProtobufCMessage *const *)p,
                             cl_wire_join(sub, pfx, f->name), err);
    case CL_WF_LIST:
        return s_list_in(base, f, *(ProtobufCMessage *const *const *)p, n, pfx,
                         err);
    default:
        return s_bad_row(f, pfx, err);
    }
}

bool cl_wire_fields_in(void *base, const ProtobufCMessage *m,
                       const cl_wire_field *f, const char *pfx,
                       char err[CL_ERROR_SZ])
{
    for (; f && f->type != CL_WF_END; f++)
        if (!s_field_in(base, m, f, pfx, err))
            return false;
    return true;
}

int cl_wire_fields_copy(void *base, const ProtobufCMessage *m,
                        const cl_wire_field *f)
{
    int rc = CL_OK;
    for (; m && f && f->type != CL_WF_END; f++)
        if (!s_field_in(base, m, f, "", NULL))
            rc = CL_ERR_NOMEM;
    return rc;
}

/* A LIST row's array into its repeated field, capped at a fixed array's
 * room. */
static void s_list_out(cl_wire_scratch *s, const ProtobufCFieldDescriptor *fd,
                       uint8_t *p, size_t *n, const uint8_t *base,
                       const cl_wire_field *f)
{
    size_t c = s_count_get(base + f->count, f->count_size), k = 0;
    const uint8_t *arr = base + f->off;
    if (!f->max)
        memcpy(&arr, base + f->off, sizeof(arr));
    else if (c > (size_t)f->max)
        c = (size_t)f->max;
    ProtobufCMessage **v = cl_wire_alloc(s, (c + 1) * sizeof(*v));
    for (; v && arr && k < c; k++)
        if (!(v[k] = f->nested ? f->nested->out(s, arr + k * f->size)
                               : cl_wire_msg_out(s, fd->descriptor,
                                                 arr + k * f->size, f->sub)))
            break;
    memcpy(p, &v, sizeof(v));
    *n = v ? k : 0;
}

static void s_field_out(cl_wire_scratch *s, ProtobufCMessage *m,
                        const uint8_t *base, const cl_wire_field *f)
{
    const ProtobufCFieldDescriptor *fd = s_fd(m->descriptor, f);
    if (!fd) {
        s->failed = true; /* a programmer's error: never a silent gap */
        return;
    }
    uint8_t *p = (uint8_t *)m + fd->offset;
    size_t *n = (size_t *)((uint8_t *)m + fd->quantifier_offset);
    switch (f->type) {
    case CL_WF_STR:
        *(char **)p = S_S(base + f->off);
        break;
    case CL_WF_ENUM:
        *(int *)p = base[f->off];
        break;
    case CL_WF_NUM:
        if (s_width(fd) != f->size)
            s->failed = true;
        else
            memcpy(p, base + f->off, f->size);
        break;
    case CL_WF_BOOL:
        *(protobuf_c_boolean *)p = *(const bool *)(base + f->off);
        break;
    case CL_WF_DOUBLE:
        memcpy(p, base + f->off, sizeof(double));
        break;
    case CL_WF_STRS: {
        uint32_t c = *(const uint32_t *)(base + f->count);
        size_t k = c < (uint32_t)f->max ? c : (size_t)f->max;
        char **v = cl_wire_alloc(s, (k + 1) * sizeof(char *));
        for (size_t i = 0; v && i < k; i++)
            v[i] = S_S(base + f->off + i * f->size);
        *(char ***)p = v;
        *n = v ? k : 0;
        break;
    }
    case CL_WF_U64S: {
        uint32_t c = *(const uint32_t *)(base + f->count);
        *(const uint8_t **)p = base + f->off;
        *n = c < (uint32_t)f->max ? c : (size_t)f->max;
        break;
    }
    case CL_WF_SUB:
        *(ProtobufCMessage **)p =
            cl_wire_msg_out(s, fd->descriptor, base + f->off, f->sub);
        break;
    case CL_WF_NESTED:
        *(ProtobufCMessage **)p = f->nested->out(s, base + f->off);
        break;
    case CL_WF_LIST:
        s_list_out(s, fd, p, n, base, f);
        break;
    default:
        s->failed = true;
    }
}

void cl_wire_fields_out(cl_wire_scratch *s, ProtobufCMessage *m,
                        const void *base, const cl_wire_field *f)
{
    for (; f && f->type != CL_WF_END; f++)
        s_field_out(s, m, base, f);
}

ProtobufCMessage *cl_wire_msg_out(cl_wire_scratch *s,
                                  const ProtobufCMessageDescriptor *d,
                                  const void *base, const cl_wire_field *f)
{
    ProtobufCMessage *m = cl_wire_alloc(s, d->sizeof_message);
    if (!m)
        return NULL;
    protobuf_c_message_init(d, m);
    cl_wire_fields_out(s, m, base, f);
    return m;
}

/* --- person --------------------------------------------------------------- */

static const cl_wire_field s_person_rows[] = {
    CL_WF_STR_(cl_person, "nhs_number", nhs),
    CL_WF_STR_(cl_person, "chi_number", chi),
    CL_WF_STR_(cl_person, "local_id", local_id),
    CL_WF_STR_(cl_person, "given_names", given),
    CL_WF_STR_(cl_person, "family_name", family),
    CL_WF_STR_(cl_person, "date_of_birth", dob),
    CL_WF_STR_(cl_person, "address", address),
    CL_WF_STR_(cl_person, "town", town),
    CL_WF_STR_(cl_person, "postcode", postcode),
    CL_WF_STR_(cl_person, "uprn", uprn),
    CL_WF_ENUM_(cl_person, "sex", sex, CL_SEX_MAX),
    CL_WF_END_,
};

static bool s_person_in(void *model, const ProtobufCMessage *m,
                        const char *path, char err[CL_ERROR_SZ])
{
    memset(model, 0, sizeof(cl_person));
    return !m || cl_wire_fields_in(model, m, s_person_rows, path, err);
}

Caselink__PersonDetails *cl_wire_person_out(cl_wire_scratch *s,
                                            const cl_person *p)
{
    return (Caselink__PersonDetails *)cl_wire_msg_out(
        s, &caselink__person_details__descriptor, p, s_person_rows);
}

static ProtobufCMessage *s_person_out(cl_wire_scratch *s, const void *model)
{
    return (ProtobufCMessage *)cl_wire_person_out(s, model);
}

void cl_wire_person_copy_in(cl_person *p, const Caselink__PersonDetails *pd)
{
    char err[CL_ERROR_SZ];
    /* Replies come from the daemon, which only stores validated values;
     * over-long strings are truncated rather than refused. */
    if (!cl_wire_person_at(p, pd, "", "person", -1, err) && pd) {
        memset(p, 0, sizeof(*p));
        cl_copy(p->family, sizeof(p->family),
                pd->family_name ? pd->family_name : "");
    }
}

static void s_person_copy(void *model, const ProtobufCMessage *m)
{
    cl_wire_person_copy_in(model, (const Caselink__PersonDetails *)m);
}

const cl_wire_nested cl_wire_person = {s_person_in, s_person_out,
                                       s_person_copy};

bool cl_wire_person_at(cl_person *p, const Caselink__PersonDetails *pd,
                       const char *pfx, const char *name, int i,
                       char err[CL_ERROR_SZ])
{
    cl_wire_path sub;
    if (i >= 0) {
        char n[64];
        snprintf(n, sizeof(n), "%s[%d]", name, i);
        return s_person_in(p, pd ? &pd->base : NULL, cl_wire_join(sub, pfx, n),
                           err);
    }
    return s_person_in(p, pd ? &pd->base : NULL, cl_wire_join(sub, pfx, name),
                       err);
}

/* --- related people (a referral's, a plan's adults) ----------------------- */

static bool s_related_in(cl_related *out, uint32_t *n_out,
                         Caselink__RelatedPerson *const *v, size_t n,
                         const char *pfx, const char *name,
                         char err[CL_ERROR_SZ])
{
    cl_wire_path rp;
    *n_out = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        char item[32];
        snprintf(item, sizeof(item), "%s[%zu]", name, i);
        cl_wire_join(rp, pfx, item);
        if (!cl_wire_person_at(&out[i].person, v[i]->person, rp, "person", -1,
                               err) ||
            !cl_wire_enum8(&out[i].rel, (int)v[i]->relationship, CL_REL_MAX, rp,
                           "relationship", err))
            return false;
    }
    return true;
}

static Caselink__RelatedPerson **s_related_out(cl_wire_scratch *s,
                                               const cl_related *v,
                                               uint32_t count, size_t *n_out)
{
    size_t n = count < CL_RELATED_MAX ? count : CL_RELATED_MAX;
    *n_out = 0;
    if (!n)
        return NULL;
    Caselink__RelatedPerson **out = cl_wire_alloc(s, n * sizeof(*out));
    for (size_t i = 0; out && i < n; i++) {
        Caselink__RelatedPerson *rp = cl_wire_alloc(s, sizeof(*rp));
        if (!rp)
            return NULL;
        caselink__related_person__init(rp);
        rp->person = cl_wire_person_out(s, &v[i].person);
        rp->relationship = (Caselink__Relationship)v[i].rel;
        out[(*n_out)++] = rp;
    }
    return out;
}

/* --- referral ------------------------------------------------------------- */

static const cl_wire_field s_referrer_rows[] = {
    CL_WF_STR_(cl_referral, "name", referrer_name),
    CL_WF_STR_(cl_referral, "role", referrer_role),
    CL_WF_END_,
};

static const cl_wire_field s_referral_rows[] = {
    CL_WF_STR_(cl_referral, "agency_reference", agency_ref),
    CL_WF_NESTED_(cl_referral, "subject", subject, &cl_wire_person),
    CL_WF_ENUM_(cl_referral, "category", category, CL_CAT_MAX),
    CL_WF_ENUM_(cl_referral, "risk", risk, CL_RISK_MAX),
    CL_WF_STR_(cl_referral, "concern", concern),
    CL_WF_ENUM_(cl_referral, "lawful_basis", basis, CL_BASIS_MAX),
    CL_WF_ENUM_(cl_referral, "consent", consent, CL_CONSENT_MAX),
    CL_WF_STR_(cl_referral, "consent_note", consent_note),
    CL_WF_STR_(cl_referral, "feed", feed),
    CL_WF_SUB_("referrer", s_referrer_rows),
    CL_WF_NUM_(cl_referral, "occurred_at", occurred_at),
    CL_WF_NUM_(cl_referral, "feed_seq", feed_seq),
    CL_WF_BOOL_(cl_referral, "ask_mdt", ask_mdt),
    CL_WF_END_,
};

bool cl_wire_referral_in(cl_referral *r, const Caselink__Referral *pr,
                         const char *pfx, char err[CL_ERROR_SZ])
{
    /* r is zero already: a request decodes into a zeroed struct
     * (cl_wire_decode_request_zeroed checks it), and clearing the 20 KB
     * again cost the serving thread a twentieth of its time. */
    if (!pr) {
        snprintf(err, CL_ERROR_SZ, "%s: a referral is required", pfx);
        return false;
    }
    return !cl_wire_too_many(pr->n_related, CL_RELATED_MAX, pfx, "related",
                             err) &&
           cl_wire_fields_in(r, &pr->base, s_referral_rows, pfx, err) &&
           s_related_in(r->related, &r->n_related, pr->related, pr->n_related,
                        pfx, "related", err);
}

Caselink__Referral *cl_wire_referral_out(cl_wire_scratch *s,
                                         const cl_referral *r)
{
    Caselink__Referral *pr = (Caselink__Referral *)cl_wire_msg_out(
        s, &caselink__referral__descriptor, r, s_referral_rows);
    if (pr)
        pr->related =
            s_related_out(s, r->related, r->n_related, &pr->n_related);
    return s->failed ? NULL : pr;
}

static bool s_referral_nested_in(void *model, const ProtobufCMessage *m,
                                 const char *path, char err[CL_ERROR_SZ])
{
    return cl_wire_referral_in(model, (const Caselink__Referral *)m, path, err);
}

static ProtobufCMessage *s_referral_nested_out(cl_wire_scratch *s,
                                               const void *model)
{
    return (ProtobufCMessage *)cl_wire_referral_out(s, model);
}

const cl_wire_nested cl_wire_referral = {s_referral_nested_in,
                                         s_referral_nested_out, NULL};

/* --- protection plan ------------------------------------------------------ */

static const cl_wire_field s_plan_rows[] = {
    CL_WF_STR_(cl_plan, "agency_reference", agency_ref),
    CL_WF_NESTED_(cl_plan, "child", child, &cl_wire_person),
    CL_WF_ENUM_(cl_plan, "type", type, CL_PLAN_TYPE_MAX),
    CL_WF_ENUM_(cl_plan, "category", category, CL_PLAN_CAT_MAX),
    CL_WF_STR_(cl_plan, "start_date", start),
    CL_WF_STR_(cl_plan, "end_date", end),
    CL_WF_STR_(cl_plan, "responsible_authority", authority),
    CL_WF_STR_(cl_plan, "legal_basis", legal_basis),
    CL_WF_STR_(cl_plan, "next_review_date", review),
    CL_WF_ENUM_(cl_plan, "lawful_basis", basis, CL_BASIS_MAX),
    CL_WF_END_,
};

static bool s_plan_in(void *model, const ProtobufCMessage *m, const char *pfx,
                      char err[CL_ERROR_SZ])
{
    cl_plan *p = model;
    const Caselink__ProtectionPlan *pp = (const Caselink__ProtectionPlan *)m;
    memset(p, 0, sizeof(*p));
    if (!pp) {
        snprintf(err, CL_ERROR_SZ, "%s: a plan is required", pfx);
        return false;
    }
    return !cl_wire_too_many(pp->n_adults, CL_RELATED_MAX, pfx, "adults",
                             err) &&
           cl_wire_fields_in(p, m, s_plan_rows, pfx, err) &&
           s_related_in(p->adults, &p->n_adults, pp->adults, pp->n_adults, pfx,
                        "adults", err);
}

static ProtobufCMessage *s_plan_out(cl_wire_scratch *s, const void *model)
{
    const cl_plan *p = model;
    Caselink__ProtectionPlan *pp = (Caselink__ProtectionPlan *)cl_wire_msg_out(
        s, &caselink__protection_plan__descriptor, p, s_plan_rows);
    if (pp)
        pp->adults = s_related_out(s, p->adults, p->n_adults, &pp->n_adults);
    return pp ? &pp->base : NULL;
}

const cl_wire_nested cl_wire_plan = {s_plan_in, s_plan_out, NULL};

/* --- meeting attendees ---------------------------------------------------- */

Caselink__Attendee **cl_wire_attendees_out(cl_wire_scratch *s,
                                           const cl_attendee *a, uint32_t n,
                                           size_t *out_n)
{
    Caselink__Attendee **v = cl_wire_alloc(s, (n + 1) * sizeof(*v));
    *out_n = 0;
    for (uint32_t i = 0; v && i < n; i++) {
        Caselink__Attendee *x = cl_wire_alloc(s, sizeof(*x));
        if (!x)
            return NULL;
        caselink__attendee__init(x);
        x->name = S_S(a[i].name);
        x->agency = S_S(a[i].agency);
        x->role = S_S(a[i].role);
        v[(*out_n)++] = x;
    }
    return v;
}

void cl_wire_attendees_in(cl_attendee *a, uint32_t *n, Caselink__Attendee **v,
                          size_t nv)
{
    *n = 0;
    for (size_t i = 0; i < nv && i < CL_ATTENDEES_MAX; i++) {
        CL_COPY(a[*n].name, v[i]->name);
        CL_COPY(a[*n].agency, v[i]->agency);
        CL_COPY(a[*n].role, v[i]->role);
        (*n)++;
    }
}
