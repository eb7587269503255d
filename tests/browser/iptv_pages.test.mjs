// SPDX-License-Identifier: Apache-2.0
// The IPTV pages in Debian's Chromium against the real daemon (demo data),
// at a phone's 360×740 and a laptop's 1366×768, each action done through
// the page by the district administrator and checked over the API:
//   1. the channel page: create a channel (bitrate typed in kbit/s, saved
//      in bit/s), a taken number refused in Chinese under its field and
//      nothing added; a station created, its key shown once and working,
//      then revoked from the page (the key gets 403);
//   2. the schedule page: the week grid (seven columns side by side on the
//      laptop, one day under another on the phone), a lesson added with the
//      course/lesson picker, an overlapping one refused in Chinese and not
//      added, the programme's time edited by tapping it, and (with a
//      mouse) dragged to the next day.
// Both pages: no horizontal scrolling, body text at least 16 px, no script
// errors. Screenshots go to a temp folder, kept on failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';

const WAIT = { timeout: 30000 };
const VIEWPORTS = [{ name: 'phone', width: 360, height: 740 }, { name: 'laptop', width: 1366, height: 768 }];
const DAY = 86400e3, OFF = 8 * 3600e3;

let d, browser, admin, shots, failed = false;

before(async () => {
  shots = mkdtempSync(join(tmpdir(), 'yj-iptv-shots-'));
  d = await startDaemon();
  browser = await launch();
  admin = await d.login('district');
});

after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
  if (failed || process.env.YJ_KEEP_SCREENSHOTS) console.log('screenshots in ' + shots);
  else rmSync(shots, { recursive: true, force: true });
});

async function withPage(name, viewport, body) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN' });
  const tok = await d.login('district');
  await ctx.addCookies([{ name: 'yj_session', value: tok, url: d.url }]);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (dlg) => dlg.accept());
  try {
    await body(page);
    assert.deepEqual(errors, [], 'JavaScript errors on the page');
    await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
  } catch (e) {
    failed = true;
    await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true }).catch(() => {});
    console.log(`page ${page.url()} at failure:\n` + (await page.evaluate(() => document.body.innerText).catch(() => '?')).slice(0, 2000));
    throw e;
  } finally {
    await ctx.close();
  }
}

async function checkLayout(page) {
  const m = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth, w: window.innerWidth,
    font: parseFloat(getComputedStyle(document.body).fontSize),
  }));
  assert.ok(m.sw <= m.w, `no horizontal scrolling (${m.sw} > ${m.w})`);
  assert.ok(m.font >= 16, `body text ${m.font}px`);
}

const channels = async () => (await d.api('/api/v1/channels', { token: admin })).json.channels;

for (const [i, vp] of VIEWPORTS.entries()) {
  test(`channel page at ${vp.width}×${vp.height}: create, refusal in Chinese, station key and revocation`, async () => {
    const num = 70 + i;
    await withPage(`channels-${vp.name}`, vp, async (page) => {
      await page.goto(d.url + '/channels');
      await page.getByRole('cell', { name: /远教一台/ }).first().waitFor(WAIT);
      await checkLayout(page);
      await page.getByRole('button', { name: '新建频道' }).click();
      await page.getByLabel('频道号').fill(String(num));
      await page.getByLabel('频道名称').fill(`测试频道${num}`);
      await page.getByLabel(/组播地址/).fill(`239.2.2.${num}`);
      await page.getByLabel(/码率/).fill('800');
      await page.getByRole('button', { name: '保存' }).click();
      await page.getByText('已保存。').waitFor(WAIT);
      const c = (await channels()).find((x) => x.number === num);
      assert.ok(c, 'created');
      assert.equal(c.bitrate, 800000);
      assert.equal(c.address, `239.2.2.${num}`);
      // the same number again: refused under the field, in Chinese
      const before = (await channels()).length;
      await page.getByRole('button', { name: '新建频道' }).click();
      await page.getByLabel('频道号').fill(String(num));
      await page.getByLabel('频道名称').fill('重号');
      await page.getByLabel(/组播地址/).fill(`239.3.3.${num}`);
      await page.getByRole('button', { name: '保存' }).click();
      await page.locator('#f-number-error').getByText('这个频道号已经被占用。').waitFor(WAIT);
      assert.equal((await channels()).length, before);
      await checkLayout(page);
      await page.getByRole('button', { name: '取消' }).click();

      // a station: the key shown once, working; then revoked from the page
      const sname = `测试站点${num}`;
      await page.locator('#s-name').fill(sname);
      await page.locator('#s-org').fill('33010101');
      await page.getByRole('button', { name: '新建站点' }).click();
      const key = (await page.locator('#st-key-value').textContent(WAIT)).trim();
      assert.match(key, /^yjst_/);
      assert.equal((await d.api(`/api/v1/channels.m3u?key=${key}`)).status, 200);
      const row = page.getByRole('row').filter({ hasText: sname });
      await row.getByRole('button', { name: '停用密钥' }).click();
      await row.getByText('已停用').waitFor(WAIT);
      const r = await d.api(`/api/v1/channels.m3u?key=${key}`);
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'key_revoked');
      await checkLayout(page);
    });
  });

  test(`schedule page at ${vp.width}×${vp.height}: week grid, lesson picker, overlap refused, edit${vp.width > 1000 ? ', drag to the next day' : ''}`, async () => {
    const num = 80 + i;
    const cr = await d.api('/api/v1/channels', { method: 'POST', token: admin, body: { number: num, name: `节目表${num}`, address: `239.4.4.${num}`, port: 5004 } });
    assert.equal(cr.status, 201, cr.text);
    const ch = cr.json.id;
    const progs = async () => (await d.api(`/api/v1/channels/${ch}/programmes`, { token: admin })).json.programmes;
    // Wednesday of this week (+08:00), as the page shows it
    const now = Date.now();
    const dayStart = Math.floor((now + OFF) / DAY) * DAY - OFF;
    const monday = dayStart - ((new Date(dayStart + OFF).getUTCDay() + 6) % 7) * DAY;
    const wed = new Date(monday + 2 * DAY + OFF).toISOString().slice(0, 10);
    await withPage(`schedule-${vp.name}`, vp, async (page) => {
      await page.goto(`${d.url}/schedule.html?channel=${ch}`);
      await page.locator('.day').nth(6).waitFor(WAIT);
      assert.equal(await page.locator('.day').count(), 7);
      const tops = await page.locator('.day').evaluateAll((ds) => ds.map((x) => Math.round(x.getBoundingClientRect().top)));
      if (vp.width > 1000) assert.equal(new Set(tops).size, 1, 'seven columns side by side');
      else assert.ok(tops.every((t, k) => k === 0 || t > tops[k - 1]), 'days one under another');
      await checkLayout(page);

      await page.getByRole('button', { name: '添加节目' }).click();
      await page.locator('#p-course option[value="1"]').waitFor({ state: 'attached', ...WAIT });
      await page.getByLabel('课程', { exact: true }).selectOption('1');
      await page.locator('#p-lesson_id option[value="1"]').waitFor({ state: 'attached', ...WAIT });
      await page.getByLabel('课时', { exact: true }).selectOption('1');
      await page.getByLabel('日期').fill(wed);
      await page.getByLabel(/开始时间/).fill('09:00');
      await page.getByLabel(/时长/).fill('45');
      await page.getByRole('button', { name: '保存' }).click();
      const block = page.locator('.prog').filter({ hasText: '09:00–09:45' });
      await block.waitFor(WAIT);
      let ps = await progs();
      assert.equal(ps.length, 1);
      assert.equal(ps[0].start, `${wed}T09:00:00+08:00`);
      assert.equal(ps[0].lesson_id, 1);

      // overlapping: refused in Chinese, nothing added
      await page.getByRole('button', { name: '添加节目' }).click();
      await page.getByLabel('课程', { exact: true }).selectOption('1');
      await page.locator('#p-lesson_id option[value="1"]').waitFor({ state: 'attached', ...WAIT });
      await page.getByLabel('课时', { exact: true }).selectOption('1');
      await page.getByLabel('日期').fill(wed);
      await page.getByLabel(/开始时间/).fill('09:30');
      await page.getByRole('button', { name: '保存' }).click();
      await page.locator('#p-date-error').getByText(/和已有的节目时间重叠了/).waitFor(WAIT);
      assert.equal((await progs()).length, 1);
      await page.getByRole('button', { name: '取消' }).click();

      // edit by tapping the block
      await block.click();
      await page.getByLabel(/开始时间/).fill('10:00');
      await page.getByRole('button', { name: '保存' }).click();
      await page.locator('.prog').filter({ hasText: '10:00–10:45' }).waitFor(WAIT);
      ps = await progs();
      assert.equal(ps[0].start, `${wed}T10:00:00+08:00`);
      await checkLayout(page);

      if (vp.width > 1000) {
        // drag to Thursday: the programme moves by one day
        await page.locator('.prog').filter({ hasText: '10:00–10:45' }).dragTo(page.locator('.day').nth(3));
        const thu = new Date(monday + 3 * DAY + OFF).toISOString().slice(0, 10);
        await page.locator('.day').nth(3).locator('.prog').waitFor(WAIT);
        ps = await progs();
        assert.equal(ps[0].start, `${thu}T10:00:00+08:00`);
        assert.equal(ps[0].end, `${thu}T10:45:00+08:00`);
      }
    });
  });
}
