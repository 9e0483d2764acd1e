/*
 * pack: the agenda pack as HTML for print, as PDF (headless Chromium) and
 * as CSV; the meeting record command. Not installed.
 */
#ifndef CL_PACK_H
#define CL_PACK_H

#include <stdio.h>

#include "cli.h"

/* The pack as one self-contained HTML page with print CSS. */
void cli_pack_html(FILE *f, const cl_review_pack *p);

/* The agenda for the minute-taker: a row per person. -1 on a write error. */
int cli_pack_csv(FILE *f, const cl_review_pack *p);

/* Print the pack to pdf with headless Chromium (CASELINK_CHROMIUM, else
 * chromium on PATH); 0 when the PDF was written. */
int cli_pack_pdf(const cl_review_pack *p, const char *pdf);

/* caselink mdt record MDT-ID --chair NAME ... */
int cli_mdt_record(cli_conn *cn, int argc, char **argv);

#endif
