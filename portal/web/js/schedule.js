// SPDX-License-Identifier: Apache-2.0
// schedule.js — a channel's week schedule (/schedule.html?channel=ID).
// Draws the week (Monday to Sunday, Beijing time, +08:00) from GET
// /api/v1/channels/{id}/schedule, one block per showing. Tapping a block
// opens its programme in the form (a repeated programme is edited as a
// whole series); with a mouse a block can be dragged to another day, which
// moves the programme by whole days (PATCH start/end). The form has the
// course and lesson picker (GET /api/v1/courses, /api/v1/courses/{id}).
// Every refusal (overlap, times …) is shown in Chinese under its field.
// For a roll-call programme the form offers the report (who confirmed at
// which station).

import { api, requireSession, seg } from './api.js';
import { t } from './i18n.js';
import { iptvError } from './iptv_i18n.js';
import { busy, clearErrors, el, errorText, fieldError, fill, initPage, notice, param } from './ui.js';

const $ = (id) => document.getElementById(id);
const DAY = 86400e3, OFF = 8 * 3600e3;
const channel = Number(param('channel')) || 0;
const state = { ch: null, week: 0, rows: new Map(), editing: null, editable: false };

/* "+08:00 wall clock" helpers: shift by 8 h and read the UTC fields */
const pad = (n) => String(n).padStart(2, '0');
const local = (ms) => new Date(ms + OFF);
const ymd = (ms) => { const d = local(ms); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; };
const hm = (ms) => { const d = local(ms); return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`; };
const iso = (ms) => local(ms).toISOString().slice(0, 19) + '+08:00';
const parseLocal = (date, time = '00:00') => Date.parse(`${date}T${time}:00+08:00`);
function mondayOf(ms) {
  const dayStart = Math.floor((ms + OFF) / DAY) * DAY - OFF;
  const dow = (local(dayStart).getUTCDay() + 6) % 7; // Monday 0
  return dayStart - dow * DAY;
}

function errText(e) { return iptvError(e) || errorText(e); }

async function loadWeek() {
  const from = state.week, to = from + 7 * DAY;
  $('week-label').textContent = t('sch.week', { from: ymd(from), to: ymd(to - DAY) });
  const [s, p] = await Promise.all([
    api(`/api/v1/channels/${channel}/schedule?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`),
    api(`/api/v1/channels/${channel}/programmes`),
  ]);
  state.rows = new Map(p.programmes.map((r) => [r.id, r]));
  const days = [];
  const today = ymd(Date.now());
  for (let i = 0; i < 7; i++) {
    const start = from + i * DAY;
    const col = el('div', { class: 'day' + (ymd(start) === today ? ' today' : ''), dataset: { day: String(i) } },
      el('h3', {}, dayName(i), ' ', ymd(start).slice(5)));
    if (state.editable) {
      col.addEventListener('dragover', (ev) => { ev.preventDefault(); col.classList.add('drop'); });
      col.addEventListener('dragleave', () => col.classList.remove('drop'));
      col.addEventListener('drop', (ev) => { ev.preventDefault(); col.classList.remove('drop'); dropOn(i, ev); });
    }
    days.push(col);
  }
  for (const o of s.occurrences) {
    const start = Date.parse(o.start), end = Date.parse(o.end);
    const i = Math.max(0, Math.min(6, Math.floor((start - from) / DAY)));
    const b = el('button', { type: 'button', class: 'prog' + (o.creditable ? ' credit' : ''), draggable: state.editable ? 'true' : null,
      dataset: { pid: String(o.programme_id), day: String(Math.floor((start - from) / DAY)) },
      onclick: () => openForm(state.rows.get(o.programme_id), start) },
    el('span', { class: 'time' }, `${hm(start)}–${hm(end)}`), o.title);
    b.addEventListener('dragstart', (ev) => ev.dataTransfer.setData('text/plain', `${o.programme_id}:${b.dataset.day}`));
    days[i].append(b);
  }
  for (const d of days) if (d.querySelectorAll('.prog').length === 0) d.append(el('p', { class: 'hint' }, t('sch.empty')));
  fill($('week'), days);
}

function dayName(i) {
  return new Intl.DateTimeFormat(document.documentElement.lang || 'zh-CN', { weekday: 'short', timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, 1 + i)));
}

/* Moves the dragged programme (all its showings) by whole days. */
async function dropOn(day, ev) {
  const [pid, from] = ev.dataTransfer.getData('text/plain').split(':').map(Number);
  const row = state.rows.get(pid);
  const delta = (day - from) * DAY;
  if (!row || !delta) return;
  const body = { start: iso(Date.parse(row.start) + delta), end: iso(Date.parse(row.end) + delta) };
  if (row.repeat !== 'none') body.repeat_until = iso(Date.parse(row.repeat_until) + delta);
  try {
    await api(`/api/v1/channels/${channel}/programmes/${seg(pid)}`, { method: 'PATCH', body });
    $('page-error').hidden = true;
    await loadWeek();
  } catch (e) { notice($('page-error'), errText(e)); }
}

function showKind() {
  const k = $('p-kind').value;
  $('w-course').hidden = !['lesson', 'recording', 'loop'].includes(k);
  $('w-lesson').hidden = !['lesson', 'recording'].includes(k);
  $('w-meeting').hidden = k !== 'live';
  $('w-feed').hidden = $('w-feedprog').hidden = k !== 'feed';
  $('w-until').hidden = $('p-repeat').value === 'none';
  $('w-minutes').hidden = !$('p-creditable').checked;
}

async function loadCourses() {
  const r = await api('/api/v1/courses?limit=500');
  fill($('p-course'), el('option', { value: '' }, t('sch.pick')),
    r.courses.map((c) => el('option', { value: String(c.id) }, c.title)));
}

async function loadLessons(selected = null) {
  const id = $('p-course').value;
  if (!id) { fill($('p-lesson_id'), el('option', { value: '' }, t('sch.pick'))); return; }
  const c = await api(`/api/v1/courses/${seg(id)}`);
  fill($('p-lesson_id'), el('option', { value: '' }, t('sch.pick')),
    c.lessons.map((l) => el('option', { value: String(l.id), selected: String(l.id) === String(selected) }, l.title)));
}

async function openForm(row, at = null) {
  if (!state.editable) return;
  state.editing = row || null;
  const form = $('p-form');
  clearErrors(form);
  $('form-heading').textContent = t(row ? 'sch.edit' : 'sch.add');
  $('series-hint').hidden = !row || row.repeat === 'none';
  $('p-delete').hidden = !row;
  $('p-report').hidden = !row || !row.creditable;
  $('report-card').hidden = true;
  const start = row ? Date.parse(row.start) : (at ?? Math.max(state.week, Date.now()));
  $('p-kind').value = row ? row.kind : 'lesson';
  $('p-title').value = row ? row.title : '';
  $('p-date').value = ymd(start);
  $('p-time').value = row ? hm(start) : '09:00';
  $('p-duration').value = row ? Math.round((Date.parse(row.end) - start) / 60000) : 45;
  $('p-repeat').value = row ? row.repeat : 'none';
  $('p-until').value = row && row.repeat_until ? ymd(Date.parse(row.repeat_until)) : '';
  $('p-creditable').checked = row ? row.creditable : false;
  $('p-minutes').value = row && row.creditable ? row.minutes : '';
  $('p-meeting_id').value = row?.meeting_id ?? '';
  $('p-feed_url').value = row?.feed_url ?? '';
  $('p-feed_program').value = row?.feed_program ?? 0;
  $('p-course').value = row?.course_id ? String(row.course_id) : '';
  if (row?.lesson_id) {
    // find the lesson's course for the picker
    try { const l = await api(`/api/v1/lessons/${seg(row.lesson_id)}`); if (l.course_id) $('p-course').value = String(l.course_id); } catch { /* keep */ }
  }
  await loadLessons(row?.lesson_id);
  showKind();
  $('form-card').hidden = false;
  $('p-kind').focus();
}

const FIELDS = ['kind', 'course_id', 'lesson_id', 'meeting_id', 'feed_url', 'feed_program', 'title', 'start', 'end', 'repeat', 'repeat_until', 'minutes'];

async function save(ev) {
  ev.preventDefault();
  const form = $('p-form');
  clearErrors(form);
  const k = $('p-kind').value;
  if (!$('p-date').value || !$('p-time').value) return fieldError('p-date', t('iptv.err.missing_field'));
  const start = parseLocal($('p-date').value, $('p-time').value);
  const minutes = Number($('p-duration').value);
  if (!(minutes > 0)) return fieldError('p-duration', t('iptv.err.missing_field'));
  const body = { kind: k, start: iso(start), end: iso(start + minutes * 60000), repeat: $('p-repeat').value,
    creditable: $('p-creditable').checked };
  if ($('p-title').value.trim()) body.title = $('p-title').value.trim();
  if (body.repeat !== 'none') {
    if (!$('p-until').value) return fieldError('p-until', t('iptv.err.missing_field'));
    body.repeat_until = iso(parseLocal($('p-until').value));
  }
  if (body.creditable && $('p-minutes').value) body.minutes = Number($('p-minutes').value);
  if (k === 'lesson' || k === 'recording') {
    if (!$('p-lesson_id').value) return fieldError('p-lesson_id', t('iptv.err.missing_field'));
    body.lesson_id = Number($('p-lesson_id').value);
  } else if (k === 'loop') {
    if (!$('p-course').value) return fieldError('p-course', t('iptv.err.missing_field'));
    body.course_id = Number($('p-course').value);
  } else if (k === 'live') {
    body.meeting_id = Number($('p-meeting_id').value) || undefined;
  } else if (k === 'feed') {
    body.feed_url = $('p-feed_url').value.trim();
    body.feed_program = Number($('p-feed_program').value) || 0;
  }
  await busy($('p-save'), 'ch.saving', async () => {
    try {
      if (state.editing) await api(`/api/v1/channels/${channel}/programmes/${seg(state.editing.id)}`, { method: 'PATCH', body });
      else await api(`/api/v1/channels/${channel}/programmes`, { method: 'POST', body });
      $('form-card').hidden = true;
      await loadWeek();
    } catch (e) {
      const map = { start: 'p-date', end: 'p-duration', repeat_until: 'p-until', course_id: 'p-course' };
      const id = map[e.field] || (FIELDS.includes(e.field) ? 'p-' + e.field : null);
      if (id) fieldError(id, errText(e));
      else notice(form.querySelector('.form-message'), errText(e));
    }
  });
}

async function remove() {
  if (!state.editing || !confirm(t('sch.delete.confirm'))) return;
  try {
    await api(`/api/v1/channels/${channel}/programmes/${seg(state.editing.id)}`, { method: 'DELETE' });
    $('form-card').hidden = true;
    await loadWeek();
  } catch (e) { notice($('p-form').querySelector('.form-message'), errText(e)); }
}

async function report() {
  if (!state.editing) return;
  const r = await api(`/api/v1/channels/${channel}/programmes/${seg(state.editing.id)}/rollcall`);
  const box = $('report');
  if (!r.occurrences.length) fill(box, el('p', { class: 'notice notice-info' }, t('sch.report.none')));
  else {
    fill(box, r.occurrences.map((o) => [
      el('h3', {}, `${ymd(Date.parse(o.start))} ${hm(Date.parse(o.start))}`),
      o.stations.map((s) => el('div', {},
        el('h4', {}, `${t('sch.report.station')}：${s.id ? s.name : t('sch.report.self')}（${s.confirmed}）`),
        el('ul', {}, s.members.map((m) => el('li', {}, `${m.name}（${m.id_number.slice(0, 6)}…${m.id_number.slice(-4)}）— `,
          m.credited ? t('sch.report.credited') : t('sch.report.partial')))))),
    ]));
  }
  $('report-card').hidden = false;
  $('report-card').scrollIntoView({ block: 'nearest' });
}

async function main() {
  initPage();
  const s = await requireSession();
  initPage(s);
  try {
    state.ch = await api(`/api/v1/channels/${channel}`);
  } catch (e) { notice($('page-error'), errText(e)); return; }
  $('ch-name').textContent = `${state.ch.number} ${state.ch.name}`;
  state.editable = s.kind === 'admin' && state.ch.editable;
  $('add').hidden = !state.editable;
  state.week = mondayOf(Date.now());
  $('prev').addEventListener('click', () => { state.week -= 7 * DAY; loadWeek(); });
  $('next').addEventListener('click', () => { state.week += 7 * DAY; loadWeek(); });
  $('this').addEventListener('click', () => { state.week = mondayOf(Date.now()); loadWeek(); });
  $('add').addEventListener('click', () => openForm(null));
  $('p-kind').addEventListener('change', showKind);
  $('p-repeat').addEventListener('change', showKind);
  $('p-creditable').addEventListener('change', showKind);
  $('p-course').addEventListener('change', () => loadLessons());
  $('p-form').addEventListener('submit', save);
  $('p-cancel').addEventListener('click', () => { $('form-card').hidden = true; });
  $('p-delete').addEventListener('click', remove);
  $('p-report').addEventListener('click', () => report().catch((e) => notice($('page-error'), errText(e))));
  window.addEventListener('yj-lang', () => loadWeek());
  try {
    if (state.editable) await loadCourses();
    await loadWeek();
  } catch (e) { notice($('page-error'), errText(e)); }
}

main();
