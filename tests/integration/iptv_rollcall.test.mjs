// SPDX-License-Identifier: Apache-2.0
// Roll-call at a station (集中收看) through the real daemon: a creditable
// programme on the air, its start code and (a minute later, with
// [iptv] rollcall_minutes = 1) its end code; members confirm on their
// phones or the station confirms for them. The right codes credit the
// programme's minutes once (ledger kind broadcast); a wrong, late or
// replayed code, an end code without the start code and a member outside
// the station's organisation are refused and change nothing.
// Second test, the card on the air: a daemon with the playout on sends a
// creditable programme's channel to 127.0.0.1 (loopback only), captured
// by build/yj-tscheck. Each code window puts a card (its own colour, the
// code in large digits) over the programme for [iptv]
// rollcall_card_seconds; the test sees both cards in the decoded pictures
// (and the lesson between them), reads the codes the playout drew from its
// log, checks they are the API's codes, and enters them: the member is
// credited once. The stream stays valid throughout (our TS analysis).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../lib/vod.mjs';

let d, admin;
const A = idNumber(81), B = idNumber(82), C = idNumber(83), D = idNumber(84), E = idNumber(85);

function iso8(ms) { return new Date(ms + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00'; }

function ledger(id) {
  const r = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'),
    `SELECT count(*) || ' ' || COALESCE(sum(minutes), 0) FROM ledger WHERE kind = 'broadcast' AND member_id = '${id}'`],
  { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(async () => {
  d = await startDaemon({ ini: '[iptv]\nrollcall_minutes=1\n' });
  admin = await d.login('district');
  for (const id of [A, B, D, E]) await addMember(d, { id, org: '33010101' });
  await addMember(d, { id: C, org: '33010201' });
});

after(async () => { if (d) await d.stop(); });

test('right codes credit once; wrong, late and replayed codes change nothing', async () => {
  let r = await d.api('/api/v1/channels', { method: 'POST', token: admin,
    body: { number: 60, name: '党课直播', address: '239.1.1.60', port: 5004 } });
  const ch = r.json.id;
  const t0 = Math.floor(Date.now() / 1000) * 1000;
  // on the air since 50 s ago, for 2 minutes: the start code's window
  // (1 minute) is open, the end code's opens in about 10 s
  r = await d.api(`/api/v1/channels/${ch}/programmes`, { method: 'POST', token: admin, body: {
    kind: 'lesson', lesson_id: 1, title: '党课：不忘初心', creditable: true, minutes: 30,
    start: iso8(t0 - 50e3), end: iso8(t0 + 70e3) } });
  assert.equal(r.status, 201, r.text);
  const pid = r.json.id;
  r = await d.api('/api/v1/stations', { method: 'POST', token: admin, body: { name: '青山村接收站', org_code: '33010101' } });
  const st = r.json.station.id, key = r.json.key;

  r = await d.api(`/api/v1/channels/${ch}/rollcall`, { token: admin });
  assert.equal(r.json.open.length, 1, r.text);
  assert.equal(r.json.open[0].phase, 1);
  const c1 = r.json.open[0].code;
  assert.match(c1, /^\d{6}$/);
  const wrong = String((Number(c1) + 1) % 1000000).padStart(6, '0');

  const ta = await loginMember(d, A), td = await loginMember(d, D), te = await loginMember(d, E);
  const confirm = (token, body, q = '') => d.api(`/api/v1/rollcall${q}`, { method: 'POST', token, body: { channel_id: ch, ...body } });

  r = await confirm(ta, { code: wrong, station_id: st });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'code_wrong');
  r = await confirm(ta, { code: 'abc' });
  assert.equal(r.json.error.code, 'code_malformed');
  r = await confirm(ta, { code: c1, station_id: st });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].result, 'start_confirmed');
  r = await confirm(ta, { code: c1, station_id: st });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'code_used');
  // the station confirms for members present; one is not of its organisation
  r = await confirm(undefined, { code: c1, members: [B, C] }, `?key=${key}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.results.map((x) => x.result), ['start_confirmed', 'unknown_member']);

  // wait for the end code's window (condition, not a sleep)
  let c2 = null;
  for (let i = 0; i < 120 && !c2; i++) {
    r = await d.api(`/api/v1/channels/${ch}/rollcall`, { token: admin });
    c2 = r.json.open.find((o) => o.phase === 2)?.code;
    if (!c2) await new Promise((res) => setTimeout(res, 250));
  }
  assert.ok(c2, 'the end code opened');
  assert.notEqual(c2, c1);

  // the start code is now late for D
  r = await confirm(td, { code: c1 });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'code_late');
  // E never gave the start code
  r = await confirm(te, { code: c2 });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'start_missing');
  assert.equal(ledger(E), '0 0');

  assert.equal(ledger(A), '0 0');
  r = await confirm(ta, { code: c2, station_id: st });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].result, 'credited');
  assert.equal(r.json.results[0].credited, true);
  assert.equal(ledger(A), '1 30');
  // replayed: refused, still credited once
  r = await confirm(ta, { code: c2, station_id: st });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'code_used');
  assert.equal(ledger(A), '1 30');
  r = await confirm(undefined, { code: c2, members: [B] }, `?key=${key}`);
  assert.equal(r.json.results[0].result, 'credited');
  r = await confirm(undefined, { code: c2, members: [B] }, `?key=${key}`);
  assert.equal(r.status, 409);
  assert.equal(ledger(B), '1 30');
  assert.equal(ledger(C), '0 0');
  assert.equal(ledger(D), '0 0');

  // the report: the station with its two members, both credited
  r = await d.api(`/api/v1/channels/${ch}/programmes/${pid}/rollcall`, { token: admin });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.occurrences.length, 1);
  const stations = r.json.occurrences[0].stations;
  assert.equal(stations.length, 1);
  assert.equal(stations[0].name, '青山村接收站');
  assert.equal(stations[0].confirmed, 2);
  assert.deepEqual(stations[0].members.map((m) => m.id_number).sort(), [A, B].sort());
});

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function run(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (b) => { out += b; });
  p.stderr.on('data', (b) => { err += b; });
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err })));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Each decoded picture, averaged down to 8×8 cells: a card (its dark red)
// or the slate (its blue) when every cell of the top and bottom rows
// (the text is in the middle) has that colour; else other (the lesson).
function pictures(file) {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-an', '-vsync', 'passthrough',
    '-vf', 'scale=8:8:flags=area,format=rgb24', '-f', 'rawvideo', '-'], { maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, String(r.stderr));
  const out = [];
  for (let o = 0; o + 192 <= r.stdout.length; o += 192) {
    const all = (c) => {
      for (const y of [0, 7]) {
        for (let x = 0; x < 8; x++) {
          const i = o + (y * 8 + x) * 3;
          if (Math.abs(r.stdout[i] - c[0]) > 30 || Math.abs(r.stdout[i + 1] - c[1]) > 30 ||
              Math.abs(r.stdout[i + 2] - c[2]) > 30) return false;
        }
      }
      return true;
    };
    out.push(all([0x8B, 0x1A, 0x1A]) ? 'card' : all([0x1E, 0x3A, 0x5F]) ? 'slate' : 'other');
  }
  const runs = [];
  for (const k of out) {
    if (runs.length && runs[runs.length - 1].k === k) runs[runs.length - 1].n++;
    else runs.push({ k, n: 1 });
  }
  return runs;
}

test('the playout draws each roll-call code on a card in the stream; the codes on the air credit once', async (t) => {
  const TSCHECK = join(process.env.YJ_BUILD_DIR || 'build', 'yj-tscheck');
  if (!existsSync(TSCHECK)) { t.skip('build yj-tscheck first'); return; }
  if (spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) { t.skip('ffmpeg is not installed'); return; }
  const CARD_S = 8, BR = 800000;
  const pd = await startDaemon({ playout: true, ini: `[iptv]\nrollcall_minutes=1\nrollcall_card_seconds=${CARD_S}\n` });
  t.after(() => pd.stop());
  const dir = mkdtempSync(join(tmpdir(), 'yj-card-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const adm = await pd.login('district');
  await waitLesson(pd, adm, 1, { timeout: 300000 });
  const port = await freeUdpPort();
  let r = await pd.api('/api/v1/channels', { method: 'POST', token: adm,
    body: { number: 61, name: '党课频道', address: '127.0.0.1', port, bitrate: BR } });
  assert.equal(r.status, 201, r.text);
  const ch = r.json.id;
  const id = idNumber(86);
  await addMember(pd, { id, org: '33010101' });
  const tok = await loginMember(pd, id);
  const credits = () => {
    const q = spawnSync('sqlite3', [join(pd.dir, 'yuanjiao.db'),
      `SELECT count(*) || ' ' || COALESCE(sum(minutes), 0) FROM ledger WHERE kind = 'broadcast' AND member_id = '${id}'`],
    { encoding: 'utf8' });
    assert.equal(q.status, 0, q.stderr);
    return q.stdout.trim();
  };

  // capture from a few seconds before the programme until after its end card
  const cap = join(dir, 'cap.ts');
  const check = run(TSCHECK, ['--bitrate', String(BR), '--seconds', '95', '--out', cap, `udp://127.0.0.1:${port}`]);
  const start = Math.ceil(Date.now() / 1000) * 1000 + 8000;
  // 100 s: the start code's window is its first minute, the end code's
  // opens a minute in (rollcall_minutes = 1)
  r = await pd.api(`/api/v1/channels/${ch}/programmes`, { method: 'POST', token: adm, body: {
    kind: 'lesson', lesson_id: 1, title: '党课：不忘初心', creditable: true, minutes: 45,
    start: iso8(start), end: iso8(start + 100e3) } });
  assert.equal(r.status, 201, r.text);

  // the code the playout drew, from its log (condition, bounded)
  const drawn = async (n) => {
    for (let i = 0; i < 800; i++) {
      const m = [...pd.stderr.matchAll(/roll-call card (\d{6}) on the air/g)];
      if (m.length >= n) return m[n - 1][1];
      await sleep(250);
    }
    assert.fail(`roll-call card ${n} never went on the air`);
  };
  const confirm = (code) => pd.api('/api/v1/rollcall', { method: 'POST', token: tok, body: { channel_id: ch, code } });

  // The producer builds the stream about 700 ms ahead of the clock, so a
  // card can be logged just before its window opens for the API: ask
  // until the window is open (bounded).
  const openCode = async (phase) => {
    let code;
    for (let i = 0; i < 40 && !code; i++) {
      const q = await pd.api(`/api/v1/channels/${ch}/rollcall`, { token: adm });
      code = q.json.open.find((o) => o.phase === phase)?.code;
      if (!code) await sleep(250);
    }
    return code;
  };
  const c1 = await drawn(1);
  assert.equal(await openCode(1), c1, 'the first card shows the start code');
  r = await confirm(c1);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].result, 'start_confirmed');

  const c2 = await drawn(2);
  assert.notEqual(c2, c1);
  assert.equal(await openCode(2), c2, 'the second card shows the end code');
  assert.equal(credits(), '0 0');
  r = await confirm(c2);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.results[0].result, 'credited');
  assert.equal(credits(), '1 45');
  r = await confirm(c2);
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'code_used');
  assert.equal(credits(), '1 45', 'credited once');
  r = await pd.api('/metrics');
  assert.match(r.text, /yj_iptv_rollcall_cards_total\{channel="61"\} 2\b/);

  // the stream: valid throughout, and the cards in its pictures
  const c = await check;
  assert.equal(c.code, 0, c.err);
  const rep = JSON.parse(c.out);
  assert.equal(rep.cc_errors, 0);
  assert.equal(rep.dts_backwards, 0);
  assert.equal(rep.dts_repeats, 0);
  assert.ok(rep.pcr_max_ms <= 40 && rep.pcr_max_acc_ns <= 500, 'PCR');
  assert.ok(rep.pts_max_ms <= 700, `PTS every ≤ 700 ms (${rep.pts_max_ms})`);
  const runs = pictures(cap);
  console.log(runs.map((x) => `${x.k}×${x.n}`).join(' '));
  const cards = runs.map((x, i) => ({ ...x, i })).filter((x) => x.k === 'card');
  assert.equal(cards.length, 2, 'two cards, the start code and the end code');
  for (const k of cards) assert.ok(k.n >= CARD_S * 25 - 5, `a card shows for ${CARD_S} s (${k.n} pictures)`);
  assert.ok(cards[0].i > 0, 'something else was on before the first card');
  const after1 = runs[cards[0].i + 1];
  assert.ok(after1 && after1.k === 'other' && after1.n >= 4 * 25, 'the lesson comes back after the first card');
});
