// SPDX-License-Identifier: Apache-2.0
// Roll-call at a station (集中收看) through the real daemon: a creditable
// programme on the air, its start code and (a minute later, with
// [iptv] rollcall_minutes = 1) its end code; members confirm on their
// phones or the station confirms for them. The right codes credit the
// programme's minutes once (ledger kind broadcast); a wrong, late or
// replayed code, an end code without the start code and a member outside
// the station's organisation are refused and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';
import { addMember, loginMember, idNumber } from '../lib/vod.mjs';

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
