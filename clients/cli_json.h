/*
 * cli_json: the caselink tool's --json output from field rows. A struct's
 * fields are named once (JSON key, how to write it, where it is), and one
 * loop writes any struct, list or nested object from its rows, so every
 * command writes JSON the same way (ISO times, enum names, escaped
 * strings). Writes to standard output only; never allocates.
 */
#ifndef CL_CLI_JSON_H
#define CL_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cli_jtype {
    CLI_J_END = 0, /* ends a row list */
    CLI_J_STR,     /* a char[] member */
    CLI_J_PSTR,    /* a const char * member (NULL is "") */
    CLI_J_UINT,    /* an unsigned integer of the member's size */
    CLI_J_INT,     /* a signed integer of the member's size */
    CLI_J_TIME,    /* int64_t unix seconds, as ISO 8601 UTC; 0 left out */
    CLI_J_BOOL,    /* a bool member */
    CLI_J_REAL,    /* a double, with prec decimals (0: %.17g) */
    CLI_J_NAME,    /* an unsigned enum member, through name() */
    CLI_J_NAMES,   /* char[N][S] with a count member: [strings] */
    CLI_J_OBJ,     /* a struct member, by its rows in sub */
    CLI_J_ARRAY,   /* an inline array of structs with a count member */
    CLI_J_PARRAY,  /* the same through a pointer member */
    CLI_J_FN,      /* the value written by fn(the whole struct) */
    CLI_J_IF,      /* sub's fields, in this object, if the member is not 0 */
    CLI_J_SUB,     /* the fields of the struct member, by sub, in this one */
} cli_jtype;

enum {
    CLI_J_OMIT_ZERO = 1, /* leave the field out when it is 0 or "" */
    CLI_J_POINTER = 2,   /* CLI_J_NAMES: the member points at the names */
};

typedef struct cli_jrow {
    const char *key;
    uint8_t type;  /* cli_jtype */
    uint8_t flags; /* CLI_J_OMIT_ZERO */
    uint8_t size;  /* the member's size (integers, counts: csize) */
    uint8_t prec;  /* CLI_J_REAL: decimals */
    uint8_t csize; /* the count member's size */
    size_t off;    /* the member */
    size_t coff;   /* the count member (NAMES, ARRAY, PARRAY) */
    size_t stride; /* one element (NAMES, ARRAY, PARRAY) */
    const char *(*name)(unsigned v);            /* CLI_J_NAME */
    const struct cli_jrow *sub;                 /* OBJ, ARRAY, PARRAY */
    void (*fn)(const void *obj, const void *m); /* CLI_J_FN: m = member */
} cli_jrow;

#define CLI_JS(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_STR, .off = offsetof(T, m)                     \
    }
#define CLI_JP(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_PSTR, .off = offsetof(T, m)                    \
    }
#define CLI_JU(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_UINT, .off = offsetof(T, m),                   \
        .size = sizeof(((T *)0)->m)                                            \
    }
#define CLI_JI(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_INT, .off = offsetof(T, m),                    \
        .size = sizeof(((T *)0)->m)                                            \
    }
#define CLI_JT(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_TIME, .off = offsetof(T, m)                    \
    }
#define CLI_JB(T, k, m)                                                        \
    {                                                                          \
        .key = k, .type = CLI_J_BOOL, .off = offsetof(T, m)                    \
    }
#define CLI_JR(T, k, m, p)                                                     \
    {                                                                          \
        .key = k, .type = CLI_J_REAL, .off = offsetof(T, m), .prec = p         \
    }
#define CLI_JN(T, k, m, fn)                                                    \
    {                                                                          \
        .key = k, .type = CLI_J_NAME, .off = offsetof(T, m),                   \
        .size = sizeof(((T *)0)->m), .name = fn                                \
    }
#define CLI_JL(T, k, m, n)                                                     \
    {                                                                          \
        .key = k, .type = CLI_J_NAMES, .off = offsetof(T, m),                  \
        .stride = sizeof(((T *)0)->m[0]), .coff = offsetof(T, n),              \
        .csize = sizeof(((T *)0)->n)                                           \
    }
#define CLI_JO(T, k, m, rows)                                                  \
    {                                                                          \
        .key = k, .type = CLI_J_OBJ, .off = offsetof(T, m), .sub = rows        \
    }
#define CLI_JA(T, k, m, n, rows)                                               \
    {                                                                          \
        .key = k, .type = CLI_J_ARRAY, .off = offsetof(T, m),                  \
        .stride = sizeof(((T *)0)->m[0]), .coff = offsetof(T, n),              \
        .csize = sizeof(((T *)0)->n), .sub = rows                              \
    }
#define CLI_JAP(T, k, m, n, rows)                                              \
    {                                                                          \
        .key = k, .type = CLI_J_PARRAY, .off = offsetof(T, m),                 \
        .stride = sizeof(((T *)0)->m[0]), .coff = offsetof(T, n),              \
        .csize = sizeof(((T *)0)->n), .sub = rows                              \
    }
#define CLI_JF(T, k, m, f)                                                     \
    {                                                                          \
        .key = k, .type = CLI_J_FN, .off = offsetof(T, m), .fn = f             \
    }
#define CLI_JLP(T, k, m, n)                                                    \
    {                                                                          \
        .key = k, .type = CLI_J_NAMES, .flags = CLI_J_POINTER,                 \
        .off = offsetof(T, m), .stride = sizeof(((T *)0)->m[0]),               \
        .coff = offsetof(T, n), .csize = sizeof(((T *)0)->n)                   \
    }
/* Another row list's fields, in this object (a part two objects share);
 * CLI_JSUBM: of the struct member m. */
#define CLI_JSUB(rows)                                                         \
    {                                                                          \
        .key = "", .type = CLI_J_SUB, .sub = rows                              \
    }
#define CLI_JSUBM(T, m, rows)                                                  \
    {                                                                          \
        .key = "", .type = CLI_J_SUB, .off = offsetof(T, m), .sub = rows       \
    }
#define CLI_JIF(T, m, rows)                                                    \
    {                                                                          \
        .key = "", .type = CLI_J_IF, .off = offsetof(T, m),                    \
        .size = sizeof(((T *)0)->m), .sub = rows                               \
    }
#define CLI_JEND                                                               \
    {                                                                          \
        .key = NULL                                                            \
    }

/*
 * Write the fields rows name of the struct at obj, in order, each after a
 * comma unless it is the first of its object: *n counts the fields
 * written so far in the object being written (start it at 0 after "{").
 */
void cli_json_fields(const void *obj, const cli_jrow *rows, unsigned *n);
/* The struct at obj as {fields}. */
void cli_json_obj(const void *obj, const cli_jrow *rows);
/* n structs stride bytes apart from v as [{...},...]. */
void cli_json_arr(const void *v, size_t n, size_t stride, const cli_jrow *rows);
/* The struct at obj as {fields} and a line break: a command's answer. */
void cli_json_line(const void *obj, const cli_jrow *rows);
/* ,"key": (no comma for the first field): for a field written by hand
 * between rows. */
void cli_json_key(const char *key, unsigned *n);

#endif
