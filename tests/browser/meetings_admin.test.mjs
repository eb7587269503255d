// SPDX-License-Identifier: Apache-2.0
// The administrators' meeting pages and "my meetings", in Debian's
// Chromium against the real daemon: the township administrator qingshan
// schedules a meeting through the form (a start in the past refused in
// Chinese next to the field), inviting two branches and a migrant member
// of another township found by name; the meeting page shows the full join
// link, a QR code and the live count; two members join from "my meetings";
// the host ends it from the meeting page; the report lists present and
// absent per organisation with the minutes the server credited, and its
// CSV opens in Excel (BOM). Also: change and cancel before the start.
// Every page passes the layout check at 360×740 and 1366×768, and its
// screenshots are kept under build/test-results/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { memberToken } from '../lib/members.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';

const WAIT = { timeout: 30000 };
const ZHANG = '330102195603120130'; // 张建国, 青山村党支部
const XU = '330106199103150572';    // 许文杰, 河畔社区党支部 (绿水街道), migrant
let d, browser, qingshan, district;

before(async () => {
  d = await startDaemon({
    ini: '[media]\ninterfaces=127.0.0.1\nworkers=2\n[meetings]\ngrace_seconds=30\nheartbeat_seconds=1\n',
  });
  qingshan = await d.login('qingshan');
  district = await d.login('district');
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
});

async function signedIn(token, viewport, name) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', acceptDownloads: true });
  await ctx.addCookies([{ name: 'yj_session', value: token, url: d.url }]);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`[${name}] page error: ${e.message}`); });
  page.on('console', (m) => { if (m.type() === 'error' && !/404|409|400/.test(m.text())) console.log(`[${name}]`, m.text()); });
  return { ctx, page };
}

async function until(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last && last.ok) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

// The datetime-local text of an instant in Asia/Shanghai (UTC+8, no DST).
function shanghai(ms) {
  return new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);
}

test('schedule, join from my meetings, end, report with present and absent per organisation', async () => {
  const admin = await signedIn(qingshan, DESKTOP, 'qingshan');
  const p = admin.page;
  await p.goto(`${d.url}/meetings.html`);
  await p.waitForSelector('#list-live li');
  await checkPage(p, 'meetings');
  await p.click('#new-meeting');
  await p.fill('#m-title', '十二月支部党员大会');
  await p.selectOption('#m-type', 'member_assembly');
  await p.selectOption('#m-org', '330101');
  await p.fill('#m-duration', '1');
  await p.fill('#m-threshold', '10');
  await p.check('#m-orgs input[value="33010101"]');
  await p.check('#m-orgs input[value="33010102"]');
  // The migrant member of another township: only by the full name.
  await p.fill('#m-find', '许文');
  await p.click('#m-find-go');
  await p.waitForSelector('#m-find-error:not([hidden])');
  await p.fill('#m-find', '许文杰');
  await p.click('#m-find-go');
  await p.click('#m-found button:has-text("邀请")');
  await p.waitForSelector('#m-chosen li:has-text("许文杰")');
  await checkPage(p, 'meeting-form');
  await p.setViewportSize(PHONE);
  await checkPage(p, 'meeting-form');
  await p.setViewportSize(DESKTOP);
  // A start in the past: refused next to the field, in Chinese.
  await p.fill('#m-start', shanghai(Date.now() - 2 * 3600e3));
  await p.click('#m-save');
  await p.waitForSelector('#m-start-error:not([hidden])');
  assert.match(await p.textContent('#m-start-error'), /开始时间已经过去了/);
  const start = Date.now() + 10 * 60e3;
  await p.fill('#m-start', shanghai(start));
  await p.click('#m-save');
  await p.waitForURL(/\/meeting\.html\?id=\d+/, WAIT);
  const id = Number(new URL(p.url()).searchParams.get('id'));

  // Stored in UTC: the minute typed in Shanghai time.
  let r = await d.api(`/api/v1/meetings/${id}`, { token: qingshan });
  assert.equal(r.json.start, new Date(Math.floor(start / 60e3) * 60e3).toISOString().replace('.000Z', 'Z'));
  assert.deepEqual(r.json.invited_orgs.map((o) => o.code), ['33010101', '33010102']);
  assert.deepEqual(r.json.invited_members.map((x) => x.id_number), [XU]);
  assert.equal(r.json.threshold_percent, 10);

  // The meeting page: full link, QR code, not started.
  await p.waitForSelector('#m-url');
  assert.equal(await p.inputValue('#m-url'), `${d.url}/meet/${id}`);
  await p.waitForFunction(() => document.getElementById('m-qr').naturalWidth > 100);
  assert.match(await p.textContent('#m-facts'), new RegExp(shanghai(start).replace('T', ' ')));
  assert.match(await p.textContent('#m-count'), /还没有开始/);
  await p.click('#m-copy');
  await p.waitForSelector('#m-copied:not([hidden])');
  await checkPage(p, 'meeting');
  await p.setViewportSize(PHONE);
  await checkPage(p, 'meeting');

  // Two members join from "my meetings" on phones.
  const people = [];
  for (const [who, name] of [[ZHANG, '张建国'], [XU, '许文杰']]) {
    const m = await signedIn(await memberToken(d, district, who), PHONE, name);
    m.page.on('dialog', (dlg) => dlg.accept());
    await m.page.goto(`${d.url}/my-meetings.html`);
    await m.page.waitForSelector(`#my-now li[data-meeting="${id}"] .btn-join`);
    await checkPage(m.page, 'my-meetings-before');
    if (name === '张建国') {
      await m.page.setViewportSize(DESKTOP);
      await checkPage(m.page, 'my-meetings-before');
      await m.page.setViewportSize(PHONE);
    }
    await m.page.click(`#my-now li[data-meeting="${id}"] .btn-join`);
    await m.page.waitForURL(new RegExp(`/meet/${id}$`));
    await m.page.waitForSelector('#join:not([disabled])', WAIT);
    await m.page.click('#join');
    await m.page.waitForFunction(() => window.yjMeet && window.yjMeet.connected, null, WAIT);
    people.push(m);
  }
  // On a phone in the meeting: every control of the bar on screen.
  await people[1].page.waitForSelector('#bar:not([hidden])');
  await checkPage(people[1].page, 'meet-room');
  // The administrator's page counts them live.
  await p.waitForFunction(() => /现在有 2 人/.test(document.getElementById('m-count').textContent), null, WAIT);
  // Both have attended past the 10 % threshold of one minute (6 s).
  await until(async () => {
    const rep = (await d.api(`/api/v1/meetings/${id}/report`, { token: qingshan })).json;
    const secs = rep.orgs.flatMap((o) => o.present).map((x) => x.attended_seconds);
    return { ok: secs.length === 2 && secs.every((s) => s >= 8), secs };
  }, 'both members attended 8 s');

  // The host joins on a 1366×768 desktop: 人员 opens the panel beside the
  // video, 结束会议 is in view without scrolling; it ends the meeting after
  // a confirmation.
  const host = await admin.ctx.newPage();
  await host.setViewportSize(DESKTOP);
  host.on('dialog', (dlg) => dlg.accept());
  await host.goto(`${d.url}/meet/${id}`);
  await host.waitForSelector('#join:not([disabled])', WAIT);
  await host.click('#join');
  await host.waitForFunction(() => window.yjMeet && window.yjMeet.connected, null, WAIT);
  await host.click('#btn-people');
  await host.waitForSelector('#end:not([hidden])');
  const box = await host.locator('#end').boundingBox();
  const bar = await host.locator('#bar').boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= bar.y, `结束会议 in view above the bar: ${JSON.stringify(box)} bar at ${bar.y}`);
  assert.equal(await host.evaluate(() => window.scrollY), 0);
  await checkPage(host, 'meet-host');
  await host.click('#end');
  await host.waitForSelector('#done:not([hidden])', WAIT);
  // The members' pages say what was credited and lead somewhere useful.
  for (const m of people) {
    await m.page.waitForSelector('#done-credit:not([hidden])', WAIT);
    assert.match(await m.page.textContent('#done-credit'), /已计入您的学时：\d+ 分钟/);
    assert.equal(await m.page.getAttribute('#done-links a >> nth=0', 'href'), '/my-meetings.html');
  }
  await checkPage(people[0].page, 'meet-ended');
  await p.setViewportSize(DESKTOP);
  await p.goto(`${d.url}/meeting-report.html?id=${id}`);
  await p.waitForSelector('#report:not([hidden])');

  // The page shows exactly what the server reports.
  const rep = (await d.api(`/api/v1/meetings/${id}/report`, { token: qingshan })).json;
  assert.equal(rep.meeting.status, 'ended');
  assert.deepEqual(rep.totals.present, 2);
  const byOrg = Object.fromEntries(rep.orgs.map((o) => [o.code, o]));
  assert.deepEqual(byOrg['33010101'].present.map((x) => x.id_number), [ZHANG]);
  assert.equal(byOrg['33010101'].absent.length, 4);
  assert.deepEqual(byOrg['33010102'].present, []);
  assert.equal(byOrg['33010102'].absent.length, 5);
  assert.deepEqual(byOrg['33010201'].present.map((x) => x.id_number), [XU]);
  for (const o of rep.orgs) {
    const card = p.locator(`section.report-org[data-org="${o.code}"]`);
    assert.equal(await card.locator('table.present tbody tr').count(), o.present.length, o.name);
    assert.equal(await card.locator('ul.absent li').count(), o.absent.length, o.name);
    for (const x of o.present) {
      assert.ok(x.credited_minutes >= 1, `${x.name} credited`);
      const row = card.locator('table.present tbody tr', { hasText: x.name });
      const att = x.attended_seconds < 60 ? `${x.attended_seconds} 秒` : `${x.attended_minutes} 分钟`;
      assert.match(await row.textContent(), new RegExp(att));
      assert.match(await row.textContent(), new RegExp(`${x.credited_minutes} 分钟`));
    }
    for (const x of o.absent) assert.equal(await card.locator('ul.absent li', { hasText: x.name }).count(), 1);
  }
  assert.equal(await p.textContent('[data-stat="rep.absent"]'), String(rep.totals.absent));
  await checkPage(p, 'meeting-report');

  // CSV: UTF-8 with BOM, one line per invited member.
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#r-csv')]);
  const bytes = readFileSync(await dl.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
  assert.equal(lines.length, 1 + rep.totals.invited);
  assert.match(lines[0], /^所在组织,姓名,身份证号,出席情况/);
  assert.ok(lines.some((l) => l.includes(ZHANG) && l.includes('出席')));
  await p.setViewportSize(PHONE);
  await checkPage(p, 'meeting-report');

  // My meetings after the end: the minutes the ledger holds.
  const z = people[0].page;
  await z.goto(`${d.url}/my-meetings.html`);
  const credit = byOrg['33010101'].present[0].credited_minutes;
  await z.waitForSelector(`#my-past li[data-meeting="${id}"] .credit`);
  assert.match(await z.textContent(`#my-past li[data-meeting="${id}"] .credit`), new RegExp(`已计入 ${credit} 分钟`));
  await checkPage(z, 'my-meetings-after');
  await z.setViewportSize(DESKTOP);
  await checkPage(z, 'my-meetings-after');
  for (const m of people) await m.ctx.close();
  await admin.ctx.close();
});

test('change and cancel a meeting before it starts; the list at both sizes', async () => {
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: qingshan, body: {
    title: '党小组学习', type: 'group', org_code: '33010101', start: new Date(Date.now() + 86400e3).toISOString(),
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const admin = await signedIn(qingshan, PHONE, 'qingshan');
  const p = admin.page;
  await p.goto(`${d.url}/meetings.html?edit=${id}`);
  await p.waitForSelector('#form-card:not([hidden])');
  assert.equal(await p.inputValue('#m-title'), '党小组学习');
  await p.fill('#m-title', '党小组学习（改期）');
  await p.fill('#m-duration', '45');
  await p.click('#m-save');
  await p.waitForURL(/meeting\.html\?id=/, WAIT);
  let m = (await d.api(`/api/v1/meetings/${id}`, { token: qingshan })).json;
  assert.equal(m.title, '党小组学习（改期）');
  assert.equal(m.duration_minutes, 45);
  await p.click('#m-actions button:has-text("取消会议")');
  await p.waitForSelector('dialog[open]');
  assert.match(await p.textContent('dialog[open]'), /不会计入任何人的学时/);
  await p.click('dialog[open] button.btn-danger');
  await p.waitForURL(/meetings\.html\?done=cancelled/, WAIT);
  await p.waitForSelector('#page-ok:not([hidden])');
  assert.equal((await d.api(`/api/v1/meetings/${id}`, { token: qingshan })).status, 404);
  await p.waitForSelector('#list-ended li');
  await checkPage(p, 'meetings');
  await admin.ctx.close();
});

test('a browser asking for a page that does not exist gets a page in words with a way home', async () => {
  const admin = await signedIn(qingshan, PHONE, 'qingshan');
  const resp = await admin.page.goto(`${d.url}/no-such-page.html`);
  assert.equal(resp.status(), 404);
  assert.match(resp.headers()['content-type'], /text\/html/);
  await admin.page.waitForFunction(() => document.getElementById('home').getAttribute('href') === '/orgs.html');
  assert.match(await admin.page.textContent('h1'), /没有这个页面/);
  await checkPage(admin.page, 'not-found');
  // An API client still gets JSON.
  const r = await d.api('/no-such-page.html');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'not_found');
  await admin.ctx.close();
});
