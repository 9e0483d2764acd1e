'use strict';
/*
 * test_node_client: clients/node (zeromq + protobufjs) against the real
 * caselinkd. Usage: node test_node_client.js CASELINKD
 * (NODE_PATH: the node_modules scripts/node-deps installed)
 *
 * - the message-id derivation's test vectors (and BLAKE2b-512 against
 *   node's own, so the hash itself is checked);
 * - every demo key file and a ZPL certificate read;
 * - an unregistered key and a wrong server key: AuthError at once;
 * - the example, as an integrator runs it: publish with natural
 *   idempotency, retry with the same id, long-poll, receive the
 *   information request a coordinator sends meanwhile, acknowledge it;
 * - same reference with a new id: DUPLICATE, the original reference;
 *   other content: INVALID pointing at correct_referral.
 */
const { spawn, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const cl = require('../clients/node/caselink');

const CASELINKD = process.argv[2];
const EXAMPLE = path.join(__dirname, '..', 'clients', 'node', 'example.js');
const failures = [];

function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures.push(what);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cltest.node.'));
  const dev = path.join(tmp, 'dev');
  const log = fs.openSync(path.join(tmp, 'daemon.log'), 'w');
  const daemon = spawn(CASELINKD, ['--dev', dev], { stdio: ['ignore', 'ignore',
    log] });
  const exited = new Promise((r) => daemon.on('exit', (code) => r(code)));
  try {
    for (let i = 0; i < 100 && !fs.existsSync(path.join(dev,
      'caselinkd.sock')); i++) await sleep(50);
    await run(tmp, dev);
  } finally {
    daemon.kill('SIGTERM');
    const code = await exited;
    check(code === 0, `caselinkd stopped cleanly (exit ${code})`);
    if (failures.length)
      console.log(fs.readFileSync(path.join(tmp, 'daemon.log'), 'utf8'));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function run(tmp, dev) {
  const keys = path.join(dev, 'keys');
  const endpoint = 'ipc://' + path.join(dev, 'caselinkd.sock');
  const serverPub = path.join(keys, 'server.pub');
  const schema = await cl.loadSchema();
  const S = schema.Status;

  for (const [d, s, hex] of [
    ['referral', 'GP-2026-0001', '7f2fc23aa523e7edc46f7fcee38c9146'],
    ['referral', 'R-1', '63928b5d1ff478d7a433dcc60bd659aa'],
    ['referral', '\u00c4-12/\u00e9', 'f96a8f88c8ace3e6a316d03b2191b9e6']])
    check(cl.messageId(d, s).toString('hex') === hex,
      `messageId(${d}, ${s}) = ${hex}`);
  for (const n of [0, 1, 127, 128, 129, 300]) {
    const data = crypto.randomBytes(n);
    check(cl.blake2b(data, 64).equals(crypto.createHash('blake2b512')
      .update(data).digest()), `BLAKE2b-512 of ${n} bytes as node's own`);
  }

  for (const n of fs.readdirSync(keys).filter((f) => /\.(key|pub)$/.test(f))
    .sort()) {
    const k = cl.readKeyFile(path.join(keys, n), n.endsWith('.key'));
    check(k.publicKey.length === 40 && (!n.endsWith('.key') ||
      k.secretKey.length === 40), `key file ${n} read`);
  }
  const caselink = path.join(path.dirname(CASELINKD), '..', 'clients',
    'caselink');
  execFileSync(caselink, ['keygen', path.join(tmp, 'zgp'), '--format',
    'zpl']);
  const z = cl.readKeyFile(path.join(tmp, 'zgp.cert_secret'));
  check(z.publicKey === cl.readKeyFile(path.join(tmp, 'zgp.cert'), false)
    .publicKey, 'ZPL certificate read');

  // refusals from the socket's events, at once
  for (const [what, server, key, want] of [
    ['an unregistered key', serverPub, path.join(tmp, 'zgp.cert_secret'),
      "not in the daemon's registry"],
    ['a wrong server key', path.join(tmp, 'zgp.cert'),
      path.join(keys, 'gp.key'), 'wrong server key']]) {
    const c = new cl.Client({ endpoint, serverKeyFile: server, keyFile: key,
      schema, timeoutMs: 20000 });
    const t0 = Date.now();
    try {
      await c.call('health', {});
      check(false, `${what} is refused`);
    } catch (e) {
      check(e instanceof cl.AuthError && e.message.includes(want) &&
        Date.now() - t0 < 5000, `${what}: AuthError at once (${e.message})`);
    }
    c.close();
  }

  // the example, and a coordinator's request arriving while it polls
  const ex = spawn(process.execPath, [EXAMPLE, '--endpoint', endpoint,
    '--server-key', serverPub, '--key', path.join(keys, 'gp.key'),
    '--user', path.join(keys, 'gp.user'), '--ref', 'GP-JS-0001',
    '--poll-s', '20', '--expect', '1'], { stdio: ['ignore', 'pipe',
    'inherit'] });
  let out = '';
  ex.stdout.on('data', (b) => { out += b; });
  const exDone = new Promise((r) => ex.on('exit', (code) => r(code)));
  for (let i = 0; i < 200 && !out.includes('retried:'); i++) await sleep(50);
  const lines = out.split('\n');
  check(/^published: STATUS_OK CL-\d+$/.test(lines[0]),
    `example: ${lines[0]}`);
  const ref = lines[0].split(' ').pop();
  check(lines[1] === `retried: STATUS_DUPLICATE ${ref} (original STATUS_OK)`,
    `example: ${lines[1]}`);
  const coord = new cl.Client({ endpoint, serverKeyFile: serverPub,
    keyFile: path.join(keys, 'coordinator.key'), schema,
    user: cl.readUserFile(path.join(keys, 'coordinator.user')) });
  const r = await coord.call('infoRequest', {
    match: { nhsNumber: '9434765919' }, agencies: ['Oakfield Surgery'],
    dueDate: '2099-01-31', question: 'What is your involvement?' });
  check(/^REQ-/.test(r.publish.requestId), `request sent: ` +
    `${r.publish.requestId}`);
  const code = await exDone;
  check(code === 0, `example exit ${code}`);
  check(out.includes('delivery 1: request') &&
    out.includes('acknowledged 1, 0 waiting'), 'example: long-polled the ' +
    `request and acknowledged it: ${out.trim().split('\n').join(' / ')}`);

  // natural idempotency: a new random id, the same reference
  const gp = new cl.Client({ endpoint, serverKeyFile: serverPub,
    keyFile: path.join(keys, 'gp.key'), schema });
  const referral = {
    agencyReference: 'GP-JS-0001',
    subject: { nhsNumber: '9434765919', givenNames: 'Jane',
      familyName: 'Smith', dateOfBirth: '1985-04-12', sex: 'SEX_FEMALE',
      postcode: 'AB1 2CD' },
    category: 'CAT_MENTAL_HEALTH', risk: 'RISK_MEDIUM',
    concern: 'Missed three appointments; carer worried.',
    occurredAt: 1764583200, referrer: { name: 'Dr A Patel', role: 'GP' },
    lawfulBasis: 'BASIS_PUBLIC_TASK_SOCIAL_CARE', consent: 'CONSENT_GIVEN' };
  let a = await gp.call('publishReferral', { referral }, crypto.randomBytes(16),
    false);
  check(a.status === S.STATUS_DUPLICATE && a.publish.referralId === ref,
    `same reference, new id: ${a.status} ${a.publish.referralId}`);
  referral.concern = 'Something else';
  a = await gp.call('publishReferral', { referral }, crypto.randomBytes(16),
    false);
  check(a.status === S.STATUS_INVALID && a.error.includes('correct_referral'),
    `same reference, other content: ${a.error}`);
  const box = await gp.receive(0, 50, 0);
  check((box.deliveries || []).length === 0, 'mailbox empty');
  gp.close();
  coord.close();
}

main().then(() => {
  console.log(`test_node_client: ${failures.length} failures`);
  process.exit(failures.length ? 1 : 0);
}, (e) => {
  console.log(`FAIL ${e.stack}`);
  process.exit(1);
});
