// SPDX-License-Identifier: Apache-2.0
// api.js — the one place pages talk to /api/v1. Uses the yj_session cookie
// set at sign-in (same origin), turns every failure into an ApiError that
// carries the server's {code, field, message} (and the import's bad rows),
// and sends the browser to the sign-in page when a session has expired.

export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    const e = body?.error || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;          // 0 when the server could not be reached
    this.code = e.code || (status === 0 ? 'network' : 'http_' + status);
    this.field = e.field || null;
    this.rows = Array.isArray(e.rows) ? e.rows : null;     // import: the bad rows
    this.rowsTruncated = e.rows_truncated === true;       // import: more than listed
    this.retryAfter = retryAfter;  // seconds, for 429
  }
}

/**
 * Calls path (e.g. '/api/v1/orgs') and returns the parsed JSON body (null
 * for 204). body: a plain object is sent as JSON; a string or Blob as is
 * with the given contentType. Throws ApiError. A 401 on any call but the
 * sign-in ones redirects to the sign-in page unless noRedirect is set.
 */
export async function api(path, { method = 'GET', body, contentType, noRedirect = false } = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined && body !== null) {
    if (typeof body === 'string' || body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = contentType || 'text/plain; charset=utf-8';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { /* not JSON: keep null */ }
  }
  if (res.ok) return json;
  if (res.status === 401 && !noRedirect) {
    goSignIn();
    // Keep callers from drawing an error while the page unloads.
    await new Promise(() => {});
  }
  const ra = Number(res.headers.get('Retry-After'));
  throw new ApiError(res.status, json, Number.isFinite(ra) && ra > 0 ? ra : null);
}

/** Sends the browser to the sign-in page, coming back here afterwards. */
export function goSignIn() {
  const next = location.pathname + location.search;
  location.href = '/?next=' + encodeURIComponent(next);
}

/** The signed-in principal ({kind, name, username|id_number}) or null. */
export async function session() {
  try {
    return await api('/api/v1/session', { noRedirect: true });
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** Like session() but redirects to sign-in when nobody is signed in. */
export async function requireSession() {
  const s = await session();
  if (!s) {
    goSignIn();
    await new Promise(() => {});
  }
  return s;
}

export async function signOut() {
  try { await api('/api/v1/session', { method: 'DELETE', noRedirect: true }); } catch { /* gone anyway */ }
  location.href = '/';
}

/** encodeURIComponent for one path segment. */
export const seg = encodeURIComponent;
