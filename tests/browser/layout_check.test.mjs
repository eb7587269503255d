// SPDX-License-Identifier: Apache-2.0
// The layout check every page test uses (tests/lib/layout.mjs) can fail:
// a page with a button off screen at 360 px, 12 px text and a pale link is
// reported for each; a clean page is not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { layoutProblems, PHONE } from '../lib/layout.mjs';

let browser;
after(async () => { if (browser) await browser.close(); });

test('off-screen controls, small text and low contrast are found; a clean page passes', async () => {
  browser = await launch();
  const page = await browser.newPage({ viewport: PHONE });
  await page.setContent(`<style>button{font:inherit;flex:0 0 60px}</style><body style="font-size:20px;margin:0">
    <div style="display:flex;gap:8px"><button>一</button><button>二</button><button>三</button><button>四</button>
    <button>五</button><button>六</button><button style="width:120px" id="leave">离开</button></div>
    <p style="font-size:12px">小字</p>
    <a href="#" style="color:#bbb">浅色链接</a>
    <p style="color:#fff;background:#fff">白底白字</p></body>`);
  const bad = await layoutProblems(page);
  assert.ok(bad.some((p) => p.startsWith('off screen') && p.includes('#leave')), bad.join('\n'));
  assert.ok(bad.some((p) => p.startsWith('text 12px')), bad.join('\n'));
  assert.ok(bad.some((p) => p.startsWith('contrast') && p.includes('浅色链接')), bad.join('\n'));
  assert.ok(bad.some((p) => p.startsWith('contrast') && p.includes('白底白字')), bad.join('\n'));
  await page.setContent(`<style>button{font:inherit}</style><body style="font-size:20px;margin:0;background:#f6f3ee">
    <div style="display:flex;flex-wrap:wrap;gap:8px"><button>一</button><button>离开</button></div>
    <p>正文</p><a href="#" style="color:#8c0f14">链接</a></body>`);
  assert.deepEqual(await layoutProblems(page), []);
});
