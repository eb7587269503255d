// SPDX-License-Identifier: Apache-2.0
// Serving HLS: signed URLs (tampered → 403, expired → 403 "expired",
// re-signed by the test with the server's key → 200, proving the scheme),
// path traversal → 404, Range / ETag / Last-Modified / 304 and the
// immutable Cache-Control on segments, the player page and hls.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../lib/vod.mjs';

let d, admin, lesson, prefix, tok;

before(async () => {
  d = await startDaemon();
  admin = await d.login('district');
  lesson = await waitLesson(d, admin, 1, { timeout: 180000 });
  const m = await addMember(d, { id: idNumber(31) });
  tok = await loginMember(d, m.id);
  const r = await d.api('/api/v1/lessons/1', { token: tok });
  prefix = r.json.hls_path.replace(/master\.m3u8$/, '');
});

after(async () => { if (d) await d.stop(); });

// Raw GET so that "..", "%2e" and friends reach the server unnormalised.
function rawGet(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: d.port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function b64url(buf) { return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); }

test('segments: sendfile with Range, ETag, Last-Modified, 304 and immutable caching', async () => {
  const url = prefix + '720p/seg00000.ts';
  const full = await rawGet(url);
  assert.equal(full.status, 200);
  assert.equal(full.headers['content-type'], 'video/mp2t');
  assert.equal(full.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(full.headers['accept-ranges'], 'bytes');
  assert.ok(full.headers.etag);
  assert.ok(full.headers['last-modified']);
  assert.equal(full.body[0], 0x47, 'MPEG-TS sync byte');
  assert.equal(Number(full.headers['content-length']), full.body.length);
  let r = await rawGet(url, { Range: 'bytes=188-375' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], `bytes 188-375/${full.body.length}`);
  assert.deepEqual(r.body, full.body.subarray(188, 376));
  r = await rawGet(url, { Range: 'bytes=-188' });
  assert.equal(r.status, 206);
  assert.deepEqual(r.body, full.body.subarray(full.body.length - 188));
  r = await rawGet(url, { Range: `bytes=${full.body.length + 10}-` });
  assert.equal(r.status, 416);
  r = await rawGet(url, { 'If-None-Match': full.headers.etag });
  assert.equal(r.status, 304);
  assert.equal(r.body.length, 0);
  r = await rawGet(url, { 'If-Modified-Since': full.headers['last-modified'] });
  assert.equal(r.status, 304);
  r = await rawGet(url, { 'If-None-Match': '"other"' });
  assert.equal(r.status, 200);
  // Playlists: cacheable only until the URL expires.
  r = await rawGet(prefix + 'master.m3u8');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/vnd.apple.mpegurl');
  const maxAge = Number(/max-age=(\d+)/.exec(r.headers['cache-control'])[1]);
  const exp = Number(prefix.split('/')[4]);
  assert.ok(maxAge > 0 && maxAge <= exp - Math.floor(Date.now() / 1000) + 2, r.headers['cache-control']);
  r = await rawGet(prefix + '360p/index.m3u8');
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /^#EXTM3U[\s\S]*seg00000\.ts/);
});

test('signed URLs: tampering is 403, expiry is 403 "expired", the scheme is HMAC', async () => {
  const [, , l, who, exp, sig] = prefix.split('/');
  const flip = (s) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  for (const bad of [
    `/hls/${l}/${who}/${exp}/${flip(sig)}/master.m3u8`,
    `/hls/${l}/${flip(who)}/${exp}/${sig}/master.m3u8`,
    `/hls/${l}/${who}/${Number(exp) + 3600}/${sig}/master.m3u8`,
    `/hls/2/${who}/${exp}/${sig}/master.m3u8`,
    `/hls/${l}/${who}/${exp}/short/master.m3u8`,
  ]) {
    const r = await rawGet(bad);
    assert.equal(r.status, 403, bad);
    assert.equal(JSON.parse(r.body).error.code, 'bad_signature');
  }
  // Sign with the key from the settings table: an expired URL is refused,
  // a valid one accepted.
  const key = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), "SELECT value FROM settings WHERE key = 'vod.url_key'"], { encoding: 'utf8' }).stdout.trim();
  assert.ok(key.length >= 43);
  const sign = (e) => b64url(createHmac('sha256', key).update(`${l}/${who}/${e}`).digest());
  const past = Math.floor(Date.now() / 1000) - 10;
  let r = await rawGet(`/hls/${l}/${who}/${past}/${sign(past)}/master.m3u8`);
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, 'expired');
  const future = Math.floor(Date.now() / 1000) + 100;
  r = await rawGet(`/hls/${l}/${who}/${future}/${sign(future)}/master.m3u8`);
  assert.equal(r.status, 200);
});

test('path traversal and other files are 404', async () => {
  const [, , l, who, exp, sig] = prefix.split('/');
  const base = `/hls/${l}/${who}/${exp}/${sig}/`;
  for (const p of ['../../../yuanjiao.db', '..%2f..%2f..%2fyuanjiao.db', '%2e%2e/%2e%2e/yuanjiao.db',
    '720p/..%2F..%2F..%2Fyuanjiao.db', '720p/%2E%2E/%2E%2E/%2E%2E/yuanjiao.db', '720p/seg0.ts',
    'index.m3u8', '720p%2fseg00000.ts%2f..', '/etc/passwd', 'master.m3u8/x',
    '720p/seg99999.ts', '..\\..\\yuanjiao.db']) {
    const r = await rawGet(base + p);
    assert.equal(r.status, 404, `${p} → ${r.status}`);
  }
  // Even a valid signature for a lesson that does not exist.
  const r = await rawGet(`/hls/999/${who}/${exp}/${sig}/master.m3u8`);
  assert.ok(r.status === 403 || r.status === 404);
});

test('the player page and hls.js are served', async () => {
  let r = await rawGet('/learn/1');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /text\/html/);
  assert.match(r.body.toString(), /<html lang="zh-CN"/);
  r = await rawGet('/vendor/hls.min.js');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /javascript/);
  assert.ok(r.body.length > 100000);
  r = await rawGet('/learn');
  assert.equal(r.status, 200);
});
