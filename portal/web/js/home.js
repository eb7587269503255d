// SPDX-License-Identifier: Apache-2.0
// home.js — where "home" is for whoever is signed in: the page sign-in
// lands on (administrators: organisations; members: their record).

/** The signed-in home path for a session from /api/v1/session. */
export function homeFor(s) {
  if (!s) return '/';
  return s.kind === 'admin' ? '/orgs.html' : '/record.html';
}
