// News for the user: a notification and the tab title when a burrow ends while the page is open,
// and a live region that announces state changes to screen readers. Never for old transitions.
import { $ } from './dom.js';
import { store, subscribe, shownState } from './store.js';
import { stateLabel, firstLine } from './format.js';

const BASE_TITLE = 'Burrow';

export function announce(text) {
  const node = $('announcer');
  node.textContent = '';
  // A fresh text node after a tick makes screen readers read the same words again.
  setTimeout(() => { node.textContent = text; }, 50);
}

function ended(record) {
  const state = shownState(record);
  const mark = state === 'succeeded' ? '✓' : '✗';
  if (document.hidden) document.title = `${mark} ${record.repo} — ${BASE_TITLE}`;
  if (window.Notification && Notification.permission === 'granted') {
    try { new Notification(`Burrow ${state}: ${record.repo}`, { body: firstLine(record.task), tag: `burrow-${record.id}` }); } catch (_) { /* some browsers need a service worker */ }
  }
}

export function startNotifications() {
  document.addEventListener('visibilitychange', () => { if (!document.hidden) document.title = BASE_TITLE; });
  subscribe((event) => {
    if (event.type === 'transition') {
      ended(event.record);
      announce(`${event.record.repo}: ${stateLabel(shownState(event.record))}`);
    } else if (event.type === 'record' && store.synced && event.previous && event.previous.state !== event.record.state
               && !['succeeded', 'failed', 'stopped'].includes(event.record.state)) {
      announce(`${event.record.repo}: ${stateLabel(shownState(event.record))}`);
    } else if (event.type === 'stopping' && store.stopping.has(event.id)) {
      const record = store.records.get(event.id);
      if (record) announce(`${record.repo}: stopping…`);
    }
  });
}

export function askPermission() {
  if (window.Notification && Notification.permission === 'default') {
    try { Notification.requestPermission(); } catch (_) { /* not allowed here */ }
  }
}
