// SPDX-License-Identifier: Apache-2.0
// Debian's Chromium driven by playwright-core, with the flags WebRTC and
// HLS tests need on a closed loopback-only machine.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Without it Chromium gathers no loopback ICE candidates.
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-gpu',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

// ------------------------------------------------------------------
// The set-up every browser test repeated: start the daemon, sign in,
// launch Chromium; tear down Chromium first, then the daemon (its log
// tail printed if it died early, the whole log in $YJ_TEST_LOG).

import { before, after } from 'node:test';
import { startDaemon } from './daemon.mjs';
import { rtcIni, stopRtcDaemon } from './rtc.mjs';

// Registers one node:test before hook and one after hook, and returns the
// session the first fills in: { d, browser, tokens: {username: token} }.
//   daemon        startDaemon options
//   media         add the [media] section with the test pages (rtcIni)
//                 and --log-level $YJ_LOG_LEVEL (default info)
//   logins        administrators to sign in (tokens[username])
//   ready(s)      the test's own set-up, awaited at the end of the same
//                 hook (Node 20 does not wait for one top-level before
//                 hook to finish before running the next, so a test must
//                 not read the session from a before hook of its own)
//   chromiumArgs  extra flags, or a function of the daemon returning them
export function browserTest({ daemon = {}, media = false, logins = [], ready = null,
  chromiumArgs = [] } = {}) {
  const s = { d: null, browser: null, tokens: {} };
  before(async () => {
    const opts = { ...daemon };
    if (media) {
      opts.ini = rtcIni() + (daemon.ini || '');
      opts.args = ['--log-level', process.env.YJ_LOG_LEVEL || 'info', ...(daemon.args || [])];
    }
    s.d = await startDaemon(opts);
    for (const u of logins) s.tokens[u] = await s.d.login(u);
    s.browser = await launch(typeof chromiumArgs === 'function' ? chromiumArgs(s.d) : chromiumArgs);
    if (ready) await ready(s);
  });
  after(async () => {
    if (s.browser) await s.browser.close();
    await stopRtcDaemon(s.d);
  });
  return s;
}

// Polls fn (every `every` ms, at most ms) until it returns an object with
// ok set; returns that object, or throws naming what was awaited and the
// last value seen. Tests wait on conditions, never on fixed sleeps.
export async function until(fn, what, ms = 20000, every = 300) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last && last.ok) return last;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(last)}`);
}

// Echoes a page's console errors to the test log, tagged.
export function echoErrors(page, tag = 'page') {
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${tag}]`, m.text()); });
  return page;
}
