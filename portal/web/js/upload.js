// SPDX-License-Identifier: Apache-2.0
// upload.js — sends a file over the server's resumable chunked upload
// (POST /api/v1/uploads, PUT /api/v1/uploads/{id}?offset=N, GET for where
// to continue). Chunks go by XMLHttpRequest so progress moves within a
// chunk too. When the connection drops, it waits and asks the server how
// much arrived, then continues from there, for as long as the page is
// open (the wait grows to 15 s). The upload id is remembered per file in
// localStorage, so choosing the same file again after a reload resumes.

import { api, ApiError } from './api.js';

const CHUNK = 1 << 20; // 1 MiB: small enough to resume cheaply on a phone

function key(file) { return `yj.upload.${file.name}.${file.size}.${file.lastModified}`; }

function putChunk(id, offset, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', `/api/v1/uploads/${encodeURIComponent(id)}?offset=${offset}`);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch { /* none */ }
      if (x.status >= 200 && x.status < 300) resolve(body);
      else reject(new ApiError(x.status, body));
    };
    x.onerror = () => reject(new ApiError(0, null));
    x.onabort = () => reject(new ApiError(0, null));
    x.send(blob);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Uploads file; returns the upload id once every byte is on the server.
 * onState({sent, size, retrying}) is called as it goes. A 4xx other than
 * an offset mismatch is thrown (the caller shows it).
 */
export async function uploadFile(file, onState) {
  let id = null, received = 0, chunkMax = CHUNK;
  const saved = localStorage.getItem(key(file));
  if (saved) {
    try {
      const u = await api('/api/v1/uploads/' + encodeURIComponent(saved));
      if (u.size === file.size) { id = saved; received = u.received; chunkMax = u.chunk_max || CHUNK; }
    } catch { /* gone: start again */ }
  }
  if (!id) {
    const u = await api('/api/v1/uploads', { method: 'POST', body: { filename: file.name, size: file.size } });
    id = u.id; received = u.received || 0; chunkMax = u.chunk_max || CHUNK;
    localStorage.setItem(key(file), id);
  }
  const size = Math.min(CHUNK, chunkMax);
  let wait = 1000;
  onState({ sent: received, size: file.size, retrying: false });
  while (received < file.size) {
    const end = Math.min(file.size, received + size);
    try {
      const r = await putChunk(id, received, file.slice(received, end),
        (n) => onState({ sent: received + n, size: file.size, retrying: false }));
      received = r && typeof r.received === 'number' ? r.received : end;
      wait = 1000;
      onState({ sent: received, size: file.size, retrying: false });
    } catch (e) {
      if (e.status === 409 && e.code === 'offset_mismatch') {
        const u = await api('/api/v1/uploads/' + encodeURIComponent(id));
        received = u.received;
        continue;
      }
      if (e.status !== 0 && e.status < 500 && e.status !== 409) throw e;
      // Dropped connection (or the server busy): wait, ask where to go on.
      onState({ sent: received, size: file.size, retrying: true });
      await sleep(wait);
      wait = Math.min(wait * 2, 15000);
      try { received = (await api('/api/v1/uploads/' + encodeURIComponent(id))).received; } catch { /* still down */ }
    }
  }
  return id;
}

/** Forgets the remembered upload of file (after it became a lesson). */
export function forgetUpload(file) { localStorage.removeItem(key(file)); }
