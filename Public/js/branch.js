// The work's way out, run by Burrow on the host with your git credentials: push the branch, open a
// pull request (when the host's gh is signed in), delete the branch. Says where the branch goes.
import { $, el } from './dom.js';
import { apiJSON } from './api.js';
import { store, subscribe, upsert, current } from './store.js';
import { isFinal } from './format.js';

let shown = '';
let busy = false;
let info = null;

const hasWork = (record) => !!record.resultHead && record.resultHead !== record.baseCommit;

function setStatus(text, { error = false, link = null } = {}) {
  const node = $('push-status');
  node.replaceChildren(text);
  node.classList.toggle('error', error);
  if (link) {
    const a = el('a', '', link);
    a.href = link;                 // gh's own answer, checked to be an https address
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    node.append(' ', a);
  }
}

const time = (seconds) => new Date(seconds * 1000).toLocaleString([], { hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric', hourCycle: 'h23' });

function draw(record) {
  const pushButton = $('push');
  const prButton = $('pull-request');
  const deleteButton = $('delete-branch');
  const pushed = record.pushed;
  const target = info && info.target;
  const where = target ? `${target.remote}${target.url && target.url !== target.remote ? ` (${target.url})` : ''}` : '';
  $('push-target').textContent = !info ? 'Looking up the remote…'
    : target ? `Push sends Burrow's result as branch ${target.branch} to ${where}, with your git credentials on this machine.`
      : `Cannot push: ${info.reason || 'no remote'}`;
  pushButton.disabled = busy || !info || !info.canPush;
  pushButton.title = info && !info.canPush && info.reason ? info.reason : '';
  pushButton.textContent = pushed && pushed.commit === record.resultHead ? 'Push again' : 'Push branch';
  const gh = info ? info.pullRequests : null;
  const hasRequest = pushed && /^https:\/\//.test(pushed.pullRequest || '');
  prButton.hidden = !gh || !gh.available || hasRequest;
  prButton.disabled = busy || !pushed;
  prButton.title = !pushed ? 'Push the branch first' : '';
  deleteButton.hidden = !record.branch;
  deleteButton.disabled = busy;
  if (busy) return;
  const deleted = record.deletedBranch && !record.branch
    ? `Branch ${record.deletedBranch} was deleted from your repository; the patch stays.` : '';
  if (pushed) {
    setStatus(`Pushed ${pushed.commit.slice(0, 12)} to ${pushed.remote} as ${pushed.branch} at ${time(pushed.at)}.`,
      { link: hasRequest ? pushed.pullRequest : null });
    if (deleted) $('push-status').append(' ', deleted);
  } else {
    setStatus(deleted);
  }
  if (gh && !gh.available && !hasRequest) $('push-status').append(el('span', 'quiet', ` Pull requests: ${gh.reason}.`));
}

async function load(record) {
  info = null;
  draw(record);
  try {
    const answer = await apiJSON(`/api/burrows/${record.id}/push`);
    if (store.selected !== record.id) return;
    info = answer;
  } catch (error) {
    info = { canPush: false, reason: error.message, pullRequests: null };
  }
  const latest = current();
  if (latest && latest.id === record.id) draw(latest);
}

function render() {
  const record = current();
  const section = $('branch-section');
  if (!record || !isFinal(record.state) || !(hasWork(record) || record.deletedBranch)) { section.hidden = true; shown = ''; return; }
  section.hidden = false;
  const key = [record.id, record.resultHead, record.branch, record.deletedBranch, JSON.stringify(record.pushed)].join('|');
  if (key === shown) return;
  const sameBurrow = shown.split('|')[0] === record.id && info;
  shown = key;
  if (sameBurrow && !busy) draw(record); else load(record);
}

async function act(path, options, failurePrefix) {
  const id = store.selected;
  busy = true;
  draw(current());
  setStatus(options.method === 'DELETE' ? 'Deleting…' : 'Working…');
  try {
    upsert(await apiJSON(path, options));
    busy = false;
    const record = current();
    if (record && record.id === id) draw(record);
  } catch (error) {
    busy = false;
    const record = current();
    if (record && record.id === id) { draw(record); setStatus(`${failurePrefix}: ${error.message}`, { error: true }); }
  }
}

export function startBranchActions() {
  $('push').addEventListener('click', () => act(`/api/burrows/${store.selected}/push`, { method: 'POST' }, 'Push failed'));
  $('pull-request').addEventListener('click', () => act(`/api/burrows/${store.selected}/pull-request`, { method: 'POST' }, 'Pull request failed'));
  $('delete-branch').addEventListener('click', () => {
    const record = current();
    if (!record || !record.branch) return;
    if (!confirm(`Delete the branch ${record.branch} from your repository? The patch and this record stay.`)) return;
    act(`/api/burrows/${record.id}/branch`, { method: 'DELETE' }, 'Deleting the branch failed');
  });
  subscribe((event) => {
    if (event.type === 'select' || (event.type === 'record' && event.record.id === store.selected)) render();
  });
}
