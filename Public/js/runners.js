// The runner choice in the launch form: shown only when there is more than the local Podman.
import { $, el } from './dom.js';
import { apiJSON } from './api.js';

function label(runner) {
  const labels = runner.labels.length ? ` · ${runner.labels.join(', ')}` : '';
  const state = runner.reachable ? `${runner.running}/${runner.maxConcurrent} running` : 'unreachable';
  return `${runner.name}${labels} · ${state}`;
}

export async function loadRunners() {
  let runners = [];
  try { runners = await apiJSON('/api/runners'); } catch (_) { return; }
  $('runner-row').hidden = runners.length < 2;
  const pick = el('option', '', 'Burrow picks');
  pick.value = '';
  const select = $('runner');
  const kept = select.value;
  select.replaceChildren(pick, ...runners.map((runner) => { const o = el('option', '', label(runner)); o.value = runner.name; return o; }));
  if (runners.some((r) => r.name === kept)) select.value = kept;
}

export function chosenRunner() { return $('runner-row').hidden ? '' : $('runner').value; }
