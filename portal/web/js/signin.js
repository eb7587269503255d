// SPDX-License-Identifier: Apache-2.0
// signin.js — the sign-in page. Checks the fields before sending (empty,
// identity-number check digit, code length) and shows any problem next to
// its field; on success sends administrators to the organisation page and
// members to their record (or back to ?next= when it is a local page).

import { api, session, signOut } from './api.js';
import { t } from './i18n.js';
import { busy, clearErrors, errorText, fieldError, initPage, param } from './ui.js';
import { idProblem, normaliseId } from './idnumber.js';

const TAB_KEY = 'yj.signin.tab';

function landing(kind) {
  const next = param('next');
  // Only a path on this site: never "//host" or "http:…".
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')) return next;
  return kind === 'admin' ? '/orgs.html' : '/record.html';
}

function selectTab(which, focus = false) {
  for (const name of ['member', 'admin']) {
    const tab = document.getElementById('tab-' + name);
    const on = name === which;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    document.getElementById('panel-' + name).hidden = !on;
    if (on && focus) tab.focus();
  }
  try { localStorage.setItem(TAB_KEY, which); } catch { /* private mode */ }
}

function wireTabs() {
  const tabs = ['member', 'admin'];
  for (const name of tabs) {
    const tab = document.getElementById('tab-' + name);
    tab.addEventListener('click', () => selectTab(name));
    tab.addEventListener('keydown', (ev) => {
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      selectTab(tabs[(tabs.indexOf(name) + 1) % 2], true);
    });
  }
  let saved = null;
  try { saved = localStorage.getItem(TAB_KEY); } catch { /* private mode */ }
  selectTab(param('as') || saved || 'member');
}

function formMessage(form, msg) {
  const box = form.querySelector('.form-message');
  box.textContent = msg;
  box.hidden = !msg;
}

async function post(form, body, badKey, badField) {
  const button = form.querySelector('button[type=submit]');
  await busy(button, 'signin.busy', async () => {
    try {
      const s = await api('/api/v1/session', { method: 'POST', body, noRedirect: true });
      location.href = landing(s.kind);
    } catch (e) {
      if (e.status === 401) fieldError(badField, t(badKey));
      else if (e.status === 400 && e.field && document.getElementById(fieldId(form, e.field)))
        fieldError(fieldId(form, e.field), errorText(e));
      else formMessage(form, errorText(e));
    }
  });
}

function fieldId(form, field) {
  const prefix = form.id === 'form-admin' ? 'a-' : 'm-';
  return prefix + ({ id_number: 'id', username: 'username', password: 'password', code: 'code' }[field] || field);
}

function wireMember() {
  const form = document.getElementById('form-member');
  const method = () => form.querySelector('input[name=method]:checked').value;
  const showMethod = () => {
    document.getElementById('m-password-field').hidden = method() !== 'password';
    document.getElementById('m-code-field').hidden = method() !== 'code';
  };
  for (const r of form.querySelectorAll('input[name=method]')) r.addEventListener('change', showMethod);
  if (param('code')) form.querySelector('input[value=code]').checked = true;
  showMethod();

  const idInput = document.getElementById('m-id');
  // Tidy the number when leaving the field so the person sees what is sent.
  idInput.addEventListener('blur', () => { idInput.value = normaliseId(idInput.value); });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const id = normaliseId(idInput.value);
    idInput.value = id;
    if (!id) return fieldError('m-id', t('signin.need_id_number'));
    const p = idProblem(id);
    if (p) return fieldError('m-id', t(p.key, p.vars));
    const body = { id_number: id };
    if (method() === 'code') {
      const code = document.getElementById('m-code').value.replace(/[\s\u3000-]/g, '')
        .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48));
      if (!code) return fieldError('m-code', t('signin.need_code'));
      if (!/^\d{8}$/.test(code)) return fieldError('m-code', t('signin.bad_code'));
      body.code = code;
      await post(form, body, 'signin.bad_credentials_member', 'm-code');
    } else {
      const pw = document.getElementById('m-password').value;
      if (!pw) return fieldError('m-password', t('signin.need_password'));
      body.password = pw;
      await post(form, body, 'signin.bad_credentials_member', 'm-password');
    }
  });
}

function wireAdmin() {
  const form = document.getElementById('form-admin');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const user = document.getElementById('a-username');
    user.value = user.value.trim();
    const pw = document.getElementById('a-password').value;
    if (!user.value) return fieldError('a-username', t('signin.need_username'));
    if (!pw) return fieldError('a-password', t('signin.need_password'));
    await post(form, { username: user.value, password: pw }, 'signin.bad_credentials', 'a-password');
  });
}

function wireShowPassword() {
  for (const box of document.querySelectorAll('input[data-show]')) {
    box.addEventListener('change', () => {
      document.getElementById(box.dataset.show).type = box.checked ? 'text' : 'password';
    });
  }
}

async function showAlready() {
  let s = null;
  try { s = await session(); } catch { /* offline: just show the form */ }
  const box = document.getElementById('already');
  const draw = () => {
    if (!s) { box.hidden = true; return; }
    document.getElementById('already-text').textContent = t('signin.already', { name: s.name || s.username });
    document.getElementById('continue').href = landing(s.kind);
    box.hidden = false;
  };
  draw();
  window.addEventListener('yj-lang', draw);
  document.getElementById('already-signout').addEventListener('click', signOut);
}

initPage(null);
wireTabs();
wireMember();
wireAdmin();
wireShowPassword();
showAlready();
