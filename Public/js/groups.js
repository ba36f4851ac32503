// A group's page (best of N): its attempts compared, two diffs side by side, follow-ups, Pick.
import { $, el } from './dom.js';
import { api, apiJSON, postJSON } from './api.js';
import { subscribe } from './store.js';
import { money, clock } from './format.js';

let shown = null;        // the group id on screen
let group = null;        // its last answer from GET /api/groups/{id}
let compared = [];       // up to two attempt ids, in the order they were chosen
let frame = 0;

export const checkLabel = (check) => {
  if (!check) return 'no check';
  const time = check.durationMs != null ? ` · ${clock(check.durationMs / 1000)}` : '';
  if (check.status === 'failed') return `check failed (exit ${check.exitCode})${time}`;
  if (check.status === 'timedOut') return `check timed out${time}`;
  if (check.status === 'error') return 'check could not run';
  return `check ${check.status}${time}`;
};

export const groupSummary = (g) => `${g.attempts.length} attempts · ${g.passed} passed / ${g.failed} failed`;

const diffstat = (changes) => (changes ? `${changes.totalFiles} files +${changes.added} −${changes.removed}` : '—');

function row(attempt) {
  const tr = el('tr');
  tr.dataset.id = attempt.id;
  const name = el('a', '', `#${attempt.attempt}`);
  name.href = `#/burrows/${attempt.id}`;
  const who = el('div', 'agent', attempt.model || (attempt.agentCommand ? attempt.agentCommand.join(' ') : 'default agent'));
  who.title = who.textContent;
  const check = el('span', `check ${attempt.check ? attempt.check.status : 'none'}`, checkLabel(attempt.check));
  const compare = el('input');
  compare.type = 'checkbox';
  compare.checked = compared.includes(attempt.id);
  compare.setAttribute('aria-label', `Compare attempt ${attempt.attempt}`);
  compare.addEventListener('change', () => toggleCompare(attempt.id, compare.checked));
  const pick = el('button', attempt.picked ? 'primary' : '', attempt.picked ? 'Picked' : 'Pick');
  pick.type = 'button';
  pick.disabled = attempt.picked || attempt.tornDown;
  pick.addEventListener('click', () => pickAttempt(attempt));
  const cells = [name, who, el('span', `badge ${attempt.state}`, attempt.tornDown ? 'torn down' : attempt.state), diffstat(attempt.changes),
    check, money(attempt.costUSD) || '—', attempt.durationMs != null ? clock(attempt.durationMs / 1000) : '—', String(attempt.turns), compare, pick];
  for (const cell of cells) { const td = el('td'); td.append(cell); tr.append(td); }
  if (attempt.error) tr.title = attempt.error;
  return tr;
}

function draw() {
  if (!group) return;
  $('group-title').textContent = group.title || group.task.split('\n')[0];
  $('group-summary').textContent = `${group.repo} · ${groupSummary(group)}` + (group.groupBudgetUSD ? ` · $${group.spentUSD.toFixed(4)} of $${group.groupBudgetUSD}` : '');
  $('group-attempts').replaceChildren(...group.attempts.map(row));
  const target = $('group-target');
  const chosen = target.value;
  target.replaceChildren(el('option', '', 'All attempts'), ...group.attempts.filter((a) => !a.tornDown).map((a) => {
    const option = el('option', '', `Attempt #${a.attempt}`); option.value = a.id; return option;
  }));
  target.firstChild.value = '';
  if ([...target.options].some((o) => o.value === chosen)) target.value = chosen;
}

async function refresh() {
  if (!shown) return;
  const id = shown;
  try {
    const answer = await apiJSON(`/api/groups/${encodeURIComponent(id)}`);
    if (shown !== id) return;
    group = answer;
    $('group-error').hidden = true;
    draw();
  } catch (error) {
    $('group-error').textContent = error.message;
    $('group-error').hidden = false;
  }
}

function diffColumn(attempt, text) {
  const column = el('div', 'group-diff');
  column.append(el('h4', '', `Attempt #${attempt.attempt} · ${diffstat(attempt.changes)}`));
  const pre = el('pre', 'diff');
  for (const line of text.split('\n')) {
    const kind = line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : '';
    pre.append(el('span', `line ${kind}`, line), '\n');
  }
  column.append(pre);
  return column;
}

async function drawComparison() {
  const box = $('group-compare');
  if (compared.length < 2 || !group) {
    box.replaceChildren(el('p', 'empty', 'Tick two attempts to see their diffs side by side.'));
    return;
  }
  const attempts = compared.map((id) => group.attempts.find((a) => a.id === id)).filter(Boolean);
  const texts = await Promise.all(attempts.map(async (a) => {
    try { return await (await api(`/api/burrows/${a.id}/diff`)).text(); } catch (error) { return `(no diff: ${error.message})`; }
  }));
  box.replaceChildren(...attempts.map((a, index) => diffColumn(a, texts[index])));
}

function toggleCompare(id, on) {
  compared = compared.filter((other) => other !== id);
  if (on) compared.push(id);
  if (compared.length > 2) compared = compared.slice(-2);
  draw();
  drawComparison();
}

async function pickAttempt(attempt) {
  const teardown = $('group-teardown').checked;
  $('group-status').textContent = `Picking attempt #${attempt.attempt}…`;
  try {
    const outcome = await postJSON(`/api/groups/${group.id}/pick`, { attempt: attempt.id, teardownOthers: teardown });
    group = outcome.group;
    const left = Object.entries(outcome.left || {}).map(([id, why]) => `${id}: ${why}`).join('; ');
    $('group-status').textContent = `Picked attempt #${attempt.attempt}: its branch is ${attempt.branch || `burrow/${attempt.id}`}.`
      + (outcome.tornDown.length ? ` Tore down ${outcome.tornDown.length} other attempts.` : '') + (left ? ` Left: ${left}` : '');
    draw();
  } catch (error) {
    $('group-status').textContent = `Pick refused: ${error.message}`;
  }
}

async function sendFollowUp(event) {
  event.preventDefault();
  const text = $('group-message').value;
  if (!text.trim() || !group) return;
  const body = { text };
  if ($('group-target').value) body.attempt = $('group-target').value;
  try {
    const outcome = await postJSON(`/api/groups/${group.id}/messages`, body);
    group = outcome.group;
    $('group-message').value = '';
    const refused = Object.keys(outcome.refused || {}).length;
    $('group-status').textContent = `Sent${refused ? `; ${refused} attempts refused it` : ''}.`;
    draw();
  } catch (error) {
    $('group-status').textContent = `Not sent: ${error.message}`;
  }
}

export function openGroup(id) {
  if (shown !== id) { compared = []; group = null; $('group-status').textContent = ''; $('group-attempts').replaceChildren(); }
  shown = id;
  $('group').hidden = false;
  drawComparison();
  refresh();
}

export function closeGroup() {
  shown = null;
  $('group').hidden = true;
}

export function startGroups() {
  $('group-form').addEventListener('submit', sendFollowUp);
  // Any change to one of its attempts (the list's live stream) redraws the group.
  subscribe((event) => {
    if (shown && event.type === 'record' && event.record.group === shown && !frame) frame = setTimeout(() => { frame = 0; refresh(); }, 250);
  });
}
