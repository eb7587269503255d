// SPDX-License-Identifier: Apache-2.0
// kill -9 during a large import, then restart on the same data folder: all
// of the import or none of it is there — never part — and ledger rows
// acknowledged before the crash survive.
//
// Timing the kill: an import of 20,000 members is one write transaction
// that outgrows SQLite's page cache, so uncommitted pages spill into the
// WAL file while it runs. The test watches the WAL file's size and sends
// SIGKILL the moment it grows past its size before the request: the kill
// then lands inside the transaction (or, at worst, just after its commit,
// which the test also accepts). Each attempt starts from a fresh folder so
// the WAL's size is a clean signal; the test wants at least one attempt
// whose kill landed mid-import, and checks all-or-nothing on every one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, api } from '../lib/daemon.mjs';
import { manyIds } from '../lib/idnum.mjs';

const ROWS = 20000;
const ATTEMPTS = 5;

function walSize(dir) {
  try { return statSync(join(dir, 'yuanjiao.db-wal')).size; } catch { return 0; }
}

async function memberCount(d, token) {
  const r = await d.api('/api/v1/orgs/330100/members?subtree=1&limit=1', { token });
  assert.equal(r.status, 200, r.text);
  return r.json.total;
}

function csvFor(attempt) {
  const ids = manyIds(ROWS, 100000 + attempt * ROWS);
  let s = 'id_number,name,phone,joined_on,status,migrant,location\n';
  ids.forEach((id, i) => {
    s += `${id},成员${i},1380000${String(i % 10000).padStart(4, '0')},2001-07-01,full,否,浙江省杭州市\n`;
  });
  return s;
}

async function attempt(n) {
  const d = await startDaemon();
  const district = await d.login('district');
  const qs = await d.login('qingshan');
  const before = await memberCount(d, district);
  // Ledger rows acknowledged before the crash.
  const acked = [];
  for (let i = 0; i < 5; i++) {
    const r = await d.api('/api/v1/members/330102195603120130/credits',
      { method: 'POST', token: qs, body: { minutes: 10 + i, reason: '崩溃前', source_id: `pre-crash-${n}-${i}` } });
    assert.equal(r.status, 201, r.text);
    acked.push(r.json.id);
  }
  const body = csvFor(n);
  const wal0 = walSize(d.dir);
  let answer = null;
  const req = api(d.url, '/api/v1/orgs/33010101/members/import',
    { method: 'POST', token: qs, body, headers: { 'Content-Type': 'text/csv' } })
    .then((r) => { answer = r; }, () => { /* connection cut by the kill */ });
  const t0 = Date.now();
  let grew = false;
  while (!answer && Date.now() - t0 < 20000) {
    if (walSize(d.dir) > wal0) { grew = true; break; }
    await new Promise((r) => setTimeout(r, 1));
  }
  await d.kill9();
  await req;
  const acknowledged = answer && answer.status === 200;
  if (answer) assert.equal(answer.status, 200, answer.text);

  // Restart on the same folder; SQLite recovers the WAL.
  const e = await startDaemon({ dataDir: d.dir, demo: false });
  try {
    const tok = await e.login('district');
    const after = await memberCount(e, tok);
    assert.ok(after === before || after === before + ROWS,
      `attempt ${n}: ${after - before} of ${ROWS} members imported: a partial import`);
    if (acknowledged) assert.equal(after, before + ROWS, 'an acknowledged import was lost');
    const rec = await e.api('/api/v1/members/330102195603120130/record', { token: tok });
    assert.equal(rec.status, 200);
    const ids = new Set(rec.json.ledger.map((l) => l.id));
    for (const id of acked) assert.ok(ids.has(id), `acknowledged ledger row ${id} lost`);
    // The database is fully usable after recovery: the same import works.
    if (after === before) {
      const tq = await e.login('qingshan');
      const r = await e.api('/api/v1/orgs/33010101/members/import',
        { method: 'POST', token: tq, body, headers: { 'Content-Type': 'text/csv' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.created, ROWS);
    }
    const midImport = grew && !answer && after === before;
    console.log(`attempt ${n}: wal grew=${grew} answered=${!!answer} imported=${after - before} ` +
      `mid-import kill=${midImport}`);
    return midImport;
  } finally {
    await e.stop();
  }
}

test('kill -9 during a 20,000-member import: all or nothing after restart', async () => {
  let caught = 0;
  for (let n = 0; n < ATTEMPTS && caught === 0; n++)
    if (await attempt(n)) caught++;
  assert.ok(caught > 0, `no kill landed inside the import in ${ATTEMPTS} attempts`);
});
