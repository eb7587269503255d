// SPDX-License-Identifier: Apache-2.0
// Smaller findings of issue 13, each against the real daemon: control
// characters cannot forge access-log lines; integer query parameters are
// validated (no cast overflow); a meeting's start lies in 2000–2100;
// bidi-override and other control characters are refused in names and
// titles with the field named; a malformed Range is never a 206 of the
// whole file; creating a member whose identity number belongs to another
// township answers 409 without naming that township.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { idNumber, ensureMember } from '../lib/members.mjs';

let d, admin, district;
before(async () => {
  d = await startDaemon();
  admin = await d.login('qingshan');
  district = await d.login('district');
});
after(async () => { if (d) await d.stop(); });

test('control characters in the URL or a user name cannot forge log lines', async () => {
  await fetch(`${d.url}/api/v1/nothing%0a2026-01-01T00:00:00.000Z%20INFO%20%20http:%20FORGED-URL`);
  await d.api('/api/v1/session', { method: 'POST', body: { username: 'x\n2026-01-01T00:00:00.000Z INFO  auth: FORGED-NAME\u202e', password: 'whatever-1' } });
  await new Promise((r) => setTimeout(r, 300));
  const lines = d.stderr.split('\n');
  assert.ok(lines.some((l) => l.includes('FORGED-URL')), 'the request was logged');
  assert.ok(lines.some((l) => l.includes('FORGED-NAME')), 'the sign-in was logged');
  for (const l of lines)
    if (l.includes('FORGED')) assert.match(l, /^\d{4}-\d\d-\d\dT.*(http|auth): /, `forged line: ${JSON.stringify(l)}`);
  assert.ok(!lines.some((l) => /^2026-01-01T00:00:00.000Z/.test(l)));
  assert.ok(!d.stderr.includes('\u202e'), 'bidi override escaped');
});

test('integer query parameters are validated, never cast', async () => {
  for (const path of ['/api/v1/courses?offset=9223372036854775807', '/api/v1/courses?offset=99999999999',
    '/api/v1/courses?limit=4294967297', '/api/v1/courses?offset=1x', '/api/v1/meetings?offset=9223372036854775807',
    '/api/v1/meetings?limit=abc', '/api/v1/orgs/330100/learning/ranking?limit=4294967297']) {
    const r = await d.api(path, { token: district });
    assert.equal(r.status, 400, `${path}: ${r.status} ${r.text}`);
    const field = new URL('http://x' + path).searchParams.keys().next().value;
    assert.equal(r.json.error.field, field, path);
  }
  assert.equal((await d.api('/api/v1/courses?offset=0&limit=5', { token: district })).status, 200);
});

test('a meeting\'s start lies between 2000 and 2100', async () => {
  const make = (start) => d.api('/api/v1/meetings', { method: 'POST', token: admin,
    headers: { 'Content-Type': 'application/json' }, // raw JSON: INT64_MAX exactly
    body: `{"title":"时间检查","org_code":"33010101","duration_minutes":30,"start":${JSON.stringify(start).replace(/^"INT64_MAX"$/, '9223372036854775807')}}` });
  for (const start of ['0001-01-01T00:00:00Z', '2101-01-01T00:00:00Z', 'INT64_MAX', 1, -5, '1999-12-31T23:59:59Z']) {
    const r = await make(start);
    assert.equal(r.status, 400, `${start}: ${r.text}`);
    assert.equal(r.json.error.field, 'start');
  }
  const ok = await make('2027-03-01T09:00:00+08:00');
  assert.equal(ok.status, 201, ok.text);
});

test('bidi overrides and control characters are refused in names and titles', async () => {
  const bad = ['\u202e反转', 'a\u2066b', '名\u0085字', 'x\u001by'];
  const course = await d.api('/api/v1/courses', { method: 'POST', token: district, body: { title: '加固课程' } });
  assert.equal(course.status, 201, course.text);
  for (const s of bad) {
    let r = await d.api('/api/v1/members', { method: 'POST', token: admin,
      body: { id_number: idNumber('330101', '19700101', 801), name: s, org_code: '33010101', status: 'full' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'name');
    r = await d.api('/api/v1/orgs', { method: 'POST', token: admin, body: { code: '33010199', name: s, parent_code: '330101' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'name');
    r = await d.api('/api/v1/courses', { method: 'POST', token: district, body: { title: s } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'title');
    // A PATCH too: optional fields used to pass when their check failed.
    for (const field of ['title', 'category']) {
      r = await d.api(`/api/v1/courses/${course.json.id}`, { method: 'PATCH', token: district, body: { [field]: s } });
      assert.equal(r.status, 400, `${field}: ${r.text}`);
      assert.equal(r.json.error.field, field);
    }
    r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: { title: s, org_code: '33010101', duration_minutes: 30 } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'title');
  }
});

test('a malformed Range is never a 206 of the whole file', async () => {
  const whole = await fetch(`${d.url}/css/style.css`);
  const size = (await whole.arrayBuffer()).byteLength;
  for (const range of ['bytes=--1', 'bytes=-+5', 'bytes=- 5', 'bytes=--0', 'bytes=5--3', 'bytes=-']) {
    const r = await fetch(`${d.url}/css/style.css`, { headers: { Range: range } });
    const body = await r.arrayBuffer();
    assert.ok(r.status === 200 || r.status === 416, `${range}: ${r.status}`);
    if (r.status === 200) assert.equal(body.byteLength, size);
  }
  const r = await fetch(`${d.url}/css/style.css`, { headers: { Range: 'bytes=-10' } });
  assert.equal(r.status, 206);
  assert.equal((await r.arrayBuffer()).byteLength, 10);
});

test('a member of another township: 409 without saying where', async () => {
  const id = idNumber('330102', '19750505', 802);
  await ensureMember(d, district, { id_number: id, name: '河畔某人', org_code: '33010201' });
  const r = await d.api('/api/v1/members', { method: 'POST', token: admin,
    body: { id_number: id, name: '青山某人', org_code: '33010101', status: 'full' } });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'member_exists');
  assert.equal(r.json.error.field, 'id_number');
  for (const leak of ['330102', '33010201', '河畔', '河畔某人', 'lvshui'])
    assert.ok(!r.text.includes(leak), `409 reveals ${leak}: ${r.text}`);
  // And the member stays invisible to this administrator.
  assert.equal((await d.api(`/api/v1/members/${id}`, { token: admin })).status, 404);
});
