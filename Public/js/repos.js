// The repositories panel: the config file's repos (changed there) and those added from the page.
import { $, el } from './dom.js';
import { api, postJSON } from './api.js';

let reload = async () => {};

function showError(text) { const node = $('repo-error'); node.textContent = text; node.hidden = !text; }

function row(repo) {
  const item = el('li');
  item.append(el('strong', '', repo.name), ' ', el('code', '', repo.source));
  if (repo.origin !== 'page') {
    item.append(' ', el('span', 'muted', '(config file)'));
    return item;
  }
  const remove = el('button', '', 'Remove');
  remove.type = 'button';
  remove.title = `Forget ${repo.name} (its burrows' records stay)`;
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      await api(`/api/repos/${encodeURIComponent(repo.name)}`, { method: 'DELETE' });
      showError('');
      await reload();
    } catch (error) { showError(error.message); remove.disabled = false; }
  });
  item.append(' ', el('span', 'muted', '(added here)'), ' ', remove);
  return item;
}

/// Shows `repos` (from /api/repos); `again` reloads the form's list after a change.
export function renderRepoPanel(repos, again) {
  reload = again;
  $('repos-list').replaceChildren(...repos.map(row));
  if (repos.length === 0) $('repos-panel').open = true;
}

async function add(event) {
  event.preventDefault();
  const source = $('repo-source').value.trim();
  if (!source) return;
  const body = /^(https?|ssh):\/\/|^[^/]+@[^/]+:/.test(source) ? { url: source } : { path: source };
  const name = $('repo-name').value.trim();
  if (name) body.name = name;
  $('repo-add').disabled = true;
  try {
    const added = await postJSON('/api/repos', body);
    $('repo-source').value = '';
    $('repo-name').value = '';
    showError('');
    await reload(added.name);
  } catch (error) {
    showError(error.message);
  } finally {
    $('repo-add').disabled = false;
  }
}

export function bindRepoPanel() { $('repo-add-form').addEventListener('submit', add); }
