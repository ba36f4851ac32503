// The changes panel while a burrow runs: what the agent changed so far (counted inside the burrow
// every few seconds: names and counts only, as text), the base it started from, and per-turn diffs
// once it has finished. The final diff itself is diffview's.
import { $, el } from './dom.js';
import { apiJSON } from './api.js';
import { store } from './store.js';
import { isFinal } from './format.js';
import { fileList, loadDiff } from './diffview.js';

const clock = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
let shown = { id: null, at: null, turns: 0 };

/// `id`: the burrow now shown, so that its first record does not reset again (and clear its diff,
/// perhaps already drawn).
export function resetChanges(id = null) {
  shown = { id, at: null, turns: 0 };
  for (const id of ['changes-files', 'diff']) $(id).replaceChildren();
  for (const id of ['changes-summary', 'changes-base']) $(id).textContent = '';
  $('diff-turn').hidden = true;
  $('download').hidden = true;
  delete $('diff-section').dataset.final;
}

function baseLine(record) {
  if (!record.baseCommit) return '';
  return `Base: ${record.baseBranch ? `${record.baseBranch} @ ` : ''}${record.baseCommit.slice(0, 12)}`;
}

function summaryLine(changes) {
  if (changes.error) return `Changes so far: ${changes.error}`;
  const files = `${changes.totalFiles} file${changes.totalFiles === 1 ? '' : 's'}`;
  const counted = changes.at ? ` (counted ${clock.format(new Date(changes.at * 1000))})` : '';
  return `Changed so far${counted}: ${files} · +${changes.added} −${changes.removed}${changes.binary ? ` · ${changes.binary} binary` : ''}`;
}

async function loadLive(id) {
  try {
    const changes = await apiJSON(`/api/burrows/${id}/changes`);
    if (store.selected !== id || !changes.live || $('diff-section').dataset.final) return;
    $('changes-summary').textContent = summaryLine(changes);
    const files = (changes.files || []).map((f) => ({ name: f.path, added: f.added, removed: f.removed, binary: f.added == null }));
    $('changes-files').replaceChildren(...fileList(files, { more: Math.max(0, changes.totalFiles - files.length) }));
  } catch (_) { /* the next count tries again */ }
}

/// Per-turn diffs of a finished burrow with follow-ups: the whole result or one turn's own changes.
function renderTurns(record) {
  const select = $('diff-turn');
  const turns = record.turn || 1;
  if (turns < 2 || !isFinal(record.state)) { select.hidden = true; return; }
  select.hidden = false;
  if (shown.turns === turns) return;
  shown.turns = turns;
  const options = [el('option', '', 'All turns (against the base)')];
  options[0].value = '';
  for (let turn = 1; turn <= turns; turn++) {
    const option = el('option', '', `Turn ${turn} only`);
    option.value = String(turn);
    options.push(option);
  }
  select.replaceChildren(...options);
}

export function startChanges() {
  $('diff-turn').addEventListener('change', () => {
    if (store.selected) loadDiff(store.selected, $('diff-turn').value ? Number($('diff-turn').value) : null);
  });
}

/// Called whenever the selected record changes.
export function renderChanges(record) {
  const section = $('diff-section');
  if (shown.id !== record.id) { resetChanges(); shown.id = record.id; }
  const base = baseLine(record);
  if ($('changes-base').textContent !== base) $('changes-base').textContent = base;
  // The branch comes home when the turn ends: until then there is none to show.
  $('branch').hidden = !isFinal(record.state);
  renderTurns(record);
  if (!isFinal(record.state) && section.dataset.final) {
    // A follow-up turn runs: the last turn's diff makes way for what changes now.
    delete section.dataset.final;
    $('diff').replaceChildren();
    $('download').hidden = true;
    shown.at = null;
  }
  const changes = record.changes;
  if (!changes || !changes.live || isFinal(record.state) || section.dataset.final) return;
  section.hidden = false;
  if (shown.at === changes.at) return;
  shown.at = changes.at;
  $('changes-summary').textContent = summaryLine(changes);
  loadLive(record.id);
}
