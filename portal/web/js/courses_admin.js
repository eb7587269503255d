// SPDX-License-Identifier: Apache-2.0
// courses_admin.js — /courses.html?course=ID for administrators: the
// courses of their subtree, creating one, a course's lessons (state,
// length, hours, threshold, assigned organisations), adding a lesson by
// uploading a video through the resumable upload (upload.js) and then
// following its transcoding (GET /api/v1/lessons/{id}) until it is ready,
// changing a lesson, and unpublishing it (no organisation assigned, so no
// member sees it; its credits stay).

import { api, requireSession } from './api.js';
import { hours, t } from './i18n.js';
import { parseDuration } from './input.js';
import { openDialog, confirmDialog } from './dialog.js';
import { clearErrors, el, fieldError, fill, initPage, notice, param } from './ui.js';
import { meetingError as apiWords } from './meetings_common.js';
import { uploadFile, forgetUpload } from './upload.js';

const $ = (id) => document.getElementById(id);
let me, orgs = [], courses = [], course = null;
let courseId = param('course');

async function main() {
  me = await requireSession();
  initPage(me);
  if (me.kind !== 'admin') { location.href = '/learn'; return; }
  try { orgs = (await api('/api/v1/orgs')).orgs || []; } catch (e) { notice($('page-error'), apiWords(e)); }
  $('cform').addEventListener('submit', (ev) => { ev.preventDefault(); createCourse(); });
  $('uform').addEventListener('submit', (ev) => { ev.preventDefault(); addLesson(); });
  $('course-edit').addEventListener('click', editCourse);
  $('u-file').addEventListener('change', () => {
    const f = $('u-file').files[0];
    $('u-file-name').textContent = f ? `${f.name}（${mb(f.size)} MB）` : '';
  });
  window.addEventListener('yj-lang', () => { drawCourses(); drawCourse(); });
  await loadCourses();
  if (courseId) await loadCourse();
}

async function loadCourses() {
  try {
    courses = (await api('/api/v1/courses?limit=100')).courses || [];
    drawCourses();
  } catch (e) { notice($('page-error'), apiWords(e)); }
}

function drawCourses() {
  fill($('c-categories'), [...new Set(courses.map((c) => c.category).filter(Boolean))].map((c) => el('option', { value: c })));
  if (!courses.length) { fill($('courses'), el('li', { class: 'empty' }, t('crs.none'))); return; }
  fill($('courses'), courses.map((c) => el('li', { class: 'meeting-item', dataset: { course: c.id } },
    el('div', { class: 'meeting-title' }, el('a', { href: `/courses.html?course=${c.id}`, 'aria-current': String(c.id) === String(courseId) ? 'true' : null }, c.title)),
    el('div', { class: 'meeting-meta' }, [c.category || t('crs.no_category'), c.org_name,
      t('crs.count', { n: c.lesson_count ?? 0, h: hours(c.minutes ?? 0) })].filter(Boolean).join(' · ')))));
}

async function createCourse() {
  const form = $('cform');
  clearErrors(form);
  const title = $('c-title').value.trim();
  if (!title) return fieldError('c-title', t('crs.err.title'));
  try {
    const c = await api('/api/v1/courses', { method: 'POST', body: {
      title, category: $('c-category').value.trim() || undefined, description: $('c-description').value.trim() || undefined } });
    location.href = `/courses.html?course=${c.id}&done=created`;
  } catch (e) {
    if (e.field === 'title' || e.field === 'category') fieldError('c-' + e.field, apiWords(e));
    else { const b = form.querySelector('.form-message'); b.textContent = apiWords(e); b.hidden = false; }
  }
}

async function loadCourse() {
  try {
    const c = await api('/api/v1/courses/' + encodeURIComponent(courseId));
    // The course lists its lessons briefly; each lesson's own answer has
    // its organisations, length and transcoding state.
    c.lessons = await Promise.all((c.lessons || []).map((l) => api('/api/v1/lessons/' + l.id).catch(() => l)));
    course = c;
    drawCourse();
    if (param('done') === 'created') notice($('page-ok'), t('crs.created'), 'ok');
  } catch (e) { notice($('page-error'), apiWords(e)); }
}

function statusText(l) {
  if (l.status === 'ready') return t('crs.st.ready');
  if (l.status === 'failed') return t('crs.st.failed');
  return t('crs.st.processing', { pct: Math.round(l.percent || 0) });
}

function orgChecks(box, chosen) {
  const base = orgs.length ? orgs[0].depth || 0 : 0;
  fill(box, orgs.map((o) => el('label', { class: 'check', style: `margin-left:${((o.depth || 0) - base) * 1.2}em` },
    el('input', { type: 'checkbox', value: o.code, checked: chosen.has(o.code) }), ' ', o.name)));
}

function drawCourse() {
  if (!course) return;
  $('course-card').hidden = false;
  $('upload-card').hidden = false;
  $('course-title').textContent = course.title;
  const owner = orgs.find((o) => o.code === course.org_code);
  $('course-meta').textContent = [course.category, owner ? owner.name : course.org_code].filter(Boolean).join(' · ');
  const lessons = course.lessons || [];
  if (!$('u-orgs').childElementCount) orgChecks($('u-orgs'), new Set([course.org_code || orgs[0]?.code]));
  if (!lessons.length) { fill($('lessons'), el('li', { class: 'empty' }, t('crs.no_lessons'))); return; }
  fill($('lessons'), lessons.map((l) => el('li', { class: 'meeting-item', dataset: { lesson: l.id } },
    el('div', { class: 'meeting-title' }, l.title, ' ',
      el('span', { class: l.status === 'ready' ? 'badge badge-live' : 'badge badge-soft' }, statusText(l)),
      l.orgs && l.orgs.length ? null : el('span', { class: 'badge badge-soft' }, t('crs.unpublished'))),
    el('div', { class: 'meeting-meta' }, t('crs.lesson_line', {
      len: l.duration ? t('crs.len', { m: Math.floor(l.duration / 60), s: Math.round(l.duration % 60) }) : t('common.none'),
      h: hours(l.minutes), pct: Math.round((l.threshold || 0) * 100) })),
    el('div', { class: 'meeting-meta' }, l.orgs && l.orgs.length
      ? t('crs.assigned', { names: l.orgs.map((o) => o.name || o.code || o).join(t('common.list_sep')) }) : t('crs.assigned_none')),
    el('div', { class: 'actions' },
      l.status === 'ready' ? el('a', { class: 'btn btn-small', href: `/learn/${l.id}` }, t('crs.watch')) : null,
      el('button', { type: 'button', class: 'btn btn-small', onclick: () => editLesson(l) }, t('crs.edit')),
      l.orgs && l.orgs.length
        ? el('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => unpublish(l) }, t('crs.unpublish'))
        : null))));
}

function lessonErrorField(e) {
  return { title: 'title', hours: 'hours', minutes: 'hours', threshold: 'threshold', orgs: 'orgs', file: 'file', path: 'file' }[e.field] || null;
}

async function editLesson(l) {
  const chosen = new Set((l.orgs || []).map((o) => o.code || o));
  const box = el('div', {});
  orgChecks(box, chosen);
  const body = [
    el('div', { class: 'field' }, el('label', { for: 'e-title' }, t('crs.f.lesson_title')), el('input', { id: 'e-title', type: 'text', value: l.title, maxlength: 200 }),
      el('p', { id: 'e-title-error', class: 'field-error', hidden: true })),
    el('div', { class: 'field' }, el('label', { for: 'e-hours' }, t('crs.f.hours')), el('input', { id: 'e-hours', type: 'text', value: `${l.minutes}分钟` }),
      el('p', { id: 'e-hours-error', class: 'field-error', hidden: true })),
    el('div', { class: 'field' }, el('label', { for: 'e-threshold' }, t('crs.f.threshold')),
      el('input', { id: 'e-threshold', type: 'number', min: 1, max: 100, value: Math.round(l.threshold * 100) }),
      el('p', { id: 'e-threshold-error', class: 'field-error', hidden: true })),
    el('fieldset', { class: 'field choice' }, el('legend', {}, t('crs.f.orgs')), box, el('p', { id: 'e-orgs-error', class: 'field-error', hidden: true })),
  ];
  await openDialog({ title: t('crs.edit_title', { title: l.title }), body, submitKey: 'mtg.save', onSubmit: async () => {
    const title = $('e-title').value.trim();
    if (!title) { fieldError('e-title', t('crs.err.title')); return false; }
    const d = parseDuration($('e-hours').value, { min: 0, max: 6000 });
    if (d.error) { fieldError('e-hours', t(d.error)); return false; }
    const pct = Number($('e-threshold').value);
    if (!Number.isInteger(pct) || pct < 1 || pct > 100) { fieldError('e-threshold', t('mtg.err.threshold')); return false; }
    const codes = [...box.querySelectorAll('input:checked')].map((i) => i.value);
    try {
      await api('/api/v1/lessons/' + l.id, { method: 'PATCH', body: { title, minutes: d.minutes, threshold: pct / 100, orgs: codes } });
    } catch (e) {
      const f = lessonErrorField(e);
      if (f) fieldError('e-' + f, apiWords(e)); else notice($('page-error'), apiWords(e));
      return false;
    }
    return true;
  } });
  await loadCourse();
}

async function editCourse() {
  const body = [
    el('div', { class: 'field' }, el('label', { for: 'ec-title' }, t('crs.f.title')), el('input', { id: 'ec-title', type: 'text', value: course.title, maxlength: 200 }),
      el('p', { id: 'ec-title-error', class: 'field-error', hidden: true })),
    el('div', { class: 'field' }, el('label', { for: 'ec-category' }, t('crs.f.category')), el('input', { id: 'ec-category', type: 'text', value: course.category || '', maxlength: 50 }),
      el('p', { id: 'ec-category-error', class: 'field-error', hidden: true })),
    el('div', { class: 'field' }, el('label', { for: 'ec-description' }, t('crs.f.description')), el('textarea', { id: 'ec-description', rows: 3, maxlength: 2000 }, course.description || '')),
  ];
  const ok = await openDialog({ title: t('crs.edit_course'), body, submitKey: 'mtg.save', onSubmit: async () => {
    const title = $('ec-title').value.trim();
    if (!title) { fieldError('ec-title', t('crs.err.title')); return false; }
    try {
      await api('/api/v1/courses/' + course.id, { method: 'PATCH', body: {
        title, category: $('ec-category').value.trim(), description: $('ec-description').value.trim() } });
    } catch (e) {
      if (e.field === 'title' || e.field === 'category') fieldError('ec-' + e.field, apiWords(e));
      else notice($('page-error'), apiWords(e));
      return false;
    }
    return true;
  } });
  if (ok) { await loadCourse(); await loadCourses(); }
}

async function unpublish(l) {
  if (!await confirmDialog({ title: t('crs.unpublish_title'), body: t('crs.unpublish_body', { title: l.title }), yesKey: 'crs.unpublish', danger: true })) return;
  try {
    await api('/api/v1/lessons/' + l.id, { method: 'PATCH', body: { orgs: [] } });
    notice($('page-ok'), t('crs.unpublished_ok', { title: l.title }), 'ok');
  } catch (e) { notice($('page-error'), apiWords(e)); }
  await loadCourse();
}

const mb = (n) => (n / 1048576).toFixed(1);

async function addLesson() {
  const form = $('uform');
  clearErrors(form);
  const title = $('u-title').value.trim();
  if (!title) return fieldError('u-title', t('crs.err.lesson_title'));
  const file = $('u-file').files[0];
  if (!file) return fieldError('u-file', t('crs.err.file'));
  const d = parseDuration($('u-hours').value, { min: 0, max: 6000 });
  if (d.error) return fieldError('u-hours', t(d.error));
  const pct = Number($('u-threshold').value);
  if (!Number.isInteger(pct) || pct < 1 || pct > 100) return fieldError('u-threshold', t('mtg.err.threshold'));
  const codes = [...$('u-orgs').querySelectorAll('input:checked')].map((i) => i.value);
  $('u-go').disabled = true;
  $('u-progress').hidden = false;
  const bar = $('u-bar');
  try {
    const uid = await uploadFile(file, ({ sent, size, retrying }) => {
      $('u-phase').textContent = t(retrying ? 'crs.up.retrying' : 'crs.up.sending');
      bar.value = size ? Math.floor((sent / size) * 100) : 0;
      bar.dataset.phase = 'upload';
      $('u-detail').textContent = t('crs.up.detail', { sent: mb(sent), size: mb(size), pct: bar.value });
    });
    $('u-phase').textContent = t('crs.up.checking');
    const lesson = await api(`/api/v1/uploads/${encodeURIComponent(uid)}/complete`, { method: 'POST', body: {
      course_id: Number(courseId), title, minutes: d.minutes, threshold: pct / 100, orgs: codes } });
    forgetUpload(file);
    await follow(lesson.id ?? lesson.lesson?.id);
  } catch (e) {
    $('u-phase').textContent = '';
    const f = lessonErrorField(e);
    if (f) fieldError('u-' + f, e.code === 'not_a_video' ? t('crs.err.not_video') : apiWords(e));
    else { const b = form.querySelector('.form-message'); b.textContent = apiWords(e); b.hidden = false; }
  } finally {
    $('u-go').disabled = false;
  }
}

// Follows the transcoding until the lesson is ready (or failed).
async function follow(id) {
  const bar = $('u-bar');
  bar.dataset.phase = 'transcode';
  for (;;) {
    let l;
    try { l = await api('/api/v1/lessons/' + id); } catch { await new Promise((r) => setTimeout(r, 2000)); continue; }
    bar.value = l.status === 'ready' ? 100 : Math.floor(l.percent || 0);
    $('u-detail').textContent = statusText(l);
    if (l.status === 'ready') {
      bar.dataset.phase = 'ready';
      $('u-phase').textContent = t('crs.up.ready', { title: l.title });
      $('u-title').value = '';
      $('u-file').value = '';
      $('u-file-name').textContent = '';
      $('page-ok').hidden = true;
      break;
    }
    if (l.status === 'failed') {
      bar.dataset.phase = 'failed';
      $('u-phase').textContent = t('crs.up.failed');
      break;
    }
    $('u-phase').textContent = t('crs.up.transcoding');
    await loadCourse();
    await new Promise((r) => setTimeout(r, 1000));
  }
  await loadCourse();
  await loadCourses();
}

main();
