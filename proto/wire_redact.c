/*
 * wire_redact: what a client sent kept out of the daemon's log. An error
 * sentence may echo a value from the request ("no referral <reference>
 * from your agency"); before such a sentence is logged, every string the
 * request carries is replaced in it by "...". The strings are found by
 * encoding the decoded request and walking the Envelope with protoc-c's
 * descriptors, so a new field is covered without a list to keep.
 */
#include "wire.h"
#include "wire_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Shorter values are not replaced: "a", "no" would hit ordinary words,
 * and a value that short identifies nobody. */
#define S_MIN 3

/* protobuf-c's allocations, wiped when freed: the unpacked copy holds
 * the request's personal data. Each block carries its size before it. */
static void *s_alloc(void *data, size_t size)
{
    (void)data;
    size_t *p = malloc(sizeof(size_t) + size);
    if (!p)
        return NULL;
    *p = size;
    return p + 1;
}

static void s_free(void *data, void *ptr)
{
    (void)data;
    if (!ptr)
        return;
    size_t *p = (size_t *)ptr - 1;
    sodium_memzero(ptr, *p);
    free(p);
}

/* Replace every occurrence of v in text by "...". */
static void s_redact_one(char *text, const char *v)
{
    size_t vl = strlen(v);
    char *p = text;
    if (vl < S_MIN)
        return;
    while ((p = strstr(p, v))) {
        memcpy(p, "...", 3);
        memmove(p + 3, p + vl, strlen(p + vl) + 1);
        p += 3;
    }
}

static bool s_present(const ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)((const char *)m + f->quantifier_offset) ==
               f->id;
    return true;
}

static void s_walk(const ProtobufCMessage *m, char *text, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (depth > 16)
        return;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *at = (const char *)m + f->offset;
        if (!s_present(m, f) || (f->type != PROTOBUF_C_TYPE_STRING &&
                                 f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        size_t n = 1;
        const void *const *v = (const void *const *)at;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)((const char *)m + f->quantifier_offset);
            v = *(const void *const *const *)at;
        }
        for (size_t k = 0; k < n && v; k++) {
            if (!v[k])
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING)
                s_redact_one(text, v[k]);
            else
                s_walk(v[k], text, depth + 1);
        }
    }
}

void cl_wire_redact(char *text, const cl_request *req)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!req || cl_wire_encode_request(&buf, &len, req) != CL_OK)
        return;
    ProtobufCAllocator alloc = {s_alloc, s_free, NULL};
    Caselink__Envelope *env = caselink__envelope__unpack(&alloc, len, buf);
    if (env) {
        s_walk(&env->base, text, 0);
        caselink__envelope__free_unpacked(env, &alloc);
    }
    sodium_memzero(buf, len);
    free(buf);
}
