// SPDX-License-Identifier: Apache-2.0
// org_admin.js — changing the organisation tree from the organisation
// page: create a child of the chosen organisation (POST /api/v1/orgs),
// rename it and move it under another parent of the administrator's
// subtree (PATCH /api/v1/orgs/{code}), and delete it (DELETE …; the
// server refuses with 409 org_not_empty while it still has members,
// sub-organisations or administrator accounts, and the page says which,
// with what to do). Every action is a dialog (dialog.js) that stays open
// with the problem next to its field until it succeeds or is cancelled;
// the tree is then loaded again from the server.
//
// The administrator's own top organisation (a root of their tree) cannot
// be moved or deleted by them (the server answers 403); those buttons are
// hidden for it.

import { api, seg } from './api.js';
import { has, t } from './i18n.js';
import { el, errorText, fieldError, notice } from './ui.js';
import { openDialog } from './dialog.js';
import { parseOrgCode, parseText } from './input.js';

const TEXT_CHARS = 100; // the server's limit for a name, in characters
const CODE_MAX = 32;

function reasonText(e) {
  return e.code && has('reason.' + e.code) ? t('reason.' + e.code) : t('reason.invalid');
}

function field(id, labelKey, hintKey, attrs = {}) {
  return el('div', { class: 'field' },
    el('label', { for: id }, t(labelKey)),
    el('input', { id, autocomplete: 'off', 'data-hint': hintKey ? id + '-hint' : null,
      'aria-describedby': hintKey ? id + '-hint' : null, ...attrs }),
    hintKey ? el('p', { id: id + '-hint', class: 'hint' }, t(hintKey)) : null,
    el('p', { id: id + '-error', class: 'field-error', hidden: true }));
}

/**
 * Wires the buttons of the "manage this organisation" card. state is
 * orgs.js's state (byCode, children, roots, code, summary);
 * reloadTree(code) loads the tree again and opens code. Returns {draw()}
 * to call when the chosen organisation changes.
 */
export function setupOrgAdmin(state, reloadTree) {
  const saved = document.getElementById('org-saved');
  const chosen = () => state.byCode.get(state.code);
  const isRoot = (o) => state.roots.some((r) => r.code === o.code);

  function descendants(code) {
    const out = new Set();
    const walk = (c) => { for (const k of state.children.get(c) || []) { out.add(k.code); walk(k.code); } };
    walk(code);
    return out;
  }

  function draw() {
    const o = chosen();
    if (!o) return;
    const root = isRoot(o);
    document.getElementById('org-move').hidden = root;
    document.getElementById('org-delete').hidden = root;
    document.getElementById('org-root-hint').hidden = !root;
  }

  /** A free code under parent: its code and the next unused two digits. */
  function suggestCode(parent) {
    for (let i = 1; i < 100; i++) {
      const c = parent.code + String(i).padStart(2, '0');
      if (c.length > CODE_MAX) return '';
      if (!state.byCode.has(c)) return c;
    }
    return '';
  }

  async function done(code, message) {
    try {
      await reloadTree(code);
    } catch (e) {
      notice(saved, errorText(e));
      return;
    }
    notice(saved, message, 'ok');
    saved.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  // Shows a server error next to the dialog field it names, else in the box.
  const showError = (box, e, ids) => {
    const id = ids[e.field];
    if (id && e.status >= 400 && e.status < 500 && document.getElementById(id)) fieldError(id, reasonText(e));
    else box.message(e.status === 400 || e.status === 409 ? reasonText(e) : errorText(e));
  };

  async function add() {
    const parent = chosen();
    notice(saved, '', 'ok');
    const codeField = field('o-code', 'org.code', 'org.code.hint', { maxlength: '40', inputmode: 'text', spellcheck: 'false' });
    codeField.querySelector('input').value = suggestCode(parent);
    const r = await openDialog({
      title: t('org.add.title'),
      id: 'org-dialog',
      body: [
        el('p', {}, t('org.add.parent', { name: parent.name, code: parent.code })),
        field('o-name', 'org.name', 'org.name.hint', { maxlength: '120' }),
        codeField,
      ],
      submitKey: 'org.add.yes',
      onSubmit: async (box) => {
        const name = parseText(document.getElementById('o-name').value, { max: TEXT_CHARS });
        const code = parseOrgCode(document.getElementById('o-code').value);
        const problems = [];
        if (name.error) problems.push(['o-name', t(name.error, { max: TEXT_CHARS })]);
        if (code.error) problems.push(['o-code', t(code.error)]);
        if (problems.length) { problems.forEach(([id, m], i) => fieldError(id, m, i === 0)); return false; }
        try {
          return await api('/api/v1/orgs', { method: 'POST', body: { code: code.code, name: name.text, parent_code: parent.code } });
        } catch (e) {
          showError(box, e, { code: 'o-code', name: 'o-name' });
          return false;
        }
      },
    });
    if (r) await done(r.code, t('org.add.done', { name: r.name, parent: parent.name }));
  }

  async function rename() {
    const o = chosen();
    notice(saved, '', 'ok');
    const nameField = field('o-name', 'org.new_name', 'org.name.hint', { maxlength: '120' });
    nameField.querySelector('input').value = o.name;
    const r = await openDialog({
      title: t('org.rename.title', { name: o.name }),
      id: 'org-dialog',
      body: nameField,
      submitKey: 'org.rename.yes',
      onSubmit: async (box) => {
        const name = parseText(document.getElementById('o-name').value, { max: TEXT_CHARS });
        if (name.error) { fieldError('o-name', t(name.error, { max: TEXT_CHARS })); return false; }
        if (name.text === o.name) { fieldError('o-name', t('org.rename.same')); return false; }
        try {
          return await api(`/api/v1/orgs/${seg(o.code)}`, { method: 'PATCH', body: { name: name.text } });
        } catch (e) {
          showError(box, e, { name: 'o-name' });
          return false;
        }
      },
    });
    if (r) await done(r.code, t('org.rename.done', { from: o.name, to: r.name }));
  }

  async function move() {
    const o = chosen();
    notice(saved, '', 'ok');
    const inside = descendants(o.code);
    const options = state.orgs.filter((p) => p.code !== o.code && !inside.has(p.code) && p.code !== o.parent_code);
    const top = Math.min(...state.orgs.map((p) => p.depth ?? 0));
    const below = inside.size;
    const members = state.summary && state.summary.org?.code === o.code ? state.summary.member_count : null;
    const select = el('select', { id: 'o-parent' },
      el('option', { value: '' }, t('org.move.choose')),
      options.map((p) => el('option', { value: p.code },
        '\u3000'.repeat(Math.max(0, (p.depth ?? 0) - top)) + `${p.name}（${p.code}）`)));
    const parent = state.byCode.get(o.parent_code);
    const body = [
      el('p', {}, t('org.move.now', { name: o.name, parent: parent ? parent.name : o.parent_code || t('common.none') })),
      el('div', { class: 'field' },
        el('label', { for: 'o-parent' }, t('org.move.to')),
        select,
        el('p', { id: 'o-parent-error', class: 'field-error', hidden: true })),
      el('p', { class: 'hint' }, members === null ? t('org.move.together_short', { n: below })
        : below ? t('org.move.together', { n: below, m: members })
          : t('org.move.members_only', { m: members })),
    ];
    if (!options.length) body.splice(1, 2, el('p', { class: 'notice notice-info' }, t('org.move.none')));
    const r = await openDialog({
      title: t('org.move.title', { name: o.name }),
      id: 'org-dialog',
      body,
      submitKey: options.length ? 'org.move.yes' : null,
      onSubmit: async (box) => {
        const to = select.value;
        if (!to) { fieldError('o-parent', t('org.move.need')); return false; }
        try {
          return await api(`/api/v1/orgs/${seg(o.code)}`, { method: 'PATCH', body: { parent_code: to } });
        } catch (e) {
          showError(box, e, { parent_code: 'o-parent' });
          return false;
        }
      },
    });
    if (r) {
      const p = state.byCode.get(r.parent_code);
      await done(r.code, t('org.move.done', { name: r.name, parent: p ? p.name : r.parent_code }));
    }
  }

  /** Plain words for a refused delete, from the tree as the server now has it. */
  async function notEmptyText(o) {
    let fresh = o, kids = (state.children.get(o.code) || []).length;
    try {
      const all = (await api('/api/v1/orgs')).orgs || [];
      fresh = all.find((x) => x.code === o.code) || o;
      kids = all.filter((x) => x.parent_code === o.code).length;
    } catch { /* keep what the page has */ }
    const parts = [];
    if (fresh.member_count > 0) parts.push(t('org.delete.members', { n: fresh.member_count }));
    if (kids > 0) parts.push(t('org.delete.children', { n: kids }));
    if (!parts.length) return t('org.delete.admins', { name: o.name });
    return t('org.delete.not_empty', { name: o.name, what: parts.join(t('org.delete.and')) });
  }

  async function remove() {
    const o = chosen();
    notice(saved, '', 'ok');
    const parentCode = o.parent_code;
    const r = await openDialog({
      title: t('org.delete.title', { name: o.name }),
      id: 'org-dialog',
      body: [
        el('p', {}, t('org.delete.body', { name: o.name, code: o.code })),
        el('p', { class: 'hint' }, t('org.delete.rule')),
      ],
      submitKey: 'org.delete.yes',
      danger: true,
      onSubmit: async (box) => {
        try {
          await api(`/api/v1/orgs/${seg(o.code)}`, { method: 'DELETE' });
          return true;
        } catch (e) {
          if (e.status === 409) {
            box.message(await notEmptyText(o));
            box.lockSubmit();
            box.setCancel('common.close');
          } else {
            box.message(errorText(e));
          }
          return false;
        }
      },
    });
    if (r) await done(parentCode, t('org.delete.done', { name: o.name }));
  }

  document.getElementById('org-add').addEventListener('click', add);
  document.getElementById('org-rename').addEventListener('click', rename);
  document.getElementById('org-move').addEventListener('click', move);
  document.getElementById('org-delete').addEventListener('click', remove);
  return { draw };
}
