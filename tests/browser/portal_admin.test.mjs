// SPDX-License-Identifier: Apache-2.0
// The administrator actions of the portal pages in Debian's Chromium
// against the real daemon (demo data), each done through the page by the
// township administrator qingshan (330101) and then checked over the API:
//   1. a one-time sign-in code from a member row and from the record page
//      (shown as 8 digits; the member can sign in with it, once);
//   2. a manual credit and the correction of a ledger line, each refused
//      without a reason, cancelled once at the confirmation (nothing
//      written), then confirmed; the page's totals follow the server;
//   3. creating, renaming, moving and deleting an organisation, and the
//      409 "still has members or children" said in words;
//   4. editing a member's details (a bad phone shown next to the field and
//      nothing saved; then phone, status, migrant, location and a move to
//      another organisation), on a phone-sized screen.
// Screenshots go to a temp folder, kept when a test fails or
// YJ_KEEP_SCREENSHOTS=1 (its path is printed).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SRC } from '../lib/daemon.mjs';
import { browserTest } from '../lib/browser.mjs';
import { checkPage } from '../lib/layout.mjs';
import { checkChar } from '../lib/idnum.mjs';

const WAIT = { timeout: 30000 };
const demo = (first17) => first17 + checkChar(first17);
const ZHANG = demo('33010219560312013'); // 张建国, 青山村党支部, has a 1.5 h meeting line
const LI = demo('33010219630925024');    // 李秀英, 青山村党支部
const ZHAO = demo('33010219890102046');  // 赵丽娟, 青山村党支部, no phone
const WANG = demo('33010219780418035');  // 王志强, 青山村党支部

let d, browser, token, shots, failed = false;

browserTest({
  logins: ['qingshan'],
  ready: (s) => {
    ({ d, browser } = s);
    token = s.tokens.qingshan;
    shots = mkdtempSync(join(tmpdir(), 'yj-portal-admin-shots-'));
  },
});

after(() => {
  if (failed || process.env.YJ_KEEP_SCREENSHOTS) console.log('screenshots in ' + shots);
  else rmSync(shots, { recursive: true, force: true });
});

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
  // Every page: controls on screen at a phone width, text ≥ 14 px, AA contrast.
  await checkPage(page, 'portal-admin-' + name);
}

/** A page signed in as qingshan (by cookie: the sign-in page has its own
 *  test), tracking script errors and failed API calls. */
async function adminPage(viewport = { width: 1280, height: 900 }, extra = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', ...extra });
  const t = await d.login('qingshan');
  await ctx.addCookies([{ name: 'yj_session', value: t, url: d.url }]);
  const page = await ctx.newPage();
  page.errors = [];
  page.apiFailures = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400 && r.url().includes('/api/')) page.apiFailures.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return { ctx, page };
}

// Runs body with a fresh admin page; on failure keeps a screenshot and
// prints what the page said. Fails on any script error on the page.
async function withPage(name, body, viewport, extra) {
  const { ctx, page } = await adminPage(viewport, extra);
  try {
    await body(page);
    assert.deepEqual(page.errors, [], 'JavaScript errors on the page');
  } catch (e) {
    failed = true;
    await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true }).catch(() => {});
    const text = await page.evaluate(() => document.body.innerText).catch(() => '?');
    console.log(`page ${page.url()} at failure:\n${text.slice(0, 2000)}`);
    console.log('API answers >= 400 (some are expected):\n' + page.apiFailures.join('\n'));
    throw e;
  } finally {
    await ctx.close();
  }
}

const record = async (id) => {
  const r = await d.api(`/api/v1/members/${id}/record`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const codeSignIn = (id, code) => d.api('/api/v1/session', { method: 'POST', body: { id_number: id, code } });
const loaded = (page, name) =>
  page.waitForFunction((n) => document.getElementById('name')?.textContent === n, name, WAIT);

test('the forms read what people type: full-width digits, units, groups', async () => {
  const src = readFileSync(join(SRC, 'portal/web/js/input.js'), 'utf8');
  const I = await import('data:text/javascript;base64,' + Buffer.from(src).toString('base64'));
  const dur = (s, o) => I.parseDuration(s, o);
  for (const [s, m] of [['1.5', 90], ['１．５', 90], ['1。5', 90], ['90分钟', 90], ['1小时30分', 90],
    ['1h30m', 90], [' 2 hours ', 120], ['45 min', 45], ['0.75', 45], ['.5', 30], ['100小时', 6000]])
    assert.deepEqual(dur(s), { minutes: m }, s);
  assert.deepEqual(dur(''), { error: 'input.duration.empty' });
  assert.deepEqual(dur('一个半小时'), { error: 'input.duration.format' });
  assert.deepEqual(dur('-1'), { error: 'input.duration.format' });
  assert.deepEqual(dur('0'), { error: 'input.duration.zero' });
  assert.deepEqual(dur('0', { min: 0 }), { minutes: 0 });
  assert.deepEqual(dur('100.1'), { error: 'input.duration.too_big' });
  assert.deepEqual(I.parsePhone('１３８ ０５７１-０００４'), { phone: '13805710004' });
  assert.deepEqual(I.parsePhone('+86 138 0571 0004'), { phone: '+8613805710004' });
  assert.deepEqual(I.parsePhone('  '), { phone: '' });
  assert.deepEqual(I.parsePhone('138-05x'), { error: 'input.phone.format' });
  assert.deepEqual(I.parseOrgCode(' ３３０１０１０３ '), { code: '33010103' });
  assert.deepEqual(I.parseOrgCode('3301-01'), { error: 'input.code.format' });
  assert.deepEqual(I.parseText('  青山村\u3000党支部\n'), { text: '青山村 党支部' });
  assert.deepEqual(I.parseText('=SUM(A1)'), { error: 'input.text.formula' });
  assert.deepEqual(I.parseText('长'.repeat(101)), { error: 'input.text.too_long' });
  assert.deepEqual(I.parseText('', { required: false }), { text: '' });
});

test('one-time sign-in code from a member row and from the record page', async () => {
  await withPage('code', async (page) => {
    await page.goto(`${d.url}/orgs.html?org=33010101`);
    const row = page.locator('#members-body tr', { hasText: '张建国' });
    await row.locator('button.issue-code').click();
    await page.waitForSelector('#code-dialog[open]', WAIT);
    // The first press only explains; the code comes with the second.
    assert.equal(await page.locator('#code-dialog .code-digits').count(), 0);
    await page.click('#code-dialog button[type=submit]');
    const digits = page.locator('#code-dialog .code-digits');
    await digits.waitFor(WAIT);
    const code = await digits.getAttribute('data-code');
    assert.match(code, /^\d{8}$/);
    assert.equal((await digits.textContent()).replace(/\s/g, ''), code, 'the digits shown are the code');
    const text = await page.textContent('#code-dialog');
    assert.match(text, /张建国 的一次性登录码/);
    assert.match(text, /有效期至 \d{4}-\d\d-\d\d \d\d:\d\d/);
    assert.match(text, /本人/);
    await shot(page, '1-code-dialog');
    await page.click('#code-dialog button:has-text("关闭")');
    await page.waitForSelector('#code-dialog', { state: 'detached', ...WAIT });
    let r = await codeSignIn(ZHANG, code);
    assert.equal(r.status, 201, 'the member signs in with the code: ' + r.text);
    r = await codeSignIn(ZHANG, code);
    assert.equal(r.status, 401, 'a code works once');

    await page.goto(`${d.url}/record.html?id=${LI}`);
    await loaded(page, '李秀英');
    await page.click('#code-open');
    await page.click('#code-issue');
    const big = page.locator('#code-result .code-digits');
    await big.waitFor(WAIT);
    const code2 = await big.getAttribute('data-code');
    assert.match(code2, /^\d{8}$/);
    // Large on screen: the digits are at least twice the body text.
    const size = await big.evaluate((e) => parseFloat(getComputedStyle(e).fontSize) / parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(size >= 2, `code font is ${size}× the body text`);
    await shot(page, '2-code-record');
    r = await codeSignIn(LI, code2);
    assert.equal(r.status, 201, r.text);

    // The member, signed in with that code, sees their record without any
    // of the administrator's buttons.
    const mctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await mctx.addCookies([{ name: 'yj_session', value: r.json.token, url: d.url }]);
      const mp = await mctx.newPage();
      await mp.goto(`${d.url}/record.html`);
      await loaded(mp, '李秀英');
      await mp.waitForSelector('#ledger-body tr', WAIT);
      assert.equal(await mp.isHidden('#admin-bar'), true);
      assert.equal(await mp.locator('#ledger-body button').count(), 0);
      assert.equal(await mp.isHidden('#ledger-table .admin-col'), true);
    } finally {
      await mctx.close();
    }
  });
});

test('manual credit and correction: reason required, confirmation, totals refreshed', async () => {
  await withPage('ledger', async (page) => {
    const before = await record(WANG);
    await page.goto(`${d.url}/record.html?id=${WANG}`);
    await loaded(page, '王志强');
    const totalBefore = await page.textContent('#total-all');

    // A credit without a reason is refused next to the field.
    await page.click('#credit-open');
    await page.waitForSelector('#ledger-dialog[open]', WAIT);
    await page.fill('#l-amount', '１小时３０分');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#l-reason-error:not([hidden])', WAIT);
    assert.match(await page.textContent('#l-reason-error'), /理由/);
    // With a reason: the confirmation says what will happen; cancel once.
    await page.fill('#l-reason', '  外出务工期间参加当地支部组织生活 ');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#ledger-dialog .confirm-summary', WAIT);
    assert.match(await page.textContent('#ledger-dialog .confirm-summary'), /补录 1\.5 小时（90 分钟）.*外出务工期间参加当地支部组织生活/);
    await shot(page, '3-credit-confirm');
    await page.click('#ledger-dialog button:has-text("返回修改")');
    await page.waitForSelector('#l-amount', WAIT);
    assert.equal(await page.inputValue('#l-amount'), '１小时３０分', 'the form keeps what was typed');
    await page.click('#ledger-dialog button:has-text("取消")');
    await page.waitForSelector('#ledger-dialog', { state: 'detached', ...WAIT });
    assert.equal((await record(WANG)).ledger.length, before.ledger.length, 'a cancelled credit wrote something');

    // Now for real.
    await page.click('#credit-open');
    await page.fill('#l-amount', '90分钟');
    await page.fill('#l-reason', '外出务工期间参加当地支部组织生活');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#ledger-dialog .confirm-summary', WAIT);
    await page.click('#ledger-dialog button:has-text("确定补录")');
    await page.waitForSelector('#hours-saved.notice-ok:not([hidden])', WAIT);
    let after = await record(WANG);
    assert.equal(after.ledger.length, before.ledger.length + 1);
    const credit = after.ledger.find((l) => l.kind === 'manual' && l.reason === '外出务工期间参加当地支部组织生活');
    assert.ok(credit, 'the manual credit is in the ledger');
    assert.equal(credit.minutes, 90);
    assert.equal(credit.by_whom, 'qingshan');
    assert.equal(after.total_minutes, before.total_minutes + 90);
    const hoursText = (m) => String(Math.round(m / 60 * 100) / 100); // at most two decimals
    assert.equal(await page.textContent('#total-all'), `累计 ${hoursText(after.total_minutes)} 小时`);
    assert.notEqual(await page.textContent('#total-all'), totalBefore);

    // Correct that line to 1 hour: without a reason first, then confirmed.
    await page.click(`#ledger-body tr[data-id="${credit.id}"] button.correct-line`);
    await page.waitForSelector('#ledger-dialog[open]', WAIT);
    assert.match(await page.textContent('#ledger-dialog .line-summary'), /补录，现在计 1\.5 小时/);
    await page.fill('#l-amount', '1.5');
    await page.fill('#l-reason', '多记了');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#l-amount-error:not([hidden])', WAIT);
    assert.match(await page.textContent('#l-amount-error'), /一样/);
    await page.fill('#l-amount', '1');
    await page.fill('#l-reason', '');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#l-reason-error:not([hidden])', WAIT);
    await page.fill('#l-reason', '实际只参加了 1 小时');
    await page.click('#ledger-dialog button[type=submit]');
    await page.waitForSelector('#ledger-dialog .confirm-summary', WAIT);
    assert.match(await page.textContent('#ledger-dialog .confirm-summary'), /从 1\.5 小时改为 1 小时（减少 0\.5 小时）/);
    await page.click('#ledger-dialog button:has-text("确定更正")');
    await page.waitForSelector('#hours-saved.notice-ok:not([hidden])', WAIT);
    assert.match(await page.textContent('#hours-saved'), /现计 1 小时/);
    after = await record(WANG);
    const fix = after.ledger.find((l) => l.corrects === credit.id);
    assert.ok(fix, 'the correction row points at the credit');
    assert.equal(fix.minutes, -30);
    assert.equal(fix.reason, '实际只参加了 1 小时');
    assert.equal(after.total_minutes, before.total_minutes + 60);
    assert.equal(await page.textContent('#total-all'), `累计 ${hoursText(after.total_minutes)} 小时`);
    // The correction line has no 更正 button; the corrected line says what it counts now.
    assert.equal(await page.locator(`#ledger-body tr[data-id="${fix.id}"] button`).count(), 0);
    assert.match(await page.textContent(`#ledger-body tr[data-id="${credit.id}"]`), /已更正，现计 1 小时/);
    await shot(page, '4-ledger-corrected');
  });
});

test('organisations: create a child, rename, move, and a refused delete said in words', async () => {
  await withPage('orgs', async (page) => {
    await page.goto(`${d.url}/orgs.html?org=330101`);
    await page.waitForFunction(() => document.getElementById('org-name').textContent === '青山镇党委', null, WAIT);
    // The administrator's own top organisation can be renamed but not moved or deleted.
    assert.equal(await page.isHidden('#org-move'), true);
    assert.equal(await page.isHidden('#org-delete'), true);

    // Create: the next free code is suggested; a taken code is refused next to the field.
    await page.click('#org-add');
    await page.waitForSelector('#org-dialog[open]', WAIT);
    assert.equal(await page.inputValue('#o-code'), '33010103');
    await page.fill('#o-name', '  试点村党支部 ');
    await page.fill('#o-code', '33010102');
    await page.click('#org-dialog button[type=submit]');
    await page.waitForSelector('#o-code-error:not([hidden])', WAIT);
    assert.match(await page.textContent('#o-code-error'), /已经有组织在用/);
    await page.fill('#o-code', '３３０１０１０３');
    await page.click('#org-dialog button[type=submit]');
    await page.waitForSelector('#org-saved.notice-ok:not([hidden])', WAIT);
    let r = await d.api('/api/v1/orgs/33010103', { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, '试点村党支部');
    assert.equal(r.json.parent_code, '330101');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('org') === '33010103', null, WAIT);
    assert.match(await page.textContent('#tree'), /试点村党支部/);

    // Rename.
    await page.click('#org-rename');
    await page.fill('#o-name', '试点社区党支部');
    await page.click('#org-dialog button[type=submit]');
    await page.waitForFunction(() => document.getElementById('org-name').textContent === '试点社区党支部', null, WAIT);
    r = await d.api('/api/v1/orgs/33010103', { token });
    assert.equal(r.json.name, '试点社区党支部');

    // Move: only this administrator's organisations are offered, not the
    // org itself nor its current parent.
    await page.click('#org-move');
    await page.waitForSelector('#o-parent', WAIT);
    const offered = await page.$$eval('#o-parent option', (os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual(offered.sort(), ['33010101', '33010102']);
    assert.match(await page.textContent('#org-dialog'), /它的 0 名党员会一起移过去/);
    await page.click('#org-dialog button[type=submit]');
    await page.waitForSelector('#o-parent-error:not([hidden])', WAIT);
    await page.selectOption('#o-parent', '33010101');
    await page.click('#org-dialog button[type=submit]');
    await page.waitForSelector('#org-saved.notice-ok:not([hidden])', WAIT);
    r = await d.api('/api/v1/orgs/33010103', { token });
    assert.equal(r.json.parent_code, '33010101');
    await shot(page, '5-org-moved');

    // Delete an organisation that still has members and a child: refused, in words.
    await page.click('#tree .tree-name[data-code="33010101"]');
    await page.waitForFunction(() => document.getElementById('org-name').textContent === '青山村党支部', null, WAIT);
    await page.click('#org-delete');
    await page.waitForSelector('#org-dialog[open]', WAIT);
    await page.click('#org-dialog button[type=submit]');
    const msg = page.locator('#org-dialog .form-message:not([hidden])');
    await msg.waitFor(WAIT);
    const said = await msg.textContent();
    assert.match(said, /不能删除/);
    assert.match(said, /5 名党员和 1 个下级组织/);
    assert.match(said, /转到其他组织/);
    assert.equal(await page.isDisabled('#org-dialog button[type=submit]'), true);
    await shot(page, '6-org-delete-refused');
    await page.click('#org-dialog button:has-text("关闭")');
    await page.waitForSelector('#org-dialog', { state: 'detached', ...WAIT });
    r = await d.api('/api/v1/orgs/33010101', { token });
    assert.equal(r.status, 200, 'a refused delete removed the organisation');

    // Delete the empty new one.
    await page.click('#tree .tree-name[data-code="33010103"]');
    await page.waitForFunction(() => document.getElementById('org-name').textContent === '试点社区党支部', null, WAIT);
    await page.click('#org-delete');
    await page.click('#org-dialog button[type=submit]');
    await page.waitForSelector('#org-saved.notice-ok:not([hidden])', WAIT);
    assert.match(await page.textContent('#org-saved'), /已删除/);
    r = await d.api('/api/v1/orgs/33010103', { token });
    assert.equal(r.status, 404);
    await page.waitForFunction(() => document.getElementById('org-name').textContent === '青山村党支部', null, WAIT);
    assert.ok(!(await page.textContent('#tree')).includes('试点社区党支部'));
  });
});

test('edit a member on a phone: a bad phone next to the field, then save and move', async () => {
  await withPage('edit', async (page) => {
    const before = (await record(ZHAO)).member;
    assert.equal(before.phone, null);
    await page.goto(`${d.url}/record.html?id=${ZHAO}`);
    await loaded(page, '赵丽娟');
    await page.click('#edit-open');
    await page.waitForSelector('#edit-form:not([hidden])', WAIT);
    // Only this administrator's organisations are offered.
    await page.waitForSelector('#e-org[data-loaded=true]', { state: 'attached', ...WAIT });
    const offered = await page.$$eval('#e-org option', (os) => os.map((o) => o.value));
    assert.deepEqual(offered.sort(), ['330101', '33010101', '33010102']);
    await page.fill('#e-phone', '138-05x');
    await page.check('input[name=e-migrant][value=yes]');
    await page.fill('#e-location', '浙江省宁波市');
    await page.click('#edit-save');
    await page.waitForSelector('#e-phone-error:not([hidden])', WAIT);
    assert.match(await page.textContent('#e-phone-error'), /手机号不对/);
    assert.equal(await page.getAttribute('#e-phone', 'aria-invalid'), 'true');
    await shot(page, '7-edit-phone-error');
    assert.deepEqual((await record(ZHAO)).member, before, 'a refused edit changed the member');

    // A date the server refuses comes back next to its field.
    await page.fill('#e-phone', '１３８ ０５７１ ０００４');
    await page.fill('#e-joined', '2999-01-01');
    await page.click('#edit-save');
    await page.waitForSelector('#e-joined-error:not([hidden])', WAIT);
    assert.deepEqual((await record(ZHAO)).member, before);

    await page.fill('#e-joined', '2012年5月4日');
    await page.check('input[name=e-status][value=probationary]');
    await page.selectOption('#e-org', '33010102');
    await page.click('#edit-save');
    // Moving to another organisation asks first.
    await page.waitForSelector('dialog[open] .dialog-body', WAIT);
    assert.match(await page.textContent('dialog[open]'), /把 赵丽娟 从“青山村党支部”转到“竹林村党支部”/);
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('#profile-saved.notice-ok:not([hidden])', WAIT);
    const m = (await record(ZHAO)).member;
    assert.equal(m.phone, '13805710004');
    assert.equal(m.migrant, true);
    assert.equal(m.location, '浙江省宁波市');
    assert.equal(m.status, 'probationary');
    assert.equal(m.org_code, '33010102');
    assert.equal(m.joined_on, '2012-05-04');
    const profile = await page.textContent('#profile');
    for (const s of ['13805710004', '浙江省宁波市', '预备党员', '竹林村党支部']) assert.ok(profile.includes(s), s);
    assert.match(await page.textContent('#profile-saved'), /已保存：.*手机.*所在组织/);
    await shot(page, '8-edit-saved-phone');
  }, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
});
