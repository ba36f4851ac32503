// The page's link to the server: the change stream of all burrows, the list, Podman's health and
// orphaned containers. Messages left by a lost connection are cleared when it comes back.
import { $ } from './dom.js';
import { api, apiJSON } from './api.js';
import { store, subscribe, upsert, setConnection } from './store.js';

export async function refreshList() {
  try {
    for (const record of await apiJSON('/api/burrows')) upsert(record);
    store.synced = true;
  } catch (_) { /* the connection indicator says why */ }
}

export function watchAll() {
  const source = new EventSource('/api/events');
  source.addEventListener('state', (event) => {
    try { upsert(JSON.parse(event.data)); } catch (_) { /* not a record */ }
  });
  source.onopen = () => { setConnection(true); refreshList(); };
  source.onerror = () => setConnection(false, 'Disconnected — reconnecting…');
}

function clearStaleErrors() {
  for (const node of document.querySelectorAll('[data-transient]')) {
    node.textContent = '';
    if (node.id !== 'reply-status') node.hidden = true;
    delete node.dataset.transient;
    delete node.dataset.error;
  }
}

/// Shows an error in `node`; one caused by the server being away is cleared on reconnection.
export function showError(node, error) {
  node.hidden = false;
  node.textContent = error.message;
  node.dataset.error = '1';
  if (error.network) node.dataset.transient = '1'; else delete node.dataset.transient;
}

export function startConnection() {
  subscribe((event) => {
    if (event.type !== 'connection') return;
    const node = $('connection');
    node.textContent = event.ok ? '' : event.text;
    node.classList.toggle('down', !event.ok);
    if (event.ok) clearStaleErrors();
  });
}

// Podman's service can go away while Burrow keeps serving: say so, and what still works.
export async function checkPodman() {
  try {
    const health = await apiJSON('/api/health');
    setConnection(true);
    const down = health.podman && !health.podman.reachable;
    $('podman-status').hidden = !down;
    const since = down && health.podman.notAnsweringSince;
    $('podman-status').textContent = !down ? ''
      : since
        ? `Podman is not answering since ${new Date(since * 1000).toLocaleTimeString()}: new launches fail until it answers; running burrows keep running and Burrow carries on by itself when it does.`
        : `Podman does not answer (${health.podman.error || 'no reply'}): new launches fail until it is back; running burrows keep running and their output catches up when it is back.`;
  } catch (error) {
    if (error.network) setConnection(false, 'Burrow does not answer.');
  }
}

// Containers and volumes with Burrow's labels that no burrow owns (a crash, a hand-made mess), here
// and on the remote runners Burrow could ask.
export async function checkOrphans() {
  try {
    const report = await apiJSON('/api/orphans');
    const count = report.containers.length + report.volumes.length;
    $('orphans').hidden = count === 0;
    $('orphans').textContent = count === 0 ? '' : `${report.containers.length} containers and ${report.volumes.length} volumes of this Burrow instance belong to no burrow (${[...report.containers, ...report.volumes].map((o) => (o.runner ? `${o.name} on ${o.runner}` : o.name)).join(', ')}): \`burrow gc --dry-run\` lists them, \`burrow gc\` removes them. Other Burrow instances' burrows are never touched.`;
  } catch (_) { /* Podman away: /api/health says so */ }
}
