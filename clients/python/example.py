#!/usr/bin/python3
"""example: what an agency system does with caselink, from end to end.

    example.py --endpoint ipc:///path/caselinkd.sock \\
               --server-key server.pub --key oakfield-gp.key \\
               [--user oakfield-gp.user] [--ref GP-2026-0001] [--poll-s 10]

1. connects with its key file (a wrong server key or an unregistered key
   is reported at once, from the socket monitor);
2. publishes a referral whose message id is derived from its own
   reference (natural idempotency: sending it again can never double it);
3. retries it with the same id, as after a timeout: STATUS_DUPLICATE, the
   same caselink reference;
4. long-polls its agency's mailbox for --poll-s seconds, handles each
   delivery and acknowledges it.

It prints ids, statuses and kinds only: never names or identifiers.
"""

import argparse
import sys
import time

import caselink_client as cc
import caselink_pb2 as pb


def referral(ref, occurred_at=1764583200):
    """The referral; occurred_at is when the concern arose (fixed here, so
    that running the example again sends the very same referral)."""
    return pb.Referral(
        agency_reference=ref,
        subject=pb.PersonDetails(nhs_number="9434765919", given_names="Jane",
                                 family_name="Smith",
                                 date_of_birth="1985-04-12",
                                 sex=pb.SEX_FEMALE, postcode="AB1 2CD"),
        category=pb.CAT_MENTAL_HEALTH, risk=pb.RISK_MEDIUM,
        concern="Missed three appointments; carer worried.",
        occurred_at=occurred_at,
        referrer=pb.Referrer(name="Dr A Patel", role="GP"),
        lawful_basis=pb.BASIS_PUBLIC_TASK_SOCIAL_CARE,
        consent=pb.CONSENT_GIVEN)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--server-key", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", help="NAME.user: the person the system acts for")
    ap.add_argument("--ref", default="GP-2026-0001")
    ap.add_argument("--poll-s", type=float, default=10.0)
    ap.add_argument("--expect", type=int, default=0,
                    help="stop once this many deliveries are handled")
    a = ap.parse_args()
    user = cc.read_user_file(a.user) if a.user else None
    try:
        client = cc.Client(a.endpoint, a.server_key, a.key, user=user)
        r = client.publish_referral(referral(a.ref))
        print(f"published: {pb.Status.Name(r.status)} "
              f"{r.publish.referral_id}", flush=True)
        for w in r.publish.warnings:
            print(f"warning: {w}")
        # a retry after a timeout: the same message id, the same answer
        again = client.publish_referral(referral(a.ref))
        print(f"retried: {pb.Status.Name(again.status)} "
              f"{again.publish.referral_id} (original "
              f"{pb.Status.Name(again.original_status)})", flush=True)
        handled, after = 0, 0
        end = time.monotonic() + a.poll_s
        while time.monotonic() < end and (not a.expect or handled < a.expect):
            wait = int(min(5.0, max(0.1, end - time.monotonic())) * 1000)
            box = client.receive(after_seq=after, wait_ms=wait)
            done = []
            for d in box.deliveries:
                print(f"delivery {d.seq}: {d.WhichOneof('item')}",
                      flush=True)
                done.append(d.seq)
                after = max(after, d.seq)
            if done:
                ack = client.ack(done)
                handled += len(done)
                print(f"acknowledged {ack.removed}, {ack.depth} waiting",
                      flush=True)
        client.close()
    except cc.AuthError as e:
        print(f"connection refused: {e}", file=sys.stderr)
        return 3
    except cc.CaselinkError as e:
        print(f"refused: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
