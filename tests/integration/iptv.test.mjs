// SPDX-License-Identifier: Apache-2.0
// IPTV channels and schedules through the real daemon: the channels and
// programmes API with its refusals (each naming the field, changing
// nothing), the schedule as the playout is told it, the M3U read by a
// strict parser, the XMLTV guide validated by xmllint against Debian's
// xmltv.dtd, stations and their keys (revocation), the live HLS folder
// served with the key carried on, and the demo channel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { addMember, loginMember, idNumber } from '../lib/vod.mjs';

const DTD = '/usr/share/xmltv/xmltv.dtd';
let d, admin, qingshan, member;

// ms → "YYYY-MM-DDTHH:MM:SS+08:00"
export function iso8(ms) {
  return new Date(ms + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00';
}

before(async () => {
  d = await startDaemon();
  admin = await d.login('district');
  qingshan = await d.login('qingshan');
  const m = await addMember(d, { id: idNumber(71), org: '33010101' });
  member = await loginMember(d, m.id);
});

after(async () => { if (d) await d.stop(); });

const post = (path, body, token = admin) => d.api(path, { method: 'POST', body, token });
const patch = (path, body, token = admin) => d.api(path, { method: 'PATCH', body, token });

// A strict reader of the extended M3U dialect: every line is either the
// header, an #EXTINF with quoted attributes and a name, or the URL after
// it. Throws on anything else.
export function parseM3u(text) {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  const head = /^#EXTM3U((?: [a-z-]+="[^"\n]*")*)$/.exec(lines[0]);
  assert.ok(head, 'header: ' + lines[0]);
  const attrs = (s) => Object.fromEntries([...s.matchAll(/ ([a-z-]+)="([^"\n]*)"/g)].map((m) => [m[1], m[2]]));
  const out = { header: attrs(head[1]), channels: [] };
  for (let i = 1; i < lines.length; i += 2) {
    const inf = /^#EXTINF:-1((?: [a-z-]+="[^"\n]*")*),([^\n]*)$/.exec(lines[i]);
    assert.ok(inf, 'EXTINF line: ' + JSON.stringify(lines[i]));
    const url = lines[i + 1];
    assert.ok(url && /^(udp|rtp|https?):\/\/\S+$/.test(url), 'URL line: ' + JSON.stringify(url));
    const a = attrs(inf[1]);
    for (const k of ['tvg-id', 'tvg-name', 'tvg-logo', 'tvg-chno', 'group-title']) assert.ok(k in a, k);
    out.channels.push({ ...a, name: inf[2], url });
  }
  return out;
}

test('channels: create, refuse bad fields by name, authority by the org tree', async () => {
  let r = await post('/api/v1/channels', { number: 10, name: '党建频道', group: '党建', orgs: ['330101'],
    address: '239.1.1.10', port: 5004, protocol: 'rtp', bitrate: 800000, ttl: 8 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.bitrate, 800000);
  assert.equal(r.json.url, 'rtp://@239.1.1.10:5004');
  assert.equal(r.json.multicast, true);
  assert.deepEqual(r.json.orgs.map((o) => o.code), ['330101']);
  const id = r.json.id;
  const bad = [
    [{ bitrate: 100 }, 'bitrate'],
    [{ bitrate: '2M' }, 'bitrate'],
    [{ address: '300.1.1.1' }, 'address'],
    [{ address: '0.0.0.0' }, 'address'],
    [{ address: '239.1.1.11', interface: '239.9.9.9' }, 'interface'],
    [{ port: 70000 }, 'port'],
    [{ protocol: 'tcp' }, 'protocol'],
    [{ name: '换行\n名字' }, 'name'],
    [{ logo_url: 'javascript:alert(1)' }, 'logo_url'],
    [{ orgs: ['999999'] }, 'orgs[0]'],
  ];
  for (const [body, field] of bad) {
    r = await post('/api/v1/channels', { number: 11, name: '坏', address: '239.1.1.11', port: 5004, ...body });
    assert.ok(r.status === 400 || r.status === 404, `${JSON.stringify(body)}: ${r.status}`);
    assert.equal(r.json.error.field, field, r.text);
  }
  r = await post('/api/v1/channels', { number: 10, name: '重号', address: '239.1.1.12', port: 5004 });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.field, 'number');
  r = await post('/api/v1/channels', { number: 12, name: '重址', address: '239.1.1.10', port: 5004 });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.field, 'address');
  // nothing was added by the refusals
  r = await d.api('/api/v1/channels', { token: admin });
  assert.deepEqual(r.json.channels.map((c) => c.number).sort(), [1, 10]);
  // a township administrator sees the district's channels that serve it, cannot change them
  r = await d.api('/api/v1/channels', { token: qingshan });
  assert.ok(r.json.channels.some((c) => c.id === id && c.editable === false));
  r = await patch(`/api/v1/channels/${id}`, { bitrate: 900000 }, qingshan);
  assert.equal(r.status, 403);
  // members: channels serving their organisation or above; may not create
  r = await d.api('/api/v1/channels', { token: member });
  assert.ok(r.json.channels.some((c) => c.id === id));
  r = await post('/api/v1/channels', { number: 13, name: 'x', address: '239.1.1.13', port: 5004 }, member);
  assert.equal(r.status, 403);
  r = await patch(`/api/v1/channels/${id}`, { bitrate: 2000000, address: '127.0.0.1', port: 6010 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.url, 'rtp://@127.0.0.1:6010');
  assert.equal(r.json.multicast, false);
  r = await d.api('/api/v1/channels');
  assert.equal(r.status, 401);
});

test('programmes: times with offsets, end after start, no overlap (abutting is fine), repeats', async () => {
  let r = await post('/api/v1/channels', { number: 20, name: '课程台', address: '239.1.1.20', port: 5004 });
  const ch = r.json.id;
  const base = Date.UTC(2026, 11, 20, 1, 0, 0); // 2026-12-20 09:00 +08:00
  const P = `/api/v1/channels/${ch}/programmes`;
  const lesson = { kind: 'lesson', lesson_id: 1 };
  r = await post(P, { ...lesson, title: '上午课', start: iso8(base), end: iso8(base + 3600e3) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.start, '2026-12-20T09:00:00+08:00');
  const first = r.json.id;
  const refusals = [
    [{ ...lesson, start: '2026-12-20T10:00:00', end: iso8(base + 7200e3) }, 400, 'start'],
    [{ ...lesson, start: iso8(base + 7200e3), end: iso8(base + 7200e3) }, 400, 'end'],
    [{ ...lesson, start: iso8(base + 7200e3), end: iso8(base + 3600e3) }, 400, 'end'],
    [{ ...lesson, start: iso8(base + 1800e3), end: iso8(base + 5400e3) }, 409, 'start'],
    [{ ...lesson, repeat: 'daily', start: iso8(base - 86400e3 + 1800e3), end: iso8(base - 86400e3 + 2400e3) }, 400, 'repeat_until'],
    [{ ...lesson, repeat: 'daily', repeat_until: iso8(base + 5 * 86400e3), start: iso8(base - 86400e3 + 1800e3), end: iso8(base - 86400e3 + 2400e3) }, 409, 'start'],
    [{ ...lesson, repeat: 'hourly', repeat_until: iso8(base + 86400e3), start: iso8(base + 7200e3), end: iso8(base + 9000e3) }, 400, 'repeat'],
    [{ kind: 'lesson', lesson_id: 9999, start: iso8(base + 7200e3), end: iso8(base + 9000e3) }, 404, 'lesson_id'],
    [{ kind: 'feed', title: '卫星', feed_url: 'http://x/y', start: iso8(base + 7200e3), end: iso8(base + 9000e3) }, 400, 'feed_url'],
    [{ kind: 'movie', start: iso8(base + 7200e3), end: iso8(base + 9000e3) }, 400, 'kind'],
  ];
  for (const [body, status, field] of refusals) {
    r = await post(P, body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error.field, field, r.text);
  }
  // abutting at 10:00 is fine; a daily series before it is fine
  r = await post(P, { kind: 'feed', title: '卫星转播', feed_url: 'udp://10.1.1.1@232.1.1.1:1234', feed_program: 2,
    start: iso8(base + 3600e3), end: iso8(base + 7200e3) });
  assert.equal(r.status, 201, r.text);
  r = await post(P, { ...lesson, title: '晨读', repeat: 'daily', repeat_until: iso8(base + 10 * 86400e3),
    start: iso8(base - 3600e3), end: iso8(base) });
  assert.equal(r.status, 201, r.text);
  r = await d.api(`${P}`, { token: admin });
  assert.equal(r.json.programmes.length, 3);
  // what the playout is told: 10:00 exactly is the feed; the next is tomorrow's 晨读
  r = await d.api(`/api/v1/channels/${ch}/now?at=${encodeURIComponent(iso8(base + 3600e3))}`, { token: admin });
  assert.equal(r.json.now.kind, 'feed');
  assert.equal(r.json.now.start, '2026-12-20T10:00:00+08:00');
  assert.equal(r.json.next.title, '晨读');
  assert.equal(r.json.next.start, '2026-12-21T08:00:00+08:00');
  // 11:00 is a hole: the slate, with the channel's name and what comes next
  r = await d.api(`/api/v1/channels/${ch}/now?at=${encodeURIComponent(iso8(base + 7200e3))}`, { token: admin });
  assert.equal(r.json.now.kind, 'slate');
  assert.equal(r.json.now.title, '课程台');
  assert.match(r.json.now.description, /晨读.*12月21日 08:00 开始/);
  // the expanded week: 晨读 ×7, 上午课, 卫星转播, in start order, abutting
  r = await d.api(`/api/v1/channels/${ch}/schedule?from=${encodeURIComponent(iso8(base - 3600e3))}`, { token: admin });
  assert.equal(r.status, 200, r.text);
  const occ = r.json.occurrences;
  assert.equal(occ.length, 9);
  assert.equal(occ[0].end, occ[1].start);
  assert.equal(occ[1].end, occ[2].start);
  // moving a programme onto another is refused and changes nothing
  r = await patch(`${P}/${first}`, { start: iso8(base + 3000e3), end: iso8(base + 6000e3) });
  assert.equal(r.status, 409);
  r = await d.api(`${P}/${first}`, { token: admin });
  assert.equal(r.json.start, '2026-12-20T09:00:00+08:00');
  r = await d.api(`/api/v1/channels/${ch}/schedule?from=2026-12-20T09:00:00`, { token: admin });
  assert.equal(r.json.error.field, 'from');
});

test('M3U: strict parse of both forms; hostile names cannot break a line', async () => {
  let r = await post('/api/v1/channels', { number: 30, name: '引号"台,逗号', group: '组"名', address: '239.1.1.30', port: 5006,
    logo_url: 'https://example.org/logo.png' });
  assert.equal(r.status, 201, r.text);
  r = await d.api('/api/v1/channels.m3u?form=multicast', { token: admin });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /mpegurl/);
  let m = parseM3u(r.text);
  assert.ok(m.header['url-tvg'].endsWith('/api/v1/epg.xml'));
  assert.equal(m.header['x-tvg-url'], m.header['url-tvg']);
  const c30 = m.channels.find((c) => c['tvg-chno'] === '30');
  assert.equal(c30['tvg-name'], '引号 台,逗号');
  assert.equal(c30['group-title'], '组 名');
  assert.equal(c30['tvg-logo'], 'https://example.org/logo.png');
  assert.equal(c30.url, 'udp://@239.1.1.30:5006');
  const demo = m.channels.find((c) => c['tvg-chno'] === '1');
  assert.equal(demo['tvg-name'], '远教一台');
  assert.equal(demo.url, 'udp://@127.0.0.1:5004');
  r = await d.api('/api/v1/channels.m3u', { token: admin });
  m = parseM3u(r.text);
  for (const c of m.channels) assert.equal(c.url, `${d.url}/iptv/${c['tvg-id'].split('.')[0]}/live.m3u8`);
  r = await d.api('/api/v1/channels.m3u?form=dvb', { token: admin });
  assert.equal(r.json.error.field, 'form');
  // The channels above carry multicast addresses on this machine's real
  // network: the test daemon must not have put any of them on the air.
  assert.match(d.stderr, /playout=false: no channel is put on the air/);
  assert.doesNotMatch(d.stderr, /on air/);
});

test('XMLTV: valid against xmltv.dtd, +0800, abutting programmes, escaped titles', async () => {
  let r = await post('/api/v1/channels', { number: 40, name: 'EPG <台> & "引号"', address: '239.1.1.40', port: 5004 });
  const ch = r.json.id;
  const now = Date.now();
  const h0 = Math.ceil(now / 3600e3) * 3600e3;
  r = await post(`/api/v1/channels/${ch}/programmes`, { kind: 'feed', title: '<b>粗体</b> & \'单引号\'', description: '描述 ]]> <!-- x -->',
    feed_url: 'udp://@232.1.1.1:1234', start: iso8(h0), end: iso8(h0 + 3600e3) });
  assert.equal(r.status, 201, r.text);
  r = await post(`/api/v1/channels/${ch}/programmes`, { kind: 'lesson', lesson_id: 1, title: '接着', start: iso8(h0 + 3600e3),
    end: iso8(h0 + 5400e3), repeat: 'daily', repeat_until: iso8(h0 + 30 * 86400e3) });
  assert.equal(r.status, 201, r.text);
  r = await d.api('/api/v1/epg.xml', { token: admin });
  assert.equal(r.status, 200);
  const file = join(d.dir, 'epg.xml');
  writeFileSync(file, r.text);
  assert.ok(existsSync(DTD), 'xmltv-util ships ' + DTD);
  const v = spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', DTD, file], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  const progs = [...r.text.matchAll(/<programme start="(\d{14} \+0800)" stop="(\d{14} \+0800)" channel="(\d+)\.yuanjiao">/g)]
    .filter((x) => Number(x[3]) === ch);
  assert.equal(progs.length, 1 + 7, 'the feed and seven days of the daily lesson');
  assert.equal(progs[0][2], progs[1][1], 'half-open: the feed ends where the lesson starts');
  assert.ok(r.text.includes('&lt;b&gt;粗体&lt;/b&gt; &amp;'));
  assert.ok(r.text.includes('<display-name lang="zh">EPG &lt;台&gt; &amp; &quot;引号&quot;</display-name>')
    || r.text.includes('<display-name lang="zh">EPG &lt;台&gt; &amp; "引号"</display-name>'));
  // a broken document is caught by the same check (the check can fail)
  writeFileSync(file, r.text.replace('<title lang="zh">', '<title lang="zh" bogus="1">'));
  assert.notEqual(spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', DTD, file]).status, 0);
});

test('stations: key in every URL, only their channels, revoke → 403', async () => {
  // a channel only for the other township
  let r = await post('/api/v1/channels', { number: 50, name: '绿水台', orgs: ['330102'], address: '239.1.1.50', port: 5004 });
  assert.equal(r.status, 201);
  r = await post('/api/v1/stations', { name: '青山村接收站', org_code: '33010101' });
  assert.equal(r.status, 201, r.text);
  const st = r.json.station.id;
  const key = r.json.key;
  assert.match(key, /^yjst_/);
  assert.equal(r.json.station.key_hint, key.slice(0, 9));
  // the key is stored hashed, never as given
  const dump = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), 'SELECT key_hash FROM iptv_stations'], { encoding: 'utf8' });
  assert.ok(!dump.stdout.includes(key));
  r = await d.api(`/api/v1/channels.m3u?key=${key}`);
  assert.equal(r.status, 200, r.text);
  const m = parseM3u(r.text);
  const names = m.channels.map((c) => c['tvg-name']);
  assert.ok(names.includes('远教一台') && !names.includes('绿水台'), names.join());
  assert.ok(m.header['url-tvg'].endsWith(`/api/v1/epg.xml?key=${key}`));
  for (const c of m.channels) assert.ok(c.url.endsWith(`/live.m3u8?key=${key}`), c.url);
  r = await d.api(`/api/v1/epg.xml?key=${key}`);
  assert.equal(r.status, 200);
  assert.ok(!r.text.includes('绿水台'));
  r = await d.api(`/api/v1/station?key=${key}`);
  assert.equal(r.json.name, '青山村接收站');
  // the key opens nothing else
  r = await d.api(`/api/v1/stations?key=${key}`);
  assert.equal(r.status, 401);
  // live HLS: playlist rewritten with the key, segments immutable
  mkdirSync(join(d.dir, 'iptv', '1', 'hls'), { recursive: true });
  writeFileSync(join(d.dir, 'iptv', '1', 'hls', 'live.m3u8'),
    '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:2.0,\nseg00005.ts\n');
  writeFileSync(join(d.dir, 'iptv', '1', 'hls', 'seg00005.ts'), Buffer.alloc(188 * 7, 0x47));
  r = await d.api(`/iptv/1/live.m3u8?key=${key}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'public, max-age=1');
  assert.ok(r.text.includes(`seg00005.ts?key=${key}\n`), r.text);
  r = await d.api(`/iptv/1/seg00005.ts?key=${key}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  r = await d.api('/iptv/1/live.m3u8', { token: admin });
  assert.ok(r.text.includes('seg00005.ts\n') && !r.text.includes('key='));
  for (const bad of ['..%2Fyuanjiao.db', '.hidden.ts', 'x.db']) {
    r = await d.api(`/iptv/1/${bad}?key=${key}`);
    assert.equal(r.status, 404, bad);
  }
  // the other township's channel is not the station's
  r = await d.api(`/iptv/${(await d.api('/api/v1/channels', { token: admin })).json.channels.find((c) => c.number === 50).id}/live.m3u8?key=${key}`);
  assert.equal(r.status, 404);
  // revoke: a clear 403; a new key works and the old one stays dead
  r = await d.api(`/api/v1/stations/${st}/key`, { method: 'DELETE', token: admin });
  assert.equal(r.status, 200);
  assert.equal(r.json.revoked, true);
  r = await d.api(`/api/v1/channels.m3u?key=${key}`);
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'key_revoked');
  r = await d.api(`/iptv/1/live.m3u8?key=${key}`);
  assert.equal(r.status, 403);
  r = await post(`/api/v1/stations/${st}/key`, {});
  assert.equal(r.status, 201);
  const key2 = r.json.key;
  assert.equal((await d.api(`/api/v1/channels.m3u?key=${key2}`)).status, 200);
  r = await d.api(`/api/v1/channels.m3u?key=${key}`);
  assert.equal(r.json.error.code, 'invalid_key');
  // another township's administrator cannot see or revoke it
  const lvshui = await d.login('lvshui');
  r = await d.api(`/api/v1/stations/${st}/key`, { method: 'DELETE', token: lvshui });
  assert.equal(r.status, 404);
});
