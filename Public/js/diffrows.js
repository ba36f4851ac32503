// One file's diff lines as rows with line numbers: unified (old, new, text) or split (old beside
// new, a removed run paired with the added run that follows it). The lines are the patch's text.
import { el } from './dom.js';

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/// The lines as [{kind, old, new, text}]: kind add, del, ctx, hunk or note ("\ No newline…").
export function numbered(lines) {
  const rows = [];
  let oldLine = 0, newLine = 0;
  for (const line of lines) {
    const hunk = line.match(HUNK);
    if (hunk) { oldLine = Number(hunk[1]); newLine = Number(hunk[2]); rows.push({ kind: 'hunk', text: line }); continue; }
    if (line.startsWith('+')) rows.push({ kind: 'add', new: newLine++, text: line });
    else if (line.startsWith('-')) rows.push({ kind: 'del', old: oldLine++, text: line });
    else if (line.startsWith('\\')) rows.push({ kind: 'note', text: line });
    else if (line !== '' || rows.length) rows.push({ kind: 'ctx', old: oldLine++, new: newLine++, text: line });
  }
  while (rows.length && rows[rows.length - 1].kind === 'ctx' && rows[rows.length - 1].text === '') rows.pop();
  return rows;
}

const number = (n) => el('span', 'ln', n == null ? '' : String(n));

function unifiedRow(row) {
  const node = el('div', `l ${row.kind === 'ctx' || row.kind === 'note' ? '' : row.kind}`.trim());
  if (row.kind === 'hunk') { node.append(el('span', 'code', row.text)); return node; }
  node.append(number(row.old), number(row.new), el('span', 'code', row.text || ' '));
  return node;
}

function half(row, side) {
  const cell = el('div', `half ${row ? (row.kind === 'ctx' ? '' : row.kind) : 'none'}`.trim());
  if (row) cell.append(number(side === 'old' ? row.old : row.new), el('span', 'code', row.text.slice(1) || ' '));
  return cell;
}

/// Rows side by side: context on both halves, each removed run beside the added run after it.
function splitRows(rows) {
  const out = [];
  for (let i = 0; i < rows.length;) {
    const row = rows[i];
    if (row.kind === 'hunk' || row.kind === 'note') { out.push(el('div', `l ${row.kind === 'hunk' ? 'hunk' : ''} wide`.trim(), row.text)); i++; continue; }
    if (row.kind === 'ctx') { const line = el('div', 'l pair'); line.append(half(row, 'old'), half(row, 'new')); out.push(line); i++; continue; }
    const removed = [], added = [];
    while (i < rows.length && rows[i].kind === 'del') removed.push(rows[i++]);
    while (i < rows.length && rows[i].kind === 'add') added.push(rows[i++]);
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      const line = el('div', 'l pair');
      line.append(half(removed[k], 'old'), half(added[k], 'new'));
      out.push(line);
    }
  }
  return out;
}

/// The nodes for `lines` in `mode` ('split' or 'unified').
export function diffRows(lines, mode) {
  const rows = numbered(lines);
  return mode === 'split' ? splitRows(rows) : rows.map(unifiedRow);
}
