// SPDX-License-Identifier: Apache-2.0
// Test members for meeting tests: valid identity numbers, creation through
// the records API (POST /api/v1/members) when the server has it, else a
// direct insert into the test daemon's database with the sqlite3 tool; and
// a member's sign-in token through a one-time code from the district admin.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

// A valid 18-digit resident identity number (GB 11643 check digit) from a
// 6-digit area, a birth date YYYYMMDD and a 3-digit sequence.
export function idNumber(area, birth, seq) {
  const body = `${area}${birth}${String(seq).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * WEIGHTS[i];
  return body + '10X98765432'[sum % 11];
}

function sqlQuote(s) { return `'${String(s).replace(/'/g, "''")}'`; }

// Creates (or finds) a member; returns its identity number.
export async function ensureMember(d, adminToken, { id_number, name, org_code, migrant = false }) {
  const r = await d.api('/api/v1/members', {
    method: 'POST', token: adminToken,
    body: { id_number, name, org_code, migrant, status: 'full' },
  });
  if (r.status === 201 || r.status === 409) return id_number;
  if (r.status !== 404 && r.status !== 405) throw new Error(`create member: ${r.status} ${r.text}`);
  // No records API in this build: insert directly.
  const birth = `${id_number.slice(6, 10)}-${id_number.slice(10, 12)}-${id_number.slice(12, 14)}`;
  const gender = Number(id_number[16]) % 2 ? 'male' : 'female';
  const sql = `.timeout 5000\nINSERT OR IGNORE INTO members(id_number, name, gender, birth_date, org_id, migrant, created_at, updated_at) SELECT ${sqlQuote(id_number)}, ${sqlQuote(name)}, '${gender}', '${birth}', id, ${migrant ? 1 : 0}, 0, 0 FROM orgs WHERE code = ${sqlQuote(org_code)};\n`;
  const out = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db')], { input: sql, encoding: 'utf8' });
  if (out.status !== 0) throw new Error('sqlite3: ' + out.stderr);
  return id_number;
}

// A member's bearer token: a one-time code issued by adminToken, redeemed.
export async function memberToken(d, adminToken, id_number) {
  let r = await d.api(`/api/v1/members/${id_number}/login-code`, { method: 'POST', token: adminToken, body: {} });
  if (r.status !== 201) throw new Error(`login code for ${id_number}: ${r.status} ${r.text}`);
  r = await d.api('/api/v1/session', { method: 'POST', body: { id_number, code: r.json.code } });
  if (r.status !== 201) throw new Error(`member sign-in ${id_number}: ${r.status} ${r.text}`);
  return r.json.token;
}

// Reads rows from the test daemon's database (for checks the API does not
// expose yet). Returns an array of arrays of strings.
export function sql(d, query) {
  const out = spawnSync('sqlite3', ['-separator', '\t', join(d.dir, 'yuanjiao.db')],
    { input: `.timeout 5000\n${query}\n`, encoding: 'utf8' });
  if (out.status !== 0) throw new Error('sqlite3: ' + out.stderr);
  return out.stdout.split('\n').filter((l) => l.length).map((l) => l.split('\t'));
}

// The ledger credits of one meeting: {id_number: minutes}. Uses the records
// API (GET /api/v1/members/{id}/record) when present, else the database.
export async function meetingCredits(d, adminToken, meetingId, ids) {
  const out = {};
  const source = `meeting:${meetingId}`;
  const probe = await d.api(`/api/v1/members/${ids[0]}/record`, { token: adminToken });
  if (probe.status === 200) {
    for (const id of ids) {
      const r = await d.api(`/api/v1/members/${id}/record`, { token: adminToken });
      const rows = (r.json.ledger || []).filter((e) => e.kind === 'meeting' && e.source_id === source);
      if (rows.length > 1) throw new Error(`${id} credited ${rows.length} times`);
      if (rows.length) out[id] = rows[0].minutes;
    }
    return out;
  }
  for (const [id, n, minutes] of sql(d, `SELECT member_id, count(*), sum(minutes) FROM ledger WHERE kind='meeting' AND source_id=${sqlQuote(source)} GROUP BY member_id;`)) {
    if (Number(n) > 1) throw new Error(`${id} credited ${n} times`);
    out[id] = Number(minutes);
  }
  return out;
}
