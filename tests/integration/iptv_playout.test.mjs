// SPDX-License-Identifier: Apache-2.0
// IPTV playout on multicast, judged by real clients. Inside a network
// namespace the test creates (a veth pair, 239.0.0.0/8 routed on it),
// build/yj-iptv-play plays a fixed schedule — programme 1 (a lesson made
// here with ffmpeg: 720p + 360p renditions, 20 s, shorter than its slot,
// so it ends into the slate), a hole (the slate), programme 2 (a second
// lesson) — to 239.77.1.1:5500, and build/yj-tscheck captures it for
// YJ_IPTV_CAPTURE_SECONDS (default 60) across those changes. Checked:
//  - our TS analysis: 0 continuity/CRC/sync errors, PCR every ≤ 40 ms and
//    within ±500 ns of the CBR line, PAT/PMT ≤ 100 ms, SDT and EIT p/f
//    ≤ 2 s, bitrate within 1 % in every 1-s window (stream line and
//    kernel arrival times), 1316-byte datagrams, PTS every ≤ 700 ms and
//    never going back, the EIT titles of both programmes, the SDT names;
//  - ffprobe finds h264 + aac, and ffmpeg decodes the capture without one
//    error; GStreamer's tsdemux parses it;
//  - cvlc (as an unprivileged user) plays the multicast and remuxes it;
//  - the live HLS window written beside it: a sliding playlist with
//    EXT-X-PROGRAM-DATE-TIME, segments that start with PAT/PMT and a
//    keyframe, decoded by ffmpeg and played by cvlc;
//  - RTP (RFC 2250) mode for a few seconds: same checks on the analyzer.
// Nothing leaves the namespace. Skips, saying why, when not root or
// without namespaces, ffmpeg or cvlc.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '../lib/netns.mjs';

const BUILD = process.env.YJ_BUILD_DIR || 'build';
const PLAY = join(BUILD, 'yj-iptv-play'), CHECK = join(BUILD, 'yj-tscheck');
const DUR = Number(process.env.YJ_IPTV_CAPTURE_SECONDS || 60);
const id = process.pid % 10000;
const NS = `yjtv${id}`, A = `yjtv${id}a`, B = `yjtv${id}b`;
const SRC = '10.78.0.1', GROUP = '239.77.1.1', BITRATE = 2000000;
let dir, skip = null;

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, ...opts });
}

// A lesson like vod/transcode.c writes: HLS renditions of MPEG-TS segments
// starting on IDRs, and a master playlist with BANDWIDTH per rendition.
function makeLesson(out, src, renditions) {
  const master = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    const rd = join(out, r.name);
    mkdirSync(rd, { recursive: true });
    const res = run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${src}=size=${r.w}x${r.h}:rate=25`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
      '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${r.kbps}k`, '-maxrate', `${r.kbps * 1.5}k`,
      '-bufsize', `${r.kbps * 2}k`, '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '2',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-ac', '2',
      '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod',
      '-hls_segment_filename', join(rd, 'seg%05d.ts'), join(rd, 'index.m3u8')], { cwd: out });
    if (res.status !== 0) throw new Error('ffmpeg: ' + (res.stderr || res.error));
    master.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(r.kbps + 70) * 1000},RESOLUTION=${r.w}x${r.h},CODECS="avc1.4d401f,mp4a.40.2"`, `${r.name}/index.m3u8`);
  }
  writeFileSync(join(out, 'master.m3u8'), master.join('\n') + '\n');
  return join(out, 'master.m3u8');
}

before(() => {
  if (process.getuid && process.getuid() !== 0) { skip = 'needs root for network namespaces'; return; }
  for (const t of ['ffmpeg', 'ffprobe', 'cvlc', 'gst-launch-1.0', 'runuser'])
    if (run('sh', ['-c', `command -v ${t}`]).status !== 0) { skip = `${t} is not installed`; return; }
  if (!existsSync(PLAY) || !existsSync(CHECK)) { skip = 'build yj-iptv-play and yj-tscheck first'; return; }
  dir = mkdtempSync(join(tmpdir(), 'yj-iptv-'));
  chmodSync(dir, 0o777);
  const mk = sh(`ip netns add ${NS}`);
  if (!mk.ok) { skip = 'cannot create a network namespace: ' + mk.err; return; }
  for (const c of [`ip -n ${NS} link set lo up`,
    `ip -n ${NS} link add ${A} type veth peer name ${B}`,
    `ip -n ${NS} addr add ${SRC}/24 dev ${A}`, `ip -n ${NS} addr add 10.78.0.2/24 dev ${B}`,
    `ip -n ${NS} link set ${A} up`, `ip -n ${NS} link set ${B} up`,
    `ip -n ${NS} route add 239.0.0.0/8 dev ${A}`]) {
    const r = sh(c);
    assert.ok(r.ok, `${c}: ${r.err}`);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  sh(`ip netns del ${NS} 2>/dev/null`);
});

// Runs a program inside the namespace; resolves with {code, out, err}.
function nsRun(args, { user = null } = {}) {
  const argv = ['netns', 'exec', NS, ...(user ? ['runuser', '-u', user, '--'] : []), ...args];
  const p = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (b) => { out += b; });
  p.stderr.on('data', (b) => { err += b; });
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err })));
}

function assertClean(r, what, { arrival = true } = {}) {
  assert.ok(r.datagrams > 100, `${what}: datagrams received`);
  assert.equal(r.bad_datagrams, 0, `${what}: every datagram carries 1316 bytes of TS`);
  assert.equal(r.sync_errors, 0, `${what}: TS sync`);
  assert.equal(r.cc_errors, 0, `${what}: continuity errors`);
  assert.equal(r.crc_errors, 0, `${what}: PSI CRC errors`);
  assert.equal(r.tei_errors, 0, `${what}: transport errors`);
  assert.equal(r.video_type, 0x1b, `${what}: H.264 in the PMT`);
  assert.equal(r.audio_type, 0x0f, `${what}: AAC ADTS in the PMT`);
  assert.ok(r.pat_count > 0 && r.pat_max_ms <= 100, `${what}: PAT every ≤ 100 ms (${r.pat_max_ms})`);
  assert.ok(r.pmt_count > 0 && r.pmt_max_ms <= 100, `${what}: PMT every ≤ 100 ms (${r.pmt_max_ms})`);
  assert.ok(r.sdt_count > 0 && r.sdt_max_ms <= 2000, `${what}: SDT every ≤ 2 s (${r.sdt_max_ms})`);
  assert.ok(r.eit_pf_count > 0 && r.eit_pf_max_ms <= 2000, `${what}: EIT p/f every ≤ 2 s (${r.eit_pf_max_ms})`);
  assert.ok(r.pcr_count > 0 && r.pcr_max_ms <= 40, `${what}: PCR every ≤ 40 ms (${r.pcr_max_ms})`);
  assert.ok(r.pcr_max_acc_ns <= 500, `${what}: PCR within ±500 ns (${r.pcr_max_acc_ns})`);
  assert.ok(r.pts_max_ms <= 700, `${what}: PTS every ≤ 700 ms (${r.pts_max_ms})`);
  assert.equal(r.dts_backwards, 0, `${what}: timestamps never go back`);
  assert.equal(r.dts_repeats, 0, `${what}: DTS never repeats`);
  assert.ok(r.windows >= 2 && r.br_min >= BITRATE * 0.99 && r.br_max <= BITRATE * 1.01,
    `${what}: bitrate of the stream within 1 % per second (${r.br_min}..${r.br_max})`);
  if (arrival)
    assert.ok(r.arr_windows >= 2 && r.arr_br_min >= BITRATE * 0.99 && r.arr_br_max <= BITRATE * 1.01,
      `${what}: arrival bitrate within 1 % per second (${r.arr_br_min}..${r.arr_br_max})`);
  assert.equal(r.service, '远教测试台');
  assert.equal(r.provider, '远教县委组织部');
}

test('a multicast channel across programme changes passes the TS checks and real clients', { timeout: (DUR + 240) * 1000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const l1 = makeLesson(join(dir, 'l1'), 'testsrc2', [{ name: '720p', w: 1280, h: 720, kbps: 1200 }, { name: '360p', w: 640, h: 360, kbps: 400 }]);
  const l2 = makeLesson(join(dir, 'l2'), 'smptebars', [{ name: '720p', w: 1280, h: 720, kbps: 1200 }]);
  const prog = Math.max(10, Math.round(DUR * 0.4)), gap = Math.max(3, Math.round(DUR * 0.1));
  const cap = join(dir, 'cap.ts'), vlcOut = join(dir, 'vlc.ts');
  // the analyzer listens first, then the playout starts; VLC joins a few seconds in
  const check = nsRun([CHECK, '--bitrate', String(BITRATE), '--seconds', String(DUR), '--iface', SRC, '--out', cap, `udp://@${GROUP}:5500`]);
  await new Promise((r) => setTimeout(r, 300));
  const play = nsRun([PLAY, '--lesson', l1, '--lesson2', l2, '--address', GROUP, '--port', '5500', '--iface', SRC,
    '--ttl', '1', '--bitrate', String(BITRATE), '--programme', String(prog), '--gap', String(gap), '--seconds', String(DUR + 3),
    '--hls-dir', join(dir, 'hls')]);
  await new Promise((r) => setTimeout(r, 3000));
  const vlc = nsRun(['cvlc', '-I', 'dummy', '--no-video-title-show', '--play-and-exit', '--run-time', '8',
    `udp://@${GROUP}:5500`, '--sout', `#std{access=file,mux=ts,dst=${vlcOut}}`], { user: 'nobody' });
  const [c, p, v] = await Promise.all([check, play, vlc]);
  console.log(p.out + p.err.split('\n').filter((l) => /iptv/.test(l)).join('\n'));
  assert.equal(p.code, 0, 'yj-iptv-play: ' + p.err);
  assert.equal(c.code, 0, 'yj-tscheck: ' + c.err);
  const r = JSON.parse(c.out);
  console.log(JSON.stringify(r));
  assertClean(r, 'multicast');
  assert.ok(r.windows >= DUR - 3, 'the whole capture was judged');
  assert.match(p.out, /yj_iptv_source_errors_total\{channel="1"\} 0/);
  assert.match(p.out, /yj_iptv_late_datagrams_total\{channel="1"\} 0/);
  // both programmes were on the air, announced in EIT present
  assert.ok(r.titles.includes('第1讲 党课：学习新思想'), 'programme 1 in EIT: ' + r.titles);
  if (DUR >= prog + gap + 3) assert.ok(r.titles.includes('第2讲 农业技术：水稻种植'), 'programme 2 in EIT: ' + r.titles);

  const probe = run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width,height', '-of', 'json', cap]);
  assert.equal(probe.status, 0, probe.stderr);
  const codecs = JSON.parse(probe.stdout).streams.map((s) => s.codec_name);
  assert.ok(codecs.includes('h264') && codecs.includes('aac'), 'ffprobe streams: ' + codecs);
  assert.equal(probe.stderr.trim(), '', 'ffprobe reports no error');
  // the capture stops wherever the clock says, usually inside a frame:
  // decode all but its last seconds (output -t), every frame with its own
  // timestamp (passthrough)
  const dec = run('ffmpeg', ['-nostdin', '-v', 'error', '-i', cap, '-vsync', 'passthrough', '-t', String(DUR - 3), '-f', 'null', '-']);
  assert.equal(dec.status, 0);
  assert.equal(dec.stderr.trim(), '', 'ffmpeg decodes the whole capture without an error');
  const gst = run('gst-launch-1.0', ['-q', 'filesrc', `location=${cap}`, '!', 'tsdemux', 'name=d',
    'd.', '!', 'queue', '!', 'h264parse', '!', 'fakesink', 'd.', '!', 'queue', '!', 'aacparse', '!', 'fakesink']);
  assert.equal(gst.status, 0, 'GStreamer tsdemux: ' + gst.stderr);

  // the live HLS window of the same stream
  const hlsDir = join(dir, 'hls');
  const pl = readFileSync(join(hlsDir, 'live.m3u8'), 'utf8');
  console.log(pl);
  const segs = pl.split('\n').filter((l) => /^seg\d+\.ts$/.test(l));
  assert.ok(segs.length >= 3 && segs.length <= 6, 'a sliding window of segments: ' + segs.length);
  assert.equal((pl.match(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g) || []).length, segs.length);
  assert.match(pl, /#EXT-X-MEDIA-SEQUENCE:\d+/);
  assert.doesNotMatch(pl, /#EXT-X-ENDLIST/);
  for (const sgm of segs) {
    const head = readFileSync(join(hlsDir, sgm)).subarray(0, 376);
    assert.equal(((head[1] & 0x1f) << 8) | head[2], 0, `${sgm} starts with the PAT`);
    const k = run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-read_intervals', '%+#1', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', join(hlsDir, sgm)]);
    assert.match(k.stdout, /^1/, `${sgm} starts on a keyframe`);
  }
  writeFileSync(join(hlsDir, 'ended.m3u8'), pl + '#EXT-X-ENDLIST\n');
  const hdec = run('ffmpeg', ['-nostdin', '-v', 'error', '-i', join(hlsDir, 'ended.m3u8'), '-f', 'null', '-']);
  assert.equal(hdec.stderr.trim(), '', 'ffmpeg decodes the HLS window without an error');
  chmodSync(hlsDir, 0o755);
  const vlcHls = join(dir, 'vlc-hls.ts');
  const vh = await nsRun(['cvlc', '-I', 'dummy', '--play-and-exit', '--run-time', '20', join(hlsDir, 'ended.m3u8'),
    '--sout', `#std{access=file,mux=ts,dst=${vlcHls}}`], { user: 'nobody' });
  const vhp = run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', vlcHls]);
  const vhc = JSON.parse(vhp.stdout || '{"streams":[]}').streams.map((s) => s.codec_name);
  assert.ok(vhc.includes('h264') && vhc.includes('aac'), 'VLC played the HLS: ' + vhc + ' ' + vh.err.slice(-1500));

  assert.ok(existsSync(vlcOut), 'VLC wrote its recording: ' + v.err.slice(-2000));
  const vp = run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', vlcOut]);
  const vc = JSON.parse(vp.stdout || '{"streams":[]}').streams.map((s) => s.codec_name);
  assert.ok(vc.includes('h264') && vc.includes('aac'), 'VLC received h264 + aac: ' + vc + ' ' + v.err.slice(-2000));
});

test('RTP (RFC 2250) mode carries the same stream', { timeout: 120000 }, async (t) => {
  if (skip) { t.skip(skip); return; }
  const l1 = join(dir, 'l1', 'master.m3u8');
  if (!existsSync(l1)) { t.skip('the first test made no lesson'); return; }
  const check = nsRun([CHECK, '--bitrate', String(BITRATE), '--seconds', '8', '--iface', SRC, `udp://@${GROUP}:5600`]);
  await new Promise((r) => setTimeout(r, 300));
  const play = nsRun([PLAY, '--lesson', l1, '--address', GROUP, '--port', '5600', '--iface', SRC, '--rtp',
    '--bitrate', String(BITRATE), '--programme', '30', '--seconds', '10']);
  const [c, p] = await Promise.all([check, play]);
  assert.equal(p.code, 0, p.err);
  const r = JSON.parse(c.out);
  assert.ok(r.rtp_datagrams > 100 && r.rtp_datagrams === r.datagrams, 'every datagram is RTP');
  // The sender's pacing (arrival bitrate per second) is judged over the
  // 60-s capture above; this 10-s run is about the RTP encapsulation, and
  // one scheduler stall on a loaded machine would fail it for no reason.
  assertClean(r, 'rtp', { arrival: false });
});
