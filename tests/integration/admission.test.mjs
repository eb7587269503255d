// SPDX-License-Identifier: Apache-2.0
// Admission of WHEP viewers ([media] max_load_percent, here 50 % with the
// handshake bound off): while the only media worker is kept busy (it is
// runnable all the time), a new viewer gets 503 at_capacity with
// Retry-After and the refusal is counted; once the worker is idle again,
// viewers are let in. The load is real: a WHIP publisher's ICE socket is
// flooded with junk datagrams, which the worker must read and drop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { startDaemon } from '../lib/daemon.mjs';

let d, token;

before(async () => {
  d = await startDaemon({ ini: '[media]\ninterfaces=127.0.0.1\nworkers=1\nmax_load_percent=50\nmax_handshakes=0\n' });
  token = await d.login('district');
});

after(async () => { if (d) await d.stop(); });

// A minimal audio-only publisher offer (the flood never lets ICE finish).
function offer() {
  const fp = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=ice-ufrag:admt', 'a=ice-pwd:admissiontestpassword0123',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:active', 'a=ssrc:4242 cname:admission', ''].join('\r\n');
}

const sdpPost = (path, body) => d.api(path, { method: 'POST', token, body,
  headers: { 'Content-Type': 'application/sdp' } });

function refusedCount(metrics) {
  const m = /^yj_rtc_viewers_refused_total (\d+)/m.exec(metrics);
  return m ? Number(m[1]) : 0;
}

test('viewers are refused while the media worker is busy, and let in again after', async () => {
  const pub = await sdpPost('/whip/adm', offer());
  assert.equal(pub.status, 201, pub.text);
  const port = Number(/candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/i.exec(pub.text)?.[1]);
  assert.ok(port > 0, 'the answer has a host candidate: ' + pub.text);

  // Idle: a viewer is let in (and then refused for its bad SDP).
  assert.equal((await sdpPost('/whep/adm', 'not sdp')).status, 400);

  const sock = createSocket('udp4');
  const junk = Buffer.alloc(1000, 0x5a);
  junk[0] = 0x80; junk[1] = 0x6f; // RTP-looking, never valid SRTP
  let flooding = true;
  const flood = (async () => {
    while (flooding) {
      for (let i = 0; i < 200; i++) sock.send(junk, port, '127.0.0.1');
      await new Promise((r) => setImmediate(r));
    }
  })();
  let busy = null;
  try {
    const end = Date.now() + 15000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 300));
      const r = await sdpPost('/whep/adm', 'not sdp');
      if (r.status === 503) { busy = r; break; }
    }
  } finally {
    flooding = false;
    await flood;
    sock.close();
  }
  assert.ok(busy, 'a viewer was refused while the worker was flooded');
  assert.equal(busy.json?.error?.code, 'at_capacity');
  assert.match(busy.json.error.message, /at capacity \(\d+% busy\)/);
  assert.equal(busy.headers.get('retry-after'), '10');
  assert.ok(refusedCount((await d.api('/metrics')).text) >= 1, 'the refusal is counted');
  assert.match(d.stderr, /refusing WHEP viewers: media workers \d+% busy \(max_load_percent=50\)/);

  // The flood is over: viewers are let in again (the refusal holds 5 s
  // after the last busy reading, which spans 3 s).
  let status = 503;
  const end = Date.now() + 30000;
  while (status === 503 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    status = (await sdpPost('/whep/adm', 'not sdp')).status;
  }
  assert.equal(status, 400, 'admitted again (then refused for its bad SDP)');
  // Publishers are never refused for load.
  assert.notEqual((await sdpPost('/whip/adm2', 'not sdp')).status, 503);
});
