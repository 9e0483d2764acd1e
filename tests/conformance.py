#!/usr/bin/python3
"""conformance: every request kind, in every encoding the protobuf
specification allows, encoded with Google's protobuf library and accepted
by the real caselinkd as the same request.

Usage: conformance.py CASELINKD PB2_DIR

Nothing here is written per kind: the kinds are the members of the
Envelope's body oneof and each request is filled from its descriptor
(field names pick plausible values: a field called due_date gets a date),
so a kind another engineer adds is tested as soon as it is in the .proto.
For each kind:

  1. the canonical encoding (Google's SerializeToString) is sent with a
     fresh message id from the first demo client whose role may send it;
     its reply must not be a decoding refusal;
  2. each variant is checked with Google's parser to be the same message,
     then sent with the SAME message id: it must get the same status and
     error, and a write that succeeded must answer DUPLICATE (the daemon
     decoded the variant to the very request it stored the hash of);
  3. a double set to -0.0 instead of 0.0 is the same request; a NaN
     payload is decoded (validation may refuse it, naming the field);
  4. negative controls: an unknown field and invalid UTF-8 inside the body
     are refused, naming the field's path, so this test can fail.
"""

import sys
sys.dont_write_bytecode = True  # nothing written into the source tree

import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

CASELINKD, PB2_DIR = sys.argv[1], sys.argv[2]
sys.path.insert(0, PB2_DIR)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients",
                                "python"))

from google.protobuf import descriptor as D  # noqa: E402
import caselink_pb2 as pb  # noqa: E402
import caselink_client as cc  # noqa: E402

FD = D.FieldDescriptor
VARINT_TYPES = {FD.TYPE_INT32, FD.TYPE_INT64, FD.TYPE_UINT32, FD.TYPE_UINT64,
                FD.TYPE_SINT32, FD.TYPE_SINT64, FD.TYPE_BOOL, FD.TYPE_ENUM}
I64_TYPES = {FD.TYPE_DOUBLE, FD.TYPE_FIXED64, FD.TYPE_SFIXED64}
I32_TYPES = {FD.TYPE_FLOAT, FD.TYPE_FIXED32, FD.TYPE_SFIXED32}

# What the daemon's decoder (proto/pbcheck.c, proto/wire.c) says when it
# refuses an encoding; a reply matching one of these was not decoded.
DECODER_REFUSAL = re.compile(
    r"unknown field|wire type|invalid UTF-8|NUL byte|malformed|runs past"
    r"|group encoding|nested deeper|truncated|could not be read"
    r"|too complex|not a multiple|bytes, at most|entries, at most")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg, flush=True)


# --- values from descriptors ----------------------------------------------

def string_value(f, kind):
    n = f.name
    if n == "agency_reference":
        return "CONF-" + kind
    if n == "date_of_birth":
        return "1985-04-12"
    if n in ("baseline_from", "period"):
        return "2026-01"
    if n == "baseline_to":
        return "2026-06"
    if n == "from":
        return "2026-01-01"
    if n == "to":
        return "2026-12-31"
    if "date" in n:
        return "2027-06-01"
    table = {
        "nhs_number": "9434765919", "postcode": "AB1 2CD",
        "uprn": "100023336956", "person_id": "P00000001",
        "review_id": "MDT-00000001", "reference": "CL-00000001",
        "request_id": "REQ-00000001", "action_id": "ACT-00000001",
        "record_id": "R00000001", "agency": "Oakfield Surgery",
        "agencies": "Oakfield Surgery", "owner_agency": "Oakfield Surgery",
        "name": "police contacts", "local_id": "L-0001",
        "given_names": "Jane", "family_name": "Smith", "chi_number": "",
        "checkpoint": "", "after_record_id": "", "workstream": "",
        "user_id": "", "justification": "conformance check",
    }
    return table.get(n, "conf " + n.replace("_", " "))


def int_value(f):
    return {"limit": 5, "wait_ms": 1, "min_contacts": 1, "version": 99,
            "occurred_at": 1700000000, "feed_seq": 1, "after_seq": 0,
            "from": 0, "to": 0}.get(f.name, 1)


def fill(msg, kind, depth=0, double=1.5):
    """Set every field of msg (one member per oneof)."""
    done_oneofs = set()
    for f in msg.DESCRIPTOR.fields:
        if f.containing_oneof is not None:
            if f.containing_oneof.name in done_oneofs:
                continue
            done_oneofs.add(f.containing_oneof.name)
        rep = f.label == FD.LABEL_REPEATED
        if f.type == FD.TYPE_MESSAGE:
            if depth >= 4:
                continue
            sub = getattr(msg, f.name).add() if rep else getattr(msg, f.name)
            fill(sub, kind, depth + 1, double)
            if not rep:
                sub.SetInParent()
            continue
        if f.type == FD.TYPE_STRING:
            v = string_value(f, kind)
            if v == "":
                continue
        elif f.type == FD.TYPE_BYTES:
            v = b"conf"
        elif f.type == FD.TYPE_ENUM:
            v = 1 if len(f.enum_type.values) > 1 else 0
        elif f.type == FD.TYPE_BOOL:
            v = True
        elif f.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            v = double
        else:
            v = int_value(f)
        if rep:
            vals = [v, v + 1] if isinstance(v, int) and not isinstance(
                v, bool) else [v]
            getattr(msg, f.name).extend(vals)
        else:
            setattr(msg, f.name, v)


def set_doubles(msg, value):
    for f, v in msg.ListFields():
        if f.type == FD.TYPE_MESSAGE:
            for sub in (v if f.label == FD.LABEL_REPEATED else [v]):
                set_doubles(sub, value)
        elif f.type == FD.TYPE_DOUBLE and f.label != FD.LABEL_REPEATED:
            setattr(msg, f.name, value)


def has_double(desc, depth=0):
    for f in desc.fields:
        if f.type == FD.TYPE_DOUBLE:
            return True
        if f.type == FD.TYPE_MESSAGE and depth < 4 and has_double(
                f.message_type, depth + 1):
            return True
    return False


# --- a wire writer with every choice the specification leaves open -------

def varint(v, width=0):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v or len(out) + 1 < width:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


class Opts:
    def __init__(self, **kw):
        self.reverse = kw.get("reverse", False)
        self.unpacked = kw.get("unpacked", False)
        self.split = kw.get("split", False)
        self.twice = kw.get("twice", False)
        self.defaults = kw.get("defaults", False)
        self.long = kw.get("long", False)


def wire_type(f):
    if f.type in VARINT_TYPES:
        return 0
    if f.type in I64_TYPES:
        return 1
    if f.type in I32_TYPES:
        return 5
    return 2


def scalar_bytes(f, v, o):
    if f.type in VARINT_TYPES:
        if f.type == FD.TYPE_SINT32 or f.type == FD.TYPE_SINT64:
            v = (v << 1) ^ (v >> 63)
        return varint(int(v), 10 if o.long else 0)
    if f.type == FD.TYPE_DOUBLE:
        return struct.pack("<d", v)
    if f.type == FD.TYPE_FLOAT:
        return struct.pack("<f", v)
    if f.type in (FD.TYPE_FIXED64,):
        return struct.pack("<Q", v)
    if f.type in (FD.TYPE_SFIXED64,):
        return struct.pack("<q", v)
    if f.type in (FD.TYPE_FIXED32,):
        return struct.pack("<I", v)
    return struct.pack("<i", v)


def tag(f, wt, o):
    # Google's parsers take tags and lengths of up to five bytes
    return varint(f.number << 3 | wt, 5 if o.long else 0)


def length(n, o):
    return varint(n, 5 if o.long else 0)


def decoy(f, v):
    if f.type == FD.TYPE_STRING:
        return "decoy"
    if f.type == FD.TYPE_BYTES:
        return b"decoy"
    if f.type == FD.TYPE_BOOL:
        return not v
    if f.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return 9.5
    return v + 3


def partial(msg, items):
    m = type(msg)()
    for f, v in items:
        if f.label == FD.LABEL_REPEATED:
            if f.type == FD.TYPE_MESSAGE:
                for x in v:
                    getattr(m, f.name).add().CopyFrom(x)
            else:
                getattr(m, f.name).extend(v)
        elif f.type == FD.TYPE_MESSAGE:
            getattr(m, f.name).CopyFrom(v)
        else:
            setattr(m, f.name, v)
    return m


def encode(msg, o):
    items = list(msg.ListFields())
    if o.defaults:
        set_nums = {f.number for f, _ in items}
        for f in msg.DESCRIPTOR.fields:
            if (f.number not in set_nums and f.label != FD.LABEL_REPEATED
                    and f.containing_oneof is None
                    and f.type != FD.TYPE_MESSAGE):
                items.append((f, f.default_value))
        items.sort(key=lambda x: x[0].number)
    if o.reverse:
        items.reverse()
    out = bytearray()
    for f, v in items:
        wt = wire_type(f)
        if f.label == FD.LABEL_REPEATED and wt != 2:
            if o.unpacked:
                for x in v:
                    out += tag(f, wt, o) + scalar_bytes(f, x, o)
            else:
                run = b"".join(scalar_bytes(f, x, o) for x in v)
                out += tag(f, 2, o) + length(len(run), o) + run
            continue
        values = v if f.label == FD.LABEL_REPEATED else [v]
        for x in values:
            if f.type == FD.TYPE_MESSAGE:
                sub = list(x.ListFields())
                # elements of a repeated field are never merged: not split
                if o.split and len(sub) >= 2 and f.label != FD.LABEL_REPEATED:
                    pieces = [partial(x, sub[:len(sub) // 2]),
                              partial(x, sub[len(sub) // 2:])]
                else:
                    pieces = [x]
                for p in pieces:
                    inner = encode(p, o)
                    out += tag(f, 2, o) + length(len(inner), o) + inner
            elif f.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
                once = f.label == FD.LABEL_REPEATED or not o.twice
                vals = [x] if once else [decoy(f, x), x]
                for y in vals:
                    b = y.encode("utf-8") if isinstance(y, str) else y
                    out += tag(f, 2, o) + length(len(b), o) + b
            else:
                once = f.label == FD.LABEL_REPEATED or not o.twice
                vals = [x] if once else [decoy(f, x), x]
                for y in vals:
                    out += tag(f, wt, o) + scalar_bytes(f, y, o)
    return bytes(out)


VARIANTS = {
    "fields in reverse order": Opts(reverse=True),
    "repeated scalars unpacked": Opts(unpacked=True),
    "sub-messages split in two": Opts(split=True),
    "every scalar written twice (last wins)": Opts(twice=True),
    "defaults written explicitly": Opts(defaults=True),
    "long varints (values 10 bytes, tags and lengths 5)": Opts(long=True),
    # (explicit defaults cannot join a split: a later piece's default
    # would overwrite what an earlier piece set, by the last-wins rule)
    "all of these at once": Opts(reverse=True, unpacked=True, split=True,
                                 twice=True, long=True),
}


def same_message(data, env):
    parsed = pb.Envelope.FromString(data)
    return (parsed.SerializeToString(deterministic=True)
            == env.SerializeToString(deterministic=True))


def oneof_twice(env, kind):
    """A different body member first, then the real one: the last wins."""
    other = next(f for f in pb.Envelope.DESCRIPTOR.oneofs_by_name[
        "body"].fields if f.name != kind)
    first = pb.Envelope()
    getattr(first, other.name).SetInParent()
    return first.SerializeToString() + env.SerializeToString()


# --- the daemon ------------------------------------------------------------

def main():
    tmp = tempfile.mkdtemp(prefix="cltest.conformance.")
    dev = os.path.join(tmp, "dev")
    log = open(os.path.join(tmp, "daemon.log"), "w")
    daemon = subprocess.Popen([CASELINKD, "--dev", dev], stderr=log)
    clients = {}
    try:
        keys = os.path.join(dev, "keys")
        for _ in range(100):
            if os.path.exists(os.path.join(dev, "caselinkd.sock")):
                break
            time.sleep(0.05)
        endpoint = "ipc://" + os.path.join(dev, "caselinkd.sock")
        names = sorted(n[:-4] for n in os.listdir(keys)
                       if n.endswith(".key") and n != "server.key")
        for who in names:
            user = os.path.join(keys, who + ".user")
            clients[who] = cc.Client(
                endpoint, os.path.join(keys, "server.pub"),
                os.path.join(keys, who + ".key"), timeout_ms=5000,
                user=cc.read_user_file(user) if os.path.exists(user)
                else None)
        clients["operator"].call("health", pb.Health())  # up
        run(clients)
    finally:
        for c in clients.values():
            c.close()
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(30)
        log.close()
        if rc != 0:
            fail(f"caselinkd exited {rc}")
            print(open(os.path.join(tmp, "daemon.log")).read())
        shutil.rmtree(tmp, ignore_errors=True)


def send(client, data, msg_id):
    """Send raw bytes; BUSY (a backup still running) is retried."""
    for _ in range(50):
        client._sock.send(data)
        while True:
            if not client._sock.poll(10000):
                raise cc.NoReply("no reply")
            reply = pb.Reply.FromString(client._sock.recv())
            if reply.message_id in (msg_id, b""):
                break
        if reply.status != pb.STATUS_BUSY:
            return reply
        time.sleep(0.2)
    return reply


def envelope(client, kind, body, msg_id):
    env = pb.Envelope(version=1, message_id=msg_id, sent_at=1700000000000)
    if client.user is not None:
        env.on_behalf_of.CopyFrom(client.user)
    getattr(env, kind).CopyFrom(body)
    getattr(env, kind).SetInParent()  # an empty body is still the body
    return env


def run(clients):
    kinds = sorted(pb.Envelope.DESCRIPTOR.oneofs_by_name["body"].fields,
                   key=lambda f: f.number)
    checked = 0
    only = os.environ.get("CONFORMANCE_ONLY")  # debugging: one kind
    for kf in kinds:
        kind = kf.name
        if only and kind != only:
            continue
        body = getattr(pb, kf.message_type.name)()
        fill(body, kind)
        # who may send it: the first demo client not DENIED
        for who, client in clients.items():
            msg_id = os.urandom(16)
            env = envelope(client, kind, body, msg_id)
            first = send(client, env.SerializeToString(), msg_id)
            if first.status != pb.STATUS_DENIED:
                break
        if first.status == pb.STATUS_DENIED:
            fail(f"{kind}: every demo client DENIED ({first.error})")
            continue
        if DECODER_REFUSAL.search(first.error):
            fail(f"{kind}: canonical encoding refused: {first.error}")
            continue
        # a write remembers its message id: the same bytes again answer
        # DUPLICATE; a read is simply answered again
        again = send(clients[who], env.SerializeToString(), msg_id)
        wrote = again.status == pb.STATUS_DUPLICATE
        if not wrote and (again.status, again.error) != (first.status,
                                                         first.error):
            fail(f"{kind}: the same bytes twice answered "
                 f"{pb.Status.Name(first.status)} then "
                 f"{pb.Status.Name(again.status)} '{again.error}'")
        variants = {name: encode(env, o) for name, o in VARIANTS.items()}
        variants["body sent after another oneof member"] = oneof_twice(
            env, kind)
        for name, data in variants.items():
            if not same_message(data, env):
                fail(f"{kind}, {name}: Google's parser reads another message")
                continue
            r = send(clients[who], data, msg_id)
            want = pb.STATUS_DUPLICATE if wrote else first.status
            if r.status != want or (not wrote and r.error != first.error) \
                    or (wrote and r.original_status != pb.STATUS_OK):
                fail(f"{kind}, {name}: {pb.Status.Name(r.status)} "
                     f"'{r.error}', expected {pb.Status.Name(want)} "
                     f"'{'' if wrote else first.error}'")
            checked += 1
        if has_double(body.DESCRIPTOR):
            checked += doubles(clients[who], kind, body)
        checked += controls(clients[who], kind, body)
        print(f"ok {kind} (as {who}: {pb.Status.Name(first.status)}"
              f"{', ' + first.error if first.error else ''})", flush=True)
    print(f"conformance: {len(kinds)} request kinds, {checked} encodings "
          f"checked, {len(failures)} failures")


def doubles(client, kind, body):
    zero = type(body)()
    zero.CopyFrom(body)
    set_doubles(zero, 0.0)
    neg = type(body)()
    neg.CopyFrom(body)
    set_doubles(neg, -0.0)
    msg_id = os.urandom(16)
    a = send(client, envelope(client, kind, zero, msg_id)
             .SerializeToString(), msg_id)
    data = envelope(client, kind, neg, msg_id).SerializeToString()
    if struct.pack("<d", -0.0) not in data:
        fail(f"{kind}: Google's library did not write -0.0")
    b = send(client, data, msg_id)
    again = send(client, envelope(client, kind, zero, msg_id)
                 .SerializeToString(), msg_id)
    want = again.status  # DUPLICATE for a write, the same status for a read
    if b.status != want:
        fail(f"{kind}, -0.0: {pb.Status.Name(b.status)} '{b.error}', "
             f"expected {pb.Status.Name(want)}")
    nan = type(body)()
    nan.CopyFrom(body)
    set_doubles(nan, struct.unpack("<d", struct.pack(
        "<Q", 0x7FF8000000000123))[0])
    msg_id = os.urandom(16)
    r = send(client, envelope(client, kind, nan, msg_id).SerializeToString(),
             msg_id)
    if DECODER_REFUSAL.search(r.error):
        fail(f"{kind}, NaN payload: refused by the decoder: {r.error}")
    return 2


def controls(client, kind, body):
    """The decoder still refuses what it must, naming the field."""
    n = 0
    msg_id = os.urandom(16)
    env = envelope(client, kind, body, msg_id)
    bad_body = body.SerializeToString() + varint(99 << 3) + varint(1)
    head = pb.Envelope(version=1, message_id=msg_id, sent_at=1700000000000)
    if client.user is not None:
        head.on_behalf_of.CopyFrom(client.user)
    number = pb.Envelope.DESCRIPTOR.fields_by_name[kind].number
    data = (head.SerializeToString() + varint(number << 3 | 2)
            + varint(len(bad_body)) + bad_body)
    r = send(client, data, msg_id)
    if os.environ.get("CONFORMANCE_DEBUG"):
        print(kind, data.hex(), r)
    if r.status != pb.STATUS_INVALID or not r.error.startswith(
            f"{kind}: unknown field 99"):
        fail(f"{kind}: unknown field not refused by name "
             f"({r.message_id.hex()} for {msg_id.hex()}): "
             f"{pb.Status.Name(r.status)} '{r.error}'")
    if r.message_id != msg_id:
        fail(f"{kind}: refusal did not carry the message id")
    n += 1
    # invalid UTF-8 in the first string field found, at any depth
    path = first_string(body)
    if path:
        names, f = path
        raw = env.SerializeToString()
        good = "conf-utf8-probe"
        target = body_copy_with(body, names, good)
        env2 = envelope(client, kind, target, msg_id)
        raw = env2.SerializeToString().replace(
            good.encode(), b"conf-\xfftf8-probe")
        r = send(client, raw, msg_id)
        want = f"{kind}.{'.'.join(names)}: invalid UTF-8 at byte 5"
        if r.status != pb.STATUS_INVALID or r.error != want:
            fail(f"{kind}: bad UTF-8 answered {pb.Status.Name(r.status)} "
                 f"'{r.error}', expected '{want}'")
        n += 1
    return n


def first_string(msg, prefix=()):
    for f, v in msg.ListFields():
        if f.type == FD.TYPE_STRING and f.label != FD.LABEL_REPEATED:
            return prefix + (f.name,), f
        if f.type == FD.TYPE_MESSAGE and f.label != FD.LABEL_REPEATED:
            found = first_string(v, prefix + (f.name,))
            if found:
                return found
    return None


def body_copy_with(body, names, value):
    m = type(body)()
    m.CopyFrom(body)
    target = m
    for n in names[:-1]:
        target = getattr(target, n)
    setattr(target, names[-1], value)
    return m


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
