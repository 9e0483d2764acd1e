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

/* Receive all frames of one ZAP request, answer it. */
static void s_zap_handle(cl_server *s)
{
    zmq_msg_t f[7];
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
        if (n < 7)
            f[n++] = m;
        else
            zmq_msg_close(&m);
    }
    if (n < 6) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return;
    }
    const char *status = "400", *text = "not registered";
    char key[CL_Z85_KEY_SZ] = "";
    const char *mech = zmq_msg_data(&f[5]);
    size_t mech_len = zmq_msg_size(&f[5]);
    bool domain_ok =
        zmq_msg_size(&f[2]) == strlen(S_ZAP_DOMAIN) &&
        memcmp(zmq_msg_data(&f[2]), S_ZAP_DOMAIN, strlen(S_ZAP_DOMAIN)) == 0;
    char addr[64] = "";
    size_t alen = zmq_msg_size(&f[3]) < sizeof(addr) - 1 ? zmq_msg_size(&f[3])
                                                         : sizeof(addr) - 1;
    memcpy(addr, zmq_msg_data(&f[3]), alen);
    addr[alen] = '\0';
    if (!domain_ok) {
        text = "wrong ZAP domain";
    } else if (mech_len != 5 || memcmp(mech, "CURVE", 5) != 0 || n < 7 ||
               zmq_msg_size(&f[6]) != 32) {
        text = "CURVE required";
    } else {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
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
    zmq_send(s->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
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
