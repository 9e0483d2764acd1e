"""caselink_client: talk to caselinkd from Python, from the .proto alone.

Needs Debian's python3-zmq and python3-protobuf, and caselink_pb2.py made
from proto/caselink.proto by protoc (protobuf-compiler):

    protoc --python_out=. --proto_path=proto proto/caselink.proto

What it does, and why (see the README's "Integrating an agency system"):

* connects a DEALER socket with CURVE: the daemon's public key, this
  client's key pair from a key file (caselink's INI or a ZeroMQ ZPL
  certificate);
* watches the socket's monitor, so that a key the daemon refuses (not in
  its registry) or a wrong server key is an exception naming the cause at
  once, not a silent timeout;
* sends each request with a 16-byte message id and resends the SAME bytes
  on timeout, so a retry is never applied twice (the daemon answers
  STATUS_DUPLICATE with the original outcome);
* derives the message id of a referral from its agency_reference
  (message_id()), the recommended derivation in caselink.proto;
* long-polls the agency's mailbox and acknowledges what was handled.

Nothing here logs or prints personal data.
"""

import configparser
import hashlib
import os
import time

import zmq
from zmq.utils.monitor import parse_monitor_message

import caselink_pb2 as pb

PROTOCOL_VERSION = 1


class CaselinkError(Exception):
    """A refusal or a failure. status is a caselink.Status value (or None
    when there was no reply); error is the daemon's sentence."""

    def __init__(self, message, status=None, error=""):
        super().__init__(message)
        self.status = status
        self.error = error


class AuthError(CaselinkError):
    """The CURVE handshake failed: our key is not registered, or the
    server key is not the daemon's."""


class NoReply(CaselinkError):
    """No reply after every attempt."""


def message_id(domain, stable):
    """The recommended message id: BLAKE2b-128 of domain, NUL, stable.

    message_id("referral", "GP-2026-0001").hex() ==
    "7f2fc23aa523e7edc46f7fcee38c9146"
    """
    data = domain.encode("utf-8") + b"\0" + stable.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).digest()


def _zpl_keys(text):
    """public-key / secret-key of the "curve" section of a ZPL file."""
    keys, section = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[:1].isspace():
            section = stripped
            continue
        if section == "curve" and "=" in stripped:
            name, value = (p.strip() for p in stripped.split("=", 1))
            if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
                value = value[1:-1]
            keys[name] = value
    return keys


def read_user_file(path):
    """The named user an agency system acts for (caselink's NAME.user:
    user_id, display_name, role) as a caselink.ActingUser."""
    ini = configparser.ConfigParser(interpolation=None)
    with open(path, encoding="utf-8") as f:
        ini.read_string("[user]\n" + f.read())
    u = ini["user"]
    return pb.ActingUser(user_id=u.get("user_id", ""),
                         display_name=u.get("display_name", ""),
                         role=u.get("role", ""))


def read_key_file(path, secret=True):
    """(public, secret) Z85 keys as bytes from a key file in either format;
    secret is None when not asked for. A secret key file must be mode
    0600, as caselink's own tools require."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    first = next((l.strip() for l in text.splitlines()
                  if l.strip() and not l.strip().startswith(("#", ";"))), "")
    if first.startswith("["):
        # Z85 uses '%': no interpolation, or configparser fails on it
        ini = configparser.ConfigParser(interpolation=None)
        ini.read_string(text)
        keys = dict(ini["curve"]) if ini.has_section("curve") else {}
    else:
        keys = _zpl_keys(text)
    public = keys.get("public-key", "")
    if len(public) != 40:
        raise CaselinkError(f"key file {path}: no 40-character public-key")
    if not secret:
        return public.encode(), None
    if os.stat(path).st_mode & 0o077:
        raise CaselinkError(f"key file {path}: readable by others; "
                            f"run 'chmod 600 {path}'")
    sec = keys.get("secret-key", "")
    if len(sec) != 40:
        raise CaselinkError(f"key file {path}: no 40-character secret-key")
    return public.encode(), sec.encode()


class Client:
    """One CURVE connection to caselinkd.

    timeout_ms is the wait per attempt; attempts how many times one
    request is sent (each time with the same message id)."""

    def __init__(self, endpoint, server_key_file, key_file, timeout_ms=5000,
                 attempts=3, user=None, context=None):
        self.timeout_ms = timeout_ms
        self.user = user  # a caselink.ActingUser, or None
        self.attempts = attempts
        self._ctx = context or zmq.Context.instance()
        pub, sec = read_key_file(key_file)
        server, _ = read_key_file(server_key_file, secret=False)
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.curve_serverkey = server
        self._sock.curve_publickey = pub
        self._sock.curve_secretkey = sec
        self._sock.linger = 0
        self._sock.setsockopt(zmq.MAXMSGSIZE, 16 * 1024 * 1024)
        # The monitor tells a refused key or a wrong server key at once.
        self._monitor = self._sock.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_FAILED_AUTH
            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
            | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | zmq.EVENT_HANDSHAKE_SUCCEEDED)
        self._sock.connect(endpoint)
        self.endpoint = endpoint
        self.handshakes = 0  # succeeded handshakes seen
        self._auth_problem = None

    def close(self):
        self._sock.disable_monitor()
        self._monitor.close()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _drain_monitor(self):
        while self._monitor.poll(0):
            event = parse_monitor_message(self._monitor.recv_multipart())
            ev = event["event"]
            if ev == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.handshakes += 1
            elif ev == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                self._auth_problem = (
                    "the daemon refused this client's key: it is not in "
                    "the daemon's registry (send the .pub file to its "
                    "operator)")
            elif ev in (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL):
                self._auth_problem = (
                    f"the CURVE handshake with {self.endpoint} failed: "
                    "wrong server key? (use the daemon's server.pub)")

    def call_envelope(self, envelope):
        """Send an Envelope (message_id set) and return the matching Reply,
        resending the same bytes on timeout."""
        frame = envelope.SerializeToString()
        for _ in range(self.attempts):
            self._sock.send(frame)
            deadline = time.monotonic() + self.timeout_ms / 1000.0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                poller = zmq.Poller()
                poller.register(self._sock, zmq.POLLIN)
                poller.register(self._monitor, zmq.POLLIN)
                ready = dict(poller.poll(int(left * 1000) + 1))
                if self._monitor in ready:
                    self._drain_monitor()
                if self._sock in ready:
                    reply = pb.Reply.FromString(self._sock.recv())
                    # ours, or a refusal of a frame whose id was unreadable
                    if reply.message_id in (envelope.message_id, b""):
                        return reply
                    continue  # a late answer to an earlier request
                if self._auth_problem:
                    raise AuthError(self._auth_problem)
        raise NoReply(f"no reply from {self.endpoint} after "
                            f"{self.attempts} attempts")

    def call(self, kind, body, msg_id=None, check=True):
        """Send one request: kind is the Envelope body's field name
        ("publish_referral", "health", ...), body its message. With check,
        a refusal raises CaselinkError; DUPLICATE is not a refusal."""
        env = pb.Envelope(version=PROTOCOL_VERSION,
                          message_id=msg_id or os.urandom(16),
                          sent_at=int(time.time() * 1000))
        if self.user is not None:
            env.on_behalf_of.CopyFrom(self.user)
        getattr(env, kind).CopyFrom(body)
        getattr(env, kind).SetInParent()  # an empty body is still the body
        reply = self.call_envelope(env)
        if check and reply.status not in (pb.STATUS_OK, pb.STATUS_DUPLICATE):
            raise CaselinkError(
                f"{kind}: {pb.Status.Name(reply.status)}: {reply.error}",
                reply.status, reply.error)
        return reply

    def publish_referral(self, referral, check=True):
        """Publish a referral with the recommended message id. The reply's
        publish.referral_id is caselink's reference; a resend (same id, or
        same agency_reference and content) answers STATUS_DUPLICATE with
        the original one."""
        return self.call("publish_referral",
                         pb.PublishReferral(referral=referral),
                         message_id("referral", referral.agency_reference),
                         check)

    def receive(self, after_seq=0, limit=50, wait_ms=25000):
        """What waits in the agency's mailbox after after_seq (a long poll:
        held up to wait_ms when empty). Returns the Deliveries."""
        saved = self.timeout_ms
        self.timeout_ms = saved + wait_ms  # the daemon may hold it that long
        try:
            reply = self.call("inbox_receive", pb.InboxReceive(
                after_seq=after_seq, limit=limit, wait_ms=wait_ms))
        finally:
            self.timeout_ms = saved
        return reply.deliveries

    def ack(self, seqs):
        """Acknowledge deliveries: they leave the mailbox."""
        return self.call("inbox_ack", pb.InboxAck(seqs=list(seqs))).ack
