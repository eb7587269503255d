// SPDX-License-Identifier: Apache-2.0
// Starts the real yuanjiao daemon on a free loopback port with a temporary
// data folder, and talks HTTP to it. Used by every integration and browser
// test. The daemon's stderr is kept; stop() fails the test if the daemon
// exited badly or a sanitizer reported anything.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.YJ_BIN || 'build/yuanjiao';
export const SRC = process.env.YJ_SOURCE_DIR || process.cwd();

// Extra INI text is appended to a test config (fast password hashing).
// netns: run the daemon inside that network namespace (`ip netns exec`
// execs it, so the process is still the daemon's).
// wrap: a command the daemon runs under (e.g. ['prlimit', '--nofile=256:256', '--']).
// playout: put IPTV channels on the air. Off by default: the channels the
// tests create carry multicast addresses, and only a test inside its own
// network namespace may send to those.
// admission: keep the daemon's load-based admission of newcomers
// ([media] max_load_percent). Off by default: it judges the worker busy
// while it waits for a CPU, which a test suite running beside fuzzers
// and browsers makes it do, and a refused member fails tests of other
// things. The admission tests turn it on or set their own threshold.
// yieldJobs: keep background jobs (transcodes, compositions) yielding to
// busy media workers ([jobs] yield_load_percent). Off by default for the
// same reason: on a loaded test machine the workers read busy, and every
// job would crawl; tests/unit/test_jobs covers the yielding itself.
export async function startDaemon({ demo = true, ini = '', dataDir = null, args = [], netns = null, wrap = null, playout = false, admission = false, yieldJobs = false } = {}) {
  const dir = dataDir || mkdtempSync(join(tmpdir(), 'yj-test-'));
  const conf = join(dir, 'test.conf');
  const media = admission ? '' : '[media]\nmax_load_percent=0\n';
  const jobs = yieldJobs ? '' : '[jobs]\nyield_load_percent=0\n';
  writeFileSync(conf, `[auth]\npbkdf2_iterations=1000\n[iptv]\nplayout=${playout}\n${media}${jobs}${ini}\n`);
  const argv = ['--config', conf, '--data-dir', dir, '--http-port', '0', ...args];
  if (demo) argv.push('--demo');
  const d = { dir, conf, stderr: '', stdout: '', exited: null };
  // A playout renders its slate with GStreamer text: LeakSanitizer needs
  // full malloc stacks to tell GLib's process-lifetime quark block (the
  // daemon's _dl_init suppression) from a leak.
  const env = playout ? { ...process.env, ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'fast_unwind_on_malloc=0'].filter(Boolean).join(':') } : process.env;
  const opts = { stdio: ['ignore', 'pipe', 'pipe'], env };
  const proc = netns ? spawn('ip', ['netns', 'exec', netns, BIN, ...argv], opts)
    : wrap ? spawn(wrap[0], [...wrap.slice(1), BIN, ...argv], opts)
      : spawn(BIN, argv, opts);
  d.proc = proc;
  proc.stderr.on('data', (b) => { d.stderr += b; });
  d.exit = new Promise((resolve) => proc.on('exit', (code, sig) => { d.exited = { code, sig }; resolve(d.exited); }));
  d.url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('daemon did not start:\n' + d.stderr)), 30000);
    proc.stdout.on('data', (b) => {
      d.stdout += b;
      const m = /portal at (http:\/\/[^/\s]+)\//.exec(d.stdout);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', () => { clearTimeout(timer); reject(new Error('daemon exited:\n' + d.stderr)); });
  });
  d.port = Number(new URL(d.url).port);
  d.api = (path, opts = {}) => api(d.url, path, opts);
  d.login = async (username, password = 'demo-pass-2026') => {
    const r = await d.api('/api/v1/session', { method: 'POST', body: { username, password } });
    if (r.status !== 201) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.json.token;
  };
  // Graceful stop; returns the exit status. Throws on sanitizer reports.
  d.stop = async ({ keep = false } = {}) => {
    if (!d.exited) proc.kill('SIGTERM');
    const st = await d.exit;
    checkSanitizers(d.stderr);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    return st;
  };
  d.kill9 = async () => { proc.kill('SIGKILL'); return d.exit; };
  return d;
}

export function checkSanitizers(stderr) {
  const m = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)[^\n]*/.exec(stderr);
  if (m) throw new Error('sanitizer report from the daemon: ' + m[0] + '\n' + stderr.slice(-4000));
}

// One HTTP call. body: object → JSON; string/Buffer → sent as is.
export async function api(base, path, { method = 'GET', body, token, headers = {} } = {}) {
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  }
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, body: payload, headers: h, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

// Runs the daemon binary once (subcommands) and returns {status, stdout, stderr}.
export function runCli(args, input = '') {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
