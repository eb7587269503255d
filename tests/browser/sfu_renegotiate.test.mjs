// SPDX-License-Identifier: Apache-2.0
// Server re-offers with real Chromium (unified plan): three peers that
// each publish and subscribe join one room; the server adds m-lines for the
// others through offers, each peer decodes both others' video and receives
// their audio; one leaves (its m-lines go inactive) and a newcomer reuses
// them. Uses the test-only HTTP signaling of signaling/rtc_test.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserTest, echoErrors } from '../lib/browser.mjs';

let d, browser;
browserTest({ media: true, daemon: { demo: false }, ready: (s) => ({ d, browser } = s) });

async function member(id, opts = {}) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  echoErrors(page, id);
  await page.goto(d.url + '/rtc-test/whip.html');
  await page.evaluate(([i, o]) => join('meet1', i, o), [id, opts]);
  return { id, ctx, page };
}

async function seesAll(m, others, ms = 25000) {
  const end = Date.now() + ms;
  let s;
  let base = null;
  while (Date.now() < end) {
    s = await m.page.evaluate(() => remoteStats());
    const ok = others.every((o) => s.streams[o] && s.streams[o].video > 3 && s.streams[o].audio > 20);
    if (ok && !base) base = s;
    else if (ok && others.every((o) => s.streams[o].video > base.streams[o].video)) return s;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${m.id} does not decode ${others.join(',')}: ${JSON.stringify(s)}`);
}

test('three publishers see and hear each other through server re-offers', async () => {
  const a = await member('alice');
  const b = await member('bob');
  const c = await member('carol');
  try {
    await seesAll(a, ['bob', 'carol']);
    await seesAll(b, ['alice', 'carol']);
    const sc = await seesAll(c, ['alice', 'bob']);
    console.log('carol', JSON.stringify(sc));
    // carol leaves: alice's m-lines for carol go inactive (re-offer)
    await c.page.evaluate(() => leave());
    await c.ctx.close();
    const end = Date.now() + 15000;
    let s;
    while (Date.now() < end) {
      s = await a.page.evaluate(() => remoteStats());
      if (!s.streams.carol) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(!s.streams.carol, 'carol no longer received: ' + JSON.stringify(s));
    const before = s.transceivers;
    // dave joins: alice receives him on the recycled m-lines
    const dv = await member('dave');
    await seesAll(a, ['bob', 'dave']);
    await seesAll(dv, ['alice', 'bob']);
    const after = (await a.page.evaluate(() => remoteStats())).transceivers;
    assert.equal(after, before, 'm-lines were recycled, not appended');
    // eve has no camera or microphone: her recvonly placeholders are filled
    // by a server offer, with the publishers' stream ids
    const ev = await member('eve', { recvOnly: true });
    const se = await seesAll(ev, ['alice', 'bob', 'dave']);
    assert.ok(!se.streams.undefined && Object.keys(se.streams).length === 3, JSON.stringify(se));
    // frank subscribes to audio only (a weak village link): he hears
    // everyone and receives no video
    const fr = await member('frank', { audioOnly: true });
    const end2 = Date.now() + 20000;
    let sf;
    while (Date.now() < end2) {
      sf = await fr.page.evaluate(() => remoteStats());
      if (['alice', 'bob', 'dave'].every((o) => sf.streams[o] && sf.streams[o].audio > 20)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const o of ['alice', 'bob', 'dave']) {
      assert.ok(sf.streams[o] && sf.streams[o].audio > 20, 'frank hears ' + o + ': ' + JSON.stringify(sf));
      assert.ok(!sf.streams[o].video, 'frank gets no video from ' + o);
    }
    await fr.ctx.close();
    await ev.ctx.close();
    await dv.ctx.close();
  } finally {
    await a.ctx.close();
    await b.ctx.close();
  }
});
