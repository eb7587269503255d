// SPDX-License-Identifier: Apache-2.0
// dialog.js — the one modal box the administrator pages use: a form in a
// <dialog> with a title, a body the page builds, a message area and two
// big buttons. It is used for questions ("are you sure?"), for small forms
// (rename an organisation, correct a ledger line) whose submit step may
// first turn into a confirmation, and for showing a result (a sign-in
// code). The page's own handler runs while the box stays open, so an
// error from the server is shown inside it, next to the field it names.
// Nothing here parses HTML from data (bodies are built with ui.js el()).

import { t } from './i18n.js';
import { clearErrors, el, fill } from './ui.js';

let seq = 0;

/**
 * Opens a modal box and returns a promise that settles when it closes:
 * with what onSubmit returned (anything but false/undefined closes it), or
 * null when it was cancelled (button, Escape).
 *
 * opts: {title, body (node or array), submitKey (i18n key; null for no
 * submit button), cancelKey (default 'common.cancel'), busyKey, danger,
 * onSubmit(box) (async; return false or undefined to stay open),
 * onCancel(box) (return false to stay open), id (sets the <dialog> id)}.
 *
 * box (passed to the handlers): {dialog, form, setBody(nodes),
 * setTitle(text), setSubmit(key, danger), setCancel(key), lockSubmit(),
 * message(text, kind), submitButton, cancelButton}.
 */
export function openDialog(opts) {
  const n = ++seq;
  const titleId = `dlg-${n}-title`;
  const title = el('h2', { id: titleId }, opts.title);
  const body = el('div', { class: 'dialog-body' });
  const msg = el('p', { class: 'form-message notice notice-error', role: 'alert', hidden: true });
  const submit = opts.submitKey
    ? el('button', { type: 'submit', class: 'btn ' + (opts.danger ? 'btn-danger' : 'btn-primary') }, t(opts.submitKey))
    : null;
  const cancel = el('button', { type: 'button', class: 'btn' }, t(opts.cancelKey || 'common.cancel'));
  const form = el('form', { method: 'dialog', novalidate: true }, title, body, msg,
    el('div', { class: 'actions dialog-actions' }, submit, cancel));
  const dialog = el('dialog', { class: 'dialog', 'aria-labelledby': titleId, id: opts.id || null }, form);

  let submitLabel = submit ? submit.textContent : '';
  let locked = false;
  const box = {
    dialog, form, submitButton: submit, cancelButton: cancel,
    setBody(...nodes) { fill(body, ...nodes); },
    setTitle(text) { title.textContent = text; },
    setSubmit(key, danger = false) {
      if (!submit) return;
      submitLabel = t(key);
      if (!submit.disabled) submit.textContent = submitLabel;
      submit.className = 'btn ' + (danger ? 'btn-danger' : 'btn-primary');
    },
    setCancel(key) { cancel.textContent = t(key); },
    /** Keeps the submit button disabled (nothing more to try). */
    lockSubmit() { locked = true; if (submit) submit.disabled = true; },
    message(text, kind = 'error') {
      msg.className = `form-message notice notice-${kind}`;
      msg.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      msg.textContent = text || '';
      msg.hidden = !text;
    },
  };
  box.setBody(opts.body ?? []);

  return new Promise((resolve) => {
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const tryCancel = async () => {
      if (opts.onCancel && (await opts.onCancel(box)) === false) return;
      close(null);
    };
    cancel.addEventListener('click', tryCancel);
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); tryCancel(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!submit || submit.disabled) return;
      clearErrors(form);
      // Like ui.js busy(), but the handler may relabel the button (a form
      // that turns into a confirmation), so the label comes from setSubmit.
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      submit.textContent = t(opts.busyKey || 'common.working');
      let r;
      try {
        r = await opts.onSubmit?.(box);
      } catch (e) {
        box.message(String(e?.message || e));
        r = false;
      } finally {
        submit.disabled = locked;
        submit.removeAttribute('aria-busy');
        submit.textContent = submitLabel;
      }
      if (r !== false && r !== undefined) close(r);
    });
    document.body.append(dialog);
    dialog.showModal();
    // Focus the first field, or the main button when there is none.
    const first = body.querySelector('input:not([type=hidden]):not([disabled]), select, textarea');
    (first || submit || cancel).focus();
  });
}

/** Asks a yes/no question; resolves true when confirmed. body may be text
 *  or nodes. */
export async function confirmDialog({ title, body, yesKey, danger = false, noKey = 'common.cancel' }) {
  const r = await openDialog({
    title, body: typeof body === 'string' ? el('p', {}, body) : body,
    submitKey: yesKey, cancelKey: noKey, danger, onSubmit: () => true,
  });
  return r === true;
}
