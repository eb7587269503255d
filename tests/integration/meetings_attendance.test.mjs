// SPDX-License-Identifier: Apache-2.0
// Attendance comes from media actually flowing (issue 13): a member whose
// WebSocket has joined a meeting but whose media peer never connects (no
// ICE, no DTLS) is not present — no attendance interval, no credit —
// however long the socket stays open. The positive side (an interval opens
// when the browser's peer connects, one interval across an ICE restart) is
// tests/browser/ice_restart.test.mjs with a real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { connect } from '../lib/ws.mjs';
import { idNumber, ensureMember, memberToken, meetingCredits, sql } from '../lib/members.mjs';

const A = idNumber('330101', '19860101', 41);

test('a WebSocket left open without media earns no attendance', async () => {
  const d = await startDaemon({ ini: '[meetings]\ngrace_seconds=1\nheartbeat_seconds=1\n' });
  try {
    const admin = await d.login('qingshan');
    await ensureMember(d, admin, { id_number: A, name: '只连信令', org_code: '33010101' });
    const ta = await memberToken(d, admin, A);
    let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
      body: { title: '只开信令不算出席', org_code: '33010101', duration_minutes: 1, threshold_percent: 5 } });
    assert.equal(r.status, 201, r.text);
    const id = r.json.id;
    const c = await connect(d.url);
    c.ws.sendJson({ type: 'join', meeting: id, token: ta });
    const j = await c.ws.nextJson((m) => m.type === 'joined' || m.type === 'error');
    assert.equal(j.type, 'joined', JSON.stringify(j));
    assert.equal(j.media, true, 'the server has a media plane');
    // 5 % of a minute is 3 s: hold the socket open (pinging) well past it.
    for (let i = 0; i < 6; i++) {
      c.ws.sendJson({ type: 'ping' });
      await new Promise((res) => setTimeout(res, 1000));
    }
    const rows = sql(d, `SELECT count(*) FROM attendance WHERE meeting_id=${id} AND member_id='${A}'`);
    assert.equal(rows[0][0], '0', 'no attendance interval without media');
    c.ws.sendJson({ type: 'leave' });
    await c.ws.nextJson((m) => m.type === 'left');
    r = await d.api(`/api/v1/meetings/${id}/end`, { method: 'POST', token: admin, body: {} });
    const credits = await meetingCredits(d, admin, id, [A]);
    assert.deepEqual(credits, {}, 'no credit without media');
    c.ws.destroy();
  } finally {
    await d.stop();
  }
});
