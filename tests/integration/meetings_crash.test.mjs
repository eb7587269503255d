// SPDX-License-Identifier: Apache-2.0
// kill -9 in the middle of a meeting: after the restart the meeting is
// closed at its last known live time (the last heartbeat, join or leave
// written), each member's attendance up to then is credited once, and a
// further restart credits nothing more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { connect } from '../lib/ws.mjs';
import { idNumber, ensureMember, memberToken, meetingCredits, sql } from '../lib/members.mjs';

// WebSocket-only clients: attendance from the join (media attendance is
// tests/integration/meetings_attendance.test.mjs and the browser tests).
const INI = '[meetings]\ngrace_seconds=2\nheartbeat_seconds=1\nattendance=signaling\n';
const A = idNumber('330101', '19850101', 11);
const B = idNumber('330101', '19850101', 22);

async function join(d, token, meeting) {
  const r = await connect(d.url);
  r.ws.sendJson({ type: 'join', meeting, token });
  const m = await r.ws.nextJson((x) => x.type === 'joined' || x.type === 'error');
  assert.equal(m.type, 'joined', JSON.stringify(m));
  return r.ws;
}

async function waitEnded(d, token, id) {
  let r;
  for (let i = 0; i < 100; i++) {
    r = await d.api(`/api/v1/meetings/${id}`, { token });
    if (r.json && r.json.status === 'ended') return r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('meeting not ended: ' + JSON.stringify(r.json));
}

test('kill -9 mid-meeting, restart: closed correctly and credited once', async () => {
  let d = await startDaemon({ ini: INI });
  const dir = d.dir;
  try {
    const admin = await d.login('qingshan');
    await ensureMember(d, admin, { id_number: A, name: '甲', org_code: '33010101' });
    await ensureMember(d, admin, { id_number: B, name: '乙', org_code: '33010101' });
    const ta = await memberToken(d, admin, A), tb = await memberToken(d, admin, B);
    const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin,
      body: { title: '崩溃测试', org_code: '33010101', duration_minutes: 1, threshold_percent: 10 } });
    const id = r.json.id;
    const t0 = Date.now();
    const wa = await join(d, ta, id);
    const wb = await join(d, tb, id);
    // B leaves after ~1 s (below the 6 s threshold); A stays until the crash.
    await new Promise((res) => setTimeout(res, 1000));
    wb.sendJson({ type: 'leave' });
    await wb.nextJson((m) => m.type === 'left');
    await new Promise((res) => setTimeout(res, 7500));
    const beforeKill = Date.now();
    const open = sql(d, `SELECT count(*) FROM attendance WHERE meeting_id=${id} AND left_at IS NULL`);
    assert.equal(open[0][0], '1', 'A is still connected (interval open) at the crash');
    await d.kill9();
    wa.destroy();

    d = await startDaemon({ ini: INI, dataDir: dir });
    const admin2 = await d.login('qingshan');
    const m = await waitEnded(d, admin2, id);
    assert.equal(m.end_reason, 'empty');
    // Ended at the last known live time: within a heartbeat of the kill.
    const endedAt = Date.parse(m.ended_at);
    assert.ok(endedAt <= beforeKill + 1000 && endedAt >= beforeKill - 2500,
      `ended_at ${m.ended_at} vs kill at ${new Date(beforeKill).toISOString()}`);
    let credits = await meetingCredits(d, admin2, id, [A, B]);
    assert.deepEqual(credits, { [A]: 1 });
    const rep = await d.api(`/api/v1/meetings/${id}/report`, { token: admin2 });
    const pa = rep.json.orgs.flatMap((o) => o.present).find((p) => p.id_number === A);
    const attended = pa.attended_seconds;
    assert.ok(attended >= 6 && attended <= (beforeKill - t0) / 1000 + 1, `A attended ${attended} s`);

    // Another crash and restart: nothing is credited again.
    await d.kill9();
    d = await startDaemon({ ini: INI, dataDir: dir });
    const admin3 = await d.login('qingshan');
    await new Promise((res) => setTimeout(res, 2500));
    credits = await meetingCredits(d, admin3, id, [A, B]);
    assert.deepEqual(credits, { [A]: 1 });
    const rows = sql(d, `SELECT count(*) FROM ledger WHERE source_id='meeting:${id}'`);
    assert.equal(rows[0][0], '1');
  } finally {
    await d.stop();
  }
});
