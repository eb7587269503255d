// SPDX-License-Identifier: Apache-2.0
// recordings_list.js — a meeting's recordings for its administrators, on
// the meeting page and the meeting report: status (录制中, 合成中 with its
// percent, 已完成, 失败), duration, size on disk, the lesson it became
// (/learn/<id>), a retry button when the composition failed, and the raw
// track files to download (GET /api/v1/meetings/{id}/recordings returns
// them only to administrators of the meeting's organisation, so this code
// shows what it is given and never guesses a download link). Strings in
// recordings_i18n.js. Drawn with el(), never parsed as HTML.

import { api } from './api.js';
import { lang, t } from './i18n.js';
import './recordings_i18n.js';
import { busy, el, fill, notice } from './ui.js';
import { meetingError } from './meetings_common.js';

/** "1 小时 2 分 3 秒" / "2 分 3 秒" of a duration in milliseconds. */
export function duration(ms) {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? t('recs.hms', { h, m, s: s % 60 }) : t('recs.ms', { m, s: s % 60 });
}

/** "12.3 MB" of a byte count (units are the same in both languages). */
export function size(bytes) {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = Number(bytes) || 0, i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toLocaleString(lang() === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: i ? 1 : 0 })} ${u[i]}`;
}

function statusText(r) {
  if (r.status === 'composing') return t('recs.status.composing', { pct: r.progress ?? 0 });
  if (r.status === 'stopped') return t('recs.status.waiting');
  return t('recs.status.' + (['recording', 'composed', 'failed'].includes(r.status) ? r.status : 'waiting'));
}

const badgeClass = { recording: 'badge badge-live', composed: 'badge badge-live', failed: 'badge' };

/**
 * Shows the recordings of meeting `id` in `box` (a <section>) and asks
 * again every 5 s while one is recording or composing. The box stays
 * hidden when the caller may not see the list or there is nothing to show.
 */
export function showRecordings(box, id) {
  let data = null;
  let timer = null;
  const errBox = el('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  const okBox = el('div', { class: 'notice notice-ok', role: 'status', hidden: true });

  async function load() {
    clearTimeout(timer);
    try {
      data = await api(`/api/v1/meetings/${encodeURIComponent(id)}/recordings`);
      errBox.hidden = true;
    } catch (e) {
      if (!data) return; // nothing to show: keep the card hidden
      notice(errBox, meetingError(e));
    }
    draw();
    if (data.recording || data.recordings.some((r) => ['recording', 'stopped', 'composing'].includes(r.status))) {
      timer = setTimeout(load, 5000);
    }
  }

  async function retry(ev, r) {
    await busy(ev.target, 'common.working', async () => {
      try {
        await api(`/api/v1/meetings/${encodeURIComponent(id)}/recordings/${r.id}/retry`, { method: 'POST' });
        notice(okBox, t('recs.retried'), 'ok');
        await load();
      } catch (e) { notice(errBox, meetingError(e)); }
    });
  }

  function item(r, i) {
    const facts = el('dl', { class: 'profile' },
      el('dt', {}, t('recs.duration')), el('dd', { class: 'rec-duration' }, duration(r.duration_ms)),
      el('dt', {}, t('recs.size')), el('dd', { class: 'rec-size' }, size(r.bytes)));
    const actions = [];
    if (r.status === 'composed' && r.lesson_url) {
      actions.push(el('a', { class: 'btn btn-primary rec-lesson', href: r.lesson_url }, t('recs.lesson')));
    }
    if (r.status === 'failed' && r.tracks) {
      actions.push(el('button', { type: 'button', class: 'btn rec-retry', onclick: (ev) => retry(ev, r) }, t('recs.retry')));
    }
    let tracks = null;
    if (r.purged) tracks = el('p', { class: 'hint' }, t('recs.purged'));
    else if (r.tracks?.length) {
      tracks = el('details', { class: 'rec-tracks' },
        el('summary', {}, t('recs.tracks', { n: r.tracks.length })),
        el('ul', { class: 'plain-list' }, r.tracks.map((x) => el('li', {},
          el('a', { href: x.download_url, download: x.file }, t('recs.track', {
            who: x.display_name || t('recs.track.anon'),
            kind: t(x.kind === 'audio' ? 'recs.kind.audio' : 'recs.kind.video'),
            codec: x.codec || '', size: size(x.bytes),
          }))))));
    }
    return el('li', { class: 'rec-item', dataset: { id: r.id, status: r.status } },
      el('h3', {}, t('recs.item', { n: i + 1 }), ' ',
        el('span', { class: `${badgeClass[r.status] || 'badge badge-soft'} rec-status` }, statusText(r))),
      r.status === 'composing'
        ? el('progress', { class: 'progress', max: 100, value: r.progress ?? 0, 'aria-label': statusText(r) }) : null,
      facts,
      r.status === 'failed' && r.error ? el('p', { class: 'hint' }, t('recs.error', { why: r.error })) : null,
      actions.length ? el('div', { class: 'actions' }, actions) : null,
      tracks);
  }

  function draw() {
    if (!data) return;
    box.hidden = false;
    fill(box,
      el('h2', {}, t('recs.heading')),
      errBox, okBox,
      data.recording ? el('p', { class: 'hint' }, t('recs.recording_now')) : null,
      data.recordings.length
        ? el('ul', { class: 'plain-list rec-list' }, data.recordings.map(item))
        : el('p', { class: 'hint' }, t('recs.none')));
  }

  window.addEventListener('yj-lang', draw);
  load();
  return { reload: load };
}
