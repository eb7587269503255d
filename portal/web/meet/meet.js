// SPDX-License-Identifier: Apache-2.0
// meet.js — the meeting page: sign-in, lobby, the participants' grid with
// the active speaker highlighted, the control bar (microphone, camera,
// screen share, raise hand, people, leave), host controls, and recovering
// by itself after a network drop: an ICE restart on the same connection
// when only the media path broke (call.js), a rejoin when the WebSocket
// dropped or the restart did not help. Uses signal.js (WebSocket) and
// call.js (RTCPeerConnection). Text is Chinese by default, English through
// the portal's i18n.js (strings in js/meet_i18n.js) and the same language
// switch as the other pages; a module, so it runs after signal.js and call.js.
import { applyI18n, lang, setLang, t as tr } from '/js/i18n.js';
import '/js/meet_i18n.js';

(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);

  const state = {
    meetingId: 0,
    meeting: null,
    session: null,
    stream: null,      // camera + microphone
    screen: null,      // screen-share stream while sharing
    micOn: true,
    camOn: true,
    hand: false,
    pid: null,
    prevPid: null,     // our pid before a reconnect, to replace the old session
    host: false,
    recording: false,  // the server records this meeting now
    audioOnly: false,
    participants: new Map(), // pid → participant info
    trackOwner: new Map(),   // remote track id → pid
    active: null,
    signal: null,
    call: null,
    leaving: false,
    queue: Promise.resolve(),
    iceRestarts: 0,    // ICE restarts started by the page (all calls)
    viewed: new Map(), // pid → the video height last asked for
  };

  // Tells the server how tall each remote tile is, so it forwards the
  // simulcast layer that fits (phones get small layers).
  const resizes = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => {
    for (const e of entries) {
      const pid = e.target.dataset.pid;
      if (!pid || pid === state.pid) continue;
      const px = e.contentRect.height * (window.devicePixelRatio || 1);
      const h = px <= 180 ? 180 : px <= 360 ? 360 : px <= 720 ? 720 : 0;
      if (state.viewed.get(pid) !== h && state.signal && state.signal.send({ type: 'view', pid, height: h })) {
        state.viewed.set(pid, h);
      }
    }
  }) : null;

  // For tests and troubleshooting (read-only use).
  window.yjMeet = {
    get pc() { return state.call && state.call.pc; },
    get pid() { return state.pid; },
    get participants() { return [...state.participants.values()]; },
    get trackOwner() { return state.trackOwner; },
    get connected() { return !!state.signal && state.signal.open && !!state.pid; },
    get iceRestarts() { return state.iceRestarts; },
  };

  function setStatus(text, kind) {
    const s = $('status');
    s.textContent = text || '';
    s.className = 'meet-status' + (kind ? ' ' + kind : '');
  }

  function show(section) {
    for (const id of ['lobby', 'room', 'done']) $(id).hidden = id !== section;
    $('bar').hidden = section !== 'room';
  }

  async function api(path, opts = {}) {
    const init = { method: opts.method || 'GET', credentials: 'same-origin', headers: {} };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers['Content-Type'] = 'application/json';
    }
    const r = await fetch(path, init);
    let json = null;
    try { json = await r.json(); } catch (e) { /* empty body */ }
    return { status: r.status, json };
  }

  // Times in the deployment's zone (session time_zone, default Asia/Shanghai).
  function fmtTime(iso) {
    if (!iso) return '';
    const zone = (state.session && state.session.time_zone) || 'Asia/Shanghai';
    const o = {};
    for (const x of new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric',
      month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(iso))) o[x.type] = x.value;
    return tr('meet.time', { y: o.year, mo: o.month, d: o.day, h: o.hour, mi: o.minute });
  }

  // Where to go afterwards: the signed-in person's own pages.
  function doneLinks() {
    const box = $('done-links');
    box.textContent = '';
    const s = state.session;
    const links = !s ? [['/', 'meet.home']]
      : s.kind === 'admin' ? [['/meetings.html', 'meet.link.meetings'], ['/orgs.html', 'meet.link.orgs']]
        : [['/my-meetings.html', 'meet.link.my_meetings'], ['/record.html', 'meet.link.record']];
    for (const [href, label] of links) {
      const a = document.createElement('a');
      a.href = href;
      a.className = 'meet-link-btn';
      a.textContent = tr(label);
      box.append(a);
    }
  }

  // A member whose meeting ended: what their record now holds for it.
  async function showCredit() {
    const s = state.session;
    const box = $('done-credit');
    if (!s || s.kind !== 'member' || !state.meetingId) return;
    for (let i = 0; i < 5; i++) {
      const r = await api(`/api/v1/members/${encodeURIComponent(s.id_number)}/record`).catch(() => null);
      const line = r && r.status === 200 ? (r.json.ledger || []).find((l) => l.source_id === `meeting:${state.meetingId}`) : null;
      if (line) {
        box.textContent = tr('meet.credit.yes', { n: line.minutes });
        box.hidden = false;
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    const need = state.meeting && state.meeting.threshold_seconds ? Math.ceil(state.meeting.threshold_seconds / 60) : null;
    box.textContent = need ? tr('meet.credit.need', { n: need }) : tr('meet.credit.no');
    box.hidden = false;
  }

  // title and text are keys of meet_i18n.js (text may carry vars).
  function finish(title, text, ended = title === 'meet.done.ended', vars = {}) {
    state.done = [title, text, vars];
    state.leaving = true;
    if (state.signal) state.signal.stop();
    if (state.call) state.call.close();
    state.call = null;
    for (const s of [state.stream, state.screen]) if (s) s.getTracks().forEach((t) => t.stop());
    $('done-title').textContent = tr(title);
    $('done-text').textContent = text ? tr(text, vars) : '';
    $('done-credit').hidden = true;
    doneLinks();
    setStatus('');
    show('done');
    if (ended) showCredit();
  }

  // ------------------------------------------------------------------
  // sign-in: the portal's one sign-in page (same identity-number tidying,
  // check-digit hint and messages everywhere), which comes back here.

  function signInPage() {
    location.replace('/?next=' + encodeURIComponent(location.pathname));
  }

  // ------------------------------------------------------------------
  // lobby

  async function loadMeeting() {
    const r = await api(`/api/v1/meetings/${state.meetingId}`);
    if (r.status === 401) { signInPage(); return; }
    if (r.status !== 200) { finish('meet.done.not_found', 'meet.done.not_found_text'); return; }
    const m = r.json;
    state.meeting = m;
    document.title = tr('meet.title_of', { title: m.title });
    $('title').textContent = m.title;
    $('subtitle').textContent = `${m.type_name || ''} · ${m.org_name}`;
    if (m.status === 'ended') { finish('meet.done.ended', 'meet.done.ended_at', true, { title: m.title, at: fmtTime(m.ended_at) }); return; }
    lobbyInfo();
    show('lobby');
    $('join').disabled = true;
    $('join').textContent = tr('meet.joining_media');
    await openMedia();
    $('join').disabled = false;
    $('join').textContent = tr('meet.join');
  }

  async function openMedia() {
    if (state.stream || !navigator.mediaDevices) return;
    const tries = [{ audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } } }, { audio: true }, { video: true }];
    for (const c of tries) {
      try {
        state.stream = await navigator.mediaDevices.getUserMedia(c);
        break;
      } catch (e) { /* try the next */ }
    }
    if (!state.stream) {
      $('lobby-error').textContent = tr('meet.no_media');
      return;
    }
    $('preview').srcObject = state.stream;
    state.camOn = state.stream.getVideoTracks().length > 0;
    state.micOn = state.stream.getAudioTracks().length > 0;
  }

  // ------------------------------------------------------------------
  // in the meeting

  function enterRoom() {
    state.audioOnly = $('audio-only').checked;
    show('room');
    setStatus(tr('meet.st.connecting'));
    renderButtons();
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    state.signal = new window.YjSignal(`${proto}//${location.host}/ws`, {
      onOpen: () => {
        setStatus(tr('meet.st.joining'));
        const msg = { type: 'join', meeting: state.meetingId, audio_only: state.audioOnly,
          device: /Mobi|Android|iPhone|iPad/.test(navigator.userAgent) ? 'phone' : 'pc' };
        if (state.prevPid) msg.replaces = state.prevPid;
        state.signal.send(msg);
      },
      // One message at a time, in order: an offer must not be looked at
      // while the previous answer is still being applied.
      onMessage: (m) => {
        state.queue = state.queue.then(() => onMessage(m)).catch((e) => console.warn('signaling', e));
      },
      onDown: (delay) => {
        state.pid = null;
        if (state.call) { state.call.close(); state.call = null; }
        setStatus(tr('meet.st.down', { s: Math.ceil(delay / 1000) }), 'warn');
      },
      onFinal: (code) => {
        if (code === 4000) finish('meet.done.ended', 'meet.done.thanks');
        else if (code === 4001) finish('meet.done.removed', 'meet.done.removed_text');
        else if (code === 4002) finish('meet.done.elsewhere', 'meet.done.elsewhere_text');
        else finish('meet.done.dropped', 'meet.done.dropped_text');
      },
    });
    state.signal.start();
  }

  function send(msg) {
    return state.signal && state.signal.send(msg);
  }

  async function onMessage(m) {
    switch (m.type) {
    case 'joined':
      state.viewed.clear();
      state.pid = m.you.pid;
      state.prevPid = m.you.pid;
      state.host = m.you.host;
      state.participants.clear();
      for (const p of m.participants) state.participants.set(p.pid, p);
      state.active = m.active_speaker;
      setRecording(!!m.recording);
      rebuildGrid();
      setStatus(m.media ? tr('meet.st.joined') : errText('media_unavailable'), m.media ? 'ok' : 'warn');
      // Tell the others our current microphone/camera state.
      send({ type: 'mute', audio: !state.micOn, video: !state.camOn || !hasVideo(), screen: !!state.screen });
      if (state.hand) send({ type: 'hand', raised: true });
      // Not awaited: a call's steps may never settle if the network drops
      // under them, and the message queue must keep moving.
      if (m.media) startCall(m.ice_servers);
      break;
    case 'participant_joined':
    case 'participant_updated':
      state.participants.set(m.participant.pid, m.participant);
      if (m.participant.pid === state.pid) {
        state.hand = m.participant.hand;
        renderButtons();
      }
      upsertTile(m.participant);
      renderPeople();
      break;
    case 'participant_left':
      state.participants.delete(m.pid);
      removeTile(m.pid);
      renderPeople();
      break;
    case 'active_speaker':
      state.active = m.pid;
      for (const t of document.querySelectorAll('.tile')) t.classList.toggle('speaking', t.dataset.pid === m.pid);
      break;
    case 'offer':
    case 'answer':
    case 'candidate':
      if (state.call) state.call.handle(m); // ordered by the call's own chain
      break;
    case 'media_state':
      // The server lost our media path: restart ICE (call.js falls back
      // to a rejoin if that does not help).
      if (m.state === 'failed' && state.call) state.call.restartIce();
      break;
    case 'recording':
      setRecording(!!m.on);
      if (m.on) setStatus(tr('meet.st.rec_on'), 'ok');
      else if (m.reason === 'quota') setStatus(tr('meet.st.rec_quota'), 'warn');
      else if (m.reason === 'error' || m.reason === 'unavailable') setStatus(tr('meet.st.rec_error'), 'warn');
      else setStatus(tr('meet.st.rec_off'), 'ok');
      break;
    case 'muted_by_host':
      if (m.kind === 'audio') setMic(false, false);
      else setCam(false, false);
      setStatus(tr(m.kind === 'audio' ? 'meet.st.host_muted' : 'meet.st.host_cam'), 'warn');
      break;
    case 'removed':
      finish('meet.done.removed', 'meet.done.removed_text');
      break;
    case 'replaced':
      finish('meet.done.elsewhere', 'meet.done.elsewhere_text');
      break;
    case 'ended':
      finish('meet.done.ended', 'meet.done.thanks');
      break;
    case 'left':
      break;
    case 'error':
      if (m.code === 'unauthorized') { finish('meet.done.signin', 'meet.err.unauthorized'); break; }
      if (m.code === 'at_capacity') { finish('meet.done.full', 'meet.err.at_capacity'); break; }
      if (m.code === 'meeting_ended' || m.code === 'forbidden' || m.code === 'not_found') {
        finish(m.code === 'meeting_ended' ? 'meet.done.ended' : 'meet.done.cannot', 'meet.err.' + m.code);
        break;
      }
      setStatus(errText(m.code, m.message), 'warn');
      break;
    default:
      break;
    }
  }

  function hasVideo() {
    return !!(state.stream && state.stream.getVideoTracks().length);
  }

  function startCall(iceServers) {
    if (state.call) state.call.close();
    state.trackOwner.clear();
    const call = new window.YjCall({
      send,
      iceServers,
      stream: state.stream,
      onTrack: (track, stream) => {
        state.trackOwner.set(track.id, stream.id);
        const tile = tileFor(stream.id);
        const v = tile.querySelector('video');
        if (v.srcObject !== stream) v.srcObject = stream;
        v.play().catch(() => {});
        if (!state.participants.has(stream.id)) {
          // Not a participant of the page: a WHIP publisher (e.g. OBS).
          tile.querySelector('.tile-label').textContent = tr('meet.external');
          stream.onremovetrack = () => {
            if (!stream.getTracks().length && !state.participants.has(stream.id)) removeTile(stream.id);
          };
        }
      },
      onState: (s) => {
        if (s === 'connected') setStatus(tr('meet.st.joined'), 'ok');
        else if (s === 'disconnected' && !call.restarting) setStatus(tr('meet.st.unstable'), 'warn');
      },
      onRestart: () => {
        state.iceRestarts++;
        setStatus(tr('meet.st.reconnecting'), 'warn');
      },
      // The restart did not bring the media back: join again from scratch.
      onGiveUp: () => {
        if (state.call !== call || state.leaving) return;
        setStatus(tr('meet.st.reconnecting'), 'warn');
        state.signal.reconnectNow();
      },
    });
    state.call = call;
    call.start();
    if (state.screen) call.replaceVideo(state.screen.getVideoTracks()[0]);
  }

  // ------------------------------------------------------------------
  // tiles

  function tileFor(pid) {
    let t = document.querySelector(`.tile[data-pid="${CSS.escape(pid)}"]`);
    if (t) return t;
    t = document.createElement('div');
    t.className = 'tile';
    t.dataset.pid = pid;
    const v = document.createElement('video');
    v.autoplay = true;
    v.playsInline = true;
    if (pid === state.pid) v.muted = true;
    const label = document.createElement('div');
    label.className = 'tile-label';
    t.append(v, label);
    $('grid').append(t);
    if (resizes) resizes.observe(t);
    layout();
    return t;
  }

  function upsertTile(p) {
    const t = tileFor(p.pid);
    const marks = [];
    if (p.host) marks.push(tr('meet.mark.host'));
    if (p.hand) marks.push(tr('meet.mark.hand'));
    if (p.audio_muted) marks.push(tr('meet.mark.muted'));
    if (p.screen) marks.push(tr('meet.mark.screen'));
    t.querySelector('.tile-label').textContent = `${p.name}${p.pid === state.pid ? tr('meet.me') : ''} ${marks.join(' · ')}`;
    t.dataset.initial = (p.name || '?').slice(0, 1);
    t.classList.toggle('hand', !!p.hand);
    t.classList.toggle('novideo', !!p.video_muted);
    t.classList.toggle('speaking', p.pid === state.active);
    if (p.pid === state.pid) {
      const v = t.querySelector('video');
      const local = state.screen || state.stream;
      if (local && v.srcObject !== local) v.srcObject = local;
    }
  }

  function removeTile(pid) {
    const t = document.querySelector(`.tile[data-pid="${CSS.escape(pid)}"]`);
    if (t) {
      if (resizes) resizes.unobserve(t);
      t.remove();
    }
    state.viewed.delete(pid);
    layout();
  }

  function rebuildGrid() {
    $('grid').textContent = '';
    // Me first, then the others in join order.
    const list = [...state.participants.values()].sort((a, b) => (a.pid === state.pid ? -1 : b.pid === state.pid ? 1 : 0));
    for (const p of list) upsertTile(p);
    renderPeople();
  }

  function layout() {
    const n = $('grid').children.length;
    $('grid').dataset.count = String(Math.min(n, 9));
  }

  // ------------------------------------------------------------------
  // people list and host controls

  function renderPeople() {
    const list = $('people-list');
    list.textContent = '';
    const people = [...state.participants.values()];
    $('people-count').textContent = tr('meet.count', { n: people.length });
    people.sort((a, b) => Number(b.hand) - Number(a.hand));
    for (const p of people) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = `${p.hand ? tr('meet.p.hand') : ''}${p.name}${p.host ? tr('meet.p.host') : ''}${p.pid === state.pid ? tr('meet.me') : ''}${p.audio_muted ? tr('meet.p.muted') : ''}`;
      li.append(name);
      if (state.host && p.pid !== state.pid) {
        const act = (label, msg) => {
          const b = document.createElement('button');
          b.type = 'button';
          b.textContent = label;
          b.addEventListener('click', () => send({ type: 'host', ...msg, pid: p.pid }));
          li.append(b);
        };
        if (!p.audio_muted) act(tr('meet.mute'), { action: 'mute', kind: 'audio' });
        if (p.hand) act(tr('meet.hand_down'), { action: 'lower_hand' });
        act(tr('meet.remove'), { action: 'remove' });
      }
      list.append(li);
    }
    $('end').hidden = !state.host;
    $('rec-toggle').hidden = !state.host;
  }

  // The "录制中" mark everyone sees, and the host's start/stop button.
  function setRecording(on) {
    state.recording = on;
    $('rec').hidden = !on;
    $('rec-toggle').textContent = tr(on ? 'meet.rec_stop' : 'meet.rec_start');
  }

  // ------------------------------------------------------------------
  // controls

  function renderButtons() {
    const set = (id, pressed, label) => {
      const b = $(id);
      b.setAttribute('aria-pressed', String(pressed));
      b.querySelector('.lbl').textContent = label;
    };
    set('btn-mic', !state.micOn, tr(state.micOn ? 'meet.mute' : 'meet.unmute'));
    set('btn-cam', !state.camOn, tr(state.camOn ? 'meet.cam_off' : 'meet.cam_on'));
    set('btn-screen', !!state.screen, tr(state.screen ? 'meet.share_stop' : 'meet.share'));
    set('btn-hand', state.hand, tr(state.hand ? 'meet.hand_down' : 'meet.hand'));
    $('btn-mic').disabled = !(state.stream && state.stream.getAudioTracks().length);
    $('btn-cam').disabled = !hasVideo();
    $('btn-screen').hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
  }

  function setMic(on, tell = true) {
    state.micOn = on;
    if (state.stream) state.stream.getAudioTracks().forEach((t) => { t.enabled = on; });
    if (tell) send({ type: 'mute', audio: !on });
    renderButtons();
  }

  function setCam(on, tell = true) {
    state.camOn = on;
    if (state.stream) state.stream.getVideoTracks().forEach((t) => { t.enabled = on; });
    if (tell && !state.screen) send({ type: 'mute', video: !on });
    renderButtons();
  }

  async function toggleScreen() {
    if (state.screen) { stopScreen(); return; }
    try {
      state.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (e) {
      setStatus(tr('meet.st.share_failed'), 'warn');
      return;
    }
    const track = state.screen.getVideoTracks()[0];
    track.addEventListener('ended', stopScreen);
    if (state.call) state.call.replaceVideo(track);
    send({ type: 'mute', screen: true, video: false });
    const me = state.participants.get(state.pid);
    if (me) upsertTile(me);
    renderButtons();
  }

  function stopScreen() {
    if (!state.screen) return;
    state.screen.getTracks().forEach((t) => t.stop());
    state.screen = null;
    const cam = state.stream && state.stream.getVideoTracks()[0];
    if (state.call) state.call.replaceVideo(cam || null);
    send({ type: 'mute', screen: false, video: !state.camOn });
    const me = state.participants.get(state.pid);
    if (me) upsertTile(me);
    renderButtons();
  }

  function leave() {
    if (!confirm(tr('meet.confirm.leave'))) return;
    send({ type: 'leave' });
    finish('meet.done.left', 'meet.done.left_text', false);
    rejoinLink();
  }

  function rejoinLink() {
    const again = document.createElement('a');
    again.href = location.pathname;
    again.textContent = tr('meet.rejoin');
    $('done-text').append(again);
  }

  function lobbyInfo() {
    const m = state.meeting;
    if (!m) return;
    const who = state.session ? state.session.name : '';
    $('lobby-info').textContent = (who ? tr('meet.lobby.who', { name: who }) : '') +
      tr('meet.lobby.info', { at: fmtTime(m.start), n: m.duration_minutes }) +
      (m.status === 'live' ? tr('meet.lobby.live', { n: m.participants }) : tr('meet.lobby.not_started'));
  }

  // The words for an error code from the server, in the page's language.
  function errText(code, message) {
    const k = 'meet.err.' + code;
    const s = tr(k);
    return s === k ? tr('meet.err.other', { message: message || code }) : s;
  }

  // The language switch of the portal's pages: relabel the static text
  // (data-i18n), then what this file drew itself.
  function wireLanguage() {
    applyI18n(document);
    const sw = $('lang-switch');
    const relabel = () => { sw.lang = lang() === 'en' ? 'zh-CN' : 'en'; };
    relabel();
    sw.addEventListener('click', () => setLang(lang() === 'en' ? 'zh-CN' : 'en'));
    window.addEventListener('yj-lang', () => {
      relabel();
      if (state.meeting) document.title = tr('meet.title_of', { title: state.meeting.title });
      if (!$('lobby').hidden) {
        lobbyInfo();
        if (!$('join').disabled) $('join').textContent = tr('meet.join');
      }
      renderButtons();
      setRecording(!!state.recording);
      for (const p of state.participants.values()) if (document.querySelector(`.tile[data-pid="${CSS.escape(p.pid)}"]`)) upsertTile(p);
      renderPeople();
      if (state.done && !$('done').hidden) {
        const [title, text, vars] = state.done;
        $('done-title').textContent = tr(title);
        $('done-text').textContent = text ? tr(text, vars) : '';
        if (title === 'meet.done.left') rejoinLink();
        doneLinks();
      }
    });
  }

  function init() {
    wireLanguage();
    const m = /^\/meet\/(\d+)\/?$/.exec(location.pathname);
    state.meetingId = m ? Number(m[1]) : 0;
    $('join').addEventListener('click', enterRoom);
    $('btn-mic').addEventListener('click', () => setMic(!state.micOn));
    $('btn-cam').addEventListener('click', () => setCam(!state.camOn));
    $('btn-screen').addEventListener('click', () => toggleScreen());
    $('btn-hand').addEventListener('click', () => {
      state.hand = !state.hand;
      send({ type: 'hand', raised: state.hand });
      renderButtons();
    });
    $('btn-people').addEventListener('click', () => {
      const p = $('people');
      p.hidden = !p.hidden;
      $('btn-people').setAttribute('aria-pressed', String(!p.hidden));
    });
    $('btn-leave').addEventListener('click', leave);
    $('rec-toggle').addEventListener('click', () => {
      send({ type: 'host', action: state.recording ? 'record_stop' : 'record_start' });
    });
    $('end').addEventListener('click', () => {
      if (confirm(tr('meet.confirm.end'))) send({ type: 'host', action: 'end' });
    });
    window.addEventListener('online', () => { if (state.signal && !state.leaving) state.signal.reconnectNow(); });
    window.addEventListener('pagehide', () => { if (state.signal && !state.leaving) send({ type: 'leave' }); });
    if (!state.meetingId) { finish('meet.done.bad_url', 'meet.done.bad_url_text'); return; }
    api('/api/v1/session').then((r) => {
      if (r.status === 200) {
        state.session = r.json;
        return loadMeeting();
      }
      signInPage();
      return null;
    }).catch(() => setStatus(tr('meet.st.offline'), 'warn'));
  }

  init();
})();
