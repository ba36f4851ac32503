// The one place records live. Views subscribe and redraw; nothing but the store changes a record.
// Events: {type:'record', record, previous}, {type:'transition', record} (a burrow ended after the
// page loaded), {type:'select', id}, {type:'outcome', id}, {type:'stopping', id}, {type:'missing', id},
// {type:'connection', ok, text}.
import { isFinal, isNewer, displayState } from './format.js';

const listeners = new Set();

export const store = {
  records: new Map(),
  selected: null,
  missing: new Set(),
  stopping: new Set(),
  failures: new Map(),     // id → what the agent's last result said went wrong
  connection: { ok: true, text: '' },
  loadedAt: Date.now() / 1000,
  notified: new Set(),
};

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(event) {
  for (const listener of [...listeners]) {
    try { listener(event); } catch (error) { console.error(error); }
  }
}

export function upsert(record, { replayed = false } = {}) {
  if (!record || typeof record.id !== 'string') return;
  const previous = store.records.get(record.id);
  if (!isNewer(record, previous, replayed)) return;
  store.records.set(record.id, record);
  store.missing.delete(record.id);
  if (isFinal(record.state)) store.stopping.delete(record.id);
  emit({ type: 'record', record, previous });
  // Only what ends while the page is open is news: replays of old transitions (the change stream
  // and every history replay them) are not.
  const key = `${record.id}/${record.turn || 1}`;
  const endedNow = previous && !isFinal(previous.state) && isFinal(record.state)
    && (record.finishedAt || 0) >= store.loadedAt - 1;
  if (endedNow && !store.notified.has(key)) {
    store.notified.add(key);
    emit({ type: 'transition', record });
  }
}

export function markTornDown(id) {
  const record = store.records.get(id);
  if (record) upsert({ ...record, tornDown: true });
}

export function select(id) {
  if (store.selected === id) return;
  store.selected = id;
  emit({ type: 'select', id });
}

export function markMissing(id) {
  store.missing.add(id);
  emit({ type: 'missing', id });
}

export function setStopping(id, stopping) {
  if (stopping) store.stopping.add(id); else store.stopping.delete(id);
  emit({ type: 'stopping', id });
}

// What transcripts said about outcomes outlives a reload: the record itself does not carry the
// agent's `is_error` (yet), so the list can only know it for burrows this browser has opened.
const FAILURES_KEY = 'burrow.failures';
try { for (const [id, why] of JSON.parse(localStorage.getItem(FAILURES_KEY) || '[]')) store.failures.set(id, why); } catch (_) { /* none kept */ }

export function setFailure(id, failure) {
  if ((store.failures.get(id) || null) === failure) return;
  if (failure) store.failures.set(id, failure); else store.failures.delete(id);
  try { localStorage.setItem(FAILURES_KEY, JSON.stringify([...store.failures].slice(-500))); } catch (_) { /* storage full or off */ }
  emit({ type: 'outcome', id });
}

export function setConnection(ok, text = '') {
  if (store.connection.ok === ok && store.connection.text === text) return;
  store.connection = { ok, text };
  emit({ type: 'connection', ok, text });
}

export const shownState = (record) => record && displayState(record, {
  stopping: store.stopping.has(record.id), failure: store.failures.get(record.id),
});

export const current = () => (store.selected ? store.records.get(store.selected) : null);

// Which repos are local (a url repo's result is a patch until it is pushed); unknown ones count as local.
const localRepos = new Map();
export function setRepoKinds(list) { localRepos.clear(); for (const repo of list) localRepos.set(repo.name, !!repo.local); }
export function isLocalRepo(name) { return localRepos.get(name) !== false; }
