// The launch form: repositories, the task draft, the GPU toggle, what the burrow starts from.
import { $, el } from './dom.js';
import { apiJSON, postJSON } from './api.js';
import { upsert, setRepoKinds } from './store.js';
import { askPermission } from './notify.js';
import { setRepos } from './list.js';
import { loadRunners, chosenRunner } from './runners.js';
import { renderRepoPanel, bindRepoPanel } from './repos.js';

let repos = [];

function showLaunchError(text) { const node = $('launch-error'); node.textContent = text; node.hidden = !text; }

function updateGpuToggle() {
  const repo = repos.find((r) => r.name === $('repo').value);
  $('gpu-row').hidden = !(repo && repo.gpu);
  $('gpu').checked = !!(repo && repo.gpu);
  // Uncommitted changes come from a local repo's working tree only.
  $('uncommitted-row').hidden = !(repo && repo.local);
  if ($('uncommitted-row').hidden) $('uncommitted').checked = false;
}

export async function loadRepos(choose = null) {
  try {
    repos = await apiJSON('/api/repos');
  } catch (error) {
    showLaunchError(error.message);
    return;
  }
  const select = $('repo');
  select.replaceChildren(...repos.map((repo) => { const o = el('option', '', repo.name); o.value = repo.name; return o; }));
  const saved = choose || localStorage.getItem('burrow.repo');
  if (saved && repos.some((r) => r.name === saved)) select.value = saved;
  setRepoKinds(repos);
  renderRepoPanel(repos, loadRepos);
  updateGpuToggle();
  setRepos(repos.map((r) => r.name));
  showLaunchError(repos.length === 0 ? 'No repositories yet: add one under "Repositories" below (a local path or a git URL), or in burrow.json.' : '');
  loadRunners();
}

async function launch(event) {
  event.preventDefault();
  const task = $('task').value;
  if (!task.trim()) return showLaunchError('Write a task first.');
  showLaunchError('');
  $('launch').disabled = true;
  askPermission();
  try {
    const body = { repo: $('repo').value, task };
    if (!$('gpu-row').hidden) body.gpu = $('gpu').checked;
    const base = $('base').value.trim();
    if (base) body.base = base;
    if ($('uncommitted').checked) body.uncommitted = true;
    if (chosenRunner()) body.runner = chosenRunner();
    const attempts = Number($('attempts').value || 1);
    if (attempts !== 1) body.attempts = attempts;
    const record = await postJSON('/api/burrows', body);
    $('task').value = '';
    $('base').value = '';
    $('uncommitted').checked = false;
    localStorage.removeItem('burrow.draft');
    if (record.attempts) { location.hash = `#/groups/${record.id}`; return; }
    upsert(record);
    location.hash = `#/burrows/${record.id}`;
  } catch (error) {
    showLaunchError(error.message);
  } finally {
    $('launch').disabled = false;
  }
}

export function startLaunchForm() {
  bindRepoPanel();
  $('task').value = localStorage.getItem('burrow.draft') || '';
  $('task').addEventListener('input', () => localStorage.setItem('burrow.draft', $('task').value));
  $('task').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('launch-form').requestSubmit();
  });
  $('repo').addEventListener('change', () => { localStorage.setItem('burrow.repo', $('repo').value); updateGpuToggle(); });
  $('launch-form').addEventListener('submit', launch);
}
