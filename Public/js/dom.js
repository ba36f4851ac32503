// DOM helpers. Everything that came from a burrow goes in through textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/// A <details> whose summary is `summary` (a string or a node) and whose body is `children`.
export function fold(summary, children, { open = false, className = '' } = {}) {
  const details = el('details', className);
  const head = el('summary');
  head.append(summary);
  details.append(head, ...children);
  details.open = open;
  return details;
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fall back below */ }
  }
  const area = el('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let copied = false;
  try { copied = document.execCommand('copy'); } catch (_) { copied = false; }
  area.remove();
  return copied;
}

/// A small button that copies `text` (a string, or a function returning one).
export function copyButton(text, what) {
  const button = el('button', 'copy', 'Copy');
  button.type = 'button';
  button.setAttribute('aria-label', `Copy ${what}`);
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    const copied = await writeClipboard(typeof text === 'function' ? text() : text);
    button.textContent = copied ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  });
  return button;
}

/// Marks an entry with the time of its event: the agent's own timestamp when it has one, else when it
/// arrived. Shown by CSS (::before), so it stays out of the entry's text, copies and searches.
const clock = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

export function stamp(node, ms) {
  if (!ms) return node;
  const date = new Date(ms);
  node.dataset.time = clock.format(date);
  node.dataset.timestamp = date.toISOString();
  return node;
}
