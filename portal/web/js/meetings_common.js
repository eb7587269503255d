// SPDX-License-Identifier: Apache-2.0
// meetings_common.js — what the meeting pages share: one line per meeting
// (title, type, when in the configured time zone, who holds it), the words
// for a meeting's state, and the error words for the meeting API's codes.

import { dateTime, has, t } from './i18n.js';
import { el, errorText } from './ui.js';

/** "2026-12-08 09:00 – 10:30" in the configured time zone. */
export function when(m) {
  const start = new Date(m.started_at || m.start);
  const end = m.ended_at ? new Date(m.ended_at) : new Date(start.getTime() + m.duration_minutes * 60000);
  return `${dateTime(start.toISOString())} – ${dateTime(end.toISOString()).slice(11)}`;
}

export function typeName(m) {
  return has('mtg.type.' + m.type) ? t('mtg.type.' + m.type) : (m.type_name || m.type);
}

/** The host's name: a member's real name; an administrator's account. */
export function hostName(m) {
  if (!m.host) return t('common.none');
  return m.host.kind === 'member' ? m.host.name : t('mtg.host_admin', { name: m.host.name });
}

export function statusBadge(m) {
  const cls = m.status === 'live' ? 'badge badge-live' : 'badge badge-soft';
  return el('span', { class: cls }, t('mtg.status.' + (m.status === 'live' ? 'live' : m.status === 'ended' ? 'ended' : 'scheduled')));
}

/** Words for an error from the meeting API, in the page's language. */
export function meetingError(e) {
  if (e && e.code && has('reason.' + e.code)) return t('reason.' + e.code);
  // Never the server's English: a 4xx without words of its own is "wrong".
  if (e && e.status >= 400 && e.status < 500 && ![401, 403, 404, 429].includes(e.status)) return t('reason.invalid');
  return errorText(e);
}
