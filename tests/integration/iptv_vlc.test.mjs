// SPDX-License-Identifier: Apache-2.0
// The channel list in a real IPTV client: VLC (cvlc, run as an
// unprivileged user because VLC refuses root) opens the daemon's M3U
// (form=multicast) for the demo channel, takes the #EXTINF name, opens
// the udp://@127.0.0.1:PORT entry and demuxes the MPEG-TS arriving there.
// The stream is sent by ffmpeg standing in for the playout (which lives
// on the other half of iptv/): this test is about the playlist, not the
// transport stream. Loopback only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.mjs';

let d, dir;

before(async () => { d = await startDaemon(); });
after(async () => {
  if (d) await d.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function freeUdpPort() {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function run(cmd, args, timeoutMs, onSpawn = null) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (onSpawn) onSpawn(p);
    let out = '';
    p.stdout.on('data', (b) => { out += b; });
    p.stderr.on('data', (b) => { out += b; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('VLC opens the demo channel from the M3U and demuxes its stream', async (t) => {
  if (spawnSync('which', ['cvlc']).status !== 0) { t.skip('cvlc is not installed'); return; }
  const admin = await d.login('district');
  const port = await freeUdpPort();
  let r = await d.api('/api/v1/channels', { token: admin });
  const demo = r.json.channels.find((c) => c.name === '远教一台');
  assert.ok(demo, 'the demo channel exists');
  r = await d.api(`/api/v1/channels/${demo.id}`, { method: 'PATCH', token: admin, body: { port } });
  assert.equal(r.status, 200, r.text);
  r = await d.api('/api/v1/channels.m3u?form=multicast', { token: admin });
  assert.ok(r.text.includes(`udp://@127.0.0.1:${port}\n`));
  dir = mkdtempSync(join(tmpdir(), 'yj-vlc-'));
  chmodSync(dir, 0o755);
  const m3u = join(dir, 'channels.m3u');
  // only the demo channel, so VLC plays exactly it
  const lines = r.text.split('\n');
  const i = lines.findIndex((l) => l.includes('tvg-name="远教一台"'));
  writeFileSync(m3u, [lines[0], lines[i], lines[i + 1], ''].join('\n'));
  chmodSync(m3u, 0o644);
  let vlcProc = null;
  const vlc = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${dir}`,
    'cvlc', '-vv', '-I', 'dummy', '--vout=dummy', '--aout=dummy', '--play-and-exit', '--run-time=6', m3u, 'vlc://quit'], 30000, (p) => { vlcProc = p; });
  await new Promise((res) => setTimeout(res, 1500)); // VLC binds the port first
  const ff = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-f', 'lavfi', '-i', 'sine', '-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac',
    '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], 30000);
  assert.equal(ff.code, 0, ff.out);
  // VLC keeps listening on a live input: stop it once the stream is over
  await new Promise((res) => setTimeout(res, 1000));
  vlcProc.kill('SIGTERM');
  const v = await vlc;
  assert.match(v.out, /Creating an input for '远教一台'/, 'VLC took the #EXTINF name');
  assert.match(v.out, new RegExp(`udp://@127\\.0\\.0\\.1:${port}' successfully opened`));
  assert.match(v.out, /new PMT program number=\d+/);
  assert.match(v.out, /AVC video stream/);
});
