// SPDX-License-Identifier: Apache-2.0
// meeting_report.js — /meeting-report.html?id=ID: the attendance report of
// GET /api/v1/meetings/{id}/report, one card per home organisation with
// the present members (minutes attended, minutes credited, joins, first
// join, late) and the absent ones; the whole report as CSV; for
// administrators the meeting's recordings (recordings_list.js).

import { api, requireSession } from './api.js';
import { dateTime, hours, t } from './i18n.js';
import { el, fill, initPage, notice, param } from './ui.js';
import { meetingError, when } from './meetings_common.js';
import { downloadCsv } from './csv.js';
import { showRecordings } from './recordings_list.js';

const $ = (id) => document.getElementById(id);
const id = param('id');
let r = null;

async function main() {
  const s = await requireSession();
  initPage(s);
  if (s.kind !== 'admin') $('back').href = '/my-meetings.html';
  $('r-csv').addEventListener('click', csv);
  window.addEventListener('yj-lang', draw);
  try {
    r = await api(`/api/v1/meetings/${encodeURIComponent(id || '0')}/report`);
    draw();
    if (s.kind === 'admin') showRecordings($('r-recordings'), r.meeting.id);
  } catch (e) { notice($('page-error'), meetingError(e)); }
  $('page-loading').hidden = true;
}

function credited(x) {
  if (x.credited_minutes === null || x.credited_minutes === undefined) return t('rep.not_yet');
  return x.credited_minutes > 0 ? t('rep.minutes', { n: x.credited_minutes }) : t('rep.below');
}

// Under a minute in seconds, so "0 minutes attended, 1 credited" never shows.
function attended(x) {
  return x.attended_seconds < 60 ? t('rep.seconds', { n: x.attended_seconds }) : t('rep.minutes', { n: x.attended_minutes });
}

function draw() {
  if (!r) return;
  $('report').hidden = false;
  const m = r.meeting;
  $('r-title').textContent = m.title;
  $('r-when').textContent = when(m);
  $('r-asof').textContent = m.status === 'ended' ? t('rep.final') : t('rep.as_of', { at: dateTime(r.as_of) });
  $('r-meeting').href = `/meeting.html?id=${m.id}`;
  const stat = (k, v) => el('div', { class: 'stat' }, el('div', { class: 'label' }, t(k)), el('div', { class: 'value', dataset: { stat: k } }, String(v)));
  fill($('r-totals'), stat('rep.invited', r.totals.invited), stat('rep.present', r.totals.present),
    stat('rep.absent', r.totals.absent), stat('rep.late', r.totals.late ?? 0), stat('rep.credited', r.totals.credited));
  fill($('r-orgs'), r.orgs.map((o) => el('section', { class: 'card report-org', dataset: { org: o.code } },
    el('h2', {}, o.name),
    el('p', {}, t('rep.org_line', { invited: o.invited.length, present: o.present.length, absent: o.absent.length })),
    el('h3', {}, t('rep.present_list')),
    o.present.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'data cards present' },
      el('thead', {}, el('tr', {}, ['rep.col.name', 'rep.col.minutes', 'rep.col.credited', 'rep.col.joins', 'rep.col.first', 'rep.col.late']
        .map((k) => el('th', { scope: 'col' }, t(k))))),
      el('tbody', {}, o.present.map((x) => el('tr', {},
        el('th', { scope: 'row', class: 'lead', 'data-label': t('rep.col.name') }, x.name + (x.migrant ? `（${t('mtg.migrant')}）` : '')),
        el('td', { class: 'num', 'data-label': t('rep.col.minutes') }, attended(x)),
        el('td', { 'data-label': t('rep.col.credited') }, credited(x)),
        el('td', { class: 'num', 'data-label': t('rep.col.joins') }, String(x.joins)),
        el('td', { 'data-label': t('rep.col.first') }, dateTime(x.first_joined_at).slice(11)),
        el('td', { 'data-label': t('rep.col.late') }, x.late ? t('rep.late_yes') : t('common.no'))))))) :
      el('p', { class: 'hint' }, t('rep.nobody')),
    el('h3', {}, t('rep.absent_list')),
    o.absent.length ? el('ul', { class: 'plain-list absent' }, o.absent.map((x) => el('li', {}, x.name + (x.migrant ? `（${t('mtg.migrant')}）` : ''))))
      : el('p', { class: 'hint' }, t('rep.nobody')))));
}

function csv() {
  const rows = [['rep.col.org', 'rep.col.name', 'rep.col.id_number', 'rep.col.state', 'rep.col.minutes_n', 'rep.col.credited_n',
    'rep.col.hours', 'rep.col.joins', 'rep.col.first', 'rep.col.late'].map((k) => t(k))];
  for (const o of r.orgs) {
    for (const x of o.present) {
      rows.push([o.name, x.name, x.id_number, t('rep.present'), x.attended_minutes, x.credited_minutes ?? '',
        x.credited_minutes ? hours(x.credited_minutes) : '', x.joins, dateTime(x.first_joined_at), x.late ? t('rep.late_yes') : t('common.no')]);
    }
    for (const x of o.absent) rows.push([o.name, x.name, x.id_number, t('rep.absent'), 0, '', '', 0, '', '']);
  }
  downloadCsv(`${r.meeting.title}-${t('rep.heading')}.csv`.replace(/[\\/:*?"<>|]/g, '_'), rows);
}

main();
