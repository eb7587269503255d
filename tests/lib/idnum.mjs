// SPDX-License-Identifier: Apache-2.0
// Identity numbers for tests: GB 11643 check character (ISO 7064 MOD 11-2)
// computed independently of the C code, and a generator of valid numbers.
const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

export function checkChar(first17) {
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(first17[i]) * W[i];
  return '10X98765432'[s % 11];
}

// A valid number: region (6 digits), birth YYYYMMDD, sequence 0..999
// (its parity gives the gender: odd male, even female).
export function idnum(region, birth, seq) {
  const f = `${region}${birth}${String(seq).padStart(3, '0')}`;
  return f + checkChar(f);
}

// n distinct valid numbers (region 330108, not used by the demo; births spread over 1950-1999).
export function manyIds(n, start = 0) {
  const out = [];
  for (let i = start; i < start + n; i++) {
    const y = 1950 + (i % 50);
    const day = 1 + (Math.floor(i / 50) % 28);
    const seq = Math.floor(i / 1400) % 1000;
    const birth = `${y}01${String(day).padStart(2, '0')}`;
    const month = 1 + (Math.floor(i / 1400 / 1000) % 12);
    out.push(idnum('330108', birth.slice(0, 4) + String(month).padStart(2, '0') + birth.slice(6), seq));
  }
  return out;
}
