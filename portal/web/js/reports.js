// SPDX-License-Identifier: Apache-2.0
// reports.js — /reports.html?org=CODE&year=Y: five reports of an
// organisation's subtree, each an ECharts bar chart (SVG) with the same
// numbers in a table beside it and a CSV export:
//   hours per member     GET /api/v1/orgs/{code}/learning?year=  (members)
//   completion per lesson                      ″                  (lessons)
//   no hours this quarter                      ″                  (idle)
//   attendance by month  GET /api/v1/orgs/{code}/meetings/attendance
//   sub-organisations    GET /api/v1/orgs/{code}/learning/ranking (orgs)
// Months are counted in the configured time zone. The chart instances are
// kept on their elements (echarts.getInstanceByDom) for the tests.

import { api, requireSession } from './api.js';
import { fromLocalInput, hours, t, toLocalInput } from './i18n.js';
import { el, fill, initPage, notice, param } from './ui.js';
import { meetingError as apiWords } from './meetings_common.js';
import { downloadCsv } from './csv.js';

const $ = (id) => document.getElementById(id);
const echarts = window.echarts;
const TOP = 20;
let orgs = [], data = null;

async function main() {
  const s = await requireSession();
  initPage(s);
  if (s.kind !== 'admin') { location.href = '/record.html'; return; }
  try { orgs = (await api('/api/v1/orgs')).orgs || []; } catch (e) { notice($('page-error'), apiWords(e)); return; }
  const base = orgs.length ? orgs[0].depth || 0 : 0;
  const want = param('org') || orgs[0]?.code;
  fill($('r-org'), orgs.map((o) => el('option', { value: o.code, selected: o.code === want },
    '\u3000'.repeat(Math.max(0, (o.depth || 0) - base)) + o.name)));
  const now = Number(toLocalInput(new Date().toISOString()).slice(0, 4));
  const year = Number(param('year')) || now;
  fill($('r-year'), [0, 1, 2, 3, 4].map((k) => el('option', { value: now - k, selected: now - k === year }, String(now - k))));
  $('pick').addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', `/reports.html?org=${encodeURIComponent($('r-org').value)}&year=${$('r-year').value}`);
    load();
  });
  window.addEventListener('yj-lang', draw);
  window.addEventListener('resize', () => { for (const c of document.querySelectorAll('.chart')) echarts?.getInstanceByDom(c)?.resize(); });
  await load();
}

async function load() {
  const code = encodeURIComponent($('r-org').value);
  const year = Number($('r-year').value);
  $('page-loading').hidden = false;
  try {
    const from = fromLocalInput(`${year}-01-01T00:00`).toISOString();
    const to = fromLocalInput(`${year + 1}-01-01T00:00`).toISOString();
    const [learning, ranking, att] = await Promise.all([
      api(`/api/v1/orgs/${code}/learning?year=${year}`),
      api(`/api/v1/orgs/${code}/learning/ranking?year=${year}`),
      api(`/api/v1/orgs/${code}/meetings/attendance?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)]);
    data = { year, learning, ranking, att, org: orgs.find((o) => o.code === $('r-org').value) };
    $('page-error').hidden = true;
    draw();
  } catch (e) { notice($('page-error'), apiWords(e)); }
  $('page-loading').hidden = true;
}

const pct = (x) => Math.round(x * 1000) / 10;

// The five reports as {key, title, note, columns, rows, chart: {labels, values, unit, horizontal}}.
function reports() {
  const { learning, ranking, att, year } = data;
  const members = [...learning.members].sort((a, b) => b.minutes - a.minutes || a.name.localeCompare(b.name, 'zh'));
  const top = members.filter((m) => m.minutes > 0).slice(0, TOP);
  const idleByOrg = new Map();
  for (const m of learning.idle) idleByOrg.set(m.org_name, (idleByOrg.get(m.org_name) || 0) + 1);
  const months = Array.from({ length: 12 }, () => ({ meetings: 0, invited: 0, present: 0 }));
  for (const m of att.meetings) {
    const mo = Number(toLocalInput(m.start).slice(5, 7)) - 1;
    months[mo].meetings++; months[mo].invited += m.invited; months[mo].present += m.present;
  }
  const subs = ranking.orgs || [];
  return [
    { key: 'hours', title: t('rpt.hours.title', { year }), note: t('rpt.hours.note', { n: TOP }),
      columns: ['rpt.col.name', 'rpt.col.org', 'rpt.col.hours', 'rpt.col.lessons_done'],
      rows: members.map((m) => [m.name, m.org_name, hours(m.minutes), m.lessons_completed]),
      chart: { labels: top.map((m) => m.name), values: top.map((m) => Math.round(m.minutes / 60 * 100) / 100), unit: t('rpt.unit.hours'), horizontal: true } },
    { key: 'lessons', title: t('rpt.lessons.title', { year }), note: t('rpt.lessons.note'),
      columns: ['rpt.col.lesson', 'rpt.col.course', 'rpt.col.members', 'rpt.col.started', 'rpt.col.completed', 'rpt.col.rate'],
      rows: learning.lessons.map((l) => [l.title, l.course_title, l.members, l.started, l.completed, pct(l.completion_rate) + '%']),
      chart: { labels: learning.lessons.map((l) => l.title), values: learning.lessons.map((l) => pct(l.completion_rate)), unit: '%', horizontal: true } },
    { key: 'idle', title: t('rpt.idle.title', { year, q: learning.quarter }), note: t('rpt.idle.note', { n: learning.idle.length }),
      columns: ['rpt.col.name', 'rpt.col.org'],
      rows: learning.idle.map((m) => [m.name, m.org_name]),
      chart: { labels: [...idleByOrg.keys()], values: [...idleByOrg.values()], unit: t('rpt.unit.people'), horizontal: true } },
    { key: 'attendance', title: t('rpt.att.title', { year }), note: t('rpt.att.note'),
      columns: ['rpt.col.month', 'rpt.col.meetings', 'rpt.col.invited', 'rpt.col.present', 'rpt.col.rate'],
      rows: months.map((m, i) => [t('rpt.month', { m: i + 1 }), m.meetings, m.invited, m.present, m.invited ? pct(m.present / m.invited) + '%' : '—']),
      chart: { labels: months.map((_, i) => t('rpt.month', { m: i + 1 })), values: months.map((m) => (m.invited ? pct(m.present / m.invited) : 0)), unit: '%', horizontal: false } },
    { key: 'ranking', title: t('rpt.rank.title', { year }), note: t('rpt.rank.note'),
      columns: ['rpt.col.rank', 'rpt.col.org', 'rpt.col.members', 'rpt.col.hours', 'rpt.col.per_member'],
      rows: subs.map((o) => [o.rank, o.org_name, o.members, hours(o.minutes), hours(o.hours_per_member * 60)]),
      chart: { labels: subs.map((o) => o.org_name), values: subs.map((o) => Math.round(o.hours_per_member * 100) / 100), unit: t('rpt.unit.hours_per'), horizontal: true } },
  ];
}

function draw() {
  if (!data) return;
  for (const c of document.querySelectorAll('.chart')) echarts?.getInstanceByDom(c)?.dispose();
  const list = reports();
  fill($('sections'), list.map((r) => el('section', { class: 'card report', id: 'rpt-' + r.key, dataset: { report: r.key } },
    el('h2', {}, r.title),
    el('p', { class: 'hint' }, r.note),
    el('div', { class: 'chart-row' },
      r.chart.labels.length
        ? el('div', { class: 'chart', role: 'img', 'aria-label': r.title,
          style: `height:${r.chart.horizontal ? Math.max(200, 60 + 36 * r.chart.labels.length) : 320}px` })
        : el('p', { class: 'notice notice-info' }, t('rpt.empty')),
      el('div', {},
        el('div', { class: 'table-wrap' }, el('table', { class: 'data compact' },
          el('thead', {}, el('tr', {}, r.columns.map((k) => el('th', { scope: 'col' }, t(k))))),
          el('tbody', {}, r.rows.map((row) => el('tr', {}, row.map((v, i) => i === 0
            ? el('th', { scope: 'row', class: 'lead', 'data-label': t(r.columns[i]) }, String(v))
            : el('td', { 'data-label': t(r.columns[i]), class: typeof v === 'number' ? 'num' : null }, String(v)))))))),
        el('div', { class: 'actions' }, el('button', { type: 'button', class: 'btn', onclick: () => csv(r) }, t('rpt.csv'))))))));
  for (const r of list) {
    const box = document.querySelector(`#rpt-${r.key} .chart`);
    if (!box) continue;
    if (!echarts) { box.hidden = true; continue; } // no chart library: the tables still tell
    const chart = echarts.init(box, null, { renderer: 'svg' });
    const cat = { type: 'category', data: r.chart.labels, axisLabel: { fontSize: 14, color: '#1f1f1f', interval: 0, width: 110, overflow: 'truncate' }, inverse: r.chart.horizontal };
    const val = { type: 'value', name: r.chart.unit, nameTextStyle: { fontSize: 14, color: '#1f1f1f' }, axisLabel: { fontSize: 14, color: '#1f1f1f' } };
    chart.setOption({
      animation: false,
      textStyle: { fontSize: 14 },
      grid: { left: 8, right: 40, top: 30, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', textStyle: { fontSize: 16 } },
      xAxis: r.chart.horizontal ? val : { ...cat, axisLabel: { ...cat.axisLabel, rotate: 45 } },
      yAxis: r.chart.horizontal ? cat : val,
      series: [{ type: 'bar', data: r.chart.values, itemStyle: { color: '#b3151b' },
        label: { show: true, position: r.chart.horizontal ? 'right' : 'top', fontSize: 14, color: '#1f1f1f' } }],
    });
  }
}

function csv(r) {
  const org = data.org ? data.org.name : '';
  downloadCsv(`${org}-${r.title}.csv`.replace(/[\\/:*?"<>|]/g, '_'), [r.columns.map((k) => t(k)), ...r.rows]);
}

main();
