/*
 * zap: the ZeroMQ authentication handler (ZAP, RFC 27) on
 * inproc://zeromq.zap.01. It admits a CURVE handshake only for a key in
 * the current registry and logs every refusal with the peer's address;
 * it never sees a request.
 */
#include "zap.h"

#include <string.h>
#include <zmq.h>

#include "log.h"
#include "registry.h"

/* A ZAP request (RFC 27): version, request id, domain, address, identity,
 * mechanism, then the mechanism's credentials: for CURVE, one frame
 * holding the client's public key. */
enum {
    S_ZAP_REQID_FRAME = 1,
    S_ZAP_DOMAIN_FRAME = 2,
    S_ZAP_ADDRESS_FRAME = 3,
    S_ZAP_MECH_FRAME = 5,
    S_ZAP_KEY_FRAME = 6,
    S_ZAP_FRAMES_MIN = 6, /* without credentials */
    S_ZAP_FRAMES_MAX = 7  /* with the CURVE key */
};
#define S_ZAP_MECH    "CURVE"
#define S_ZAP_KEY_LEN 32 /* a CURVE public key, binary */

/* Receive all frames of one ZAP request, answer it. */
static void s_zap_handle(cl_server *s)
{
    zmq_msg_t f[S_ZAP_FRAMES_MAX];
    int n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < S_ZAP_FRAMES_MAX)
            f[n++] = m;
        else
            zmq_msg_close(&m);
    }
    if (n < S_ZAP_FRAMES_MIN) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return;
    }
    const char *status = "400", *text = "not registered";
    char key[CL_Z85_KEY_SZ] = "";
    const char *mech = zmq_msg_data(&f[S_ZAP_MECH_FRAME]);
    size_t mech_len = zmq_msg_size(&f[S_ZAP_MECH_FRAME]);
    bool domain_ok =
        zmq_msg_size(&f[S_ZAP_DOMAIN_FRAME]) == strlen(S_ZAP_DOMAIN) &&
        memcmp(zmq_msg_data(&f[S_ZAP_DOMAIN_FRAME]), S_ZAP_DOMAIN,
               strlen(S_ZAP_DOMAIN)) == 0;
    char addr[64] = "";
    size_t alen = zmq_msg_size(&f[S_ZAP_ADDRESS_FRAME]) < sizeof(addr) - 1
                      ? zmq_msg_size(&f[S_ZAP_ADDRESS_FRAME])
                      : sizeof(addr) - 1;
    memcpy(addr, zmq_msg_data(&f[S_ZAP_ADDRESS_FRAME]), alen);
    addr[alen] = '\0';
    if (!domain_ok) {
        text = "wrong ZAP domain";
    } else if (mech_len != strlen(S_ZAP_MECH) ||
               memcmp(mech, S_ZAP_MECH, mech_len) != 0 ||
               n < S_ZAP_FRAMES_MAX ||
               zmq_msg_size(&f[S_ZAP_KEY_FRAME]) != S_ZAP_KEY_LEN) {
        text = "CURVE required";
    } else {
        zmq_z85_encode(key, zmq_msg_data(&f[S_ZAP_KEY_FRAME]), S_ZAP_KEY_LEN);
        const cl_caller *who = cl_registry_find(s->registry, key);
        if (who) {
            status = "200";
            text = "OK";
            cl_log_debug("admitted client=%s addr=%s", who->name, addr);
        }
    }
    if (status[0] != '2')
        s->refused++;
    if (status[0] != '2')
        cl_log_refusal(addr, "refused connection: %s key=%.8s... addr=%s", text,
                       key[0] ? key : "-", addr);
    /* version, request id, status code, status text, user id, metadata */
    zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(s->zap, zmq_msg_data(&f[S_ZAP_REQID_FRAME]),
             zmq_msg_size(&f[S_ZAP_REQID_FRAME]), ZMQ_SNDMORE);
    zmq_send(s->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(s->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(s->zap, key, status[0] == '2' ? strlen(key) : 0, ZMQ_SNDMORE);
    zmq_send(s->zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

void cl_zap_drain(cl_server *s)
{
    int events = 0;
    size_t len = sizeof(events);
    while (zmq_getsockopt(s->zap, ZMQ_EVENTS, &events, &len) == 0 &&
           (events & ZMQ_POLLIN))
        s_zap_handle(s);
}
