// A finished turn's changes, file by file, with the patch to download.
import { $, el, fold } from './dom.js';
import { api } from './api.js';
import { store } from './store.js';

export async function loadDiff(id) {
  try {
    const text = await (await api(`/api/burrows/${id}/diff`)).text();
    if (store.selected !== id) return;
    $('download').href = `/api/burrows/${id}/diff?download=1`;
    renderDiff(text);
    $('diff-section').hidden = false;
  } catch (error) {
    if (store.selected !== id) return;
    $('diff-section').hidden = false;
    $('diff').replaceChildren(el('p', 'error', error.message));
  }
}

export function renderDiff(text) {
  const files = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) { current = { name: line.replace(/^diff --git a\/(.*) b\/.*$/, '$1'), lines: [], added: 0, removed: 0, binary: false }; files.push(current); continue; }
    if (!current || line.startsWith('index ') || line.startsWith('--- ') || line.startsWith('+++ ')) continue;
    if (line.startsWith('GIT binary patch') || line.startsWith('Binary files')) { current.binary = true; continue; }
    if (current.binary) continue;
    if (line.startsWith('+')) current.added += 1;
    else if (line.startsWith('-')) current.removed += 1;
    current.lines.push(line);
  }
  const box = $('diff');
  if (files.length === 0) { box.replaceChildren(el('p', 'empty', 'No changes.')); return; }
  box.replaceChildren(...files.map((file) => {
    const title = el('span', 'file-name', file.name);
    const stat = el('span', 'file-stat', file.binary ? 'binary file' : `+${file.added} −${file.removed}`);
    const body = file.binary ? [el('p', 'facts', 'Binary file: not shown (the patch has it).')]
      : file.lines.map((line) => {
        const kind = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
        return el('div', `l ${kind}`, line || ' ');
      });
    const summary = document.createDocumentFragment();
    summary.append(title, ' ', stat);
    const section = fold(summary, body, { open: file.lines.length < 400, className: 'file' });
    return section;
  }));
}
