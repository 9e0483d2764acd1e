/*
 * harness: helpers for tests that run the real daemon. Each test gets a
 * fresh folder under /tmp, a caselinkd started in development mode on an
 * ipc:// endpoint inside it (real keys, real registry, real LMDB file),
 * and clients connected with the demo agencies' real key files.
 */
#ifndef CL_HARNESS_H
#define CL_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "caselink.h"

typedef struct th_daemon {
    char dir[256]; /* the development-mode folder */
    char log[300]; /* its stderr */
    pid_t pid;     /* 0 when not running */
} th_daemon;

/* Make a fresh folder (mkdtemp) for a test; it is removed when the test
 * program exits normally (not after a failed assertion, nor with
 * CL_TEST_KEEP=1 in the environment). */
void th_tmpdir(char *out, size_t cap);

/* Call first in a forked child that will exec a server (caselinkd,
 * nats-server): the child is killed when the test process dies, so a
 * failed or aborted test leaves nothing running. parent is the test's
 * pid from before the fork. */
void th_child_guard(pid_t parent);

/* Start caselinkd --dev d->dir (creating it) and wait until it answers
 * health. extra_conf, if not NULL, is appended to its caselinkd.conf
 * before this start (the file is created by a first --check-config run;
 * a later setting of the same name wins). */
void th_start(th_daemon *d, const char *extra_conf);

/* Send sig (SIGTERM, SIGKILL) and wait; returns the exit status or
 * 128+signal. */
int th_stop(th_daemon *d, int sig);

/* Connect as a demo client (gp, police, childrens, adults, coordinator,
 * operator, auditor), acting for the user development mode wrote for it
 * (keys/NAME.user) when there is one. */
cl_client *th_client(const th_daemon *d, const char *name);

/* Connect with explicit key files (for unregistered keys), naming no
 * user. */
cl_client *th_client_keys(const th_daemon *d, const char *key_file,
                          int timeout_ms);

/* The user development mode wrote for demo client name (keys/NAME.user)
 * into *out; false (and *out untouched) if it has none. */
bool th_user(const th_daemon *d, const char *name, cl_user *out);

/* The same, acting for user (NULL: nobody). */
cl_client *th_client_user(const th_daemon *d, const char *key_file,
                          int timeout_ms, const cl_user *user);

/* cmocka setup/teardown: a fresh daemon per test in *state; teardown
 * fails the test unless the daemon stops cleanly (exit 0). */
int th_setup_daemon(void **state);
int th_teardown_daemon(void **state);

/* A raw CURVE DEALER on ctx, connected to d with the key in key_file (to
 * send any bytes at all); receive timeout rcv_ms. Aborts on failure. */
void *th_raw_socket(const th_daemon *d, void *ctx, const char *key_file,
                    int rcv_ms);

/* A person with these fields set and every other one empty. */
cl_person th_person(const char *given, const char *family, const char *dob,
                    uint8_t sex, const char *postcode);

/* A referral about a person, ready to publish; caller frees. */
cl_request *th_referral(const char *ref, const char *given, const char *family,
                        const char *dob, const char *nhs);

/* Publish and return the reply status (reference copied if ref_out). */
int th_publish(cl_client *c, cl_request *req, char *ref_out);

/* Open a case by NHS number as coordinator; caller clears rep. Returns
 * the reply status. */
int th_view_nhs(cl_client *c, const char *nhs, cl_reply *rep);

/* How many referrals the case of nhs holds, as d's coordinator opens it
 * (aborts unless it opens). */
size_t th_referrals_of(const th_daemon *d, const char *nhs);

/* The family most scenarios use: Lily Brown (born 2019-06-01), on a child
 * protection plan from TH_AUTHORITY, and her mother Kerry Brown (born
 * 1990-02-03). */
#define TH_AUTHORITY "Northshire Children's Services"

/* TH_AUTHORITY's child protection plan (category 1, from 2026-01-10,
 * Children Act 1989 s47) for Lily (NHS child_nhs) under reference ref,
 * naming Kerry (NHS mum_nhs) as her parent unless mum_nhs is NULL; ready
 * to send as children's services, caller frees. */
cl_request *th_plan(const char *ref, const char *child_nhs,
                    const char *mum_nhs);

/* The police refer Jane Smith (born 1985-04-12, NHS nhs) under ref; her
 * child Amy Smith (born 2015-06-01, NHS kid_nhs) is only mentioned, as
 * related (relationship 1, as these scenarios have always sent it).
 * Returns the reply status. */
int th_mother_and_child(const th_daemon *d, const char *ref, const char *nhs,
                        const char *kid_nhs);

/* The GP publishes Jane Smith (born 1985-04-12, NHS nhs) under ref, then
 * the coordinator opens her case views times (break-glass). Returns the
 * first reply status that is not OK, else OK. */
int th_publish_and_view(const th_daemon *d, const char *ref, const char *nhs,
                        int views);

/* Create an MDT review titled title on date (YYYY-MM-DD) as coordinator
 * co; its id into mdt. Returns the reply status. */
int th_review(cl_client *co, const char *date, const char *title,
              char mdt[CL_REF_SZ]);

/* The auditor's `audit verify` of d's log, against checkpoint cp (NULL:
 * none); the reply status into *status. */
cl_audit_verify_result th_audit_verify(const th_daemon *d, const char *cp,
                                       int *status);

/* How many entries of kind (a request kind, "get_person") an audit search
 * by auditor connection au finds on a person: by person id pid, or by NHS
 * number nhs when pid is NULL. -1 if the search is not answered OK. */
long th_audited(cl_client *au, const char *pid, const char *nhs,
                const char *kind);

/* True if the file contains the bytes of s. */
bool th_file_contains(const char *path, const char *s);

/* health as demo client name sees it (aborts unless answered OK). */
cl_health th_health(const th_daemon *d, const char *name);

/* Run a shell command, return its exit status. */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
