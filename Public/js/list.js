// The burrows list as a tool: search and filters, honest badges, start time, duration and cost.
import { $, el } from './dom.js';
import { checkLabel } from './groups.js';
import { store, subscribe, shownState } from './store.js';
import { isFinal, isActive, duration, startedLabel, costLabel, SUBSCRIPTION_NOTE, stateLabel, firstLine } from './format.js';

let frame = 0;

function matches(record, { text, repo, state }) {
  if (repo && record.repo !== repo) return false;
  const shown = shownState(record);
  if (state === 'torn') { if (!record.tornDown) return false; }
  else if (record.tornDown) return false;
  if (state === 'active' && !(isActive(shown) || shown === 'stopping')) return false;
  if (['succeeded', 'failed', 'stopped'].includes(state) && shown !== state) return false;
  if (!text) return true;
  const haystack = `${record.title || ''}\n${record.task}\n${record.repo}\n${record.id}\n${record.branch || ''}\n${record.result || ''}`.toLowerCase();
  return text.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

const filters = () => ({ text: $('filter-text').value.trim(), repo: $('filter-repo').value, state: $('filter-state').value });

/// The records the list shows, newest first (j/k walk this order).
export function visibleRecords() {
  const chosen = filters();
  return [...store.records.values()].filter((r) => matches(r, chosen)).sort((a, b) => b.createdAt - a.createdAt);
}

function meta(record) {
  const time = duration(record);
  const node = el('span', 'meta');
  node.append(el('time', 'started', startedLabel(record)), ' · ', el('span', 'elapsed', time.text));
  node.title = `Started ${new Date((record.startedAt || record.createdAt) * 1000).toLocaleString()}; duration ${time.title}`;
  const cost = costLabel(record);
  if (cost) node.append(' · ', el('span', 'cost', cost));
  if (record.billing === 'subscription') node.title += `\n${SUBSCRIPTION_NOTE}`;
  return node;
}

function item(record) {
  const li = el('li');
  const link = el('a');
  link.href = `#/burrows/${record.id}`;
  link.dataset.id = record.id;
  if (store.selected === record.id) link.setAttribute('aria-current', 'page');
  const state = shownState(record);
  const line = el('div', 'line1');
  line.append(el('span', `badge ${state}`, stateLabel(state)), el('strong', 'repo', record.repo), meta(record));
  link.append(line, el('div', 'taskline', record.title || firstLine(record.task)));
  if (record.check) line.append(el('span', `check ${record.check.status}`, checkLabel(record.check)));
  if (record.tornDown) line.append(el('span', 'archived', 'archived'));
  li.append(link);
  return li;
}

/// A group's attempts as one row that opens into them (best of N).
function groupItem(id, members) {
  const li = el('li', 'group-row');
  li.dataset.group = id;
  const details = el('details');
  const summary = el('summary');
  const link = el('a', 'group-link');
  link.href = `#/groups/${id}`;
  const passed = members.filter((r) => r.check && r.check.status === 'passed').length;
  const failed = members.filter((r) => r.check && ['failed', 'timedOut', 'error'].includes(r.check.status)).length;
  const line = el('div', 'line1');
  line.append(el('span', 'badge group', 'group'), el('strong', 'repo', members[0].repo),
    el('span', 'meta', `${members.length} attempts · ${passed} passed / ${failed} failed`));
  link.append(line, el('div', 'taskline', members[0].title || firstLine(members[0].task)));
  summary.append(link);
  const list = el('ul', 'burrows attempts');
  list.append(...[...members].sort((a, b) => (a.attempt || 0) - (b.attempt || 0)).map(item));
  details.append(summary, list);
  li.append(details);
  return li;
}

function rows(records) {
  const seen = new Set();
  const out = [];
  for (const record of records) {
    if (!record.group) { out.push(item(record)); continue; }
    if (seen.has(record.group)) continue;
    seen.add(record.group);
    out.push(groupItem(record.group, records.filter((r) => r.group === record.group)));
  }
  return out;
}

export function renderList() {
  frame = 0;
  const records = visibleRecords();
  const open = new Set([...$('burrows').querySelectorAll('li.group-row details[open]')].map((d) => d.parentNode.dataset.group));
  $('burrows').replaceChildren(...rows(records));
  for (const row of $('burrows').querySelectorAll('li.group-row')) if (open.has(row.dataset.group)) row.firstChild.open = true;
  const total = [...store.records.values()].filter((r) => !r.tornDown).length;
  const archived = store.records.size - total;
  $('filter-state').querySelector('option[value=torn]').textContent = `Archived (torn down)${archived ? `: ${archived}` : ''}`;
  const empty = $('list-empty');
  empty.hidden = records.length > 0;
  empty.textContent = total === 0 && !filters().text && !filters().state ? 'No burrows yet.'
    : filters().state === 'torn' && !filters().text ? 'No archived burrows: torn-down ones are kept here.' : 'No burrow matches these filters.';
}

const schedule = () => { if (!frame) frame = requestAnimationFrame(renderList); };

/// Durations tick in place, so the list keeps keyboard focus and scroll position.
export function tickList() {
  for (const link of $('burrows').querySelectorAll('a[data-id]')) {
    const record = store.records.get(link.dataset.id);
    if (!record || isFinal(record.state)) continue;
    const elapsed = link.querySelector('.elapsed');
    if (elapsed) elapsed.textContent = duration(record).text;
  }
}

export function setRepos(names) {
  const select = $('filter-repo');
  const chosen = select.value;
  select.replaceChildren(el('option', '', 'All repos'), ...names.map((name) => { const o = el('option', '', name); o.value = name; return o; }));
  select.firstChild.value = '';
  if (names.includes(chosen)) select.value = chosen;
}

export function startList() {
  for (const id of ['filter-text', 'filter-repo', 'filter-state']) $(id).addEventListener('input', schedule);
  subscribe((event) => {
    if (['record', 'select', 'outcome', 'stopping'].includes(event.type)) schedule();
  });
}
