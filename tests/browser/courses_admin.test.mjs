// SPDX-License-Identifier: Apache-2.0
// The administrators' course page in Debian's Chromium against the real
// daemon: qingshan creates a course, uploads a 20 s video through the page
// (the second chunk's connection is cut once; the page says so, asks the
// server where to continue and finishes), watches the progress bar go
// through the upload and the transcoding to "ready", changes the lesson's
// hours and unpublishes it — each checked over the API. Layout check and
// screenshots at 360×740 and 1366×768.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { makeVideo } from '../lib/vod.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';

let d, browser, qingshan, tmp;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yj-courses-'));
  d = await startDaemon({ ini: '[vod]\ndemo_lesson=false\n' });
  qingshan = await d.login('qingshan');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('create a course, upload a 20 s video with a dropped connection, follow it to ready, change and unpublish', async () => {
  const video = makeVideo(join(tmp, '第一课.mp4'), { seconds: 20, size: '640x360' });
  const size = statSync(video).size;
  assert.ok(size > 1.2 * 1048576, `the video spans several 1 MiB chunks (${size} bytes)`);

  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
  await ctx.addCookies([{ name: 'yj_session', value: qingshan, url: d.url }]);
  const p = await ctx.newPage();
  p.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  await p.goto(`${d.url}/courses.html`);
  await p.waitForSelector('#courses li');
  await checkPage(p, 'courses');
  await p.setViewportSize(PHONE);
  await checkPage(p, 'courses');
  await p.setViewportSize(DESKTOP);
  await p.click('#new-course summary');
  await p.click('#cform button[type=submit]');
  await p.waitForSelector('#c-title-error:not([hidden])');
  await p.fill('#c-title', '学习党章');
  await p.fill('#c-category', '理论学习');
  await p.click('#cform button[type=submit]');
  await p.waitForURL(/courses\.html\?course=\d+/);
  const courseId = Number(new URL(p.url()).searchParams.get('course'));
  await p.waitForSelector('#upload-card:not([hidden])');

  // Cut the connection of the second chunk once.
  let cut = 0;
  await p.route('**/api/v1/uploads/*?offset=*', (route) => {
    const off = Number(new URL(route.request().url()).searchParams.get('offset'));
    if (off > 0 && cut === 0) { cut++; return route.abort('connectionreset'); }
    return route.continue();
  });
  // Keep every state the progress shows.
  await p.evaluate(() => {
    window.seen = [];
    setInterval(() => {
      const b = document.getElementById('u-bar');
      window.seen.push([b.dataset.phase || '', b.value, document.getElementById('u-phase').textContent]);
    }, 50);
  });
  await p.fill('#u-title', '第一课 党章总纲');
  await p.setInputFiles('#u-file', video);
  await p.fill('#u-hours', '0.75');
  await p.fill('#u-threshold', '80');
  await p.click('#u-go');
  await p.waitForSelector('#u-bar[data-phase="ready"]', { timeout: 300000 });
  assert.match(await p.textContent('#u-phase'), /已经可以学习了/);
  const seen = await p.evaluate(() => window.seen);
  assert.equal(cut, 1, 'one chunk was cut');
  assert.ok(seen.some(([, , txt]) => /网络断了/.test(txt)), 'the page said the connection dropped');
  const up = seen.filter(([ph]) => ph === 'upload').map(([, v]) => v);
  assert.ok(up.some((v) => v > 0 && v < 100), `upload progress in between: ${up}`);
  for (let i = 1; i < up.length; i++) assert.ok(up[i] >= up[i - 1] || up[i] === 0, 'upload progress never goes back');
  assert.ok(seen.some(([ph]) => ph === 'transcode'), 'transcoding was shown');
  await checkPage(p, 'courses-upload-ready');

  // Over the API: one ready lesson of about 20 s, as the form said.
  let c = (await d.api(`/api/v1/courses/${courseId}`, { token: qingshan })).json;
  assert.equal(c.lessons.length, 1);
  const l = (await d.api(`/api/v1/lessons/${c.lessons[0].id}`, { token: qingshan })).json;
  assert.equal(l.status, 'ready');
  assert.equal(l.title, '第一课 党章总纲');
  assert.ok(Math.abs(l.duration - 20) < 1, `duration ${l.duration}`);
  assert.equal(l.minutes, 45);
  assert.equal(l.threshold, 0.8);
  assert.deepEqual(l.orgs.map((o) => o.code ?? o), ['330101']);
  const item = p.locator(`#lessons li[data-lesson="${l.id}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /可以学习/);
  assert.match(await item.textContent(), /计 0\.75 学时/);

  // The course's category, changed on the page.
  await p.click('#course-edit');
  await p.fill('#ec-category', '党章党规');
  await p.click('dialog[open] button[type=submit]');
  await p.waitForSelector('dialog[open]', { state: 'detached' });
  assert.equal((await d.api(`/api/v1/courses/${courseId}`, { token: qingshan })).json.category, '党章党规');
  await p.waitForFunction(() => /党章党规/.test(document.getElementById('course-meta').textContent));

  // Change the hours, then unpublish.
  await item.locator('button', { hasText: '修改' }).click();
  await p.fill('#e-hours', '30分钟');
  await p.click('dialog[open] button[type=submit]');
  await p.waitForSelector('dialog[open]', { state: 'detached' });
  assert.equal((await d.api(`/api/v1/lessons/${l.id}`, { token: qingshan })).json.minutes, 30);
  await p.locator(`#lessons li[data-lesson="${l.id}"] button`, { hasText: '停止发布' }).click();
  await p.click('dialog[open] button.btn-danger');
  await p.waitForSelector('#page-ok:not([hidden])');
  assert.deepEqual((await d.api(`/api/v1/lessons/${l.id}`, { token: qingshan })).json.orgs, []);
  await p.waitForSelector(`#lessons li[data-lesson="${l.id}"] .badge:has-text("未发布")`);
  await p.setViewportSize(PHONE);
  await checkPage(p, 'courses-course');
  await p.setViewportSize(DESKTOP);
  await checkPage(p, 'courses-course');
  await ctx.close();
});
