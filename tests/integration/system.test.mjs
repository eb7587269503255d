// SPDX-License-Identifier: Apache-2.0
// System behaviour every route relies on: health, errors, limits, metrics,
// the OpenAPI document, sign-in and its limiter, graceful stop, CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, runCli, api } from '../lib/daemon.mjs';

let d;
before(async () => { d = await startDaemon(); });
after(async () => { if (d) await d.stop(); });

test('healthz reports ok and the schema version', async () => {
  const r = await d.api('/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
  assert.ok(r.json.schema >= 1);
});

test('unknown API route is a JSON 404', async () => {
  const r = await d.api('/api/v1/no-such-thing');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
});

test('wrong method is 405', async () => {
  const r = await d.api('/api/v1/tokens', { method: 'GET' });
  assert.equal(r.status, 405);
});

test('malformed JSON is 400 naming the position', async () => {
  const r = await d.api('/api/v1/session', { method: 'POST', body: '{"username": "x",,}',
    headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_json');
  assert.match(r.json.error.message, /line 1, column \d+/);
});

test('a body over the limit is 413', async () => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const r = await d.api('/api/v1/session', { method: 'POST', body: big });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'too_large');
});

test('path traversal never escapes the web folder', async () => {
  for (const p of ['/../CMakeLists.txt', '/%2e%2e/CMakeLists.txt', '/a/%2E%2E/%2E%2E/CMakeLists.txt']) {
    const r = await fetch(d.url + p);
    assert.equal(r.status, 404, p);
  }
});

test('sign-in: good password, wrong password, session and sign-out', async () => {
  let r = await d.api('/api/v1/session', { method: 'POST', body: { username: 'qingshan', password: 'wrong-one' } });
  assert.equal(r.status, 401);
  const token = await d.login('qingshan');
  r = await d.api('/api/v1/session', { token });
  assert.equal(r.status, 200);
  assert.equal(r.json.username, 'qingshan');
  assert.equal(r.json.kind, 'admin');
  r = await d.api('/api/v1/session', { method: 'DELETE', token });
  assert.equal(r.status, 204);
  r = await d.api('/api/v1/session', { token });
  assert.equal(r.status, 401);
});

test('cookie sessions are HttpOnly and SameSite', async () => {
  const r = await d.api('/api/v1/session', { method: 'POST', body: { username: 'lvshui', password: 'demo-pass-2026' } });
  const c = r.headers.get('set-cookie');
  assert.match(c, /yj_session=/);
  assert.match(c, /HttpOnly/);
  assert.match(c, /SameSite=Lax/);
});

test('repeated failed sign-ins are slowed down', async () => {
  const statuses = [];
  for (let i = 0; i < 8; i++) {
    const r = await d.api('/api/v1/session', { method: 'POST', body: { username: 'nobody-' + (i % 1), password: 'bad-password' } });
    statuses.push(r.status);
  }
  assert.equal(statuses[0], 401);
  assert.ok(statuses.includes(429), `no 429 among ${statuses}`);
});

test('bearer tokens for scripts', async () => {
  const token = await d.login('district');
  const r = await d.api('/api/v1/tokens', { method: 'POST', token, body: { label: 'nightly', days: 30 } });
  assert.equal(r.status, 201);
  const r2 = await d.api('/api/v1/session', { token: r.json.token });
  assert.equal(r2.status, 200);
  assert.equal(r2.json.username, 'district');
  const bad = await d.api('/api/v1/tokens', { method: 'POST', token, body: { days: 0 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'days');
});

test('metrics count requests by route and status', async () => {
  await d.api('/healthz');
  const r = await fetch(d.url + '/metrics');
  const text = await r.text();
  assert.match(text, /# TYPE yj_http_requests_total counter/);
  assert.match(text, /yj_http_requests_total\{route="\/api\/v1\/session",method="POST",status="201"\} [1-9]/);
  assert.match(text, /yj_http_request_seconds_bucket\{route="\/healthz",le="0.001"\}/);
  assert.match(text, /yj_db_transaction_seconds_count [1-9]/);
});

test('OpenAPI documents every registered route', async () => {
  const doc = (await d.api('/api/v1/openapi.json')).json;
  assert.equal(doc.openapi, '3.0.3');
  const listed = runCli(['routes']);
  assert.equal(listed.status, 0, listed.stderr);
  const routes = listed.stdout.trim().split('\n').filter((l) => !l.endsWith(' undocumented'));
  assert.ok(routes.length >= 9);
  const missing = [];
  for (const line of routes) {
    const [method, pattern] = line.split(' ');
    const path = pattern.replace('*}', '}');
    if (!doc.paths[path] || !doc.paths[path][method.toLowerCase()]) missing.push(line);
  }
  assert.deepEqual(missing, [], 'routes missing from openapi.json');
});

test('admin add reads the password from stdin; backup copies the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yj-cli-'));
  try {
    let r = runCli(['--data-dir', dir, 'admin', 'add', 'x', '--org', '999'], 'long-enough-pw\n');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no organisation with code 999/);
    // The running daemon's database: admin add against the live folder.
    r = runCli(['--data-dir', d.dir, 'admin', 'add', 'newadmin', '--org', '33010101', '--name', '王明'], 'long-enough-pw\n');
    assert.equal(r.status, 0, r.stderr);
    const tok = await api(d.url, '/api/v1/session', { method: 'POST', body: { username: 'newadmin', password: 'long-enough-pw' } });
    assert.equal(tok.status, 201);
    // The real name given at creation is what members see for the host.
    const start = new Date(Date.now() + 86400e3).toISOString();
    const mtg = await api(d.url, '/api/v1/meetings', { method: 'POST', token: tok.json.token,
      body: { title: '支部党员大会', org_code: '33010101', start } });
    assert.equal(mtg.status, 201, mtg.text);
    assert.equal(mtg.json.host.name, '王明');
    const dest = join(dir, 'copy.db');
    r = runCli(['--data-dir', d.dir, 'backup', dest]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(dest));
    r = runCli(['--data-dir', d.dir, 'backup', dest]);
    assert.notEqual(r.status, 0, 'backup must refuse to overwrite');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sample configuration parses and bad configurations are refused', async () => {
  let r = runCli(['--config', 'yuanjiao.conf.example', 'routes']);
  assert.equal(r.status, 0, r.stderr);
  r = runCli(['--config', '/nonexistent.conf', 'routes']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot read config/);
  r = runCli(['--http-port', 'abc']);
  assert.notEqual(r.status, 0);
});

test('SIGTERM stops the daemon cleanly', async () => {
  const e = await startDaemon({ demo: false });
  const st = await e.stop();
  assert.equal(st.code, 0);
  assert.match(e.stderr, /stopped cleanly/);
});
