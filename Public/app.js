'use strict';
// Burrow's browser UI: plain DOM, no framework. Everything the agent says is inserted as text,
// never as HTML.

const $ = (id) => document.getElementById(id);
const MAX_ENTRIES = 3000;          // transcript DOM cap; older entries collapse into a notice
const state = { repos: [], burrows: new Map(), current: null };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) { showSignin(); throw new Error('not signed in'); }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { const body = await response.json(); message = body.error + (body.detail ? ` — ${body.detail}` : ''); } catch (_) {}
    throw new Error(message);
  }
  return response;
}

function showSignin() { $('signin').hidden = false; $('app').hidden = true; }

function setConnection(ok, text) {
  const node = $('connection');
  node.textContent = ok ? '' : text;
  node.classList.toggle('down', !ok);
}

// ---- repos and launching ----------------------------------------------------------------------

async function loadRepos() {
  state.repos = await (await api('/api/repos')).json();
  const select = $('repo');
  select.replaceChildren(...state.repos.map((repo) => { const o = el('option', '', repo.name); o.value = repo.name; return o; }));
  const saved = localStorage.getItem('burrow.repo');
  if (saved && state.repos.some((r) => r.name === saved)) select.value = saved;
  updateGpuToggle();
  if (state.repos.length === 0) showLaunchError('No repositories configured: add "repos" to burrow.json (see README).');
}

function updateGpuToggle() {
  const repo = state.repos.find((r) => r.name === $('repo').value);
  $('gpu-row').hidden = !(repo && repo.gpu);
  $('gpu').checked = !!(repo && repo.gpu);
}

function showLaunchError(text) { const node = $('launch-error'); node.textContent = text; node.hidden = !text; }

async function launch(event) {
  event.preventDefault();
  const task = $('task').value;
  if (!task.trim()) return showLaunchError('Write a task first.');
  showLaunchError('');
  $('launch').disabled = true;
  if (window.Notification && Notification.permission === 'default') Notification.requestPermission();
  try {
    const body = { repo: $('repo').value, task };
    if (!$('gpu-row').hidden) body.gpu = $('gpu').checked;
    const record = await (await api('/api/burrows', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();
    $('task').value = '';
    localStorage.removeItem('burrow.draft');
    upsert(record);
    location.hash = `#/burrows/${record.id}`;
  } catch (error) {
    showLaunchError(error.message);
  } finally {
    $('launch').disabled = false;
  }
}

// ---- the burrows list -------------------------------------------------------------------------

function upsert(record) {
  const previous = state.burrows.get(record.id);
  state.burrows.set(record.id, record);
  renderList();
  if (state.current && state.current.id === record.id) {
    renderHead(record);
    // A follow-up turn started (here or in another tab): the ended stream goes on.
    const view = state.current;
    if (view.ended && !isFinal(record.state)) { view.ended = false; follow(view); }
  }
  if (previous && !isFinal(previous.state) && isFinal(record.state)) announce(record);
}

const isFinal = (s) => s === 'succeeded' || s === 'failed' || s === 'stopped';

function elapsed(record) {
  const end = record.finishedAt || Date.now() / 1000;
  const start = record.startedAt || record.createdAt;
  const seconds = Math.max(0, Math.round(end - start));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

const cost = (record) => (record.costUSD != null ? `$${record.costUSD.toFixed(4)}` : '');

function renderList() {
  const list = $('burrows');
  const records = [...state.burrows.values()].filter((r) => !r.tornDown).sort((a, b) => b.createdAt - a.createdAt);
  list.replaceChildren(...records.map((record) => {
    const item = el('li');
    const link = el('a');
    link.href = `#/burrows/${record.id}`;
    link.dataset.id = record.id;
    if (state.current && state.current.id === record.id) link.setAttribute('aria-current', 'page');
    const line = el('div', 'line1');
    line.append(el('span', `badge ${record.state}`, record.state), el('strong', '', record.repo), el('span', 'meta', `${elapsed(record)} ${cost(record)}`));
    link.append(line, el('div', 'taskline', record.task.split('\n')[0]));
    item.append(link);
    return item;
  }));
}

// Elapsed times tick in place, so the list keeps keyboard focus and scroll position.
function tick() {
  for (const link of $('burrows').querySelectorAll('a[data-id]')) {
    const record = state.burrows.get(link.dataset.id);
    const meta = link.querySelector('.meta');
    if (record && meta && !isFinal(record.state)) meta.textContent = `${elapsed(record)} ${cost(record)}`;
  }
  const view = state.current && state.burrows.get(state.current.id);
  if (view && !isFinal(view.state)) renderHead(view);
}

function announce(record) {
  const mark = record.state === 'succeeded' ? '✓' : '✗';
  if (document.hidden) document.title = `${mark} ${record.repo} — Burrow`;
  if (window.Notification && Notification.permission === 'granted') {
    new Notification(`Burrow ${record.state}: ${record.repo}`, { body: record.task.split('\n')[0] });
  }
}
document.addEventListener('visibilitychange', () => { if (!document.hidden) document.title = 'Burrow'; });

function watchAll() {
  const source = new EventSource('/api/events');
  source.addEventListener('state', (event) => upsert(JSON.parse(event.data)));
  source.onopen = () => { setConnection(true); refreshList(); };
  source.onerror = () => setConnection(false, 'Disconnected — reconnecting…');
}

async function refreshList() {
  try { for (const record of await (await api('/api/burrows')).json()) upsert(record); } catch (_) {}
}

// ---- one burrow ------------------------------------------------------------------------------

function route() {
  const match = location.hash.match(/^#\/burrows\/([0-9a-f]+)$/);
  if (!match) { closeView(); $('nothing').hidden = false; $('burrow').hidden = true; return; }
  openView(match[1]);
}

function closeView() {
  if (state.current && state.current.source) state.current.source.close();
  state.current = null;
}

function openView(id) {
  if (state.current && state.current.id === id) return;
  closeView();
  const view = { id, events: [], lastId: 0, tools: new Map(), pending: [], frame: 0, follow: true, hiddenCount: 0 };
  state.current = view;
  $('nothing').hidden = true;
  $('burrow').hidden = false;
  $('transcript').replaceChildren();
  $('diff-section').hidden = true;
  $('jump').hidden = true;
  renderList();
  const known = state.burrows.get(id);
  if (known) renderHead(known);
  api(`/api/burrows/${id}`).then((r) => r.json()).then(upsert).catch((error) => {
    $('b-error').hidden = false; $('b-error').textContent = error.message;
  });
  loadHistory(view).then(() => follow(view));
}

// A long history arrives in one request and is rendered once; live events follow over SSE.
async function loadHistory(view) {
  try {
    const text = await (await api(`/api/burrows/${view.id}/history`)).text();
    if (state.current !== view) return;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let stored;
      try { stored = JSON.parse(line); } catch (_) { continue; }
      receive(view, { id: stored.seq, kind: stored.kind, value: stored.data });
    }
  } catch (_) { /* the live stream replays from the start instead */ }
}

function follow(view) {
  if (state.current !== view || view.ended) return;
  const source = new EventSource(`/api/burrows/${view.id}/events?after=${view.lastId}`);
  view.source = source;
  const onEvent = (event) => receive(view, { id: Number(event.lastEventId), kind: event.type, data: event.data });
  for (const kind of ['agent', 'log', 'net', 'turn', 'state', 'end']) source.addEventListener(kind, onEvent);
  source.onopen = () => setConnection(true);
  source.onerror = () => { if (source.readyState !== EventSource.CLOSED) setConnection(false, 'Disconnected — reconnecting…'); };
}

function valueOf(item) {
  if (item.value === undefined) { try { item.value = JSON.parse(item.data); } catch (_) { item.value = null; } }
  return item.value;
}

function receive(view, item) {
  if (item.id && item.id <= view.lastId) return;     // never show an event twice
  if (item.id) view.lastId = item.id;
  view.events.push(item);
  view.pending.push(item);
  if (item.kind === 'state' || item.kind === 'end') upsert(valueOf(item));
  if (item.kind === 'end') {
    view.ended = true;
    if (view.source) view.source.close();
    loadDiff(view);
  }
  if (!view.frame) view.frame = requestAnimationFrame(() => flush(view));
}

function renderHead(record) {
  $('b-state').textContent = record.state;
  $('b-state').className = `badge ${record.state}`;
  $('b-repo').textContent = record.repo;
  $('b-link').href = `#/burrows/${record.id}`;
  $('b-task').textContent = record.task;
  const facts = [`id ${record.id}`, elapsed(record)];
  if (record.exitCode != null) facts.push(`exit code ${record.exitCode}`);
  if (record.costUSD != null) {
    const costs = record.turnCosts || [];
    facts.push(costs.length > 1 ? `${cost(record)} (${costs.map((c) => `$${c.toFixed(4)}`).join(' + ')})` : cost(record));
  }
  if (record.turn > 1) facts.push(`turn ${record.turn}`);
  if (record.turns != null) facts.push(`${record.turns} turns`);
  if (record.gpu) facts.push('GPU');
  if (record.network) facts.push(`network: ${record.network}`);
  if (record.model) facts.push(`model endpoint: ${record.model.requests} requests`);
  if (record.metered) {
    const m = record.metered.total;
    const unpriced = m.unpricedModels.length ? ` + unpriced ${m.unpricedModels.join(', ')}` : '';
    facts.push(`metered: ${m.inputTokens + m.outputTokens + m.cacheCreationTokens + m.cacheReadTokens} tokens${unpriced}`);
  }
  if (record.agentReportedCostUSD != null) facts.push(`agent says $${record.agentReportedCostUSD.toFixed(4)}`);
  if (record.budget) facts.push(`budget ${[record.budget.usd != null ? `$${record.budget.usd}` : '', record.budget.tokens != null ? `${record.budget.tokens} tokens` : ''].filter(Boolean).join(' / ')}`);
  if (record.stopReason) facts.push(record.stopReason);
  $('b-facts').textContent = facts.join(' · ');
  const warnings = (record.warnings || []).map((w) => el('li', '', `Podman: ${w}`));
  if (record.network === 'open') warnings.unshift(el('li', 'open-network', 'Open network: this burrow can reach any host (network.mode "open").'));
  $('b-warnings').replaceChildren(...warnings);
  $('b-error').hidden = !record.error;
  $('b-error').textContent = record.error || '';
  $('stop').disabled = isFinal(record.state);
  $('teardown').disabled = !isFinal(record.state) || record.tornDown;
  if (record.tornDown) $('b-facts').textContent += ' · torn down';
  const queued = (record.queuedMessages || []).length;
  $('reply-status').textContent = record.tornDown ? 'Torn down: nothing to reply to.'
    : queued ? `${queued} message${queued > 1 ? 's' : ''} queued until the agent finishes this turn.` : '';
  $('reply').disabled = !!record.tornDown;
  $('send').disabled = !!record.tornDown;
}

// Render what arrived since the last frame, in one DOM pass.
function flush(view) {
  view.frame = 0;
  if (state.current !== view) return;
  const box = $('transcript');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const fragment = document.createDocumentFragment();
  let batch = view.pending.splice(0);
  // A long history: build only the entries that will stay on screen.
  if (batch.length > MAX_ENTRIES * 2) {
    view.hiddenCount += batch.length - MAX_ENTRIES;
    batch = batch.slice(-MAX_ENTRIES);
  }
  for (const item of batch) {
    const node = $('raw-toggle').checked ? rawEntry(item) : entry(view, item);
    if (node) fragment.append(node);
  }
  box.append(fragment);
  trim(view, box);
  if (atBottom || view.follow) { box.scrollTop = box.scrollHeight; view.follow = false; }
  $('jump').hidden = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function trim(view, box) {
  let excess = box.childElementCount - MAX_ENTRIES;
  if (excess <= 0 && !view.hiddenCount) return;
  excess = Math.max(0, excess);
  let notice = box.querySelector('.notice');
  if (notice) { notice.remove(); excess += 1; }
  for (let i = 0; i < excess && box.firstChild; i++) { box.firstChild.remove(); view.hiddenCount += 1; }
  notice = el('div', 'entry notice', `${view.hiddenCount} earlier entries are not shown (the raw event stream has them all).`);
  box.prepend(notice);
}

function rawEntry(item) {
  const data = item.data !== undefined ? item.data : JSON.stringify(item.value);
  return el('div', 'entry raw', `${item.id} ${item.kind} ${data}`);
}

// One connection the burrow asked for: denials stand out; an opened tunnel shows again when closed.
function netEntry(data) {
  if (data.phase === 'opened') return null;
  const where = `${data.host}:${data.port}`;
  if (data.phase === 'denied') return el('div', 'entry net denied', `✗ network: ${data.method} ${where} refused: ${data.reason || ''}`);
  const bytes = `${kib(data.bytesSent)} up, ${kib(data.bytesReceived)} down`;
  if (data.phase === 'model') return el('div', 'entry net model', `model endpoint: ${data.method} ${data.path || ''} → ${data.status ?? 'failed'} · ${bytes}`);
  return el('div', 'entry net', `network: ${data.method} ${where}${data.reason ? ' failed: ' + data.reason : ''} · ${bytes}`);
}

function kib(value) { return value == null ? '0 KiB' : `${(value / 1024).toFixed(1)} KiB`; }

function mainArgument(input) {
  if (!input || typeof input !== 'object') return '';
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description']) {
    if (typeof input[key] === 'string') return input[key];
  }
  return JSON.stringify(input).slice(0, 120);
}

// Claude Code's system events: init starts the agent; the others (api_retry, task_started, …) are
// shown by subtype with their few telling fields, never as another "Agent started".
function systemEntry(data) {
  if (data.subtype === 'init') return el('div', 'entry log', `Agent started · model ${data.model || '?'} · ${data.cwd || ''}`);
  const parts = [data.subtype || 'system'];
  if (data.subtype === 'api_retry') {
    if (data.attempt != null) parts.push(`attempt ${data.attempt}${data.max_retries != null ? ' of ' + data.max_retries : ''}`);
    if (data.error_status != null) parts.push(`status ${data.error_status}`);
    if (data.error) parts.push(String(data.error));
    if (data.retry_delay_ms != null) parts.push(`retry in ${(data.retry_delay_ms / 1000).toFixed(1)} s`);
  } else if (data.description || data.message) {
    parts.push(String(data.description || data.message));
  }
  return el('div', `entry log ${data.subtype === 'api_retry' ? 'stderr' : ''}`, `Agent: ${parts.join(' · ')}`);
}

function entry(view, item) {
  const data = valueOf(item);
  if (data === null || typeof data !== 'object') return el('div', 'entry log', String(item.data));
  if (item.kind === 'log') return el('div', `entry log ${data.stream}`, data.text);
  if (item.kind === 'net') return netEntry(data);
  if (item.kind === 'turn') return el('div', 'entry turn', `You: ${data.text}`);
  if (item.kind !== 'agent') return null;
  const content = (data.message && Array.isArray(data.message.content)) ? data.message.content : [];
  if (data.type === 'system') return systemEntry(data);
  if (data.type === 'result') {
    // is_error can be true with subtype "success" (a failed API call): say failed, with the API status.
    const failed = data.is_error === true || String(data.subtype || '').startsWith('error');
    const box = el('div', failed ? 'entry result error' : 'entry result');
    const parts = [failed && data.subtype === 'success' ? 'error' : (data.subtype || 'result')];
    if (data.api_error_status != null) parts.push(`API status ${data.api_error_status}`);
    if (data.total_cost_usd != null) parts.push(`$${Number(data.total_cost_usd).toFixed(4)}`);
    if (data.num_turns != null) parts.push(`${data.num_turns} turns`);
    if (data.duration_ms != null) parts.push(`${(data.duration_ms / 1000).toFixed(1)} s`);
    box.append(el('strong', '', `${failed ? 'Failed' : 'Finished'}: ${parts.join(' · ')}`));
    if (data.result) box.append(el('div', 'text', String(data.result)));
    return box;
  }
  const group = document.createDocumentFragment();
  for (const part of content) {
    if (part.type === 'text') group.append(el('div', `entry text ${data.type === 'user' ? 'user-msg' : ''}`, part.text));
    else if (part.type === 'thinking') {
      const details = el('details', 'entry');
      details.append(el('summary', '', 'Thinking…'), el('pre', '', part.thinking || ''));
      const wrap = el('div', 'entry'); wrap.append(details); group.append(wrap);
    } else if (part.type === 'tool_use') {
      const details = el('details');
      details.dataset.tool = part.name;
      details.append(el('summary', '', `${part.name}: ${mainArgument(part.input)}`), el('pre', 'input', JSON.stringify(part.input, null, 2)));
      view.tools.set(part.id, details);
      const wrap = el('div', 'entry tool'); wrap.append(details); group.append(wrap);
    } else if (part.type === 'tool_result') {
      const text = typeof part.content === 'string' ? part.content : JSON.stringify(part.content, null, 2);
      const target = view.tools.get(part.tool_use_id);
      const pre = el('pre', part.is_error ? 'result error' : 'result', text);
      if (target) target.append(pre); else { const wrap = el('div', 'entry log'); wrap.append(pre); group.append(wrap); }
    }
  }
  return group.childNodes.length ? group : null;
}

function rerender() {
  const view = state.current;
  if (!view) return;
  $('transcript').replaceChildren();
  view.tools.clear();
  view.hiddenCount = 0;
  view.pending = view.events.slice();
  view.follow = true;
  flush(view);
}

// ---- diff ------------------------------------------------------------------------------------

async function loadDiff(view) {
  try {
    const text = await (await api(`/api/burrows/${view.id}/diff`)).text();
    if (state.current !== view) return;
    const record = state.burrows.get(view.id) || {};
    $('branch').textContent = record.branch ? `Branch: ${record.branch} — git switch ${record.branch}` : 'Patch only (remote repository).';
    $('download').href = `/api/burrows/${view.id}/diff?download=1`;
    renderDiff(text);
    $('diff-section').hidden = false;
  } catch (error) {
    $('diff-section').hidden = false;
    $('diff').replaceChildren(el('p', 'error', error.message));
  }
}

function renderDiff(text) {
  const files = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) { current = { name: line.replace(/^diff --git a\/(.*) b\/.*$/, '$1'), lines: [] }; files.push(current); continue; }
    if (!current || line.startsWith('index ') || line.startsWith('--- ') || line.startsWith('+++ ')) continue;
    current.lines.push(line);
  }
  const box = $('diff');
  if (files.length === 0) { box.replaceChildren(el('p', 'empty', 'No changes.')); return; }
  box.replaceChildren(...files.map((file) => {
    const section = el('div', 'file');
    section.append(el('h4', '', file.name));
    for (const line of file.lines) {
      const kind = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
      section.append(el('div', `l ${kind}`, line || ' '));
    }
    return section;
  }));
}

// ---- actions ---------------------------------------------------------------------------------

async function stop() {
  const view = state.current;
  if (!view) return;
  try { upsert(await (await api(`/api/burrows/${view.id}/stop`, { method: 'POST' })).json()); }
  catch (error) { $('b-error').hidden = false; $('b-error').textContent = error.message; }
}

async function teardown() {
  const view = state.current;
  if (!view) return;
  if (!confirm('Tear down this burrow? Its container and workspace are removed; the record, events and diff are kept.')) return;
  try {
    await api(`/api/burrows/${view.id}`, { method: 'DELETE' });
    const record = state.burrows.get(view.id);
    if (record) upsert({ ...record, tornDown: true });
  } catch (error) { $('b-error').hidden = false; $('b-error').textContent = error.message; }
}

async function reply(event) {
  event.preventDefault();
  const view = state.current;
  const text = $('reply').value;
  if (!view || !text.trim()) return;
  $('send').disabled = true;
  try {
    const response = await api(`/api/burrows/${view.id}/messages`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }),
    });
    $('reply').value = '';
    upsert(await response.json());
  } catch (error) {
    $('reply-status').textContent = error.message;
  } finally {
    $('send').disabled = false;
  }
}

// Podman's service can go away while Burrow keeps serving: say so, and that running burrows catch up.
async function checkPodman() {
  try {
    const health = await (await api('/api/health')).json();
    const down = health.podman && !health.podman.reachable;
    $('podman-status').hidden = !down;
    $('podman-status').textContent = down
      ? `Podman does not answer (${health.podman.error || 'no reply'}): launches wait; running burrows keep running and their output catches up when it is back.`
      : '';
  } catch (_) { /* Burrow itself is away: the connection indicator says so */ }
}

// Containers and volumes with Burrow's labels that no burrow owns (a crash, a hand-made mess).
async function checkOrphans() {
  try {
    const report = await (await api('/api/orphans')).json();
    const count = report.containers.length + report.volumes.length;
    $('orphans').hidden = count === 0;
    $('orphans').textContent = count === 0 ? '' : `${report.containers.length} containers and ${report.volumes.length} volumes of this Burrow instance belong to no burrow (${[...report.containers, ...report.volumes].map((o) => o.name).join(', ')}): \`burrow gc --dry-run\` lists them, \`burrow gc\` removes them. Other Burrow instances' burrows are never touched.`;
  } catch (_) { /* Podman away: /api/health says so */ }
}

// ---- start -----------------------------------------------------------------------------------

async function start() {
  try {
    await api('/api/health');
  } catch (_) {
    if (!$('signin').hidden) return;
    setConnection(false, 'Burrow does not answer.');
    return;
  }
  $('app').hidden = false;
  $('task').value = localStorage.getItem('burrow.draft') || '';
  $('task').addEventListener('input', () => localStorage.setItem('burrow.draft', $('task').value));
  $('task').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('launch-form').requestSubmit();
  });
  $('repo').addEventListener('change', () => { localStorage.setItem('burrow.repo', $('repo').value); updateGpuToggle(); });
  $('launch-form').addEventListener('submit', launch);
  $('reply-form').addEventListener('submit', reply);
  checkOrphans();
  setInterval(checkOrphans, 60000);
  checkPodman();
  setInterval(checkPodman, 5000);
  $('reply').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('reply-form').requestSubmit();
  });
  $('stop').addEventListener('click', stop);
  $('teardown').addEventListener('click', teardown);
  $('raw-toggle').addEventListener('change', rerender);
  $('jump').addEventListener('click', () => { const box = $('transcript'); box.scrollTop = box.scrollHeight; $('jump').hidden = true; });
  $('transcript').addEventListener('scroll', () => {
    const box = $('transcript');
    $('jump').hidden = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  });
  await loadRepos().catch((error) => showLaunchError(error.message));
  await refreshList();
  watchAll();
  setInterval(tick, 1000);
  window.addEventListener('hashchange', route);
  route();
}

start();
