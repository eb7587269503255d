// SPDX-License-Identifier: Apache-2.0
// STUN: the daemon runs behind a NAT. Three namespaces the test creates:
//
//   daemon ns (INNER.2) ── router ns (INNER.1 | OUTER.1, nftables
//   masquerade towards OUTER) ── outside ns (OUTER.2: coturn as a STUN
//   server, and Chromium)
//
// plus a management veth from the host to the daemon namespace that only
// carries the test's HTTP (Chromium's page loads and WHIP/WHEP requests are
// proxied through Playwright, so the outside namespace has no way to the
// daemon but the NAT). With [media] stun_server set, the daemon's WHIP
// answer must carry a server-reflexive candidate with the NAT's outer
// address, the router's conntrack must show the daemon's Binding request
// to coturn translated to that address and port, and a Chromium publisher and viewer outside must connect to it
// and decode video. Without stun_server the answer has no srflx candidate
// (ICE can still succeed there through peer-reflexive discovery, so the
// candidate is what is asserted). Skips, saying why, when not root or
// without network namespaces, nftables or coturn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, SRC } from '../lib/daemon.mjs';
import { launch } from '../lib/browser.mjs';
import { stopRtcDaemon } from '../lib/rtc.mjs';
import { assertConnectedOver, sh, startTurnserver, TURNSERVER } from '../lib/netns.mjs';

const id = process.pid % 10000, n = id % 250;
const DNS = `yjsd${id}`, RNS = `yjsr${id}`, ONS = `yjso${id}`;
const INNER = `10.243.${n}`, OUTER = `10.244.${n}`, MGMT = `10.242.${n}`;
const STUN_PORT = 3478;
const wrapper = `/tmp/yjs-chromium-${id}.sh`;
const re = (s) => s.replace(/\./g, '\\.');
let skip = null, stun = null, browser = null, tmp = null;

function build() {
  const links = [
    // daemon <-> router (inside the NAT)
    [`yjs${id}a`, DNS, `${INNER}.2`, `yjs${id}b`, RNS, `${INNER}.1`],
    // router <-> outside
    [`yjs${id}c`, RNS, `${OUTER}.1`, `yjs${id}d`, ONS, `${OUTER}.2`],
    // host <-> daemon: the test's HTTP only
    [`yjs${id}m`, null, `${MGMT}.1`, `yjs${id}n`, DNS, `${MGMT}.2`],
  ];
  const cmds = [`ip netns add ${DNS}`, `ip netns add ${RNS}`, `ip netns add ${ONS}`];
  for (const [a, nsa, ipa, b, nsb, ipb] of links) {
    cmds.push(`ip link add ${a} type veth peer name ${b}`);
    for (const [dev, ns, ip] of [[a, nsa, ipa], [b, nsb, ipb]]) {
      const pre = ns ? `ip -n ${ns} ` : 'ip ';
      if (ns) cmds.push(`ip link set ${dev} netns ${ns}`);
      cmds.push(`${pre}addr add ${ip}/24 dev ${dev}`, `${pre}link set ${dev} up`);
    }
  }
  cmds.push(`ip -n ${DNS} route add default via ${INNER}.1`,
    `ip netns exec ${RNS} sysctl -qw net.ipv4.ip_forward=1`,
    `ip netns exec ${RNS} nft add table ip nat`,
    `ip netns exec ${RNS} nft 'add chain ip nat post { type nat hook postrouting priority srcnat; }'`,
    `ip netns exec ${RNS} nft add rule ip nat post oifname yjs${id}c masquerade`);
  for (const c of cmds) {
    const r = sh(c);
    if (!r.ok) return `cannot build the NAT topology (${c}): ${r.err.trim()}`;
  }
  return null;
}

before(async () => {
  if (process.getuid && process.getuid() !== 0) { skip = 'needs root for network namespaces'; return; }
  if (!sh(`test -x ${TURNSERVER}`).ok) { skip = `no ${TURNSERVER} (apt-get install coturn)`; return; }
  if (!sh('command -v nft').ok) { skip = 'no nft (apt-get install nftables)'; return; }
  skip = build();
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'yj-stun-'));
  stun = await startTurnserver(tmp, [`listening-ip=${OUTER}.2`, `listening-port=${STUN_PORT}`,
    'stun-only'], { netns: ONS });
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ONS} ${process.env.CHROMIUM || '/usr/bin/chromium'} "$@"\n`, { mode: 0o755 });
  process.env.CHROMIUM = wrapper;
});

after(async () => {
  if (browser) await browser.close();
  if (stun) await stun.stop();
  sh(`ip link del yjs${id}m 2>/dev/null; ip netns del ${DNS} 2>/dev/null; ip netns del ${RNS} 2>/dev/null; ip netns del ${ONS} 2>/dev/null`);
  rmSync(wrapper, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function daemon(extra) {
  return startDaemon({
    netns: DNS,
    args: ['--http-address', `${MGMT}.2`, '--log-level', process.env.YJ_LOG_LEVEL || 'info'],
    ini: `[media]\ninterfaces=${INNER}.2\nworkers=2\ntest_pages=${SRC}/tests/browser/rtc\n${extra}`,
  });
}

// A browser context whose HTTP goes through Playwright (the host), since
// the outside namespace cannot reach the daemon's management address.
let browserFor = null;
async function context(d) {
  if (browserFor !== d.url) {
    if (browser) await browser.close();
    browser = await launch([`--unsafely-treat-insecure-origin-as-secure=${d.url}`]);
    browserFor = d.url;
  }
  const ctx = await browser.newContext();
  await ctx.route('**/*', async (route) => route.fulfill({ response: await route.fetch() }));
  return ctx;
}

function candidates(sdp) {
  return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate'));
}

test('behind a NAT the daemon offers its server-reflexive address and Chromium connects to it', async (t) => {
  if (skip) return t.skip(skip);
  const d = await daemon(`stun_server=${OUTER}.2:${STUN_PORT}\n`);
  try {
    const token = await d.login('district');
    const ctx1 = await context(d), ctx2 = await context(d);
    const pub = await ctx1.newPage(), sub = await ctx2.newPage();
    await pub.goto(d.url + '/rtc-test/whip.html');
    await sub.goto(d.url + '/rtc-test/whip.html');
    const { answer } = await pub.evaluate((tk) => publish('natted', tk), token);
    console.log('WHIP answer candidates:\n' + candidates(answer).join('\n'));
    const srflx = new RegExp(`a=candidate:\\S+ 1 udp \\d+ ${re(OUTER)}\\.1 (\\d+) typ srflx raddr ${re(INNER)}\\.2 rport \\d+`, 'i');
    assert.match(answer, srflx, 'the answer has a srflx candidate: the NAT\'s outer address, based on the inner one');
    // The router translated the daemon's Binding request to coturn: its
    // conntrack entry maps the inner address to the srflx port.
    const port = srflx.exec(answer)[1];
    const ct = sh(`ip netns exec ${RNS} cat /proc/net/nf_conntrack`).err;
    const mapping = new RegExp(`udp .*src=${re(INNER)}\\.2 dst=${re(OUTER)}\\.2 sport=\\d+ dport=${STUN_PORT} .*src=${re(OUTER)}\\.2 dst=${re(OUTER)}\\.1 sport=${STUN_PORT} dport=${port} `);
    console.log('router conntrack:\n' + ct.split('\n').filter((l) => l.includes(`dport=${STUN_PORT}`)).join('\n'));
    assert.match(ct, mapping, 'the NAT mapped the daemon\'s STUN request to the srflx port');
    await sub.evaluate((tk) => watch('natted', tk), token);
    let s;
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      s = await sub.evaluate(() => stats());
      if (s.video && s.video.framesDecoded > 60) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(s.video && s.video.framesDecoded > 60, 'the viewer outside the NAT decodes video: ' + JSON.stringify(s));
    for (const [who, page] of [['publisher', pub], ['viewer', sub]]) {
      const pair = await page.evaluate(async () => {
        const rep = await pc.getStats();
        let p = null;
        rep.forEach((x) => { if (x.type === 'transport' && x.selectedCandidatePairId) p = rep.get(x.selectedCandidatePairId); });
        const r = p && rep.get(p.remoteCandidateId);
        return r ? `${r.address}:${r.port} ${r.candidateType}` : null;
      });
      console.log(`${who}: Chromium's selected remote candidate ${pair}`);
      assert.match(pair || '', new RegExp(`^${re(OUTER)}\\.1:\\d+ (srflx|prflx)$`), `${who} talks to the NAT's outer address`);
    }
    assertConnectedOver(d, 2, new RegExp(`over udp (${re(OUTER)}\\.1:\\d+ srflx|${re(INNER)}\\.2:\\d+ host) <-> udp ${re(OUTER)}\\.2:\\d+ `),
      'the daemon\'s selected pair goes from behind the NAT to Chromium outside');
    await ctx1.close();
    await ctx2.close();
  } finally {
    await stopRtcDaemon(d);
  }
});

test('without stun_server the daemon behind the NAT offers no server-reflexive candidate', async (t) => {
  if (skip) return t.skip(skip);
  const d = await daemon('');
  try {
    const token = await d.login('district');
    const ctx = await context(d);
    const pub = await ctx.newPage();
    await pub.goto(d.url + '/rtc-test/whip.html');
    const { answer } = await pub.evaluate((tk) => publish('natted2', tk), token);
    console.log('WHIP answer candidates:\n' + candidates(answer).join('\n'));
    assert.doesNotMatch(answer, /typ srflx/i, 'no srflx candidate without a STUN server');
    assert.match(answer, new RegExp(`${re(INNER)}\\.2 \\d+ typ host`, 'i'), 'only the inner host address');
    await ctx.close();
  } finally {
    await stopRtcDaemon(d);
  }
});
