// Burrow's browser UI: plain DOM modules, no build step. Boot, routing and who draws what.
import { $ } from './dom.js';
import { api, apiJSON, whenSignedOut } from './api.js';
import { store, subscribe, select, upsert, markMissing, current } from './store.js';
import { TranscriptView } from './transcript.js';
import { BurrowSession } from './session.js';
import { renderHead, renderWorking, renderMissing, renderLoading, renderNothing } from './head.js';
import { renderList, startList, tickList } from './list.js';
import { loadDiff, startDiffModes } from './diffview.js';
import { renderChanges, resetChanges, startChanges } from './changes.js';
import { startNotifications } from './notify.js';
import { watchAll, refreshList, checkPodman, checkOrphans, startConnection, showError } from './live.js';
import { loadRepos, startLaunchForm } from './launch.js';
import { loadAllowed } from './allowed.js';
import { startActions } from './actions.js';
import { startBranchActions } from './branch.js';
import { startKeys } from './keys.js';
import { startPreviews } from './previews.js';
import { openGroup, closeGroup, startGroups } from './groups.js';

const transcript = new TranscriptView();
let session = null;
let headFrame = 0;

const narrow = () => window.matchMedia('(max-width: 699px)').matches;

function closeSession() {
  if (session) session.close();
  session = null;
}

function drawHead() {
  headFrame = 0;
  const record = current();
  if (record) { renderHead(record); renderChanges(record); }
  renderWorking(record, session);
}

const scheduleHead = () => { if (!headFrame) headFrame = requestAnimationFrame(drawHead); };

// After a tap or a launch the chosen burrow is on screen: on a phone it replaces the list.
function bringIntoView() {
  if (narrow()) { window.scrollTo(0, 0); return; }
  const rect = $('view').getBoundingClientRect();
  if (rect.top > window.innerHeight || rect.bottom < 0) $('view').scrollIntoView({ block: 'start' });
}

function openBurrow(id) {
  if (store.selected === id && session) return;
  closeSession();
  select(id);
  transcript.reset();
  $('diff-section').hidden = true;
  resetChanges(id);
  $('working').hidden = true;
  $('b-error').hidden = true;
  for (const node of [$('b-error'), $('reply-status')]) { delete node.dataset.error; delete node.dataset.transient; }
  $('reply-status').textContent = '';
  if (!/^[\w-]{1,64}$/.test(id)) { markMissing(id); return; }
  const known = store.records.get(id);
  if (known) renderHead(known); else renderLoading();
  session = new BurrowSession(id, transcript, { onEnd: () => loadDiff(id) });
  apiJSON(`/api/burrows/${id}`).then(upsert).catch((error) => {
    if (error.status === 404) markMissing(id); else showError($('b-error'), error);
  });
  session.start();
  bringIntoView();
}

function route() {
  const inGroup = location.hash.match(/^#\/groups\/([\w-]{1,64})$/);
  if (inGroup) {
    $('app').dataset.mode = 'burrow';
    closeSession(); select(null); renderNothing();
    $('nothing').hidden = true;
    openGroup(inGroup[1]);
    return;
  }
  closeGroup();
  const match = location.hash.match(/^#\/burrows\/(.+)$/);
  $('app').dataset.mode = match ? 'burrow' : 'list';
  if (!match) { closeSession(); select(null); renderNothing(); return; }
  openBurrow(decodeURIComponent(match[1]));
}

function wire() {
  subscribe((event) => {
    if (event.type === 'missing' && event.id === store.selected) { closeSession(); renderMissing(event.id); return; }
    if (store.missing.has(store.selected)) return;
    const mine = (event.type === 'record' && event.record.id === store.selected)
      || (['outcome', 'stopping'].includes(event.type) && event.id === store.selected);
    if (mine) scheduleHead();
  });
  $('raw-toggle').addEventListener('change', () => { if (session) transcript.redraw(session.events, session.dropped); });
  window.addEventListener('hashchange', route);
  // The skip link moves focus without touching the route (the hash is the route).
  $('skip').addEventListener('click', (event) => {
    event.preventDefault();
    const target = $('view').offsetParent ? $('view') : $('burrows').querySelector('a') || $('task');
    target.focus();
    target.scrollIntoView({ block: 'start' });
  });
  setInterval(() => { tickList(); if (current()) drawHead(); }, 1000);
}

async function start() {
  whenSignedOut(() => { $('signin').hidden = false; $('app').hidden = true; });
  try {
    await api('/api/repos');                  // answers without Podman: the page never waits on it
  } catch (error) {
    if (error.status !== 401) { $('connection').textContent = 'Burrow does not answer.'; $('connection').classList.add('down'); }
    return;
  }
  $('app').hidden = false;
  startConnection();
  startList();
  startNotifications();
  startLaunchForm();
  startActions();
  startBranchActions();
  startChanges();
  startPreviews();
  startDiffModes();
  startKeys();
  startGroups();
  wire();
  checkOrphans();
  setInterval(checkOrphans, 60000);
  checkPodman();
  setInterval(checkPodman, 5000);
  await loadRepos();
  loadAllowed();
  await refreshList();
  renderList();
  watchAll();
  route();
}

start();
