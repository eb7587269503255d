// SPDX-License-Identifier: Apache-2.0
// learn-home.js — "my learning" (/learn): GET /api/v1/me/learning and
// /api/v1/courses, rendered as large tappable lists. Chinese by default,
// English through the portal's i18n.js (strings in js/learn_i18n.js) and
// its language switch; switching draws the lists again.
import { applyI18n, lang, setLang, t } from '/js/i18n.js';
import '/js/learn_i18n.js';

(function () {
  const $ = (id) => document.getElementById(id);
  const mmss = (s) => {
    s = Math.floor(s);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  function li(html) {
    const el = document.createElement('li');
    el.innerHTML = html;
    return el;
  }
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  async function get(path) {
    const r = await fetch(path, { credentials: 'same-origin' });
    if (r.status === 401 || r.status === 403) throw new Error('signin');
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }

  async function courses(q) {
    const list = $('courses');
    list.textContent = '';
    const c = await get('/api/v1/courses?limit=100' + (q ? '&q=' + encodeURIComponent(q) : ''));
    if (!c.courses.length) list.append(li(esc(t('learn.no_courses'))));
    for (const x of c.courses) {
      const detail = await get(`/api/v1/courses/${x.id}`);
      const items = detail.lessons.map((l) =>
        `<li><a class="title" href="/learn/${l.id}">${esc(l.title)}</a><br>` +
        esc(t('learn.lesson_line', { h: fmtH(l.minutes), len: mmss(l.duration) })) +
        `${l.completed ? ` · <span class="done">${esc(t('learn.done'))}</span>` : l.started ? ` · ${esc(t('learn.reached', { at: mmss(l.position) }))}` : ''}</li>`).join('');
      list.append(li(`<b>${esc(x.title)}</b> <span class="hint">${esc(x.category)}</span>` +
        `<p class="hint">${esc(x.description)}</p><ul class="list">${items}</ul>`));
    }
  }

  // Hours with at most two decimals, from whole minutes.
  const fmtH = (min) => String(Math.round((Number(min) || 0) / 60 * 100) / 100);

  async function load() {
    try {
      // The signed-in home, and an administrator is not a learner.
      const s = await fetch('/api/v1/session', { credentials: 'same-origin' });
      if (s.ok) {
        const who = await s.json();
        $('home').href = who.kind === 'admin' ? '/orgs.html' : '/record.html';
        if (who.kind === 'admin') { $('admin').hidden = false; return; }
      }
      const me = await get('/api/v1/me/learning');
      $('me').hidden = false;
      $('hours').textContent = fmtH(me.lesson_minutes);
      // Say plainly what this counts, beside the record's total.
      $('hours-note').textContent = t('learn.hours_note', { h: fmtH(me.total_minutes) });
      const ip = $('in-progress');
      ip.textContent = '';
      if (!me.in_progress.length) ip.append(li(esc(t('learn.no_in_progress'))));
      for (const l of me.in_progress)
        ip.append(li(`<a class="title" href="/learn/${l.lesson_id}">${esc(l.title)}</a><br>` +
          esc(t('learn.progress_line', { course: l.course_title, pc: l.percent, at: mmss(l.position) }))));
      const done = $('completed');
      done.textContent = '';
      if (!me.completed.length) done.append(li(esc(t('learn.no_completed'))));
      for (const l of me.completed)
        done.append(li(`<a class="title" href="/learn/${l.lesson_id}">${esc(l.title)}</a><br>` +
          `<span class="done">${esc(l.credited_minutes != null ? '✓ ' + t('learn.credited_h', { h: fmtH(l.credited_minutes) }) : t('learn.done'))}</span>`));
      await courses('');
    } catch (e) {
      if (e.message === 'signin') location.replace('/?next=/learn'); // the one sign-in page
      else { $('error').textContent = t('learn.err.home'); $('error').hidden = false; }
    }
  }
  $('search').addEventListener('submit', (e) => { e.preventDefault(); courses($('q').value.trim()); });
  // The language switch of the portal's pages: static text by data-i18n,
  // then the lists drawn again in the new language.
  applyI18n(document);
  const sw = $('lang-switch');
  const relabel = () => { sw.lang = lang() === 'en' ? 'zh-CN' : 'en'; };
  relabel();
  sw.addEventListener('click', () => setLang(lang() === 'en' ? 'zh-CN' : 'en'));
  window.addEventListener('yj-lang', () => { relabel(); if (!$('me').hidden) load(); });
  load();
})();
