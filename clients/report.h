/*
 * report: the executive's outcomes report written from the daemon's
 * aggregate figures, as one self-contained HTML file (inline SVG charts
 * beside their tables, no scripts, no external assets), as JSON, or as CSV.
 * The figures hold no personal data; suppressed counts (-1) are written as
 * "<N" (HTML, CSV) or null (JSON).
 */
#ifndef CL_REPORT_H
#define CL_REPORT_H

#include <stdio.h>

#include "cl_model.h"

void cl_report_html(FILE *f, const cl_report *r);

/* Write s to f with <, >, & and " escaped for HTML text and attributes. */
void cl_html_write(FILE *f, const char *s);
void cl_report_json(FILE *f, const cl_report *r);
void cl_report_csv(FILE *f, const cl_report *r);

#endif
