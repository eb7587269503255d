// SPDX-License-Identifier: Apache-2.0
// input.js — forgiving readers for what administrators type into the
// portal's forms: full-width characters from a Chinese input method, a
// duration written as "1.5", "1小时30分" or "90分钟", a phone number typed
// in groups, an organisation code. Each reader returns the tidy value or
// the i18n key of the problem, so the page can show it next to the field
// before anything is sent. The server checks everything again.
//
// No imports: the browser test loads this file on its own in node.

/** Full-width ASCII (！…～, the ideographic space, 。 between digits) to
 *  plain ASCII, so "１．５" and "１。５" read as "1.5". */
export function halfWidth(s) {
  return String(s ?? '')
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0))
    .replace(/\u3000/g, ' ')
    .replace(/(\d)\u3002(\d)/g, '$1.$2');
}

/** Trims and folds runs of white space into one space. */
export function tidyText(s) {
  // \s includes the ideographic space U+3000 and line breaks.
  return String(s ?? '').replace(/\s+/g, ' ').trim();
}

const HOUR_UNITS = '(?:个小时|小时|钟头|钟|时|hours|hour|hrs|hr|h)';
const MINUTE_UNITS = '(?:分钟|分|minutes|minute|mins|min|m)';
const NUM = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const ONLY_MINUTES = new RegExp(`^${NUM}${MINUTE_UNITS}$`);
const HOURS_MAYBE_MINUTES = new RegExp(`^${NUM}(?:${HOUR_UNITS}(?:(\\d+)${MINUTE_UNITS}?)?)?$`);

/**
 * Reads a duration. A bare number is hours ("1.5" → 90); units may be
 * written in Chinese or English ("90分钟", "1小时30分", "1h30m", "2 hours").
 * Returns {minutes} (a whole number, rounded) or {error: key} with key one
 * of 'input.duration.empty', 'input.duration.format', 'input.duration.zero'
 * (under min, which is 0 or 1), 'input.duration.too_big' (over max).
 * min/max bound the result in minutes.
 */
export function parseDuration(text, { min = 1, max = 6000 } = {}) {
  const s = halfWidth(text).toLowerCase().replace(/\s+/g, '').replace(/,/g, '.');
  if (!s) return { error: 'input.duration.empty' };
  let minutes = null;
  let m = ONLY_MINUTES.exec(s);
  if (m) minutes = Number(m[1]);
  else if ((m = HOURS_MAYBE_MINUTES.exec(s))) minutes = Number(m[1]) * 60 + (m[2] ? Number(m[2]) : 0);
  if (minutes === null || !Number.isFinite(minutes)) return { error: 'input.duration.format' };
  minutes = Math.round(minutes);
  if (minutes < min) return { error: 'input.duration.zero' };
  if (minutes > max) return { error: 'input.duration.too_big' };
  return { minutes };
}

/** A phone number as people type it: full-width digits, spaces and dashes
 *  between groups, a leading +. Returns {phone} ('' when empty) or
 *  {error: 'input.phone.format'}. The server keeps digits and the +. */
export function parsePhone(text) {
  const s = halfWidth(text).replace(/[\s\-()（）]/g, '');
  if (!s) return { phone: '' };
  if (!/^\+?\d{5,20}$/.test(s)) return { error: 'input.phone.format' };
  return { phone: s };
}

/** An organisation code: 1 to 32 ASCII letters or digits (full-width ones
 *  and surrounding spaces are tidied). Returns {code} or {error}. */
export function parseOrgCode(text) {
  const s = halfWidth(text).replace(/\s+/g, '');
  if (!s) return { error: 'input.code.empty' };
  if (!/^[A-Za-z0-9]{1,32}$/.test(s)) return { error: 'input.code.format' };
  return { code: s };
}

/** A name or reason: tidied, required, at most max characters (counted as
 *  the server counts them, by code point). Returns {text} or {error}. */
export function parseText(text, { max = 100, required = true } = {}) {
  const s = tidyText(text);
  if (!s) return required ? { error: 'input.text.empty' } : { text: '' };
  if ([...s].length > max) return { error: 'input.text.too_long' };
  // The server refuses a first character a spreadsheet would run as a formula.
  if (/^[=+\-@]/.test(s)) return { error: 'input.text.formula' };
  return { text: s };
}

/** A date as people write it (2001-07-01, 2001/7/1, 2001年7月1日, 20010701,
 *  full-width digits): the server reads all of these; this only tidies the
 *  characters. '' when empty. */
export function tidyDate(text) {
  return halfWidth(text).replace(/\s+/g, '');
}
