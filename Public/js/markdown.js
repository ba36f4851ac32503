// A small Markdown renderer for the agent's text that builds DOM nodes directly: no HTML string is
// ever parsed, so `<img onerror>` in agent text stays text. Links only for http(s) URLs.
import { el, copyButton } from './dom.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

export function safeURL(href) {
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch (_) {
    return null;
  }
}

function link(label, href) {
  const a = el('a', 'md-link', label);
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

const INLINE = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|\*(?=[^\s*])([^*]*?[^\s*])\*|\[([^\]\n]+)\]\(([^()\s]+)\)|(https?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]])/g;

/// Inline markup of one block's text as nodes: code spans, bold, italics, links.
export function inline(text, depth = 0) {
  const nodes = [];
  let last = 0;
  INLINE.lastIndex = 0;
  const pattern = new RegExp(INLINE.source, 'g');
  for (let match; (match = pattern.exec(text)) !== null;) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    last = pattern.lastIndex;
    const [whole, , code, bold, em, label, href, bare] = match;
    if (code !== undefined) nodes.push(el('code', 'md-code', code.trim() ? code.replace(/^ (.*) $/, '$1') : code));
    else if (bold !== undefined) { const b = el('strong'); b.append(...(depth < 4 ? inline(bold, depth + 1) : [bold])); nodes.push(b); }
    else if (em !== undefined) { const i = el('em'); i.append(...(depth < 4 ? inline(em, depth + 1) : [em])); nodes.push(i); }
    else if (label !== undefined) { const url = safeURL(href); nodes.push(url ? link(label, url) : document.createTextNode(whole)); }
    else if (bare !== undefined) { const url = safeURL(bare); nodes.push(url ? link(bare, url) : document.createTextNode(whole)); }
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function paragraph(lines) {
  const p = el('p');
  lines.forEach((line, index) => {
    if (index) p.append(el('br'));
    p.append(...inline(line.trim()));
  });
  return p;
}

export function codeBlock(code, language) {
  const box = el('div', 'codeblock');
  const pre = el('pre');
  const body = el('code', '', code);
  if (language) body.dataset.lang = language;
  pre.append(body);
  box.append(copyButton(code, language ? `${language} code` : 'code'), pre);
  return box;
}

function table(rows) {
  const cells = (row) => row.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const node = el('table', 'md-table');
  const head = el('tr');
  for (const cell of cells(rows[0])) { const th = el('th'); th.append(...inline(cell)); head.append(th); }
  const thead = el('thead'); thead.append(head);
  const tbody = el('tbody');
  for (const row of rows.slice(2)) {
    const tr = el('tr');
    for (const cell of cells(row)) { const td = el('td'); td.append(...inline(cell)); tr.append(td); }
    tbody.append(tr);
  }
  node.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(node);
  return wrap;
}

function list(lines, depth) {
  const first = lines[0].match(ITEM);
  const base = first[1].length;
  const ordered = /\d/.test(first[2]);
  const node = el(ordered ? 'ol' : 'ul', 'md-list');
  if (ordered && parseInt(first[2], 10) !== 1) node.start = parseInt(first[2], 10);
  let item = null;
  for (const line of lines) {
    const match = line.match(ITEM);
    if (match && match[1].length <= base + 1) { item = { first: match[3], rest: [] }; node.append(listItem(item)); continue; }
    item.rest.push(line.slice(Math.min(base + 2, line.length - line.trimStart().length)));
    node.lastChild.replaceWith(listItem(item, depth));
  }
  return node;
}

function listItem(item, depth = 0) {
  const li = el('li');
  let text = item.first;
  const task = text.match(/^\[([ xX])\]\s+(.*)$/);
  if (task) { li.className = 'task-item'; li.append(el('span', 'check-mark', task[1] === ' ' ? '☐ ' : '☑ ')); text = task[2]; }
  li.append(...inline(text));
  if (item.rest.length && depth < 6) li.append(render(item.rest.join('\n'), depth + 1));
  return li;
}

function render(text, depth) {
  const out = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let match;
    if (!line.trim()) { i++; continue; }
    if ((match = line.match(FENCE))) {
      const close = new RegExp(`^ {0,3}${match[1][0]}{${match[1].length},}\\s*$`);
      const code = [];
      for (i++; i < lines.length && !close.test(lines[i]); i++) code.push(lines[i]);
      i++;
      out.append(codeBlock(code.join('\n'), match[2]));
    } else if ((match = line.match(HEADING))) {
      const heading = el('p', `md-h md-h${match[1].length}`);
      heading.append(...inline(match[2]));
      out.append(heading);
      i++;
    } else if (RULE.test(line)) {
      out.append(el('hr')); i++;
    } else if (QUOTE.test(line)) {
      const quoted = [];
      for (; i < lines.length && (match = lines[i].match(QUOTE)); i++) quoted.push(match[1]);
      const quote = el('blockquote');
      if (depth < 6) quote.append(render(quoted.join('\n'), depth + 1)); else quote.textContent = quoted.join('\n');
      out.append(quote);
    } else if (ITEM.test(line)) {
      const block = [];
      for (; i < lines.length; i++) {
        const next = lines[i];
        if (!next.trim()) {
          const after = lines[i + 1] || '';
          if (ITEM.test(after) || /^\s{2,}\S/.test(after)) { continue; }
          break;
        }
        if (block.length && !ITEM.test(next) && !/^\s/.test(next)) break;
        block.push(next);
      }
      out.append(list(block, depth));
    } else if (line.includes('|') && TABLE_RULE.test(lines[i + 1] || '')) {
      const rows = [];
      for (; i < lines.length && lines[i].includes('|'); i++) rows.push(lines[i]);
      out.append(table(rows));
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && !FENCE.test(lines[i]) && !HEADING.test(lines[i])
        && !QUOTE.test(lines[i]) && !(para.length && ITEM.test(lines[i])) && !RULE.test(lines[i]); i++) para.push(lines[i]);
      if (!para.length) { para.push(lines[i]); i++; }
      out.append(paragraph(para));
    }
  }
  return out;
}

/// The agent's Markdown as a fragment of plain elements and text nodes.
export function renderMarkdown(text) { return render(text, 0); }
