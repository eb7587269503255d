// SPDX-License-Identifier: Apache-2.0
// channels.js — the TV channels page (/channels). Lists the channels the
// administrator sees (GET /api/v1/channels), creates and edits one (POST,
// PATCH; the bitrate is typed in kbit/s and sent in bit/s), links each to
// its schedule and player, and manages the village stations and their
// keys (GET/POST /api/v1/stations, POST/DELETE …/key). A key is shown once,
// with the addresses a set-top box needs. Server refusals name a field and
// are shown under it, in the page's language.

import { api, requireSession, seg } from './api.js';
import { t } from './i18n.js';
import { iptvError } from './iptv_i18n.js';
import { busy, clearErrors, el, errorText, fieldError, fill, initPage, notice } from './ui.js';

const $ = (id) => document.getElementById(id);
let editing = null; // the channel being edited, or null for a new one

function errText(e) { return iptvError(e) || errorText(e); }

function showFieldError(form, prefix, e, fields) {
  const f = (e.field || '').replace(/\[\d+\]$/, '');
  if (fields.includes(f)) fieldError(prefix + f, errText(e));
  else notice(form.querySelector('.form-message'), errText(e));
}

function cell(key, content, cls = null) { return el('td', { 'data-label': t(key), class: cls }, content); }

async function loadChannels() {
  const r = await api('/api/v1/channels');
  const body = $('ch-body');
  fill(body, r.channels.map((c) => el('tr', {},
    cell('ch.col.number', String(c.number), 'lead'),
    cell('ch.col.name', [c.name, c.group ? el('span', { class: 'detail' }, c.group) : null,
      c.editable ? null : el('span', { class: 'detail' }, t('ch.readonly'))]),
    cell('ch.col.address', el('span', { class: 'raw' }, c.url)),
    cell('ch.col.bitrate', `${Math.round(c.bitrate / 1000)} kbit/s`, 'num'),
    cell('ch.col.actions', el('div', { class: 'actions' },
      el('a', { class: 'btn btn-small', href: `/schedule.html?channel=${c.id}` }, t('ch.schedule')),
      el('a', { class: 'btn btn-small', href: `/tv/${c.id}` }, t('ch.watch')),
      c.editable ? el('button', { type: 'button', class: 'btn btn-small', onclick: () => openForm(c) }, t('ch.edit')) : null)))));
  $('ch-empty').hidden = r.channels.length > 0;
}

function openForm(c) {
  editing = c;
  const form = $('ch-form');
  clearErrors(form);
  $('form-heading').textContent = t(c ? 'ch.edit' : 'ch.new');
  $('f-number').value = c ? c.number : '';
  $('f-name').value = c ? c.name : '';
  $('f-group').value = c ? c.group : '';
  $('f-logo_url').value = c ? c.logo_url : '';
  $('f-orgs').value = c ? c.orgs.map((o) => o.code).join(', ') : '';
  $('f-address').value = c ? c.address : '';
  $('f-port').value = c ? c.port : 5004;
  $('f-protocol').value = c ? c.protocol : 'udp';
  $('f-bitrate').value = c ? Math.round(c.bitrate / 1000) : 2000;
  $('f-ttl').value = c ? c.ttl : 16;
  $('f-interface').value = c ? c.interface : '';
  $('ch-delete').hidden = !c;
  $('ch-form-card').hidden = false;
  $('ch-saved').hidden = true;
  $('f-number').focus();
}

const CH_FIELDS = ['number', 'name', 'group', 'logo_url', 'orgs', 'address', 'port', 'protocol', 'bitrate', 'ttl', 'interface'];

async function saveChannel(ev) {
  ev.preventDefault();
  const form = $('ch-form');
  clearErrors(form);
  const num = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));
  const kbit = num('f-bitrate');
  const body = {
    number: num('f-number'),
    name: $('f-name').value.trim(),
    group: $('f-group').value.trim(),
    logo_url: $('f-logo_url').value.trim(),
    address: $('f-address').value.trim(),
    port: num('f-port'),
    protocol: $('f-protocol').value,
    bitrate: kbit === undefined ? undefined : Math.round(kbit * 1000),
    ttl: num('f-ttl'),
    interface: $('f-interface').value.trim(),
  };
  const orgs = $('f-orgs').value.split(/[,，\s]+/).filter(Boolean);
  if (orgs.length) body.orgs = orgs;
  if (!body.number) return fieldError('f-number', t('iptv.err.missing_field'));
  if (!body.name) return fieldError('f-name', t('iptv.err.missing_field'));
  if (!body.address) return fieldError('f-address', t('iptv.err.missing_field'));
  await busy($('ch-save'), 'ch.saving', async () => {
    try {
      if (editing) await api(`/api/v1/channels/${seg(editing.id)}`, { method: 'PATCH', body });
      else await api('/api/v1/channels', { method: 'POST', body });
      $('ch-form-card').hidden = true;
      notice($('ch-saved'), t('ch.saved'), 'ok');
      await loadChannels();
    } catch (e) {
      showFieldError(form, 'f-', e, CH_FIELDS);
    }
  });
}

async function deleteChannel() {
  if (!editing || !confirm(t('ch.delete.confirm'))) return;
  try {
    await api(`/api/v1/channels/${seg(editing.id)}`, { method: 'DELETE' });
    $('ch-form-card').hidden = true;
    await loadChannels();
  } catch (e) { notice($('ch-form').querySelector('.form-message'), errText(e)); }
}

function showKey(r) {
  const box = $('st-key');
  const abs = (p) => location.origin + p;
  fill(box, el('p', {}, t('st.key.once')),
    el('p', {}, el('strong', {}, t('st.key') + '：'), el('code', { id: 'st-key-value' }, r.key)),
    el('ul', { class: 'links' },
      el('li', {}, t('ch.m3u.hls') + '：', el('code', {}, abs(r.links.m3u))),
      el('li', {}, t('ch.m3u.mc') + '：', el('code', {}, abs(r.links.m3u_multicast))),
      el('li', {}, t('ch.epg') + '：', el('code', {}, abs(r.links.epg)))));
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

async function loadStations() {
  const r = await api('/api/v1/stations');
  fill($('st-body'), r.stations.map((s) => el('tr', {},
    cell('st.name', s.name, 'lead'),
    cell('st.org', `${s.org_name}（${s.org_code}）`),
    cell('st.col.status', s.revoked ? t('st.revoked') : `${t('st.active')} · ${s.key_hint}…`),
    cell('ch.col.actions', el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'btn btn-small', onclick: () => newKey(s) }, t('st.key.new')),
      s.revoked ? null : el('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => revoke(s) }, t('st.key.revoke')))))));
  $('st-empty').hidden = r.stations.length > 0;
}

async function newKey(s) {
  try { showKey(await api(`/api/v1/stations/${seg(s.id)}/key`, { method: 'POST' })); await loadStations(); } catch (e) { notice($('page-error'), errText(e)); }
}

async function revoke(s) {
  if (!confirm(t('st.key.revoke.confirm'))) return;
  try { await api(`/api/v1/stations/${seg(s.id)}/key`, { method: 'DELETE' }); $('st-key').hidden = true; await loadStations(); } catch (e) { notice($('page-error'), errText(e)); }
}

async function addStation(ev) {
  ev.preventDefault();
  const form = $('st-form');
  clearErrors(form);
  const body = { name: $('s-name').value.trim() };
  if ($('s-org').value.trim()) body.org_code = $('s-org').value.trim();
  if (!body.name) return fieldError('s-name', t('iptv.err.missing_field'));
  try {
    showKey(await api('/api/v1/stations', { method: 'POST', body }));
    form.reset();
    await loadStations();
  } catch (e) {
    if (e.field === 'name') fieldError('s-name', errText(e));
    else fieldError('s-org', errText(e));
  }
}

async function main() {
  initPage();
  const s = await requireSession();
  initPage(s);
  if (s.kind !== 'admin') { location.href = '/tv'; return; }
  $('ch-new').addEventListener('click', () => openForm(null));
  $('ch-cancel').addEventListener('click', () => { $('ch-form-card').hidden = true; });
  $('ch-delete').addEventListener('click', deleteChannel);
  $('ch-form').addEventListener('submit', saveChannel);
  $('st-form').addEventListener('submit', addStation);
  window.addEventListener('yj-lang', () => { loadChannels(); loadStations(); });
  try { await Promise.all([loadChannels(), loadStations()]); } catch (e) { notice($('page-error'), errText(e)); }
}

main();
