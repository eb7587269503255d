// SPDX-License-Identifier: Apache-2.0
// The meeting page with real Chromium clients (fake camera and microphone):
// three members join one meeting through /meet/{id}; each decodes video
// and receives audio from both others; one leaves and the others see it;
// the host ends the meeting; the ledger then holds one credit per member.
// Also: the page rejoins by itself after its network drops (a TCP proxy
// between page and server is cut).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { browserTest, until as untilFor } from '../lib/browser.mjs';
import { idNumber, ensureMember, memberToken, meetingCredits } from '../lib/members.mjs';

let d, browser, admin, district;
const members = [
  { id_number: idNumber('330101', '19750101', 11), name: '青山一', org_code: '33010101' },
  { id_number: idNumber('330101', '19750101', 22), name: '青山二', org_code: '33010101' },
  // A migrant member of another township, invited individually.
  { id_number: idNumber('330102', '19750101', 33), name: '流动三', org_code: '33010201', migrant: true },
];

browserTest({
  daemon: {
    ini: '[media]\ninterfaces=127.0.0.1\nworkers=2\n[meetings]\ngrace_seconds=2\nheartbeat_seconds=1\n',
  },
  logins: ['qingshan', 'district'],
  ready: async (s) => {
    ({ d, browser } = s);
    admin = s.tokens.qingshan;
    district = s.tokens.district;
    for (const m of members) {
      await ensureMember(d, district, m);
      m.token = await memberToken(d, district, m.id_number);
    }
  },
});

const until = (fn, what, ms = 30000) => untilFor(fn, what, ms);

// A signed-in page at /meet/{id}, joined. base: the server URL to use.
async function open(m, meetingId, base = d.url) {
  const ctx = await browser.newContext();
  await ctx.addCookies([{ name: 'yj_session', value: m.token, url: base }]);
  const page = await ctx.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') console.log(`[${m.name}]`, msg.text()); });
  page.on('pageerror', (e) => console.log(`[${m.name}] page error:`, e.message));
  page.on('dialog', (dlg) => dlg.accept());
  await page.goto(`${base}/meet/${meetingId}`);
  await page.waitForSelector('#join:not([disabled])', { timeout: 15000 });
  await page.click('#join');
  await page.waitForFunction(() => window.yjMeet.connected, null, { timeout: 15000 });
  return { ctx, page, m };
}

// Per remote participant: decoded video frames and received audio packets.
function media(page) {
  return page.evaluate(async () => {
    const pc = window.yjMeet.pc;
    if (!pc) return {};
    const out = {};
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const pid = window.yjMeet.trackOwner.get(r.trackIdentifier);
      if (!pid) return;
      out[pid] = out[pid] || { frames: 0, audio: 0 };
      if (r.kind === 'video') out[pid].frames += r.framesDecoded || 0;
      if (r.kind === 'audio') out[pid].audio += r.packetsReceived || 0;
    });
    return out;
  });
}

test('three members meet through the page; leave, end, credits', async () => {
  let r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: '浏览器测试会议', type: 'member_assembly', org_code: '33010101',
    duration_minutes: 1, threshold_percent: 10, host_member: members[0].id_number,
    members: [members[2].id_number],
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;

  // The first member, not signed in, is sent to the portal's one sign-in
  // page, signs in with a one-time code, and comes back to the meeting.
  const ctx0 = await browser.newContext();
  const page0 = await ctx0.newPage();
  page0.on('dialog', (dlg) => dlg.accept());
  page0.on('console', (msg) => { if (msg.type() === 'error') console.log('[青山一]', msg.text()); });
  await page0.goto(`${d.url}/meet/${id}`);
  await page0.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === `/meet/${id}`);
  const code = (await d.api(`/api/v1/members/${members[0].id_number}/login-code`, { method: 'POST', token: admin, body: {} })).json.code;
  await page0.check('#form-member input[name=method][value=code]');
  await page0.fill('#m-id', members[0].id_number.toLowerCase());
  await page0.fill('#m-code', code);
  await page0.click('#form-member button[type=submit]');
  await page0.waitForURL(new RegExp(`/meet/${id}$`));
  await page0.waitForSelector('#join:not([disabled])', { timeout: 15000 });
  assert.match(await page0.textContent('#title'), /浏览器测试会议/);
  await page0.click('#join');
  await page0.waitForFunction(() => window.yjMeet.connected, null, { timeout: 15000 });
  const c = [{ ctx: ctx0, page: page0, m: members[0] }, await open(members[1], id), await open(members[2], id)];

  try {
    const pids = await Promise.all(c.map((x) => x.page.evaluate(() => window.yjMeet.pid)));
    // Everyone sees three participants and three tiles.
    for (const x of c) {
      await until(async () => {
        const n = await x.page.evaluate(() => window.yjMeet.participants.length);
        const tiles = await x.page.$$eval('.tile', (t) => t.length);
        return { ok: n === 3 && tiles === 3, n, tiles };
      }, `${x.m.name} sees three participants`);
    }
    // Media from both others, on every page.
    const first = [];
    for (const [i, x] of c.entries()) {
      const others = pids.filter((_, j) => j !== i);
      const s = await until(async () => {
        const st = await media(x.page);
        return { ok: others.every((p) => st[p] && st[p].frames > 3 && st[p].audio > 10), st };
      }, `${x.m.name} decodes video and receives audio from ${others}`, 45000);
      first.push(s.st);
    }
    await new Promise((res) => setTimeout(res, 2000));
    for (const [i, x] of c.entries()) {
      const st = await media(x.page);
      for (const p of pids.filter((_, j) => j !== i)) {
        assert.ok(st[p].frames > first[i][p].frames, `${x.m.name}: frames from ${p} keep increasing`);
        assert.ok(st[p].audio > first[i][p].audio, `${x.m.name}: audio from ${p} keeps arriving`);
      }
    }
    // The host's page shows host controls; the others' do not.
    await c[0].page.click('#btn-people');
    assert.equal(await c[0].page.isVisible('#end'), true);
    await c[1].page.click('#btn-people');
    assert.equal(await c[1].page.isVisible('#end'), false);

    // Stay past the threshold (6 s), then the third member leaves.
    await new Promise((res) => setTimeout(res, 4000));
    // Leaving asks first (the page's dialog handler accepts).
    const asked = c[2].page.waitForEvent('dialog');
    await c[2].page.click('#btn-leave');
    assert.match((await asked).message(), /确定离开会议吗/);
    await c[2].page.waitForSelector('#done:not([hidden])');
    for (const x of c.slice(0, 2)) {
      await until(async () => {
        const n = await x.page.evaluate(() => window.yjMeet.participants.length);
        const gone = await x.page.$(`.tile[data-pid="${pids[2]}"]`);
        return { ok: n === 2 && !gone, n };
      }, `${x.m.name} sees the third member leave`);
    }
    // The host ends the meeting from the page.
    await c[0].page.click('#end');
    for (const x of c.slice(0, 2)) {
      await x.page.waitForSelector('#done:not([hidden])', { timeout: 10000 });
      assert.match(await x.page.textContent('#done-title'), /会议已结束/);
    }
    r = await d.api(`/api/v1/meetings/${id}`, { token: admin });
    assert.equal(r.json.status, 'ended');
    assert.equal(r.json.end_reason, 'host');

    // The ledger: one meeting credit each, equal to the report's minutes.
    const ids = members.map((m) => m.id_number);
    // The district administrator sees every member, the migrant included.
    const credits = await meetingCredits(d, district, id, ids);
    const rep = (await d.api(`/api/v1/meetings/${id}/report`, { token: admin })).json;
    const present = rep.orgs.flatMap((o) => o.present);
    assert.equal(present.length, 3);
    for (const m of members) {
      const p = present.find((x) => x.id_number === m.id_number);
      assert.ok(p.attended_seconds >= 6, `${m.name} attended ${p.attended_seconds} s`);
      assert.equal(credits[m.id_number], p.credited_minutes, `${m.name}'s credit`);
      assert.ok(credits[m.id_number] >= 1);
    }
  } finally {
    for (const x of c) await x.ctx.close();
  }
});

// A TCP proxy to the server that the test can cut, like a dropped network.
function proxy(port) {
  const socks = new Set();
  const server = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    socks.add(client);
    socks.add(up);
    client.pipe(up).pipe(client);
    const drop = () => { client.destroy(); up.destroy(); socks.delete(client); socks.delete(up); };
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    cut: () => { for (const s of socks) s.destroy(); socks.clear(); },
    close: () => new Promise((res) => { for (const s of socks) s.destroy(); server.close(res); }),
  })));
}

test('the page rejoins by itself after a network drop', async () => {
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: '断网重连', org_code: '33010101', duration_minutes: 1, threshold_percent: 10,
  } });
  const id = r.json.id;
  const px = await proxy(d.port);
  const x = await open(members[0], id, px.url);
  try {
    const pid1 = await x.page.evaluate(() => window.yjMeet.pid);
    assert.equal((await d.api(`/api/v1/meetings/${id}`, { token: admin })).json.participants, 1);
    // Record what the status line says while the network is down.
    await x.page.evaluate(() => {
      window.__statuses = [];
      new MutationObserver(() => window.__statuses.push(document.getElementById('status').textContent))
        .observe(document.getElementById('status'), { childList: true, characterData: true, subtree: true });
    });
    px.cut();
    await x.page.waitForFunction((old) => window.yjMeet.connected && window.yjMeet.pid !== old, pid1, { timeout: 20000 })
      .catch(async (e) => {
        const st = await x.page.evaluate(() => [window.__statuses, window.yjMeet.pid, window.yjMeet.connected]);
        console.log('not rejoined:', JSON.stringify(st), d.stderr.split('\n').filter((l) => /meetings:|ws:|GET \/ws/.test(l)).slice(-8).join('\n'));
        throw e;
      });
    const said = await x.page.evaluate(() => window.__statuses);
    assert.ok(said.some((t) => /重新连接/.test(t)), `the page said it was reconnecting: ${said}`);
    // Still one participant: the old session was replaced, not doubled.
    await until(async () => {
      const n = (await d.api(`/api/v1/meetings/${id}`, { token: admin })).json.participants;
      return { ok: n === 1, n };
    }, 'one participant after the rejoin', 10000);
    const rows = await x.page.evaluate(() => window.yjMeet.participants.length);
    assert.equal(rows, 1);
  } finally {
    await x.ctx.close();
    await px.close();
  }
});

// Any Chinese character (CJK unified ideographs and CJK punctuation).
const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]/;

test('the meeting page switches to English and back, Chinese by default', async () => {
  const r = await d.api('/api/v1/meetings', { method: 'POST', token: admin, body: {
    title: '英文界面测试会议', type: 'member_assembly', org_code: '33010101',
    duration_minutes: 1, threshold_percent: 10, host_member: members[0].id_number,
  } });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  // not recorded: nothing here needs a composition afterwards
  assert.equal((await d.api(`/api/v1/meetings/${id}/recording`, { method: 'PUT', token: admin, body: { record: false } })).status, 200);
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
  try {
    await ctx.addCookies([{ name: 'yj_session', value: members[0].token, url: d.url }]);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (dlg) => dlg.accept());
    await page.goto(`${d.url}/meet/${id}`);
    await page.waitForSelector('#join:not([disabled])', { timeout: 15000 });
    // Chinese first
    assert.equal((await page.textContent('#join')).trim(), '加入会议');
    assert.equal((await page.textContent('#lang-switch')).trim(), 'English');
    // the lobby in English
    await page.click('#lang-switch');
    assert.equal((await page.textContent('#join')).trim(), 'Join the meeting');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    for (const sel of ['#join', 'label.meet-check']) {
      assert.doesNotMatch(await page.textContent(sel), CJK, `${sel} still has Chinese`);
    }
    assert.match(await page.textContent('#lobby-info'), /Meeting time: .* planned 1 minutes/);
    // in the room: the bar, the host's panel, the status line
    await page.click('#join');
    await page.waitForFunction(() => window.yjMeet.connected, null, { timeout: 15000 });
    await page.click('#btn-people');
    await page.waitForSelector('#end:not([hidden])');
    assert.equal((await page.textContent('#btn-leave')).trim(), 'Leave');
    assert.equal((await page.textContent('#btn-mic')).trim(), 'Mute');
    assert.equal((await page.textContent('#end')).trim(), 'End the meeting');
    for (const sel of ['#bar', '#people h2', '#end', '#rec-toggle', '#status']) {
      assert.doesNotMatch(await page.textContent(sel), CJK, `${sel} still has Chinese`);
    }
    assert.equal(await page.getAttribute('#bar', 'aria-label'), 'Meeting controls');
    // back to Chinese, as drawn by the page itself too
    await page.click('#lang-switch');
    assert.equal((await page.textContent('#btn-leave')).trim(), '离开');
    assert.equal((await page.textContent('#btn-mic')).trim(), '静音');
    assert.equal((await page.textContent('#end')).trim(), '结束会议');
    // English again, then leave: the page that follows is English too
    await page.click('#lang-switch');
    await page.click('#btn-leave');
    await page.waitForSelector('#done:not([hidden])');
    assert.equal((await page.textContent('#done-title')).trim(), 'You left the meeting');
    assert.doesNotMatch(await page.textContent('#done'), CJK);
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
  await d.api(`/api/v1/meetings/${id}/end`, { method: 'POST', token: admin });
});
