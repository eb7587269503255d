// SPDX-License-Identifier: Apache-2.0
// home.js — where "home" is for whoever is signed in: administrators start
// at their meetings, members at their meetings too (then record, lessons).

/** The signed-in home path for a session from /api/v1/session. */
export function homeFor(s) {
  if (!s) return '/';
  return s.kind === 'admin' ? '/meetings.html' : '/my-meetings.html';
}
