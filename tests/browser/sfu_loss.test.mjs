// SPDX-License-Identifier: Apache-2.0
// Loss: Chromium runs inside a network namespace the test creates, joined
// to the host by a veth pair that drops about 5% of packets each way
// (netem when the kernel has it; otherwise a u32 filter on the RTP
// sequence number's low byte into a zero-length queue, RTP only). A publisher and a WHEP
// viewer both sit behind the lossy link: the viewer must keep decoding and
// the server's /metrics must show NACKs answered from its cache and NACKs
// sent to the publisher. Skips, saying why, when not root or without netns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { startDaemon } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { rtcIni, stopRtcDaemon } from '../lib/rtc.mjs';

const id = process.pid % 10000;
const NS = `yjm${id}`, A = `yjv${id}a`, B = `yjv${id}b`;
const NET = `10.251.${id % 250}`;
const HOST = `${NET}.1`, PEER = `${NET}.2`;
const wrapper = `/tmp/yjm-chromium-${id}.sh`;
let d, browser, token, skip = null, lossKind = null;

function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr || '') + (r.stdout || '') };
}

function addLoss(dev, ns) {
  const pre = ns ? `ip netns exec ${NS} ` : '';
  if (sh(`${pre}tc qdisc add dev ${dev} root netem loss 5%`).ok) return 'netem';
  // No sch_netem: drop RTP packets (UDP payload starting with version 2
  // and a payload type ≥ 96, so not RTCP, STUN or DTLS) whose sequence
  // number's low byte is one of 13 of 256 values: about 5% of RTP. A
  // fixed pattern on RTCP lengths would drop every receiver report.
  const steps = [`${pre}tc qdisc add dev ${dev} root handle 1: htb default 10`,
    `${pre}tc class add dev ${dev} parent 1: classid 1:10 htb rate 1gbit`,
    `${pre}tc class add dev ${dev} parent 1: classid 1:20 htb rate 1gbit`,
    `${pre}tc qdisc add dev ${dev} parent 1:20 handle 20: pfifo limit 0`];
  for (let v = 7; v < 256 && steps.length < 4 + 13; v += 19)
    steps.push(`${pre}tc filter add dev ${dev} parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff match u8 0x80 0xc0 at 28 match u8 0x20 0x20 at 29 match u8 ${v} 0xff at 31 flowid 1:20`);
  for (const s of steps) {
    const r = sh(s + ' 2>&1');
    if (!r.ok) throw new Error(`${s}: ${r.err}`);
  }
  return 'u32';
}

before(async () => {
  if (process.getuid && process.getuid() !== 0) { skip = 'needs root for network namespaces'; return; }
  const mk = sh(`ip netns add ${NS}`);
  if (!mk.ok) { skip = 'no network namespace support: ' + mk.err.trim(); return; }
  for (const c of [`ip link add ${A} type veth peer name ${B}`, `ip link set ${B} netns ${NS}`,
    `ip addr add ${HOST}/24 dev ${A}`, `ip link set ${A} up`,
    `ip -n ${NS} addr add ${PEER}/24 dev ${B}`, `ip -n ${NS} link set ${B} up`, `ip -n ${NS} link set lo up`]) {
    const r = sh(c);
    if (!r.ok) { skip = `cannot build the veth link (${c}): ${r.err.trim()}`; return; }
  }
  try {
    lossKind = addLoss(A, false);
    addLoss(B, true);
  } catch (e) { skip = 'cannot add packet loss: ' + e.message; return; }
  d = await startDaemon({
    args: ['--http-address', HOST, '--log-level', process.env.YJ_LOG_LEVEL || 'info'],
    ini: rtcIni(HOST),
  });
  token = await d.login('district');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} ${process.env.CHROMIUM || '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
  process.env.CHROMIUM = wrapper;
  browser = await launch([`--unsafely-treat-insecure-origin-as-secure=${d.url}`]);
});

after(async () => {
  if (browser) await browser.close();
  await stopRtcDaemon(d);
  sh(`ip link del ${A} 2>/dev/null; ip netns del ${NS} 2>/dev/null`);
  rmSync(wrapper, { force: true });
});

function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('a 5% lossy link keeps decoding and the server answers and sends NACKs', async (t) => {
  if (skip) return t.skip(skip);
  console.log(`loss by ${lossKind} on ${A} <-> ${NS}/${B}`);
  const ctx1 = await browser.newContext(), ctx2 = await browser.newContext();
  const pub = await ctx1.newPage(), sub = await ctx2.newPage();
  await pub.goto(d.url + '/rtc-test/whip.html');
  await sub.goto(d.url + '/rtc-test/whip.html');
  await pub.evaluate((tk) => publish('lossy', tk), token);
  await sub.evaluate((tk) => watch('lossy', tk), token);
  let s;
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    s = await sub.evaluate(() => stats());
    if (s.video && s.video.framesDecoded > 150) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!(s.video && s.video.framesDecoded > 30)) {
    const m = await (await fetch(d.url + '/metrics')).text();
    console.log(m.split('\n').filter((l) => l.startsWith('yj_media')).join('\n'));
    console.log('publisher', JSON.stringify((await pub.evaluate(() => stats())).out));
  }
  assert.ok(s.video && s.video.framesDecoded > 30, 'the viewer decodes video: ' + JSON.stringify(s));
  // Under 5 % loss both ways a lost retransmission can freeze the picture
  // until a keyframe arrives (PLI → publisher → viewer, each way lossy):
  // wait on the condition (bounded), so a freeze that recovers passes and
  // one that never recovers fails.
  const before = s.video.framesDecoded;
  let after;
  for (const stop = Date.now() + 20000; ; ) {
    after = await sub.evaluate(() => stats());
    if (after.video.framesDecoded > before + 30 || Date.now() > stop) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const ps = await pub.evaluate(() => stats());
  const m = await (await fetch(d.url + '/metrics')).text();
  const nIn = metric(m, 'yj_media_nacks_received_total');
  const nOut = metric(m, 'yj_media_nacks_sent_total');
  const rtx = metric(m, 'yj_media_retransmits_total');
  console.log('viewer', JSON.stringify(after), 'publisher', JSON.stringify(ps.out));
  console.log(`server: nacks received ${nIn}, retransmitted ${rtx}, nacks sent ${nOut}`);
  assert.ok(after.video.framesDecoded > before + 30, 'the viewer keeps decoding under loss');
  assert.ok(after.audio && after.audio.packetsReceived > 100, 'audio arrives');
  assert.ok(after.video.nackCount > 0, 'the viewer NACKed lost packets');
  assert.ok(nIn > 0, 'the server received NACKs');
  assert.ok(rtx > 0, 'the server resent packets from its cache');
  assert.ok(nOut > 0, 'the server NACKed the publisher');
  await ctx1.close();
  await ctx2.close();
});
