// SPDX-License-Identifier: Apache-2.0
// The reports page in Debian's Chromium against the real daemon (demo
// data with its generated lesson, plus two ended meetings, one attended
// by two members over the WebSocket): each of the five charts renders (SVG
// present) with one bar per item, its bars equal the numbers of the table
// beside it, and those equal the API; a CSV export opens in Excel (BOM).
// Layout check and screenshots at 360×740 and 1366×768.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { connect } from '../lib/ws.mjs';
import { memberToken } from '../lib/members.mjs';
import { checkPage, PHONE, DESKTOP } from '../lib/layout.mjs';

let d, browser, qingshan, district;
const ZHANG = '330102195603120130', LI = '330102196309250246';

before(async () => {
  // The members join over WebSocket only (no media): attendance from the join.
  d = await startDaemon({ ini: '[meetings]\nattendance=signaling\n' });
  qingshan = await d.login('qingshan');
  district = await d.login('district');
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (d) await d.stop();
});

async function until(fn, what, ms = 180000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last && last.ok) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

async function joinWs(token, meeting) {
  const r = await connect(d.url);
  assert.equal(r.status, 101);
  r.ws.sendJson({ type: 'join', meeting, token });
  const msg = await r.ws.nextJson((m) => m.type === 'joined' || m.type === 'error');
  assert.equal(msg.type, 'joined', JSON.stringify(msg));
  return r.ws;
}

test('five charts with as many bars as their tables have items, equal to the API', async () => {
  // Two ended meetings of 青山村党支部: one attended by two members.
  const mk = async (title) => (await d.api('/api/v1/meetings', { method: 'POST', token: qingshan,
    body: { title, org_code: '33010101', duration_minutes: 1, threshold_percent: 10 } })).json.id;
  const a = await mk('支部党员大会（有人参加）');
  const b = await mk('支部委员会（没人参加）');
  const socks = [await joinWs(await memberToken(d, district, ZHANG), a), await joinWs(await memberToken(d, district, LI), a)];
  assert.equal((await d.api(`/api/v1/meetings/${a}/end`, { method: 'POST', token: qingshan })).status, 200);
  assert.equal((await d.api(`/api/v1/meetings/${b}/end`, { method: 'POST', token: qingshan })).status, 200);
  for (const s of socks) s.close();
  // The demo lesson must be ready for the completion report to list it.
  await until(async () => {
    const r = await d.api('/api/v1/orgs/330101/learning', { token: qingshan });
    return { ok: r.json.lessons.length > 0, n: r.json.lessons.length };
  }, 'the demo lesson in the learning report');

  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const learning = (await d.api(`/api/v1/orgs/330101/learning?year=${year}`, { token: qingshan })).json;
  const ranking = (await d.api(`/api/v1/orgs/330101/learning/ranking?year=${year}`, { token: qingshan })).json;
  const att = (await d.api('/api/v1/orgs/330101/meetings/attendance', { token: qingshan })).json;
  assert.ok(att.meetings.some((m) => m.id === a && m.present === 2));

  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN', acceptDownloads: true });
  await ctx.addCookies([{ name: 'yj_session', value: qingshan, url: d.url }]);
  const p = await ctx.newPage();
  p.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  await p.goto(`${d.url}/reports.html?org=330101&year=${year}`);
  await p.waitForSelector('#rpt-ranking');

  // Each chart: SVG drawn, bars = the chart's data, = the table's numbers.
  const charts = await p.evaluate(() => Object.fromEntries([...document.querySelectorAll('section.report')].map((s) => {
    const box = s.querySelector('.chart');
    const inst = box && window.echarts.getInstanceByDom(box);
    const opt = inst && inst.getOption();
    return [s.dataset.report, {
      svg: !!(box && box.querySelector('svg')),
      labels: opt ? (opt.yAxis[0].data || opt.xAxis[0].data) : [],
      values: opt ? opt.series[0].data : [],
      bars: inst ? inst.getModel().getSeriesByIndex(0).getData().count() : 0,
      rows: [...s.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
    }];
  })));
  for (const [k, c] of Object.entries(charts)) {
    if (c.labels.length) assert.ok(c.svg, `${k}: an SVG chart is drawn`);
    assert.equal(c.bars, c.values.length, `${k}: one bar per value`);
  }
  const hrs = (min) => Math.round(min / 60 * 100) / 100;
  // Hours per member: the top members with hours, in the table's order.
  const withHours = learning.members.filter((m) => m.minutes > 0).sort((x, y) => y.minutes - x.minutes || x.name.localeCompare(y.name, 'zh'));
  assert.ok(withHours.length > 0, 'the demo has members with lesson hours');
  assert.deepEqual(charts.hours.labels, withHours.slice(0, 20).map((m) => m.name));
  assert.deepEqual(charts.hours.values, withHours.slice(0, 20).map((m) => hrs(m.minutes)));
  assert.equal(charts.hours.rows.length, learning.members.length);
  for (const [i, v] of charts.hours.values.entries()) {
    assert.equal(charts.hours.rows[i][0], charts.hours.labels[i]);
    assert.equal(Number(charts.hours.rows[i][2]), v);
  }
  // Completion per lesson.
  assert.equal(charts.lessons.bars, learning.lessons.length);
  assert.deepEqual(charts.lessons.values, learning.lessons.map((l) => Math.round(l.completion_rate * 1000) / 10));
  assert.deepEqual(charts.lessons.rows.map((r) => r[5]), charts.lessons.values.map((v) => v + '%'));
  // No hours this quarter: bars per organisation add up to the table.
  assert.equal(charts.idle.rows.length, learning.idle.length);
  assert.equal(charts.idle.values.reduce((s, v) => s + v, 0), learning.idle.length);
  // Attendance by month: 12 bars; this month's rate from the API's counts.
  assert.equal(charts.attendance.bars, 12);
  const month = new Date(Date.now() + 8 * 3600e3).getUTCMonth();
  const mine = att.meetings.filter((m) => new Date(Date.parse(m.start) + 8 * 3600e3).getUTCMonth() === month);
  const inv = mine.reduce((s, m) => s + m.invited, 0), pres = mine.reduce((s, m) => s + m.present, 0);
  assert.ok(pres >= 2 && inv > pres);
  assert.equal(charts.attendance.values[month], Math.round(pres / inv * 1000) / 10);
  assert.deepEqual(charts.attendance.rows[month].slice(1, 4), [String(mine.length), String(inv), String(pres)]);
  // Sub-organisations.
  assert.deepEqual(charts.ranking.labels, ranking.orgs.map((o) => o.org_name));
  assert.deepEqual(charts.ranking.values, ranking.orgs.map((o) => Math.round(o.hours_per_member * 100) / 100));
  assert.equal(charts.ranking.rows.length, ranking.orgs.length);
  await checkPage(p, 'reports');

  // CSV of the attendance table.
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#rpt-attendance button:has-text("导出表格")')]);
  const bytes = readFileSync(await dl.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
  assert.equal(lines.length, 13);
  assert.equal(lines[0], '月份,会议数,应到人次,出席人次,比率');

  await p.setViewportSize(PHONE);
  // ECharts redraws on the resize event: wait until every chart fits.
  await p.waitForFunction(() => [...document.querySelectorAll('.chart svg')].every((svg) => svg.getBoundingClientRect().right <= document.documentElement.clientWidth));
  await checkPage(p, 'reports');
  await ctx.close();
});
