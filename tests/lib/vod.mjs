// SPDX-License-Identifier: Apache-2.0
// Helpers for the course-library tests: members to sign in as, test
// videos made with Debian's ffmpeg, chunked uploads, waiting for a lesson
// to be transcoded, and reading HLS output with ffprobe.
import { spawnSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// An 18-digit identity number with a valid ISO 7064 MOD 11-2 check digit.
export function idNumber(seq, birth = '19800101', area = '330102') {
  const body = area + birth + String(seq).padStart(3, '0');
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * w[i];
  return body + '10X98765432'[s % 11];
}

function b64url(buf) {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function sql(d, text) {
  const r = spawnSync('sqlite3', ['-bail', join(d.dir, 'yuanjiao.db')], { input: `.timeout 5000\n${text}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error('sqlite3: ' + r.stderr);
  return r.stdout;
}

// Adds a member with a password. Uses the records API when it exists
// (POST /api/v1/members), else writes the row directly (the records
// subsystem may not be merged yet).
export async function addMember(d, { id, name = '测试党员', org = '33010101', password = 'member-pass-1' }) {
  const admin = await d.login('district');
  const r = await d.api('/api/v1/members', { method: 'POST', token: admin, body: { id_number: id, name, org_code: org } });
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, 1000, 32, 'sha256');
  const enc = `pbkdf2-sha256$1000$${b64url(salt)}$${b64url(hash)}`;
  if (r.status !== 201) {
    const gender = Number(id[16]) % 2 ? 'male' : 'female';
    const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
    sql(d, `INSERT INTO members(id_number, name, gender, birth_date, org_id, created_at, updated_at)
            SELECT '${id}', '${name}', '${gender}', '${birth}', id, 0, 0 FROM orgs WHERE code = '${org}';`);
  }
  sql(d, `UPDATE members SET password_hash = '${enc}' WHERE id_number = '${id}';`);
  return { id, password };
}

export async function loginMember(d, id, password = 'member-pass-1') {
  const r = await d.api('/api/v1/session', { method: 'POST', body: { id_number: id, password } });
  if (r.status !== 201) throw new Error(`member login ${id}: ${r.status} ${r.text}`);
  return r.json.token;
}

// A test video with ffmpeg's lavfi sources: moving pattern + tone.
export function makeVideo(path, { seconds = 8, size = '1280x720', rate = 25, audio = true } = {}) {
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push(path);
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error('ffmpeg: ' + r.stderr);
  return path;
}

// A phone-style recording: the pixels stay landscape, a display matrix
// says "turn 90°" (what ffprobe reports as rotation=90).
export function makeRotated(path, opts = {}) {
  const plain = path.replace(/\.mp4$/, '.plain.mp4');
  makeVideo(plain, opts);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path],
    { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error('ffmpeg: ' + r.stderr);
  return path;
}

// PSNR (dB, average) of video a against reference b, both decoded by
// ffmpeg (which applies b's rotation itself) and scaled to w x h.
export function psnr(a, b, w, h) {
  const r = spawnSync('ffmpeg', ['-v', 'info', '-nostats', '-i', a, '-i', b, '-lavfi',
    `[0:v]setpts=PTS-STARTPTS,scale=${w}:${h}[x];[1:v]setpts=PTS-STARTPTS,scale=${w}:${h}[y];[x][y]psnr`,
    '-f', 'null', '-'], { encoding: 'utf8', timeout: 120000 });
  const m = /PSNR .*average:([\d.]+|inf)/.exec(r.stderr);
  if (!m) throw new Error('ffmpeg psnr: ' + r.stderr.slice(-2000));
  return m[1] === 'inf' ? 99 : Number(m[1]);
}

// Uploads a file in chunks; returns the upload object.
export async function upload(d, token, path, { chunk = 256 * 1024, stopAfter = Infinity } = {}) {
  const data = readFileSync(path);
  let r = await d.api('/api/v1/uploads', { method: 'POST', token, body: { filename: path.split('/').pop(), size: data.length } });
  if (r.status !== 201) throw new Error(`upload create: ${r.status} ${r.text}`);
  const id = r.json.id;
  let off = 0, n = 0;
  while (off < data.length && n < stopAfter) {
    const part = data.subarray(off, off + chunk);
    r = await d.api(`/api/v1/uploads/${id}?offset=${off}`, { method: 'PUT', token, body: part, headers: { 'Content-Type': 'application/octet-stream' } });
    if (r.status !== 200) throw new Error(`upload put: ${r.status} ${r.text}`);
    off = r.json.received;
    n++;
  }
  return { id, size: data.length, received: off, data };
}

// Polls a lesson until it is ready or failed.
export async function waitLesson(d, token, id, { timeout = 120000 } = {}) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeout) {
    last = await d.api(`/api/v1/lessons/${id}`, { token });
    if (last.status === 200 && last.json.status !== 'processing') return last.json;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`lesson ${id} not ready in ${timeout} ms: ${last && last.text}`);
}

export function ffprobe(args) {
  const r = spawnSync('ffprobe', ['-v', 'error', ...args], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error('ffprobe: ' + r.stderr);
  return r.stdout;
}

export function fileSize(p) { return statSync(p).size; }
