// SPDX-License-Identifier: Apache-2.0
// The lesson player in Debian's Chromium: real HLS playback through hls.js
// (H.264 + AAC), seek, pause, reload → "从 mm:ss 继续" at the right point;
// a second browser profile of the same member resumes at the same point;
// credit appears once after enough real playback and not after a seek to
// the end; progress queued while offline is sent when back online.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { browserTest } from '../lib/browser.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../lib/vod.mjs';

let d, browser, admin, alice, bob;

browserTest({
  logins: ['district'],
  ready: async (s) => {
    ({ d, browser } = s);
    admin = s.tokens.district;
    await waitLesson(d, admin, 1, { timeout: 180000 });
    // A short lesson with a low threshold keeps the test quick: 50% of 20 s.
    const r = await d.api('/api/v1/lessons/1', { method: 'PATCH', token: admin, body: { threshold: 0.5 } });
    assert.equal(r.status, 200);
    alice = await addMember(d, { id: idNumber(41), name: '王红', org: '33010101' });
    bob = await addMember(d, { id: idNumber(42), name: '李明', org: '33010202' });
  },
});

function ledger(member) {
  const r = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), '.timeout 5000',
    `SELECT source_id, minutes FROM ledger WHERE member_id = '${member}'`], { encoding: 'utf8' });
  return r.stdout.trim().split('\n').filter(Boolean);
}

async function serverProgress(m) {
  const tok = await loginMember(d, m.id);
  return (await d.api('/api/v1/lessons/1/progress', { token: tok })).json;
}

async function open(ctx, m) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${d.url}/learn/1`);
  // Not signed in: the portal's one sign-in page, then back to the lesson.
  await page.waitForSelector('#form-member, #lesson:not([hidden])');
  if (new URL(page.url()).pathname === '/') {
    assert.equal(new URL(page.url()).searchParams.get('next'), '/learn/1');
    await page.fill('#m-id', m.id);
    await page.fill('#m-password', m.password);
    await page.click('#form-member button[type=submit]');
    await page.waitForSelector('#lesson:not([hidden])');
  }
  return page;
}

const video = (page, expr) => page.evaluate(`(() => { const v = document.getElementById('video'); return ${expr}; })()`);

async function playUntil(page, t) {
  await video(page, 'v.play()');
  await page.waitForFunction((x) => document.getElementById('video').currentTime >= x, t, { timeout: 30000, polling: 100 });
}

async function settle(page) {
  await page.waitForFunction(() => window.yjLearn && window.yjLearn.idle(), null, { timeout: 15000, polling: 100 });
}

test('Chromium can play H.264/AAC through MSE (checked early)', async () => {
  const page = await browser.newPage();
  const ok = await page.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.4d401f,mp4a.40.2"'));
  assert.equal(ok, true, 'this Chromium lacks H.264/AAC: see docs/vod.md');
  await page.close();
});

test('play, seek, pause, reload → resume; another profile resumes there too; credit once', async () => {
  const ctx1 = await browser.newContext();
  let page = await open(ctx1, alice);
  assert.equal(await page.isVisible('#resume'), false, 'nothing to resume yet');
  // Real playback: hls.js fetches the signed playlists and segments.
  await playUntil(page, 3);
  assert.ok(await video(page, 'v.videoWidth') > 0, 'video frames decoded');
  // Seek forward (skipped part is not watched), play on, pause.
  await video(page, 'v.currentTime = 8');
  await playUntil(page, 9.5);
  await video(page, 'v.pause()');
  await settle(page);
  const pos = await video(page, 'v.currentTime');
  let sp = await serverProgress(alice);
  assert.ok(Math.abs(sp.position - pos) < 0.5, `server ${sp.position} vs player ${pos}`);
  // Watched ≈ 3 s + 1.5 s, not the 9.5 s the position suggests.
  assert.ok(sp.watched > 3 && sp.watched < 6.5, `watched ${sp.watched}`);
  assert.equal(sp.completed, false);
  assert.deepEqual(ledger(alice.id), []);
  const mmss = `00:${String(Math.floor(sp.position)).padStart(2, '0')}`;

  // Reload: offered the right resume point.
  await page.reload();
  await page.waitForSelector('#resume:not([hidden])');
  assert.equal(await page.textContent('#resume-btn'), `从 ${mmss} 继续`);

  // Another browser profile of the same member: same point, and it resumes there.
  const ctx2 = await browser.newContext();
  const page2 = await open(ctx2, alice);
  await page2.waitForSelector('#resume:not([hidden])');
  assert.equal(await page2.textContent('#resume-btn'), `从 ${mmss} 继续`);
  await page2.click('#resume-btn');
  await page2.waitForFunction(() => !document.getElementById('video').paused, null, { timeout: 15000 });
  const start = await video(page2, 'v.currentTime');
  assert.ok(Math.abs(start - sp.position) < 1.0, `resumed at ${start}, expected ${sp.position}`);
  // Play until the union passes 50% (10 s): credit appears, once.
  await page2.waitForFunction(() => /已完成/.test(document.getElementById('credit').textContent) ||
    document.getElementById('video').currentTime >= 17, null, { timeout: 30000, polling: 200 });
  await video(page2, 'v.pause()');
  await settle(page2);
  sp = await serverProgress(alice);
  assert.match(await page2.textContent('#credit'), /✓ 已完成本课时，已计入 0.5 学时/,
    `server: ${JSON.stringify(sp)}`);
  assert.equal(sp.completed, true);
  assert.ok(sp.watched >= 10);
  // More playback and reports: still exactly one credit.
  await playUntil(page2, (await video(page2, 'v.currentTime')) + 1);
  await video(page2, 'v.pause()');
  await settle(page2);
  assert.deepEqual(ledger(alice.id), ['lesson:1|30']);
  await ctx1.close();
  await ctx2.close();
});

test('a seek to the end earns nothing', async () => {
  const ctx = await browser.newContext();
  const page = await open(ctx, bob);
  await playUntil(page, 1);
  await video(page, 'v.currentTime = 18.5');
  await page.waitForFunction(() => document.getElementById('video').ended, null, { timeout: 20000, polling: 200 });
  await settle(page);
  const sp = await serverProgress(bob);
  assert.ok(sp.watched < 4, `watched ${sp.watched}`);
  assert.equal(sp.completed, false);
  assert.equal(await page.textContent('#credit'), '');
  assert.deepEqual(ledger(bob.id), []);
  await ctx.close();
});

test('progress made offline is queued and sent when back online', async () => {
  const carol = await addMember(d, { id: idNumber(43), name: '赵兰', org: '33010201' });
  const ctx = await browser.newContext();
  const page = await open(ctx, carol);
  await playUntil(page, 1);
  await video(page, 'v.pause()');
  await settle(page);
  const before = await serverProgress(carol);
  // Segments are buffered; the network goes away mid-lesson.
  await playUntil(page, 2);
  await ctx.setOffline(true);
  await playUntil(page, 4);
  await video(page, 'v.pause()');
  await page.waitForFunction(() => window.yjLearn.queued() && window.yjLearn.queued().event === 'pause', null, { timeout: 10000 });
  assert.equal(await page.isVisible('#net'), true);
  assert.equal((await serverProgress(carol)).watched, before.watched, 'nothing reached the server');
  await ctx.setOffline(false);
  await settle(page);
  const after = await serverProgress(carol);
  assert.ok(after.watched >= 3.5, `watched ${after.watched}: ${JSON.stringify(after.intervals)} before ${JSON.stringify(before.intervals)}`);
  assert.ok(after.position >= 4 - 0.5);
  await ctx.close();
});

test('"my learning" lists the completed lesson, its hours and the course', async () => {
  const ctx = await browser.newContext();
  const page = await open(ctx, alice); // signs in through the player page
  await page.goto(`${d.url}/learn`);
  await page.waitForSelector('#me:not([hidden])');
  assert.equal(await page.textContent('#hours'), '0.5');
  assert.match(await page.textContent('#completed'), /第一课：如何断点续学[\s\S]*✓ 0\.5 学时/);
  await page.waitForSelector('#courses a.title');
  assert.match(await page.textContent('#courses'), /远教平台入门（示例课程）[\s\S]*✓ 已完成/);
  // It says what its total counts, and home is the member's own record.
  assert.match(await page.textContent('#hours-note'), /只算课程学习/);
  assert.equal(await page.getAttribute('#home', 'href'), '/record.html');
  for (const vp of [PHONE, DESKTOP]) {
    await page.setViewportSize(vp);
    await checkPage(page, 'learn-home');
  }
  // Tapping the lesson opens the player.
  await page.click('#courses a.title');
  await page.waitForSelector('#lesson:not([hidden])');
  assert.match(page.url(), /\/learn\/1$/);
  await checkPage(page, 'learn-player');
  await page.setViewportSize(PHONE);
  await checkPage(page, 'learn-player');
  await ctx.close();
});

test('an administrator opening /learn is pointed at their own pages, not told to sign in', async () => {
  const ctx = await browser.newContext();
  await ctx.addCookies([{ name: 'yj_session', value: await d.login('qingshan'), url: d.url }]);
  const page = await ctx.newPage();
  await page.goto(`${d.url}/learn`);
  await page.waitForSelector('#admin:not([hidden])');
  assert.ok(await page.isHidden('#signin'));
  assert.equal(await page.getAttribute('#admin a', 'href'), '/courses.html');
  assert.equal(await page.getAttribute('#home', 'href'), '/orgs.html');
  await ctx.close();
});

// Any Chinese character (CJK unified ideographs and CJK punctuation).
const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]/;

test('the lesson page and "my learning" switch to English and back, Chinese by default', async () => {
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await open(ctx, alice); // signs in through the player page
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.reload();
  await page.waitForSelector('#lesson:not([hidden])');
  // Chinese first
  assert.match(await page.textContent('#watched'), /^已学 \d+%$/);
  assert.equal((await page.textContent('.bar .back')).trim(), '‹ 我的学习');
  await page.click('#lang-switch');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.match(await page.textContent('#watched'), /^Watched \d+%$/);
  assert.equal((await page.textContent('.bar .back')).trim(), '‹ My learning');
  assert.match(await page.textContent('#rule'), /^Watch 50% \(00:\d\d\) to be credited/);
  for (const sel of ['.bar .back', '#net', '#watched', '#rule', '#credit', '#resume']) {
    assert.doesNotMatch(await page.textContent(sel), CJK, `${sel} still has Chinese`);
  }
  await checkPage(page, 'learn-player-en');
  // the choice is kept: "my learning" opens in English
  await page.goto(`${d.url}/learn`);
  await page.waitForSelector('#me:not([hidden])');
  await page.waitForSelector('#courses a.title');
  assert.equal((await page.textContent('h1')).trim(), 'My learning');
  assert.match(await page.textContent('#hours-note'), /^Lessons only\./);
  assert.equal(await page.getAttribute('#q', 'placeholder'), 'Search course names');
  for (const sel of ['.bar .back', 'h1', '#me > .card']) {
    assert.doesNotMatch(await page.textContent(sel), CJK, `${sel} still has Chinese`);
  }
  for (const h of await page.locator('#me h2').allTextContents()) assert.doesNotMatch(h, CJK, h);
  assert.match(await page.textContent('#completed'), /✓ 0\.5 hours/);
  await checkPage(page, 'learn-home-en');
  // and back to Chinese, lists drawn again
  await page.click('#lang-switch');
  assert.equal((await page.textContent('h1')).trim(), '我的学习');
  await page.waitForFunction(() => /✓ 0\.5 学时/.test(document.getElementById('completed').textContent));
  assert.deepEqual(errors, []);
  await ctx.close();
});
