// SPDX-License-Identifier: Apache-2.0
// Reading a flash-and-beep recording (a white flash and a 1 kHz beep at the
// start of every second) back with ffmpeg: flash onsets from signalstats
// YAVG, beep onsets from silencedetect, each beep paired with its flash.
// Shared by the lip-sync tests (GStreamer and Chromium publishers).
import { spawnSync } from 'node:child_process';

// Flash onsets (s): frames whose mean luma rises through 100. The first
// is left out: the picture starts at a keyframe, often in mid-flash.
export function flashes(url) {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', url, '-map', '0:v:0', '-vf',
    'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-'],
  { encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20 });
  const out = [];
  let t = null, prev = 0;
  for (const line of r.stdout.split('\n')) {
    const f = /pts_time:([\d.]+)/.exec(line);
    if (f) { t = Number(f[1]); continue; }
    const y = /YAVG=([\d.]+)/.exec(line);
    if (y && t !== null) {
      const v = Number(y[1]);
      if (v > 100 && prev <= 100) out.push(t);
      prev = v;
    }
  }
  return out.slice(1);
}

// Beep onsets (s): the ends of silences.
export function beeps(url) {
  const r = spawnSync('ffmpeg', ['-v', 'info', '-nostats', '-i', url, '-map', '0:a:0', '-af',
    'silencedetect=noise=-30dB:duration=0.3', '-f', 'null', '-'], { encoding: 'utf8', timeout: 120000 });
  return [...r.stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
}

// Flash − beep offsets (ms, rounded) of every beep that has a flash within
// 0.5 s (a second without a flash is one the decoder skipped waiting for a
// keyframe: not an offset).
export function pairOffsets(v, a) {
  const offsets = [];
  for (const t of a) {
    const near = v.reduce((b, x) => (Math.abs(x - t) < Math.abs(b - t) ? x : b), Infinity);
    if (Math.abs(near - t) < 0.5) offsets.push(Math.round((near - t) * 1000));
  }
  return offsets;
}

// How far the video track's first sender report claims an RTP time past
// the last packet sent before it, beyond the time between the two (s): 0
// for a sender that keeps up. Read from the raw track file (admin API).
export async function srLead(dd, token, rec) {
  const t = rec.tracks.find((x) => x.kind === 'video');
  const res = await fetch(dd.url + t.download_url, { headers: { authorization: `Bearer ${token}` } });
  const b = Buffer.from(await res.arrayBuffer());
  let off = 24, last = null;
  while (off + 16 <= b.length) {
    const sec = b.readUInt32LE(off), us = b.readUInt32LE(off + 4), incl = b.readUInt32LE(off + 8);
    const at = sec + us / 1e6, body = b.subarray(off + 16, off + 16 + incl), p = body.subarray(28);
    off += 16 + incl;
    if (body.readUInt16BE(22) === 5004) { last = { at, ts: p.readUInt32BE(4) }; continue; }
    if (!last) continue;
    const srTs = p.readUInt32BE(16);
    return ((srTs - last.ts) | 0) / 90000 - (at - last.at);
  }
  return 0;
}

// Every sender report of a track against the track's first one at the
// nominal clock rate (ms): NTP(SR) − NTP(first SR) − ΔRTP / clock rate.
// 0 throughout for a sender whose RTP clock keeps to its wall clock; a
// step is a jump of its RTP timeline that its SRs own up to.
export async function srDrift(dd, token, rec, kind) {
  const t = rec.tracks.find((x) => x.kind === kind);
  const rate = kind === 'video' ? 90000 : 48000;
  const res = await fetch(dd.url + t.download_url, { headers: { authorization: `Bearer ${token}` } });
  const b = Buffer.from(await res.arrayBuffer());
  let off = 24, first = null;
  const out = [];
  while (off + 16 <= b.length) {
    const incl = b.readUInt32LE(off + 8);
    const body = b.subarray(off + 16, off + 16 + incl), p = body.subarray(28);
    off += 16 + incl;
    if (body.readUInt16BE(22) === 5004 || p.length < 20 || p[1] !== 200) continue;
    const ntp = p.readUInt32BE(8) * 1000 + p.readUInt32BE(12) / 4294967.296, ts = p.readUInt32BE(16);
    if (!first) first = { ntp, ts };
    out.push(Math.round(ntp - first.ntp - ((ts - first.ts) | 0) / rate * 1000));
  }
  return out;
}
