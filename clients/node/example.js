#!/usr/bin/env node
'use strict';
/*
 * example: what an agency system does with caselink, from end to end.
 *
 *   node example.js --endpoint ipc:///path/caselinkd.sock \
 *       --server-key server.pub --key oakfield-gp.key \
 *       [--user oakfield-gp.user] [--ref GP-2026-0001] [--poll-s 10]
 *
 * 1. connects with its key file (a refused key or a wrong server key is
 *    reported at once, from the socket's events);
 * 2. publishes a referral whose message id is derived from its own
 *    reference (natural idempotency: it can never be doubled);
 * 3. retries it with the same id, as after a timeout: DUPLICATE, the same
 *    caselink reference;
 * 4. long-polls its agency's mailbox, handles and acknowledges deliveries.
 *
 * It prints ids, statuses and kinds only: never names or identifiers.
 */
const cl = require('./caselink');

function referral(ref, occurredAt = 1764583200) {
  // occurredAt: when the concern arose (fixed: re-running sends the same)
  return {
    agencyReference: ref,
    subject: { nhsNumber: '9434765919', givenNames: 'Jane',
      familyName: 'Smith', dateOfBirth: '1985-04-12', sex: 'SEX_FEMALE',
      postcode: 'AB1 2CD' },
    category: 'CAT_MENTAL_HEALTH', risk: 'RISK_MEDIUM',
    concern: 'Missed three appointments; carer worried.',
    occurredAt,
    referrer: { name: 'Dr A Patel', role: 'GP' },
    lawfulBasis: 'BASIS_PUBLIC_TASK_SOCIAL_CARE', consent: 'CONSENT_GIVEN',
  };
}

function args(argv) {
  const a = { ref: 'GP-2026-0001', pollS: 10, expect: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) =>
      c.toUpperCase());
    a[k] = argv[i + 1];
  }
  for (const need of ['endpoint', 'serverKey', 'key'])
    if (!a[need]) throw new Error(`--${need} is required`);
  return a;
}

async function main() {
  const a = args(process.argv.slice(2));
  const schema = await cl.loadSchema();
  const name = (v) => schema.root.lookupEnum('caselink.Status').valuesById[v];
  const client = new cl.Client({ endpoint: a.endpoint,
    serverKeyFile: a.serverKey, keyFile: a.key, schema,
    user: a.user ? cl.readUserFile(a.user) : null });
  try {
    const r = await client.publishReferral(referral(a.ref));
    console.log(`published: ${name(r.status)} ${r.publish.referralId}`);
    for (const w of r.publish.warnings || []) console.log(`warning: ${w}`);
    const again = await client.publishReferral(referral(a.ref));
    console.log(`retried: ${name(again.status)} ${again.publish.referralId}` +
      ` (original ${name(again.originalStatus)})`);
    let handled = 0, after = 0;
    const end = Date.now() + Number(a.pollS) * 1000;
    while (Date.now() < end && (!Number(a.expect) || handled <
           Number(a.expect))) {
      const wait = Math.max(100, Math.min(5000, end - Date.now()));
      const box = await client.receive(after, 50, wait);
      const done = [];
      for (const d of box.deliveries || []) {
        const seq = Number(d.seq);
        const item = ['alert', 'request', 'response', 'status', 'feed']
          .find((k) => d[k]);
        console.log(`delivery ${seq}: ${item}`);
        done.push(seq);
        after = Math.max(after, seq);
      }
      if (done.length) {
        const ack = await client.ack(done);
        handled += done.length;
        console.log(`acknowledged ${ack.removed || 0}, ${Number(ack.depth ||
          0)} waiting`);
      }
    }
    return 0;
  } catch (e) {
    console.error(e instanceof cl.AuthError ? `connection refused: ${e.message}`
      : `refused: ${e.message}`);
    return e instanceof cl.AuthError ? 3 : 1;
  } finally {
    client.close();
  }
}

main().then((rc) => { process.exitCode = rc; });
