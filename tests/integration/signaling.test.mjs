// SPDX-License-Identifier: Apache-2.0
// WebSocket signaling over a real socket: the RFC 6455 handshake and frame
// rules (masking, fragmentation, control frames, close codes, the message
// size limit), the JSON protocol's errors (the session stays up), joins and
// leaves seen by others, host actions, and attendance written at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { connect, frame } from '../lib/ws.mjs';
import { idNumber, ensureMember, memberToken, sql, meetingCredits } from '../lib/members.mjs';

let d, admin, meeting, other;
const A = idNumber('330101', '19800101', 11);
const B = idNumber('330101', '19800101', 22);
const C = idNumber('330102', '19800101', 33); // other township, not invited
const tokens = {};

before(async () => {
  d = await startDaemon({ ini: '[meetings]\ngrace_seconds=2\nheartbeat_seconds=1\nmax_message_bytes=4096\n# WebSocket-only clients: attendance from the join (no media here)\nattendance=signaling\n' });
  admin = await d.login('qingshan');
  const district = await d.login('district');
  await ensureMember(d, admin, { id_number: A, name: '青山甲', org_code: '33010101' });
  await ensureMember(d, admin, { id_number: B, name: '青山乙', org_code: '33010101' });
  await ensureMember(d, district, { id_number: C, name: '河畔丙', org_code: '33010201' });
  tokens.A = await memberToken(d, admin, A);
  tokens.B = await memberToken(d, admin, B);
  tokens.C = await memberToken(d, district, C);
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '支部党员大会（测试）', type: '支部党员大会', org_code: '33010101', duration_minutes: 1, threshold_percent: 10 } });
  assert.equal(r.status, 201, r.text);
  meeting = r.json.id;
  r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '另一个会', org_code: '33010101', duration_minutes: 1, threshold_percent: 10 } });
  other = r.json.id;
});
after(async () => { if (d) await d.stop(); });

async function open(opts) {
  const r = await connect(d.url, opts);
  assert.equal(r.status, 101);
  return r.ws;
}

async function join(token, id = meeting, extra = {}) {
  const ws = await open();
  ws.sendJson({ type: 'join', meeting: id, token, ...extra });
  const msg = await ws.nextJson((m) => m.type === 'joined' || m.type === 'error');
  assert.equal(msg.type, 'joined', JSON.stringify(msg));
  return { ws, me: msg.you, joined: msg };
}

test('handshake: accept key, version, key, upgrade and origin checks', async () => {
  let r = await connect(d.url);
  assert.equal(r.status, 101); // connect() verified Sec-WebSocket-Accept
  r.ws.destroy();
  r = await connect(d.url, { version: '8' });
  assert.equal(r.status, 426);
  assert.equal(r.headers['sec-websocket-version'], '13');
  r = await connect(d.url, { key: 'c2hvcnQ=' });
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).error.field, 'Sec-WebSocket-Key');
  r = await connect(d.url, { headers: { Origin: 'http://evil.example' } });
  assert.equal(r.status, 403);
  r = await connect(d.url, { headers: { Origin: d.url } });
  assert.equal(r.status, 101);
  r.ws.destroy();
  const plain = await d.api('/ws');
  assert.equal(plain.status, 426);
});

test('ping is answered with the same payload; fragments with a ping between them form one message', async () => {
  const ws = await open();
  ws.sendFrame({ opcode: 9, payload: 'are you there' });
  const pong = await ws.nextOf('pong');
  assert.equal(pong.data.toString(), 'are you there');
  assert.equal(pong.masked, false);
  const text = JSON.stringify({ type: 'ping', id: 'frag' });
  ws.sendFrame({ opcode: 1, payload: text.slice(0, 5), fin: false });
  ws.sendFrame({ opcode: 9, payload: 'x' });
  ws.sendFrame({ opcode: 0, payload: text.slice(5, 12), fin: false });
  ws.sendFrame({ opcode: 0, payload: text.slice(12), fin: true });
  assert.equal((await ws.nextOf('pong')).data.toString(), 'x');
  const reply = await ws.nextJson();
  assert.deepEqual(reply, { type: 'pong', id: 'frag' });
  ws.close(1000, 'bye');
  const c = await ws.nextOf('close');
  assert.equal(c.code, 1000);
  await ws.closed;
});

test('a message over the limit is closed with 1009', async () => {
  const ws = await open();
  ws.send('x'.repeat(5000));
  const c = await ws.nextOf('close');
  assert.equal(c.code, 1009);
  await ws.closed;
});

test('protocol violations close with 1002 or 1007', async () => {
  let ws = await open();
  ws.sendFrame({ opcode: 1, payload: '{"type":"ping"}', mask: false });
  assert.equal((await ws.nextOf('close')).code, 1002);
  ws = await open();
  ws.sendFrame({ opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) });
  assert.equal((await ws.nextOf('close')).code, 1007);
  ws = await open();
  ws.sendFrame({ opcode: 0, payload: 'orphan' });
  assert.equal((await ws.nextOf('close')).code, 1002);
  ws = await open();
  ws.sendFrame({ opcode: 1, payload: 'x', rsv: 4 });
  assert.equal((await ws.nextOf('close')).code, 1002);
  ws = await open();
  ws.sendFrame({ opcode: 9, payload: 'x'.repeat(126) });
  assert.equal((await ws.nextOf('close')).code, 1002);
  ws = await open();
  ws.sendFrame({ opcode: 2, payload: Buffer.from([1, 2, 3]) });
  assert.equal((await ws.nextOf('close')).code, 1003);
});

test('bad JSON and bad messages get an error naming the problem; the session stays up', async () => {
  const ws = await open();
  ws.send('{"type": "join", ');
  let e = await ws.nextJson();
  assert.equal(e.type, 'error');
  assert.equal(e.code, 'bad_json');
  assert.match(e.message, /line 1, column \d+/);
  ws.sendJson({ type: 'dance', id: 'q1' });
  e = await ws.nextJson();
  assert.equal(e.code, 'unknown_type');
  assert.equal(e.id, 'q1');
  ws.sendJson({ type: 'join' });
  e = await ws.nextJson();
  assert.equal(e.code, 'bad_message');
  assert.equal(e.field, 'meeting');
  ws.sendJson({ type: 'hand', raised: true });
  e = await ws.nextJson();
  assert.equal(e.code, 'not_joined');
  ws.sendJson({ type: 'join', meeting, token: 'not-a-real-token' });
  e = await ws.nextJson();
  assert.equal(e.code, 'unauthorized');
  ws.sendJson({ type: 'join', meeting, token: tokens.C });
  e = await ws.nextJson();
  assert.equal(e.code, 'forbidden');
  ws.sendJson({ type: 'join', meeting: 999999, token: tokens.A });
  e = await ws.nextJson();
  assert.equal(e.code, 'not_found');
  ws.sendJson({ type: 'ping', id: 'still-here' });
  assert.deepEqual(await ws.nextJson(), { type: 'pong', id: 'still-here' });
  ws.destroy();
});

test('join and leave are seen by others and written to the store at once', async () => {
  const a = await join(tokens.A, other);
  assert.equal(a.me.kind, 'member');
  assert.equal(a.me.name, '青山甲');
  let rows = sql(d, `SELECT member_id, left_at IS NULL FROM attendance WHERE meeting_id=${other}`);
  assert.deepEqual(rows, [[A, '1']]);
  const b = await join(tokens.B, other);
  assert.equal(b.joined.participants.length, 2);
  const seen = await a.ws.nextJson((m) => m.type === 'participant_joined');
  assert.equal(seen.participant.pid, b.me.pid);
  assert.equal(seen.participant.name, '青山乙');
  // Raise a hand: everyone sees it.
  b.ws.sendJson({ type: 'hand', raised: true });
  const up = await a.ws.nextJson((m) => m.type === 'participant_updated');
  assert.equal(up.participant.pid, b.me.pid);
  assert.equal(up.participant.hand, true);
  // A bad SDP is an error; the session stays up.
  b.ws.sendJson({ type: 'offer', sdp: 'hello' });
  const e = await b.ws.nextJson((m) => m.type === 'error');
  assert.equal(e.code, 'bad_sdp');
  assert.equal(e.field, 'sdp');
  // B leaves: A sees it, the interval is closed in the store.
  b.ws.sendJson({ type: 'leave' });
  await b.ws.nextJson((m) => m.type === 'left');
  const left = await a.ws.nextJson((m) => m.type === 'participant_left');
  assert.equal(left.pid, b.me.pid);
  rows = sql(d, `SELECT member_id, left_at IS NULL FROM attendance WHERE meeting_id=${other} ORDER BY id`);
  assert.deepEqual(rows, [[A, '1'], [B, '0']]);
  // A drops without a close frame: counted as left too.
  a.ws.destroy();
  for (let i = 0; i < 50; i++) {
    rows = sql(d, `SELECT count(*) FROM attendance WHERE meeting_id=${other} AND left_at IS NULL`);
    if (rows[0][0] === '0') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(rows[0][0], '0');
});

test('host actions: only the host may act; mute, remove, end; credits once', async () => {
  const host = await join(admin, meeting);
  assert.equal(host.me.host, true);
  assert.equal(host.me.kind, 'admin');
  const a = await join(tokens.A, meeting, { device: 'phone' });
  const a2 = await join(tokens.A, meeting, { device: 'pc' }); // a second device of A
  const b = await join(tokens.B, meeting);
  assert.equal(a.me.host, false);
  // A member is not the host.
  a.ws.sendJson({ type: 'host', action: 'end', id: 'nope' });
  let e = await a.ws.nextJson((m) => m.type === 'error');
  assert.equal(e.code, 'forbidden');
  assert.equal(e.id, 'nope');
  // Mute B's audio.
  host.ws.sendJson({ type: 'host', action: 'mute', pid: b.me.pid, kind: 'audio' });
  const muted = await b.ws.nextJson((m) => m.type === 'muted_by_host');
  assert.equal(muted.kind, 'audio');
  const up = await a.ws.nextJson((m) => m.type === 'participant_updated' && m.participant.pid === b.me.pid);
  assert.equal(up.participant.audio_muted, true);
  // Stay long enough to pass the 6 s threshold (10% of 1 minute).
  await new Promise((r) => setTimeout(r, 7000));
  // Remove B: B is told and disconnected with 4001; the others see it.
  host.ws.sendJson({ type: 'host', action: 'remove', pid: b.me.pid });
  await b.ws.nextJson((m) => m.type === 'removed');
  assert.equal((await b.ws.nextOf('close')).code, 4001);
  await a.ws.nextJson((m) => m.type === 'participant_left' && m.pid === b.me.pid);
  // End: everyone is told and disconnected with 4000.
  host.ws.sendJson({ type: 'host', action: 'end' });
  for (const p of [a, a2, host]) {
    const ended = await p.ws.nextJson((m) => m.type === 'ended');
    assert.equal(ended.reason, 'host');
    assert.equal((await p.ws.nextOf('close')).code, 4000);
  }
  const r = await d.api(`/api/v1/meetings/${meeting}`, { token: admin });
  assert.equal(r.json.status, 'ended');
  const credits = await meetingCredits(d, admin, meeting, [A, B]);
  // A's two devices merge into one credit; B was there about 7 s too.
  assert.deepEqual(Object.keys(credits).sort(), [A, B].sort());
  assert.equal(credits[A], 1);
  // Joining an ended meeting is refused.
  const ws = await open();
  ws.sendJson({ type: 'join', meeting, token: tokens.A });
  e = await ws.nextJson();
  assert.equal(e.code, 'meeting_ended');
  ws.destroy();
  // The report lists A present (two joins) and credited.
  const rep = await d.api(`/api/v1/meetings/${meeting}/report`, { token: admin });
  assert.equal(rep.status, 200);
  const present = rep.json.orgs.flatMap((o) => o.present);
  const pa = present.find((p) => p.id_number === A);
  assert.equal(pa.joins, 2);
  assert.equal(pa.credited_minutes, 1);
});

test('an empty meeting ends after the grace period, at the time the last one left', async () => {
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '宽限测试', org_code: '33010101', duration_minutes: 1, threshold_percent: 50 } });
  const id = r.json.id;
  const a = await join(tokens.A, id);
  a.ws.sendJson({ type: 'leave' });
  await a.ws.nextJson((m) => m.type === 'left');
  const leftAt = Date.now();
  for (let i = 0; i < 60; i++) {
    r = await d.api(`/api/v1/meetings/${id}`, { token: admin });
    if (r.json.status === 'ended') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(r.json.status, 'ended');
  assert.equal(r.json.end_reason, 'empty');
  assert.ok(Date.now() - leftAt >= 1500, 'ended before the grace period');
  assert.ok(Math.abs(Date.parse(r.json.ended_at) - leftAt) < 2000, 'ended_at is the leave time');
  // Below the threshold (30 s of a minute): no credit.
  assert.deepEqual(await meetingCredits(d, admin, id, [A]), {});
});

test('a reconnect can replace the old connection of the same person', async () => {
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '重连测试', org_code: '33010101' } });
  const id = r.json.id;
  const watcher = await join(tokens.B, id);
  const first = await join(tokens.A, id);
  await watcher.ws.nextJson((m) => m.type === 'participant_joined');
  const second = await join(tokens.A, id, { replaces: first.me.pid });
  await first.ws.nextJson((m) => m.type === 'replaced');
  assert.equal((await first.ws.nextOf('close')).code, 4002);
  const gone = await watcher.ws.nextJson((m) => m.type === 'participant_left');
  assert.equal(gone.pid, first.me.pid);
  assert.equal(gone.reason, 'replaced');
  // Someone else's pid cannot be replaced.
  const third = await join(tokens.B, id, { replaces: second.me.pid });
  assert.equal(third.joined.participants.filter((p) => p.pid === second.me.pid).length, 1);
  r = await d.api(`/api/v1/meetings/${id}/end`, { method: 'POST', token: admin });
  assert.equal(r.status, 200);
});

test('WHIP/WHEP into a meeting room: invited members, host and subtree admins only', async () => {
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '推流授权', org_code: '33010101' } });
  const room = `meeting-${r.json.id}`;
  const lvshui = await d.login('lvshui');
  const post = (path, token) => d.api(path, { method: 'POST', token, body: '',
    headers: { 'Content-Type': 'application/sdp' } });
  // Authorised callers get past the authorizer to the (empty) SDP: 400.
  for (const t of [tokens.A, admin]) {
    assert.equal((await post(`/whep/${room}`, t)).status, 400);
    assert.equal((await post(`/whip/${room}`, t)).status, 400);
  }
  // Not invited, another township's admin, nobody: refused.
  assert.equal((await post(`/whep/${room}`, tokens.C)).status, 403);
  assert.equal((await post(`/whip/${room}`, lvshui)).status, 403);
  assert.equal((await post(`/whep/${room}`, undefined)).status, 401);
  // Rooms that are not meetings: administrators only.
  assert.equal((await post('/whep/lecture-hall', tokens.A)).status, 403);
  assert.equal((await post('/whep/lecture-hall', admin)).status, 400);
  // An ended meeting takes no one.
  await d.api(`/api/v1/meetings/${r.json.id}/end`, { method: 'POST', token: admin });
  assert.equal((await post(`/whep/${room}`, tokens.A)).status, 403);
});
