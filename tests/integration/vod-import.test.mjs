// SPDX-License-Identifier: Apache-2.0
// Course library import: resumable chunked uploads (also across a kill -9),
// transcoding into the HLS ladder checked with ffprobe (renditions,
// segment durations, keyframes aligned across renditions, no upscaling),
// corrupt or non-video uploads refused with nothing added, server-side
// imports confined to [vod] import_dir, and a crash mid-transcode leaving
// no half-made lesson.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { makeVideo, makeRotated, psnr, upload, waitLesson, ffprobe } from '../lib/vod.mjs';

const NODEMO = '[vod]\ndemo_lesson=false\n';
let d, admin, course, media, importDir;

before(async () => {
  media = mkdtempSync(join(tmpdir(), 'yj-media-'));
  importDir = join(media, 'import');
  mkdirSync(importDir);
  makeVideo(join(media, 'hd.mp4'), { seconds: 14, size: '1280x720' });
  makeVideo(join(media, 'small.mp4'), { seconds: 7, size: '640x360', rate: 30 });
  makeVideo(join(importDir, 'bulk.mp4'), { seconds: 4, size: '320x240', audio: false });
  makeRotated(join(importDir, 'phone.mp4'), { seconds: 4, size: '640x360' });
  d = await startDaemon({ ini: `${NODEMO}import_dir=${importDir}\n` });
  admin = await d.login('district');
  const r = await d.api('/api/v1/courses', { method: 'POST', token: admin, body: { title: '测试课程', category: '理论学习' } });
  assert.equal(r.status, 201, r.text);
  course = r.json.id;
});

after(async () => {
  if (d) await d.stop();
  rmSync(media, { recursive: true, force: true });
});

function lessonFiles(dd, id) {
  const dir = join(dd.dir, 'vod', 'lessons', String(id));
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

async function lessonCount() {
  const r = await d.api(`/api/v1/courses/${course}`, { token: admin });
  return r.json.lessons.length;
}

test('chunked upload resumes after an interruption and becomes a ready lesson', async () => {
  const file = join(media, 'hd.mp4');
  const data = readFileSync(file);
  // Two chunks, then the client "goes away".
  const part = await upload(d, admin, file, { chunk: 100000, stopAfter: 2 });
  assert.equal(part.received, 200000);
  let r = await d.api(`/api/v1/uploads/${part.id}`, { token: admin });
  assert.equal(r.status, 200);
  assert.equal(r.json.received, 200000);
  assert.equal(r.json.complete, false);
  // A chunk at the wrong offset is refused and says where to continue.
  r = await d.api(`/api/v1/uploads/${part.id}?offset=100000`, { method: 'PUT', token: admin, body: data.subarray(100000, 200000) });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'offset_mismatch');
  assert.equal(r.json.error.received, 200000);
  // Completing early is refused.
  r = await d.api(`/api/v1/uploads/${part.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: 'x' } });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'upload_incomplete');
  // Resume from the server's offset.
  let off = (await d.api(`/api/v1/uploads/${part.id}`, { token: admin })).json.received;
  while (off < data.length) {
    r = await d.api(`/api/v1/uploads/${part.id}?offset=${off}`, { method: 'PUT', token: admin, body: data.subarray(off, off + 300000) });
    assert.equal(r.status, 200, r.text);
    off = r.json.received;
  }
  r = await d.api(`/api/v1/uploads/${part.id}/complete`, { method: 'POST', token: admin,
    body: { course_id: course, title: '第一课 高清', hours: 1.5, threshold: 0.8, orgs: ['330101'] } });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'processing');
  const id = r.json.id;
  // The upload is consumed.
  assert.equal((await d.api(`/api/v1/uploads/${part.id}`, { token: admin })).status, 404);
  // While processing: a percent, no playback URL, no lesson folder yet.
  const seen = new Set();
  let l;
  for (let i = 0; i < 600; i++) {
    l = (await d.api(`/api/v1/lessons/${id}`, { token: admin })).json;
    seen.add(l.percent);
    if (l.status !== 'processing') break;
    assert.equal(l.hls_url, undefined);
    assert.deepEqual(lessonFiles(d, id), []);
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(l.status, 'ready', JSON.stringify(l));
  assert.equal(l.percent, 100);
  assert.ok([...seen].some((p) => p > 0 && p < 100), `no intermediate percent among ${[...seen]}`);
  assert.equal(l.minutes, 90);
  assert.equal(l.threshold, 0.8);
  assert.deepEqual(l.orgs.map((o) => o.code), ['330101']);
  assert.ok(Math.abs(l.duration - 14) < 0.3, `duration ${l.duration}`);
  assert.deepEqual(lessonFiles(d, id), ['360p', '720p', 'audio', 'master.m3u8', 'poster.jpg']);
  // The upload's bytes are gone once transcoded.
  assert.deepEqual(readdirSync(join(d.dir, 'vod', 'uploads')), []);

  // ---- ffprobe on what is served ----
  const master = await (await fetch(l.hls_url)).text();
  const inf = master.split('\n').filter((x) => x.startsWith('#EXT-X-STREAM-INF'));
  assert.equal(inf.length, 3, master);
  for (const x of inf) {
    assert.match(x, /BANDWIDTH=\d+/);
    assert.match(x, /CODECS="[^"]+"/);
  }
  assert.match(master, /RESOLUTION=1280x720,[^\n]*CODECS="avc1\.4d401f,mp4a\.40\.2"\n720p\/index\.m3u8/);
  assert.match(master, /RESOLUTION=640x360,[^\n]*CODECS="avc1\.4d401e,mp4a\.40\.2"\n360p\/index\.m3u8/);
  assert.match(master, /CODECS="mp4a\.40\.2"\naudio\/index\.m3u8/);
  // Peak bandwidth near the ladder's targets (content is simple, so below).
  const bw = Object.fromEntries(inf.map((x, i) => [master.split('\n')[master.split('\n').indexOf(x) + 1], Number(/BANDWIDTH=(\d+)/.exec(x)[1])]));
  assert.ok(bw['720p/index.m3u8'] < 1.2e6 * 1.6 + 100000, JSON.stringify(bw));
  assert.ok(bw['360p/index.m3u8'] < 400000 * 1.6 + 100000, JSON.stringify(bw));
  assert.ok(bw['audio/index.m3u8'] < 100000, JSON.stringify(bw));
  const streams = JSON.parse(ffprobe(['-show_entries', 'stream=codec_name,width,height,profile', '-of', 'json', l.hls_url]));
  const vids = streams.streams.filter((s) => s.codec_name === 'h264').map((s) => `${s.width}x${s.height}`).sort();
  assert.deepEqual(vids, ['1280x720', '640x360']);
  assert.ok(streams.streams.some((s) => s.codec_name === 'aac'));

  // Segment durations and keyframe alignment across renditions.
  const dir = join(d.dir, 'vod', 'lessons', String(id));
  const starts = {};
  for (const r of ['720p', '360p', 'audio']) {
    const pl = readFileSync(join(dir, r, 'index.m3u8'), 'utf8');
    assert.match(pl, /#EXT-X-TARGETDURATION:6\n/);
    assert.match(pl, /#EXT-X-ENDLIST/);
    const durs = [...pl.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    assert.equal(durs.length, 3, pl);
    durs.slice(0, -1).forEach((x) => assert.ok(Math.abs(x - 6) < 0.1, `${r}: ${durs}`));
    assert.ok(Math.abs(durs.reduce((a, b) => a + b) - 14) < 0.2, `${r}: ${durs}`);
    if (r === 'audio') continue;
    starts[r] = [];
    for (const seg of pl.split('\n').filter((x) => x.endsWith('.ts'))) {
      const out = ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-read_intervals', '%+#1', '-of', 'csv=p=0', join(dir, r, seg)]);
      const [pts, flags] = out.trim().split('\n')[0].split(',');
      assert.match(flags, /K/, `${r}/${seg} does not start with a keyframe`);
      starts[r].push(pts);
    }
    // Keyframes exactly every 6 s, nowhere else.
    const keys = ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', join(dir, r, 'index.m3u8')])
      .trim().split('\n').filter((x) => x.includes('K')).map((x) => Number(x.split(',')[0]));
    assert.equal(keys.length, 3, `${r} keyframes ${keys}`);
    assert.ok(Math.abs(keys[1] - keys[0] - 6) < 0.01 && Math.abs(keys[2] - keys[1] - 6) < 0.01, `${r}: ${keys}`);
  }
  assert.deepEqual(starts['720p'], starts['360p'], 'segment start PTS differ between renditions');

  // The poster.
  const poster = await fetch(new URL(l.poster_path, d.url));
  assert.equal(poster.status, 200);
  assert.equal(poster.headers.get('content-type'), 'image/jpeg');
  const jpg = Buffer.from(await poster.arrayBuffer());
  assert.equal(jpg[0], 0xff);
  assert.equal(jpg[1], 0xd8);
});

test('a 360p source is not upscaled: 360p + audio only', async () => {
  const up = await upload(d, admin, join(media, 'small.mp4'));
  const r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: '标清' } });
  assert.equal(r.status, 202, r.text);
  const l = await waitLesson(d, admin, r.json.id);
  assert.equal(l.status, 'ready');
  assert.deepEqual(l.renditions.map((x) => x.name), ['360p', 'audio']);
  assert.equal(l.renditions[0].width, 640);
  assert.equal(l.renditions[0].height, 360);
  assert.equal(l.minutes, 45); // default one class period
  assert.equal(l.threshold, 0.9);
  // 30 fps source: GOP 180 frames; still one keyframe per segment.
  const dir = join(d.dir, 'vod', 'lessons', String(l.id), '360p');
  const keys = ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', join(dir, 'index.m3u8')])
    .trim().split('\n').filter((x) => x.includes('K'));
  assert.equal(keys.length, 2);
});

async function refused(bytes, name) {
  const before = await lessonCount();
  const f = join(media, name);
  writeFileSync(f, bytes);
  const up = await upload(d, admin, f);
  const r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: name } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'not_a_video');
  assert.ok(r.json.error.message.length > 5);
  // Nothing added: no lesson, no upload, no bytes left behind.
  assert.equal(await lessonCount(), before);
  assert.equal((await d.api(`/api/v1/uploads/${up.id}`, { token: admin })).status, 404);
  assert.ok(!readdirSync(join(d.dir, 'vod', 'uploads')).includes(`${up.id}.part`));
  return r.json.error.message;
}

test('corrupt and non-video uploads are refused and add nothing', async () => {
  const good = readFileSync(join(media, 'hd.mp4'));
  await refused(good.subarray(0, Math.floor(good.length / 2)), 'truncated.mp4');
  await refused(Buffer.from('这不是视频文件 — just text\n'.repeat(200)), 'notes.txt');
  // Random bytes with an MP4 signature.
  const junk = Buffer.alloc(50000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  junk.write('\0\0\0\x18ftypisom', 0, 'latin1');
  await refused(junk, 'junk.mp4');
  // Audio only is not a lesson video.
  const wav = Buffer.alloc(44 + 16000);
  wav.write('RIFF', 0); wav.writeUInt32LE(36 + 16000, 4); wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24); wav.writeUInt32LE(16000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34);
  wav.write('data', 36); wav.writeUInt32LE(16000, 40);
  assert.match(await refused(wav, 'tone.wav'), /no video/);
  // A playlist naming other files is never followed.
  await refused(Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\n${join(media, 'hd.mp4')}\n#EXT-X-ENDLIST\n`), 'evil.m3u8');
});

test('upload metadata errors name the field', async () => {
  let r = await d.api('/api/v1/uploads', { method: 'POST', token: admin, body: { filename: 'a.mp4', size: 0 } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'size');
  // More bytes than declared.
  r = await d.api('/api/v1/uploads', { method: 'POST', token: admin, body: { filename: 'a.mp4', size: 10 } });
  const tiny = r.json.id;
  r = await d.api(`/api/v1/uploads/${tiny}?offset=0`, { method: 'PUT', token: admin, body: Buffer.alloc(20) });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'too_much_data');
  r = await d.api(`/api/v1/uploads/${tiny}?offset=x`, { method: 'PUT', token: admin, body: Buffer.alloc(2) });
  assert.equal(r.json.error.field, 'offset');
  assert.equal((await d.api(`/api/v1/uploads/${tiny}`, { token: admin })).json.received, 0);
  assert.equal((await d.api(`/api/v1/uploads/${tiny}`, { method: 'DELETE', token: admin })).status, 204);
  assert.ok(!readdirSync(join(d.dir, 'vod', 'uploads')).includes(`${tiny}.part`));
  const up = await upload(d, admin, join(media, 'small.mp4'));
  r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: '' } });
  assert.equal(r.json.error.field, 'title');
  r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: 't', threshold: 1.5 } });
  assert.equal(r.json.error.field, 'threshold');
  r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: course, title: 't', orgs: ['999999'] } });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.field, 'orgs[0]');
  r = await d.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: admin, body: { course_id: 99999, title: 't' } });
  assert.equal(r.json.error.field, 'course_id');
  // A township administrator cannot add to the district's course.
  const township = await d.login('qingshan');
  r = await d.api(`/api/v1/uploads/${up.id}`, { token: township });
  assert.equal(r.status, 404, 'another administrator\'s upload is invisible');
  // Nothing was added by any of these; the upload is still there to fix.
  r = await d.api(`/api/v1/uploads/${up.id}`, { token: admin });
  assert.equal(r.status, 200);
  assert.equal((await d.api(`/api/v1/uploads/${up.id}`, { method: 'DELETE', token: admin })).status, 204);
});

test('server-side import stays inside import_dir', async () => {
  for (const path of ['../hd.mp4', join(media, 'hd.mp4'), '/etc/passwd', 'missing.mp4']) {
    const r = await d.api('/api/v1/lessons/import', { method: 'POST', token: admin, body: { path, course_id: course, title: 'x' } });
    assert.equal(r.status, 404, `${path}: ${r.text}`);
    assert.equal(r.json.error.field, 'path');
  }
  const r = await d.api('/api/v1/lessons/import', { method: 'POST', token: admin, body: { path: 'bulk.mp4', course_id: course, title: '批量导入' } });
  assert.equal(r.status, 202, r.text);
  const l = await waitLesson(d, admin, r.json.id);
  assert.equal(l.status, 'ready');
  // 320x240 is below 360p: one rendition at its own size, no audio track.
  assert.deepEqual(l.renditions.map((x) => [x.name, x.width, x.height, x.codecs]), [['240p', 320, 240, 'avc1.4d401e']]);
  assert.ok(existsSync(join(importDir, 'bulk.mp4')), 'the original stays');
  // Deleting the lesson removes its media: its (cached) playlist is gone
  // too, and the id is never reused by a new lesson.
  const master = new URL(l.hls_path, d.url);
  assert.equal((await fetch(master)).status, 200);
  assert.equal((await d.api(`/api/v1/lessons/${l.id}`, { method: 'DELETE', token: admin })).status, 204);
  assert.equal((await fetch(master)).status, 404);
  assert.equal((await d.api(`/api/v1/lessons/${l.id}`, { token: admin })).status, 404);
  const again = await d.api('/api/v1/lessons/import', { method: 'POST', token: admin, body: { path: 'bulk.mp4', course_id: course, title: '再导入' } });
  assert.equal(again.status, 202);
  assert.ok(again.json.id > l.id, `id ${again.json.id} reused`);
  await waitLesson(d, admin, again.json.id);
  // Members cannot import.
  const r2 = await d.api('/api/v1/lessons/import', { method: 'POST', body: { path: 'bulk.mp4' } });
  assert.equal(r2.status, 401);
});

test('a crash mid-transcode leaves no half lesson; the job reruns at start', async () => {
  const e = await startDaemon({ ini: NODEMO });
  let e2;
  try {
    const tok = await e.login('district');
    const c = (await e.api('/api/v1/courses', { method: 'POST', token: tok, body: { title: 'c' } })).json.id;
    const long = join(media, 'long.mp4');
    makeVideo(long, { seconds: 40, size: '1280x720' });
    const up = await upload(e, tok, long, { chunk: 4 << 20 });
    const r = await e.api(`/api/v1/uploads/${up.id}/complete`, { method: 'POST', token: tok, body: { course_id: c, title: '长课' } });
    assert.equal(r.status, 202);
    const id = r.json.id;
    // Wait until transcoding is under way, then kill -9.
    for (let i = 0; i < 300; i++) {
      const l = (await e.api(`/api/v1/lessons/${id}`, { token: tok })).json;
      if (l.percent > 5) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await e.kill9();
    assert.ok(existsSync(join(e.dir, 'vod', 'lessons', `${id}.tmp`)), 'work in progress was under .tmp');
    assert.ok(!existsSync(join(e.dir, 'vod', 'lessons', String(id))), 'no half-made lesson folder');
    e2 = await startDaemon({ dataDir: e.dir, ini: NODEMO });
    const tok2 = await e2.login('district');
    const l = await waitLesson(e2, tok2, id, { timeout: 180000 });
    assert.equal(l.status, 'ready');
    assert.ok(Math.abs(l.duration - 40) < 0.5);
    assert.ok(!existsSync(join(e.dir, 'vod', 'lessons', `${id}.tmp`)));
    assert.match(e2.stderr, /job \d+: lesson \d+ from .* \(attempt 2\)/);
  } finally {
    if (e2) await e2.stop();
    else rmSync(e.dir, { recursive: true, force: true });
  }
});

test('an upload resumes after the server is killed (kill -9)', async () => {
  const e = await startDaemon({ ini: NODEMO });
  let e2;
  try {
    const tok = await e.login('district');
    const file = join(media, 'small.mp4');
    const data = readFileSync(file);
    const part = await upload(e, tok, file, { chunk: 50000, stopAfter: 3 });
    assert.equal(part.received, 150000);
    await e.kill9();
    e2 = await startDaemon({ dataDir: e.dir, ini: NODEMO });
    const tok2 = await e2.login('district');
    let r = await e2.api(`/api/v1/uploads/${part.id}`, { token: tok2 });
    assert.equal(r.status, 200);
    assert.equal(r.json.received, 150000, 'acknowledged chunks survive');
    let off = r.json.received;
    while (off < data.length) {
      r = await e2.api(`/api/v1/uploads/${part.id}?offset=${off}`, { method: 'PUT', token: tok2, body: data.subarray(off, off + (1 << 20)) });
      assert.equal(r.status, 200, r.text);
      off = r.json.received;
    }
    const c = (await e2.api('/api/v1/courses', { method: 'POST', token: tok2, body: { title: 'c' } })).json.id;
    r = await e2.api(`/api/v1/uploads/${part.id}/complete`, { method: 'POST', token: tok2, body: { course_id: c, title: '续传' } });
    assert.equal(r.status, 202, r.text);
    const l = await waitLesson(e2, tok2, r.json.id);
    assert.equal(l.status, 'ready', 'the reassembled file is the original');
  } finally {
    if (e2) await e2.stop();
    else rmSync(e.dir, { recursive: true, force: true });
  }
});

test('a phone recording with a rotation is turned upright', async () => {
  const r = await d.api('/api/v1/lessons/import', { method: 'POST', token: admin, body: { path: 'phone.mp4', course_id: course, title: '手机录像' } });
  assert.equal(r.status, 202, r.text);
  const l = await waitLesson(d, admin, r.json.id);
  assert.equal(l.status, 'ready');
  // 640x360 pixels shown turned: a 360x640 portrait picture.
  assert.deepEqual(l.renditions.filter((x) => x.video).map((x) => [x.name, x.width, x.height]), [['360p', 360, 640]]);
  // The right way round: close to ffmpeg's own upright decode of the
  // source, far from the opposite turn.
  const out = join(d.dir, 'vod', 'lessons', String(l.id), '360p', 'index.m3u8');
  const good = psnr(out, join(importDir, 'phone.mp4'), 360, 640);
  assert.ok(good > 25, `PSNR ${good} dB against the upright source`);
  const wrong = join(media, 'wrong-way.mp4');
  spawnSync('ffmpeg', ['-v', 'error', '-y', '-noautorotate', '-i', join(importDir, 'phone.mp4'), '-vf', 'transpose=clock', '-c:v', 'libx264', '-preset', 'ultrafast', wrong]);
  const bad = psnr(out, wrong, 360, 640);
  assert.ok(bad < good - 5, `PSNR ${bad} dB against the wrong turn vs ${good}`);
  console.log(`PSNR upright ${good} dB, wrong turn ${bad} dB`);
  const poster = await fetch(new URL(l.poster_path, d.url));
  assert.equal(poster.status, 200);
});
