// SPDX-License-Identifier: Apache-2.0
// learn-home.js — "my learning" (/learn): GET /api/v1/me/learning and
// /api/v1/courses, rendered as large tappable lists.
'use strict';
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
    if (!c.courses.length) list.append(li('暂时没有课程。'));
    for (const x of c.courses) {
      const detail = await get(`/api/v1/courses/${x.id}`);
      const items = detail.lessons.map((l) =>
        `<li><a class="title" href="/learn/${l.id}">${esc(l.title)}</a><br>` +
        `${fmtH(l.minutes)} 学时 · ${mmss(l.duration)}${l.completed ? ' · <span class="done">✓ 已完成</span>' : l.started ? ` · 学到 ${mmss(l.position)}` : ''}</li>`).join('');
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
      $('hours-note').textContent = `只算课程学习。今年全部学时（含会议、集中收看、补录）共 ${fmtH(me.total_minutes)} 学时，见“我的记录”。`;
      const ip = $('in-progress');
      if (!me.in_progress.length) ip.append(li('没有学到一半的课时。'));
      for (const l of me.in_progress)
        ip.append(li(`<a class="title" href="/learn/${l.lesson_id}">${esc(l.title)}</a><br>` +
          `${esc(l.course_title)} · 已学 ${l.percent}% · 上次到 ${mmss(l.position)}`));
      const done = $('completed');
      if (!me.completed.length) done.append(li('还没有完成的课时。'));
      for (const l of me.completed)
        done.append(li(`<a class="title" href="/learn/${l.lesson_id}">${esc(l.title)}</a><br>` +
          `<span class="done">✓ ${l.credited_minutes != null ? fmtH(l.credited_minutes) + ' 学时' : '已完成'}</span>`));
      await courses('');
    } catch (e) {
      if (e.message === 'signin') location.replace('/?next=/learn'); // the one sign-in page
      else { $('error').textContent = '暂时打不开，请稍后再试。'; $('error').hidden = false; }
    }
  }
  $('search').addEventListener('submit', (e) => { e.preventDefault(); courses($('q').value.trim()); });
  load();
})();
