// SPDX-License-Identifier: Apache-2.0
// The meetings REST API: scheduling rules (subtree, invitations, migrants,
// host), visibility (404 outside), start/end permissions, the report, the
// /meet page route and the demo meeting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { idNumber, ensureMember, memberToken } from '../lib/members.mjs';

let d, district, qingshan, lvshui;
const A = idNumber('330101', '19700101', 101); // 青山村
const Z = idNumber('330101', '19700101', 202); // 竹林村
const M = idNumber('330102', '19700101', 303); // 河畔社区, migrant
const N = idNumber('330102', '19700101', 404); // 新桥社区, not migrant
const tok = {};

before(async () => {
  d = await startDaemon();
  district = await d.login('district');
  qingshan = await d.login('qingshan');
  lvshui = await d.login('lvshui');
  await ensureMember(d, district, { id_number: A, name: '青山党员', org_code: '33010101' });
  await ensureMember(d, district, { id_number: Z, name: '竹林党员', org_code: '33010102' });
  await ensureMember(d, district, { id_number: M, name: '流动党员', org_code: '33010201', migrant: true });
  await ensureMember(d, district, { id_number: N, name: '新桥党员', org_code: '33010202' });
  for (const id of [A, Z, M, N]) tok[id] = await memberToken(d, district, id);
});
after(async () => { if (d) await d.stop(); });

function create(token, body) {
  return d.api('/api/v1/meetings', { method: 'POST', token, body });
}

test('the demo meeting is open to every demo member', async () => {
  const r = await d.api('/api/v1/meetings', { token: district });
  const demo = r.json.meetings.find((m) => m.title === '演示会议');
  assert.ok(demo, 'demo meeting exists');
  assert.deepEqual(demo.invited_orgs.map((o) => o.code), ['330100']);
  const mine = await d.api(`/api/v1/meetings/${demo.id}`, { token: tok[N] });
  assert.equal(mine.status, 200);
  assert.equal(mine.json.join_url, `/meet/${demo.id}`);
});

test('scheduling validates every field and names it', async () => {
  let r = await create(qingshan, { org_code: '33010101' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'title');
  r = await create(qingshan, { title: 't', org_code: '33010101', type: 'party' });
  assert.equal(r.json.error.field, 'type');
  r = await create(qingshan, { title: 't', org_code: '33010101', start: 'tomorrow' });
  assert.equal(r.json.error.field, 'start');
  r = await create(qingshan, { title: 't', org_code: '33010101', duration_minutes: 0 });
  assert.equal(r.json.error.field, 'duration_minutes');
  r = await create(qingshan, { title: 't', org_code: '33010101', threshold_percent: 101 });
  assert.equal(r.json.error.field, 'threshold_percent');
  r = await create(qingshan, { title: 't', org_code: '33010201' });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.field, 'org_code');
  r = await create(qingshan, { title: 't', org_code: '33010101', orgs: ['33010202'] });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.field, 'orgs');
  r = await create(qingshan, { title: 't', org_code: '33010101', members: [N] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'members');
  r = await create(qingshan, { title: 't', org_code: '33010101', host_admin: 'lvshui' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'host_admin');
  r = await create(A, { title: 't', org_code: '33010101' });
  assert.equal(r.status, 401);
  r = await create(tok[A], { title: 't', org_code: '33010101' });
  assert.equal(r.status, 403);
});

test('a branch meeting with a migrant member: who sees it, who may run it', async () => {
  let r = await create(qingshan, {
    title: '青山村支部党员大会', type: '支部党员大会', org_code: '33010101',
    start: '2030-12-01T09:00:00+08:00', duration_minutes: 90, members: [M],
  });
  assert.equal(r.status, 201, r.text);
  const m = r.json;
  assert.equal(r.headers.get('location'), `/api/v1/meetings/${m.id}`);
  assert.equal(m.type, 'member_assembly');
  assert.equal(m.type_name, '支部党员大会');
  assert.equal(m.start, '2030-12-01T01:00:00Z');
  assert.equal(m.threshold_percent, 50);
  assert.equal(m.threshold_seconds, 45 * 60);
  assert.equal(m.status, 'scheduled');
  assert.equal(m.host.username, 'qingshan');
  assert.equal(m.host.name, '王丽华'); // the real name, not the login name
  assert.deepEqual(m.invited_orgs.map((o) => o.code), ['33010101']);
  assert.deepEqual(m.invited_members.map((x) => [x.id_number, x.migrant]), [[M, true]]);

  // Visibility: the organiser's admins and invited members; 404 for others.
  for (const [who, status] of [[district, 200], [qingshan, 200], [lvshui, 404], [tok[A], 200], [tok[M], 200], [tok[Z], 404], [tok[N], 404]]) {
    r = await d.api(`/api/v1/meetings/${m.id}`, { token: who });
    assert.equal(r.status, status);
  }
  r = await d.api('/api/v1/meetings?status=scheduled', { token: tok[M] });
  assert.ok(r.json.meetings.some((x) => x.id === m.id));
  r = await d.api('/api/v1/meetings', { token: lvshui });
  assert.ok(!r.json.meetings.some((x) => x.id === m.id));
  r = await d.api('/api/v1/meetings?status=over', { token: lvshui });
  assert.equal(r.status, 400);

  // Only the host side may start, end and read the report.
  r = await d.api(`/api/v1/meetings/${m.id}/start`, { method: 'POST', token: tok[A] });
  assert.equal(r.status, 403);
  r = await d.api(`/api/v1/meetings/${m.id}/report`, { token: tok[A] });
  assert.equal(r.status, 403);
  r = await d.api(`/api/v1/meetings/${m.id}/start`, { method: 'POST', token: qingshan });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'live');
  r = await d.api(`/api/v1/meetings/${m.id}/report`, { token: district });
  assert.equal(r.status, 200);
  // Invited: everyone whose home org is 青山村 (demo members included) and the migrant.
  const branch = (await d.api('/api/v1/orgs/33010101/members?limit=500', { token: district })).json.total;
  assert.ok(branch >= 1);
  assert.deepEqual(r.json.totals, { invited: branch + 1, present: 0, absent: branch + 1, credited: 0, late: 0 });
  assert.deepEqual(r.json.orgs.map((o) => [o.code, o.absent.length]), [['33010101', branch], ['33010201', 1]]);
  assert.ok(r.json.orgs[0].absent.some((x) => x.id_number === A));
  r = await d.api(`/api/v1/meetings/${m.id}/end`, { method: 'POST', token: district });
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ended');
  assert.equal(r.json.end_reason, 'admin');
  assert.equal(r.json.credited, 0);
  r = await d.api(`/api/v1/meetings/${m.id}/end`, { method: 'POST', token: district });
  assert.equal(r.status, 409);
  r = await d.api(`/api/v1/meetings/${m.id}/start`, { method: 'POST', token: qingshan });
  assert.equal(r.status, 409);
});

test('a member can host; the host member may end the meeting', async () => {
  let r = await create(qingshan, { title: '党小组会', type: 'group', org_code: '33010101', host_member: A });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.host.kind, 'member');
  assert.equal(r.json.host.id_number, A);
  const id = r.json.id;
  r = await d.api(`/api/v1/meetings/${id}`, { token: tok[A] });
  assert.equal(r.json.you_host, true);
  r = await d.api(`/api/v1/meetings/${id}/end`, { method: 'POST', token: tok[A] });
  assert.equal(r.status, 200);
  assert.equal(r.json.end_reason, 'host');
});

test('unknown meeting ids are 404', async () => {
  for (const p of ['/api/v1/meetings/999999', '/api/v1/meetings/abc', '/api/v1/meetings/0/report']) {
    const r = await d.api(p, { token: district });
    assert.equal(r.status, 404, p);
  }
});

test('a start in the past is refused; edit and cancel only before the start', async () => {
  const hourAgo = new Date(Date.now() - 3600e3).toISOString();
  let r = await create(qingshan, { title: '过去的会', org_code: '33010101', start: hourAgo });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'start_in_past');
  assert.equal(r.json.error.field, 'start');
  const inAnHour = new Date(Date.now() + 3600e3).toISOString();
  r = await create(qingshan, { title: '要改的会', org_code: '330101', start: inAnHour, orgs: ['33010101', '33010102'], members: [M] });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  // Only the fields given change; a new list replaces the old one.
  r = await d.api(`/api/v1/meetings/${id}`, { method: 'PATCH', token: qingshan, body: { title: '改过的会', orgs: ['33010102'] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.title, '改过的会');
  assert.deepEqual(r.json.invited_orgs.map((o) => o.code), ['33010102']);
  assert.deepEqual(r.json.invited_members.map((x) => x.id_number), [M]);
  assert.equal(r.json.duration_minutes, 60);
  r = await d.api(`/api/v1/meetings/${id}`, { method: 'PATCH', token: qingshan, body: { start: hourAgo } });
  assert.equal(r.json.error.code, 'start_in_past');
  r = await d.api(`/api/v1/meetings/${id}`, { method: 'PATCH', token: lvshui, body: { title: 'x' } });
  assert.equal(r.status, 404);
  r = await d.api(`/api/v1/meetings/${id}`, { method: 'PATCH', token: tok[Z], body: { title: 'x' } });
  assert.equal(r.status, 403);
  // Cancelled: gone, nothing credited.
  r = await d.api(`/api/v1/meetings/${id}`, { method: 'DELETE', token: qingshan });
  assert.equal(r.status, 204);
  r = await d.api(`/api/v1/meetings/${id}`, { token: qingshan });
  assert.equal(r.status, 404);
  // Once started it can be neither edited nor cancelled.
  r = await create(qingshan, { title: '已开始的会', org_code: '33010101' });
  const live = r.json.id;
  r = await d.api(`/api/v1/meetings/${live}/start`, { method: 'POST', token: qingshan });
  assert.equal(r.status, 200);
  r = await d.api(`/api/v1/meetings/${live}`, { method: 'PATCH', token: qingshan, body: { title: 'x' } });
  assert.equal(r.status, 409);
  r = await d.api(`/api/v1/meetings/${live}`, { method: 'DELETE', token: qingshan });
  assert.equal(r.status, 409);
  r = await d.api(`/api/v1/meetings/${live}/report`, { token: qingshan });
  assert.equal(r.json.totals.late, 0);
  assert.equal(r.json.late_after_seconds, 300);
});

test('invitees: the subtree by part of a name, other organisations only migrants by full name or number', async () => {
  let r = await d.api(`/api/v1/meetings/invitees?q=${encodeURIComponent('青山党')}`, { token: qingshan });
  assert.equal(r.status, 200);
  assert.ok(r.json.members.some((x) => x.id_number === A && x.in_subtree));
  r = await d.api(`/api/v1/meetings/invitees?q=${encodeURIComponent('流动')}`, { token: qingshan });
  assert.ok(!r.json.members.some((x) => x.id_number === M), 'part of a name finds no one outside');
  r = await d.api(`/api/v1/meetings/invitees?q=${encodeURIComponent('流动党员')}`, { token: qingshan });
  assert.ok(r.json.members.some((x) => x.id_number === M && !x.in_subtree && x.migrant));
  r = await d.api(`/api/v1/meetings/invitees?q=${M.toLowerCase()}`, { token: qingshan });
  assert.ok(r.json.members.some((x) => x.id_number === M));
  r = await d.api(`/api/v1/meetings/invitees?q=${N}`, { token: qingshan });
  assert.deepEqual(r.json.members, [], 'a non-migrant outside is not found');
  r = await d.api('/api/v1/meetings/invitees?q=', { token: qingshan });
  assert.equal(r.status, 400);
  r = await d.api(`/api/v1/meetings/invitees?q=x`, { token: tok[A] });
  assert.equal(r.status, 403);
});

test('attendance over time: ended meetings of the subtree with invited, present and credited counts', async () => {
  let r = await create(qingshan, { title: '出席率统计用', org_code: '33010101', members: [M] });
  const id = r.json.id;
  const rep = (await d.api(`/api/v1/meetings/${id}/report`, { token: qingshan })).json;
  r = await d.api(`/api/v1/meetings/${id}/end`, { method: 'POST', token: qingshan });
  assert.equal(r.status, 200);
  r = await d.api('/api/v1/orgs/330101/meetings/attendance', { token: qingshan });
  assert.equal(r.status, 200, r.text);
  const row = r.json.meetings.find((x) => x.id === id);
  assert.ok(row, 'the ended meeting is listed');
  assert.deepEqual([row.invited, row.present, row.credited], [rep.totals.invited, 0, 0]);
  r = await d.api('/api/v1/orgs/330102/meetings/attendance', { token: lvshui });
  assert.ok(!r.json.meetings.some((x) => x.id === id), 'another township does not see it');
  r = await d.api('/api/v1/orgs/330102/meetings/attendance', { token: qingshan });
  assert.equal(r.status, 404);
  r = await d.api('/api/v1/orgs/330101/meetings/attendance?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', { token: qingshan });
  assert.equal(r.status, 400);
  r = await d.api('/api/v1/orgs/330101/meetings/attendance?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z', { token: qingshan });
  assert.deepEqual(r.json.meetings, []);
});
