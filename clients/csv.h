/*
 * csv: an RFC 4180 reader for the CLI's bulk commands. Fields may be quoted
 * ("a, b"), quotes doubled inside quotes, and quoted fields may span lines.
 * A UTF-8 byte order mark at the start is skipped. Limits keep a hostile
 * file bounded: at most CL_CSV_MAX_FIELDS fields of CL_CSV_MAX_FIELD bytes.
 */
#ifndef CL_CSV_H
#define CL_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "cl_error.h"

#define CL_CSV_MAX_FIELDS 64
#define CL_CSV_MAX_FIELD  16384

typedef struct cl_csv cl_csv;

/* Read from f (borrowed; the caller closes it). */
CL_NODISCARD int cl_csv_new(cl_csv **out, FILE *f);
void cl_csv_destroy(cl_csv **c);

/*
 * Next record. Returns 1 with *fields (borrowed until the next call), *n
 * and *line (the line the record starts on), 0 at end of file, or
 * CL_ERR_INVALID with a reason in err (the record is skipped and reading
 * can go on).
 */
int cl_csv_next(cl_csv *c, char ***fields, size_t *n, unsigned long *line,
                char *err, size_t err_len);

/* Write one CSV field to f, quoted (quotes doubled) only when it holds a
 * comma, a quote or a line break; a field that starts like a spreadsheet
 * formula (=, +, -, @, tab, CR) gets a leading ' inside quotes. */
void cl_csv_field_write(FILE *f, const char *s);

/* Write s as a JSON string (quoted, escaped) to f. */
void cl_json_str_write(FILE *f, const char *s);

#endif
