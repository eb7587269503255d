// SPDX-License-Identifier: Apache-2.0
// kill -9 during a recorded meeting: two Chromium members hold a 党课 on
// /meet; the daemon is killed with SIGKILL mid-meeting; at the next start
// the recording is found, its files cut at the last whole record, and it
// is composed into a lesson that covers the meeting up to the last second
// before the kill.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { idNumber, ensureMember, memberToken } from '../lib/members.mjs';
import { ffprobe, waitLesson } from '../lib/vod.mjs';

const INI = '[media]\ninterfaces=127.0.0.1\nworkers=2\n[meetings]\ngrace_seconds=2\nheartbeat_seconds=1\n';
let d, d2, browser;
const members = [
  { id_number: idNumber('330101', '19770101', 61), name: '断电一', org_code: '33010101' },
  { id_number: idNumber('330101', '19770101', 72), name: '断电二', org_code: '33010101' },
];

after(async () => {
  if (browser) await browser.close();
  if (d2 && d2.exited) console.log('restarted daemon exited early:', d2.exited, d2.stderr.slice(-6000));
  if (d2) await d2.stop();
  if (d && !d2) rmSync(d.dir, { recursive: true, force: true });
});

async function until(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last && last.ok) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

test('kill -9 mid-meeting: the recording up to the last second becomes a lesson', async () => {
  d = await startDaemon({ ini: INI });
  const admin = await d.login('qingshan');
  const district = await d.login('district');
  for (const m of members) {
    await ensureMember(d, district, m);
    m.token = await memberToken(d, district, m.id_number);
  }
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: '断电测试党课', type: 'lecture', org_code: '33010101',
    duration_minutes: 10, threshold_percent: 10, host_member: members[0].id_number,
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  browser = await launch();
  const ctxs = [];
  for (const m of members) {
    const ctx = await browser.newContext();
    await ctx.addCookies([{ name: 'yj_session', value: m.token, url: d.url }]);
    const page = await ctx.newPage();
    await page.goto(`${d.url}/meet/${id}`);
    await page.waitForSelector('#join:not([disabled])', { timeout: 15000 });
    await page.click('#join');
    await page.waitForSelector('#rec:not([hidden])', { timeout: 20000 });
    ctxs.push({ ctx, page });
  }
  for (const { page } of ctxs) {
    await until(async () => {
      const n = await page.evaluate(async () => {
        let f = 0;
        const pc = window.yjMeet.pc;
        if (pc) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') f += s.framesDecoded || 0; });
        return f;
      });
      return { ok: n > 20, n };
    }, 'video flowing', 45000);
  }
  const before = (await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin })).json.recordings[0];
  assert.equal(before.status, 'recording');
  await new Promise((res) => setTimeout(res, 6000));
  const killedAt = Date.now();
  await d.kill9();
  for (const { ctx } of ctxs) await ctx.close();

  d2 = await startDaemon({ ini: INI, dataDir: d.dir });
  assert.match(d2.stderr, /recovered/);
  const admin2 = await d2.login('qingshan');
  const rec = (await until(async () => {
    const x = await d2.api(`/api/v1/meetings/${id}/recordings`, { token: admin2 });
    const one = x.json.recordings.find((y) => y.id === before.id);
    return { ok: one && (one.status === 'composed' || one.status === 'failed'), one, n: x.json.recordings.length };
  }, 'the recovered composition', 300000)).one;
  assert.equal(rec.status, 'composed', JSON.stringify(rec));
  assert.equal(rec.stop_reason, 'crash');
  const recorded = rec.duration_ms / 1000;
  const lived = (killedAt - before.started_us / 1000) / 1000;
  console.log(`meeting ran ${lived.toFixed(2)} s before the kill; recovered ${recorded.toFixed(2)} s`);
  // at most the last second (plus the kill's own latency) is lost
  assert.ok(recorded >= lived - 1.5 && recorded <= lived + 0.2, `recovered ${recorded} s of ${lived} s`);
  for (const t of rec.tracks) assert.ok(t.packets > 50 && t.closed === 1, JSON.stringify(t));
  const lesson = await waitLesson(d2, admin2, rec.lesson_id, { timeout: 300000 });
  assert.equal(lesson.status, 'ready', JSON.stringify(lesson));
  const dur = Number(ffprobe(['-show_entries', 'format=duration', '-of', 'csv=p=0', lesson.hls_url]).trim());
  assert.ok(Math.abs(dur - recorded) <= 0.5, `lesson ${dur} s vs recording ${recorded} s`);
  // the empty meeting recovered after the restart records nothing more
  const all = (await d2.api(`/api/v1/meetings/${id}/recordings`, { token: admin2 })).json.recordings;
  assert.equal(all.length, 1, JSON.stringify(all));
});
