// The selected burrow's header: honest state, facts, warnings, actions, and the working indicator.
import { $, el, fold, copyButton } from './dom.js';
import { checkLabel } from './groups.js';
import { store, shownState, isLocalRepo } from './store.js';
import { renderShell } from './shell.js';
import { isFinal, isActive, duration, startedLabel, costLabel, SUBSCRIPTION_NOTE, agentReports, stateLabel, firstLine } from './format.js';
import { startupLine, wayHomeLine } from './startup.js';

const LONG_TASK = 280;

function renderTask(task) {
  const box = $('b-task');
  if (box.dataset.task === task) return;
  box.dataset.task = task;
  if (task.length <= LONG_TASK && task.split('\n').length <= 4) { box.replaceChildren(el('p', 'task', task)); return; }
  box.replaceChildren(fold(`${firstLine(task).slice(0, 160)}…`, [el('p', 'task', task)], { className: 'task-fold' }));
}

/// What the burrow started from: the chosen ref (or the repo's), its commit, the user's changes on top.
function base(record) {
  if (!record.baseCommit && !record.baseRef) return '';
  const name = record.baseRef ? record.baseRef.ref : record.baseBranch;
  const commit = record.uncommitted ? record.uncommitted.against : (record.baseRef && record.baseRef.commit) || record.baseCommit;
  let text = `base ${name || ''}${name && commit ? ' @ ' : ''}${commit ? commit.slice(0, 12) : ''}`;
  if (record.uncommitted) text += ` + your uncommitted changes (${record.uncommitted.files} file${record.uncommitted.files === 1 ? '' : 's'})`;
  return text;
}

function facts(record) {
  const list = [];
  if (record.title) list.push(record.repo);
  list.push(`started ${startedLabel(record)}`);
  const time = duration(record);
  list.push(time.text);
  $('b-facts').title = `Duration: ${time.title}` + (record.billing === 'subscription' ? `\n${SUBSCRIPTION_NOTE}` : '');
  if (record.exitCode != null) list.push(`exit code ${record.exitCode}`);
  if (record.check) list.push(checkLabel(record.check));
  if (record.group) list.push(`attempt ${record.attempt} of group ${record.group}`);
  const cost = costLabel(record);
  if (cost) {
    const costs = (record.turnCosts || []).filter((c) => c > 0);
    list.push(costs.length > 1 ? `${cost} (${costs.map((c) => `$${c.toFixed(4)}`).join(' + ')})` : cost);
  }
  if ((record.turn || 1) > 1) list.push(`turn ${record.turn}`);
  if (record.gpu) list.push('GPU');
  if (record.runner && record.runner !== 'local') list.push(`runner: ${record.runner}`);
  if (record.network) list.push(`network: ${record.network}`);
  if (record.model) list.push(`model endpoint: ${record.model.requests} requests`);
  if (record.metered) {
    const m = record.metered.total;
    const unpriced = m.unpricedModels.length ? ` + unpriced ${m.unpricedModels.join(', ')}` : '';
    list.push(`metered: ${m.inputTokens + m.outputTokens + m.cacheCreationTokens + m.cacheReadTokens} tokens${unpriced}`);
  }
  const claim = agentReports(record.agentReportedCostUSD);
  if (claim) list.push(claim);
  if (record.budget) list.push(`budget ${[record.budget.usd != null ? `$${record.budget.usd}` : '', record.budget.tokens != null ? `${record.budget.tokens} tokens` : ''].filter(Boolean).join(' / ')}`);
  if (record.stopReason) list.push(record.stopReason);
  if (record.devcontainer) list.push(`devcontainer: ${record.devcontainer.file}`);
  const from = base(record);
  if (from) list.push(from);
  if (record.tornDown) list.push('torn down (archived)');
  return list.join(' · ');
}

export function renderHead(record) {
  $('missing').hidden = true;
  $('nothing').hidden = true;
  $('burrow').hidden = false;
  const state = shownState(record);
  const badge = $('b-state');
  badge.textContent = stateLabel(state);
  badge.className = `badge ${state}`;
  $('burrow-title').textContent = record.title || record.repo;
  $('b-id').textContent = record.id;
  const link = $('b-link');
  link.href = `#/burrows/${record.id}`;
  link.setAttribute('aria-label', `Permalink to burrow ${record.id}`);
  // Every connection and model call it made, allowed or refused, as JSON lines (kept after teardown).
  $('audit-link').href = `/api/burrows/${encodeURIComponent(record.id)}/audit?download=1`;
  renderTask(record.task);
  $('b-facts').textContent = facts(record);
  const startup = startupLine(record);
  $('b-startup').textContent = startup;
  $('b-startup').hidden = !startup;
  // The last turn's end: not shown while a turn runs (it would be the one before).
  const wayHome = isActive(record.state) ? '' : wayHomeLine(record);
  $('b-wayhome').textContent = wayHome;
  $('b-wayhome').hidden = !wayHome;
  const warnings = (record.warnings || []).map((w) => el('li', '', `Podman: ${w}`));
  // What the way home left behind or changed, and what the devcontainer sets that Burrow does not apply.
  for (const note of record.homeNotes || []) warnings.push(el('li', '', `Work home: ${note}`));
  const unsupported = (record.devcontainer && record.devcontainer.unsupported) || [];
  if (unsupported.length) warnings.push(el('li', '', `devcontainer.json: not applied: ${unsupported.join(', ')}`));
  if (record.network === 'open') warnings.unshift(el('li', 'open-network', 'Open network: this burrow can reach any host (network.mode "open").'));
  $('b-warnings').replaceChildren(...warnings);
  const error = record.error || '';
  const errorNode = $('b-error');
  if (error) { errorNode.hidden = false; errorNode.textContent = error; delete errorNode.dataset.error; delete errorNode.dataset.transient; }
  else if (!errorNode.dataset.error) { errorNode.hidden = true; errorNode.textContent = ''; }
  const stopping = state === 'stopping';
  $('stop').disabled = isFinal(record.state) || stopping;
  $('stop').textContent = stopping ? 'Stopping…' : 'Stop';
  $('teardown').disabled = !isFinal(record.state) || !!record.tornDown || $('teardown').getAttribute('aria-busy') === 'true';
  $('teardown-branch').hidden = !record.branch || !!record.tornDown || !isFinal(record.state);
  const queued = (record.queuedMessages || []).length;
  const status = $('reply-status');
  if (!status.dataset.error) {
    status.textContent = record.tornDown ? 'Torn down: nothing to reply to.'
      : queued ? `${queued} message${queued > 1 ? 's' : ''} queued until the agent finishes this turn.` : '';
  }
  $('reply').disabled = !!record.tornDown;
  $('send').disabled = !!record.tornDown;
  renderBranch(record);
  renderShell(record);
}

function renderBranch(record) {
  const branch = $('branch');
  const key = `${record.branch || ''}|${record.deletedBranch || ''}|${record.resultHead || ''}|${isLocalRepo(record.repo)}`;
  if (branch.dataset.branch === key) return;
  branch.dataset.branch = key;
  if (!record.branch && record.deletedBranch) { branch.replaceChildren('Branch ', el('code', '', record.deletedBranch), ' deleted; the patch stays.'); return; }
  if (!record.branch && !isLocalRepo(record.repo)) { branch.replaceChildren('Patch only (remote repository): "Push branch" sends it to the remote as a branch.'); return; }
  if (!record.branch) { branch.replaceChildren(record.resultHead ? 'No branch: the result is the patch below.' : ''); return; }
  const command = `git switch ${record.branch}`;
  branch.replaceChildren('Branch: ', el('code', '', record.branch), ' ', copyButton(record.branch, 'branch name'),
    ' — ', el('code', '', command), ' ', copyButton(command, 'git switch command'));
}

function seconds(ms) { return Math.max(0, Math.round(ms / 1000)); }

const PREPARING = [['idRange', 'its id range'], ['workspace', 'the workspace'], ['container', 'the container']];

/// "Preparing: the workspace (step 2 of 3; its id range took 0.9 s)", from the phases the record has so far.
function preparingStep(record) {
  const done = new Map((record.startup || []).map((p) => [p.phase, p.ms]));
  const index = PREPARING.findIndex(([phase]) => !done.has(phase));
  if (index < 0) return 'Preparing: starting the agent';
  const took = PREPARING.slice(0, index).map(([phase, label]) => `${label} took ${(done.get(phase) / 1000).toFixed(1)} s`);
  return `Preparing: ${PREPARING[index][1]} (step ${index + 1} of ${PREPARING.length}${took.length ? `; ${took.join(', ')}` : ''})`;
}

/// "Working · Bash: npm test · 12 s" while the agent runs; the tool's own heartbeats keep it current.
export function renderWorking(record, session) {
  const node = $('working');
  const state = record ? shownState(record) : null;
  if (!record || !(isActive(state) || state === 'stopping') || record.tornDown) { node.hidden = true; return; }
  node.hidden = false;
  const parts = [];
  if (state === 'queued') parts.push('Queued: waiting for a free slot');
  else if (state === 'preparing') parts.push(preparingStep(record));
  else if (state === 'stopping') parts.push('Stopping');
  else parts.push('Working');
  const activity = session ? session.activity : null;
  const tool = activity && activity.tool;
  if (state === 'running' && tool) {
    parts.push(`${tool.name}${tool.argument ? ': ' + tool.argument.slice(0, 80) : ''}`);
    if (tool.since) parts.push(`${seconds(Date.now() - tool.since)} s`);
  }
  const last = activity ? Math.max(activity.lastEvent, activity.heartbeat) : 0;
  if (state === 'running' && last && Date.now() - last > 30000) parts.push(`quiet for ${seconds(Date.now() - last)} s`);
  node.replaceChildren(el('span', 'pulse', ''), parts.join(' · '));
}

export function renderMissing(id) {
  $('burrow').hidden = true;
  $('nothing').hidden = true;
  $('missing').hidden = false;
  $('missing-text').textContent = `There is no burrow with the id “${id}” on this Burrow. It may be a link from another machine, or a typo.`;
}

export function renderLoading() {
  $('burrow').hidden = true;
  $('missing').hidden = true;
  $('nothing').hidden = false;
  $('nothing').textContent = 'Loading the burrow…';
}

export function renderNothing() {
  $('burrow').hidden = true;
  $('missing').hidden = true;
  $('nothing').hidden = false;
  $('nothing').textContent = 'Pick a burrow, or launch one.';
}

export const selectedRecord = () => (store.selected ? store.records.get(store.selected) : null);
