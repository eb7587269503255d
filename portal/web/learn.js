// SPDX-License-Identifier: Apache-2.0
// learn.js — the lesson player (/learn/{id}).
//
// Plays the signed HLS URL from GET /api/v1/lessons/{id} with hls.js
// (or natively on iPhone Safari), offers "从 mm:ss 继续" when the server
// has a resume point, and reports progress: every 10 s while playing and
// on play, pause, seek, end and when the page is hidden (sendBeacon — it
// cannot set headers, so the session cookie authenticates it). A report
// carries the intervals the media element reports as played; they
// wait in localStorage until the server acknowledges them, so nothing is
// lost while the phone is offline: queued reports are merged into one and
// sent when the connection returns. Chinese by default, English through
// the portal's i18n.js (strings in js/learn_i18n.js) and its language switch.
import { applyI18n, lang, setLang, t } from '/js/i18n.js';
import '/js/learn_i18n.js';

(function () {
  const $ = (id) => document.getElementById(id);
  const lessonId = Number(location.pathname.split('/')[2]);
  const QKEY = 'yj-progress-' + lessonId;
  const REPORT_MS = 10000;
  const video = $('video');
  let lesson = null;
  let hls = null;
  let member = true; // administrators preview without reports
  let lastT = 0; // last position reached by playing (for a seek's origin)
  let seekFrom = null;
  let inflight = null;
  let timer = null;

  function mmss(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const p = (n) => String(n).padStart(2, '0');
    return h ? `${h}:${p(m)}:${p(r)}` : `${p(m)}:${p(r)}`;
  }
  const r3 = (x) => Math.round(x * 1000) / 1000;

  function show(id) {
    for (const s of ['lesson', 'processing']) $(s).hidden = s !== id;
  }
  function fail(msg) {
    $('error').textContent = msg;
    $('error').hidden = false;
  }

  // ---- the offline queue: {intervals, position, event, from} ----
  function loadQ() {
    try { return JSON.parse(localStorage.getItem(QKEY)); } catch { return null; }
  }
  function saveQ(q) {
    try { localStorage.setItem(QKEY, JSON.stringify(q)); } catch { /* private mode: memory only */ }
  }
  function union(list) {
    const s = list.filter((x) => x[1] - x[0] > 0.05).sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const [a, b] of s) {
      const last = out[out.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else out.push([a, b]);
    }
    return out;
  }
  function queue(fn) {
    const q = loadQ() || { intervals: [], position: 0, event: 'progress' };
    fn(q);
    q.intervals = union(q.intervals).slice(-150);
    saveQ(q);
    return q;
  }

  // ---- sending ----
  function url() { return `/api/v1/lessons/${lessonId}/progress`; }

  function showProgress(watched) {
    if (!lesson || !lesson.duration) return;
    const pc = Math.min(100, Math.floor((watched / lesson.duration) * 100));
    $('meter-bar').style.width = pc + '%';
    lastPc = pc;
    $('watched').textContent = t('learn.watched', { pc });
  }
  function showCredit(completed) {
    if (completed) lastCompleted = true;
    if (lastCompleted) $('credit').textContent = t('learn.credited', { h: Math.round(lesson.minutes / 60 * 100) / 100 });
  }

  async function flush() {
    if (!member || inflight || !navigator.onLine) return;
    const q = loadQ();
    if (!q) return;
    localStorage.removeItem(QKEY);
    inflight = q;
    const body = { position: r3(q.position), intervals: q.intervals, event: q.event };
    if (q.event === 'seek' && q.from != null) body.from = r3(q.from);
    let requeue = false;
    try {
      const res = await fetch(url(), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      if (res.ok) {
        const j = await res.json();
        showProgress(j.watched);
        showCredit(j.completed);
      } else if (res.status === 401) {
        requeue = true;
        signInPage();
      } else if (res.status >= 500) {
        requeue = true;
      } else {
        // Refused (e.g. too much at once after a long time offline): the
        // server changed nothing; drop it rather than retry forever.
        const j = await res.json().catch(() => ({}));
        console.warn('progress refused', j.error);
      }
    } catch (e) {
      requeue = true; // offline or the server unreachable: keep it
    }
    inflight = null;
    if (requeue) {
      queue((cur) => {
        cur.intervals = q.intervals.concat(cur.intervals);
        if (cur.event === 'progress' && q.event !== 'progress') {
          cur.event = q.event;
          cur.from = q.from;
        }
        if (cur.position === 0 && !cur.touched) cur.position = q.position;
      });
    } else if (loadQ()) {
      flush();
    }
  }

  function report(event, extra) {
    if (!member) return;
    queue((q) => {
      q.position = video.currentTime || lastT;
      q.touched = true;
      // A queued pause/seek is worth more than a heartbeat.
      if (event !== 'progress' || q.event === undefined) q.event = event;
      if (event === 'seek') q.from = extra;
    });
    flush();
  }

  function beacon() {
    // A page that played nothing has nothing to say (and must not move
    // the resume point another device set).
    if (!member || !navigator.sendBeacon || (!played && !loadQ())) return;
    collect();
    const q = queue((x) => { x.position = video.currentTime; x.event = 'hide'; });
    const body = JSON.stringify({ position: r3(q.position), intervals: q.intervals, event: 'hide' });
    // text/plain keeps the beacon a "simple" request; the server reads
    // JSON whatever the type, and the cookie signs it in.
    if (navigator.onLine && navigator.sendBeacon(url(), new Blob([body], { type: 'text/plain' })))
      localStorage.removeItem(QKEY);
  }

  // ---- playback tracking ----
  // What was watched comes from the media element itself: video.played
  // holds exactly the ranges played since the page loaded (seeks and
  // gap-skips excluded). Sending all of them each time is harmless — the
  // server keeps a union, so a range counts once — and robust to missed
  // events.
  let played = false; // anything played on this page yet
  function collect() {
    const r = video.played;
    const list = [];
    for (let i = 0; i < r.length; i++) list.push([r3(r.start(i)), r3(r.end(i))]);
    queue((q) => { q.intervals = q.intervals.concat(list); });
  }
  video.addEventListener('playing', () => {
    played = true;
    $('resume').hidden = true;
    clearInterval(timer);
    timer = setInterval(() => { collect(); report('progress'); }, REPORT_MS);
  });
  video.addEventListener('play', () => report('play'));
  video.addEventListener('timeupdate', () => {
    if (!video.seeking) lastT = video.currentTime;
  });
  video.addEventListener('seeking', () => {
    if (seekFrom === null) seekFrom = lastT;
  });
  video.addEventListener('seeked', () => {
    const from = seekFrom;
    seekFrom = null;
    lastT = video.currentTime;
    collect();
    report('seek', from);
  });
  video.addEventListener('pause', () => {
    clearInterval(timer);
    collect();
    if (!video.ended) report('pause');
  });
  video.addEventListener('ended', () => {
    clearInterval(timer);
    collect();
    report('ended');
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') beacon(); });
  window.addEventListener('pagehide', beacon);
  window.addEventListener('online', () => { $('net').hidden = true; flush(); });
  window.addEventListener('offline', () => { $('net').hidden = false; });

  function seekTo(t) {
    const go = () => { video.currentTime = t; video.play().catch(() => {}); };
    if (video.readyState >= 1) go();
    else video.addEventListener('loadedmetadata', go, { once: true });
  }

  // ---- chapters (a recorded meeting's speakers): a click seeks ----
  function showChapters(list) {
    const ol = $('chapter-list');
    ol.replaceChildren();
    $('chapters').hidden = !list || list.length === 0;
    for (const c of list || []) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.start = String(c.start);
      const at = document.createElement('span');
      at.className = 'at';
      at.textContent = mmss(c.start);
      const title = document.createElement('span');
      title.textContent = c.title;
      b.append(at, title);
      b.addEventListener('click', () => { $('resume').hidden = true; seekTo(c.start); });
      li.append(b);
      ol.append(li);
    }
  }
  function markChapter() {
    const bs = [...$('chapter-list').querySelectorAll('button')];
    let cur = -1;
    bs.forEach((b, i) => { if (Number(b.dataset.start) <= video.currentTime + 0.25) cur = i; });
    bs.forEach((b, i) => b.setAttribute('aria-current', i === cur ? 'true' : 'false'));
  }
  video.addEventListener('timeupdate', markChapter);

  // ---- loading ----
  function attach(src) {
    if (window.Hls && window.Hls.isSupported()) {
      if (hls) hls.destroy();
      hls = new window.Hls({ capLevelToPlayerSize: true });
      hls.on(window.Hls.Events.ERROR, (ev, data) => {
        if (!data.fatal) return;
        const code = data.response && data.response.code;
        if (code === 403) refresh(); // the signed URL expired: get a new one
        else if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) setTimeout(() => hls.startLoad(), 3000);
        else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else fail(t('learn.err.play'));
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = src; // iPhone / iPad Safari
    } else {
      fail(t('learn.err.browser'));
    }
  }

  async function refresh() {
    const at = video.currentTime;
    const r = await fetch(`/api/v1/lessons/${lessonId}`, { credentials: 'same-origin' });
    if (!r.ok) return;
    lesson = await r.json();
    attach(lesson.hls_path);
    seekTo(at);
  }

  async function load() {
    await flush(); // what an earlier visit could not send, first
    let r;
    try {
      r = await fetch(`/api/v1/lessons/${lessonId}`, { credentials: 'same-origin' });
    } catch {
      return fail(t('learn.err.network'));
    }
    if (r.status === 401) return signInPage();
    if (r.status === 404 || !lessonId) return fail(t('learn.err.not_found'));
    if (!r.ok) return fail(t('learn.err.later'));
    lesson = await r.json();
    document.title = t('learn.title_of', { title: lesson.title });
    if (lesson.status === 'processing') {
      show('processing');
      $('percent').textContent = lesson.percent + '%';
      setTimeout(load, 2000);
      return;
    }
    if (lesson.status !== 'ready') return fail(t('learn.err.broken'));
    show('lesson');
    member = !!lesson.progress;
    $('course-title').textContent = lesson.course_title;
    $('lesson-title').textContent = lesson.title;
    $('meter-goal').style.left = Math.round(lesson.threshold * 100) + '%';
    rule();
    if (lesson.poster_path) video.poster = lesson.poster_path;
    attach(lesson.hls_path);
    showChapters(lesson.chapters);
    $('audio-note').hidden = !lesson.audio_only;
    video.classList.toggle('audio', !!lesson.audio_only);
    if (member) {
      const p = lesson.progress;
      showProgress(p.watched);
      showCredit(p.completed);
      if (p.resume != null) {
        $('resume-at').textContent = mmss(p.resume);
        $('resume-btn').textContent = t('learn.resume', { at: mmss(p.resume) });
        $('resume-btn').dataset.at = mmss(p.resume);
        $('resume-btn').onclick = () => { $('resume').hidden = true; seekTo(p.resume); };
        $('restart-btn').onclick = () => { $('resume').hidden = true; seekTo(0); };
        $('resume').hidden = false;
      }
    }
    $('net').hidden = navigator.onLine;
  }

  // Not signed in: the portal's one sign-in page, which comes back here.
  // Reports not yet sent stay queued on the device and go first on return.
  function signInPage() {
    location.replace('/?next=' + encodeURIComponent(location.pathname));
  }

  function rule() {
    const goal = Math.round(lesson.threshold * 100);
    $('rule').textContent = member
      ? t('learn.rule', { goal, need: mmss(lesson.needed), h: Math.round(lesson.minutes / 60 * 100) / 100 })
      : t('learn.preview');
  }

  // The language switch of the portal's pages: static text by data-i18n,
  // then what this file wrote itself.
  let lastPc = null;
  let lastCompleted = false;
  function wireLanguage() {
    applyI18n(document);
    const sw = $('lang-switch');
    const relabel = () => {
      sw.lang = lang() === 'en' ? 'zh-CN' : 'en';
      $('resume-btn').textContent = t('learn.resume', { at: $('resume-btn').dataset.at || '00:00' });
    };
    relabel();
    sw.addEventListener('click', () => setLang(lang() === 'en' ? 'zh-CN' : 'en'));
    window.addEventListener('yj-lang', () => {
      relabel();
      if (!lesson || lesson.status !== 'ready') return;
      document.title = t('learn.title_of', { title: lesson.title });
      rule();
      if (lastPc !== null) $('watched').textContent = t('learn.watched', { pc: lastPc });
      if (lastCompleted) showCredit(true);
    });
  }
  wireLanguage();

  // For tests and the curious: is every report acknowledged?
  window.yjLearn = { flush, queued: loadQ, idle: () => !inflight && !loadQ() };
  load();
})();
