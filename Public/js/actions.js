// What the user does to the selected burrow: stop, tear down, reply.
import { $ } from './dom.js';
import { api, apiJSON, postJSON } from './api.js';
import { store, upsert, setStopping, markTornDown } from './store.js';
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

async function teardown() {
  const id = store.selected;
  if (!id) return;
  if (!confirm('Tear down this burrow? Its container and workspace are removed; the record, events and diff are kept.')) return;
  try {
    await api(`/api/burrows/${id}`, { method: 'DELETE' });
    markTornDown(id);
  } catch (error) { showError($('b-error'), error); }
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
  $('teardown').addEventListener('click', teardown);
  $('reply-form').addEventListener('submit', reply);
  $('reply').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('reply-form').requestSubmit();
  });
}
