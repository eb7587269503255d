// SPDX-License-Identifier: Apache-2.0
// record_admin.js — what an administrator does on a member's record page:
//   - issue a one-time sign-in code (shown large, with its expiry);
//   - edit the member's details (name, phone, joined on, status, migrant
//     flag, location) and move them to another organisation of the
//     administrator's subtree (PATCH /api/v1/members/{id});
//   - add a manual credit (POST …/credits) and correct a ledger line
//     (POST /api/v1/ledger/{entry}/correction), each with a required reason
//     and a confirmation step; the page then asks for the record again so
//     the totals are the server's.
// Inputs are forgiving (input.js); every problem is shown next to its
// field, in the page before sending and from the server's answer after.
// Only loaded into use for administrators (record.js decides); the server
// checks every action again.

import { api, seg } from './api.js';
import { date, has, hours, t } from './i18n.js';
import { clearErrors, el, errorText, fieldError, fill, notice } from './ui.js';
import { confirmDialog, openDialog } from './dialog.js';
import { codeView, issueLoginCode } from './logincode.js';
import { parseDuration, parsePhone, parseText, tidyDate } from './input.js';

const MAX_MINUTES = 6000;  // the server's limit for one credit or line
const NAME_CHARS = 50;     // the server's limits, in characters
const TEXT_CHARS = 100;

// Member fields as the API names them → the edit form's element ids.
const EDIT_IDS = {
  name: 'e-name', phone: 'e-phone', joined_on: 'e-joined', status: 'e-status',
  migrant: 'e-migrant', location: 'e-location', org_code: 'e-org',
};

/** Words for an API error about one field: the dictionary's reason for its
 *  code when there is one, else the server's message. */
function reasonText(e) {
  return e.code && has('reason.' + e.code) ? t('reason.' + e.code) : t('reason.invalid');
}

function randomHex(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return [...a].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Wires the administrator's actions for the record in state (record.js's
 * state; state.record is loaded). reload() asks the server for the record
 * again and redraws. Returns {correct(line, nowMinutes)} for the ledger's
 * 更正 buttons.
 */
export function setupAdmin(state, reload) {
  const member = () => state.record.member;
  document.getElementById('admin-bar').hidden = false;

  // ---- one-time sign-in code ----------------------------------------------
  const codeCard = document.getElementById('code-card');
  const codeResult = document.getElementById('code-result');
  let lastCode = null;
  const drawCode = () => fill(codeResult, lastCode ? codeView(member(), lastCode) : null);
  document.getElementById('code-open').addEventListener('click', () => {
    codeCard.hidden = false;
    codeCard.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    document.getElementById('code-issue').focus();
  });
  document.getElementById('code-close').addEventListener('click', () => {
    codeCard.hidden = true;
    lastCode = null;
    drawCode();
    document.getElementById('code-open').focus();
  });
  const issue = document.getElementById('code-issue');
  issue.addEventListener('click', async () => {
    const box = document.getElementById('code-error');
    notice(box, '');
    issue.disabled = true;
    try {
      lastCode = await issueLoginCode(member().id_number);
      drawCode();
      issue.textContent = t('code.again');
      issue.dataset.i18n = 'code.again';
      document.getElementById('code-earlier').hidden = false;
    } catch (e) {
      notice(box, errorText(e));
    } finally {
      issue.disabled = false;
    }
  });
  window.addEventListener('yj-lang', drawCode);

  // ---- editing the details ---------------------------------------------------
  const form = document.getElementById('edit-form');
  const profile = document.getElementById('profile');
  const saved = document.getElementById('profile-saved');
  let orgs = null; // the administrator's subtree, loaded when first editing

  // Fills the organisation choice: at once with what is known (at least the
  // member's own organisation, so saving early never moves anyone), then
  // with the whole subtree once it has been loaded.
  function drawOrgs(current) {
    const sel = document.getElementById('e-org');
    const list = orgs ? [...orgs] : [];
    if (!list.some((o) => o.code === current.org_code))
      list.unshift({ code: current.org_code, name: current.org_name || current.org_code, depth: 0 });
    const top = Math.min(...list.map((o) => o.depth ?? 0));
    fill(sel, list.map((o) => el('option', { value: o.code },
      '\u3000'.repeat(Math.max(0, (o.depth ?? 0) - top)) + `${o.name}（${o.code}）`)));
    sel.value = current.org_code;
    sel.dataset.loaded = orgs ? 'true' : 'false';
  }

  async function fillOrgs(current) {
    drawOrgs(current);
    if (orgs) return;
    try {
      orgs = (await api('/api/v1/orgs')).orgs || [];
    } catch (e) {
      fieldError('e-org', errorText(e), false);
      return;
    }
    if (!form.hidden && document.getElementById('e-org').value === current.org_code) drawOrgs(current);
  }

  async function openEdit() {
    const m = member();
    notice(saved, '', 'ok');
    clearErrors(form);
    document.getElementById('e-name').value = m.name || '';
    document.getElementById('e-phone').value = m.phone || '';
    document.getElementById('e-joined').value = m.joined_on || '';
    form.querySelector(`input[name=e-status][value=${m.status === 'probationary' ? 'probationary' : 'full'}]`).checked = true;
    form.querySelector(`input[name=e-migrant][value=${m.migrant ? 'yes' : 'no'}]`).checked = true;
    document.getElementById('e-location').value = m.location || '';
    profile.hidden = true;
    form.hidden = false;
    form.scrollIntoView({ behavior: 'smooth', block: 'start' });
    document.getElementById('e-name').focus();
    await fillOrgs(m);
  }

  function closeEdit() {
    form.hidden = true;
    profile.hidden = false;
  }

  /** The changed fields as the API wants them, or null after showing the
   *  first problem next to its field. */
  function collect() {
    const m = member();
    const out = {};
    const problems = [];
    const name = parseText(document.getElementById('e-name').value, { max: NAME_CHARS });
    if (name.error) problems.push(['e-name', t(name.error, { max: NAME_CHARS })]);
    else if (name.text !== m.name) out.name = name.text;
    const phone = parsePhone(document.getElementById('e-phone').value);
    if (phone.error) problems.push(['e-phone', t(phone.error)]);
    else if (phone.phone !== (m.phone || '')) out.phone = phone.phone || null;
    const joined = tidyDate(document.getElementById('e-joined').value);
    if (joined !== (m.joined_on || '')) out.joined_on = joined || null;
    const status = form.querySelector('input[name=e-status]:checked')?.value;
    if (status && status !== m.status) out.status = status;
    const migrant = form.querySelector('input[name=e-migrant]:checked')?.value === 'yes';
    if (migrant !== !!m.migrant) out.migrant = migrant;
    const loc = parseText(document.getElementById('e-location').value, { max: TEXT_CHARS, required: false });
    if (loc.error) problems.push(['e-location', t(loc.error, { max: TEXT_CHARS })]);
    else if (loc.text !== (m.location || '')) out.location = loc.text || null;
    const org = document.getElementById('e-org').value;
    if (org && org !== m.org_code) out.org_code = org;
    problems.forEach(([id, msg], i) => fieldError(id, msg, i === 0));
    return problems.length ? null : out;
  }

  const formMessage = (msg, kind = 'error') => {
    const box = form.querySelector('.form-message');
    box.className = `form-message notice notice-${kind}`;
    box.textContent = msg;
    box.hidden = !msg;
  };

  async function saveEdit(ev) {
    ev.preventDefault();
    clearErrors(form);
    const patch = collect();
    if (!patch) return;
    const changed = Object.keys(patch);
    if (!changed.length) { formMessage(t('edit.nothing'), 'info'); return; }
    const m = member();
    if (patch.org_code) {
      const to = (orgs || []).find((o) => o.code === patch.org_code);
      const ok = await confirmDialog({
        title: t('edit.move.title'),
        body: t('edit.move.body', { name: m.name, from: m.org_name || m.org_code, to: to ? to.name : patch.org_code }),
        yesKey: 'edit.move.yes',
      });
      if (!ok) return;
    }
    const button = document.getElementById('edit-save');
    button.disabled = true;
    try {
      await api(`/api/v1/members/${seg(m.id_number)}`, { method: 'PATCH', body: patch });
    } catch (e) {
      const id = EDIT_IDS[e.field];
      if (id && (e.status === 400 || (e.status === 404 && e.field === 'org_code'))) fieldError(id, reasonText(e));
      else formMessage(errorText(e));
      return;
    } finally {
      button.disabled = false;
    }
    closeEdit();
    try { await reload(); } catch (e) { notice(saved, errorText(e)); return; }
    notice(saved, t('edit.saved', {
      fields: changed.map((f) => t(f === 'org_code' ? 'record.org' : 'field.' + f)).join(t('common.list_sep')),
    }), 'ok');
    saved.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  document.getElementById('edit-open').addEventListener('click', openEdit);
  document.getElementById('edit-cancel').addEventListener('click', () => {
    closeEdit();
    document.getElementById('edit-open').focus();
  });
  form.addEventListener('submit', saveEdit);

  // ---- manual credit and correction ----------------------------------------
  const hoursSaved = document.getElementById('hours-saved');

  async function afterLedgerWrite(message) {
    try { await reload(); } catch (e) { notice(hoursSaved, errorText(e)); return; }
    notice(hoursSaved, message, 'ok');
    hoursSaved.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  document.getElementById('credit-open').addEventListener('click', async () => {
    notice(hoursSaved, '', 'ok');
    const m = member();
    // One key per opened form: pressing twice, or again after a lost
    // answer, cannot credit twice (the server answers 409 the second time).
    const sourceId = 'manual:web-' + randomHex(12);
    const r = await ledgerDialog({
      title: t('credit.title', { name: m.name }),
      lead: el('p', {}, t('credit.intro')),
      amountKey: 'credit.amount', amountHint: 'credit.amount.hint', min: 1,
      reasonHint: 'credit.reason.hint',
      summary: (v) => t('credit.confirm', {
        name: m.name, h: hours(v.minutes), m: v.minutes, reason: v.reason,
        today: date(Math.floor(Date.now() / 1000)), year: new Date().getFullYear(),
      }),
      confirmKey: 'credit.yes',
      send: async (v) => {
        try {
          return await api(`/api/v1/members/${seg(m.id_number)}/credits`, {
            method: 'POST', body: { minutes: v.minutes, reason: v.reason, source_id: sourceId } });
        } catch (e) {
          if (e.status === 409 && e.code === 'already_credited') return { minutes: v.minutes }; // the first try landed
          throw e;
        }
      },
    });
    if (r) await afterLedgerWrite(t('credit.saved', { name: m.name, h: hours(r.minutes) }));
  });

  async function correct(line, now) {
    notice(hoursSaved, '', 'ok');
    const kind = has('kind.' + line.kind) ? t('kind.' + line.kind) : line.kind;
    const what = { date: date(line.at), kind, h: hours(now) };
    const r = await ledgerDialog({
      title: t('correct.title'),
      lead: [
        el('p', { class: 'line-summary' }, t('correct.line', what)),
        line.reason ? el('p', { class: 'hint' }, t('correct.line_reason', { reason: line.reason })) : null,
      ],
      amountKey: 'correct.amount', amountHint: 'correct.amount.hint', min: 0,
      reasonHint: 'correct.reason.hint',
      initial: hours(now),
      check: (v) => (v.minutes === now ? 'correct.same' : null),
      summary: (v) => {
        const delta = v.minutes - now;
        return t('correct.confirm', {
          ...what, to: hours(v.minutes), reason: v.reason,
          change: t(delta < 0 ? 'correct.minus' : 'correct.plus', { h: hours(Math.abs(delta)) }),
        });
      },
      confirmKey: 'correct.yes',
      send: (v) => api(`/api/v1/ledger/${seg(String(line.id))}/correction`, {
        method: 'POST', body: { minutes: v.minutes - now, reason: v.reason } }).then(() => v),
    });
    if (r) await afterLedgerWrite(t('correct.saved', { date: what.date, kind, h: hours(r.minutes) }));
  }

  return { correct };
}

/**
 * The form for a manual credit or a correction, in a dialog: an amount
 * (read by parseDuration from min to MAX_MINUTES) and a required reason;
 * "next" checks them and shows summary(v) for confirmation; confirming
 * calls send(v) and closes with its result. A server error brings the
 * form back with the problem next to its field. Resolves null when
 * cancelled.
 */
function ledgerDialog({ title, lead, amountKey, amountHint, min, reasonHint, initial = '', check, summary, confirmKey, send }) {
  const formNodes = [
    lead,
    el('div', { class: 'field' },
      el('label', { for: 'l-amount' }, t(amountKey)),
      el('input', { id: 'l-amount', inputmode: 'decimal', autocomplete: 'off', maxlength: '20',
        'data-hint': 'l-amount-hint', 'aria-describedby': 'l-amount-hint' }),
      el('p', { id: 'l-amount-hint', class: 'hint' }, t(amountHint)),
      el('p', { id: 'l-amount-error', class: 'field-error', hidden: true })),
    el('div', { class: 'field' },
      el('label', { for: 'l-reason' }, t('ledger.reason')),
      el('input', { id: 'l-reason', autocomplete: 'off', maxlength: '120',
        'data-hint': 'l-reason-hint', 'aria-describedby': 'l-reason-hint' }),
      el('p', { id: 'l-reason-hint', class: 'hint' }, t(reasonHint)),
      el('p', { id: 'l-reason-error', class: 'field-error', hidden: true })),
  ];
  formNodes[1].querySelector('input').value = initial;
  let stage = 'form';
  let value = null;
  const backToForm = (box) => {
    stage = 'form';
    box.setBody(formNodes);
    box.setSubmit('ledger.next');
    box.setCancel('common.cancel');
    box.message('');
  };
  return openDialog({
    title, body: formNodes, submitKey: 'ledger.next', id: 'ledger-dialog',
    onCancel: (box) => {
      if (stage !== 'confirm') return true;
      backToForm(box);
      document.getElementById('l-amount').focus();
      return false;
    },
    onSubmit: async (box) => {
      if (stage === 'form') {
        const amount = parseDuration(document.getElementById('l-amount').value, { min, max: MAX_MINUTES });
        const reason = parseText(document.getElementById('l-reason').value, { max: TEXT_CHARS });
        const problems = [];
        if (amount.error) problems.push(['l-amount', t(amount.error, { max: hours(MAX_MINUTES) })]);
        if (reason.error) problems.push(['l-reason', t(reason.error === 'input.text.empty' ? 'ledger.reason.empty' : reason.error, { max: TEXT_CHARS })]);
        if (!problems.length && check) {
          const bad = check({ minutes: amount.minutes });
          if (bad) problems.push(['l-amount', t(bad)]);
        }
        if (problems.length) {
          problems.forEach(([id, msg], i) => fieldError(id, msg, i === 0));
          return false;
        }
        value = { minutes: amount.minutes, reason: reason.text };
        stage = 'confirm';
        box.setBody(el('p', { class: 'confirm-summary' }, summary(value)));
        box.setSubmit(confirmKey);
        box.setCancel('ledger.back');
        return false;
      }
      try {
        return (await send(value)) || value;
      } catch (e) {
        backToForm(box);
        const id = { minutes: 'l-amount', reason: 'l-reason', source_id: 'l-amount' }[e.field];
        if (id && (e.status === 400 || e.status === 409)) fieldError(id, reasonText(e));
        else box.message(errorText(e));
        return false;
      }
    },
  });
}
