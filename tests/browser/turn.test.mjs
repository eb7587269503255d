// SPDX-License-Identifier: Apache-2.0
// TURN: the daemon's only media address is 127.0.0.1 on the host, which
// Chromium, running in a network namespace the test creates, can never
// reach; both reach a coturn server the test starts (it listens on
// 127.0.0.1, beside the daemon, and relays on the host end of the client's
// veth). Chromium loads its page and sends WHIP/WHEP over the daemon's HTTP
// on that host end; media has no way but the relay. With [media]
// turn_server set, a Chromium WHIP publisher and a Chromium WHEP viewer
// must connect through the daemon's relayed candidate and the viewer must
// decode video; Chromium's selected pair must name the relayed address,
// the daemon's log its relay candidate, and coturn must have logged the
// allocation. Without turn_server, in the same topology, ICE must fail;
// with a password coturn refuses there is no relayed candidate and the
// daemon says so. Skips, saying why, when not root, without network
// namespaces or without coturn's turnserver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, SRC } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { stopRtcDaemon } from '../lib/rtc.mjs';
import { assertConnectedOver, sh, startTurnserver, TURNSERVER } from '../lib/netns.mjs';

const id = process.pid % 10000;
const NS = `yjtc${id}`, A = `yjt${id}h`, B = `yjt${id}c`;
const NET = `10.245.${id % 250}`;
const HOST = `${NET}.1`, CLIENT = `${NET}.2`;
const TURN_PORT = 20000 + id;
const RELAY_MIN = 40000 + (id % 100) * 200, RELAY_MAX = RELAY_MIN + 199;
const wrapper = `/tmp/yjt-chromium-${id}.sh`;
const USER = 'yj-media', PASS = 'turn-secret-2026';
let skip = null, turn = null, browser = null, tmp = null;

before(async () => {
  if (process.getuid && process.getuid() !== 0) { skip = 'needs root for network namespaces'; return; }
  if (!sh(`test -x ${TURNSERVER}`).ok) { skip = `no ${TURNSERVER} (apt-get install coturn)`; return; }
  const mk = sh(`ip netns add ${NS}`);
  if (!mk.ok) { skip = 'no network namespace support: ' + mk.err.trim(); return; }
  // The client namespace has one link, to the host, and no loopback (so
  // Chromium offers no 127.0.0.1 candidate that would point into the host).
  for (const c of [`ip link add ${A} type veth peer name ${B}`, `ip link set ${B} netns ${NS}`,
    `ip addr add ${HOST}/24 dev ${A}`, `ip link set ${A} up`,
    `ip -n ${NS} addr add ${CLIENT}/24 dev ${B}`, `ip -n ${NS} link set ${B} up`]) {
    const r = sh(c);
    if (!r.ok) { skip = `cannot build the veth link (${c}): ${r.err.trim()}`; return; }
  }
  tmp = mkdtempSync(join(tmpdir(), 'yj-turn-'));
  turn = await startTurnserver(tmp, [
    'listening-ip=127.0.0.1', `listening-port=${TURN_PORT}`, `relay-ip=${HOST}`,
    `min-port=${RELAY_MIN}`, `max-port=${RELAY_MAX}`,
    'lt-cred-mech', `user=${USER}:${PASS}`, 'realm=yj.test']);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} ${process.env.CHROMIUM || '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
  process.env.CHROMIUM = wrapper;
});

after(async () => {
  if (browser) await browser.close();
  if (turn) await turn.stop();
  sh(`ip link del ${A} 2>/dev/null; ip netns del ${NS} 2>/dev/null`);
  rmSync(wrapper, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// The daemon: HTTP on the host end of the client's link (pages and WHIP),
// media only on 127.0.0.1.
async function daemon(extra) {
  return startDaemon({
    args: ['--http-address', HOST, '--log-level', process.env.YJ_LOG_LEVEL || 'info'],
    ini: `[media]\ninterfaces=127.0.0.1\nworkers=2\ntest_pages=${SRC}/tests/browser/rtc\n${extra}`,
  });
}

// Chromium in the client namespace, trusting the daemon's plain-HTTP origin.
async function openBrowser(d) {
  if (browser) await browser.close();
  browser = await launch([`--unsafely-treat-insecure-origin-as-secure=${d.url}`]);
  return browser;
}

// The remote candidate of Chromium's selected pair.
async function selectedRemote(page) {
  return page.evaluate(async () => {
    const rep = await pc.getStats();
    let pair = null;
    rep.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = rep.get(s.selectedCandidatePairId);
    });
    if (!pair) return null;
    const r = rep.get(pair.remoteCandidateId), l = rep.get(pair.localCandidateId);
    return { remote: `${r.address}:${r.port} ${r.candidateType}`, local: `${l.address}:${l.port} ${l.candidateType}` };
  });
}

test('media flows only through the TURN relay when the daemon cannot be reached directly', async (t) => {
  if (skip) return t.skip(skip);
  const d = await daemon(`turn_server=localhost:${TURN_PORT}\nturn_user=${USER}\nturn_password=${PASS}\n`);
  try {
    const token = await d.login('district');
    await openBrowser(d);
    const ctx1 = await browser.newContext(), ctx2 = await browser.newContext();
    const pub = await ctx1.newPage(), sub = await ctx2.newPage();
    await pub.goto(d.url + '/rtc-test/whip.html');
    await sub.goto(d.url + '/rtc-test/whip.html');
    const { answer } = await pub.evaluate((tk) => publish('relayed', tk), token);
    console.log('WHIP answer candidates:\n' + answer.split('\r\n').filter((l) => l.startsWith('a=candidate')).join('\n'));
    assert.match(answer, new RegExp(`a=candidate:\\S+ 1 udp \\d+ ${HOST.replace(/\./g, '\\.')} \\d+ typ relay`, 'i'),
      'the answer offers a relayed candidate on the TURN server\'s relay address');
    assert.doesNotMatch(answer, new RegExp(`a=candidate:.* ${CLIENT.replace(/\./g, '\\.')} `), 'no candidate in the client subnet');
    await sub.evaluate((tk) => watch('relayed', tk), token);
    let s;
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      s = await sub.evaluate(() => stats());
      if (s.video && s.video.framesDecoded > 60) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(s.video && s.video.framesDecoded > 60, 'the viewer decodes video through the relay: ' + JSON.stringify(s));
    assert.ok(s.audio && s.audio.packetsReceived > 50, 'audio arrives through the relay');
    for (const [who, page] of [['publisher', pub], ['viewer', sub]]) {
      const pair = await selectedRemote(page);
      console.log(`${who}: Chromium's selected pair ${pair && pair.local} -> ${pair && pair.remote}`);
      assert.ok(pair && new RegExp(`^${HOST.replace(/\./g, '\\.')}:\\d+ relay$`).test(pair.remote),
        `${who}: Chromium talks to the daemon's relayed candidate: ` + JSON.stringify(pair));
    }
    assertConnectedOver(d, 2, new RegExp(`over udp ${HOST.replace(/\./g, '\\.')}:\\d+ relay <-> udp ${CLIENT.replace(/\./g, '\\.')}:\\d+`),
      'the daemon\'s selected pair is its relayed candidate');
    assert.match(turn.log(), /ALLOCATE processed, success/, 'coturn allocated a relay');
    await ctx1.close();
    await ctx2.close();
  } finally {
    await stopRtcDaemon(d);
  }
});

test('without turn_server the same topology cannot connect', async (t) => {
  if (skip) return t.skip(skip);
  const d = await daemon('');
  try {
    const token = await d.login('district');
    await openBrowser(d);
    const ctx = await browser.newContext();
    const pub = await ctx.newPage();
    await pub.goto(d.url + '/rtc-test/whip.html');
    const { answer, location } = await pub.evaluate((tk) => publish('direct', tk), token);
    assert.doesNotMatch(answer, /typ relay/, 'no relayed candidate without a TURN server');
    const session = location.split('/').pop();
    // libnice gives up once every pair failed (Chromium's offer came after
    // its gathering was complete); the daemon then closes the session.
    const t0 = Date.now(), end = t0 + 30000;
    const failed = () => d.stderr.includes(`session ${session} failed`);
    while (!failed() && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    const state = await pub.evaluate(() => pc.iceConnectionState);
    console.log(`without TURN: the daemon ${failed() ? 'failed the session' : 'did not fail the session'} after ${Date.now() - t0} ms; Chromium's ICE is ${state}`);
    assert.ok(failed(), 'the daemon gives up on the session: no pair works');
    assert.match(d.stderr, new RegExp(`WHIP session ${session} in room direct ended`), 'and closes it');
    assert.doesNotMatch(d.stderr, / connected \(/, 'the daemon never connected');
    assert.ok(['checking', 'disconnected', 'failed'].includes(state), 'Chromium never connected: ' + state);
    await ctx.close();
  } finally {
    await stopRtcDaemon(d);
  }
});

test('a TURN password the server refuses gives no relayed candidate and a warning', async (t) => {
  if (skip) return t.skip(skip);
  const mark = turn ? turn.log().length : 0; // coturn's log of this test only
  const d = await daemon(`turn_server=127.0.0.1:${TURN_PORT}\nturn_user=${USER}\nturn_password=wrong-${PASS}\n`);
  try {
    const token = await d.login('district');
    await openBrowser(d);
    const ctx = await browser.newContext();
    const pub = await ctx.newPage();
    await pub.goto(d.url + '/rtc-test/whip.html');
    const { answer } = await pub.evaluate((tk) => publish('refused', tk), token);
    assert.doesNotMatch(answer, /typ relay/, 'no relayed candidate with a refused password');
    const warning = new RegExp(`TURN server 127\\.0\\.0\\.1:${TURN_PORT} gave no relayed candidate`);
    const end = Date.now() + 20000;
    while (!warning.test(d.stderr) && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    assert.match(d.stderr, warning, 'the daemon says why there is no relay');
    assert.match(turn.log().slice(mark), new RegExp(`user <${USER}>: incoming packet message processed, error 401`),
      'coturn refused the allocation with the wrong password');
    await ctx.close();
  } finally {
    await stopRtcDaemon(d);
  }
});
