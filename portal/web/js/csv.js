// SPDX-License-Identifier: Apache-2.0
// csv.js — builds a CSV file in the browser and offers it as a download:
// UTF-8 with a BOM and CRLF lines, so Excel (including Chinese Excel)
// opens it with the right characters. A cell that a spreadsheet would run
// as a formula (= + - @ at the start) gets a leading apostrophe.

function cell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** The CSV text (with BOM) of rows (arrays of cells). */
export function csvText(rows) {
  return '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Offers rows as a file named name. */
export function downloadCsv(name, rows) {
  const blob = new Blob([csvText(rows)], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
