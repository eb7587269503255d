// SPDX-License-Identifier: Apache-2.0
// Helpers for browser tests that build their own network out of namespaces
// and veth pairs: a shell runner that reports failure instead of throwing,
// and a coturn turnserver started on addresses the test owns, with a
// temporary config (no system config, database, pid file or CLI port), its
// log kept in memory and stopped with the test.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TURNSERVER = process.env.TURNSERVER || '/usr/bin/turnserver';

// Runs one shell command; {ok, err} (stderr then stdout).
export function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 30000 });
  return { ok: r.status === 0, err: (r.stderr || '') + (r.stdout || '') };
}

// Starts turnserver with the given config lines (listening/relay addresses,
// users…) in dir, inside namespace netns when given. Resolves once it
// listens, rejects after 15 s. Returns {log(), stop()}.
export async function startTurnserver(dir, lines, { netns = null } = {}) {
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(conf, [...lines, 'no-tls', 'no-dtls', 'no-cli', 'fingerprint', 'no-rfc5780',
    'no-tcp-relay', `pidfile=${join(dir, 'turnserver.pid')}`, `userdb=${join(dir, 'turndb')}`,
    'log-file=stdout', 'simple-log', 'verbose', ''].join('\n'));
  const argv = ['-c', conf];
  const proc = netns ? spawn('ip', ['netns', 'exec', netns, TURNSERVER, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(TURNSERVER, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', exited = null;
  proc.stdout.on('data', (b) => { out += b; });
  proc.stderr.on('data', (b) => { out += b; });
  const exit = new Promise((resolve) => proc.on('exit', (code, sig) => { exited = { code, sig }; resolve(); }));
  const end = Date.now() + 15000;
  while (!/Total (General|UDP) servers/.test(out) || !/relay .* initialization done/.test(out)) {
    if (exited) throw new Error('turnserver exited: ' + JSON.stringify(exited) + '\n' + out);
    if (Date.now() > end) { proc.kill('SIGKILL'); throw new Error('turnserver did not start:\n' + out); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    log: () => out,
    stop: async () => {
      if (!exited) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    },
  };
}

// Asserts the daemon logged n "… connected (profile) over LOCAL <-> REMOTE"
// lines and that each line's selected pair matches pairRe.
export function assertConnectedOver(d, n, pairRe, what) {
  const lines = d.stderr.split('\n').filter((l) => / connected \(/.test(l));
  console.log(lines.join('\n'));
  assert.equal(lines.length, n, `${n} peers connected`);
  for (const l of lines) assert.match(l, pairRe, what);
}
