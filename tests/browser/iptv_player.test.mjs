// SPDX-License-Identifier: Apache-2.0
// The live channel page (/tv/{id}) in Debian's Chromium, signed in as a
// member on a phone-sized screen: hls.js plays the channel's live HLS
// window from /iptv/{id}/live.m3u8 (here a window made from the demo
// lesson's 360p segments, written where the playout writes it, since the
// playout is the other half of iptv/), the page shows what is on now, and
// the roll-call form answers a wrong code and the right start code in
// Chinese; only the right one is recorded, and the administrator's
// attendance report on the schedule page lists the member.
// Second test: a daemon with its playout on (sending to 127.0.0.1 only)
// writes the channel's live HLS itself; hls.js plays it across a real
// change between two programmes: currentTime keeps advancing through the
// change and hls.js reports no fatal error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../lib/vod.mjs';

const WAIT = { timeout: 60000 };
let d, browser, admin;

before(async () => {
  d = await startDaemon({ ini: '[iptv]\nrollcall_minutes=1\n' });
  browser = await launch();
  admin = await d.login('district');
  await waitLesson(d, admin, 1, { timeout: 180000 });
});

after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
});

/** A live-style window (no ENDLIST) of the demo lesson's 360p rendition
 *  in the channel's HLS folder. */
function liveWindow(channel) {
  const src = join(d.dir, 'vod', 'lessons', '1', '360p');
  const dst = join(d.dir, 'iptv', String(channel), 'hls');
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) if (f.endsWith('.ts')) copyFileSync(join(src, f), join(dst, f));
  const pl = readFileSync(join(src, 'index.m3u8'), 'utf8').split('\n')
    .filter((l) => !l.startsWith('#EXT-X-ENDLIST') && !l.startsWith('#EXT-X-PLAYLIST-TYPE')).join('\n');
  writeFileSync(join(dst, 'live.m3u8'), pl);
}

function iso8(ms) { return new Date(ms + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00'; }

test('a member watches the channel with hls.js and confirms the roll-call code', async () => {
  const m = await addMember(d, { id: idNumber(91), org: '33010101' });
  const tok = await loginMember(d, m.id);
  // a channel with a creditable programme on now
  let r = await d.api('/api/v1/channels', { method: 'POST', token: admin, body: { number: 90, name: '党课频道', address: '239.9.9.90', port: 5004 } });
  const ch = r.json.id;
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  r = await d.api(`/api/v1/channels/${ch}/programmes`, { method: 'POST', token: admin, body: {
    kind: 'lesson', lesson_id: 1, title: '党课：初心使命', creditable: true, start: iso8(t0 - 10e3), end: iso8(t0 + 170e3) } });
  assert.equal(r.status, 201, r.text);
  liveWindow(ch);

  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
  await ctx.addCookies([{ name: 'yj_session', value: tok, url: d.url }]);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${d.url}/tv/${ch}`);
    await page.getByRole('heading', { name: '90 党课频道' }).waitFor(WAIT);
    await page.locator('#now').getByText('党课：初心使命').waitFor(WAIT);
    await page.waitForFunction(() => {
      const v = document.getElementById('video');
      return v && v.currentTime > 0.5 && v.readyState >= 2;
    }, null, WAIT);
    assert.equal(await page.evaluate(() => typeof window.Hls), 'function', 'hls.js is the player');

    r = await d.api(`/api/v1/channels/${ch}/rollcall`, { token: admin });
    const code = r.json.open.find((o) => o.phase === 1).code;
    const wrong = String((Number(code) + 7) % 1000000).padStart(6, '0');
    await page.getByLabel(/签到码/).fill(wrong);
    await page.getByRole('button', { name: '签到' }).click();
    await page.locator('#rc-code-error').getByText('签到码不对，请看清屏幕上的数字再输入。').waitFor(WAIT);
    r = await d.api(`/api/v1/channels/${ch}/programmes/${(await d.api(`/api/v1/channels/${ch}/programmes`, { token: admin })).json.programmes[0].id}/rollcall`, { token: admin });
    assert.equal(r.json.occurrences.length, 0, 'the wrong code recorded nothing');
    await page.getByLabel(/签到码/).fill(code);
    await page.getByRole('button', { name: '签到' }).click();
    await page.getByText('开始签到成功。节目快结束时请再输入结束签到码。').waitFor(WAIT);
    await page.getByLabel(/签到码/).fill(code);
    await page.getByRole('button', { name: '签到' }).click();
    await page.locator('#rc-code-error').getByText('这个签到码您已经用过了，不用重复签到。').waitFor(WAIT);
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(sw <= 360, 'no horizontal scrolling');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }

  // the administrator's attendance report on the schedule page
  const actx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  await actx.addCookies([{ name: 'yj_session', value: admin, url: d.url }]);
  const ap = await actx.newPage();
  const aerrors = [];
  ap.on('pageerror', (e) => aerrors.push(e.message));
  try {
    await ap.goto(`${d.url}/schedule.html?channel=${ch}`);
    await ap.locator('.prog').filter({ hasText: '党课：初心使命' }).first().click(WAIT);
    await ap.getByRole('button', { name: '签到情况' }).click();
    const report = ap.locator('#report');
    await report.getByText(/测试党员.*只签了开始/).waitFor(WAIT);
    await report.getByText(/手机签到（0）/).waitFor(WAIT);
    assert.deepEqual(aerrors, []);
  } finally {
    await actx.close();
  }
});

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

test('hls.js plays the playout\'s live HLS across a programme change', async (t) => {
  const pd = await startDaemon({ playout: true });
  t.after(() => pd.stop());
  const adm = await pd.login('district');
  await waitLesson(pd, adm, 1, { timeout: 300000 });
  const port = await freeUdpPort();
  let r = await pd.api('/api/v1/channels', { method: 'POST', token: adm,
    body: { number: 92, name: '换台测试', address: '127.0.0.1', port, bitrate: 800000 } });
  assert.equal(r.status, 201, r.text);
  const ch = r.json.id;
  // two programmes of the 20-s demo lesson back to back: the change comes
  // a minute from now, while the player is playing
  const change = Math.ceil(Date.now() / 1000) * 1000 + 60000;
  for (const [title, from, to] of [['第一个节目', change - 65000, change], ['第二个节目', change, change + 60000]]) {
    r = await pd.api(`/api/v1/channels/${ch}/programmes`, { method: 'POST', token: adm,
      body: { kind: 'lesson', lesson_id: 1, title, start: iso8(from), end: iso8(to) } });
    assert.equal(r.status, 201, r.text);
  }
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
  t.after(() => ctx.close());
  await ctx.addCookies([{ name: 'yj_session', value: adm, url: pd.url }]);
  // every hls.js error event, fatal or not, as the page's player sees it
  await ctx.addInitScript(() => {
    window.__hlsErrors = [];
    let H;
    Object.defineProperty(window, 'Hls', {
      configurable: true,
      get() { return H; },
      set(v) {
        H = class extends v {
          constructor(...a) {
            super(...a);
            window.__hls = this;
            this.on(v.Events.ERROR, (_e, d) => window.__hlsErrors.push({ fatal: d.fatal, type: d.type, details: d.details }));
          }
        };
      },
    });
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the page opens once the live window has three segments (the page's
  // hls.js gives up on a playlist that is not there yet)
  let segs = 0;
  for (let i = 0; i < 240 && segs < 3; i++) {
    r = await pd.api(`/iptv/${ch}/live.m3u8`, { token: adm });
    segs = r.status === 200 ? (r.text.match(/#EXTINF/g) || []).length : 0;
    if (segs < 3) await new Promise((res) => setTimeout(res, 500));
  }
  assert.ok(segs >= 3, 'the playout wrote a live window');
  await page.goto(`${pd.url}/tv/${ch}`);
  await page.waitForFunction(() => {
    const v = document.getElementById('video');
    return v && v.currentTime > 1 && v.readyState >= 2;
  }, null, { timeout: 180000 });
  assert.equal(await page.evaluate(() => typeof window.Hls), 'function');
  // sample the player once a second until well past the change (the
  // player is about three segments behind the live edge)
  const samples = [];
  for (let i = 0; i < 240; i++) {
    const s = await page.evaluate(() => {
      const v = document.getElementById('video');
      const pd = window.__hls && window.__hls.playingDate; /* from EXT-X-PROGRAM-DATE-TIME */
      return { t: v.currentTime, date: pd ? pd.getTime() : null, err: v.error && v.error.code, noplay: !document.getElementById('noplay').hidden };
    });
    samples.push({ ...s, wall: Date.now() });
    if (s.date && s.date > change + 8000) break; /* the player is past the change */
    await new Promise((res) => setTimeout(res, 1000));
  }
  const hlsErrors = await page.evaluate(() => window.__hlsErrors);
  console.log(samples.map((x) => `${((x.wall - change) / 1000).toFixed(0)}:${x.t.toFixed(1)}@${x.date ? ((x.date - change) / 1000).toFixed(1) : '-'}`).join(' '));
  console.log('hls.js errors:', JSON.stringify(hlsErrors));
  assert.ok(pd.stderr.includes('on air: 第二个节目'), 'the second programme went on the air');
  assert.deepEqual(hlsErrors.filter((e) => e.fatal), [], 'no fatal hls.js error');
  assert.ok(samples.every((x) => !x.err && !x.noplay), 'the page never gave up playing');
  for (let i = 1; i < samples.length; i++)
    assert.ok(samples[i].t >= samples[i - 1].t, 'currentTime never goes back');
  // the picture on the screen (its EXT-X-PROGRAM-DATE-TIME) went from
  // before the change to well after it, currentTime advancing all along
  const before = samples.filter((x) => x.date && x.date < change - 2000);
  const past = samples.filter((x) => x.date && x.date > change + 8000);
  assert.ok(before.length && past.length, 'the player showed the first programme, then the second');
  const a = before[before.length - 1], b = past[0];
  assert.ok(b.t - a.t >= (b.date - a.date) / 1000 - 2, `currentTime advanced across the change (${a.t.toFixed(1)} → ${b.t.toFixed(1)})`);
  assert.deepEqual(errors, []);
});
