// SPDX-License-Identifier: Apache-2.0
// orgs.js — the organisation page. Loads the administrator's subtree
// (GET /api/v1/orgs), draws it as an expandable tree, and for the chosen
// organisation shows its summary (GET …/summary) and a searchable, paged
// member list (GET …/members). The choice is kept in ?org= so a reload or
// a shared link opens the same organisation. Members are sent to their
// own record page. Creating, renaming, moving and deleting organisations
// is in org_admin.js; each member row has a button for a one-time sign-in
// code (logincode.js).

import { api, requireSession, seg } from './api.js';
import { hours, t } from './i18n.js';
import { el, errorText, fill, initPage, notice, param } from './ui.js';
import { normaliseId } from './idnumber.js';
import { loginCodeDialog } from './logincode.js';
import { setupOrgAdmin } from './org_admin.js';
import { addMemberDialog } from './member_add.js';

const PAGE = 20;
const TOP = 5;

const state = {
  orgs: [],            // as returned, tree order
  byCode: new Map(),
  children: new Map(), // code -> [org]
  roots: [],
  open: new Set(),     // expanded codes
  code: null,          // chosen org
  q: '',
  subtree: true,
  offset: 0,
  summary: null,
  members: null,       // {members, total}
  seq: 0,              // guards against late answers for an old choice
};

function buildTree(orgs) {
  state.orgs = orgs;
  state.byCode = new Map(orgs.map((o) => [o.code, o]));
  state.children = new Map();
  state.roots = [];
  for (const o of orgs) {
    if (o.parent_code && state.byCode.has(o.parent_code)) {
      if (!state.children.has(o.parent_code)) state.children.set(o.parent_code, []);
      state.children.get(o.parent_code).push(o);
    } else {
      state.roots.push(o);
    }
  }
}

function ancestors(code) {
  const out = [];
  for (let o = state.byCode.get(code); o && o.parent_code; o = state.byCode.get(o.parent_code))
    out.push(o.parent_code);
  return out;
}

function drawTree() {
  const node = (o) => {
    const kids = state.children.get(o.code) || [];
    const open = state.open.has(o.code);
    const row = el('div', { class: 'tree-row' },
      kids.length
        ? el('button', {
          type: 'button', class: 'tree-toggle', 'aria-expanded': String(open),
          'aria-label': t(open ? 'orgs.collapse' : 'orgs.expand', { name: o.name }),
          onclick: () => { open ? state.open.delete(o.code) : state.open.add(o.code); drawTree(); },
        }, el('span', { 'aria-hidden': 'true' }, '▸'))
        : el('span', { class: 'tree-spacer', 'aria-hidden': 'true' }),
      el('button', {
        type: 'button', class: 'tree-name', 'data-code': o.code,
        'aria-current': o.code === state.code ? 'true' : null,
        onclick: () => choose(o.code, true),
      }, o.name, el('small', {}, t('orgs.code', { code: o.code }))));
    return el('li', {}, row, kids.length && open ? el('ul', {}, kids.map(node)) : null);
  };
  fill(document.getElementById('tree'), state.roots.map(node));
}

async function choose(code, fromClick = false) {
  if (!state.byCode.has(code)) code = state.roots[0]?.code;
  if (!code) return;
  state.code = code;
  state.offset = 0;
  for (const a of ancestors(code)) state.open.add(a);
  state.open.add(code);
  const url = new URL(location.href);
  url.searchParams.set('org', code);
  history.replaceState(null, '', url);
  drawTree();
  drawHead();
  if (fromClick && matchMedia('(max-width: 1199px)').matches)
    document.getElementById('org-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
  await Promise.all([loadSummary(), loadMembers()]);
}

function drawHead() {
  const o = state.byCode.get(state.code);
  if (!o) return;
  orgAdmin?.draw();
  document.getElementById('org-name').textContent = o.name;
  document.getElementById('org-code').textContent = t('orgs.code', { code: o.code });
  document.getElementById('import-link').href = '/import.html?org=' + seg(o.code);
  const ex = document.getElementById('export-link');
  ex.href = `/api/v1/orgs/${seg(o.code)}/members/export`;
  ex.setAttribute('download', `members-${o.code}.csv`);
  document.getElementById('stat-hours-label').textContent = t('orgs.summary.hours', { year: new Date().getFullYear() });
  document.getElementById('ranking-heading').textContent = t('orgs.summary.top', { n: TOP });
}

async function loadSummary() {
  const seq = ++state.seq;
  const box = document.getElementById('summary-error');
  notice(box, '');
  state.summary = null;
  drawSummary();
  try {
    const year = new Date().getFullYear();
    const s = await api(`/api/v1/orgs/${seg(state.code)}/summary?year=${year}`);
    if (seq !== state.seq) return;
    state.summary = s;
    drawSummary();
  } catch (e) {
    if (seq === state.seq) notice(box, errorText(e));
  }
}

function drawSummary() {
  const s = state.summary;
  document.getElementById('stat-members').textContent = s ? t('common.people', { n: s.member_count }) : '—';
  document.getElementById('stat-hours').textContent = s ? t('common.hours', { n: hours(s.minutes ?? (s.hours || 0) * 60) }) : '—';
  const list = document.getElementById('ranking');
  if (!s) { fill(list); return; }
  const top = (s.ranking || []).filter((r) => r.minutes > 0).slice(0, TOP);
  if (!top.length) { fill(list, el('li', {}, t('orgs.summary.no_ranking'))); return; }
  fill(list, top.map((r) => el('li', {},
    el('span', { class: 'rank' }, String(r.rank)),
    el('a', { class: 'who', href: '/record.html?id=' + seg(r.id_number) }, r.name),
    el('span', { class: 'h' }, t('common.hours', { n: hours(r.minutes) })))));
}

let memberSeq = 0;
async function loadMembers() {
  const seq = ++memberSeq;
  const box = document.getElementById('members-error');
  notice(box, '');
  const qs = new URLSearchParams({ subtree: state.subtree ? '1' : '0', limit: String(PAGE), offset: String(state.offset) });
  if (state.q) qs.set('q', state.q);
  try {
    const r = await api(`/api/v1/orgs/${seg(state.code)}/members?${qs}`);
    if (seq !== memberSeq) return;
    state.members = r;
  } catch (e) {
    if (seq !== memberSeq) return;
    state.members = null;
    notice(box, errorText(e));
  }
  drawMembers();
}

function drawMembers() {
  const body = document.getElementById('members-body');
  const r = state.members;
  const rows = r?.members || [];
  const cell = (labelKey, content, cls = null) => el('td', { 'data-label': t(labelKey), class: cls }, content);
  fill(body, rows.map((m) => el('tr', {},
    cell('orgs.col.name', el('a', { href: '/record.html?id=' + seg(m.id_number) }, m.name), 'lead nowrap'),
    cell('orgs.col.id_number', m.id_number, 'nowrap'),
    cell('orgs.col.org', m.org_name || m.org_code),
    cell('orgs.col.status', t('status.' + m.status), 'nowrap'),
    cell('orgs.col.phone', m.phone || t('common.none'), 'nowrap'),
    cell('orgs.col.code', el('button', {
      type: 'button', class: 'btn btn-small issue-code',
      'aria-label': t('orgs.code_button.label', { name: m.name }),
      onclick: () => loginCodeDialog(m),
    }, t('orgs.code_button')), 'no-print'))));
  document.getElementById('members-table').hidden = rows.length === 0;
  const empty = document.getElementById('members-empty');
  empty.hidden = !r || rows.length > 0;
  empty.textContent = state.q ? t('orgs.empty_search', { q: state.q }) : t('orgs.empty');
  const total = r?.total ?? 0;
  document.getElementById('page-info').textContent = rows.length
    ? t('orgs.page', { from: state.offset + 1, to: state.offset + rows.length, total }) : '';
  const prev = document.getElementById('prev'), next = document.getElementById('next');
  prev.disabled = state.offset === 0;
  next.disabled = state.offset + rows.length >= total;
  prev.hidden = next.hidden = total <= PAGE;
}

function wireMembers() {
  const q = document.getElementById('q');
  const clear = document.getElementById('q-clear');
  document.getElementById('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    let v = q.value.trim();
    // An identity number typed with spaces or a lowercase x still matches.
    if (/^[\d\sxX\uFF10-\uFF19]+$/.test(v) && /\d{6}/.test(v.replace(/\s/g, ''))) v = normaliseId(v);
    q.value = v;
    state.q = v;
    state.offset = 0;
    clear.hidden = !v;
    loadMembers();
  });
  clear.addEventListener('click', () => {
    q.value = '';
    state.q = '';
    state.offset = 0;
    clear.hidden = true;
    q.focus();
    loadMembers();
  });
  document.getElementById('subtree').addEventListener('change', (ev) => {
    state.subtree = ev.target.checked;
    state.offset = 0;
    loadMembers();
  });
  document.getElementById('prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadMembers();
  });
  document.getElementById('next').addEventListener('click', () => {
    state.offset += PAGE;
    loadMembers();
  });
}

/** Asks for the tree again (after a change) and opens code, or the first
 *  root when code is gone. Keeps the branches that were open. */
async function reloadTree(code) {
  const r = await api('/api/v1/orgs');
  buildTree(r.orgs || []);
  for (const c of [...state.open]) if (!state.byCode.has(c)) state.open.delete(c);
  await choose(code && state.byCode.has(code) ? code : state.roots[0]?.code);
}

let orgAdmin = null;

async function main() {
  initPage(null);
  const s = await requireSession();
  initPage(s);
  if (s.kind !== 'admin') { location.replace('/record.html'); return; }
  wireMembers();
  orgAdmin = setupOrgAdmin(state, reloadTree);
  document.getElementById('member-add').addEventListener('click', async () => {
    const m = await addMemberDialog(state.orgs, state.code);
    if (!m) return;
    notice(document.getElementById('member-added'), [t('madd.done', { name: m.name }), ' ',
      el('a', { href: '/record.html?id=' + seg(m.id_number) }, t('madd.open_record'))], 'ok');
    loadMembers();
  });
  window.addEventListener('yj-lang', () => { drawTree(); drawHead(); drawSummary(); drawMembers(); });
  try {
    const r = await api('/api/v1/orgs');
    buildTree(r.orgs || []);
  } catch (e) {
    document.getElementById('page-loading').hidden = true;
    notice(document.getElementById('page-error'), errorText(e));
    return;
  }
  document.getElementById('page-loading').hidden = true;
  if (!state.roots.length) { notice(document.getElementById('page-error'), t('orgs.none'), 'info'); return; }
  document.getElementById('layout').hidden = false;
  for (const r of state.roots) state.open.add(r.code);
  await choose(param('org') || state.roots[0].code);
}

main();
