// SPDX-License-Identifier: Apache-2.0
// ui.js — what every page shares: the top bar (name, menu, language
// switch, sign-out), a small DOM builder that never parses HTML from data,
// messages shown next to a form field, and turning an ApiError into words.

import { applyI18n, has, lang, setLang, setTimeZone, t } from './i18n.js';
import { signOut } from './api.js';

/**
 * Builds an element: el('a', {href: '/x', class: 'btn'}, 'text', child…).
 * Attributes starting with "on" are listeners; null/false ones are skipped;
 * children may be strings, nodes, arrays or null.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Empties node and puts children in it. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let who = null;
let wired = false;

/**
 * Sets up the page: translates static text, wires the language switch and
 * draws the menu for who is signed in (s from /api/v1/session, or null).
 * May be called again once the session is known; it wires things once.
 */
export function initPage(s = null) {
  who = s;
  if (s?.time_zone) setTimeZone(s.time_zone);
  applyI18n(document);
  const sw = document.getElementById('lang-switch');
  const relabel = () => { if (sw) sw.lang = lang() === 'en' ? 'zh-CN' : 'en'; drawNav(who); };
  if (!wired) {
    wired = true;
    sw?.addEventListener('click', () => setLang(lang() === 'en' ? 'zh-CN' : 'en'));
    window.addEventListener('yj-lang', relabel);
  }
  relabel();
}

function drawNav(s) {
  const nav = document.getElementById('nav');
  if (!nav) return;
  if (!s) { nav.replaceChildren(); return; }
  const here = location.pathname;
  const link = (href, key) => el('a', { href, class: 'nav-link', 'aria-current': here === href ? 'page' : null }, t(key));
  const items = s.kind === 'admin'
    ? [link('/orgs.html', 'nav.orgs'), link('/meetings.html', 'nav.meetings'),
      link('/courses.html', 'nav.courses'), link('/reports.html', 'nav.reports'), link('/channels', 'nav.channels'),
       link('/import.html', 'nav.import')]
    : [link('/my-meetings.html', 'nav.my_meetings'), link('/record.html', 'nav.record'), link('/learn', 'nav.learn')];
  fill(nav,
    items,
    link('/account.html', 'nav.account'),
    el('span', { class: 'who' }, t('nav.signed_in_as', { name: s.name || s.username || '' })),
    el('button', { type: 'button', class: 'nav-link signout', onclick: signOut }, t('nav.signout')));
}

/** Shows msg under the field (by id) and marks it invalid; focus moves there. */
export function fieldError(id, msg, focus = true) {
  const input = document.getElementById(id);
  const box = document.getElementById(id + '-error');
  if (box) { box.textContent = msg; box.hidden = false; }
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    if (box) input.setAttribute('aria-describedby', [input.dataset.hint, box.id].filter(Boolean).join(' '));
    if (focus) input.focus();
  }
}

/** Clears every field error and the form-level message inside root. */
export function clearErrors(root) {
  for (const b of root.querySelectorAll('.field-error')) { b.textContent = ''; b.hidden = true; }
  for (const i of root.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  for (const b of root.querySelectorAll('.form-message')) { b.textContent = ''; b.hidden = true; }
}

/** Shows a message in a .notice box (kind: error | ok | info). */
export function notice(box, msg, kind = 'error') {
  box.className = `notice notice-${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  fill(box, msg);
  box.hidden = !msg;
}

/** Plain words for an ApiError that has no better place to go. */
export function errorText(e) {
  if (!e || e.status === undefined) return t('err.server', { status: '?' });
  if (e.status === 0) return t('err.network');
  if (e.status === 401) return t('err.session');
  if (e.status === 403) return t('err.forbidden');
  if (e.status === 404) return t('err.not_found');
  if (e.status === 429) return e.retryAfter ? t('err.rate_limited', { s: e.retryAfter }) : t('err.rate_limited_later');
  if (e.status >= 500) return t('err.server', { status: e.status });
  // The words for the error's code in the page's language, never the
  // server's English message.
  if (e.code && has('reason.' + e.code)) return t('reason.' + e.code);
  return t('reason.invalid');
}

/** Disables a button and shows busyKey's text while fn runs. */
export async function busy(button, busyKey, fn) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = t(busyKey);
  try { return await fn(); } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

/** ?name= from the address, trimmed, or null. */
export function param(name) {
  const v = new URLSearchParams(location.search).get(name);
  return v && v.trim() ? v.trim() : null;
}
