// What a person allowed for good ("Always for this repo"), per repo, each with a way to remove it:
// hosts (host:port) and requests (METHOD host:port /path). Kept by Burrow in its state dir
// (always-allowed.json); a repo's later burrows may reach the hosts and send the requests.
import { $, el } from './dom.js';
import { api, apiJSON } from './api.js';

function row(repo, target) {
  const item = el('li', 'allowed');
  item.append(el('code', '', target), el('span', 'muted', ` · ${repo} `));
  const remove = el('button', 'danger', 'Remove');
  remove.type = 'button';
  remove.setAttribute('aria-label', `Remove ${target} for ${repo}`);
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      await api(`/api/repos/${encodeURIComponent(repo)}/allowed?entry=${encodeURIComponent(target)}`, { method: 'DELETE' });
    } catch (_) { /* listed again below either way */ }
    loadAllowed();
  });
  item.append(remove);
  return item;
}

export async function loadAllowed() {
  let kept = {};
  try { kept = await apiJSON('/api/allowed'); } catch (_) { return; }
  const rows = Object.entries(kept).flatMap(([repo, targets]) => targets.map((target) => row(repo, target)));
  $('allowed-panel').hidden = rows.length === 0;
  $('allowed-summary').textContent = `Allowed for good: ${rows.length}`;
  $('allowed-list').replaceChildren(...rows);
}
