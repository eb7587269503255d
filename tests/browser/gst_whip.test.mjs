// SPDX-License-Identifier: Apache-2.0
// A GStreamer webrtcbin publisher (tests/browser/gst/gst_whip.c: VP8 test
// video + Opus tone) publishes over WHIP; Chromium watches over WHEP and
// must decode the video and receive the audio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, SRC } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { rtcIni, stopRtcDaemon } from '../lib/rtc.mjs';

const BUILD = process.env.YJ_BUILD_DIR || join(SRC, 'build');
const exe = join(BUILD, 'gst_whip');
let d, browser, token, gst, skip = null;

before(async () => {
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'gstreamer-webrtc-1.0', 'gstreamer-sdp-1.0', 'gstreamer-1.0', 'nice'], { encoding: 'utf8' });
  if (pc.status !== 0) { skip = 'gstreamer-webrtc-1.0 development files are missing'; return; }
  const cc = spawnSync('cc', ['-O1', '-DGST_USE_UNSTABLE_API', '-o', exe, join(SRC, 'tests/browser/gst/gst_whip.c'),
    ...pc.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  assert.equal(cc.status, 0, 'cannot build gst_whip: ' + cc.stderr);
  const inspect = spawnSync('gst-inspect-1.0', ['webrtcbin'], { encoding: 'utf8' });
  if (inspect.status !== 0) { skip = 'webrtcbin (gstreamer1.0-plugins-bad) is missing'; return; }
  d = await startDaemon({
    ini: rtcIni(),
    args: ['--log-level', process.env.YJ_LOG_LEVEL || 'info'],
  });
  token = await d.login('district');
  browser = await launch();
});

after(async () => {
  if (gst && gst.exitCode === null) gst.kill('SIGTERM');
  if (browser) await browser.close();
  await stopRtcDaemon(d);
});

function publishWithGstreamer() {
  return new Promise((resolve, reject) => {
    gst = spawn(exe, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error('no offer from webrtcbin: ' + err)), 20000);
    gst.stderr.on('data', (b) => { err += b; });
    gst.stdout.on('data', async (b) => {
      out += b;
      const m = /---BEGIN OFFER---\n([\s\S]*?)---END OFFER---/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      out = '';
      const r = await d.api('/whip/gst1', { method: 'POST', token, body: m[1],
        headers: { 'Content-Type': 'application/sdp' } });
      if (r.status !== 201) return reject(new Error(`WHIP ${r.status}: ${r.text}`));
      gst.stdin.write(r.text + '\nEND\n');
      resolve({ location: r.headers.get('location'), answer: r.text, offer: m[1] });
    });
    gst.on('exit', (code) => reject(new Error(`gst_whip exited ${code}: ${err}`)));
  });
}

test('GStreamer webrtcbin publishes over WHIP, Chromium watches over WHEP', async (t) => {
  if (skip) return t.skip(skip);
  const p = await publishWithGstreamer();
  assert.match(p.offer, /a=bundle-only/, 'webrtcbin used bundle-only m-lines');
  assert.match(p.answer, /a=recvonly/);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(d.url + '/rtc-test/whip.html');
  await page.evaluate((tk) => watch('gst1', tk), token);
  const end = Date.now() + 25000;
  let s;
  while (Date.now() < end) {
    s = await page.evaluate(() => stats());
    if (s.video && s.video.framesDecoded > 20 && s.audio && s.audio.packetsReceived > 50) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log('viewer stats', JSON.stringify(s));
  if (!(s.video && s.audio)) console.log(d.stderr.slice(-5000));
  assert.ok(s.video && s.video.framesDecoded > 20, 'Chromium decodes webrtcbin video');
  assert.equal(s.video.frameHeight, 240);
  assert.ok(s.audio && s.audio.packetsReceived > 50, 'Chromium receives webrtcbin audio');
  await ctx.close();
  const r = await d.api(p.location, { method: 'DELETE', token });
  assert.equal(r.status, 200);
});
