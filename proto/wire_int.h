/*
 * wire_int: what the wire module's files share, and nothing else sees.
 *
 * The field-table engine (wire_map.c) copies flat messages between
 * protobuf-c structs and the plain model, driven by one table of rows per
 * message: the .proto field's name (its offset, type and count are read
 * from protoc-c's descriptor, so the table cannot drift from the schema),
 * where the value lives in the model, and its limit. A sub-message is a
 * row whose own rows map it (SUB), and a repeated sub-message a row over
 * an array of model structs, fixed or owned, each entry by its rows
 * (LIST): one routine for every list in every reply. Only the few nested
 * messages whose model differs in shape (person, referral, plan,
 * attendees, deliveries) keep a hand-written pair of functions (NESTED).
 * Requests (wire_req.c) and replies (wire_case.c, wire_mdt.c,
 * wire_route.c, wire_admin.c) are built on it.
 */
#ifndef CL_WIRE_INT_H
#define CL_WIRE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caselink.pb-c.h"
#include "cl_model.h"

/* PublishResult.reference is deprecated in the .proto, for clients; the
 * daemon still fills it for protocol version 1, and the generated INIT
 * macro names it, so the wire module alone may use it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* Field paths in refusals, as the .proto spells them from the envelope
 * body ("publish_referral.referral.subject.given_names"). */
typedef char cl_wire_path[128];

/* pfx "." name into out (which may be pfx itself); returns out. */
const char *cl_wire_join(cl_wire_path out, const char *pfx, const char *name);

/* Copy a protobuf string into a fixed array; false (and err) if too long. */
bool cl_wire_str(char *dst, size_t cap, const char *src, const char *pfx,
                 const char *name, char err[CL_ERROR_SZ]);
/* An enum into a byte; false (and err) outside 0..max. */
bool cl_wire_enum8(uint8_t *dst, int v, int max, const char *pfx,
                   const char *name, char err[CL_ERROR_SZ]);
/* True (and err) if n entries are more than max. */
bool cl_wire_too_many(size_t n, size_t max, const char *pfx, const char *name,
                      char err[CL_ERROR_SZ]);

#define S_STR(dst, src, name)                                                  \
    cl_wire_str((dst), sizeof(dst), (src), pfx, (name), err)
#define S_ENUM(dst, v, max, name)                                              \
    cl_wire_enum8((dst), (int)(v), (max), pfx, (name), err)

/* Encoding builds protobuf structs that point into the model (protobuf-c's
 * string fields are not const, but packing never writes through them) plus
 * blocks kept in a growable list freed after packing. */
typedef struct cl_wire_scratch {
    void **ptrs; /* blocks to free */
    size_t n;
    size_t cap;
    bool failed; /* an allocation failed */
    uint8_t *at; /* the free rest of the last chunk (cl_wire_alloc) */
    size_t room; /* ... its size */
} cl_wire_scratch;

/* A zeroed block freed with the scratch; NULL (and failed set) if none. */
void *cl_wire_alloc(cl_wire_scratch *s, size_t size);
void cl_wire_scratch_free(cl_wire_scratch *s);

#define S_S(x) ((char *)(x))

/* Pack any message into a malloc'd buffer. */
int cl_wire_pack(uint8_t **out, size_t *out_len, const ProtobufCMessage *m);

/* --- the field-table engine ---------------------------------------------- */

typedef enum {
    CL_WF_END = 0,
    CL_WF_STR,    /* string -> char[size] */
    CL_WF_ENUM,   /* enum or int32 -> uint8_t in 0..max */
    CL_WF_NUM,    /* integer of the same width (size) */
    CL_WF_BOOL,   /* bool -> bool */
    CL_WF_DOUBLE, /* double -> double */
    CL_WF_STRS,   /* repeated string -> char[max][size], uint32 count */
    CL_WF_U64S,   /* repeated uint64 -> uint64_t[max], uint32 count */
    CL_WF_SUB,    /* a sub-message whose fields are flattened into the
                     model struct at off (0: the same struct): rows in
                     sub */
    CL_WF_NESTED, /* a sub-message mapped by hand: in/out */
    CL_WF_LIST    /* repeated sub-message -> array of model structs, one
                     struct (size) each mapped by the rows in sub: a fixed
                     array of max entries at off, or (max 0) an owned
                     calloc'd array whose pointer is at off; the count at
                     count, count_size bytes wide */
} cl_wire_ftype;

/* Hand-written mapping of one nested message at path pfx.name. in gets
 * the message (NULL when absent) and must zero what it fills; out returns
 * the message (NULL with s->failed on no memory). */
typedef struct cl_wire_nested {
    bool (*in)(void *model, const ProtobufCMessage *m, const char *path,
               char err[CL_ERROR_SZ]);
    ProtobufCMessage *(*out)(cl_wire_scratch *s, const void *model);
    /* the lenient copy cl_wire_fields_copy uses; NULL: none in replies */
    void (*copy)(void *model, const ProtobufCMessage *m);
} cl_wire_nested;

typedef struct cl_wire_field {
    const char *name; /* the field in the .proto message */
    uint8_t type;     /* cl_wire_ftype */
    size_t off;       /* where in the model struct */
    size_t size;      /* its size (one entry's for STRS) */
    int max;          /* ENUM: largest value; STRS, U64S: most entries */
    size_t count;     /* STRS, U64S, LIST: offset of the count */
    const struct cl_wire_field *sub; /* SUB, LIST */
    const cl_wire_nested *nested;    /* NESTED; LIST: each entry by hand */
    uint8_t count_size;              /* LIST: the count's width (4 or 8) */
} cl_wire_field;

#define CL_WF_ROW_(n, t, T, m, ...)                                            \
    {                                                                          \
        .name = (n), .type = (t), .off = offsetof(T, m),                       \
        .size = sizeof(((T *)0)->m), __VA_ARGS__                               \
    }
#define CL_WF_STR_(T, name, m)  CL_WF_ROW_(name, CL_WF_STR, T, m, .max = 0)
#define CL_WF_NUM_(T, name, m)  CL_WF_ROW_(name, CL_WF_NUM, T, m, .max = 0)
#define CL_WF_BOOL_(T, name, m) CL_WF_ROW_(name, CL_WF_BOOL, T, m, .max = 0)
#define CL_WF_DBL_(T, name, m)  CL_WF_ROW_(name, CL_WF_DOUBLE, T, m, .max = 0)
#define CL_WF_ENUM_(T, name, m, mx)                                            \
    CL_WF_ROW_(name, CL_WF_ENUM, T, m, .max = (mx))
/* A repeated field over a fixed array m[] with its uint32 count n. */
#define CL_WF_ARRAY_(T, nm, t, m, n, ...)                                      \
    {                                                                          \
        .name = (nm), .type = (t), .off = offsetof(T, m),                      \
        .size = sizeof(((T *)0)->m[0]),                                        \
        .max = (int)(sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0])),            \
        .count = offsetof(T, n), .count_size = sizeof(((T *)0)->n),            \
        __VA_ARGS__                                                            \
    }
#define CL_WF_STRS_(T, name, m, n)                                             \
    CL_WF_ARRAY_(T, name, CL_WF_STRS, m, n, .sub = 0)
#define CL_WF_U64S_(T, name, m, n)                                             \
    CL_WF_ARRAY_(T, name, CL_WF_U64S, m, n, .sub = 0)
/* Repeated sub-messages into the fixed array m[] (count n), each entry by
 * the rows r ... */
#define CL_WF_LIST_(T, name, m, n, r)                                          \
    CL_WF_ARRAY_(T, name, CL_WF_LIST, m, n, .sub = (r))
/* ... or into the owned array the pointer m points at (count n). */
#define CL_WF_OWNED_(T, nm, m, n, r)                                           \
    {                                                                          \
        .name = (nm), .type = CL_WF_LIST, .off = offsetof(T, m),               \
        .size = sizeof(*((T *)0)->m), .max = 0, .count = offsetof(T, n),       \
        .count_size = sizeof(((T *)0)->n), .sub = (r)                          \
    }
/* ... or, entry by entry, by a hand-written mapping (how). */
#define CL_WF_OWNED_BY_(T, nm, m, n, how)                                      \
    {                                                                          \
        .name = (nm), .type = CL_WF_LIST, .off = offsetof(T, m),               \
        .size = sizeof(*((T *)0)->m), .max = 0, .count = offsetof(T, n),       \
        .count_size = sizeof(((T *)0)->n), .nested = (how)                     \
    }
#define CL_WF_SUB_(n, rows)                                                    \
    {                                                                          \
        .name = (n), .type = CL_WF_SUB, .sub = (rows)                          \
    }
/* A sub-message into the struct member m, by the rows r. */
#define CL_WF_SUBAT_(T, name, m, r)                                            \
    CL_WF_ROW_(name, CL_WF_SUB, T, m, .sub = (r))
#define CL_WF_NESTED_(T, name, m, how)                                         \
    CL_WF_ROW_(name, CL_WF_NESTED, T, m, .nested = (how))
#define CL_WF_END_                                                             \
    {                                                                          \
        .name = 0, .type = CL_WF_END                                           \
    }

/* Message m into the model struct at base, row by row; false with err
 * naming pfx.field on the first refusal. */
bool cl_wire_fields_in(void *base, const ProtobufCMessage *m,
                       const cl_wire_field *f, const char *pfx,
                       char err[CL_ERROR_SZ]);
/* The same for a reply, which comes from the daemon (that stores only
 * validated values): over-long strings are truncated, enums and counts
 * taken as they are (counts capped at the model's room), never refused.
 * CL_ERR_NOMEM if an owned list could not be allocated (what was copied
 * stays, for the caller's free), else CL_OK. */
int cl_wire_fields_copy(void *base, const ProtobufCMessage *m,
                        const cl_wire_field *f);
/* The model struct at base into message m (initialised by the caller). */
void cl_wire_fields_out(cl_wire_scratch *s, ProtobufCMessage *m,
                        const void *base, const cl_wire_field *f);
/* A new message of descriptor d filled from base by f. */
ProtobufCMessage *cl_wire_msg_out(cl_wire_scratch *s,
                                  const ProtobufCMessageDescriptor *d,
                                  const void *base, const cl_wire_field *f);

/* --- nested messages mapped by hand -------------------------------------- */

extern const cl_wire_nested cl_wire_person, cl_wire_referral, cl_wire_plan;

/* The person at pfx.name (or pfx.name[i] when i >= 0). */
bool cl_wire_person_at(cl_person *p, const Caselink__PersonDetails *pd,
                       const char *pfx, const char *name, int i,
                       char err[CL_ERROR_SZ]);
/* The referral at pfx into *r, which must be all zero (a request's). */
bool cl_wire_referral_in(cl_referral *r, const Caselink__Referral *pr,
                         const char *pfx, char err[CL_ERROR_SZ]);
Caselink__PersonDetails *cl_wire_person_out(cl_wire_scratch *s,
                                            const cl_person *p);
Caselink__Referral *cl_wire_referral_out(cl_wire_scratch *s,
                                         const cl_referral *r);
Caselink__Attendee **cl_wire_attendees_out(cl_wire_scratch *s,
                                           const cl_attendee *a, uint32_t n,
                                           size_t *out_n);
void cl_wire_attendees_in(cl_attendee *a, uint32_t *n, Caselink__Attendee **v,
                          size_t nv);

/* --- replies: shared between the families' files ------------------------- */

Caselink__Referrer *cl_wire_referrer_out(cl_wire_scratch *s, const char *name,
                                         const char *role);
Caselink__ReferralView *cl_wire_referral_view_out(cl_wire_scratch *s,
                                                  const cl_referral_view *r);
Caselink__AuditEntry **cl_wire_entries_out(cl_wire_scratch *s,
                                           const cl_audit_entries *e);
Caselink__PersonView *cl_wire_view_out(cl_wire_scratch *s,
                                       const cl_person_view *v);
Caselink__RequestSummary *cl_wire_summary_out(cl_wire_scratch *s,
                                              const cl_request_summary *q);
Caselink__ActionView **cl_wire_actions_out(cl_wire_scratch *s,
                                           const cl_actions *a, size_t *n);
Caselink__RagEntry *cl_wire_rag_out(cl_wire_scratch *s, const cl_rag_entry *e);
Caselink__ReferralRow *cl_wire_row_out(cl_wire_scratch *s,
                                       const cl_referral_row *m);
void cl_wire_row_in(cl_referral_row *m, const Caselink__ReferralRow *x);
Caselink__IntakeItem *cl_wire_intake_out(cl_wire_scratch *s,
                                         const cl_intake_item *m);
void cl_wire_intake_in(cl_intake_item *m, const Caselink__IntakeItem *x);
Caselink__FlagResult *cl_wire_flag_result_out(cl_wire_scratch *s,
                                              const cl_flag_result *f);
void cl_wire_flag_result_in(cl_flag_result *o, const Caselink__FlagResult *x);
void cl_wire_person_copy_in(cl_person *p, const Caselink__PersonDetails *pd);
void cl_wire_referral_view_in(cl_referral_view *r,
                              const Caselink__ReferralView *rv);
int cl_wire_entries_in(cl_audit_entries *e, Caselink__AuditEntry **v, size_t n);
int cl_wire_view_in(cl_person_view *v, const Caselink__PersonView *pv);
void cl_wire_summary_in(cl_request_summary *q,
                        const Caselink__RequestSummary *x);
int cl_wire_actions_in(cl_actions *o, Caselink__ActionView **v, size_t n);
void cl_wire_rag_in(cl_rag_entry *e, const Caselink__RagEntry *x);
Caselink__RecordVersion **
cl_wire_record_versions_out(cl_wire_scratch *s, const cl_record_version *v,
                            size_t n, size_t *n_out);
int cl_wire_record_versions_in(cl_record_version **v, size_t *n,
                               Caselink__RecordVersion **x, size_t nx);

/* Each Reply result's builder (NULL: no result) and reader, one pair per
 * result case named in cl_requests.def (declared once per kind using it). */
#define CL_REQ(KIND, name, BODY, RESULT, roles, personal, heavy, cls, standby, \
               rated, handler, id)                                             \
    ProtobufCMessage *cl_wire_out_##RESULT(cl_wire_scratch *s,                 \
                                           const cl_reply *rep);               \
    int cl_wire_in_##RESULT(cl_reply *out, const Caselink__Reply *r);
#include "cl_requests.def"
#undef CL_REQ

#endif
