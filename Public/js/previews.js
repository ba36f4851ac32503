// The servers a running burrow listens on, as "Open :PORT" links. Each link goes through Burrow's
// API, which redirects to the preview's own origin with a one-time code that signs that tab in; the
// list is asked for when a burrow is shown and follows its `preview` events (plus a slow poll).
import { $, el } from './dom.js';
import { apiJSON } from './api.js';
import { store, subscribe } from './store.js';

let shownFor = null;

function render(id, list) {
  if (store.selected !== id) return;
  const node = $('b-previews');
  const ports = (list && Array.isArray(list.ports)) ? list.ports : [];
  const links = ports.map((entry) => {
    const port = Number(entry.port);
    const link = el('a', 'preview-link', `Open :${port}`);
    link.href = `/api/burrows/${encodeURIComponent(id)}/previews/${port}/open`;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    return link;
  });
  node.hidden = links.length === 0 && !(list && list.unavailable && store.records.get(id)?.state === 'running');
  if (links.length) node.replaceChildren(el('span', '', 'Previews: '), ...links);
  else node.replaceChildren(el('span', '', list && list.unavailable ? `Previews: ${list.unavailable}` : ''));
}

async function refresh(id) {
  const record = store.records.get(id);
  if (!record || record.state !== 'running') { render(id, { ports: [] }); return; }
  try { render(id, await apiJSON(`/api/burrows/${encodeURIComponent(id)}/previews`)); } catch (_) { /* the next look tries again */ }
}

export function startPreviews() {
  subscribe((event) => {
    if (event.type === 'select') { shownFor = event.id; $('b-previews').hidden = true; refresh(event.id); }
    if (event.type === 'record' && event.record.id === store.selected
        && (!event.previous || event.previous.state !== event.record.state)) refresh(event.record.id);
  });
  document.addEventListener('burrow:previews', (event) => {
    if (event.detail.id === shownFor) render(event.detail.id, event.detail.list);
  });
  setInterval(() => { if (store.selected && !document.hidden) refresh(store.selected); }, 5000);
}
