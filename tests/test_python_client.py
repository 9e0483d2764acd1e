#!/usr/bin/python3
"""test_python_client: clients/python against the real caselinkd.

Usage: test_python_client.py CASELINKD PB2_DIR OLD_PB2_DIR

- the message-id derivation's test vectors;
- every demo key file read by the module and by configparser without
  interpolation (Z85 holds '%'); caselink's ZPL certificate read by
  pyzmq's zmq.auth; a certificate pyzmq made used to connect;
- an unregistered key and a wrong server key are AuthError at once, from
  the socket monitor, not a timeout;
- the example, run as an integrator would: publishes with natural
  idempotency, retries with the same id, long-polls its mailbox, receives
  the information request a coordinator sends meanwhile and acknowledges
  it (the mailbox is empty after);
- the linking weights as a coordinator reads them from the .proto
  alone: a part of a value under the whole, families not yet told apart;
- an old client, generated from the .proto before the reply fields
  (tests/fixtures/caselink-1.0.proto), and the new one both read the id
  of what they created.
"""

import sys
sys.dont_write_bytecode = True  # nothing written into the source tree

import configparser
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CASELINKD, PB2_DIR, OLD_PB2_DIR = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
PYCLIENT = os.path.join(HERE, "..", "clients", "python")
sys.path[:0] = [PB2_DIR, PYCLIENT]

import zmq  # noqa: E402
import zmq.auth  # noqa: E402

import caselink_client as cc  # noqa: E402
import caselink_pb2 as pb  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    tmp = tempfile.mkdtemp(prefix="cltest.python.")
    dev = os.path.join(tmp, "dev")
    log = open(os.path.join(tmp, "daemon.log"), "w")
    daemon = subprocess.Popen([CASELINKD, "--dev", dev], stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(os.path.join(dev, "caselinkd.sock")):
                break
            time.sleep(0.05)
        run(tmp, dev, daemon)
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(30)
        log.close()
        check(rc == 0, f"caselinkd stopped cleanly (exit {rc})")
        if failures:
            print(open(os.path.join(tmp, "daemon.log")).read())
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp, dev, daemon):
    keys = os.path.join(dev, "keys")
    endpoint = "ipc://" + os.path.join(dev, "caselinkd.sock")
    server_pub = os.path.join(keys, "server.pub")

    # message ids: the documented vectors
    for domain, stable, hexid in [
            ("referral", "GP-2026-0001", "7f2fc23aa523e7edc46f7fcee38c9146"),
            ("referral", "R-1", "63928b5d1ff478d7a433dcc60bd659aa"),
            ("referral", "\u00c4-12/\u00e9",
             "f96a8f88c8ace3e6a316d03b2191b9e6")]:
        check(cc.message_id(domain, stable).hex() == hexid,
              f"message_id({domain!r}, {stable!r}) = {hexid}")

    # every demo key file, both ways
    names = sorted(n for n in os.listdir(keys) if n.endswith((".key",
                                                               ".pub")))
    for n in names:
        path = os.path.join(keys, n)
        pub, sec = cc.read_key_file(path, secret=n.endswith(".key"))
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(path)
        check(ini["curve"]["public-key"].encode() == pub and len(pub) == 40,
              f"key file {n} read (configparser, no interpolation)")
        if sec:
            check(zmq.curve_public(sec) == pub, f"{n}: secret matches public")

    # ZPL both ways: caselink keygen --format zpl, read by pyzmq; a pyzmq
    # certificate registered with key_file and used to connect
    cli = os.path.join(os.path.dirname(CASELINKD), "..", "clients",
                       "caselink")
    subprocess.run([cli, "keygen", os.path.join(tmp, "zgp"), "--format",
                    "zpl"], check=True, stdout=subprocess.DEVNULL)
    zpub, zsec = zmq.auth.load_certificate(os.path.join(tmp,
                                                        "zgp.cert_secret"))
    check(cc.read_key_file(os.path.join(tmp, "zgp.cert"), secret=False)[0]
          == zpub and zmq.curve_public(zsec) == zpub,
          "caselink's ZPL certificate read by pyzmq's zmq.auth")
    pub_file, sec_file = zmq.auth.create_certificates(tmp, "engine")
    os.chmod(sec_file, 0o600)
    with open(os.path.join(dev, "clients.conf"), "a") as f:
        f.write(f"\n[engine]\nkey_file = {pub_file}\n"
                "agency = Northshire Council ICT\nkind = operations\n"
                "roles = operator\n")
    daemon.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    with cc.Client(endpoint, server_pub, sec_file) as c:
        r = c.call("health", pb.Health())
        check(r.status == pb.STATUS_OK and c.handshakes >= 1,
              "a pyzmq certificate, registered by key_file, connects")

    # refusals from the monitor, at once
    stranger_pub, stranger_sec = zmq.auth.create_certificates(tmp, "stranger")
    os.chmod(stranger_sec, 0o600)
    t0 = time.monotonic()
    try:
        with cc.Client(endpoint, server_pub, stranger_sec,
                       timeout_ms=20000) as c:
            c.call("health", pb.Health())
        check(False, "an unregistered key is refused")
    except cc.AuthError as e:
        check("not in the daemon's registry" in str(e)
              and time.monotonic() - t0 < 5,
              f"an unregistered key: AuthError at once ({e})")
    t0 = time.monotonic()
    try:
        with cc.Client(endpoint, stranger_pub, os.path.join(keys, "gp.key"),
                       timeout_ms=20000) as c:
            c.call("health", pb.Health())
        check(False, "a wrong server key is refused")
    except cc.AuthError as e:
        check("wrong server key" in str(e) and time.monotonic() - t0 < 5,
              f"a wrong server key: AuthError at once ({e})")

    # the example, with a coordinator's information request arriving
    example = subprocess.Popen(
        [sys.executable, os.path.join(PYCLIENT, "example.py"),
         "--endpoint", endpoint, "--server-key", server_pub,
         "--key", os.path.join(keys, "gp.key"), "--user",
         os.path.join(keys, "gp.user"), "--ref", "GP-PY-0001",
         "--poll-s", "20", "--expect", "1"],
        stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=PB2_DIR + ":" + PYCLIENT))
    first = example.stdout.readline().strip()
    second = example.stdout.readline().strip()
    check(first.startswith("published: STATUS_OK CL-"), f"example: {first}")
    ref = first.split()[-1]
    check(second == f"retried: STATUS_DUPLICATE {ref} (original STATUS_OK)",
          f"example: {second}")
    coord = cc.Client(endpoint, server_pub,
                      os.path.join(keys, "coordinator.key"),
                      user=cc.read_user_file(os.path.join(keys,
                                                          "coordinator.user")))
    r = coord.call("info_request", pb.InfoRequest(
        match=pb.PersonDetails(nhs_number="9434765919"),
        agencies=["Oakfield Surgery"], due_date="2099-01-31",
        question="What is your involvement?"))
    check(r.publish.request_id.startswith("REQ-"),
          f"information request sent: {r.publish.request_id}")
    out, _ = example.communicate(timeout=60)
    check(example.returncode == 0, f"example exit {example.returncode}")
    check("delivery 1: request" in out and "acknowledged 1, 0 waiting" in out,
          "example: long-polled the request and acknowledged it: "
          + " / ".join(out.strip().splitlines()))

    # natural idempotency from Python: a new random id, same reference
    gp = cc.Client(endpoint, server_pub, os.path.join(keys, "gp.key"))
    sys.path.insert(0, PYCLIENT)
    import example as ex
    body = ex.referral("GP-PY-0001")
    r = gp.call("publish_referral", pb.PublishReferral(referral=body),
                os.urandom(16), check=False)
    check(r.status == pb.STATUS_DUPLICATE and r.publish.referral_id == ref,
          f"same reference, new id: {pb.Status.Name(r.status)} "
          f"{r.publish.referral_id}")
    body.concern = "Something else"
    r = gp.call("publish_referral", pb.PublishReferral(referral=body),
                os.urandom(16), check=False)
    check(r.status == pb.STATUS_INVALID and "correct_referral" in r.error,
          f"same reference, other content: {r.error}")
    box = gp.receive(wait_ms=0)
    check(len(box.deliveries) == 0 and box.depth == 0, "mailbox empty")
    gp.close()
    # the linking weights, read from the .proto alone: a partial
    # agreement under the whole, and what is taken of families
    r = coord.call("link_admin", pb.LinkAdmin(action=pb.LinkAdmin.SHOW))
    li = r.link_info
    lv = {x.level: x for x in li.levels}
    check(lv["given.prefix"].weight <= lv["given.exact"].weight
          and lv["dob.typo"].weight <= lv["dob.exact"].weight,
          "link weights: a part never outweighs the whole "
          f"({lv['given.prefix'].weight:.2f} <= "
          f"{lv['given.exact'].weight:.2f})")
    check(not li.accepted and not li.families_apart
          and li.families_share == 0,
          f"link weights: families taken to live together until trained "
          f"(apart {li.families_apart}, share {li.families_share})")
    check("rerun_needed" in type(li).DESCRIPTOR.fields_by_name
          and not li.rerun_needed,
          "link weights: a new store's records are counted at their places")
    coord.close()

    # old and new clients: the old one reads `reference`, the new one the
    # named field, from the same daemon
    old = subprocess.run([sys.executable, "-c", OLD_CLIENT, endpoint,
                          server_pub, os.path.join(keys, "police.key")],
                         capture_output=True, text=True,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=OLD_PB2_DIR))
    check(old.returncode == 0 and old.stdout.startswith("old client: CL-"),
          f"old client: {old.stdout.strip()} {old.stderr.strip()}")
    oldref = old.stdout.split()[-1]
    with cc.Client(endpoint, server_pub,
                   os.path.join(keys, "police.key")) as c:
        r = c.call("publish_referral", pb.PublishReferral(
            referral=ex.referral("POL-OLD-1", occurred_at=1700000000)),
            os.urandom(16))
        check(r.status == pb.STATUS_DUPLICATE
              and r.publish.referral_id == oldref,
              f"new client sees the old client's referral: "
              f"{r.publish.referral_id}")


# A client built from the first .proto: no referral_id, no on_behalf_of.
OLD_CLIENT = r'''
import os, sys, time, zmq, configparser
import caselink_pb2 as pb
def key(path, name):
    c = configparser.ConfigParser(interpolation=None); c.read(path)
    return c["curve"][name].encode()
endpoint, server, mine = sys.argv[1:4]
s = zmq.Context().socket(zmq.DEALER)
s.curve_serverkey = key(server, "public-key")
s.curve_publickey = key(mine, "public-key")
s.curve_secretkey = key(mine, "secret-key")
s.connect(endpoint)
env = pb.Envelope(version=1, message_id=os.urandom(16))
r = env.publish_referral.referral
r.agency_reference = "POL-OLD-1"
r.subject.nhs_number = "9434765919"
r.subject.given_names = "Jane"
r.subject.family_name = "Smith"
r.subject.date_of_birth = "1985-04-12"
r.subject.sex = pb.SEX_FEMALE
r.subject.postcode = "AB1 2CD"
r.category = pb.CAT_MENTAL_HEALTH
r.risk = pb.RISK_MEDIUM
r.concern = "Missed three appointments; carer worried."
r.occurred_at = 1700000000
r.referrer.name = "Dr A Patel"
r.referrer.role = "GP"
r.lawful_basis = pb.BASIS_PUBLIC_TASK_SOCIAL_CARE
r.consent = pb.CONSENT_GIVEN
s.send(env.SerializeToString())
if not s.poll(10000):
    sys.exit("no reply")
rep = pb.Reply.FromString(s.recv())
assert rep.status == pb.STATUS_OK, rep.error
print("old client:", rep.publish.reference)
'''

if __name__ == "__main__":
    main()
    print(f"test_python_client: {len(failures)} failures")
    sys.exit(1 if failures else 0)
