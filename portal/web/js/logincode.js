// SPDX-License-Identifier: Apache-2.0
// logincode.js — an administrator issues a one-time sign-in code for a
// member (POST /api/v1/members/{id}/login-code → {code, expires_at}). The
// 8 digits are shown large, in two groups of four (the sign-in page
// accepts the space), with the expiry and a note to hand the code to the
// member in person. This is how older members and phones sign in. Used on
// the record page (inline) and from a member row on the organisation page
// (in a dialog).

import { api, seg } from './api.js';
import { dateTime, t } from './i18n.js';
import { el, errorText } from './ui.js';
import { openDialog } from './dialog.js';

/** Asks the server for a new code; resolves {id_number, code, expires_at}.
 *  Throws ApiError. */
export function issueLoginCode(idNumber) {
  return api(`/api/v1/members/${seg(idNumber)}/login-code`, { method: 'POST', body: {} });
}

/** The code, big, with who it is for, until when, and what to do with it.
 *  member: {name, id_number}; r: the server's answer. */
export function codeView(member, r) {
  const code = String(r.code);
  const groups = code.length === 8 ? [code.slice(0, 4), code.slice(4)] : [code];
  const until = r.expires_at ? dateTime(r.expires_at) : t('common.none');
  return el('div', { class: 'login-code', role: 'status' },
    el('p', { class: 'code-for' }, t('code.for', { name: member.name })),
    el('p', { class: 'code-digits', 'data-code': code, 'aria-label': [...code].join(' ') },
      groups.map((g) => el('span', {}, g))),
    el('p', { class: 'code-until' }, t('code.until', { at: until })),
    el('p', { class: 'code-note' }, t('code.note', { name: member.name })),
    el('p', { class: 'hint' }, t('code.how')));
}

/** Explains, then (on the button) issues a code and shows it, in a dialog.
 *  member: {name, id_number}. */
export function loginCodeDialog(member) {
  return openDialog({
    title: t('code.dialog_title', { name: member.name }),
    body: el('p', {}, t('code.explain')),
    submitKey: 'code.issue',
    busyKey: 'code.busy',
    cancelKey: 'common.cancel',
    id: 'code-dialog',
    onSubmit: async (box) => {
      let r;
      try {
        r = await issueLoginCode(member.id_number);
      } catch (e) {
        box.message(errorText(e));
        return false;
      }
      box.setBody(codeView(member, r));
      box.submitButton.hidden = true;
      box.setCancel('common.close');
      box.cancelButton.classList.add('btn-primary');
      return false; // stays open until the administrator closes it
    },
  });
}
