// SPDX-License-Identifier: Apache-2.0
// Simulcast and active speaker with real Chromium: a publisher sends three
// RID layers over WHIP; a subscriber (test signaling) first gets the best
// layer, then asks for 120-pixel video and gets the quarter layer, then no
// limit again — each switch at a keyframe, decoding never stops; in VP8 and
// in H.264. The room elects an active speaker from the audio-level extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserTest, until } from '../lib/browser.mjs';

let d, browser, token;
browserTest({
  media: true,
  logins: ['district'],
  ready: (s) => { ({ d, browser } = s); token = s.tokens.district; },
});

// Publishes three layers into room (videoCodecs: the only codecs offered),
// then walks a subscriber through best → 120 pixels → best.
async function simulcast(room, videoCodecs) {
  const c1 = await browser.newContext(), c2 = await browser.newContext();
  const pub = await c1.newPage(), sub = await c2.newPage();
  await pub.goto(d.url + '/rtc-test/whip.html');
  await sub.goto(d.url + '/rtc-test/whip.html');
  const p = await pub.evaluate(([r, t, vc]) => publish(r, t, { simulcast: true, videoCodecs: vc }),
    [room, token, videoCodecs]);
  assert.match(p.answer, /a=simulcast:recv q;h;f/);
  const pid = p.location.split('/').pop();
  await sub.evaluate((r) => join(r, 'viewer', { audioOnlyPublish: true }), room);

  const info = await until(async () => {
    const r = await d.api('/rtc-test/room/' + room);
    const v = r.json.tracks.find((t) => t.kind === 'video');
    return { ok: !!v, v, r: r.json };
  }, 'the simulcast track');
  assert.equal(info.v.layers, 3);
  assert.equal(info.v.peer, pid);

  const view = async () => (await sub.evaluate(() => remoteStats())).streams[pid] || {};
  const full = await until(async () => {
    const s = await view();
    return { ok: s.video > 30 && s.height >= 240, s };
  }, 'the best layer', 30000);
  console.log('best layer', JSON.stringify(full.s), 'publisher', JSON.stringify((await pub.evaluate(() => stats())).out));

  let r = await d.api(`/rtc-test/peer/${room}/viewer/height`, { method: 'POST', body: { publisher: pid, height: 120 } });
  assert.equal(r.status, 204, r.text);
  const low = await until(async () => {
    const s = await view();
    return { ok: s.height === 120, s };
  }, 'the 120-pixel layer', 20000);
  const lowLater = await until(async () => {
    const s = await view();
    return { ok: s.video > low.s.video + 10 && s.height === 120, s };
  }, 'decoding on the low layer');
  r = await d.api(`/rtc-test/peer/${room}/viewer/height`, { method: 'POST', body: { publisher: pid, height: 0 } });
  assert.equal(r.status, 204);
  const back = await until(async () => {
    const s = await view();
    return { ok: s.height > 120 && s.video > lowLater.s.video + 10, s };
  }, 'back to a higher layer', 45000);
  console.log('low', JSON.stringify(lowLater.s), 'back', JSON.stringify(back.s));
  return { pid, pub, close: async () => { await c1.close(); await c2.close(); } };
}

test('simulcast layers follow the requested height; an active speaker is elected', async () => {
  const { pid, close } = await simulcast('sim');
  const sp = await until(async () => {
    const j = (await d.api('/rtc-test/room/sim')).json;
    return { ok: j.speaker === pid || j.speaker === 'viewer', j };
  }, 'an active speaker', 15000);
  console.log('speaker', sp.j.speaker);
  await close();
});

// H.264 layers: their heights come from the SPS (VP8's from keyframes).
test('H.264 simulcast layers follow the requested height too', async (t) => {
  const c = await browser.newContext();
  const page = await c.newPage();
  const can = await page.evaluate(() =>
    RTCRtpSender.getCapabilities('video').codecs.some((x) => x.mimeType === 'video/H264'));
  await c.close();
  if (!can) return t.skip('this Chromium has no H.264 encoder');
  const { pub, close } = await simulcast('sim264', ['video/H264']);
  const out = (await pub.evaluate(() => stats())).out;
  for (const rid of ['q', 'h', 'f'])
    assert.equal(out['video:' + rid].codec.mimeType, 'video/H264', JSON.stringify(out));
  await close();
});
