// SPDX-License-Identifier: Apache-2.0
// A channel stays on the air (issue 10): the real daemon with its playout
// on sends a channel to 127.0.0.1 (loopback only) and build/yj-tscheck
// captures it, while the test
//  - edits the schedule under the programme on the air (a new title and an
//    earlier end): the stream never breaks (our TS analysis: 0 continuity
//    errors, PTS every ≤ 700 ms, DTS strictly rising, PCR on the line), the
//    programme is not restarted, and the slate follows at the new end;
//  - restarts the daemon (kill -9) in the middle of a programme: the new
//    playout resumes the lesson at the point the wall clock says, found by
//    matching the first pictures after the restart against the lesson's own
//    (the demo lesson draws a progress bar and the elapsed seconds);
//  - schedules a lesson whose files are missing, then one whose segment
//    is corrupt: the slate goes on, a line is logged and
//    yj_iptv_source_errors_total counts each.
// Pictures are told apart by colour: the slate's blue top and bottom rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, readFileSync, renameSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { waitLesson } from '../lib/vod.mjs';

const TSCHECK = join(process.env.YJ_BUILD_DIR || 'build', 'yj-tscheck');
const BR = 800000;
let d, admin, dir, skip = null, dataDir;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function iso8(ms) { return new Date(ms + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00'; }

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function run(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (b) => { out += b; });
  p.stderr.on('data', (b) => { err += b; });
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err })));
}

function capture(port, seconds, file) {
  return run(TSCHECK, ['--bitrate', String(BR), '--seconds', String(seconds), '--out', file, `udp://127.0.0.1:${port}`]);
}

function assertValid(c, what) {
  assert.equal(c.code, 0, c.err);
  const r = JSON.parse(c.out);
  assert.ok(r.datagrams > 100, `${what}: datagrams`);
  assert.equal(r.cc_errors, 0, `${what}: continuity errors`);
  assert.equal(r.dts_backwards, 0, `${what}: DTS going back`);
  assert.equal(r.dts_repeats, 0, `${what}: DTS repeated`);
  assert.ok(r.pcr_max_ms <= 40 && r.pcr_max_acc_ns <= 500, `${what}: PCR`);
  assert.ok(r.pts_max_ms <= 700, `${what}: PTS every ≤ 700 ms (${r.pts_max_ms})`);
  assert.ok(r.windows >= 2 && r.br_min >= BR * 0.99 && r.br_max <= BR * 1.01, `${what}: constant bitrate`);
  return r;
}

// Decoded pictures, each averaged down to 64×36 grey (w×h) plus whether
// the top and bottom rows are the slate's blue.
function frames(file, input = []) {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', ...input, '-i', file, '-an', '-vsync', 'passthrough',
    '-vf', 'scale=64:36:flags=area,format=rgb24', '-f', 'rawvideo', '-'], { maxBuffer: 512 << 20 });
  assert.equal(r.status, 0, String(r.stderr));
  const n = 64 * 36 * 3, out = [];
  for (let o = 0; o + n <= r.stdout.length; o += n) {
    const grey = new Float32Array(64 * 36);
    let slate = true;
    for (let i = 0; i < 64 * 36; i++) {
      const R = r.stdout[o + 3 * i], G = r.stdout[o + 3 * i + 1], B = r.stdout[o + 3 * i + 2];
      grey[i] = (R + G + B) / 3;
      const y = Math.floor(i / 64);
      if ((y < 4 || y >= 32) && (Math.abs(R - 0x1E) > 30 || Math.abs(G - 0x3A) > 30 || Math.abs(B - 0x5F) > 30)) slate = false;
    }
    out.push({ grey, slate });
  }
  return out;
}

function runs(fr) {
  const out = [];
  for (const f of fr) {
    const k = f.slate ? 'slate' : 'lesson';
    if (out.length && out[out.length - 1].k === k) out[out.length - 1].n++;
    else out.push({ k, n: 1 });
  }
  return out;
}

function metric(text, name) {
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => '\\' + c)} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function channel(number, port) {
  const r = await d.api('/api/v1/channels', { method: 'POST', token: admin,
    body: { number, name: `测试${number}台`, address: '127.0.0.1', port, bitrate: BR } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

async function programme(ch, body) {
  const r = await d.api(`/api/v1/channels/${ch}/programmes`, { method: 'POST', token: admin,
    body: { kind: 'lesson', lesson_id: 1, ...body } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

async function waitLog(re, from = 0, tries = 480) {
  for (let i = 0; i < tries; i++) {
    const m = re.exec(d.stderr.slice(from));
    if (m) return m;
    await sleep(250);
  }
  assert.fail(`never logged: ${re}`);
}

before(async () => {
  if (!existsSync(TSCHECK)) { skip = 'build yj-tscheck first'; return; }
  if (spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) { skip = 'ffmpeg is not installed'; return; }
  dataDir = mkdtempSync(join(tmpdir(), 'yj-onair-'));
  d = await startDaemon({ playout: true, dataDir });
  admin = await d.login('district');
  await waitLesson(d, admin, 1, { timeout: 300000 });
  dir = mkdtempSync(join(tmpdir(), 'yj-onair-cap-'));
});

after(async () => {
  if (d) await d.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a schedule edit under the programme on the air keeps the stream going', async (t) => {
  if (skip) { t.skip(skip); return; }
  const port = await freeUdpPort();
  const ch = await channel(71, port);
  // it starts in 3 s, so it goes on the air from the lesson's beginning
  const t0 = Math.ceil(Date.now() / 1000) * 1000 + 3000;
  const mark = d.stderr.length;
  const pid = await programme(ch, { title: '农业技术：水稻种植', start: iso8(t0), end: iso8(t0 + 120e3) });
  await waitLog(/channel 71: on air: 农业技术：水稻种植/, mark);
  const cap = join(dir, 'edit.ts');
  const check = capture(port, 25, cap);
  await sleep(2000);
  const progs = metric((await d.api('/metrics')).text, 'yj_iptv_programmes_total{channel="71"}');
  // the edit: a new title, and the end 6 s from now (the 20-s lesson,
  // on since about 2 s, is still playing then) instead of 2 minutes
  const newEnd = Math.ceil(Date.now() / 1000) * 1000 + 6000;
  const r = await d.api(`/api/v1/channels/${ch}/programmes/${pid}`, { method: 'PATCH', token: admin,
    body: { title: '农业技术：水稻种植（改）', end: iso8(newEnd) } });
  assert.equal(r.status, 200, r.text);
  const c = await check;
  assertValid(c, 'across the edit');
  // not restarted by the edit: on the air once, no programme change but
  // (perhaps) the slate's at the new end
  assert.equal(d.stderr.slice(mark).match(/channel 71: on air: /g).length, 1, 'on the air once');
  const progs2 = metric((await d.api('/metrics')).text, 'yj_iptv_programmes_total{channel="71"}');
  assert.ok(progs2 >= progs && progs2 <= progs + 1, `programme changes ${progs} → ${progs2}`);
  const seq = runs(frames(cap));
  console.log(seq.map((x) => `${x.k}×${x.n}`).join(' '));
  // (the log says "on air" when the producer takes it, about a second
  // before its first pictures leave: the capture may begin on the slate)
  const i = seq.findIndex((x) => x.k === 'lesson');
  assert.ok(i === 0 || i === 1, 'the lesson from the start of the capture');
  assert.equal(seq[i + 1]?.k, 'slate', 'the slate after the lesson');
  assert.equal(seq.length, i + 2, 'nothing else');
  assert.ok(seq[i].n >= 4 * 25, 'the lesson played on through the edit');
  assert.ok(seq[i].n <= 15 * 25, 'the lesson was cut at the new end, before its own');
  assert.ok(seq[i + 1].n >= 8 * 25, 'the slate from the new end on');
});

test('after a restart the playout resumes the programme where the wall clock says', async (t) => {
  if (skip) { t.skip(skip); return; }
  const port = await freeUdpPort();
  const ch = await channel(72, port);
  const start = Date.now() - 8000; // the 20-s lesson is past its first segment when the new daemon is up
  await programme(ch, { title: '乡村振兴讲座', start: iso8(start), end: iso8(start + 120e3) });
  await waitLog(/channel 72: on air: 乡村振兴讲座/);
  await d.kill9();
  const cap = join(dir, 'restart.ts');
  const check = capture(port, 15, cap);
  d = await startDaemon({ playout: true, dataDir });
  const m = await waitLog(/(\S+) INFO\s+iptv: channel 72: on air: 乡村振兴讲座/);
  const onAir = Date.parse(m[1]);
  assertValid(await check, 'after the restart');
  // the first lesson picture on the air, found in the lesson itself
  const lessonDir = join(dataDir, 'vod', 'lessons', '1');
  const rend = readdirSync(lessonDir).filter((x) => /^\d+p$/.test(x)).sort((a, b) => parseInt(a) - parseInt(b))[0];
  const pl = readFileSync(join(lessonDir, rend, 'index.m3u8'), 'utf8');
  const seg = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(pl)[1]);
  const ref = frames(join(lessonDir, rend, 'index.m3u8'));
  const all = frames(cap);
  console.log('after the restart:', runs(all).map((x) => `${x.k}×${x.n}`).join(' '));
  const got = all.filter((f) => !f.slate);
  assert.ok(got.length > 25, 'the lesson is on the air after the restart');
  const best = (f) => {
    let bi = -1, bd = Infinity;
    ref.forEach((g, i) => {
      let s = 0;
      for (let k = 0; k < g.grey.length; k++) s += Math.abs(g.grey[k] - f.grey[k]);
      if (s < bd) { bd = s; bi = i; }
    });
    return bi;
  };
  const at = best(got[0]) / 25, at2 = best(got[25]) / 25;
  const want = (onAir - start) / 1000;
  console.log(`restart: on air ${want.toFixed(2)} s into the programme, first picture ${at.toFixed(2)} s of the lesson (segments ${seg} s)`);
  assert.ok(Math.abs(at2 - at - 1) <= 0.2, 'the matching follows the lesson (1 s later, 1 s further)');
  // the lesson restarts from the segment that holds the programme's offset
  assert.ok(at >= want - seg - 2 && at <= want + 2, `resumed at ${at.toFixed(2)} s, the clock says ${want.toFixed(2)} s`);
  // Past its first segment the lesson must not start over (within the
  // first one, starting at 0 is what "the segment holding the offset" means).
  if (want >= seg) assert.ok(at >= seg - 0.5, `not from the beginning (${at.toFixed(2)} s)`);
});

test('a missing or corrupt lesson puts the slate on, with a log line and a metric', async (t) => {
  if (skip) { t.skip(skip); return; }
  const port = await freeUdpPort();
  const ch = await channel(73, port);
  const lessonDir = join(dataDir, 'vod', 'lessons', '1');
  const metrics = async () => metric((await d.api('/metrics')).text, 'yj_iptv_source_errors_total{channel="73"}');
  const cap = join(dir, 'missing.ts');
  const check = capture(port, 14, cap);
  // missing: the master playlist is not there while the programme opens
  renameSync(join(lessonDir, 'master.m3u8'), join(lessonDir, 'master.m3u8.away'));
  const mark = d.stderr.length;
  const t0 = Date.now();
  await programme(ch, { title: '卫生健康知识', start: iso8(t0 - 2000), end: iso8(t0 + 15e3) });
  await waitLog(/channel 73: programme \d+ \(卫生健康知识\): .*; showing the slate/, mark);
  renameSync(join(lessonDir, 'master.m3u8.away'), join(lessonDir, 'master.m3u8'));
  for (let i = 0; i < 40 && !(await metrics() >= 1); i++) await sleep(250);
  assert.equal(await metrics(), 1);
  assertValid(await check, 'missing lesson');
  const seq = runs(frames(cap));
  assert.ok(seq.every((x) => x.k === 'slate'), `only the slate: ${seq.map((x) => `${x.k}×${x.n}`).join(' ')}`);

  // corrupt: every segment after the first of every rendition overwritten
  const saved = [];
  for (const r of readdirSync(lessonDir).filter((x) => /^\d+p$/.test(x))) {
    for (const f of readdirSync(join(lessonDir, r)).filter((x) => x.endsWith('.ts')).sort().slice(1)) {
      const p = join(lessonDir, r, f);
      saved.push([p, readFileSync(p)]);
      writeFileSync(p, Buffer.alloc(8192, 0x5a));
    }
  }
  t.after(() => { for (const [p, b] of saved) writeFileSync(p, b); });
  const mark2 = d.stderr.length;
  const t1 = Date.now() + 16000; // after the first programme
  await programme(ch, { title: '卫生健康知识（二）', start: iso8(t1), end: iso8(t1 + 30e3) });
  await waitLog(/channel 73: programme \d+: media unreadable; showing the slate/, mark2, 600);
  for (let i = 0; i < 40 && !(await metrics() >= 2); i++) await sleep(250);
  assert.equal(await metrics(), 2);
});
