// SPDX-License-Identifier: Apache-2.0
// Sessions and tokens (issue 13): cross-site cookie requests refused,
// JSON bodies only as application/json, password change that needs the
// current password and ends every other session and token, listing and
// revoking one's own sessions, an administrator ending a member's
// sessions, members' tokens short-lived, logout ending the tokens minted
// from the session, common passwords refused, rehash to the configured
// PBKDF2 cost at sign-in, expired rows purged, failed sign-ins counted per
// (account, address) so an attacker elsewhere cannot lock the owner out,
// and a Secure cookie with HSTS behind https.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { startDaemon } from '../lib/daemon.mjs';
import { idNumber, ensureMember, memberToken, sql } from '../lib/members.mjs';

let d, admin;
const M = idNumber('330101', '19900101', 51);
const N = idNumber('330101', '19900101', 52);
const R = idNumber('330102', '19900101', 53); // another township (330102)

before(async () => {
  d = await startDaemon({ ini: '[auth]\npbkdf2_iterations=2000\n' });
  admin = await d.login('qingshan');
  const district = await d.login('district');
  await ensureMember(d, admin, { id_number: M, name: '会话甲', org_code: '33010101' });
  await ensureMember(d, admin, { id_number: N, name: '会话乙', org_code: '33010101' });
  await ensureMember(d, district, { id_number: R, name: '会话丙', org_code: '33010201' });
});
after(async () => { if (d) await d.stop(); });

async function signIn(body, headers = {}) {
  const r = await fetch(`${d.url}/api/v1/session`, { method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => null);
  return { status: r.status, json: j, cookie: (r.headers.get('set-cookie') || '').split(';')[0], setCookie: r.headers.get('set-cookie'), headers: r.headers };
}

// Raw request from a chosen loopback source address (127.0.0.x).
function fromAddress(local, path, { method = 'POST', body, headers = {} } = {}) {
  const u = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, localAddress: local,
      headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => resolve({ status: res.statusCode, text: t, headers: res.headers }));
    });
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

async function setPassword(tok, body) {
  return d.api('/api/v1/me/password', { method: 'PUT', token: tok, body });
}

test('cookie requests from another site are refused; JSON must be sent as JSON', async () => {
  const s = await signIn({ username: 'qingshan', password: 'demo-pass-2026' });
  assert.equal(s.status, 201);
  const post = (headers, body = '{"label":"x","days":3650}') => fetch(`${d.url}/api/v1/tokens`,
    { method: 'POST', headers: { Cookie: s.cookie, ...headers }, body });
  let r = await post({ 'Content-Type': 'text/plain', Origin: 'https://evil.example' });
  assert.equal(r.status, 403);
  let j = await r.json();
  assert.equal(j.error.code, 'cross_site');
  r = await post({ 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' });
  assert.equal(r.status, 403);
  // Same origin but text/plain on a JSON route: 415.
  r = await post({ 'Content-Type': 'text/plain', Origin: d.url });
  assert.equal(r.status, 415);
  j = await r.json();
  assert.equal(j.error.code, 'unsupported_media_type');
  // Same origin and JSON: fine.
  r = await post({ 'Content-Type': 'application/json', Origin: d.url, 'Sec-Fetch-Site': 'same-origin' });
  assert.equal(r.status, 201);
  // A bearer token is not ambient: no Origin check.
  r = await d.api('/api/v1/tokens', { method: 'POST', token: admin, body: { days: 1 }, headers: { Origin: 'https://evil.example' } });
  assert.equal(r.status, 201);
  // GET with a foreign Origin is not a state change.
  r = await fetch(`${d.url}/api/v1/session`, { headers: { Cookie: s.cookie, Origin: 'https://evil.example' } });
  assert.equal(r.status, 200);
});

test('setting, changing and resetting a password; common passwords refused', async () => {
  const t1 = await memberToken(d, admin, M);
  // First password: a member signed in with a code has none to confirm.
  let r = await setPassword(t1, { password: '12345678' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'common_password');
  assert.equal(r.json.error.field, 'password');
  r = await setPassword(t1, { password: 'Lianxi-2026-春' });
  assert.equal(r.status, 204, r.text);
  // Other sessions and tokens of the account, and one minted from them.
  const other = (await signIn({ id_number: M, password: 'Lianxi-2026-春' })).json.token;
  const minted = (await d.api('/api/v1/tokens', { method: 'POST', token: other, body: { label: 'script', days: 7 } })).json.token;
  assert.equal((await d.api('/api/v1/session', { token: minted })).status, 200);
  // Changing needs the current password.
  r = await setPassword(t1, { password: 'Xin-mima-2026' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'current_password');
  r = await setPassword(t1, { password: 'Xin-mima-2026', current_password: 'wrong-one-123' });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.field, 'current_password');
  r = await setPassword(t1, { password: 'Xin-mima-2026', current_password: 'Lianxi-2026-春' });
  assert.equal(r.status, 204, r.text);
  // Every other session and token ended; this one stays.
  assert.equal((await d.api('/api/v1/session', { token: other })).status, 401);
  assert.equal((await d.api('/api/v1/session', { token: minted })).status, 401);
  assert.equal((await d.api('/api/v1/session', { token: t1 })).status, 200);
  assert.equal((await signIn({ id_number: M, password: 'Xin-mima-2026' })).status, 201);
  // An administrator changes their own password the same way.
  const a2 = (await signIn({ username: 'qingshan', password: 'demo-pass-2026' })).json.token;
  r = await setPassword(admin, { password: 'password' , current_password: 'demo-pass-2026' });
  assert.equal(r.json.error.code, 'common_password');
  r = await setPassword(admin, { password: 'Qingshan-Xin-2026', current_password: 'demo-pass-2026' });
  assert.equal(r.status, 204, r.text);
  assert.equal((await d.api('/api/v1/session', { token: a2 })).status, 401);
  assert.equal((await d.api('/api/v1/session', { token: admin })).status, 200);
  // An administrator resets a member's password in their subtree: the
  // member's sessions end; outside the subtree it is not found.
  const m1 = (await signIn({ id_number: M, password: 'Xin-mima-2026' })).json.token;
  r = await d.api(`/api/v1/members/${M}/password`, { method: 'PUT', token: admin, body: { password: 'Chongzhi-2026-x' } });
  assert.equal(r.status, 204, r.text);
  assert.equal((await d.api('/api/v1/session', { token: m1 })).status, 401);
  assert.equal((await signIn({ id_number: M, password: 'Chongzhi-2026-x' })).status, 201);
  r = await d.api(`/api/v1/members/${R}/password`, { method: 'PUT', token: admin, body: { password: 'Chongzhi-2026-x' } });
  assert.equal(r.status, 404);
});

test('list and revoke one\'s own sessions and tokens; logout ends minted tokens', async () => {
  const a = await memberToken(d, admin, N);
  const b = await memberToken(d, admin, N);
  const tok = (await d.api('/api/v1/tokens', { method: 'POST', token: a, body: { label: '脚本', days: 5 } })).json.token;
  let r = await d.api('/api/v1/me/sessions', { token: a });
  assert.equal(r.status, 200, r.text);
  const list = r.json.sessions;
  assert.equal(list.length, 3);
  assert.equal(list.filter((s) => s.current).length, 1);
  const t = list.find((s) => s.kind === 'token');
  assert.equal(t.label, '脚本');
  assert.ok(!JSON.stringify(r.json).includes(a), 'no secret in the listing');
  // Revoke the other session (b) by its id.
  const bId = list.find((s) => s.kind === 'session' && !s.current).id;
  r = await d.api(`/api/v1/me/sessions/${bId}`, { method: 'DELETE', token: a });
  assert.equal(r.status, 204);
  assert.equal((await d.api('/api/v1/session', { token: b })).status, 401);
  // Another member cannot revoke it (looks like nothing).
  const m = await memberToken(d, admin, M);
  r = await d.api(`/api/v1/me/sessions/${t.id}`, { method: 'DELETE', token: m });
  assert.equal(r.status, 404);
  assert.equal((await d.api('/api/v1/session', { token: tok })).status, 200);
  // Logout of session a also ends the token minted from it.
  r = await d.api('/api/v1/session', { method: 'DELETE', token: a });
  assert.equal(r.status, 204);
  assert.equal((await d.api('/api/v1/session', { token: tok })).status, 401);
});

test('an administrator ends all sessions of a member in their subtree', async () => {
  const a = await memberToken(d, admin, N);
  const district = await d.login('district');
  const rt = await memberToken(d, district, R);
  let r = await d.api(`/api/v1/members/${N}/sessions`, { method: 'DELETE', token: admin });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.ended >= 1);
  assert.equal((await d.api('/api/v1/session', { token: a })).status, 401);
  // Outside the administrator's subtree: 404, nothing ended.
  r = await d.api(`/api/v1/members/${R}/sessions`, { method: 'DELETE', token: admin });
  assert.equal(r.status, 404);
  assert.equal((await d.api('/api/v1/session', { token: rt })).status, 200);
  // A member may not.
  r = await d.api(`/api/v1/members/${N}/sessions`, { method: 'DELETE', token: rt });
  assert.equal(r.status, 403);
});

test('members\' tokens live at most 30 days; administrators\' as before', async () => {
  const m = await memberToken(d, admin, N);
  let r = await d.api('/api/v1/tokens', { method: 'POST', token: m, body: { days: 365 } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'days');
  r = await d.api('/api/v1/tokens', { method: 'POST', token: m, body: { days: 30 } });
  assert.equal(r.status, 201);
  r = await d.api('/api/v1/tokens', { method: 'POST', token: m, body: {} });
  assert.equal(r.status, 201);
  assert.ok(r.json.expires_in_days <= 30);
  r = await d.api('/api/v1/tokens', { method: 'POST', token: admin, body: { days: 365 } });
  assert.equal(r.status, 201);
});

test('sign-in rehashes to the configured cost and purges expired rows', async () => {
  // An old hash with 1000 iterations — this daemon asks for 2000.
  const salt = randomBytes(16);
  const b64 = (b) => b.toString('base64url');
  const old = `pbkdf2-sha256$1000$${b64(salt)}$${b64(pbkdf2Sync('demo-pass-2026', salt, 1000, 32, 'sha256'))}`;
  sql(d, `UPDATE admins SET password_hash = '${old}' WHERE username='district'`);
  sql(d, `INSERT INTO sessions(token_hash, kind, admin_id, created_at, expires_at) SELECT 'expired-row', 'session', id, 0, 1 FROM admins WHERE username='district'`);
  const before = sql(d, `SELECT password_hash FROM admins WHERE username='district'`)[0][0];
  assert.match(before, /^pbkdf2-sha256\$1000\$/);
  assert.equal((await signIn({ username: 'district', password: 'demo-pass-2026' })).status, 201);
  const after = sql(d, `SELECT password_hash FROM admins WHERE username='district'`)[0][0];
  assert.match(after, /^pbkdf2-sha256\$2000\$/);
  assert.equal(sql(d, `SELECT count(*) FROM sessions WHERE token_hash='expired-row'`)[0][0], '0');
  assert.equal((await signIn({ username: 'district', password: 'demo-pass-2026' })).status, 201);
});

test('expired rows are purged periodically, without any sign-in', async () => {
  const e = await startDaemon({ ini: '[auth]\npbkdf2_iterations=1000\npurge_seconds=1\n' });
  try {
    sql(e, `INSERT INTO sessions(token_hash, kind, admin_id, created_at, expires_at) SELECT 'expired-tick', 'session', id, 0, 1 FROM admins WHERE username='district'`);
    sql(e, `INSERT INTO sessions(token_hash, kind, admin_id, created_at, expires_at) SELECT 'live-tick', 'session', id, 0, 4102444800 FROM admins WHERE username='district'`);
    const count = (h) => sql(e, `SELECT count(*) FROM sessions WHERE token_hash='${h}'`)[0][0];
    assert.equal(count('expired-tick'), '1');
    // Wait on the condition (bounded): the timer fires every second.
    const until = Date.now() + 20000;
    while (count('expired-tick') !== '0' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    assert.equal(count('expired-tick'), '0');
    assert.equal(count('live-tick'), '1');
  } finally {
    await e.stop();
  }
});

test('failed sign-ins from one address do not lock the owner out elsewhere', async () => {
  // The attacker at 127.0.0.2 fails many times for the 'lvshui' account.
  // Past 5 free failures each one doubles the wait (1, 2, 4 … s); on a
  // loaded machine one attempt can outlast the first waits, so keep going
  // (bounded) until a wait outlasts an attempt: the attacker must be
  // refused long before the 16th try (a 2,048 s wait).
  let last, tries = 0;
  for (; tries < 16; tries++) {
    last = await fromAddress('127.0.0.2', '/api/v1/session', { body: { username: 'lvshui', password: 'guess-' + tries } });
    if (last.status !== 401) break;
  }
  assert.equal(last.status, 429, 'the attacker is slowed down');
  assert.ok(tries >= 5, `the first 5 failures are free (refused after ${tries})`);
  assert.ok(Number(last.headers['retry-after']) > 0, 'Retry-After says how long');
  // The owner at 127.0.0.3 signs in at once.
  const ok = await fromAddress('127.0.0.3', '/api/v1/session', { body: { username: 'lvshui', password: 'demo-pass-2026' } });
  assert.equal(ok.status, 201, ok.text);
});

test('unknown accounts cost the same password work as known ones', async () => {
  // Relative, not absolute: with a high iteration count the known account's
  // check dominates; an unknown one must cost about as much (not ~0).
  const e = await startDaemon({ ini: '[auth]\npbkdf2_iterations=300000\n' });
  try {
    const time = async (body, local) => {
      const t = process.hrtime.bigint();
      await new Promise((resolve, reject) => {
        const u = new URL(e.url);
        const req = http.request({ host: u.hostname, port: u.port, path: '/api/v1/session', method: 'POST', localAddress: local,
          headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const known = [], unknown = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time({ username: 'lvshui', password: 'wrong-' + i }, `127.0.1.${i + 1}`));
      unknown.push(await time({ username: 'nobody-' + i, password: 'wrong' }, `127.0.2.${i + 1}`));
      unknown.push(await time({ id_number: idNumber('330101', '19700101', 900 + i), password: 'wrong' }, `127.0.3.${i + 1}`));
    }
    assert.ok(med(unknown) > med(known) / 3, `unknown ${med(unknown)} ms vs known ${med(known)} ms`);
  } finally {
    await e.stop();
  }
});

test('behind https: the cookie is Secure and HSTS is sent', async () => {
  // secure_cookie defaults to on when [server] public_url is https; the
  // test daemon listens on plain loopback, so it sets the key itself.
  const e = await startDaemon({ ini: '[auth]\npbkdf2_iterations=1000\nsecure_cookie=true\n' });
  try {
    const r = await fetch(`${e.url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'district', password: 'demo-pass-2026' }) });
    assert.equal(r.status, 201);
    assert.match(r.headers.get('set-cookie'), /;\s*Secure/i);
    assert.match(r.headers.get('strict-transport-security') || '', /max-age=\d+/);
    const h = await fetch(`${e.url}/healthz`);
    assert.match(h.headers.get('strict-transport-security') || '', /max-age=\d+/);
  } finally {
    await e.stop();
  }
  // Plain http (the test default): no Secure flag, no HSTS.
  const s = await signIn({ username: 'district', password: 'demo-pass-2026' });
  assert.doesNotMatch(s.setCookie, /Secure/i);
  assert.equal(s.headers.get('strict-transport-security'), null);
});
