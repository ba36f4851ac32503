// The runner choice in the launch form: shown only when there is more than the local Podman.
import { $, el } from './dom.js';
import { apiJSON } from './api.js';

function label(runner) {
  const labels = runner.labels.length ? ` · ${runner.labels.join(', ')}` : '';
  const state = runner.reachable ? `${runner.running}/${runner.maxConcurrent} running` : 'unreachable';
  return `${runner.name}${labels} · ${state}`;
}

// One line per runner: its name, labels, load, and whether it answers (or why not).
function row(runner) {
  const item = el('li', runner.reachable ? 'runner' : 'runner unreachable');
  item.append(el('strong', '', runner.name), el('span', 'muted', runner.remote ? ' over SSH' : ' this machine'));
  const load = el('span', 'runner-load', ` ${runner.running}/${runner.maxConcurrent} running`);
  const labels = runner.labels.length ? el('span', 'muted', ` · ${runner.labels.join(', ')}`) : '';
  const state = runner.reachable ? el('span', 'ok', ' · ready') : el('span', 'warn', ` · unreachable${runner.lastError ? `: ${runner.lastError}` : ''}`);
  item.append(load, labels, state);
  return item;
}

function renderPanel(runners) {
  $('runners-panel').hidden = runners.length < 2;
  const busy = runners.reduce((sum, r) => sum + r.running, 0);
  const away = runners.filter((r) => !r.reachable).length;
  $('runners-summary').textContent = `Runners: ${runners.length}, ${busy} burrow${busy === 1 ? '' : 's'} running${away ? `, ${away} unreachable` : ''}`;
  $('runners-list').replaceChildren(...runners.map(row));
}

let polling = null;

export async function loadRunners() {
  let runners = [];
  try { runners = await apiJSON('/api/runners'); } catch (_) { return; }
  renderPanel(runners);
  // Load and reachability change without a burrow changing: look again while the page is open.
  if (!polling && runners.length > 1) polling = setInterval(() => { if (!document.hidden) loadRunners(); }, 10000);
  $('runner-row').hidden = runners.length < 2;
  const pick = el('option', '', 'Burrow picks');
  pick.value = '';
  const select = $('runner');
  const kept = select.value;
  select.replaceChildren(pick, ...runners.map((runner) => { const o = el('option', '', label(runner)); o.value = runner.name; return o; }));
  if (runners.some((r) => r.name === kept)) select.value = kept;
}

export function chosenRunner() { return $('runner-row').hidden ? '' : $('runner').value; }
