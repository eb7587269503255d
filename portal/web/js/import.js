// SPDX-License-Identifier: Apache-2.0
// import.js — the CSV import page. Reads the chosen file in the browser
// (UTF-8; a GBK/GB18030 file as saved by older Excel is converted rather
// than refused), posts it to POST /api/v1/orgs/{code}/members/import and
// shows the outcome: the count on success, or — when the server refuses
// the whole file — one table row per problem with the line number, the
// column, the reason in plain words and the text of that line.

import { api, requireSession, seg } from './api.js';
import { has, lang, t } from './i18n.js';
import { busy, clearErrors, el, errorText, fieldError, fill, initPage, notice, param } from './ui.js';

const MAX_BYTES = 16 * 1024 * 1024;
const COLUMNS = [
  ['id_number', true], ['name', true], ['gender', false], ['birth_date', false], ['phone', false],
  ['org_code', false], ['joined_on', false], ['status', false], ['migrant', false], ['location', false],
];

const state = { orgs: [], outcome: null, lines: [], converted: false };

function sizeText(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}

function chosenOrg() {
  return document.getElementById('org').value;
}

function drawOrgs() {
  const sel = document.getElementById('org');
  const want = sel.value || param('org');
  const base = Math.min(...state.orgs.map((o) => o.depth ?? 0));
  fill(sel, state.orgs.map((o) => el('option', { value: o.code },
    '\u3000'.repeat(Math.max(0, (o.depth ?? 0) - base)) + `${o.name}（${o.code}）`)));
  if (want && state.orgs.some((o) => o.code === want)) sel.value = want;
  drawLinks();
}

function drawLinks() {
  const code = chosenOrg();
  const ex = document.getElementById('export-link');
  ex.href = code ? `/api/v1/orgs/${seg(code)}/members/export` : '#';
  ex.setAttribute('download', `members-${code}.csv`);
  const tpl = document.getElementById('template-link');
  tpl.href = lang() === 'en' ? '/templates/members-en.csv' : '/templates/members-zh.csv';
  tpl.setAttribute('download', lang() === 'en' ? 'members-template.csv' : '党员名单模板.csv');
}

function drawColumnsHelp() {
  fill(document.getElementById('columns-help'), COLUMNS.map(([c, req]) => [
    el('dt', {}, t('field.' + c),
      el('span', { class: 'tag ' + (req ? 'tag-required' : 'tag-optional') },
        t(req ? 'import.columns.required' : 'import.columns.optional'))),
    el('dd', {}, t('import.col_help.' + c)),
  ]));
}

function drawFileName() {
  const f = document.getElementById('file').files[0];
  document.getElementById('file-name').textContent = f
    ? t('import.file.chosen', { name: f.name, size: sizeText(f.size) }) : t('import.file.none');
}

/** Decodes the file: UTF-8 when it is valid UTF-8, else GB18030 (a superset
 *  of GBK). Returns the text or throws with a message key. */
async function readText(file) {
  let buf;
  try {
    buf = await file.arrayBuffer();
  } catch {
    throw new Error('import.reselect');
  }
  if (buf.byteLength === 0) throw new Error('import.empty_file');
  if (new Uint8Array(buf.slice(0, 8192)).includes(0)) throw new Error('import.not_text');
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), converted: false };
  } catch {
    try {
      return { text: new TextDecoder('gb18030', { fatal: true }).decode(buf), converted: true };
    } catch {
      throw new Error('import.not_text');
    }
  }
}

function reasonText(row) {
  if (row.code && has('reason.' + row.code)) return t('reason.' + row.code);
  return t('reason.generic');
}

function fieldText(field) {
  if (!field) return t('import.field.none');
  return has('field.' + field) ? t('field.' + field) : field;
}

function drawOutcome() {
  const o = state.outcome;
  const section = document.getElementById('result');
  section.hidden = !o;
  if (!o) return;
  const box = document.getElementById('result-notice');
  document.getElementById('converted').hidden = !state.converted;
  document.getElementById('converted').textContent = t('import.converted');
  const wrap = document.getElementById('errors-wrap');
  const body = document.getElementById('errors-body');
  const extra = document.getElementById('result-extra');
  notice(extra, '');
  if (o.ok) {
    const sp = lang() === 'en' ? ' ' : ''; // Chinese sentences need no space between them
    const detail = Number.isInteger(o.created) && Number.isInteger(o.updated)
      ? [sp, t('import.ok.detail', { created: o.created, updated: o.updated })] : [];
    notice(box, [t('import.ok', { n: o.imported }), detail, sp,
      el('a', { href: '/orgs.html?org=' + seg(o.org) }, t('import.ok.back'))], 'ok');
    if (o.ignored?.length) notice(extra, t('import.ignored', { cols: o.ignored.join(t('common.list_sep')) }), 'info');
    wrap.hidden = true;
    fill(body);
    return;
  }
  if (!o.rows) {
    notice(box, o.message, 'error');
    wrap.hidden = true;
    fill(body);
    return;
  }
  const rows = [...o.rows].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const lines = new Set(rows.map((r) => r.line));
  notice(box, t('import.refused', { n: lines.size }), 'error');
  if (o.truncated) notice(extra, t('import.truncated', { n: rows.length }), 'info');
  const cell = (key, content, cls = null) => el('td', { 'data-label': t(key), class: cls }, content);
  fill(body, rows.map((r) => {
    const reason = reasonText(r);
    // The server's own (English) words only for an English page.
    const detail = lang() === 'en' && r.message && r.message !== reason ? el('span', { class: 'detail' }, r.message) : null;
    const raw = r.line && state.lines[r.line - 1] !== undefined ? state.lines[r.line - 1] : '';
    return el('tr', { 'data-line': r.line ?? '' },
      cell('import.col.line', r.line ? t('import.line', { n: r.line }) : t('common.none'), 'lead nowrap'),
      cell('import.col.field', fieldText(r.field), 'nowrap'),
      cell('import.col.reason', el('div', {}, reason, detail)),
      cell('import.col.content', raw, 'raw'));
  }));
  wrap.hidden = false;
}

async function submit(ev) {
  ev.preventDefault();
  const form = ev.target;
  clearErrors(form);
  notice(document.getElementById('page-error'), '');
  const code = chosenOrg();
  const file = document.getElementById('file').files[0];
  if (!code) return fieldError('org', t('orgs.none'));
  if (!file) return fieldError('file', t('import.need_file'), false);
  if (file.size > MAX_BYTES) return fieldError('file', t('import.too_big'), false);
  await busy(document.getElementById('submit'), 'import.busy', async () => {
    let text;
    try {
      const r = await readText(file);
      text = r.text;
      state.converted = r.converted;
    } catch (e) {
      return fieldError('file', t(e.message), false);
    }
    state.lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
    try {
      const r = await api(`/api/v1/orgs/${seg(code)}/members/import`, {
        method: 'POST', body: text, contentType: 'text/csv; charset=utf-8',
      });
      state.outcome = { ok: true, imported: r.imported, created: r.created, updated: r.updated,
        ignored: Array.isArray(r.ignored_columns) ? r.ignored_columns : [], org: code };
    } catch (e) {
      if (e.status === 413) return fieldError('file', t('import.too_big'), false);
      state.outcome = { ok: false, rows: e.rows && e.rows.length ? e.rows : null,
        truncated: e.rowsTruncated, message: errorText(e) };
    }
    drawOutcome();
    const section = document.getElementById('result');
    section.focus({ preventScroll: true });
    section.scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
}

async function main() {
  initPage(null);
  drawColumnsHelp();
  drawFileName();
  drawLinks();
  const s = await requireSession();
  initPage(s);
  if (s.kind !== 'admin') { location.replace('/record.html'); return; }
  window.addEventListener('yj-lang', () => { drawOrgs(); drawColumnsHelp(); drawFileName(); drawOutcome(); });
  document.getElementById('file').addEventListener('change', () => {
    clearErrors(document.getElementById('import-form'));
    drawFileName();
  });
  document.getElementById('org').addEventListener('change', drawLinks);
  document.getElementById('import-form').addEventListener('submit', submit);
  try {
    state.orgs = (await api('/api/v1/orgs')).orgs || [];
  } catch (e) {
    notice(document.getElementById('page-error'), errorText(e));
    return;
  }
  drawOrgs();
}

main();
