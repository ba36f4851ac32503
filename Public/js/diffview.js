// A turn's changes as a patch, file by file: a file list with a diffstat that jumps to each file,
// each file folded on its own (long ones closed, drawn when opened), binary files summarised, never
// shown as base85. The patch is Burrow's own (made from its result repository); names are text.
import { $, el } from './dom.js';
import { api } from './api.js';
import { store } from './store.js';
import { diffRows } from './diffrows.js';

const OPEN_BELOW = 400;        // a file's diff with fewer lines starts open
const MAX_LINES = 5000;        // lines drawn per file; the patch download has the rest
const MAX_FILES = 300;         // files drawn as diffs; the list names them all

const patchURL = (id, turn) => (turn ? `/api/burrows/${id}/turns/${turn}/diff` : `/api/burrows/${id}/diff`);

/// Loads and draws the whole result (`turn` null) or one turn's own diff.
export async function loadDiff(id, turn = null) {
  const section = $('diff-section');
  try {
    const text = await (await api(patchURL(id, turn))).text();
    if (store.selected !== id) return;
    $('download').href = `${patchURL(id, turn)}?download=1`;
    $('download').hidden = false;
    section.dataset.final = '1';
    renderDiff(text);
    section.hidden = false;
  } catch (error) {
    if (store.selected !== id) return;
    section.hidden = false;
    $('diff').replaceChildren(el('p', 'error', error.message));
  }
}

const unquote = (name) => name.replace(/^"(.*)"$/, '$1');

/// The files of a patch: name, counts, binary (with its size when git says), new or deleted.
export function parsePatch(text) {
  const files = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const match = line.match(/^diff --git ("?a\/.*"?) ("?b\/.*"?)$/);
      const name = match ? unquote(match[2]).replace(/^b\//, '') : line.slice(11);
      current = { name, lines: [], added: 0, removed: 0, binary: false, size: null, status: '' };
      files.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('new file mode')) { current.status = 'new'; continue; }
    if (line.startsWith('deleted file mode')) { current.status = 'deleted'; continue; }
    if (line.startsWith('GIT binary patch') || line.startsWith('Binary files')) { current.binary = true; continue; }
    if (current.binary) {
      const literal = line.match(/^literal (\d+)$/);
      if (literal && current.size === null) current.size = Number(literal[1]);
      continue;
    }
    if (line.startsWith('index ') || line.startsWith('--- ') || line.startsWith('+++ ') || line.startsWith('old mode') || line.startsWith('new mode')
        || line.startsWith('similarity') || line.startsWith('rename ')) continue;
    if (line.startsWith('+')) current.added += 1;
    else if (line.startsWith('-')) current.removed += 1;
    current.lines.push(line);
  }
  return files;
}

const bytes = (n) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

/// "+12 −4", or "binary" for a file without line counts.
export function stat(file) {
  if (file.binary || file.added == null) return file.size != null ? `binary · ${bytes(file.size)}` : 'binary';
  return `+${file.added} −${file.removed}`;
}

/// A bar of five cells, green for added and red for removed lines (as git's diffstat).
function bar(file, widest) {
  const node = el('span', 'stat-bar');
  node.setAttribute('aria-hidden', 'true');
  const total = (file.added || 0) + (file.removed || 0);
  const cells = total === 0 ? 0 : Math.max(1, Math.round((5 * total) / Math.max(widest, 1)));
  const green = total === 0 ? 0 : Math.round((cells * (file.added || 0)) / total);
  for (let i = 0; i < 5; i++) node.append(el('i', i < green ? 'a' : i < cells ? 'r' : ''));
  return node;
}

/// The list of changed files with their diffstat; `pick(index)` when one is chosen (null: plain).
export function fileList(files, { pick = null, more = 0 } = {}) {
  const widest = Math.min(Math.max(0, ...files.map((f) => (f.added || 0) + (f.removed || 0))), 500);
  const items = files.map((file, index) => {
    const item = el('li', file.binary || file.added == null ? 'binary' : '');
    const name = pick ? el('button', 'file-link', file.name ?? file.path) : el('span', 'file-link', file.name ?? file.path);
    if (pick) { name.type = 'button'; name.addEventListener('click', () => pick(index)); }
    item.append(name, ' ', el('span', 'file-stat', stat(file)), bar(file, widest));
    if (file.status) item.append(' ', el('span', 'file-status', file.status));
    return item;
  });
  if (more > 0) items.push(el('li', 'more', `… and ${more} more file${more === 1 ? '' : 's'}`));
  return items;
}

function fileBody(file) {
  if (file.binary) return [el('p', 'facts', `Binary file${file.size != null ? ` (${bytes(file.size)})` : ''}: not shown (the patch has it).`)];
  const lines = diffRows(file.lines.slice(0, MAX_LINES), diffMode());
  if (file.lines.length > MAX_LINES) lines.push(el('p', 'facts', `… ${file.lines.length - MAX_LINES} more lines: download the patch.`));
  return lines;
}

/// 'split' (old beside new) where the page is wide enough and the user chose it, else 'unified'.
const diffMode = () => (localStorage.getItem('burrow.diffMode') === 'split' && window.innerWidth >= 900 ? 'split' : 'unified');

let lastText = null;

/// The Unified/Split switch: redraws the diff shown in the chosen mode (remembered).
export function startDiffModes() {
  const button = $('diff-mode');
  const label = () => { button.textContent = diffMode() === 'split' ? 'Unified view' : 'Split view'; button.hidden = window.innerWidth < 900; };
  label();
  button.addEventListener('click', () => {
    localStorage.setItem('burrow.diffMode', diffMode() === 'split' ? 'unified' : 'split');
    label();
    if (lastText !== null) renderDiff(lastText);
  });
  window.addEventListener('resize', label);
}

/// One file's fold; a long one is drawn when first opened.
function fileFold(file) {
  const details = el('details', 'file');
  const summary = el('summary');
  summary.append(el('span', 'file-name', file.name), ' ', el('span', 'file-stat', stat(file)));
  if (file.status) summary.append(' ', el('span', 'file-status', file.status));
  details.append(summary);
  const open = !file.binary && file.lines.length < OPEN_BELOW;
  let drawn = false;
  const draw = () => { if (!drawn) { drawn = true; details.append(...fileBody(file)); } };
  if (open || file.binary) draw();
  details.open = open;
  details.addEventListener('toggle', () => { if (details.open) draw(); });
  return details;
}

export function renderDiff(text) {
  lastText = text;
  const files = parsePatch(text);
  const box = $('diff');
  if (files.length === 0) {
    $('changes-files').replaceChildren();
    box.replaceChildren(el('p', 'empty', 'No changes.'));
    return;
  }
  const folds = files.slice(0, MAX_FILES).map(fileFold);
  const added = files.reduce((sum, f) => sum + f.added, 0), removed = files.reduce((sum, f) => sum + f.removed, 0);
  const binary = files.filter((f) => f.binary).length;
  $('changes-summary').textContent = `${files.length} file${files.length === 1 ? '' : 's'} changed · +${added} −${removed}${binary ? ` · ${binary} binary` : ''}`;
  $('changes-files').replaceChildren(...fileList(files, {
    pick: (index) => {
      const fold = folds[index];
      if (!fold) return;
      fold.open = true;
      fold.scrollIntoView({ block: 'start' });
      fold.querySelector('summary').focus();
    },
  }));
  const rest = files.length - folds.length;
  box.replaceChildren(...folds, ...(rest > 0 ? [el('p', 'facts', `${rest} more files are in the patch download.`)] : []));
}
