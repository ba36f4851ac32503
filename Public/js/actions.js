// What the user does to the selected burrow: stop, tear down (with its branch), reply, rename, run again.
import { $ } from './dom.js';
import { api, apiJSON, postJSON } from './api.js';
import { store, upsert, setStopping, markTornDown, current } from './store.js';
import { showError } from './live.js';

async function stop() {
  const id = store.selected;
  if (!id) return;
  setStopping(id, true);
  try {
    upsert(await apiJSON(`/api/burrows/${id}/stop`, { method: 'POST' }));
  } catch (error) {
    setStopping(id, false);
    showError($('b-error'), error);
  }
}

async function teardown(withItsBranch) {
  const id = store.selected;
  if (!id) return;
  closeMenu();
  const record = current();
  const withBranch = withItsBranch && record && record.branch;
  const what = withBranch ? ` Its branch ${record.branch} is deleted from your repository too.` : '';
  if (!confirm(`Tear down this burrow? Its container and workspace are removed; the record, events and diff are kept in the archive.${what}`)) return;
  const done = showTearingDown(withBranch);
  try {
    await api(`/api/burrows/${id}${withBranch ? '?deleteBranch=true' : ''}`, { method: 'DELETE' });
    markTornDown(id);
    upsert(await apiJSON(`/api/burrows/${id}`));
  } catch (error) { showError($('b-error'), error); } finally { done(); }
}

/// While a teardown is under way: both buttons disabled, what is being removed, and for how long.
function showTearingDown(withBranch) {
  const buttons = [$('teardown'), $('teardown-branch')];
  const labels = buttons.map((button) => button.textContent);
  const started = Date.now();
  const what = withBranch ? 'the container, the workspace and the branch' : 'the container and the workspace';
  const tick = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    buttons[0].textContent = `Tearing down… ${seconds} s`;
    buttons[0].title = `Removing ${what}`;
  };
  buttons.forEach((button) => { button.disabled = true; button.setAttribute('aria-busy', 'true'); });
  tick();
  const timer = setInterval(tick, 1000);
  return () => {
    clearInterval(timer);
    buttons.forEach((button, index) => { button.disabled = false; button.removeAttribute('aria-busy'); button.textContent = labels[index]; });
  };
}

const closeMenu = () => { $('more-actions').open = false; };

async function rename() {
  const record = current();
  if (!record) return;
  closeMenu();
  const title = prompt('Name this burrow (empty: its task\'s first line)', record.title || '');
  if (title === null) return;
  try {
    upsert(await postJSON(`/api/burrows/${record.id}/title`, { title }));
  } catch (error) { showError($('b-error'), error); }
}

/// A new burrow on the same repo, base and task (the uncommitted changes of the first are not taken
/// again: your tree may have moved on).
async function runAgain() {
  const record = current();
  if (!record) return;
  closeMenu();
  $('rerun').disabled = true;
  try {
    const body = { repo: record.repo, task: record.task, gpu: !!record.gpu };
    if (record.baseRef) body.base = record.baseRef.ref;
    const next = await postJSON('/api/burrows', body);
    upsert(next);
    location.hash = `#/burrows/${next.id}`;
  } catch (error) {
    showError($('b-error'), error);
  } finally {
    $('rerun').disabled = false;
  }
}

async function reply(event) {
  event.preventDefault();
  const id = store.selected;
  const text = $('reply').value;
  if (!id || !text.trim()) return;
  $('send').disabled = true;
  const status = $('reply-status');
  try {
    const record = await postJSON(`/api/burrows/${id}/messages`, { text });
    $('reply').value = '';
    delete status.dataset.error;
    delete status.dataset.transient;
    upsert(record);
  } catch (error) {
    showError(status, error);
  } finally {
    $('send').disabled = false;
  }
}

export function startActions() {
  $('stop').addEventListener('click', stop);
  $('teardown').addEventListener('click', () => teardown(false));
  $('teardown-branch').addEventListener('click', () => teardown(true));
  $('rename').addEventListener('click', rename);
  $('rerun').addEventListener('click', runAgain);
  $('reply-form').addEventListener('submit', reply);
  document.addEventListener('click', (event) => { if (!$('more-actions').contains(event.target)) closeMenu(); });
  $('reply').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('reply-form').requestSubmit();
  });
}
