// SPDX-License-Identifier: Apache-2.0
// Playback progress and credit over HTTP: resume point across devices,
// impossible reports refused with the field named and nothing changed,
// seeking to the end earns nothing, watching twice counts once, credit
// exactly once, sendBeacon-style reports (cookie, text/plain), durability
// of an acknowledged report across kill -9, the learning page, the
// organisation report and ranking, and the xAPI export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../lib/vod.mjs';

let d, admin, lesson, alice, bob, outsider, tokA, tokB, tokO;

before(async () => {
  d = await startDaemon(); // the demo lesson (20 s, district-wide) is the subject
  admin = await d.login('district');
  const l = await waitLesson(d, admin, 1, { timeout: 180000 });
  assert.equal(l.status, 'ready');
  lesson = l;
  alice = await addMember(d, { id: idNumber(11), name: '王红', org: '33010101' });
  bob = await addMember(d, { id: idNumber(12), name: '李明', org: '33010202' });
  tokA = await loginMember(d, alice.id);
  tokB = await loginMember(d, bob.id);
});

after(async () => { if (d) await d.stop(); });

const post = (tok, body, id = lesson.id) => d.api(`/api/v1/lessons/${id}/progress`, { method: 'POST', token: tok, body });
const progress = async (tok) => (await d.api(`/api/v1/lessons/${lesson.id}/progress`, { token: tok })).json;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ledger(member) {
  const r = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), `.timeout 5000`,
    `SELECT kind, source_id, minutes FROM ledger WHERE member_id = '${member}'`], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

test('a member gets the signed URL, duration, hours and no resume point yet', async () => {
  const r = await d.api(`/api/v1/lessons/${lesson.id}`, { token: tokA });
  assert.equal(r.status, 200);
  assert.match(r.json.hls_url, /^http:\/\/127\.0\.0\.1:\d+\/hls\/1\/[\w-]{16}\/\d+\/[\w-]{43}\/master\.m3u8$/);
  assert.ok(!r.json.hls_url.includes(alice.id), 'no identity number in the URL');
  assert.ok(Math.abs(r.json.duration - 20) < 0.2);
  assert.equal(r.json.hours, 0.5);
  assert.equal(r.json.progress.resume, null);
  // Bob is in another township but the demo lesson is for the district.
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { token: tokB })).status, 200);
  // The catalog shows the course to members.
  const c = await d.api('/api/v1/courses?q=入门', { token: tokA });
  assert.equal(c.json.total, 1);
  assert.equal((await d.api('/api/v1/courses?q=没有这个', { token: tokA })).json.total, 0);
});

test('impossible reports are refused with the field named, and change nothing', async () => {
  let r = await post(tokA, { position: 8, intervals: [[0, 8]], event: 'play' });
  assert.equal(r.status, 200, r.text);
  const before = await progress(tokA);
  // Bob's first report claims 20 s watched: more than 2 × wall time + slack.
  r = await post(tokB, { position: 20, intervals: [[0, 10], [10, 20]] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'impossible_progress');
  assert.equal(r.json.error.field, 'intervals');
  // Outside the media.
  r = await post(tokB, { position: 5, intervals: [[0, 5], [18, 25]] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'intervals');
  r = await post(tokB, { position: 400, intervals: [] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'position');
  r = await post(tokB, { position: 1, intervals: [[3, 2]] });
  assert.equal(r.json.error.field, 'intervals[0]');
  r = await post(tokB, { position: 1, event: 'rewind' });
  assert.equal(r.json.error.field, 'event');
  r = await d.api(`/api/v1/lessons/${lesson.id}/progress`, { method: 'POST', token: tokB, body: '{"position": 1,' });
  assert.equal(r.status, 400);
  // Bob has nothing stored.
  const pb = await progress(tokB);
  assert.equal(pb.started, false);
  assert.deepEqual(await progress(tokA), before);
});

test('seeking to the end earns nothing', async () => {
  const c = await addMember(d, { id: idNumber(13), name: '赵刚', org: '33010102' });
  const tok = await loginMember(d, c.id);
  let r = await post(tok, { position: 1, intervals: [[0, 1]], event: 'play' });
  r = await post(tok, { position: 19.9, intervals: [], event: 'seek', from: 1 });
  assert.equal(r.status, 200);
  r = await post(tok, { position: 20, intervals: [[19.9, 20]], event: 'ended' });
  assert.equal(r.status, 200);
  assert.equal(r.json.completed, false);
  assert.equal(r.json.credited, false);
  assert.ok(r.json.watched < 1.5);
  assert.deepEqual(ledger(c.id), []);
  // At the very end there is nothing to resume.
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { token: tok })).json.progress.resume, null);
});

test('watching a part twice counts once; credit exactly once', async () => {
  const m = await addMember(d, { id: idNumber(14), name: '孙丽', org: '33010201' });
  const tok = await loginMember(d, m.id);
  for (let i = 0; i < 3; i++) {
    const r = await post(tok, { position: 6, intervals: [[0, 6]] });
    assert.equal(r.status, 200);
    assert.equal(r.json.watched, 6);
  }
  let r = await post(tok, { position: 12, intervals: [[6, 12]] });
  assert.equal(r.json.watched, 12);
  assert.equal(r.json.credited, false);
  // 12 s of the one 15 s slack are spent; the last 8 s (6.5 now, 1.5 at
  // the end) need ≥ 2.5 s of wall time at the credited 2× rate.
  await sleep(3000);
  r = await post(tok, { position: 18.5, intervals: [[3, 18.5]], event: 'pause' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.watched, 18.5);
  assert.equal(r.json.completed, true);
  assert.equal(r.json.credited, true);
  r = await post(tok, { position: 20, intervals: [[18.5, 20]], event: 'ended' });
  assert.equal(r.json.completed, true);
  assert.equal(r.json.credited, false);
  assert.deepEqual(ledger(m.id), ['lesson|lesson:1|30']);
  // The learning page shows it completed with its hours.
  const me = (await d.api('/api/v1/me/learning', { token: tok })).json;
  assert.equal(me.completed.length, 1);
  assert.equal(me.completed[0].credited_minutes, 30);
  assert.equal(me.lesson_hours, 0.5);
  assert.equal(me.in_progress.length, 0);
});

test('37 back-to-back reports cannot script a credit (issue 13)', async () => {
  // The attack from the issue: many reports in a burst, each claiming a
  // little more. Only one slack is granted per viewing, not one per report.
  const m = await addMember(d, { id: idNumber(15), name: '周强', org: '33010201' });
  const tok = await loginMember(d, m.id);
  const phone = await loginMember(d, m.id); // a second device shares the budget
  let accepted = 0, credited = false, last;
  const t0 = Date.now();
  for (let i = 0; i < 37; i++) {
    const a = +(i * 0.55).toFixed(2), b = +((i + 1) * 0.55).toFixed(2);
    const r = await post(i % 2 ? phone : tok, { position: Math.min(b, 20), intervals: [[a, Math.min(b, 20)]] });
    if (r.status === 200) { accepted++; credited ||= r.json.credited; last = r.json; }
    else assert.equal(r.json.error.code, 'impossible_progress');
  }
  const wall = (Date.now() - t0) / 1000;
  assert.equal(credited, false, `credited after ${accepted} reports in ${wall} s`);
  assert.ok(accepted > 0);
  assert.ok(last.watched <= 15 + 2 * wall + 0.01, `watched ${last.watched} s in ${wall} s`);
  assert.deepEqual(ledger(m.id), []);
});

test('a flood of player events is coalesced, not stored one by one (issue 13)', async () => {
  const m = await addMember(d, { id: idNumber(16), name: '吴敏', org: '33010201' });
  const tok = await loginMember(d, m.id);
  const t0 = Date.now();
  for (let i = 0; i < 300; i++) {
    const r = await post(tok, { position: 1, intervals: [], event: i % 2 ? 'pause' : 'play' });
    assert.equal(r.status, 200);
  }
  const wall = (Date.now() - t0) / 1000;
  const out = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), '.timeout 5000',
    `SELECT count(*) FROM vod_events WHERE member_id = '${m.id}'`], { encoding: 'utf8' });
  const rows = Number(out.stdout.trim());
  // At most 4 rows per 10 s window (core/store_vod.h), however many events.
  assert.ok(rows >= 2 && rows <= 4 * (Math.floor(wall / 10) + 1), `${rows} rows for 300 events in ${wall} s`);
});

test('resume works across devices (another session of the same member)', async () => {
  const phone = tokA;
  let r = await post(phone, { position: 11.5, intervals: [], event: 'pause' });
  assert.equal(r.status, 200);
  const pc = await loginMember(d, alice.id); // a second device
  r = await d.api(`/api/v1/lessons/${lesson.id}`, { token: pc });
  assert.equal(r.json.progress.resume, 11.5);
  assert.equal(r.json.progress.position, 11.5);
  assert.ok(r.json.progress.watched > 0);
  const me = (await d.api('/api/v1/me/learning', { token: pc })).json;
  assert.equal(me.in_progress.length, 1);
  assert.equal(me.in_progress[0].position, 11.5);
});

test('a sendBeacon report (cookie, text/plain) is accepted', async () => {
  const r = await d.api('/api/v1/session', { method: 'POST', body: { id_number: bob.id, password: bob.password } });
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const b = await fetch(`${d.url}/api/v1/lessons/${lesson.id}/progress`, {
    method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', Cookie: cookie },
    body: JSON.stringify({ position: 4, intervals: [[0, 4]], event: 'hide' }) });
  assert.equal(b.status, 200, await b.text());
  assert.equal((await progress(tokB)).position, 4);
});

test('who may report: members only, and only for lessons assigned to them', async () => {
  let r = await post(admin, { position: 1 });
  assert.equal(r.status, 403);
  r = await d.api(`/api/v1/lessons/${lesson.id}/progress`, { method: 'POST', body: { position: 1 } });
  assert.equal(r.status, 401);
  // A lesson only for 330102's subtree is invisible to Alice (330101).
  const c = (await d.api('/api/v1/courses', { method: 'POST', token: admin, body: { title: '绿水专题' } })).json.id;
  r = await d.api(`/api/v1/lessons/${lesson.id}`, { method: 'PATCH', token: admin, body: { orgs: ['330102'] } });
  assert.equal(r.status, 200);
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { token: tokA })).status, 404);
  assert.equal((await post(tokA, { position: 1 })).status, 404);
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { token: tokB })).status, 200);
  r = await d.api(`/api/v1/lessons/${lesson.id}`, { method: 'PATCH', token: admin, body: { orgs: ['330100'] } });
  assert.equal(r.status, 200);
  // A township administrator may look at the district's lesson but not change it.
  const tw = await d.login('qingshan');
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { token: tw })).status, 200);
  assert.equal((await d.api(`/api/v1/lessons/${lesson.id}`, { method: 'PATCH', token: tw, body: { title: 'x' } })).status, 403);
  assert.equal((await d.api(`/api/v1/courses/${c}`, { method: 'DELETE', token: tw })).status, 403);
  assert.equal((await d.api(`/api/v1/courses/${c}`, { method: 'DELETE', token: admin })).status, 204);
});

test('organisation report, ranking and the xAPI export', async () => {
  let r = await d.api('/api/v1/orgs/330100/learning', { token: admin });
  assert.equal(r.status, 200);
  const l1 = r.json.lessons.find((x) => x.lesson_id === lesson.id);
  assert.ok(l1.members >= 4);
  assert.equal(l1.completed, 1);
  assert.ok(l1.started >= 3);
  const sun = r.json.members.find((m) => m.name === '孙丽');
  assert.equal(sun.minutes, 30);
  assert.equal(sun.hours, 0.5);
  assert.ok(r.json.idle.some((m) => m.name === '王红'));
  assert.ok(!r.json.idle.some((m) => m.name === '孙丽'));
  // A township administrator sees only their subtree; another subtree is 404.
  const tw = await d.login('qingshan');
  r = await d.api('/api/v1/orgs/330101/learning', { token: tw });
  assert.equal(r.status, 200);
  assert.ok(r.json.members.every((m) => m.org_code.startsWith('330101')));
  assert.equal((await d.api('/api/v1/orgs/330102/learning', { token: tw })).status, 404);
  assert.equal((await d.api('/api/v1/orgs/330100/learning?quarter=5', { token: admin })).json.error.field, 'quarter');
  r = await d.api('/api/v1/orgs/330100/learning/ranking', { token: admin });
  // (the demo data may hold other lesson credits: check order, not places)
  const inRank = r.json.members.find((m) => m.name === '孙丽');
  assert.equal(inRank.minutes, 30);
  assert.ok(!r.json.members.some((m) => m.name === '王红'), 'no hours, not ranked');
  for (let i = 1; i < r.json.members.length; i++) {
    assert.ok(r.json.members[i].minutes <= r.json.members[i - 1].minutes);
    assert.ok(r.json.members[i].rank >= r.json.members[i - 1].rank);
  }
  assert.deepEqual(r.json.orgs.map((o) => o.org_code).sort(), ['330101', '330102']);
  for (let i = 1; i < r.json.orgs.length; i++)
    assert.ok(r.json.orgs[i].hours_per_member <= r.json.orgs[i - 1].hours_per_member);
  // xAPI: the member's own export, or an administrator's in scope.
  r = await d.api(`/api/v1/members/${alice.id}/xapi`, { token: tokA });
  assert.equal(r.status, 200);
  const verbs = r.json.statements.map((s) => s.verb.id.split('/').pop());
  assert.ok(verbs.includes('played') && verbs.includes('paused'), verbs.join());
  const paused = r.json.statements.find((s) => s.verb.id.endsWith('/paused'));
  assert.equal(paused.actor.account.name, alice.id);
  assert.equal(paused.object.definition.type, 'https://w3id.org/xapi/video/activity-type/video');
  assert.match(paused.result.extensions['https://w3id.org/xapi/video/extensions/played-segments'], /^\d+(\.\d+)?\[\.\]\d+(\.\d+)?/);
  assert.equal(paused.context.extensions['https://w3id.org/xapi/video/extensions/completion-threshold'], 0.9);
  assert.equal(paused.context.extensions['https://w3id.org/xapi/video/extensions/length'], lesson.duration);
  const sunId = sun.id_number;
  r = await d.api(`/api/v1/members/${sunId}/xapi`, { token: admin });
  const done = r.json.statements.filter((s) => s.verb.id === 'http://adlnet.gov/expapi/verbs/completed');
  assert.equal(done.length, 1);
  assert.equal(done[0].result.completion, true);
  // Paged: one event per page, followed to the end, gives the same
  // statements; bad paging parameters name the field.
  const paged = [];
  let after = null;
  for (let i = 0; i < 100; i++) {
    const p = await d.api(`/api/v1/members/${sunId}/xapi?limit=1${after ? '&after=' + after : ''}`, { token: admin });
    assert.equal(p.status, 200);
    paged.push(...p.json.statements.map((s) => s.id));
    after = p.json.next;
    if (!after) break;
  }
  assert.ok(paged.length > 1);
  assert.deepEqual(paged.sort(), r.json.statements.map((s) => s.id).sort());
  assert.equal((await d.api(`/api/v1/members/${sunId}/xapi?limit=0`, { token: admin })).json.error.field, 'limit');
  assert.equal((await d.api(`/api/v1/members/${sunId}/xapi?limit=99999`, { token: admin })).json.error.field, 'limit');
  assert.equal((await d.api(`/api/v1/members/${sunId}/xapi?after=9223372036854775808`, { token: admin })).json.error.field, 'after');
  // Ids are stable across exports.
  const again = await d.api(`/api/v1/members/${sunId}/xapi`, { token: admin });
  assert.deepEqual(again.json.statements.map((s) => s.id), r.json.statements.map((s) => s.id));
  assert.equal((await d.api(`/api/v1/members/${sunId}/xapi`, { token: tokA })).status, 404);
  assert.equal((await d.api(`/api/v1/members/${sunId}/xapi`, { token: tw })).status, 404);
});

test('an acknowledged report survives kill -9', async () => {
  const e = await startDaemon();
  let e2;
  try {
    const tok = await e.login('district');
    await waitLesson(e, tok, 1, { timeout: 180000 });
    const m = await addMember(e, { id: idNumber(21), org: '33010201' });
    const mt = await loginMember(e, m.id);
    let r = await e.api('/api/v1/lessons/1/progress', { method: 'POST', token: mt, body: { position: 7.25, intervals: [[0, 7.25]], event: 'pause' } });
    assert.equal(r.status, 200);
    await e.kill9();
    e2 = await startDaemon({ dataDir: e.dir });
    const mt2 = await loginMember(e2, m.id);
    r = await e2.api('/api/v1/lessons/1', { token: mt2 });
    assert.equal(r.json.progress.position, 7.25);
    assert.equal(r.json.progress.resume, 7.25);
    assert.equal(r.json.progress.watched, 7.25);
  } finally {
    if (e2) await e2.stop();
    else (await import('node:fs')).rmSync(e.dir, { recursive: true, force: true });
  }
});
