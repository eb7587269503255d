// SPDX-License-Identifier: Apache-2.0
// Admission of meeting members: while the media workers are full (here:
// [media] max_handshakes=1 and one WHIP publisher whose handshake never
// finishes), a member's join is answered with the error at_capacity (the
// meeting page shows "人数已满，请稍后"), counted and logged once, and no
// attendance is recorded; the host still comes in; once the handshake is
// gone the member is admitted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { connect } from '../lib/ws.mjs';
import { idNumber, ensureMember, memberToken, sql } from '../lib/members.mjs';

let d, admin, meeting, token;
const A = idNumber('330101', '19800101', 515);

before(async () => {
  d = await startDaemon({ ini: '[media]\ninterfaces=127.0.0.1\nworkers=1\nmax_load_percent=0\nmax_handshakes=1\n' });
  admin = await d.login('qingshan');
  await ensureMember(d, admin, { id_number: A, name: '青山满员', org_code: '33010101' });
  token = await memberToken(d, admin, A);
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
    body: { title: '满员测试', org_code: '33010101', duration_minutes: 10, threshold_percent: 10 } });
  assert.equal(r.status, 201, r.text);
  meeting = r.json.id;
});
after(async () => { if (d) await d.stop(); });

async function tryJoin(tok) {
  const r = await connect(d.url);
  assert.equal(r.status, 101);
  r.ws.sendJson({ type: 'join', meeting, token: tok, id: 'j1' });
  const msg = await r.ws.nextJson((m) => m.type === 'joined' || m.type === 'error');
  return { ws: r.ws, msg };
}

// A publisher that never answers ICE: its peer stays in its handshake.
function stuckOffer() {
  const fp = Array.from({ length: 32 }, (_, i) => (i * 5 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=ice-ufrag:stck', 'a=ice-pwd:meetingadmissionpassword0',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:active', 'a=ssrc:777 cname:stuck', ''].join('\r\n');
}

test('a member is told the meeting is full while the media workers are; the host is not', async () => {
  const pub = await d.api('/whip/stuck', { method: 'POST', token: admin, body: stuckOffer(),
    headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(pub.status, 201, pub.text);

  const refused = await tryJoin(token);
  assert.equal(refused.msg.type, 'error', JSON.stringify(refused.msg));
  assert.equal(refused.msg.code, 'at_capacity');
  assert.equal(refused.msg.id, 'j1');
  assert.match(refused.msg.message, /full/);
  refused.ws.destroy();
  // Nothing recorded for the refused member.
  assert.deepEqual(sql(d, `SELECT COUNT(*) FROM attendance WHERE meeting_id = ${meeting}`), [['0']]);

  // The host (the speaker) always comes in.
  const host = await tryJoin(admin);
  assert.equal(host.msg.type, 'joined', JSON.stringify(host.msg));

  const metrics = (await d.api('/metrics')).text;
  assert.match(metrics, /^yj_meeting_joins_refused_total [1-9]/m);
  assert.match(metrics, /^yj_media_admission_refused_total\{reason="handshakes"\} [1-9]/m);
  assert.match(d.stderr, /at capacity: refusing meeting members: 1 handshakes under way on 1 worker\(s\) \(max_handshakes=1 per worker\)/);

  // The stuck handshake goes: the member is admitted.
  const del = await d.api(pub.headers.get('location'), { method: 'DELETE', token: admin });
  assert.equal(del.status, 200);
  const again = await tryJoin(token);
  assert.equal(again.msg.type, 'joined', JSON.stringify(again.msg));
  again.ws.destroy();
  host.ws.destroy();
});
