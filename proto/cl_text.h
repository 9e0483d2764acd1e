/*
 * cl_text: the text of a person's fields as partner systems send it.
 * UTF-8 that a name, an address or an id never needs: control
 * characters, invisible format characters (bidi overrides and marks,
 * zero-width spaces and joiners, the soft hyphen, variation selectors,
 * tags, fillers that print as nothing) and spaces other than the plain
 * one. Data only: no allocation, no I/O.
 */
#ifndef CL_TEXT_H
#define CL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* What cl_text_clean and cl_text_id_check found. */
typedef enum {
    CL_TEXT_OK = 0,
    CL_TEXT_CONTROL, /* a control character (refused) */
    CL_TEXT_HIDDEN,  /* an id with an invisible or non-plain space */
    CL_TEXT_BLANK    /* an id of spaces alone */
} cl_text_rc;

/* Whether v holds a control character other than tab (C0, DEL, C1),
 * which every field refuses. */
bool cl_text_has_control(const char *v);

/* A name, address or town, cleaned in place: a control character other
 * than tab is refused (CL_TEXT_CONTROL, v unchanged); invisible format
 * characters are taken out (*removed set), other spaces, line
 * separators and tabs become plain spaces, both ends are trimmed, and a
 * text with nothing visible left (spaces, combining marks alone) is
 * emptied: a name of blanks is no name. */
cl_text_rc cl_text_clean(char *v, bool *removed);

/* An id compared as sent (a local id): refused if it holds a control,
 * an invisible character or a space other than the plain one
 * (CL_TEXT_HIDDEN: stripped, two ids would become one), or nothing but
 * plain spaces (CL_TEXT_BLANK). */
cl_text_rc cl_text_id_check(const char *v);

/* No control character and no invisible format character (a reference,
 * a display name printed in a listing must not move the cursor, forge a
 * line or read in another order than it is stored). */
bool cl_text_printable(const char *s);

#endif
