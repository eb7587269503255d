// SPDX-License-Identifier: Apache-2.0
// Overload sheds newcomers, never the speaker (issue 14). One media worker
// carries a publisher and three viewers (the bench client,
// bench/sfu/sfu_bench.c, which does ICE, DTLS and SRTP and reports every
// second the packets each viewer received and the RTCP its publisher got
// back). Then, for a bounded time, the worker is saturated: junk datagrams
// flood an ICE socket on it, a storm of simultaneous WHEP offers (each a
// new peer: ICE agent, candidates, SDP, a handshake that never ends)
// arrives, and a second bench client adds up to LATE real viewers to the
// lecture one after another (ICE, DTLS, then 150 packets/s each to
// forward) — without admission they take the worker past what it can
// forward and every viewer loses packets. Throughout, the publisher and the three viewers must keep
// receiving; late viewers are refused (503 at_capacity, Retry-After,
// counted, logged once); once the load is gone a new viewer is admitted.
//
// YJ_OVERLOAD_PROTECTION=off runs the same test with admission switched
// off in the config (max_load_percent=0, max_handshakes=0): it must fail
// (on a quiet machine only the refusal checks fail: the load here is
// about half a quiet core; on this shared VM the media checks fail too).
// Loopback only; every load loop is bounded in count and time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';

const PROTECT = process.env.YJ_OVERLOAD_PROTECTION !== 'off';
const BENCH = join(process.env.YJ_BUILD_DIR || 'build', 'bench', 'bench_sfu_sfu_bench');
const LOAD_MS = 20000;     // how long the worker is saturated
const MAX_OFFERS = 600;    // WHEP offers in the storm, at most
const OFFERS_AT_ONCE = 24; // in flight together
const JUNK_MAX = 3_000_000; // junk datagrams, at most
const LATE = 400;          // late real viewers, at most

let d, token;

before(async () => {
  // Protection on: the defaults (nothing in the config). Off: both bounds 0.
  const ini = '[media]\ninterfaces=127.0.0.1\nworkers=1\n' +
    (PROTECT ? '' : 'max_load_percent=0\nmax_handshakes=0\n');
  d = await startDaemon({ ini, admission: true });
  token = await d.login('district');
});

after(async () => { if (d) await d.stop(); });

const fp = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');

// A WHEP viewer's offer (recvonly Opus + VP8) from a client that never
// answers ICE: the server creates the peer and waits for its handshake.
function viewerOffer(n) {
  const u = `ovl${n}`.padEnd(8, 'x');
  return ['v=0', `o=- ${n + 1} 1 IN IP4 127.0.0.1`, 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=recvonly', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', `a=ice-ufrag:${u}`, 'a=ice-pwd:overloadtestpassword012345',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:active',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=recvonly', 'a=rtcp-mux',
    'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli',
    `a=ice-ufrag:${u}`, 'a=ice-pwd:overloadtestpassword012345',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:active', ''].join('\r\n');
}

function publisherOffer() {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=ice-ufrag:ovlj', 'a=ice-pwd:overloadtestpassword012345',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:active', 'a=ssrc:4343 cname:junk', ''].join('\r\n');
}

const sdpPost = (path, body) => d.api(path, { method: 'POST', token, body,
  headers: { 'Content-Type': 'application/sdp' } });

function metric(text, name) {
  const esc = name.replace(/[{}"=]/g, (c) => '\\' + c);
  const m = new RegExp('^' + esc + ' (\\d+)', 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

// The bench client: publisher + `subs` viewers in room `room`, then one
// "watch" line a second for `watch` seconds.
function startClients(room, subs, watch, extra = []) {
  const p = spawn(BENCH, ['--url', d.url, '--token', token, '--pid', String(d.proc.pid),
    '--room', room, '--subs', String(subs), '--seconds', '2', '--watch', String(watch), ...extra],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = { out: '', err: '', watch: [], ready: null };
  p.stderr.on('data', (b) => { c.err += b; });
  c.exit = new Promise((resolve) => p.on('exit', (code, sig) => { c.code = code ?? sig; resolve(c.code); }));
  c.ready = new Promise((resolve, reject) => {
    p.stdout.on('data', (b) => {
      c.out += b;
      for (const m of c.out.matchAll(/^watch (\d+) pub_rtcp=(\d+) rx=([\d,]*)$/gm)) {
        const t = Number(m[1]);
        if (!c.watch[t]) c.watch[t] = { t, at: Date.now(), pubRtcp: Number(m[2]), rx: m[3].split(',').map(Number) };
      }
      if (/largest N/.test(c.out)) resolve();
    });
    p.on('exit', (code) => reject(new Error(`bench client exited ${code}:\n${c.out}\n${c.err}`)));
  });
  c.proc = p;
  return c;
}

test('a saturated worker keeps its publisher and viewers, refuses newcomers, then admits again', async () => {
  assert.ok(existsSync(BENCH), `the bench client is built (${BENCH})`);
  const metrics0 = (await d.api('/metrics')).text;
  const refused0 = metric(metrics0, 'yj_rtc_viewers_refused_total');

  // A publisher and three viewers, connected and receiving.
  const WATCH = 120; // seconds of watch lines at most (the client is stopped at the end)
  const clients = startClients('lecture', 3, WATCH);
  await clients.ready;
  const steps = /^\s+(\d+)\s+\d+/m.exec(clients.out.split('\n').slice(1).join('\n'));
  assert.equal(Number(steps?.[1]), 3, 'three viewers connected before the load:\n' + clients.out);

  // Baseline: three seconds of watching before the load.
  const waitWatch = async (t) => {
    const end = Date.now() + 20000;
    while (!clients.watch[t] && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.ok(clients.watch[t], `watch line ${t} (exit ${clients.code}):\n${clients.out}\n${clients.err}`);
  };
  await waitWatch(3);
  const baseStart = 1, loadStart = 4;

  // The load: a junk flood onto a second publisher's ICE socket (same
  // worker) and a storm of WHEP offers.
  const junkPub = await sdpPost('/whip/junk', publisherOffer());
  assert.equal(junkPub.status, 201, junkPub.text);
  const port = Number(/candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/i.exec(junkPub.text)?.[1]);
  assert.ok(port > 0);
  const loadStartedAt = Date.now();
  const loadEnd = loadStartedAt + LOAD_MS;
  const sock = createSocket('udp4');
  const junk = Buffer.alloc(1000, 0x5a);
  junk[0] = 0x80; junk[1] = 0x6f; // RTP-looking, never valid SRTP
  let sent = 0;
  const flood = (async () => {
    while (Date.now() < loadEnd && sent < JUNK_MAX) {
      for (let i = 0; i < 200; i++) sock.send(junk, port, '127.0.0.1');
      sent += 200;
      await new Promise((r) => setImmediate(r));
    }
  })();
  const statuses = {};
  const created = [];
  let refusal = null, offers = 0;
  const storm = (async () => {
    while (Date.now() < loadEnd && offers < MAX_OFFERS) {
      const batch = [];
      for (let i = 0; i < OFFERS_AT_ONCE && offers < MAX_OFFERS; i++) {
        const n = offers++;
        batch.push(sdpPost('/whep/lecture', viewerOffer(n)).then((r) => {
          statuses[r.status] = (statuses[r.status] || 0) + 1;
          if (r.status === 201) created.push(r.headers.get('location'));
          if (r.status === 503 && !refusal) refusal = r;
        }, () => { statuses.error = (statuses.error || 0) + 1; }));
      }
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  // Late real viewers, one after another, in the same room (the bench
  // client DELETEs its sessions when it ends; killed after 90 s at most).
  const late = startClients('lecture', LATE, 0, ['--viewers-only']);
  const lateKill = setTimeout(() => late.proc.kill('SIGKILL'), 90000);
  const lateDone = late.ready.then(() => true, () => false);
  await Promise.all([flood, storm, lateDone]);
  sock.close();
  const loadEndT = clients.watch.length - 1; // the last watched second of the load
  await late.exit;
  clearTimeout(lateKill);
  console.log(`load: ${sent} junk datagrams, ${offers} WHEP offers: ${JSON.stringify(statuses)}`);
  console.log('late viewers:\n' + late.out + late.err.split('\n').filter((l) => !/503/.test(l)).slice(0, 5).join('\n'));
  const lateRow = /^\s+(\d+)\s+\d+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(\d+)/m.exec(late.out.split('\n').slice(1).join('\n'));
  const lateRefused = Number(lateRow?.[3] || 0);

  // Drop the load: the storm's sessions go.
  await Promise.all(created.map((loc) => d.api(loc, { method: 'DELETE', token })));
  await d.api(junkPub.headers.get('location'), { method: 'DELETE', token });

  // Once the load is gone a new viewer is admitted (its offer answered).
  let admitted = 0;
  const end = Date.now() + 30000;
  while (admitted !== 201 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 1000));
    const r = await sdpPost('/whep/lecture', viewerOffer(100000));
    admitted = r.status;
    if (r.status === 201) await d.api(r.headers.get('location'), { method: 'DELETE', token });
  }

  // The watched seconds: before, during and after the load.
  const lastLoad = loadEndT;
  await waitWatch(lastLoad + 1);
  const seconds = clients.watch.filter(Boolean);
  const fmt = (w) => `t=${w.t} pub_rtcp=${w.pubRtcp} rx=${w.rx.join(',')}`;
  console.log(seconds.map(fmt).join('\n'));
  const base = seconds.filter((w) => w.t >= baseStart && w.t < loadStart);
  const during = seconds.filter((w) => w.t >= loadStart && w.t <= lastLoad);
  const baseRate = Math.min(...base.map((w) => Math.min(...w.rx)));
  assert.ok(baseRate > 50, 'viewers received media before the load: ' + base.map(fmt).join('; '));

  // 1. The publisher and every viewer kept receiving: never a second with
  // nothing, at most two seconds under a fifth of the rate before the load
  // (this VM is shared with other sessions, whose bursts can starve the
  // daemon for a second whatever it does), and over the whole load at
  // least half of it; the server kept sending the publisher its receiver
  // reports (once a second: never 5 s in a row without one).
  let slow = [];
  for (const w of during) {
    assert.equal(w.rx.length, 3, fmt(w));
    for (const n of w.rx) assert.ok(n > 0, `a viewer received nothing in second ${w.t} of the load: ${fmt(w)}`);
    if (Math.min(...w.rx) < 0.2 * baseRate) slow.push(fmt(w));
  }
  assert.ok(slow.length <= 2,
    `viewers got under a fifth of their rate before the load (${baseRate}/s) in ${slow.length} seconds: ${slow.join('; ')}`);
  const total = (k) => during.reduce((s, w) => s + w.rx[k], 0);
  for (let k = 0; k < 3; k++) {
    assert.ok(total(k) >= 0.5 * baseRate * during.length,
      `viewer ${k} received ${total(k)} packets in ${during.length} s of load, under half its rate before (${baseRate}/s)`);
  }
  let gap = 0, worst = 0;
  for (const w of during) { gap = w.pubRtcp > 0 ? 0 : gap + 1; worst = Math.max(worst, gap); }
  assert.ok(worst < 5, `the server stopped reporting to the publisher for ${worst} s in a row`);
  assert.doesNotMatch(d.stderr, /peer lecture\/\S+: consent lost/, 'no peer of the lecture lost consent');

  // 2. Late viewers were refused, clearly, counted, logged once.
  assert.ok(refusal, `late viewers were refused (statuses ${JSON.stringify(statuses)})`);
  assert.ok(lateRefused > 0, 'late real viewers were refused: ' + late.out);
  assert.equal(refusal.json?.error?.code, 'at_capacity');
  assert.match(refusal.json.error.message, /at capacity/);
  assert.equal(refusal.headers.get('retry-after'), '10');
  const metrics1 = (await d.api('/metrics')).text;
  assert.ok(metric(metrics1, 'yj_rtc_viewers_refused_total') > refused0, 'WHEP refusals counted');
  const byReason = metric(metrics1, 'yj_media_admission_refused_total{reason="load"}') +
    metric(metrics1, 'yj_media_admission_refused_total{reason="handshakes"}');
  assert.ok(byReason >= (statuses[503] || 0), 'every refusal counted by reason');
  const lines = d.stderr.match(/at capacity: refusing WHEP viewers/g) || [];
  const loadSecs = (Date.now() - loadStartedAt) / 1000;
  assert.ok(lines.length >= 1 && lines.length <= Math.ceil(loadSecs / 10) + 1,
    `the refusal logged once per 10 s, not per request (${lines.length} lines for ${statuses[503]} refusals)`);

  // 3. Admitted again after the load.
  assert.equal(admitted, 201, 'a new viewer is admitted once the load is gone');

  clients.proc.kill('SIGTERM');
  await clients.exit;
});
