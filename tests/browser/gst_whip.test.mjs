// SPDX-License-Identifier: Apache-2.0
// A GStreamer webrtcbin publisher (tests/browser/gst/gst_whip.c: test video
// in VP8 or H.264 + an Opus tone) publishes over WHIP; Chromium watches over
// WHEP and must decode the video and receive the audio. For H.264 it also
// checks the negotiated format (packetization-mode=1, constrained
// baseline), that a viewer joining mid-GOP starts on a keyframe obtained by
// PLI, and that a VP8-only viewer gets no H.264 but does get a VP8
// publisher of the same room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, SRC } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { rtcIni, stopRtcDaemon, openTestPage } from '../lib/rtc.mjs';

const BUILD = process.env.YJ_BUILD_DIR || join(SRC, 'build');
const exe = join(BUILD, 'gst_whip');
let d, browser, token, skip = null, noH264 = null;
const procs = [];

before(async () => {
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'gstreamer-webrtc-1.0', 'gstreamer-sdp-1.0', 'gstreamer-1.0', 'nice'], { encoding: 'utf8' });
  if (pc.status !== 0) { skip = 'gstreamer-webrtc-1.0 development files are missing'; return; }
  const cc = spawnSync('cc', ['-O1', '-DGST_USE_UNSTABLE_API', '-o', exe, join(SRC, 'tests/browser/gst/gst_whip.c'),
    ...pc.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  assert.equal(cc.status, 0, 'cannot build gst_whip: ' + cc.stderr);
  const inspect = spawnSync('gst-inspect-1.0', ['webrtcbin'], { encoding: 'utf8' });
  if (inspect.status !== 0) { skip = 'webrtcbin (gstreamer1.0-plugins-bad) is missing'; return; }
  if (spawnSync('gst-inspect-1.0', ['openh264enc']).status !== 0)
    noH264 = 'openh264enc (gstreamer1.0-plugins-bad built with openh264) is missing';
  d = await startDaemon({
    ini: rtcIni(),
    args: ['--log-level', process.env.YJ_LOG_LEVEL || 'info'],
  });
  token = await d.login('district');
  browser = await launch();
});

after(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  if (browser) await browser.close();
  await stopRtcDaemon(d);
});

// Starts gst_whip with args and does its WHIP POST into room; resolves with
// the offer, the answer, the resource and its stderr so far once webrtcbin
// has the answer.
function publishWithGstreamer(room, args = []) {
  return new Promise((resolve, reject) => {
    const gst = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(gst);
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error('no offer from webrtcbin: ' + err)), 20000);
    gst.stderr.on('data', (b) => { err += b; });
    gst.stdout.on('data', async (b) => {
      out += b;
      const m = /---BEGIN OFFER---\n([\s\S]*?)---END OFFER---/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      out = '';
      const r = await d.api('/whip/' + room, { method: 'POST', token, body: m[1],
        headers: { 'Content-Type': 'application/sdp' } });
      if (r.status !== 201) return reject(new Error(`WHIP ${r.status}: ${r.text}`));
      gst.stdin.write(r.text + '\nEND\n');
      resolve({ proc: gst, location: r.headers.get('location'), answer: r.text, offer: m[1],
                stderr: () => err });
    });
    gst.on('exit', (code) => reject(new Error(`gst_whip exited ${code}: ${err}`)));
  });
}

const viewer = () => openTestPage(browser, d);

// Polls the viewer's stats until ok(stats) or ms pass; returns the last.
async function statsUntil(page, ok, ms) {
  const end = Date.now() + ms;
  let s;
  while (Date.now() < end) {
    s = await page.evaluate(() => stats());
    if (ok(s)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return s;
}

// The video m-section's rtpmap/fmtp lines, keyed by encoding name (RTX left out).
function videoFormats(sdp) {
  const sec = sdp.split(/\r?\nm=/).find((x) => x.startsWith('video')) || '';
  const out = {};
  for (const [, pt, name] of sec.matchAll(/a=rtpmap:(\d+) ([\w-]+)\/90000/g)) {
    if (/^rtx$/i.test(name)) continue;
    const f = new RegExp(`a=fmtp:${pt} (.*)`).exec(sec);
    (out[name.toUpperCase()] ||= []).push({ pt: +pt, fmtp: f ? f[1].trim() : '' });
  }
  return out;
}

async function metric(name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(await (await fetch(d.url + '/metrics')).text());
  return m ? +m[1] : 0;
}

test('GStreamer webrtcbin publishes over WHIP, Chromium watches over WHEP', async (t) => {
  if (skip) return t.skip(skip);
  const p = await publishWithGstreamer('gst1');
  assert.match(p.offer, /a=bundle-only/, 'webrtcbin used bundle-only m-lines');
  assert.match(p.answer, /a=recvonly/);
  const v = await viewer();
  await v.page.evaluate((tk) => watch('gst1', tk), token);
  const s = await statsUntil(v.page, (s) => s.video && s.video.framesDecoded > 20 && s.audio &&
    s.audio.packetsReceived > 50, 25000);
  console.log('viewer stats', JSON.stringify(s));
  if (!(s.video && s.audio)) console.log(d.stderr.slice(-5000));
  assert.ok(s.video && s.video.framesDecoded > 20, 'Chromium decodes webrtcbin video');
  assert.equal(s.video.frameHeight, 240);
  assert.equal(s.video.codec.mimeType, 'video/VP8');
  assert.ok(s.audio && s.audio.packetsReceived > 50, 'Chromium receives webrtcbin audio');
  await v.ctx.close();
  const r = await d.api(p.location, { method: 'DELETE', token });
  assert.equal(r.status, 200);
  p.proc.kill('SIGTERM');
});

// H.264 publisher kept for the VP8-only viewer test below.
let h264pub = null;

test('webrtcbin publishes H.264 and Chromium decodes it as H.264 over WHEP', async (t) => {
  if (skip || noH264) return t.skip(skip || noH264);
  h264pub = await publishWithGstreamer('gsth264', ['--codec=h264']);
  const p = h264pub;
  // The WHIP answer keeps webrtcbin's constrained-baseline, mode-1 H.264.
  const pubFmt = videoFormats(p.answer);
  assert.deepEqual(Object.keys(pubFmt), ['H264'], 'the publisher offered H.264 only: ' + p.answer);
  assert.equal(pubFmt.H264[0].pt, 102);
  assert.match(pubFmt.H264[0].fmtp, /packetization-mode=1/);
  assert.match(pubFmt.H264[0].fmtp, /profile-level-id=42e01f/i);

  const v = await viewer();
  const w = await v.page.evaluate((tk) => watch('gsth264', tk, { frames: true }), token);
  // Chromium offers six H.264 formats (two profiles × modes 0/1, main): the
  // answer keeps one, constrained baseline with packetization-mode=1.
  const subFmt = videoFormats(w.answer);
  assert.equal((subFmt.H264 || []).length, 1, 'one H.264 format in the WHEP answer: ' + w.answer);
  assert.match(subFmt.H264[0].fmtp, /packetization-mode=1/);
  assert.match(subFmt.H264[0].fmtp, /profile-level-id=42[ec]0/i);

  const s = await statsUntil(v.page, (s) => s.video && s.video.framesDecoded > 20 && s.audio &&
    s.audio.packetsReceived > 50, 25000);
  console.log('H.264 viewer stats', JSON.stringify(s));
  if (!(s.video && s.video.framesDecoded > 20)) console.log(d.stderr.slice(-5000));
  assert.ok(s.video && s.video.framesDecoded > 20, 'Chromium decodes the H.264 video');
  assert.equal(s.video.codec.mimeType, 'video/H264');
  assert.equal(s.video.codec.pt, subFmt.H264[0].pt, 'received on the payload type the answer chose');
  assert.match(s.video.codec.fmtp, /packetization-mode=1/);
  assert.equal(s.video.frameHeight, 240);
  assert.equal(s.framesSeen[0].type, 'key', 'the first frame forwarded is an IDR');
  assert.ok(s.audio.packetsReceived > 50, 'audio arrives too');
  const later = await statsUntil(v.page, (x) => x.video.framesDecoded > s.video.framesDecoded + 15, 5000);
  assert.ok(later.video.framesDecoded > s.video.framesDecoded + 15, 'H.264 keeps decoding');
  await v.ctx.close();
});

// Publishes gst_whip args into room, lets the stream run past its first
// IDR, then a viewer joins and records the frames it is forwarded; returns
// its stats once it decoded more than 10 frames or ms passed.
async function lateViewer(room, args, ms) {
  const p = await publishWithGstreamer(room, args);
  const received = await metric('yj_media_packets_received_total');
  const end = Date.now() + 10000;
  while (Date.now() < end && await metric('yj_media_packets_received_total') < received + 300)
    await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 700));
  const plis = await metric('yj_media_keyframe_requests_sent_total');
  const v = await viewer();
  await v.page.evaluate(([r, tk]) => watch(r, tk, { frames: true }), [room, token]);
  const s = await statsUntil(v.page, (s) => s.video && s.video.framesDecoded > 10, ms);
  console.log(room, 'late viewer stats', JSON.stringify(s));
  await v.ctx.close();
  await d.api(p.location, { method: 'DELETE', token });
  p.proc.kill('SIGTERM');
  return { s, p, plisSent: await metric('yj_media_keyframe_requests_sent_total') - plis };
}

test('a viewer joining mid-GOP is started by a PLI to the publisher', async (t) => {
  if (skip || noH264) return t.skip(skip || noH264);
  // One IDR every 900 frames (30 s): only the SFU's keyframe request (on
  // binding, on connecting) makes the late viewer start within 10 s.
  const { s, plisSent } = await lateViewer('gstlate', ['--codec=h264', '--gop=900'], 10000);
  assert.ok(s.video && s.video.framesDecoded > 10, 'the late viewer decodes within 10 s');
  assert.equal(s.video.codec.mimeType, 'video/H264');
  assert.equal(s.framesSeen[0].type, 'key', JSON.stringify(s.framesSeen));
  assert.ok(plisSent > 0, 'the SFU sent the publisher a keyframe request');
});

test('the SFU holds H.264 back until an IDR (the publisher ignores PLI)', async (t) => {
  if (skip || noH264) return t.skip(skip || noH264);
  // IDR (STAP-A SPS+PPS, FU-A slice) every 120 frames (4 s) and no others:
  // the viewer joins somewhere in the GOP, and everything before the next
  // IDR must be held back, so the first frame it is given is the IDR.
  const { s, p } = await lateViewer('gstgate', ['--codec=h264', '--gop=120', '--no-pli'], 12000);
  assert.ok(s.video && s.video.framesDecoded > 10, 'the viewer decodes from the periodic IDR');
  assert.ok(s.framesSeen.length > 0);
  assert.equal(s.framesSeen[0].type, 'key', 'the first frame forwarded is an IDR, not a P-frame: ' +
    JSON.stringify(s.framesSeen.slice(0, 5)));
  assert.equal(s.video.keyFramesDecoded, 1, 'no other keyframe was made');
  assert.match(p.stderr(), /keyframe request ignored/, 'the SFU did ask for one');
});

test('a VP8-only viewer gets no H.264 video (with a warning) but a VP8 publisher of the room', async (t) => {
  if (skip || noH264) return t.skip(skip || noH264);
  assert.ok(h264pub, 'the H.264 publisher of the earlier test runs');
  const v = await viewer();
  const w = await v.page.evaluate((tk) => watch('gsth264', tk, { videoCodecs: ['video/VP8'] }), token);
  assert.deepEqual(Object.keys(videoFormats(w.answer)), ['VP8'], w.answer);
  // Audio flows for a few seconds while no video packet arrives.
  let s = await statsUntil(v.page, (s) => s.audio && s.audio.packetsReceived > 150, 15000);
  assert.ok(s.audio && s.audio.packetsReceived > 150, 'audio reaches the VP8-only viewer');
  assert.ok(!s.video || s.video.packetsReceived === 0, 'no H.264 packet reaches it: ' + JSON.stringify(s.video));
  assert.match(d.stderr, /cannot receive \S+ \(H264\) from \S+: its offer has no compatible video codec/);
  // A VP8 publisher joins the room: the viewer's video m-line gets it.
  const vp8 = await publishWithGstreamer('gsth264', ['--codec=vp8']);
  s = await statsUntil(v.page, (s) => s.video && s.video.framesDecoded > 10, 20000);
  console.log('VP8-only viewer stats', JSON.stringify(s));
  assert.ok(s.video && s.video.framesDecoded > 10, 'the VP8 publisher is decoded');
  assert.equal(s.video.codec.mimeType, 'video/VP8');
  await v.ctx.close();
  for (const p of [vp8, h264pub]) {
    await d.api(p.location, { method: 'DELETE', token });
    p.proc.kill('SIGTERM');
  }
});
