// SPDX-License-Identifier: Apache-2.0
// Shared set-up for the media (WHIP/WHEP/SFU) browser tests: the daemon's
// [media] section with the test-only client pages, and a teardown that
// keeps the daemon's log when something went wrong.
import { writeFileSync } from 'node:fs';
import { SRC } from './daemon.mjs';

// Media on one host address with two workers and the pages under
// tests/browser/rtc served at /rtc-test/.
export function rtcIni(host = '127.0.0.1') {
  return `[media]\ninterfaces=${host}\nworkers=2\ntest_pages=${SRC}/tests/browser/rtc\n`;
}

// Stops the daemon; prints its log tail if it died early and writes the
// whole log to $YJ_TEST_LOG when set.
export async function stopRtcDaemon(d) {
  if (!d) return;
  if (d.exited) console.log('daemon exited early:', d.exited, d.stderr.slice(-6000));
  if (process.env.YJ_TEST_LOG) writeFileSync(process.env.YJ_TEST_LOG, d.stderr);
  await d.stop();
}

// A new browser context on the test client page (tests/browser/rtc/whip.html),
// its console errors echoed; returns { ctx, page }.
export async function openTestPage(browser, d) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log('[page]', m.text()); });
  await page.goto(d.url + '/rtc-test/whip.html');
  return { ctx, page };
}
