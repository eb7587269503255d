// SPDX-License-Identifier: Apache-2.0
// idnumber.js — forgiving input and a friendly early check for the
// 18-character resident identity number (GB 11643, ISO 7064 MOD 11-2).
// The server checks again (and checks the birth date); this only lets a
// person see a typo next to the field before anything is sent.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** Removes spaces (also full-width ones and dashes people type in groups),
 *  turns full-width digits into ASCII and a lowercase x into X. */
export function normaliseId(s) {
  return String(s ?? '')
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48))
    .replace(/[\uFF58\uFF38]/g, 'X')
    .replace(/[\s\u3000\-]/g, '')
    .toUpperCase();
}

/** The check character for the first 17 digits. */
export function checkChar(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** null when id (already normalised) looks right, else {key, vars} for t(). */
export function idProblem(id) {
  if (id.length !== 18) return { key: 'id.length', vars: { n: id.length } };
  if (!/^\d{17}[\dX]$/.test(id)) return { key: 'id.format', vars: {} };
  if (checkChar(id) !== id[17]) return { key: 'id.check', vars: {} };
  return null;
}
