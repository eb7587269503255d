// SPDX-License-Identifier: Apache-2.0
// One client cannot starve the server (issue 13): a client at 127.0.0.2
// opens many connections and trickles its request headers one line at a
// time, never finishing them. The daemon runs with a low file limit
// (256, soft = hard, so it cannot raise it) to make exhaustion reachable
// with a bounded flood. /healthz and /metrics from 127.0.0.1 must keep
// answering; the flood's connections are capped per address and closed at
// the header deadline. Bounded: 400 connections, about 12 s, loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon } from '../lib/daemon.mjs';

const FLOOD = 400;

function slowClient(port, stats) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    let timer = null, opened = 0;
    s.on('connect', () => {
      opened = Date.now();
      stats.connected++;
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => { if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 1000);
    });
    const done = () => {
      clearInterval(timer);
      if (opened) stats.lifetimes.push(Date.now() - opened);
      resolve();
    };
    s.on('error', () => {});
    s.on('close', done);
    stats.sockets.push(s);
  });
}

test('a slow-header flood from one address does not starve /healthz and /metrics', async () => {
  const d = await startDaemon({ wrap: ['prlimit', '--nofile=256:256', '--'],
    ini: '[server]\nheader_timeout_seconds=4\nper_ip_connections=32\n' });
  const stats = { connected: 0, sockets: [], lifetimes: [] };
  try {
    const clients = [];
    for (let i = 0; i < FLOOD; i++) clients.push(slowClient(d.port, stats));
    await new Promise((r) => setTimeout(r, 1500));
    // While the flood holds (or tries to hold) its connections:
    const lat = [];
    let failures = 0;
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      for (const path of ['/healthz', '/metrics']) {
        const t = Date.now();
        try {
          const r = await fetch(`${d.url}${path}`, { signal: AbortSignal.timeout(3000) });
          await r.text();
          if (r.status !== 200) failures++;
        } catch { failures++; }
        lat.push(Date.now() - t);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const open = stats.sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    for (const s of stats.sockets) s.destroy();
    await Promise.all(clients);
    lat.sort((a, b) => a - b);
    console.log(`healthz/metrics: ${lat.length} requests, ${failures} failed, p99 ${lat[Math.floor(lat.length * 0.99)]} ms; flood sockets still open at the end: ${open}`);
    assert.equal(failures, 0, 'every /healthz and /metrics request answered 200');
    // Nothing of the flood survives the header deadline (4 s) for long: at
    // the end (9.5 s in) no trickling connection is still open.
    assert.equal(open, 0, `${open} slow-header connections outlived the deadline`);
  } finally {
    for (const s of stats.sockets) s.destroy();
    await d.stop();
  }
});
