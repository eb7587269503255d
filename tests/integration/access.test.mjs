// SPDX-License-Identifier: Apache-2.0
// Authority follows the tree (逐级授权、分级维护): a township administrator
// gets 403/404 — never data — for another township's organisations and
// members, cannot move a member or an organisation out of reach, and a
// member reads only their own member object and record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { idnum } from '../lib/idnum.mjs';

let d, district, qs, lv;
const ZHANG = '330102195603120130'; // 33010101, qingshan's
let HE;                              // 33010201, lvshui's
let heEntry;                         // a ledger row of HE

before(async () => {
  d = await startDaemon();
  district = await d.login('district');
  qs = await d.login('qingshan');
  lv = await d.login('lvshui');
  HE = idnum('330106', '19850630', 48);
  const rec = await d.api(`/api/v1/members/${HE}/record`, { token: lv });
  assert.equal(rec.status, 200, rec.text);
  assert.equal(rec.json.member.name, '何静');
  heEntry = rec.json.ledger[0].id;
});
after(async () => { if (d) await d.stop(); });

// Secrets of the other township that must never appear in an answer.
const SECRETS = ['何静', '河畔社区', '13905710013', '330106198506300'];

function refused(r, what) {
  assert.ok(r.status === 403 || r.status === 404, `${what}: expected 403/404, got ${r.status} ${r.text}`);
  assert.ok(r.json && r.json.error, `${what}: not an error body`);
  assert.deepEqual(Object.keys(r.json), ['error'], what);
  for (const s of SECRETS) assert.ok(!r.text.includes(s), `${what}: leaked ${s}: ${r.text}`);
}

test('a township administrator cannot see or change another township', async () => {
  const other = '33010201';
  const calls = [
    ['GET', `/api/v1/orgs/${other}`],
    ['GET', '/api/v1/orgs/330102'],
    ['GET', '/api/v1/orgs/330100'],
    ['PATCH', `/api/v1/orgs/${other}`, { name: '被改名' }],
    ['PATCH', `/api/v1/orgs/${other}`, { parent_code: '330101' }],
    ['DELETE', '/api/v1/orgs/33010202'],
    ['POST', '/api/v1/orgs', { code: '33010299', name: 'x', parent_code: other }],
    ['GET', `/api/v1/orgs/${other}/members?subtree=1`],
    ['GET', `/api/v1/orgs/330102/members?subtree=1&q=${encodeURIComponent('何')}`],
    ['GET', `/api/v1/orgs/${other}/members/export`],
    ['GET', `/api/v1/orgs/${other}/summary`],
    ['GET', '/api/v1/orgs/330100/summary'],
    ['GET', `/api/v1/members/${HE}`],
    ['GET', `/api/v1/members/${HE}/record`],
    ['PATCH', `/api/v1/members/${HE}`, { name: '被改名' }],
    ['PATCH', `/api/v1/members/${HE}`, { org_code: '33010101' }],
    ['POST', `/api/v1/members/${HE}/credits`, { minutes: 30, reason: 'x' }],
    ['POST', `/api/v1/ledger/${heEntry}/correction`, { minutes: -1, reason: 'x' }],
    ['POST', '/api/v1/members', { id_number: idnum('330106', '19900101', 77), name: 'x', org_code: other }],
    ['POST', `/api/v1/members/${HE}/login-code`],
  ];
  for (const [method, path, body] of calls)
    refused(await d.api(path, { method, body, token: qs }), `${method} ${path}`);
  const imp = await d.api(`/api/v1/orgs/${other}/members/import`, { method: 'POST', token: qs,
    body: `id_number,name\n${HE},改名\n`, headers: { 'Content-Type': 'text/csv' } });
  refused(imp, 'import into another township');

  // Nothing changed on the other side.
  const he = await d.api(`/api/v1/members/${HE}`, { token: lv });
  assert.equal(he.json.name, '何静');
  assert.equal(he.json.org_code, '33010201');
  const rec = await d.api(`/api/v1/members/${HE}/record`, { token: lv });
  assert.ok(rec.json.ledger.every((l) => l.by_whom !== 'qingshan'));
  const org = await d.api(`/api/v1/orgs/${other}`, { token: lv });
  assert.equal(org.json.name, '河畔社区党支部');
  assert.equal(org.json.parent_code, '330102');
  const list = await d.api('/api/v1/orgs', { token: qs });
  assert.ok(!list.text.includes('330102'));
});

test('a township administrator cannot move a member or an organisation out of reach', async () => {
  // The member: PATCH to another township's branch is refused…
  let r = await d.api(`/api/v1/members/${ZHANG}`, { method: 'PATCH', token: qs, body: { org_code: '33010201' } });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.field, 'org_code');
  // …and so is an import row that would move them there.
  r = await d.api('/api/v1/orgs/330101/members/import', { method: 'POST', token: qs,
    body: `id_number,name,org_code\n${ZHANG},张建国,33010201\n`, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.rows[0].code, 'unknown_org');
  r = await d.api(`/api/v1/members/${ZHANG}`, { token: qs });
  assert.equal(r.json.org_code, '33010101', 'the member stayed home');

  // An import cannot take over another township's member by identity number.
  r = await d.api('/api/v1/orgs/330101/members/import', { method: 'POST', token: qs,
    body: `id_number,name\n${HE},冒名\n`, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.rows[0].code, 'member_out_of_reach');
  for (const s of ['何静', '33010201']) assert.ok(!r.text.includes(s));
  assert.equal((await d.api(`/api/v1/members/${HE}`, { token: lv })).json.name, '何静');

  // The organisation: under another township, or its own root anywhere.
  r = await d.api('/api/v1/orgs/33010101', { method: 'PATCH', token: qs, body: { parent_code: '330102' } });
  refused(r, 'move a branch to another township');
  r = await d.api('/api/v1/orgs/33010101', { method: 'PATCH', token: qs, body: { parent_code: '330100' } });
  refused(r, 'move a branch above oneself');
  r = await d.api('/api/v1/orgs/330101', { method: 'PATCH', token: qs, body: { parent_code: '330102' } });
  refused(r, 'move one\'s own township');
  r = await d.api('/api/v1/orgs/33010101', { token: qs });
  assert.equal(r.json.parent_code, '330101');
  // The district, above both, can.
  r = await d.api(`/api/v1/members/${ZHANG}`, { method: 'PATCH', token: district, body: { org_code: '33010201' } });
  assert.equal(r.status, 200);
  refused(await d.api(`/api/v1/members/${ZHANG}`, { token: qs }), 'moved member is out of qingshan\'s reach');
  assert.equal((await d.api(`/api/v1/members/${ZHANG}`, { token: lv })).status, 200);
  r = await d.api(`/api/v1/members/${ZHANG}`, { method: 'PATCH', token: district, body: { org_code: '33010101' } });
  assert.equal(r.status, 200);
});

test('a member reads only their own member object and record', async () => {
  const s = await d.api('/api/v1/session', { method: 'POST', body: { id_number: ZHANG, password: 'demo-pass-2026' } });
  assert.equal(s.status, 201, s.text);
  const me = s.json.token;
  let r = await d.api(`/api/v1/members/${ZHANG}`, { token: me });
  assert.equal(r.status, 200);
  assert.equal(r.json.name, '张建国');
  r = await d.api(`/api/v1/members/${ZHANG.toLowerCase()}/record`, { token: me });
  assert.equal(r.status, 200);
  assert.equal(r.json.member.id_number, ZHANG);
  assert.ok(r.json.ledger.length > 0);
  // Another member, even of the same branch, is a 404.
  const neighbour = '330102196309250246';
  assert.equal((await d.api(`/api/v1/members/${neighbour}`, { token: qs })).status, 200);
  refused(await d.api(`/api/v1/members/${neighbour}`, { token: me }), 'neighbour');
  refused(await d.api(`/api/v1/members/${neighbour}/record`, { token: me }), 'neighbour record');
  refused(await d.api(`/api/v1/members/${HE}/record`, { token: me }), 'other township record');
  // Administrative routes are for administrators only.
  const adminOnly = [
    ['GET', '/api/v1/orgs'],
    ['GET', '/api/v1/orgs/33010101'],
    ['GET', '/api/v1/orgs/33010101/members'],
    ['GET', '/api/v1/orgs/33010101/summary'],
    ['GET', '/api/v1/orgs/33010101/members/export'],
    ['PATCH', `/api/v1/members/${ZHANG}`, { name: '自己改' }],
    ['POST', `/api/v1/members/${ZHANG}/credits`, { minutes: 600, reason: '给自己加学时' }],
    ['POST', `/api/v1/ledger/${heEntry}/correction`, { minutes: 5, reason: 'x' }],
    ['POST', '/api/v1/members', { id_number: idnum('330106', '19900101', 79), name: 'x', org_code: '33010101' }],
  ];
  for (const [method, path, body] of adminOnly) {
    r = await d.api(path, { method, body, token: me });
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
  }
  assert.equal((await d.api(`/api/v1/members/${ZHANG}`, { token: qs })).json.name, '张建国');
  // Anonymous callers get 401 everywhere.
  for (const path of [`/api/v1/members/${ZHANG}`, `/api/v1/members/${ZHANG}/record`, '/api/v1/orgs'])
    assert.equal((await d.api(path)).status, 401, path);
});
