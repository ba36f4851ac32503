// Keyboard shortcuts: j/k or Alt+↓/↑ walk the list, r focuses the reply box, / searches, ? helps.
import { $ } from './dom.js';
import { store } from './store.js';
import { visibleRecords } from './list.js';

function typing(target) {
  return target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function step(delta) {
  const records = visibleRecords();
  if (!records.length) return;
  const index = records.findIndex((r) => r.id === store.selected);
  const next = index < 0 ? (delta > 0 ? 0 : records.length - 1) : Math.min(records.length - 1, Math.max(0, index + delta));
  location.hash = `#/burrows/${records[next].id}`;
}

export function startKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.altKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      step(event.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === 'j') step(1);
    else if (event.key === 'k') step(-1);
    else if (event.key === 'r' && store.selected && !$('burrow').hidden && !$('reply').disabled) { event.preventDefault(); $('reply').focus(); }
    else if (event.key === '/') { event.preventDefault(); $('filter-text').focus(); }
    else if (event.key === '?') $('help').open = !$('help').open;
    else if (event.key === 'Escape') $('help').open = false;
    else return;
  });
}
