// SPDX-License-Identifier: Apache-2.0
// The records API over HTTP: organisations, members, CSV import/export,
// the credit ledger, member records and summaries — every route, with its
// error answers (shape, status, code, field).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { idnum, manyIds } from '../lib/idnum.mjs';

let d, district, qs;
const ZHANG = '330102195603120130'; // demo member in 33010101 (qingshan)

before(async () => {
  d = await startDaemon();
  district = await d.login('district');
  qs = await d.login('qingshan');
});
after(async () => { if (d) await d.stop(); });

const get = (path, token = qs) => d.api(path, { token });
const post = (path, body, token = qs) => d.api(path, { method: 'POST', body, token });
const patch = (path, body, token = qs) => d.api(path, { method: 'PATCH', body, token });
const del = (path, token = qs) => d.api(path, { method: 'DELETE', token });

function assertError(r, status, code, field) {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json && r.json.error, `no error object: ${r.text}`);
  assert.equal(r.json.error.code, code, r.text);
  if (field !== undefined) assert.equal(r.json.error.field, field, r.text);
  assert.equal(typeof r.json.error.message, 'string');
}

test('demo data: 20 valid members over four branches, two migrants', async () => {
  const r = await get('/api/v1/orgs/330100/members?subtree=1&limit=500', district);
  assert.equal(r.status, 200);
  assert.equal(r.json.total, 20);
  const branches = new Set(r.json.members.map((m) => m.org_code));
  assert.deepEqual([...branches].sort(), ['33010101', '33010102', '33010201', '33010202']);
  const migrants = r.json.members.filter((m) => m.migrant);
  assert.equal(migrants.length, 2);
  for (const m of migrants) assert.ok(m.location && m.location.length > 0);
  assert.ok(r.json.members.some((m) => m.status === 'probationary'));
  for (const m of r.json.members) {
    assert.equal(m.id_number, idnum(m.id_number.slice(0, 6), m.id_number.slice(6, 14), Number(m.id_number.slice(14, 17))));
    assert.equal(m.birth_date.replaceAll('-', ''), m.id_number.slice(6, 14));
    assert.equal(m.gender, Number(m.id_number[16]) % 2 ? 'male' : 'female');
  }
  // A demo member signs in with the demo password.
  const s = await d.api('/api/v1/session', { method: 'POST', body: { id_number: ZHANG, password: 'demo-pass-2026' } });
  assert.equal(s.status, 201, s.text);
});

test('GET /orgs: the subtree in tree order; admins only', async () => {
  let r = await get('/api/v1/orgs', district);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.orgs.map((o) => o.code),
    ['330100', '330101', '33010101', '33010102', '330102', '33010201', '33010202']);
  const root = r.json.orgs[0];
  assert.equal(root.parent_code, null);
  assert.equal(root.depth, 0);
  assert.equal(r.json.orgs[2].depth, 2);
  assert.equal(r.json.orgs[2].member_count, 5);
  r = await get('/api/v1/orgs');
  assert.deepEqual(r.json.orgs.map((o) => o.code), ['330101', '33010101', '33010102']);
  r = await d.api('/api/v1/orgs');
  assertError(r, 401, 'unauthorized');
});

test('POST/GET/PATCH/DELETE /orgs: create, rename, move, delete with their errors', async () => {
  let r = await post('/api/v1/orgs', { code: '33010103', name: '新村党支部', parent_code: '330101' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.parent_code, '330101');
  assert.equal(r.json.depth, 2);
  assertError(await post('/api/v1/orgs', { code: '33010103', name: 'x', parent_code: '330101' }), 409, 'org_exists', 'code');
  assertError(await post('/api/v1/orgs', { code: '33010104', name: 'x', parent_code: '330102' }), 404, 'not_found', 'parent_code');
  assertError(await post('/api/v1/orgs', { code: 'a/b', name: 'x', parent_code: '330101' }), 400, 'invalid_org_code', 'code');
  assertError(await post('/api/v1/orgs', { code: '33010104', name: '', parent_code: '330101' }), 400, 'invalid_name', 'name');
  assertError(await post('/api/v1/orgs', { code: '33010104', name: 'x' }), 400, 'missing_field', 'parent_code');
  assertError(await post('/api/v1/orgs', { code: '33010104', name: 'x', parent_code: '330101', extra: 1 }), 400, 'unknown_field');

  r = await get('/api/v1/orgs/33010103');
  assert.equal(r.status, 200);
  assert.equal(r.json.name, '新村党支部');
  assertError(await get('/api/v1/orgs/nope'), 404, 'not_found', 'code');

  r = await patch('/api/v1/orgs/33010103', { name: '新村党支部（改）' });
  assert.equal(r.status, 200);
  assert.equal(r.json.name, '新村党支部（改）');
  // Move under a sibling branch: depth and path follow.
  r = await patch('/api/v1/orgs/33010103', { parent_code: '33010102' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.parent_code, '33010102');
  assert.equal(r.json.depth, 3);
  r = await get('/api/v1/orgs');
  assert.deepEqual(r.json.orgs.map((o) => o.code), ['330101', '33010101', '33010102', '33010103']);
  // Moving a parent under its own child is refused.
  assertError(await patch('/api/v1/orgs/33010102', { parent_code: '33010103' }), 400, 'invalid_parent', 'parent_code');
  assertError(await patch('/api/v1/orgs/33010102', { parent_code: '33010102' }), 400, 'invalid_parent', 'parent_code');
  // Moving one's own root is refused.
  assertError(await patch('/api/v1/orgs/330101', { parent_code: '33010101' }), 403, 'forbidden');
  assertError(await patch('/api/v1/orgs/330101', {}), 400, 'missing_field');
  assertError(await patch('/api/v1/orgs/330101', { code: '999' }), 400, 'code_immutable', 'code');

  // Delete: refused with members or children; fine when empty.
  assertError(await del('/api/v1/orgs/33010101'), 409, 'org_not_empty', 'code');
  assertError(await del('/api/v1/orgs/33010102'), 409, 'org_not_empty', 'code');
  assertError(await del('/api/v1/orgs/330101'), 403, 'forbidden');
  r = await del('/api/v1/orgs/33010103');
  assert.equal(r.status, 204);
  assertError(await get('/api/v1/orgs/33010103'), 404, 'not_found');
  assertError(await del('/api/v1/orgs/33010103'), 404, 'not_found');
});

test('a move rewrites the whole subtree: a grandchild follows its parent', async () => {
  let r = await post('/api/v1/orgs', { code: '3301019', name: '临时党委', parent_code: '330100' }, district);
  assert.equal(r.status, 201);
  r = await post('/api/v1/orgs', { code: '33010191', name: '临时支部', parent_code: '3301019' }, district);
  assert.equal(r.status, 201);
  // Under lvshui's township: lvshui now sees both; qingshan sees neither.
  r = await patch('/api/v1/orgs/3301019', { parent_code: '330102' }, district);
  assert.equal(r.status, 200);
  const lv = await d.login('lvshui');
  r = await get('/api/v1/orgs/33010191', lv);
  assert.equal(r.status, 200);
  assert.equal(r.json.depth, 3);
  assertError(await get('/api/v1/orgs/33010191'), 404, 'not_found');
  // Then under qingshan's township: access moves with the subtree.
  r = await patch('/api/v1/orgs/3301019', { parent_code: '330101' }, district);
  assert.equal(r.status, 200);
  assert.equal((await get('/api/v1/orgs/33010191')).status, 200);
  assertError(await get('/api/v1/orgs/33010191', lv), 404, 'not_found');
  assert.equal((await del('/api/v1/orgs/33010191')).status, 204);
  assert.equal((await del('/api/v1/orgs/3301019')).status, 204);
});

test('GET /orgs/{code}/members: own, subtree, search, paging, bad paging', async () => {
  let r = await get('/api/v1/orgs/330101/members');
  assert.equal(r.status, 200);
  assert.equal(r.json.total, 0);
  r = await get('/api/v1/orgs/330101/members?subtree=1&limit=3&offset=0');
  assert.equal(r.json.total, 10);
  assert.equal(r.json.members.length, 3);
  const r2 = await get('/api/v1/orgs/330101/members?subtree=1&limit=3&offset=3');
  assert.equal(r2.json.members.length, 3);
  assert.notDeepEqual(r.json.members.map((m) => m.id_number), r2.json.members.map((m) => m.id_number));
  r = await get('/api/v1/orgs/330101/members?subtree=1&q=' + encodeURIComponent('张建国'));
  assert.equal(r.json.total, 1);
  assert.equal(r.json.members[0].id_number, ZHANG);
  assert.equal(r.json.members[0].org_name, '青山村党支部');
  r = await get('/api/v1/orgs/330101/members?subtree=1&q=19560312');
  assert.equal(r.json.total, 1);
  assert.equal((await get('/api/v1/orgs/330101/members?subtree=true&limit=1')).json.total, 10);
  assertError(await get('/api/v1/orgs/330101/members?subtree=2'), 400, 'invalid_subtree', 'subtree');
  assertError(await get('/api/v1/orgs/330101/members?limit=0'), 400, 'invalid_limit', 'limit');
  assertError(await get('/api/v1/orgs/330101/members?limit=abc'), 400, 'invalid_limit', 'limit');
  assertError(await get('/api/v1/orgs/330101/members?offset=-1'), 400, 'invalid_offset', 'offset');
});

test('POST /members: create, and every kind of bad input', async () => {
  const id = idnum('330106', '19900101', 11); // male
  const body = { id_number: id, name: '测试员', org_code: '33010101', phone: '138-0000-1111', joined_on: '2015/7/1', status: '预备党员', migrant: true, location: '广东省深圳市' };
  let r = await post('/api/v1/members', body);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json, { id_number: id, name: '测试员', gender: 'male', birth_date: '1990-01-01', phone: '13800001111',
    org_code: '33010101', org_name: '青山村党支部', joined_on: '2015-07-01', status: 'probationary', migrant: true, location: '广东省深圳市' });
  assertError(await post('/api/v1/members', body), 409, 'member_exists', 'id_number');

  // The bad identity number answer, exactly.
  const bad = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
  r = await post('/api/v1/members', { ...body, id_number: bad });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message']);
  assert.equal(r.json.error.code, 'invalid_id_number');
  assert.equal(r.json.error.field, 'id_number');
  assert.match(r.json.error.message, /check/);
  for (const [v, why] of [['12345', /18/], ['1101051949123100AX', /17 digits/], ['99010519491231002X', /province/],
    ['110105194913310028', /birth date/], ['110105189912310028', /1900/], ['110105209912310023', /future/]]) {
    r = await post('/api/v1/members', { ...body, id_number: v });
    assertError(r, 400, 'invalid_id_number', 'id_number');
    assert.match(r.json.error.message, why, v);
  }
  const id2 = idnum('330106', '19920202', 22); // female
  assertError(await post('/api/v1/members', { ...body, id_number: id2, gender: 'male' }), 400, 'id_number_mismatch', 'gender');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, birth_date: '1992-02-03' }), 400, 'id_number_mismatch', 'birth_date');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, name: '' }), 400, 'missing_field', 'name');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, name: '=cmd()' }), 400, 'invalid_name', 'name');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, phone: 'abc' }), 400, 'invalid_phone', 'phone');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, joined_on: '2015-02-30' }), 400, 'invalid_date', 'joined_on');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, joined_on: '1980-01-01' }), 400, 'invalid_date', 'joined_on');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, status: 'gold' }), 400, 'invalid_status', 'status');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, migrant: 'yes' }), 400, 'invalid_migrant', 'migrant');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, shoe_size: 42 }), 400, 'unknown_field', 'shoe_size');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, org_code: undefined }), 400, 'missing_field', 'org_code');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, org_code: '33010201' }), 404, 'not_found', 'org_code');
  assertError(await post('/api/v1/members', { ...body, id_number: id2, name: 5 }), 400, 'invalid_type', 'name');
  r = await d.api('/api/v1/members', { method: 'POST', token: qs, body: '{"id_number": ', headers: { 'Content-Type': 'application/json' } });
  assertError(r, 400, 'invalid_json');
  // Gender and birth date that agree are fine; 女 is female; lower-case x is normalised.
  const idx = '11010519491231002X';
  r = await post('/api/v1/members', { id_number: idx.toLowerCase(), name: '王五', gender: '女', birth_date: '1949-12-31', org_code: '33010102' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.id_number, idx);
  assert.equal(r.json.gender, 'female');
  r = await get('/api/v1/members/' + idx.toLowerCase());
  assert.equal(r.status, 200);
  assert.equal(r.json.name, '王五');
});

test('GET/PATCH /members/{id}: change fields, clear, move within reach; errors', async () => {
  const id = idnum('330106', '19880808', 31);
  let r = await post('/api/v1/members', { id_number: id, name: '改名前', org_code: '33010101', phone: '13900000000' });
  assert.equal(r.status, 201);
  r = await patch('/api/v1/members/' + id, { name: '改名后', phone: null, location: '上海市', migrant: true, org_code: '33010102' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.name, '改名后');
  assert.equal(r.json.phone, null);
  assert.equal(r.json.location, '上海市');
  assert.equal(r.json.migrant, true);
  assert.equal(r.json.org_code, '33010102');
  r = await get('/api/v1/members/' + id);
  assert.equal(r.json.name, '改名后');
  assert.equal(r.json.phone, null);
  // The whole object sent back (as a page would) is accepted.
  r = await patch('/api/v1/members/' + id, { ...r.json, status: 'probationary' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'probationary');
  assertError(await patch('/api/v1/members/' + id, { id_number: ZHANG }), 400, 'id_number_immutable', 'id_number');
  assertError(await patch('/api/v1/members/' + id, { gender: 'female' }), 400, 'id_number_mismatch', 'gender');
  assertError(await patch('/api/v1/members/' + id, { org_code: '33010201' }), 404, 'not_found', 'org_code');
  assertError(await patch('/api/v1/members/' + idnum('330106', '19700101', 1), { name: 'x' }), 404, 'not_found', 'id_number');
  assertError(await get('/api/v1/members/' + idnum('330106', '19700101', 1)), 404, 'not_found', 'id_number');
  assertError(await get('/api/v1/members/123'), 400, 'invalid_id_number', 'id_number');
  assertError(await patch('/api/v1/members/123', { name: 'x' }), 400, 'invalid_id_number', 'id_number');
});

test('the ledger: manual credits, uniqueness, corrections; records and summaries follow it', async () => {
  const year = new Date().getFullYear();
  let before = await get(`/api/v1/members/${ZHANG}/record`);
  assert.equal(before.status, 200);
  assert.equal(before.json.member.id_number, ZHANG);
  assert.ok(before.json.ledger.length >= 3);
  const sumBefore = before.json.total_minutes;
  assert.equal(sumBefore, before.json.totals.reduce((a, t) => a + t.minutes, 0));
  const summaryBefore = await get(`/api/v1/orgs/330101/summary?year=${year}`);
  assert.equal(summaryBefore.status, 200);

  let r = await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 45, reason: '志愿服务', source_id: 'test-vol-1' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.kind, 'manual');
  assert.equal(r.json.by_whom, 'qingshan');
  assert.equal(r.json.minutes, 45);
  assert.equal(r.json.source_id, 'test-vol-1');
  assert.equal(r.json.corrects, null);
  assert.match(r.json.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  const credit = r.json;
  // The same event cannot be credited twice.
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 45, reason: '志愿服务', source_id: 'test-vol-1' }), 409, 'already_credited', 'source_id');
  // Without a source id, each request is its own event.
  r = await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 15, reason: '学习' });
  assert.equal(r.status, 201);
  assert.match(r.json.source_id, /^manual:/);
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 0, reason: 'x' }), 400, 'invalid_minutes', 'minutes');
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 6001, reason: 'x' }), 400, 'invalid_minutes', 'minutes');
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 1.5, reason: 'x' }), 400, 'invalid_minutes', 'minutes');
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 10 }), 400, 'missing_field', 'reason');
  assertError(await post(`/api/v1/members/${ZHANG}/credits`, { minutes: 10, reason: 'x', source_id: 'y'.repeat(129) }), 400, 'invalid_source_id', 'source_id');
  assertError(await post(`/api/v1/members/${idnum('330106', '19700101', 1)}/credits`, { minutes: 10, reason: 'x' }), 404, 'not_found');

  // A correction is a new row pointing at the corrected one.
  r = await post(`/api/v1/ledger/${credit.id}/correction`, { minutes: -20, reason: '重复登记' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.corrects, credit.id);
  assert.equal(r.json.minutes, -20);
  assert.equal(r.json.kind, 'manual');
  assert.equal(r.json.member_id, ZHANG);
  assert.notEqual(r.json.id, credit.id);
  const corr = r.json;
  assertError(await post(`/api/v1/ledger/${credit.id}/correction`, { minutes: -26, reason: '超出' }), 409, 'invalid_correction', 'minutes');
  assertError(await post(`/api/v1/ledger/${corr.id}/correction`, { minutes: 5, reason: 'x' }), 409, 'invalid_correction');
  assertError(await post(`/api/v1/ledger/${credit.id}/correction`, { minutes: 0, reason: 'x' }), 400, 'invalid_minutes', 'minutes');
  assertError(await post(`/api/v1/ledger/${credit.id}/correction`, { minutes: 5 }), 400, 'missing_field', 'reason');
  assertError(await post('/api/v1/ledger/999999/correction', { minutes: 5, reason: 'x' }), 404, 'not_found');
  assertError(await post('/api/v1/ledger/abc/correction', { minutes: 5, reason: 'x' }), 404, 'not_found');

  // The record shows both rows and totals computed from the ledger.
  const after = await get(`/api/v1/members/${ZHANG}/record`);
  assert.equal(after.json.total_minutes, sumBefore + 45 + 15 - 20);
  const ids = after.json.ledger.map((l) => l.id);
  assert.ok(ids.includes(credit.id) && ids.includes(corr.id));
  const manual = after.json.totals.find((t) => t.kind === 'manual' && t.year === year);
  assert.equal(manual.minutes, 40);
  assert.equal(manual.hours, 0.67);
  const yr = await get(`/api/v1/members/${ZHANG}/record?year=${year}`);
  assert.equal(yr.json.year, year);
  assert.ok(yr.json.totals.every((t) => t.year === year));
  const old = await get(`/api/v1/members/${ZHANG}/record?year=1990`);
  assert.equal(old.json.total_minutes, 0);
  assert.deepEqual(old.json.ledger, []);
  assertError(await get(`/api/v1/members/${ZHANG}/record?year=12`), 400, 'invalid_year', 'year');

  // The summary moves by exactly the same amount, and agrees with records.
  const summary = await get(`/api/v1/orgs/330101/summary?year=${year}`);
  assert.equal(summary.json.minutes, summaryBefore.json.minutes + 40);
  assert.equal(summary.json.member_count, summaryBefore.json.member_count);
  assert.equal(summary.json.org.code, '330101');
  let total = 0;
  for (const row of summary.json.ranking) {
    const rec = await get(`/api/v1/members/${row.id_number}/record?year=${year}`);
    assert.equal(rec.json.total_minutes, row.minutes, row.id_number);
    total += row.minutes;
  }
  assert.equal(total, summary.json.minutes);
  const mins = summary.json.ranking.map((x) => x.minutes);
  assert.deepEqual(mins, [...mins].sort((a, b) => b - a));
  assert.equal(summary.json.ranking[0].rank, 1);
  for (let i = 1; i < summary.json.ranking.length; i++) {
    const [p, c] = [summary.json.ranking[i - 1], summary.json.ranking[i]];
    assert.equal(c.rank, c.minutes === p.minutes ? p.rank : i + 1);
  }
  const empty = await get('/api/v1/orgs/330101/summary?year=1990');
  assert.equal(empty.json.minutes, 0);
  assertError(await get('/api/v1/orgs/330101/summary?year=abc'), 400, 'invalid_year', 'year');
});

const csvOf = (rows, header = 'id_number,name,org_code,phone,status,migrant,location') =>
  [header, ...rows].join('\r\n') + '\r\n';
const postCsv = (code, text, token = qs) => d.api(`/api/v1/orgs/${code}/members/import`,
  { method: 'POST', body: text, token, headers: { 'Content-Type': 'text/csv' } });

test('import: all or nothing, every bad row reported with its line', async () => {
  const count = async () => (await get('/api/v1/orgs/330101/members?subtree=1&limit=1')).json.total;
  const n0 = await count();
  const ids = manyIds(6, 500);
  const bad = ids[2].slice(0, 17) + (ids[2][17] === '1' ? '2' : '1');
  const text = csvOf([
    `${ids[0]},甲,33010101,,full,否,`,
    `${ids[1]},乙,33010102,13800000001,预备党员,是,浙江省宁波市`,
    `${bad},丙,33010101,,full,0,`,
    `${ids[3]},丁,33010201,,full,0,`,
    `${ids[4]},,33010101,,full,0,`,
    `${ids[5]},戊,33010101,,gold,maybe,`,
    `${ids[0]},甲二,33010101,,full,0,`,
  ]);
  let r = await postCsv('330101', text);
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.error.code, 'invalid_csv');
  assert.match(r.json.error.message, /5 bad rows; nothing imported/);
  const lines = r.json.error.rows.map((x) => `${x.line}:${x.field}:${x.code}`);
  assert.deepEqual(lines, [
    '4:id_number:invalid_id_number',
    '5:org_code:unknown_org',
    '6:name:missing_field',
    '7:status:invalid_status',
    '7:migrant:invalid_migrant',
    '8:id_number:duplicate_id_number',
  ]);
  assert.equal(await count(), n0, 'nothing may be imported');

  // Fixed: Chinese headers, BOM, an ignored column, a row that updates.
  const fixed = '\uFEFF' + csvOf([
    `1,${ids[0]},甲,33010101,,正式党员,否`,
    `2,${ids[1]},乙,33010102,13800000001,预备党员,是`,
    `3,${ZHANG},张建国,,13805719999,,`,
  ], '序号,身份证号,姓名,组织编码,手机,状态,流动党员');
  r = await postCsv('330101', fixed);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { imported: 3, created: 2, updated: 1, ignored_columns: ['序号'] });
  assert.equal(await count(), n0 + 2);
  const z = await get('/api/v1/members/' + ZHANG);
  assert.equal(z.json.phone, '13805719999');
  assert.equal(z.json.org_code, '33010101', 'an update without org_code keeps the org');
  assert.equal(z.json.joined_on, '1978-07-01', 'a missing column keeps the value');
  const yi = await get('/api/v1/members/' + ids[1]);
  assert.equal(yi.json.status, 'probationary');
  assert.equal(yi.json.migrant, true);
  assert.equal(yi.json.org_code, '33010102');

  // Into a branch: org_code defaults to the import's org; LF line ends.
  const more = manyIds(2, 600);
  r = await postCsv('33010102', `id_number,name\n${more[0]},己\n\n${more[1]},庚\n`);
  assert.equal(r.status, 200, r.text);
  assert.equal((await get('/api/v1/members/' + more[1])).json.org_code, '33010102');

  // Syntax errors name their line.
  r = await postCsv('330101', `id_number,name\n${more[0]},"unclosed\n`);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.rows[0].code, 'csv_syntax');
  assert.equal(r.json.error.rows[0].line, 2);
  r = await postCsv('330101', Buffer.concat([Buffer.from(`id_number,name\n${more[0]},ok\n${more[1]},`), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
  assert.equal(r.status, 400);
  assert.equal(r.json.error.rows[0].line, 3);
  assert.match(r.json.error.rows[0].message, /UTF-8/);
  r = await postCsv('330101', 'name,phone\nx,1\n');
  assert.equal(r.json.error.rows[0].code, 'missing_column');
  assert.equal(r.json.error.rows[0].field, 'id_number');
  r = await postCsv('330101', '');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.rows[0].code, 'empty_file');
  assertError(await postCsv('33010201', `id_number,name\n${more[0]},x\n`), 404, 'not_found', 'code');
});

test('import: a body over 16 MiB is 413 and imports nothing', async () => {
  const n0 = (await get('/api/v1/orgs/330101/members?subtree=1&limit=1')).json.total;
  const line = `${idnum('330106', '19700101', 1)},${'名'.repeat(30)}\n`;
  const big = 'id_number,name\n' + line.repeat(Math.ceil((17 << 20) / Buffer.byteLength(line)));
  const r = await postCsv('330101', big);
  assertError(r, 413, 'too_large');
  assert.equal((await get('/api/v1/orgs/330101/members?subtree=1&limit=1')).json.total, n0);
});

test('export: UTF-8 with BOM, English header, the subtree; re-import round-trips', async () => {
  // Raw bytes: Response.text() would drop the BOM.
  const res = await fetch(d.url + '/api/v1/orgs/330101/members/export', { headers: { Authorization: `Bearer ${qs}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  assert.match(res.headers.get('content-disposition'), /members-330101\.csv/);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const r = { text: bytes.toString('utf8') };
  assert.ok(r.text.startsWith('\uFEFFid_number,name,gender,birth_date,phone,org_code,joined_on,status,migrant,location\r\n'));
  const rows = r.text.trim().split('\r\n').slice(1);
  const total = (await get('/api/v1/orgs/330101/members?subtree=1&limit=1')).json.total;
  assert.equal(rows.length, total);
  assert.ok(rows.some((l) => l.startsWith(ZHANG + ',张建国,male,1956-03-12,')));
  assert.ok(!r.text.includes('330106198506300'), 'no member of another township');
  const again = await postCsv('330101', r.text);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.updated, total);
  assert.equal(again.json.created, 0);
  assertError(await d.api('/api/v1/orgs/33010201/members/export', { token: qs }), 404, 'not_found');
});

test('import: a new member without a name is reported with the row\'s other errors in one answer; a future date says so', async () => {
  const ids = manyIds(2, 700);
  const text = csvOf([
    `${ids[0]},,33010101,,gold,0,`,
    `${ids[1]},己,33010101,,full,0,`,
  ], 'id_number,name,org_code,phone,status,migrant,location');
  let r = await postCsv('330101', text);
  assert.equal(r.status, 400, r.text);
  const lines = r.json.error.rows.map((x) => `${x.line}:${x.field}:${x.code}`).sort();
  assert.deepEqual(lines, ['2:name:missing_field', '2:status:invalid_status']);
  assert.equal((await get(`/api/v1/members/${ids[1]}`)).status, 404, 'nothing imported');
  r = await postCsv('330101', csvOf([`${ids[1]},己,33010101,2999-01-01`], 'id_number,name,org_code,joined_on'));
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(r.json.error.rows.map((x) => `${x.line}:${x.field}:${x.code}`), ['2:joined_on:future_date']);
});
