// SPDX-License-Identifier: Apache-2.0
// my_meetings.js — /my-meetings.html for a member: the meetings they are
// invited to (GET /api/v1/meetings), live and upcoming ones first with a
// join button, then the ended ones with the minutes credited, read from
// the member's own ledger (source meeting:<id>) so the page says exactly
// what the record says.

import { api, requireSession } from './api.js';
import { hours, t } from './i18n.js';
import { el, fill, initPage, notice } from './ui.js';
import { hostName, meetingError, statusBadge, typeName, when } from './meetings_common.js';

const $ = (id) => document.getElementById(id);
let data = null;

async function main() {
  const s = await requireSession();
  initPage(s);
  if (s.kind === 'admin') { location.href = '/meetings.html'; return; }
  window.addEventListener('yj-lang', draw);
  await load(s);
  setInterval(() => load(s), 20000);
}

async function load(s) {
  try {
    const [live, up, ended, rec] = await Promise.all([
      api('/api/v1/meetings?status=live'), api('/api/v1/meetings?status=scheduled'),
      api('/api/v1/meetings?status=ended&limit=50'),
      api(`/api/v1/members/${encodeURIComponent(s.id_number)}/record`)]);
    const credit = new Map();
    for (const l of rec.ledger || []) {
      if (l.kind === 'meeting' || (l.source_id || '').startsWith('meeting:')) {
        const k = l.source_id.replace(/^meeting:/, '');
        credit.set(k, (credit.get(k) || 0) + l.minutes);
      }
    }
    data = { now: [...live.meetings, ...up.meetings.reverse()], past: ended.meetings, credit };
    draw();
  } catch (e) { notice($('page-error'), meetingError(e)); }
  $('page-loading').hidden = true;
}

function item(m, past) {
  const c = data.credit.get(String(m.id));
  return el('li', { class: 'meeting-item', dataset: { meeting: m.id } },
    el('div', { class: 'meeting-title' }, m.title, ' ', statusBadge(m)),
    el('div', { class: 'meeting-meta' }, `${when(m)} · ${typeName(m)}`),
    el('div', { class: 'meeting-meta' }, t('mtg.host', { name: hostName(m) })),
    past
      ? el('p', { class: 'credit' }, c ? t('my.credited', { n: c, h: hours(c) }) : t('my.not_credited'))
      : el('div', { class: 'actions' }, el('a', { class: 'btn btn-primary btn-join', href: m.join_url },
        t(m.status === 'live' ? 'my.join_now' : 'my.join'))));
}

function draw() {
  if (!data) return;
  fill($('my-now'), data.now.length ? data.now.map((m) => item(m, false)) : el('li', { class: 'empty' }, t('my.none_now')));
  fill($('my-past'), data.past.length ? data.past.map((m) => item(m, true)) : el('li', { class: 'empty' }, t('my.none_past')));
}

main();
