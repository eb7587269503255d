// SPDX-License-Identifier: Apache-2.0
// tv.js — watching a channel (/tv/{id}). Plays /iptv/{id}/live.m3u8 with
// hls.js (the bundle the lesson page uses) or the browser's own HLS, shows
// what is on now and next (GET /api/v1/channels/{id}/now, every 30 s), and
// lets a signed-in member confirm the roll-call code shown on screen
// (POST /api/v1/rollcall), with the refusals in plain Chinese. /tv alone
// lists the channels the viewer may watch.

import { api, requireSession } from './api.js';
import { t } from './i18n.js';
import { iptvError } from './iptv_i18n.js';
import { busy, clearErrors, el, errorText, fieldError, fill, initPage, notice } from './ui.js';

const $ = (id) => document.getElementById(id);
const id = Number(location.pathname.split('/')[2]) || 0;
const hhmm = (s) => (s ? s.slice(11, 16) : '');

function errText(e) { return iptvError(e) || errorText(e); }

function play(url) {
  const v = $('video');
  const Hls = window.Hls;
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ liveSyncDurationCount: 3 });
    hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) $('noplay').hidden = false; });
    hls.loadSource(url);
    hls.attachMedia(v);
    hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(() => {}));
  } else if (v.canPlayType('application/vnd.apple.mpegurl')) {
    v.src = url;
    v.addEventListener('error', () => { $('noplay').hidden = false; });
  } else {
    $('noplay').hidden = false;
  }
}

async function refreshNow() {
  try {
    const r = await api(`/api/v1/channels/${id}/now`);
    $('now').textContent = r.now.kind === 'slate' ? (r.now.description || t('tv.slate'))
      : `${hhmm(r.now.start)}–${hhmm(r.now.end)} ${r.now.title}`;
    $('next').textContent = r.next.title ? `${hhmm(r.next.start)} ${r.next.title}` : '—';
  } catch (e) { notice($('page-error'), errText(e)); }
}

async function confirmCode(ev) {
  ev.preventDefault();
  const form = $('rc-form');
  clearErrors(form);
  $('rc-ok').hidden = true;
  const code = $('rc-code').value.trim();
  if (!/^\d{6}$/.test(code)) return fieldError('rc-code', t('iptv.err.code_malformed'));
  await busy($('rc-submit'), 'ch.saving', async () => {
    try {
      const r = await api('/api/v1/rollcall', { method: 'POST', body: { channel_id: id, code } });
      notice($('rc-ok'), t(r.phase === 1 ? 'tv.ok.start' : 'tv.ok.credited'), 'ok');
      $('rc-code').value = '';
    } catch (e) { fieldError('rc-code', errText(e)); }
  });
}

async function main() {
  initPage();
  const s = await requireSession();
  initPage(s);
  if (!id) {
    const r = await api('/api/v1/channels');
    fill($('channels'), r.channels.map((c) => el('li', {}, el('a', { class: 'btn btn-block', href: `/tv/${c.id}` }, `${c.number} ${c.name}`))));
    $('pick').hidden = false;
    return;
  }
  try {
    const c = await api(`/api/v1/channels/${id}`);
    $('heading').textContent = `${c.number} ${c.name}`;
    $('watch').hidden = false;
    $('rollcall').hidden = s.kind !== 'member';
    $('rc-form').addEventListener('submit', confirmCode);
    play(c.hls_url);
    await refreshNow();
    setInterval(refreshNow, 30000);
  } catch (e) { notice($('page-error'), errText(e)); }
}

main();
