// SPDX-License-Identifier: Apache-2.0
// Adding one member on /orgs.html (添加一名党员) in Debian's Chromium: a
// wrong check digit is caught under the field before anything is sent, a
// number typed with spaces and a lowercase x is tidied, the member is
// created (checked over the API), and the same number again is refused in
// words. Layout check and screenshots at 360×740 and 1366×768.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { idnum } from '../lib/idnum.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';

let d, browser, qingshan;
before(async () => {
  d = await startDaemon();
  qingshan = await d.login('qingshan');
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
});

test('add one member through the page, at both sizes', async () => {
  for (const [vp, seq] of [[PHONE, 801], [DESKTOP, 802]]) {
    const ctx = await browser.newContext({ viewport: vp, locale: 'zh-CN' });
    await ctx.addCookies([{ name: 'yj_session', value: qingshan, url: d.url }]);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
    let posts = 0;
    p.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/members')) posts++; });
    await p.goto(`${d.url}/orgs.html?org=33010102`);
    await p.waitForSelector('#members-body tr');
    await checkPage(p, 'orgs');
    const id = idnum('330102', '19880808', seq);
    await p.click('#member-add');
    await p.waitForSelector('dialog[open] #a-id');
    await checkPage(p, 'member-add');
    const wrong = id.slice(0, 17) + (id[17] === '1' ? '2' : '1');
    await p.fill('#a-id', wrong);
    await p.fill('#a-name', '周新民');
    await p.click('dialog[open] button[type=submit]');
    await p.waitForSelector('#a-id-error:not([hidden])');
    assert.match(await p.textContent('#a-id-error'), /校验位/);
    assert.equal(posts, 0, 'nothing sent for a wrong check digit');
    const spaced = `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`.toLowerCase();
    await p.fill('#a-id', spaced);
    await p.fill('#a-phone', '138 0571 0099');
    await p.fill('#a-joined', '2015年7月1日');
    await p.click('dialog[open] button[type=submit]');
    await p.waitForSelector('#member-added:not([hidden])');
    assert.match(await p.textContent('#member-added'), /已添加 周新民/);
    const m = (await d.api(`/api/v1/members/${id}`, { token: qingshan })).json;
    assert.equal(m.name, '周新民');
    assert.equal(m.org_code, '33010102');
    assert.equal(m.phone, '13805710099');
    assert.equal(m.joined_on, '2015-07-01');
    // Again: refused in words under the number.
    await p.click('#member-add');
    await p.fill('#a-id', id);
    await p.fill('#a-name', '周新民');
    await p.click('dialog[open] button[type=submit]');
    await p.waitForSelector('#a-id-error:not([hidden])');
    assert.match(await p.textContent('#a-id-error'), /已经登记过了/);
    await ctx.close();
  }
});
