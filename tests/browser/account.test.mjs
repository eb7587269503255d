// SPDX-License-Identifier: Apache-2.0
// The 账号与安全 page in Debian's Chromium against the real daemon: a
// member signed in on two "devices" (browser contexts) changes their
// password on a phone-sized screen (a common password is refused next to
// the field, the wrong current password too), the other device is signed
// out; the page lists the member's sign-ins and a script token and revokes
// the token; an administrator resets the member's password and signs them
// out everywhere from the same page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { idNumber, ensureMember, memberToken } from '../lib/members.mjs';

const WAIT = { timeout: 30000 };
const M = idNumber('330101', '19880101', 71);
let d, browser, admin;

before(async () => {
  d = await startDaemon();
  browser = await launch();
  admin = await d.login('qingshan');
  await ensureMember(d, admin, { id_number: M, name: '页面甲', org_code: '33010101' });
  const tok = await memberToken(d, admin, M);
  const r = await d.api('/api/v1/me/password', { method: 'PUT', token: tok, body: { password: 'Yemian-2026-jia' } });
  assert.equal(r.status, 204, r.text);
  assert.equal((await d.api('/api/v1/session', { method: 'DELETE', token: tok })).status, 204);
});
after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
});

async function signedInContext(body, viewport = { width: 360, height: 740 }) {
  const r = await d.api('/api/v1/session', { method: 'POST', body });
  assert.equal(r.status, 201, r.text);
  const ctx = await browser.newContext({ viewport });
  const u = new URL(d.url);
  await ctx.addCookies([{ name: 'yj_session', value: r.json.token, domain: u.hostname, path: '/' }]);
  return { ctx, token: r.json.token };
}

test('a member changes the password on a phone; other devices are signed out; tokens revoked', async () => {
  const phone = await signedInContext({ id_number: M, password: 'Yemian-2026-jia' });
  const pc = await signedInContext({ id_number: M, password: 'Yemian-2026-jia' }, { width: 1366, height: 768 });
  const script = (await d.api('/api/v1/tokens', { method: 'POST', token: pc.token, body: { label: '统计脚本', days: 7 } })).json.token;
  const page = await phone.ctx.newPage();
  await page.goto(`${d.url}/account.html`);
  // In the menu, and nothing wider than the phone.
  await page.waitForSelector('#nav a[href="/account.html"]', WAIT);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360));
  const fontPx = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('#password')).fontSize));
  assert.ok(fontPx >= 16, `input font ${fontPx}px`);
  // Three sign-ins listed (two sessions, the token); this one marked.
  await page.waitForFunction(() => document.querySelectorAll('#sessions .session-item').length === 3, null, WAIT);
  assert.match(await page.textContent('#sessions'), /本机/);
  assert.match(await page.textContent('#sessions'), /统计脚本/);
  // A common password is refused next to the field.
  await page.fill('#current', 'Yemian-2026-jia');
  await page.fill('#password', 'password123');
  await page.fill('#confirm', 'password123');
  await page.click('#pw-submit');
  await page.waitForSelector('#password-error:not([hidden])', WAIT);
  assert.match(await page.textContent('#password-error'), /太常见/);
  // A wrong current password is refused next to that field.
  await page.fill('#current', 'not-the-password');
  await page.fill('#password', 'Xinmima-2026-yi');
  await page.fill('#confirm', 'Xinmima-2026-yi');
  await page.click('#pw-submit');
  await page.waitForSelector('#current-error:not([hidden])', WAIT);
  assert.match(await page.textContent('#current-error'), /当前密码不对/);
  // The right one: changed; the list shrinks to this device.
  await page.fill('#current', 'Yemian-2026-jia');
  await page.click('#pw-submit');
  await page.waitForFunction(() => /密码已修改/.test(document.getElementById('pw-result').textContent), null, WAIT);
  await page.waitForFunction(() => document.querySelectorAll('#sessions .session-item').length === 1, null, WAIT);
  assert.equal((await d.api('/api/v1/session', { token: pc.token })).status, 401);
  assert.equal((await d.api('/api/v1/session', { token: script })).status, 401);
  assert.equal((await d.api('/api/v1/session', { token: phone.token })).status, 200);
  // A new token, revoked from the page.
  const t2 = (await d.api('/api/v1/tokens', { method: 'POST', token: phone.token, body: { label: '新脚本', days: 3 } })).json.token;
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#sessions .session-item').length === 2, null, WAIT);
  await page.click('#sessions .session-item:has-text("新脚本") button');
  await page.waitForFunction(() => document.querySelectorAll('#sessions .session-item').length === 1, null, WAIT);
  assert.equal((await d.api('/api/v1/session', { token: t2 })).status, 401);
  await phone.ctx.close();
  await pc.ctx.close();
});

test('an administrator resets a member\'s password and signs them out everywhere', async () => {
  const member = await signedInContext({ id_number: M, password: 'Xinmima-2026-yi' });
  const adm = await signedInContext({ username: 'qingshan', password: 'demo-pass-2026' }, { width: 1366, height: 768 });
  const page = await adm.ctx.newPage();
  await page.goto(`${d.url}/account.html`);
  await page.waitForSelector('#admin-card:not([hidden])', WAIT);
  await page.fill('#member', M);
  await page.fill('#reset', '12345678');
  await page.click('#reset-submit');
  await page.waitForSelector('#reset-error:not([hidden])', WAIT);
  await page.fill('#reset', 'Chongzhi-2026-bing');
  await page.click('#reset-submit');
  await page.waitForFunction(() => /密码已重置/.test(document.getElementById('admin-result').textContent), null, WAIT);
  assert.equal((await d.api('/api/v1/session', { token: member.token })).status, 401);
  const again = await signedInContext({ id_number: M, password: 'Chongzhi-2026-bing' });
  await page.click('#signout-all');
  await page.waitForFunction(() => /已让该党员的 1 个登录退出/.test(document.getElementById('admin-result').textContent), null, WAIT);
  assert.equal((await d.api('/api/v1/session', { token: again.token })).status, 401);
  // A member outside the subtree: named as not found next to the field.
  await page.fill('#member', idNumber('330102', '19880101', 72));
  await page.click('#signout-all');
  await page.waitForSelector('#member-error:not([hidden])', WAIT);
  await member.ctx.close();
  await again.ctx.close();
  await adm.ctx.close();
});
