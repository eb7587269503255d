#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// bench/abuse — reproduces the three floods of issue 13 against the real
// daemon on loopback and prints how the server held:
//   1. slow-header connection flood: FLOOD connections from 127.0.0.2, each
//      trickling one header line a second, under a 1024-descriptor limit
//      (prlimit, soft = hard); /healthz and /metrics polled from 127.0.0.1
//      meanwhile — p50/p99/max latency and failures;
//   2. progress-event flood: one member sends EVENTS pause/play reports
//      back to back — requests/s and rows stored in vod_events;
//   3. export amplification: ROWS events inserted directly (a history from
//      before coalescing), then two clients export the whole xAPI history
//      page by page at once while /healthz is polled.
// The daemon's peak RSS (VmHWM) is read from /proc after each phase.
// Bounded in count and time; loopback only. Usage (from the source tree,
// after a build): node bench/abuse/abuse.mjs
// Env: YJ_BIN (build/yuanjiao), FLOOD (1100), FLOOD_SECONDS (20),
// EVENTS (5000), ROWS (100000).
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon } from '../../tests/lib/daemon.mjs';
import { addMember, loginMember, idNumber, waitLesson } from '../../tests/lib/vod.mjs';

const FLOOD = Number(process.env.FLOOD || 1100);
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS || 20);
const EVENTS = Number(process.env.EVENTS || 5000);
const ROWS = Number(process.env.ROWS || 100000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(a.length * p))];

function mem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((new RegExp(`${k}:\\s+(\\d+)`).exec(s) || [])[1] || 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch { return { rss: 0, hwm: 0 }; }
}

// The daemon's pid: prlimit execs it, so it is the spawned process.
const pidOf = (d) => d.proc.pid;

async function poll(d, untilMs, paths = ['/healthz', '/metrics']) {
  const lat = [];
  let failures = 0;
  while (Date.now() < untilMs) {
    for (const p of paths) {
      const t = performance.now();
      try {
        const r = await fetch(d.url + p, { signal: AbortSignal.timeout(5000) });
        await r.arrayBuffer();
        if (r.status !== 200) failures++;
      } catch { failures++; }
      lat.push(performance.now() - t);
    }
    await sleep(50);
  }
  lat.sort((a, b) => a - b);
  return { n: lat.length, failures, p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat[lat.length - 1] };
}

function fmt(o) {
  return `${o.n} requests, ${o.failures} failed, p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms, max ${o.max.toFixed(1)} ms`;
}

async function slowFlood(d) {
  const socks = [];
  let accepted = 0, closedByServer = 0;
  for (let i = 0; i < FLOOD; i++) {
    const s = net.connect({ host: '127.0.0.1', port: d.port, localAddress: '127.0.0.2' });
    s.on('error', () => {});
    s.on('connect', () => {
      accepted++;
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      s.timer = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 1000);
    });
    s.on('close', () => { clearInterval(s.timer); if (!s.mine) closedByServer++; });
    socks.push(s);
  }
  await sleep(1000);
  const r = await poll(d, Date.now() + FLOOD_SECONDS * 1000);
  const open = socks.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of socks) { s.mine = true; clearInterval(s.timer); s.destroy(); }
  return { ...r, accepted, closedByServer, open };
}

async function main() {
  const d = await startDaemon({ wrap: ['prlimit', '--nofile=1024:1024', '--'], ini: '[server]\nlog_level=warn\n' });
  const pid = pidOf(d);
  try {
    console.log(`daemon pid ${pid}, ${d.url}; RSS at start ${mem(pid).rss.toFixed(0)} MB`);
    const base = await poll(d, Date.now() + 3000);
    console.log(`idle /healthz+/metrics: ${fmt(base)}`);

    const f = await slowFlood(d);
    console.log(`1. slow-header flood: ${FLOOD} connections from 127.0.0.2 for ${FLOOD_SECONDS} s (fd limit 1024)`);
    console.log(`   /healthz+/metrics from 127.0.0.1: ${fmt(f)}`);
    console.log(`   flood connections closed by the server: ${f.closedByServer}; still open at the end: ${f.open}`);
    console.log(`   RSS now ${mem(pid).rss.toFixed(0)} MB, peak so far ${mem(pid).hwm.toFixed(0)} MB (the demo lesson is transcoded in-process meanwhile)`);

    const admin = await d.login('district');
    const lesson = await waitLesson(d, admin, 1, { timeout: 300000 });
    const m = await addMember(d, { id: idNumber(90), name: '压测', org: '33010101' });
    const tok = await loginMember(d, m.id);
    const t0 = performance.now();
    let ok = 0;
    const deadline = Date.now() + 60000;
    for (let i = 0; i < EVENTS && Date.now() < deadline; i++) {
      const r = await d.api(`/api/v1/lessons/${lesson.id}/progress`, { method: 'POST', token: tok,
        body: { position: 1, intervals: [], event: i % 2 ? 'pause' : 'play' } });
      if (r.status === 200) ok++;
    }
    const secs = (performance.now() - t0) / 1000;
    const rows = spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db'), '.timeout 5000',
      `SELECT count(*) FROM vod_events WHERE member_id='${m.id}'`], { encoding: 'utf8' }).stdout.trim();
    console.log(`2. event flood: ${ok} accepted reports in ${secs.toFixed(1)} s (${(ok / secs).toFixed(0)}/s); rows stored: ${rows}`);

    // 3. A large history as stored before coalescing existed.
    const iv = JSON.stringify(Array.from({ length: 40 }, (_, k) => [k * 400, k * 400 + 300]));
    spawnSync('sqlite3', [join(d.dir, 'yuanjiao.db')], { encoding: 'utf8', input: `.timeout 10000
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
INSERT INTO vod_events(member_id, lesson_id, at_ms, event, position_ms, from_ms, watched_ms, intervals)
SELECT '${m.id}', ${lesson.id}, 1700000000000 + i, CASE i % 2 WHEN 0 THEN 'pause' ELSE 'play' END, 1000, NULL, 1000, '${iv}' FROM n;
` });
    const before = mem(pid);
    const exportAll = async () => {
      let after = null, pages = 0, statements = 0, bytes = 0;
      const t = performance.now();
      for (let i = 0; i < 1000; i++) {
        const r = await fetch(`${d.url}/api/v1/members/${m.id}/xapi${after ? '?after=' + after : ''}`, { headers: { Authorization: `Bearer ${admin}` } });
        const text = await r.text();
        bytes += text.length;
        const j = JSON.parse(text);
        pages++;
        statements += j.statements.length;
        after = j.next;
        if (!after) break;
      }
      return { pages, statements, mb: bytes / 1e6, s: (performance.now() - t) / 1000 };
    };
    const stop = { done: false };
    const health = (async () => {
      const lat = [];
      let failures = 0;
      while (!stop.done) {
        const t = performance.now();
        try { const r = await fetch(d.url + '/healthz', { signal: AbortSignal.timeout(5000) }); await r.arrayBuffer(); if (r.status !== 200) failures++; } catch { failures++; }
        lat.push(performance.now() - t);
        await sleep(50);
      }
      lat.sort((a, b) => a - b);
      return { n: lat.length, failures, p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat[lat.length - 1] };
    })();
    const [e1, e2] = await Promise.all([exportAll(), exportAll()]);
    stop.done = true;
    const h = await health;
    const after = mem(pid);
    console.log(`3. export: ${ROWS} stored events; two concurrent full exports: ${e1.pages} pages, ${e1.statements} statements, ${e1.mb.toFixed(1)} MB each, ${e1.s.toFixed(1)} s / ${e2.s.toFixed(1)} s`);
    console.log(`   /healthz meanwhile: ${fmt(h)}`);
    console.log(`   RSS ${before.rss.toFixed(0)} MB before, ${after.rss.toFixed(0)} MB after; peak RSS over the run ${after.hwm.toFixed(0)} MB`);
  } finally {
    await d.stop();
  }
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
