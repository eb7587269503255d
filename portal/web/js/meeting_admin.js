// SPDX-License-Identifier: Apache-2.0
// meeting_admin.js — /meeting.html?id=ID for the administrators and the
// host: the meeting's facts in the configured time zone, the full join URL
// with a copy button and a QR code (qrcode-generator from npm, drawn as an
// image, never parsed as HTML), the live participant count (asked again
// every 5 s) and the actions its state allows: change or cancel before it
// starts, end it while it runs, its attendance report; for administrators
// its recordings (recordings_list.js).

import { api, requireSession } from './api.js';
import { t } from './i18n.js';
import { confirmDialog } from './dialog.js';
import { busy, el, fill, initPage, notice, param } from './ui.js';
import { showRecordings } from './recordings_list.js';
import { hostName, meetingError, statusBadge, typeName, when } from './meetings_common.js';

// The QR code library (npm qrcode-generator, served at /vendor/): loaded
// on its own, so the page still works (link and copy) if it is missing.
const qrLib = import('/vendor/qrcode.mjs').then((m) => m.default).catch(() => null);

const $ = (id) => document.getElementById(id);
const id = param('id');
let m = null;
let who = null;
let recs = null;

async function main() {
  const s = await requireSession();
  who = s;
  initPage(s);
  if (!id) { notice($('page-error'), t('err.not_found')); $('page-loading').hidden = true; return; }
  if (s.kind !== 'admin') document.querySelector('a[href="/meetings.html"]').href = '/my-meetings.html';
  $('m-copy').addEventListener('click', copy);
  window.addEventListener('yj-lang', draw);
  const done = param('done');
  if (done) notice($('page-ok'), t(done === 'created' ? 'mtg.created' : 'mtg.saved'), 'ok');
  await load();
  setInterval(load, 5000);
  if (s.kind === 'admin') recs = showRecordings($('m-recordings'), id);
}

async function load() {
  try {
    const was = m?.status;
    m = await api('/api/v1/meetings/' + encodeURIComponent(id));
    if (recs && was && was !== m.status) recs.reload();
    $('page-error').hidden = true;
    draw();
  } catch (e) {
    notice($('page-error'), meetingError(e));
  }
  $('page-loading').hidden = true;
}

let qrFor = null;
function draw() {
  if (!m) return;
  $('meeting').hidden = false;
  fill($('m-title'), m.title, ' ', statusBadge(m));
  const fact = (k, v) => [el('dt', {}, t(k)), el('dd', {}, v)];
  fill($('m-facts'),
    fact('mtg.f.start', when(m)),
    fact('mtg.f.type', typeName(m)),
    fact('mtg.f.org', m.org_name),
    fact('mtg.f.host', hostName(m)),
    fact('mtg.f.threshold', t('mtg.threshold', { pct: m.threshold_percent,
      len: m.threshold_seconds < 60 ? t('rep.seconds', { n: m.threshold_seconds }) : t('rep.minutes', { n: Math.round(m.threshold_seconds / 60) }) })));
  $('m-count').textContent = m.status === 'live' ? t('mtg.participants_now', { n: m.participants ?? 0 })
    : m.status === 'ended' ? t('mtg.status.ended') : t('mtg.not_started');
  const url = location.origin + m.join_url;
  $('m-url').value = url;
  if (qrFor !== url) {
    qrFor = url;
    qrLib.then((qrcode) => {
      if (!qrcode) { $('m-qr').closest('figure').hidden = true; return; }
      const qr = qrcode(0, 'M');
      qr.addData(url);
      qr.make();
      $('m-qr').src = qr.createDataURL(6, 4);
      $('m-qr').alt = t('mtg.qr.alt', { url });
    });
  }
  const a = [];
  if (m.status !== 'ended') a.push(el('a', { class: 'btn btn-primary', href: m.join_url }, t('mtg.join')));
  // Change and cancel are for administrators; end and the report for the host side.
  const admin = who?.kind === 'admin' && m.you_host;
  if (m.status === 'scheduled' && admin) {
    a.push(el('a', { class: 'btn', href: `/meetings.html?edit=${m.id}` }, t('mtg.edit')));
    a.push(el('button', { type: 'button', class: 'btn btn-danger-outline', onclick: cancel }, t('mtg.cancel')));
  }
  if (m.status === 'live' && m.you_host) a.push(el('button', { type: 'button', class: 'btn btn-danger-outline', onclick: end }, t('mtg.end')));
  if (m.status !== 'scheduled' && m.you_host) a.push(el('a', { class: 'btn', href: `/meeting-report.html?id=${m.id}` }, t('mtg.report')));
  fill($('m-actions'), a);
  fill($('m-invited'),
    m.invited_orgs.map((o) => el('li', {}, t('mtg.invited.org', { name: o.name }))),
    m.invited_members.map((x) => el('li', {}, x.name + (x.migrant ? `（${t('mtg.migrant')}）` : ''))));
}

async function copy() {
  const url = $('m-url').value;
  let ok = false;
  try { await navigator.clipboard.writeText(url); ok = true; } catch {
    $('m-url').select();
    try { ok = document.execCommand('copy'); } catch { ok = false; }
  }
  notice($('m-copied'), t(ok ? 'mtg.copied' : 'mtg.copy_failed'), ok ? 'ok' : 'info');
}

async function cancel(ev) {
  if (!await confirmDialog({ title: t('mtg.cancel.title'), body: t('mtg.cancel.body', { title: m.title }), yesKey: 'mtg.cancel.yes', noKey: 'mtg.cancel.no', danger: true })) return;
  await busy(ev.target, 'common.working', async () => {
    try {
      await api('/api/v1/meetings/' + m.id, { method: 'DELETE' });
      location.href = '/meetings.html?done=cancelled';
    } catch (e) { notice($('page-error'), meetingError(e)); }
  });
}

async function end(ev) {
  if (!await confirmDialog({ title: t('mtg.end.title'), body: t('mtg.end.body', { n: m.participants ?? 0 }), yesKey: 'mtg.end.yes', danger: true })) return;
  await busy(ev.target, 'common.working', async () => {
    try {
      await api(`/api/v1/meetings/${m.id}/end`, { method: 'POST' });
      location.href = `/meeting-report.html?id=${m.id}`;
    } catch (e) { notice($('page-error'), meetingError(e)); }
  });
}

main();
