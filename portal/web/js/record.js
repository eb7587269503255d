// SPDX-License-Identifier: Apache-2.0
// record.js — a member's record (党员电子活动证) from
// GET /api/v1/members/{id}/record: details, hours per year and kind, and
// the ledger lines (date, kind, hours, reason), newest first, filtered by
// year. Administrators open it with ?id=; a member sees their own.
// Administrators also get the actions in record_admin.js (sign-in code,
// editing, manual credit, correcting a line).

import { api, requireSession, seg } from './api.js';
import { date, hours, t } from './i18n.js';
import { el, errorText, fill, initPage, notice, param } from './ui.js';
import { normaliseId } from './idnumber.js';
import { setupAdmin } from './record_admin.js';

const KINDS = ['meeting', 'lesson', 'broadcast', 'manual'];
// record: the all-years answer (profile, totals, newest ledger lines);
// byYear: ledger answers for one year, fetched when that year is chosen,
// because the server files a correction under the year of the row it
// corrects and may cut a long ledger short.
const state = { id: null, record: null, year: 'all', byYear: new Map(), session: null, admin: null };

function drawProfile() {
  const m = state.record.member;
  document.getElementById('name').textContent = m.name;
  document.title = `${m.name} — ${t('record.heading')}`;
  document.getElementById('status-badge').textContent = t('status.' + m.status);
  const mb = document.getElementById('migrant-badge');
  mb.hidden = !m.migrant;
  mb.textContent = t('field.migrant');
  document.getElementById('org-line').textContent = m.org_name ? `${m.org_name}（${m.org_code}）` : m.org_code;
  const none = t('common.none');
  const rows = [
    ['record.name', m.name],
    ['record.id_number', m.id_number],
    ['record.gender', m.gender ? t('gender.' + m.gender) : none],
    ['record.birth_date', m.birth_date || none],
    ['record.org', m.org_name || m.org_code],
    ['record.status', t('status.' + m.status)],
    ['record.joined_on', m.joined_on || none],
    ['record.phone', m.phone || none],
    ['record.migrant', t(m.migrant ? 'common.yes' : 'common.no')],
  ];
  if (m.migrant || m.location) rows.push(['record.location', m.location || none]);
  fill(document.getElementById('profile'), rows.map(([k, v]) =>
    el('div', {}, el('dt', {}, t(k)), el('dd', {}, v))));
}

function drawTotals() {
  const r = state.record;
  const totals = r.totals || [];
  const years = [...new Set(totals.map((x) => x.year))].sort((a, b) => b - a);
  const used = KINDS.filter((k) => totals.some((x) => x.kind === k));
  for (const x of totals) if (!used.includes(x.kind)) used.push(x.kind); // a kind added later
  const totalMinutes = r.total_minutes ?? totals.reduce((s, x) => s + x.minutes, 0);
  document.getElementById('total-all').textContent = t('record.total_all', { h: hours(totalMinutes) });
  document.getElementById('totals-none').hidden = years.length > 0;
  document.getElementById('totals-table').hidden = years.length === 0;
  const kindName = (k) => (KINDS.includes(k) ? t('kind.' + k) : k);
  fill(document.getElementById('totals-head'),
    el('th', { scope: 'col' }, t('record.totals.year')),
    used.map((k) => el('th', { scope: 'col', class: 'num' }, kindName(k))),
    el('th', { scope: 'col', class: 'num' }, t('record.totals.all')));
  fill(document.getElementById('totals-body'), years.map((y) => {
    const of = (k) => totals.filter((x) => x.year === y && x.kind === k).reduce((s, x) => s + x.minutes, 0);
    const sum = totals.filter((x) => x.year === y).reduce((s, x) => s + x.minutes, 0);
    return el('tr', {},
      el('th', { scope: 'row', class: 'lead', 'data-label': t('record.totals.year') }, String(y)),
      used.map((k) => el('td', { class: 'num', 'data-label': kindName(k) }, hours(of(k)))),
      el('td', { class: 'num', 'data-label': t('record.totals.all') }, el('strong', {}, hours(sum))));
  }));
}

function drawYears() {
  const r = state.record;
  const years = [...new Set((r.totals || []).map((x) => x.year))].sort((a, b) => b - a);
  const sel = document.getElementById('year');
  fill(sel, el('option', { value: 'all' }, t('record.ledger.all_years')),
    years.map((y) => el('option', { value: String(y) }, String(y))));
  sel.value = years.map(String).includes(state.year) ? state.year : 'all';
  document.getElementById('year-field').hidden = years.length < 2 && !r.ledger_truncated;
}

function shownLedger() {
  if (state.year === 'all') return state.record;
  return state.byYear.get(state.year) || null;
}

function drawLedger() {
  const shown = shownLedger();
  const lines = [...(shown?.ledger || [])]
    .sort((a, b) => String(b.at).localeCompare(String(a.at)) || (b.id ?? 0) - (a.id ?? 0));
  document.getElementById('ledger-none').hidden = !shown || lines.length > 0;
  document.getElementById('ledger-table').hidden = lines.length === 0;
  const cut = document.getElementById('ledger-truncated');
  cut.hidden = !shown?.ledger_truncated;
  cut.textContent = t('record.ledger.truncated', { n: lines.length });
  const cell = (key, content, cls = null) => el('td', { 'data-label': t(key), class: cls }, content);
  // What each line counts now, once its corrections are added.
  const corrected = new Map();
  for (const l of lines) if (l.corrects) corrected.set(l.corrects, (corrected.get(l.corrects) || 0) + l.minutes);
  const admin = state.admin;
  document.querySelector('#ledger-table .admin-col').hidden = !admin;
  fill(document.getElementById('ledger-body'), lines.map((l) => {
    const note = [l.reason || (l.source_id ? el('span', { class: 'detail' }, l.source_id) : t('common.none'))];
    if (l.corrects) note.unshift(el('span', { class: 'badge badge-soft' }, t('record.ledger.correction')), ' ');
    if (corrected.has(l.id))
      note.push(el('span', { class: 'detail' }, t('record.ledger.now', { h: hours(l.minutes + corrected.get(l.id)) })));
    if (l.by_whom && (l.kind === 'manual' || l.corrects))
      note.push(el('span', { class: 'detail' }, t('record.ledger.by', { who: l.by_whom })));
    return el('tr', { 'data-id': l.id },
      cell('record.ledger.date', date(l.at), 'lead nowrap'),
      cell('record.ledger.kind', KINDS.includes(l.kind) ? t('kind.' + l.kind) : l.kind, 'nowrap'),
      cell('record.ledger.hours', hours(l.minutes), 'num nowrap' + (l.minutes < 0 ? ' neg' : '')),
      cell('record.ledger.reason', el('div', {}, note)),
      admin ? cell('record.ledger.action', l.corrects ? null : el('button', {
        type: 'button', class: 'btn btn-small correct-line',
        'aria-label': t('record.ledger.correct_label', { date: date(l.at), h: hours(l.minutes) }),
        onclick: () => admin.correct(l, l.minutes + (corrected.get(l.id) || 0)),
      }, t('record.ledger.correct')), 'no-print') : null);
  }));
}

/** Asks the server again for the record (and the chosen year) and redraws:
 *  after an administrator changed the member or their ledger. */
async function reload() {
  state.record = await api(`/api/v1/members/${seg(state.id)}/record`);
  state.byYear.clear();
  if (state.year !== 'all')
    state.byYear.set(state.year, await api(`/api/v1/members/${seg(state.id)}/record?year=${encodeURIComponent(state.year)}`));
  drawAll();
}

async function chooseYear(y) {
  state.year = y;
  const box = document.getElementById('ledger-error');
  notice(box, '');
  if (y !== 'all' && !state.byYear.has(y)) {
    drawLedger();
    try {
      const r = await api(`/api/v1/members/${seg(state.id)}/record?year=${encodeURIComponent(y)}`);
      state.byYear.set(y, r);
    } catch (e) {
      if (state.year === y) notice(box, errorText(e));
      return;
    }
  }
  if (state.year === y) drawLedger();
}

function drawAll() {
  if (!state.record) return;
  drawProfile();
  drawTotals();
  drawYears();
  drawLedger();
}

async function main() {
  initPage(null);
  const s = await requireSession();
  state.session = s;
  initPage(s);
  let id = param('id');
  id = id ? normaliseId(id) : s.kind === 'member' ? s.id_number : null;
  if (!id) { location.replace('/orgs.html'); return; }
  state.id = id;
  if (s.kind === 'admin') {
    const back = document.getElementById('back');
    back.hidden = false;
    if (document.referrer && new URL(document.referrer).origin === location.origin &&
        new URL(document.referrer).pathname === '/orgs.html') back.href = document.referrer;
  }
  window.addEventListener('yj-lang', drawAll);
  document.getElementById('year').addEventListener('change', (ev) => chooseYear(ev.target.value));
  try {
    state.record = await api(`/api/v1/members/${seg(id)}/record`);
  } catch (e) {
    document.getElementById('page-loading').hidden = true;
    notice(document.getElementById('page-error'), errorText(e));
    return;
  }
  document.getElementById('page-loading').hidden = true;
  document.getElementById('record').hidden = false;
  if (s.kind === 'admin') state.admin = setupAdmin(state, reload);
  drawAll();
}

main();
