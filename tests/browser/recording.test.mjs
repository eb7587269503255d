// SPDX-License-Identifier: Apache-2.0
// Recordings with real clients: two members hold a 党课 (recorded by
// default) on /meet in Chromium; both pages show 录制中; the host ends the
// meeting; the recording is composed into a lesson of the organisation's
// "会议回放" course whose HLS ladder ffprobe reads with a duration within
// 1 s of the meeting's; every raw track file downloads (administrators
// only) and replays through GStreamer pcapparse ! rtpjitterbuffer !
// depayloader with no error. The meeting page and the meeting report list
// the recording for the administrator (已完成, its lesson link, the raw
// tracks) at phone and desktop size. The lesson has chapters from the
// speaker changes (at least [recordings] chapter_min_seconds apart, here 2,
// titled 发言：<member>), listed on /learn/{id}; a click on one seeks the
// player there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { idNumber, ensureMember, memberToken } from '../lib/members.mjs';
import { ffprobe, waitLesson } from '../lib/vod.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';

let d, browser, admin, district;
const members = [
  { id_number: idNumber('330101', '19760101', 41), name: '录制一', org_code: '33010101' },
  { id_number: idNumber('330101', '19760101', 52), name: '录制二', org_code: '33010101' },
];

before(async () => {
  d = await startDaemon({
    ini: '[media]\ninterfaces=127.0.0.1\nworkers=2\n[meetings]\ngrace_seconds=2\nheartbeat_seconds=1\n'
      + '[recordings]\nchapter_min_seconds=2\n',
  });
  admin = await d.login('qingshan');
  district = await d.login('district');
  for (const m of members) {
    await ensureMember(d, district, m);
    m.token = await memberToken(d, district, m.id_number);
  }
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (d && d.exited) console.log('daemon exited early:', d.exited, d.stderr.slice(-6000));
  if (d) await d.stop();
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

async function open(m, meetingId) {
  const ctx = await browser.newContext();
  await ctx.addCookies([{ name: 'yj_session', value: m.token, url: d.url }]);
  const page = await ctx.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') console.log(`[${m.name}]`, msg.text()); });
  page.on('dialog', (dlg) => dlg.accept());
  await page.goto(`${d.url}/meet/${meetingId}`);
  await page.waitForSelector('#join:not([disabled])', { timeout: 15000 });
  await page.click('#join');
  await page.waitForFunction(() => window.yjMeet.connected, null, { timeout: 15000 });
  return { ctx, page, m };
}

function frames(page) {
  return page.evaluate(async () => {
    const pc = window.yjMeet.pc;
    let n = 0;
    if (pc) (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0; });
    return n;
  });
}

function replays(file, kind) {
  const caps = kind === 'video'
    ? 'application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96'
    : 'application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111';
  const depay = kind === 'video' ? 'rtpvp8depay' : 'rtpopusdepay';
  const r = spawnSync('gst-launch-1.0', ['-q', 'filesrc', `location=${file}`, '!', 'pcapparse', 'dst-port=5004', '!',
    caps, '!', 'rtpjitterbuffer', '!', depay, '!', 'fakesink'], { encoding: 'utf8', timeout: 120000 });
  return r;
}

test('a recorded 党课 becomes a lesson; its tracks replay in GStreamer', async () => {
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: '录制测试党课', type: 'lecture', org_code: '33010101',
    duration_minutes: 10, threshold_percent: 10, host_member: members[0].id_number,
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.record, true, '党课 is recorded by default');
  assert.deepEqual(r.json.recordings, []);

  const c = [await open(members[0], id), await open(members[1], id)];
  try {
    // 录制中 on every page
    for (const x of c) await x.page.waitForSelector('#rec:not([hidden])', { timeout: 15000 });
    assert.match(await c[1].page.textContent('#rec'), /录制中/);
    for (const x of c) {
      await until(async () => { const n = await frames(x.page); return { ok: n > 20, n }; },
        `${x.m.name} decodes video`, 45000);
    }
    r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
    assert.equal(r.json.recording, true);
    assert.equal(r.json.recordings.length, 1);
    assert.equal(r.json.recordings[0].status, 'recording');
    await new Promise((res) => setTimeout(res, 5000));
    // the host ends it from the page
    await c[0].page.click('#btn-people');
    await c[0].page.click('#end');
    for (const x of c) await x.page.waitForSelector('#done:not([hidden])', { timeout: 15000 });
  } finally {
    for (const x of c) await x.ctx.close();
  }
  const meeting = (await d.api(`/api/v1/meetings/${id}`, { token: admin })).json;
  assert.equal(meeting.status, 'ended');
  const meetingSeconds = (Date.parse(meeting.ended_at) - Date.parse(meeting.started_at)) / 1000;

  // composed and handed to the course library
  const rec = (await until(async () => {
    const x = await d.api(`/api/v1/meetings/${id}/recordings`, { token: admin });
    const one = x.json.recordings[0];
    return { ok: one && (one.status === 'composed' || one.status === 'failed'), one };
  }, 'the composition', 300000)).one;
  assert.equal(rec.status, 'composed', JSON.stringify(rec));
  assert.equal(rec.progress, 100);
  assert.equal(rec.stop_reason, 'ended');
  assert.ok(rec.lesson_id > 0);
  assert.equal(rec.lesson_url, `/learn/${rec.lesson_id}`);
  assert.equal(rec.tracks.length, 4, JSON.stringify(rec.tracks)); // audio + video of each
  for (const t of rec.tracks) {
    assert.ok(t.packets > 50, `${t.file}: ${t.packets} packets`);
    assert.ok(['录制一', '录制二'].includes(t.display_name), t.display_name);
  }

  // the administrator's meeting page and report list it: 已完成, the lesson
  // link, the four raw tracks; at a phone's size and a desktop's
  const actx = await browser.newContext({ locale: 'zh-CN' });
  await actx.addCookies([{ name: 'yj_session', value: admin, url: d.url }]);
  try {
    const p = await actx.newPage();
    const pageErrors = [];
    p.on('pageerror', (e) => pageErrors.push(e.message));
    for (const [url, name] of [[`/meeting.html?id=${id}`, 'meeting-recordings'], [`/meeting-report.html?id=${id}`, 'meeting-report-recordings']]) {
      for (const vp of [PHONE, DESKTOP]) {
        await p.setViewportSize(vp);
        await p.goto(d.url + url);
        const item = p.locator(`.rec-item[data-id="${rec.id}"]`);
        await item.waitFor({ timeout: 15000 });
        assert.equal(await item.getAttribute('data-status'), 'composed');
        assert.equal((await item.locator('.rec-status').textContent()).trim(), '已完成');
        assert.equal(await item.locator('a.rec-lesson').getAttribute('href'), `/learn/${rec.lesson_id}`);
        assert.match(await item.locator('.rec-duration').textContent(), /秒/);
        assert.match(await item.locator('.rec-size').textContent(), /\d (KB|MB|GB)/);
        assert.equal(await item.locator('.rec-retry').count(), 0, 'no retry for a composed recording');
        const links = await item.locator('.rec-tracks a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        assert.deepEqual(links.sort(), rec.tracks.map((t) => t.download_url).sort());
        await checkPage(p, name);
      }
    }
    // English is available on the same list
    await p.goto(`${d.url}/meeting.html?id=${id}&lang=en`);
    await p.locator('.rec-item .rec-status').waitFor({ timeout: 15000 });
    assert.equal((await p.locator('.rec-item .rec-status').textContent()).trim(), 'Done');
    await p.goto(`${d.url}/meeting.html?id=${id}&lang=zh-CN`);
    assert.deepEqual(pageErrors, []);
  } finally {
    await actx.close();
  }
  const lesson = await waitLesson(d, admin, rec.lesson_id, { timeout: 300000 });
  assert.equal(lesson.status, 'ready', JSON.stringify(lesson));
  const course = (await d.api(`/api/v1/courses/${lesson.course_id}`, { token: admin })).json;
  assert.equal(course.title, '会议回放');
  assert.match(lesson.title, /录制测试党课/);
  const dur = Number(ffprobe(['-show_entries', 'format=duration', '-of', 'csv=p=0', lesson.hls_url]).trim());
  console.log(`meeting ${meetingSeconds} s, recording ${rec.duration_ms} ms, lesson ${dur} s`);
  assert.ok(Math.abs(dur - meetingSeconds) <= 1, `lesson ${dur} s vs meeting ${meetingSeconds} s`);
  assert.ok(Math.abs(dur - rec.duration_ms / 1000) <= 0.5, `lesson ${dur} s vs recording ${rec.duration_ms} ms`);
  // mid-meeting both cameras are tiles on the dark canvas: the picture is
  // far from uniform (Chromium's fake camera draws a bright pattern)
  const mid = (dur / 2).toFixed(2);
  const st = spawnSync('ffmpeg', ['-v', 'error', '-ss', mid, '-i', lesson.hls_url, '-frames:v', '1', '-vf',
    'signalstats,metadata=print:file=-', '-f', 'null', '-'], { encoding: 'utf8', timeout: 60000 });
  const yavg = Number(/YAVG=([\d.]+)/.exec(st.stdout)?.[1]);
  const ymax = Number(/YMAX=([\d.]+)/.exec(st.stdout)?.[1]);
  console.log(`frame at ${mid} s: YAVG ${yavg}, YMAX ${ymax}`);
  if (process.env.YJ_KEEP) spawnSync('ffmpeg', ['-v', 'error', '-y', '-ss', mid, '-i', lesson.hls_url, '-frames:v', '1', '/tmp/yj-rec-frame.png']);
  assert.ok(ymax - yavg > 40, `a uniform picture: ${st.stdout}${st.stderr}`);

  // chapters: the speakers (Chromium's fake microphones beep, so the room
  // elects speakers), each titled with a member's name, from 0 on
  const names = members.map((m) => `发言：${m.name}`);
  console.log('chapters', JSON.stringify(lesson.chapters));
  assert.ok(Array.isArray(lesson.chapters) && lesson.chapters.length >= 1, JSON.stringify(lesson));
  assert.equal(lesson.chapters[0].start, 0);
  for (const [i, ch] of lesson.chapters.entries()) {
    assert.ok(names.includes(ch.title), ch.title);
    if (i > 0) {
      assert.ok(ch.start - lesson.chapters[i - 1].start >= 2, JSON.stringify(lesson.chapters));
      assert.notEqual(ch.title, lesson.chapters[i - 1].title, 'neighbours are different speakers');
    }
    assert.ok(ch.start < dur, `${ch.start} s within the lesson's ${dur} s`);
  }
  // the player lists them; a click seeks there
  const lctx = await browser.newContext({ locale: 'zh-CN' });
  await lctx.addCookies([{ name: 'yj_session', value: admin, url: d.url }]);
  try {
    const p = await lctx.newPage();
    const pageErrors = [];
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${d.url}/learn/${rec.lesson_id}`);
    await p.waitForSelector('#chapters:not([hidden]) #chapter-list button', { timeout: 30000 });
    const shown = await p.locator('#chapter-list button').evaluateAll((bs) => bs.map((b) => b.textContent));
    assert.equal(shown.length, lesson.chapters.length);
    for (const [i, ch] of lesson.chapters.entries()) assert.ok(shown[i].includes(ch.title), shown[i]);
    await p.waitForFunction(() => document.getElementById('video').readyState >= 1, null, { timeout: 60000 });
    // the last chapter if it starts later than 0; else move away first
    const target = lesson.chapters[lesson.chapters.length - 1];
    const away = target.start > 1 ? 0 : Math.min(dur - 1, 5);
    await p.evaluate((t) => { document.getElementById('video').currentTime = t; }, away);
    await p.waitForFunction((t) => Math.abs(document.getElementById('video').currentTime - t) < 0.5, away, { timeout: 30000 });
    await p.locator('#chapter-list button').last().click();
    await p.waitForFunction((t) => Math.abs(document.getElementById('video').currentTime - t) < 1.5,
      target.start, { timeout: 30000 });
    await p.waitForSelector('#chapter-list button[aria-current="true"]', { timeout: 30000 });
    await checkPage(p, 'learn-chapters');
    assert.deepEqual(pageErrors, []);
  } finally {
    await lctx.close();
  }
  // a member of the meeting sees the list without raw tracks, and no download
  r = await d.api(`/api/v1/meetings/${id}/recordings`, { token: members[1].token });
  assert.equal(r.status, 200);
  assert.equal(r.json.recordings[0].tracks, undefined);
  r = await d.api(rec.tracks[0].download_url, { token: members[1].token });
  assert.equal(r.status, 403);

  // every raw track replays through pcapparse ! rtpjitterbuffer ! depay
  const dir = mkdtempSync(join(tmpdir(), 'yj-rec-dl-'));
  try {
    for (const t of rec.tracks) {
      const res = await fetch(d.url + t.download_url, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
      const file = join(dir, t.file);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      const g = replays(file, t.kind);
      assert.equal(g.status, 0, `${t.file}: ${g.stderr}${g.stdout}`);
      assert.doesNotMatch(g.stderr + g.stdout, /ERROR/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
