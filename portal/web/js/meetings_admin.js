// SPDX-License-Identifier: Apache-2.0
// meetings_admin.js — /meetings.html: the administrator's meetings (live,
// upcoming, ended) and the form that schedules a meeting or changes one
// before it starts (?edit=ID). Invited organisations come from the
// administrator's subtree (GET /api/v1/orgs); individual members are found
// with GET /api/v1/meetings/invitees (in the subtree by part of a name,
// migrant members elsewhere by full name or number). The start is typed in
// the configured time zone and sent with its UTC offset.

import { api, requireSession } from './api.js';
import { fromLocalInput, t, timeZone, toLocalInput } from './i18n.js';
import { normaliseId } from './idnumber.js';
import { clearErrors, el, fieldError, fill, initPage, notice, param } from './ui.js';
import { hostName, meetingError, statusBadge, typeName, when } from './meetings_common.js';

const $ = (id) => document.getElementById(id);
let me = null;
let orgs = [];
let editing = null;          // the meeting being changed, or null
let chosen = new Map();      // id_number → {name, org_name, migrant}

async function main() {
  me = await requireSession();
  initPage(me);
  if (me.kind !== 'admin') { location.href = '/my-meetings.html'; return; }
  try {
    orgs = (await api('/api/v1/orgs')).orgs || [];
  } catch (e) { notice($('page-error'), meetingError(e)); return; }
  $('new-meeting').addEventListener('click', () => openForm(null));
  $('m-cancel-form').addEventListener('click', closeForm);
  $('mform').addEventListener('submit', (ev) => { ev.preventDefault(); save(); });
  $('m-find-go').addEventListener('click', find);
  $('m-find').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); find(); } });
  window.addEventListener('yj-lang', () => { drawLists(); drawChosen(); });
  const edit = param('edit');
  if (edit) {
    try { openForm(await api('/api/v1/meetings/' + encodeURIComponent(edit))); } catch (e) { notice($('page-error'), meetingError(e)); }
  }
  if (param('done')) notice($('page-ok'), t(param('done') === 'cancelled' ? 'mtg.cancelled' : 'mtg.saved'), 'ok');
  await loadLists();
  setInterval(loadLists, 15000);
}

let lists = { live: [], scheduled: [], ended: [] };
async function loadLists() {
  try {
    const [live, scheduled, ended] = await Promise.all(['live', 'scheduled', 'ended'].map(
      (s) => api(`/api/v1/meetings?status=${s}&limit=${s === 'ended' ? 20 : 100}`)));
    lists = { live: live.meetings, scheduled: scheduled.meetings.reverse(), ended: ended.meetings };
    drawLists();
  } catch (e) { notice($('page-error'), meetingError(e)); }
}

function drawLists() {
  for (const s of ['live', 'scheduled', 'ended']) {
    const ul = $('list-' + s);
    if (!lists[s].length) { fill(ul, el('li', { class: 'empty' }, t('mtg.none'))); continue; }
    fill(ul, lists[s].map((m) => el('li', { class: 'meeting-item' },
      el('div', { class: 'meeting-title' }, el('a', { href: `/meeting.html?id=${m.id}` }, m.title), ' ', statusBadge(m)),
      el('div', { class: 'meeting-meta' }, `${when(m)} · ${typeName(m)} · ${m.org_name}`),
      el('div', { class: 'meeting-meta' }, t('mtg.host', { name: hostName(m) }),
        m.status === 'live' ? ' · ' + t('mtg.participants', { n: m.participants ?? 0 }) : ''),
      el('div', { class: 'actions' },
        el('a', { class: 'btn btn-small', href: `/meeting.html?id=${m.id}` }, t('mtg.open')),
        m.status !== 'scheduled' ? el('a', { class: 'btn btn-small', href: `/meeting-report.html?id=${m.id}` }, t('mtg.report')) : null,
        m.status === 'scheduled' ? el('a', { class: 'btn btn-small', href: `/meetings.html?edit=${m.id}` }, t('mtg.edit')) : null))));
  }
}

function depth(o) { return o.depth || 0; }

function orgOptions(select, value) {
  const base = orgs.length ? depth(orgs[0]) : 0;
  fill(select, orgs.map((o) => el('option', { value: o.code, selected: o.code === value },
    '\u3000'.repeat(Math.max(0, depth(o) - base)) + o.name)));
}

function openForm(m) {
  editing = m;
  clearErrors($('mform'));
  $('form-heading').textContent = t(m ? 'mtg.form.edit' : 'mtg.form.new');
  $('m-title').value = m ? m.title : '';
  $('m-type').value = m ? m.type : 'member_assembly';
  orgOptions($('m-org'), m ? m.org_code : orgs[0]?.code);
  const soon = new Date(Date.now() + 3600e3);
  soon.setUTCMinutes(0, 0, 0);
  $('m-start').value = toLocalInput(m ? m.start : soon.toISOString());
  $('m-start-hint').textContent = t('mtg.f.start.hint', { zone: timeZone() });
  $('m-duration').value = m ? m.duration_minutes : 90;
  $('m-threshold').value = m ? m.threshold_percent : 50;
  const invited = new Set(m ? m.invited_orgs.map((o) => o.code) : []);
  const base = orgs.length ? depth(orgs[0]) : 0;
  fill($('m-orgs'), orgs.map((o) => el('label', { class: 'check', style: `margin-left:${(depth(o) - base) * 1.2}em` },
    el('input', { type: 'checkbox', value: o.code, checked: invited.has(o.code) }), ' ', o.name)));
  chosen = new Map();
  const hostMember = m?.host?.kind === 'member' ? m.host.id_number : null;
  for (const x of m ? m.invited_members : []) chosen.set(x.id_number, { name: x.name, org_name: x.org_code, migrant: x.migrant });
  fill($('m-found'));
  drawChosen(hostMember);
  $('form-card').hidden = false;
  $('m-title').focus();
}

function closeForm() {
  $('form-card').hidden = true;
  editing = null;
  if (param('edit')) history.replaceState(null, '', '/meetings.html');
}

function drawChosen(host = $('m-host').value) {
  fill($('m-chosen'), [...chosen].map(([id, x]) => el('li', {},
    el('span', {}, `${x.name}（${x.org_name}${x.migrant ? '，' + t('mtg.migrant') : ''}）`),
    el('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('mtg.f.remove_who', { name: x.name }),
      onclick: () => { chosen.delete(id); drawChosen(); } }, t('mtg.f.remove')))));
  fill($('m-host'),
    el('option', { value: '' }, t('mtg.f.host.me', { name: me.name || me.username })),
    [...chosen].map(([id, x]) => el('option', { value: id, selected: id === host }, x.name)));
}

async function find() {
  clearErrors($('m-find').closest('.field'));
  let q = $('m-find').value.trim();
  if (!q) { fieldError('m-find', t('mtg.f.find_empty')); return; }
  if (/^[0-9０-９xX\s-]{15,}$/.test(q)) q = normaliseId(q);
  try {
    const r = await api('/api/v1/meetings/invitees?q=' + encodeURIComponent(q));
    if (!r.members.length) { fieldError('m-find', t('mtg.f.find_none')); fill($('m-found')); return; }
    fill($('m-found'), r.members.map((x) => el('li', {},
      el('span', {}, `${x.name}（${x.org_name}${x.migrant ? '，' + t('mtg.migrant') : ''}）`),
      el('button', { type: 'button', class: 'btn btn-small', disabled: chosen.has(x.id_number),
        onclick: (ev) => { chosen.set(x.id_number, x); ev.target.disabled = true; drawChosen(); } }, t('mtg.f.invite')))));
  } catch (e) { fieldError('m-find', meetingError(e)); }
}

async function save() {
  const form = $('mform');
  clearErrors(form);
  const title = $('m-title').value.trim();
  if (!title) return fieldError('m-title', t('mtg.err.title'));
  const start = fromLocalInput($('m-start').value);
  if (!start) return fieldError('m-start', t('mtg.err.start'));
  if (start.getTime() < Date.now() - 60000) return fieldError('m-start', t('reason.start_in_past'));
  const dur = Number($('m-duration').value);
  if (!Number.isInteger(dur) || dur < 1 || dur > 1440) return fieldError('m-duration', t('mtg.err.duration'));
  const pct = Number($('m-threshold').value);
  if (!Number.isInteger(pct) || pct < 1 || pct > 100) return fieldError('m-threshold', t('mtg.err.threshold'));
  const invitedOrgs = [...$('m-orgs').querySelectorAll('input:checked')].map((i) => i.value);
  if (!invitedOrgs.length && !chosen.size) return fieldError('m-orgs', t('mtg.err.nobody'), false);
  const host = $('m-host').value;
  const body = {
    title, type: $('m-type').value, org_code: $('m-org').value, start: start.toISOString(),
    duration_minutes: dur, threshold_percent: pct, orgs: invitedOrgs.length ? invitedOrgs : [$('m-org').value],
    members: [...chosen.keys()],
    ...(host ? { host_member: host } : { host_admin: me.username }),
  };
  if (!invitedOrgs.length) body.orgs = [];
  try {
    const m = editing
      ? await api('/api/v1/meetings/' + editing.id, { method: 'PATCH', body })
      : await api('/api/v1/meetings', { method: 'POST', body });
    location.href = `/meeting.html?id=${m.id}&done=${editing ? 'saved' : 'created'}`;
  } catch (e) {
    const map = { title: 'm-title', start: 'm-start', duration_minutes: 'm-duration', threshold_percent: 'm-threshold', orgs: 'm-orgs',
      org_code: 'm-org', members: 'm-find', host_member: 'm-host', host_admin: 'm-host' };
    if (e.field && map[e.field]) fieldError(map[e.field], meetingError(e));
    else { const b = form.querySelector('.form-message'); b.textContent = meetingError(e); b.hidden = false; }
  }
}

main();
