/*
 * texts: the caselink tool's fixed texts, each kept in its own language in
 * clients/text/ and compiled in as a NUL-terminated string by CMake
 * (clients/text/embed.cmake): the help, the man page and the bash
 * completion (templates whose @NAME@ markers cli_table.c fills from the
 * command table) and the agenda pack's print style sheet.
 */
#ifndef CL_TEXTS_H
#define CL_TEXTS_H

extern const char *const cl_text_help;       /* text/help.txt */
extern const char *const cl_text_man;        /* text/caselink.1.in */
extern const char *const cl_text_completion; /* text/completion.bash */
extern const char *const cl_text_pack_css;   /* text/pack.css */

#endif
