// SPDX-License-Identifier: Apache-2.0
// WHIP → SFU → WHEP with real Chromium clients: one context publishes the
// fake camera and microphone over WHIP, another watches over WHEP; the
// watcher must decode video frames and receive audio packets; the same with
// H.264 as the only codec the publisher offers. Also checks the WHIP
// resource (PATCH trickle, DELETE) and the error replies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserTest, until as untilEvery } from '../lib/browser.mjs';
import { openTestPage } from '../lib/rtc.mjs';

let d, browser, token;
browserTest({
  media: true,
  logins: ['district'],
  ready: (s) => { ({ d, browser } = s); token = s.tokens.district; },
});

const client = () => openTestPage(browser, d);

const until = (fn, what, ms = 20000) => untilEvery(fn, what, ms, 250);

test('Chromium publishes over WHIP and another Chromium watches over WHEP', async () => {
  const pub = await client();
  const sub = await client();
  try {
    const p = await pub.page.evaluate((t) => publish('lesson1', t), token);
    assert.match(p.location, /^\/whip\/lesson1\/[A-Za-z0-9_-]+$/);
    assert.match(p.answer, /a=setup:passive/);
    assert.match(p.answer, /a=fingerprint:sha-256 /);
    assert.match(p.answer, /a=group:BUNDLE/);
    const w = await sub.page.evaluate((t) => watch('lesson1', t), token);
    assert.match(w.location, /^\/whep\/lesson1\//);
    assert.match(w.answer, /a=sendonly/);
    const first = await until(async () => {
      const s = await sub.page.evaluate(() => stats());
      return { ok: s.video && s.video.framesDecoded > 5 && s.audio && s.audio.packetsReceived > 20, s };
    }, 'decoded video and audio at the WHEP viewer');
    // Still flowing a moment later: frames keep being decoded.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await sub.page.evaluate(() => stats());
    console.log('viewer stats', JSON.stringify(later));
    assert.ok(later.video.framesDecoded > first.s.video.framesDecoded, 'video keeps decoding');
    assert.ok(later.audio.packetsReceived > first.s.audio.packetsReceived, 'audio keeps arriving');

    // Trickle on the WHIP resource: a fragment with one candidate → 204.
    const frag = 'a=ice-ufrag:' + /a=ice-ufrag:(\S+)/.exec(await pub.page.evaluate(() => pc.localDescription.sdp))[1] +
      '\r\na=ice-pwd:' + /a=ice-pwd:(\S+)/.exec(await pub.page.evaluate(() => pc.localDescription.sdp))[1] +
      '\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n';
    let r = await d.api(p.location, { method: 'PATCH', token, body: frag,
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(r.status, 204, r.text);
    r = await d.api(p.location, { method: 'PATCH', token, body: 'a=candidate:garbage\r\n',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(r.status, 204, 'a malformed candidate is ignored, not fatal: ' + r.text);

    const m = await (await fetch(d.url + '/metrics')).text();
    assert.match(m, /yj_media_packets_forwarded_total [1-9]/);
    // Two media workers (rtcIni): the viewer is placed on the worker the
    // publisher is not on, so its packets went through the hand-off.
    assert.match(m, /yj_media_handoffs_total [1-9]/);

    // ICE restart through PATCH: new client credentials → 200 with the
    // server's new ones and its candidates (RFC 9725 §4.4)
    r = await d.api(p.location, { method: 'PATCH', token,
      body: 'a=ice-ufrag:rst1\r\na=ice-pwd:restartpassword0123456789\r\n',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /a=ice-ufrag:/);
    assert.match(r.text, /a=candidate:.* 127\.0\.0\.1 /);
    assert.doesNotMatch(r.text, new RegExp('a=ice-ufrag:' + /a=ice-ufrag:(\S+)/.exec(p.answer)[1] + '\r'));
    // another principal may not touch the session
    const other = await d.login('qingshan');
    r = await d.api(p.location, { method: 'DELETE', token: other });
    assert.equal(r.status, 403);

    await sub.page.evaluate(() => hangup());
    r = await d.api(p.location, { method: 'DELETE', token });
    assert.equal(r.status, 200);
    r = await d.api(p.location, { method: 'DELETE', token });
    assert.equal(r.status, 404);
  } finally {
    await pub.ctx.close();
    await sub.ctx.close();
  }
});

// Debian's Chromium lists H.264 among its sender codecs (built with
// OpenH264 / FFmpeg): a publisher that offers only H.264 gets it, and the
// viewer decodes H.264.
test('Chromium publishes H.264 over WHIP and another Chromium decodes it', async (t) => {
  const pub = await client();
  const sub = await client();
  try {
    const can = await pub.page.evaluate(() =>
      RTCRtpSender.getCapabilities('video').codecs.some((c) => c.mimeType === 'video/H264'));
    if (!can) return t.skip('this Chromium has no H.264 encoder');
    const p = await pub.page.evaluate((tk) => publish('lesson264', tk, { videoCodecs: ['video/H264'] }), token);
    // The offer carries several H.264 formats; the answer keeps one,
    // constrained baseline with packetization-mode=1.
    const video = p.answer.split(/\r\nm=/).find((x) => x.startsWith('video'));
    const fmts = [...video.matchAll(/a=rtpmap:(\d+) H264\/90000/g)].map((m) => m[1]);
    assert.equal(fmts.length, 1, video);
    assert.doesNotMatch(video, /VP8/);
    assert.match(video, new RegExp(`a=fmtp:${fmts[0]} .*packetization-mode=1`));
    assert.match(video, new RegExp(`a=fmtp:${fmts[0]} .*profile-level-id=42e01f`));
    await sub.page.evaluate((tk) => watch('lesson264', tk, { frames: true }), token);
    const got = await until(async () => {
      const s = await sub.page.evaluate(() => stats());
      return { ok: s.video && s.video.framesDecoded > 20, s };
    }, 'decoded H.264 at the WHEP viewer');
    const sent = await until(async () => {
      const s = await pub.page.evaluate(() => stats());
      return { ok: s.out.video && s.out.video.framesEncoded > 20, s };
    }, 'encoded H.264 at the publisher');
    console.log('publisher', JSON.stringify(sent.s.out), 'viewer', JSON.stringify(got.s.video));
    assert.equal(sent.s.out.video.codec.mimeType, 'video/H264');
    assert.equal(got.s.video.codec.mimeType, 'video/H264');
    assert.match(got.s.video.codec.fmtp, /packetization-mode=1/);
    assert.equal(got.s.framesSeen[0].type, 'key', 'the viewer starts on an IDR');
    await sub.page.evaluate(() => hangup());
    await pub.page.evaluate(() => hangup());
  } finally {
    await pub.ctx.close();
    await sub.ctx.close();
  }
});

test('WHIP refuses bad requests with clear errors', async () => {
  let r = await d.api('/whip/lesson2', { method: 'POST', body: 'v=0\r\n',
    headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(r.status, 401);
  r = await d.api('/whip/lesson2', { method: 'POST', token, body: 'hello',
    headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 415);
  r = await d.api('/whip/lesson2', { method: 'POST', token, body: 'v=0\r\nthis is not sdp',
    headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_sdp');
  r = await d.api('/whip/bad%20room', { method: 'POST', token, body: 'v=0\r\n',
    headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(r.status, 400);
  r = await d.api('/whip/lesson2/nosuch', { method: 'DELETE', token });
  assert.equal(r.status, 404);
});
