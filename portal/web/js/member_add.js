// SPDX-License-Identifier: Apache-2.0
// member_add.js — "添加党员" on /orgs.html: one new member in a dialog
// (identity number tidied and checked, with the check-digit hint, before
// anything is sent; name; phone; joined on; status; migrant and where they
// live; organisation from the administrator's subtree), sent to
// POST /api/v1/members. A problem is shown under its field in the page's
// language. Editing an existing member is on their record page (修改信息).

import { api } from './api.js';
import { t } from './i18n.js';
import { idProblem, normaliseId } from './idnumber.js';
import { parsePhone, parseText, tidyDate } from './input.js';
import { openDialog } from './dialog.js';
import { el, errorText, fieldError } from './ui.js';

const field = (id, labelKey, input, hintKey = null) => el('div', { class: 'field' },
  el('label', { for: id }, t(labelKey)), input,
  hintKey ? el('p', { class: 'hint', id: id + '-hint' }, t(hintKey)) : null,
  el('p', { id: id + '-error', class: 'field-error', hidden: true }));

/**
 * Opens the dialog; orgs is the subtree (GET /api/v1/orgs), code the
 * organisation chosen on the page. Resolves with the new member or null.
 */
export async function addMemberDialog(orgs, code) {
  const base = orgs.length ? orgs[0].depth || 0 : 0;
  const body = [
    field('a-id', 'field.id_number', el('input', { id: 'a-id', type: 'text', autocomplete: 'off', maxlength: 30, inputmode: 'text' }), 'signin.id_number.hint'),
    field('a-name', 'field.name', el('input', { id: 'a-name', type: 'text', autocomplete: 'off', maxlength: 50 })),
    field('a-phone', 'field.phone', el('input', { id: 'a-phone', type: 'tel', autocomplete: 'off' }), 'edit.phone.hint'),
    field('a-joined', 'field.joined_on', el('input', { id: 'a-joined', type: 'text', autocomplete: 'off' }), 'edit.date.hint'),
    field('a-status', 'field.status', el('select', { id: 'a-status' },
      el('option', { value: 'full' }, t('status.full')), el('option', { value: 'probationary' }, t('status.probationary')))),
    el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'a-migrant' }), ' ', t('field.migrant')),
    field('a-location', 'field.location', el('input', { id: 'a-location', type: 'text', autocomplete: 'off', maxlength: 100 }), 'edit.location.hint'),
    field('a-org', 'edit.org_new', el('select', { id: 'a-org' }, orgs.map((o) => el('option', { value: o.code, selected: o.code === code },
      '\u3000'.repeat(Math.max(0, (o.depth || 0) - base)) + o.name)))),
  ];
  return openDialog({
    title: t('madd.title'), body, submitKey: 'madd.save', busyKey: 'common.working',
    onSubmit: async (box) => {
      const $ = (id) => document.getElementById(id);
      const problems = [];
      const id = normaliseId($('a-id').value);
      $('a-id').value = id;
      const bad = id ? idProblem(id) : { key: 'signin.need_id_number', vars: {} };
      if (bad) problems.push(['a-id', t(bad.key, bad.vars)]);
      const name = parseText($('a-name').value, { max: 50 });
      if (name.error) problems.push(['a-name', t(name.error, { max: 50 })]);
      const phone = parsePhone($('a-phone').value);
      if (phone.error) problems.push(['a-phone', t(phone.error)]);
      const loc = parseText($('a-location').value, { max: 100, required: false });
      if (loc.error) problems.push(['a-location', t(loc.error, { max: 100 })]);
      problems.forEach(([f, msg], i) => fieldError(f, msg, i === 0));
      if (problems.length) return false;
      const payload = { id_number: id, name: name.text, org_code: $('a-org').value, status: $('a-status').value,
        migrant: $('a-migrant').checked };
      if (phone.phone) payload.phone = phone.phone;
      const joined = tidyDate($('a-joined').value);
      if (joined) payload.joined_on = joined;
      if (loc.text) payload.location = loc.text;
      try {
        return await api('/api/v1/members', { method: 'POST', body: payload });
      } catch (e) {
        const map = { id_number: 'a-id', name: 'a-name', phone: 'a-phone', joined_on: 'a-joined', status: 'a-status', location: 'a-location', org_code: 'a-org' };
        if (e.code === 'member_exists') fieldError('a-id', t('madd.exists'));
        else if (e.field && map[e.field]) fieldError(map[e.field], errorText(e));
        else box.message(errorText(e));
        return false;
      }
    },
  });
}
