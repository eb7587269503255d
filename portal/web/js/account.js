// SPDX-License-Identifier: Apache-2.0
// account.js — the 账号与安全 page: PUT /api/v1/me/password (the server
// ends every other session and token), GET/DELETE /api/v1/me/sessions;
// for administrators PUT /api/v1/members/{id}/password and DELETE
// /api/v1/members/{id}/sessions. Errors go next to the field the server
// names; nothing is built from HTML strings.

import { api, requireSession, seg, signOut } from './api.js';
import { dateTime, has, t } from './i18n.js';
import { busy, clearErrors, el, errorText, fieldError, fill, initPage, notice } from './ui.js';

const $ = (id) => document.getElementById(id);
let me = null;

function fieldFor(e, map, fallbackBox) {
  const id = map[e.field];
  const msg = has('account.err.' + e.code) ? t('account.err.' + e.code) : errorText(e);
  if (id) fieldError(id, msg);
  else notice(fallbackBox, msg);
}

async function changePassword(ev) {
  ev.preventDefault();
  const form = $('pw-form');
  clearErrors(form);
  notice($('pw-result'), '');
  const password = $('password').value, current = $('current').value;
  if (password.length < 8) return fieldError('password', t('account.err.weak_password'));
  if (password !== $('confirm').value) return fieldError('confirm', t('account.err.mismatch'));
  const body = { password };
  if (current) body.current_password = current;
  await busy($('pw-submit'), 'common.saving', async () => {
    try {
      await api('/api/v1/me/password', { method: 'PUT', body });
      form.reset();
      notice($('pw-result'), t('account.pw.done'), 'ok');
      await loadSessions();
    } catch (e) {
      fieldFor(e, { password: 'password', current_password: 'current' }, $('pw-result'));
    }
  });
}

function sessionItem(s) {
  const kind = s.kind === 'token' ? t('account.sessions.token') : t('account.sessions.session');
  const title = s.label ? `${kind}：${s.label}` : kind;
  const btn = el('button', { type: 'button', class: 'btn' },
    s.current ? t('account.sessions.signout_here') : s.kind === 'token' ? t('account.sessions.revoke') : t('account.sessions.end'));
  btn.addEventListener('click', async () => {
    if (s.current) return signOut();
    await busy(btn, 'common.saving', async () => {
      try {
        await api(`/api/v1/me/sessions/${seg(s.id)}`, { method: 'DELETE' });
        notice($('sessions-result'), t('account.sessions.done'), 'ok');
        await loadSessions();
      } catch (e) {
        notice($('sessions-result'), errorText(e));
      }
    });
  });
  return el('li', { class: 'session-item' },
    el('p', { class: 'session-title' }, title, s.current ? el('span', { class: 'badge' }, t('account.sessions.current')) : null),
    el('p', { class: 'hint' }, t('account.sessions.when', { created: dateTime(s.created_at), expires: dateTime(s.expires_at) })),
    s.peer || s.user_agent ? el('p', { class: 'hint session-ua' }, [s.peer, s.user_agent].filter(Boolean).join(' · ')) : null,
    btn);
}

async function loadSessions() {
  try {
    const r = await api('/api/v1/me/sessions');
    const list = r.sessions || [];
    fill($('sessions'), list.length ? list.map(sessionItem) : el('li', {}, t('account.sessions.none')));
  } catch (e) {
    notice($('sessions-result'), errorText(e));
  }
}

async function adminAction(kind) {
  const form = $('admin-form');
  clearErrors(form);
  notice($('admin-result'), '');
  const id = $('member').value.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return fieldError('member', t('account.err.id_number'));
  const button = kind === 'reset' ? $('reset-submit') : $('signout-all');
  await busy(button, 'common.saving', async () => {
    try {
      if (kind === 'reset') {
        await api(`/api/v1/members/${seg(id)}/password`, { method: 'PUT', body: { password: $('reset').value } });
        $('reset').value = '';
        notice($('admin-result'), t('account.admin.reset_done'), 'ok');
      } else {
        const r = await api(`/api/v1/members/${seg(id)}/sessions`, { method: 'DELETE' });
        notice($('admin-result'), t('account.admin.signout_done', { n: r.ended }), 'ok');
      }
    } catch (e) {
      if (e.status === 404) fieldError('member', t('account.err.no_member'));
      else fieldFor(e, { password: 'reset', id_number: 'member' }, $('admin-result'));
    }
  });
}

async function main() {
  initPage(null);
  me = await requireSession();
  initPage(me);
  $('pw-form').addEventListener('submit', changePassword);
  if (me.kind === 'admin') {
    $('admin-card').hidden = false;
    $('current-hint').hidden = true;
    $('admin-form').addEventListener('submit', (ev) => { ev.preventDefault(); adminAction('reset'); });
    $('signout-all').addEventListener('click', () => adminAction('signout'));
  }
  window.addEventListener('yj-lang', loadSessions);
  await loadSessions();
}

main().catch((e) => notice($('page-error'), errorText(e)));
