// SPDX-License-Identifier: Apache-2.0
// Recordings through the API and the signaling protocol, without media:
// the per-meeting flag and its defaults, the host's record_start /
// record_stop announced to everyone, who may do what (members against
// administrators), bad input answered with the field, and
// a recording that received nothing failing clearly and being retried.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { connect } from '../lib/ws.mjs';
import { idNumber, ensureMember, memberToken } from '../lib/members.mjs';

let d, admin, district, member;
const M = { id_number: idNumber('330101', '19780101', 81), name: '录像成员', org_code: '33010101' };

before(async () => {
  d = await startDaemon({ ini: '[media]\ninterfaces=127.0.0.1\nworkers=1\n[meetings]\ngrace_seconds=1\nheartbeat_seconds=1\n' });
  admin = await d.login('qingshan');
  district = await d.login('district');
  await ensureMember(d, district, M);
  member = await memberToken(d, district, M.id_number);
});
after(async () => { if (d) await d.stop(); });

async function join(token, id) {
  const r = await connect(d.url);
  assert.equal(r.status, 101);
  r.ws.sendJson({ type: 'join', meeting: id, token });
  const msg = await r.ws.nextJson((m) => m.type === 'joined' || m.type === 'error', 10000);
  assert.equal(msg.type, 'joined', JSON.stringify(msg));
  return { ws: r.ws, joined: msg };
}

async function meeting(type) {
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: `录像接口 ${type}`, type, org_code: '33010101', duration_minutes: 10,
    threshold_percent: 10, members: [M.id_number] } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

test('defaults: 党课 and 支部党员大会 recorded, 支委会 and 党小组会 not', async () => {
  for (const [type, want] of [['lecture', true], ['member_assembly', true], ['committee', false], ['group', false]]) {
    const id = await meeting(type);
    const r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.record, want, type);
    assert.equal(r.json.recording, false);
  }
});

test('the host records a 支委会 from the protocol; everyone is told', async () => {
  const id = await meeting('committee');
  const host = await join(admin, id);
  const m = await join(member, id);
  assert.equal(host.joined.recording, false);
  // a member may not
  m.ws.sendJson({ type: 'host', action: 'record_start' });
  const e = await m.ws.nextJson((x) => x.type === 'error', 5000);
  assert.equal(e.code, 'forbidden');
  // the host may; both hear it
  host.ws.sendJson({ type: 'host', action: 'record_start' });
  for (const c of [host, m]) {
    const x = await c.ws.nextJson((y) => y.type === 'recording', 5000);
    assert.equal(x.on, true);
    assert.equal(x.reason, 'host');
  }
  let r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
  assert.equal(r.json.recording, true);
  assert.equal(r.json.record, true);
  assert.equal(r.json.recordings.length, 1);
  assert.equal(r.json.recordings[0].status, 'recording');
  // a member sees the list but not the raw tracks
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: member });
  assert.equal(r.status, 200);
  assert.equal(r.json.recordings[0].tracks, undefined);
  // a newcomer learns it in "joined"
  const late = await join(member, id);
  assert.equal(late.joined.recording, true);
  late.ws.destroy();
  host.ws.sendJson({ type: 'host', action: 'record_stop' });
  const off = await m.ws.nextJson((y) => y.type === 'recording' && !y.on, 5000);
  assert.equal(off.reason, 'host');
  // nothing was published: the composition fails, saying why; retry works.
  // It runs on the daemon's one background pool, after the demo lesson's
  // transcode queued at start: a generous bound.
  const rec = await (async () => {
    for (let i = 0; i < 900; i++) {
      const x = (await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin })).json.recordings[0];
      if (x.status === 'failed') return x;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('not failed');
  })();
  assert.match(rec.error, /nothing was recorded/);
  assert.equal(rec.stop_reason, 'host');
  r = await d.api(`/api/v1/meetings/${id}/recordings/${rec.id}/retry`, { method: 'POST', token: member });
  assert.equal(r.status, 403);
  r = await d.api(`/api/v1/meetings/${id}/recordings/${rec.id}/retry`, { method: 'POST', token: admin });
  assert.equal(r.status, 202, r.text);
  r = await d.api(`/api/v1/meetings/${id}/recordings/${rec.id + 1000}/retry`, { method: 'POST', token: admin });
  assert.equal(r.status, 404);
  host.ws.destroy();
  m.ws.destroy();
});

test('the flag through the API: who, and bad input', async () => {
  const id = await meeting('group');
  let r = await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: admin, body: { record: 'yes' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'record');
  r = await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: member, body: { record: true } });
  assert.equal(r.status, 403);
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
  assert.equal(r.json.record, false, 'refused requests changed nothing');
  r = await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: admin, body: { record: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.record, true);
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
  assert.equal(r.json.record, true);
  r = await d.api('/api/v1/meetings/999999/recordings', { token: admin });
  assert.equal(r.status, 404);
  r = await d.api(`/api/v1/meetings/${id}/recordings/1/tracks/1`, { token: member });
  assert.equal(r.status, 403);
});

test('the flag through the API while the meeting is live starts and stops recording now', async () => {
  const id = await meeting('group');
  const m = await join(member, id); // the meeting goes live
  assert.equal(m.joined.recording, false);
  let r = await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: admin, body: { record: true } });
  assert.equal(r.status, 200, r.text);
  const on = await m.ws.nextJson((y) => y.type === 'recording', 5000);
  assert.equal(on.on, true);
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
  assert.equal(r.json.recording, true);
  r = await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: admin, body: { record: false } });
  assert.equal(r.status, 200, r.text);
  const off = await m.ws.nextJson((y) => y.type === 'recording' && !y.on, 5000);
  assert.equal(off.on, false);
  m.ws.destroy();
});
