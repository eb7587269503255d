// SPDX-License-Identifier: Apache-2.0
// Layout checks every page test runs: at a phone width no interactive
// element may lie (even partly) outside the viewport horizontally, and no
// visible text may be smaller than 14 px or below WCAG AA contrast
// against its background (links included). Screenshots of each page at each
// size are kept as test artefacts under build/test-results/screenshots/
// (YJ_SCREENSHOT_DIR overrides; the folder is gitignored).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1366, height: 768 };

export const SHOT_DIR = process.env.YJ_SCREENSHOT_DIR ||
  join(process.env.YJ_BUILD_DIR || join(process.cwd(), 'build'), 'test-results', 'screenshots');

/** Problems on the page as strings: controls off screen, text under 14 px. */
export async function layoutProblems(page, { minFont = 14 } = {}) {
  return page.evaluate((minFont) => {
    const out = [];
    const vw = document.documentElement.clientWidth;
    const shown = (e) => {
      if (e.closest('[hidden], dialog:not([open])')) return false;
      const cs = getComputedStyle(e);
      if (cs.visibility === 'hidden' || cs.display === 'none') return false;
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 30)}"`;
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=tab], [tabindex]:not([tabindex="-1"])';
    for (const e of document.querySelectorAll(sel)) {
      if (!shown(e)) continue;
      // A visually hidden input with a visible label stands in for it.
      const cs = getComputedStyle(e);
      if (cs.opacity === '0' || (cs.position === 'absolute' && e.getBoundingClientRect().width <= 1)) continue;
      const r = e.getBoundingClientRect();
      const sx = window.scrollX;
      if (r.left + sx < -1 || r.right + sx > vw + 1) out.push(`off screen (${Math.round(r.left)}..${Math.round(r.right)} of ${vw}): ${name(e)}`);
    }
    function rgba(c) {
      const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c || '');
      return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
    }
    function blend(fg, bg) { const a = fg[3]; return [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a)); }
    // The first opaque background colour behind e (null when an image is in the way).
    function background(e) {
      let layers = [];
      for (let x = e; x; x = x.parentElement) {
        const cs = getComputedStyle(x);
        if (cs.backgroundImage && cs.backgroundImage !== 'none') return null;
        const c = rgba(cs.backgroundColor);
        if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      let bg = [255, 255, 255];
      for (const c of layers.reverse()) bg = blend(c, bg);
      return bg;
    }
    function lum(c) {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    }
    function contrast(a, b) { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const p = n.parentElement;
      if (!p || seen.has(p) || !n.textContent.trim()) continue;
      seen.add(p);
      if (p.closest('script, style, noscript, .visually-hidden, option') || !shown(p)) continue;
      const cs = getComputedStyle(p);
      const fs = parseFloat(cs.fontSize);
      if (fs < minFont) out.push(`text ${fs}px < ${minFont}px: ${name(p)}`);
      // WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
      const fg = rgba(cs.color);
      const bg = background(p);
      if (fg && bg) {
        const ratio = contrast(blend(fg, bg), bg);
        const large = fs >= 24 || (fs >= 18.66 && Number(cs.fontWeight) >= 700);
        const need = large ? 3 : 4.5;
        if (ratio < need - 0.01) out.push(`contrast ${ratio.toFixed(2)} < ${need}: ${name(p)} (${cs.color} on rgb(${bg.join(',')}))`);
      }
    }
    if (document.documentElement.scrollWidth > vw + 1) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
    return out;
  }, minFont);
}

/**
 * Screenshot of the page kept under SHOT_DIR as `${name}-${width}.png`,
 * then the layout check: at a phone width every control on screen; at any
 * width no text under 14 px.
 */
export async function checkPage(page, name) {
  mkdirSync(SHOT_DIR, { recursive: true });
  const vp = page.viewportSize();
  await page.screenshot({ path: join(SHOT_DIR, `${name}-${vp.width}.png`), fullPage: true });
  let problems = await layoutProblems(page);
  if (vp.width > 700) problems = problems.filter((p) => !p.startsWith('off screen') && !p.startsWith('page scrolls'));
  assert.deepEqual(problems, [], `${name} at ${vp.width}×${vp.height}:\n${problems.join('\n')}`);
}
