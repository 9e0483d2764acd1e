'use strict';
/*
 * caselink: talk to caselinkd from node, from proto/caselink.proto alone.
 *
 * Needs the npm packages zeromq (v6, with CURVE) and protobufjs (see
 * package.json; `npm ci` installs the locked versions). Mirrors the Python
 * module in clients/python:
 *
 *   - connects a Dealer socket with CURVE from key files (caselink's INI or
 *     ZeroMQ ZPL certificates);
 *   - watches the socket's events, so that a key the daemon refuses or a
 *     wrong server key is an error naming the cause at once;
 *   - sends each request with a 16-byte message id and resends the SAME
 *     bytes on timeout (the daemon answers STATUS_DUPLICATE to a resend);
 *   - derives a referral's message id from its agency_reference
 *     (messageId: BLAKE2b-128, the recommended derivation in the .proto);
 *   - long-polls the agency's mailbox and acknowledges deliveries.
 *
 * Nothing here logs personal data.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');
const zmq = require('zeromq');

/* --- BLAKE2b (RFC 7693): node's crypto has only the 64-byte variant, and
 * a 16-byte BLAKE2b is a different function, not a truncation. --------- */

const M64 = (1n << 64n) - 1n;
const IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n, 0x510e527fade682d1n, 0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];

const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

function compress(h, block, t, last) {
  const m = [];
  for (let i = 0; i < 16; i++) m.push(block.readBigUInt64LE(8 * i));
  const v = h.concat(IV);
  v[12] ^= t & M64;
  v[13] ^= t >> 64n;
  if (last) v[14] ^= M64;
  const g = (a, b, c, d, x, y) => {
    v[a] = (v[a] + v[b] + x) & M64; v[d] = rotr(v[d] ^ v[a], 32n);
    v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 24n);
    v[a] = (v[a] + v[b] + y) & M64; v[d] = rotr(v[d] ^ v[a], 16n);
    v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 63n);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10];
    g(0, 4, 8, 12, m[s[0]], m[s[1]]); g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]); g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]); g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]); g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/** BLAKE2b of data (a Buffer) with an outLen-byte digest, no key. */
function blake2b(data, outLen) {
  const h = IV.slice();
  h[0] ^= 0x01010000n ^ BigInt(outLen);
  let off = 0;
  while (data.length - off > 128) {
    compress(h, data.subarray(off, off + 128), BigInt(off + 128), false);
    off += 128;
  }
  const last = Buffer.alloc(128);
  data.copy(last, 0, off);
  compress(h, last, BigInt(data.length), true);
  const out = Buffer.alloc(64);
  h.forEach((w, i) => out.writeBigUInt64LE(w, 8 * i));
  return out.subarray(0, outLen);
}

/** The recommended message id: BLAKE2b-128 of domain, NUL, stable.
 * messageId('referral', 'GP-2026-0001').toString('hex') ===
 * '7f2fc23aa523e7edc46f7fcee38c9146' */
function messageId(domain, stable) {
  return blake2b(Buffer.concat([Buffer.from(domain, 'utf8'), Buffer.from([0]),
    Buffer.from(stable, 'utf8')]), 16);
}

/* --- key files ------------------------------------------------------------ */

class CaselinkError extends Error {
  constructor(message, status, error) {
    super(message);
    this.status = status; // a caselink.Status value, or undefined
    this.error = error || '';
  }
}
class AuthError extends CaselinkError {}
class NoReply extends CaselinkError {}

/** {publicKey, secretKey} (Z85 strings) from caselink's INI ([curve]) or a
 * ZPL certificate (curve / public-key = "..."). */
function readKeyFile(file, secret = true) {
  const text = fs.readFileSync(file, 'utf8');
  const keys = {};
  let section = null;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const ini = t.match(/^\[(.*)\]$/);
    if (ini) { section = ini[1]; continue; }
    if (!/^\s/.test(line) && !t.includes('=')) { section = t; continue; }
    const kv = t.match(/^([^=]+?)\s*=\s*(.*)$/);
    if (kv && section === 'curve') {
      let v = kv[2];
      if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0]))
        v = v.slice(1, -1);
      keys[kv[1]] = v;
    }
  }
  const pub = keys['public-key'] || '';
  if (pub.length !== 40)
    throw new CaselinkError(`key file ${file}: no 40-character public-key`);
  if (!secret) return { publicKey: pub };
  if (fs.statSync(file).mode & 0o077)
    throw new CaselinkError(`key file ${file}: readable by others; run ` +
      `'chmod 600 ${file}'`);
  const sec = keys['secret-key'] || '';
  if (sec.length !== 40)
    throw new CaselinkError(`key file ${file}: no 40-character secret-key`);
  return { publicKey: pub, secretKey: sec };
}

/** The user an agency system acts for, from caselink's NAME.user. */
function readUserFile(file) {
  const u = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const kv = line.match(/^\s*([a-z_]+)\s*=\s*(.*?)\s*$/);
    if (kv) u[kv[1]] = kv[2];
  }
  return { userId: u.user_id || '', displayName: u.display_name || '',
    role: u.role || '' };
}

/* --- the client ----------------------------------------------------------- */

const PROTO = path.join(__dirname, '..', '..', 'proto', 'caselink.proto');

/** Load the schema (protobufjs reads the .proto at run time). */
async function loadSchema(file = PROTO) {
  const root = await protobuf.load(file);
  return {
    root,
    Envelope: root.lookupType('caselink.Envelope'),
    Reply: root.lookupType('caselink.Reply'),
    Status: root.lookupEnum('caselink.Status').values,
  };
}

class Client {
  /** opts: {endpoint, serverKeyFile, keyFile, timeoutMs, attempts, user,
   * schema (from loadSchema)} */
  constructor(opts) {
    this.endpoint = opts.endpoint;
    this.timeoutMs = opts.timeoutMs || 5000;
    this.attempts = opts.attempts || 3;
    this.user = opts.user || null;
    this.schema = opts.schema;
    const mine = readKeyFile(opts.keyFile);
    const server = readKeyFile(opts.serverKeyFile, false);
    this.sock = new zmq.Dealer({
      curveServerKey: server.publicKey,
      curvePublicKey: mine.publicKey,
      curveSecretKey: mine.secretKey,
      linger: 0,
      maxMessageSize: 16 * 1024 * 1024,
      // a send waits for a connection at most this long, so that a failed
      // handshake is noticed (below) rather than waited on for ever
      sendTimeout: this.timeoutMs,
    });
    this.authProblem = null;
    this.handshakes = 0;
    this.pending = new Map(); // message id (hex) -> resolve
    this._watch();
    this._read();
    this.sock.connect(opts.endpoint);
  }

  async _watch() {
    // The socket's events tell a refused key or a wrong server key.
    try {
      for await (const ev of this.sock.events) {
        if (ev.type === 'handshake') this.handshakes++;
        else if (ev.type === 'handshake:error:auth')
          this.authProblem = "the daemon refused this client's key: it is " +
            "not in the daemon's registry (send the .pub file to its " +
            'operator)';
        else if (ev.type === 'handshake:error:protocol' ||
                 ev.type === 'handshake:error:other')
          this.authProblem = `the CURVE handshake with ${this.endpoint} ` +
            "failed: wrong server key? (use the daemon's server.pub)";
      }
    } catch (e) { /* socket closed */ }
  }

  async _read() {
    try {
      for await (const [frame] of this.sock) {
        const reply = this.schema.Reply.decode(frame);
        const id = Buffer.from(reply.messageId || []).toString('hex');
        // ours, or a refusal of a frame whose id could not be read
        const key = this.pending.has(id) ? id :
          (id === '' ? this.pending.keys().next().value : undefined);
        if (key !== undefined) {
          const resolve = this.pending.get(key);
          this.pending.delete(key);
          resolve(reply);
        } // otherwise a late answer to an earlier request
      }
    } catch (e) { /* socket closed */ }
  }

  close() {
    this.sock.close();
    this.pending.clear();
  }

  /** Send an Envelope object (messageId set) and return its Reply,
   * resending the same bytes on timeout. */
  async callEnvelope(env, extraMs = 0) {
    const frame = this.schema.Envelope.encode(
      this.schema.Envelope.fromObject(env)).finish();
    const id = Buffer.from(env.messageId).toString('hex');
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const got = new Promise((resolve) => this.pending.set(id, resolve));
      // not awaited: with no connection (a refused handshake) the send
      // waits, and the refusal must be seen meanwhile
      const sent = this.sock.send(frame).then(() => true, () => false);
      const deadline = Date.now() + this.timeoutMs + extraMs;
      try {
        while (Date.now() < deadline) {
          const r = await Promise.race([got, new Promise((res) =>
            setTimeout(() => res(null), 50))]);
          if (r) return r;
          if (this.authProblem) throw new AuthError(this.authProblem);
        }
      } finally {
        this.pending.delete(id);
      }
      await sent; // before sending again: one send at a time
    }
    throw new NoReply(`no reply from ${this.endpoint} after ` +
      `${this.attempts} attempts`);
  }

  /** One request: kind is the Envelope body's field name in camelCase as
   * protobufjs spells it ("publishReferral", "health"), body its object.
   * With check, a refusal throws; DUPLICATE is not a refusal. */
  async call(kind, body, msgId = null, check = true, extraMs = 0) {
    const env = { version: 1, messageId: msgId || crypto.randomBytes(16),
      sentAt: Date.now(), [kind]: body };
    if (this.user) env.onBehalfOf = this.user;
    const reply = await this.callEnvelope(env, extraMs);
    const S = this.schema.Status;
    if (check && reply.status !== S.STATUS_OK &&
        reply.status !== S.STATUS_DUPLICATE)
      throw new CaselinkError(`${kind}: ${reply.status}: ${reply.error}`,
        reply.status, reply.error);
    return reply;
  }

  /** Publish with the recommended message id. reply.publish.referralId is
   * caselink's reference; a resend answers DUPLICATE with the original. */
  publishReferral(referral, check = true) {
    return this.call('publishReferral', { referral },
      messageId('referral', referral.agencyReference), check);
  }

  /** What waits in the agency's mailbox after afterSeq (a long poll). */
  async receive(afterSeq = 0, limit = 50, waitMs = 25000) {
    const r = await this.call('inboxReceive', { afterSeq, limit, waitMs },
      null, true, waitMs);
    return r.deliveries || { deliveries: [] };
  }

  /** Acknowledge deliveries: they leave the mailbox. */
  async ack(seqs) {
    return (await this.call('inboxAck', { seqs })).ack;
  }
}

module.exports = { Client, loadSchema, messageId, blake2b, readKeyFile,
  readUserFile, CaselinkError, AuthError, NoReply };
