// Requests of the open burrow that wait for a person (`network.unlisted: "ask"`): one card each,
// with the host, port, method and path as text (they come from the burrow), a countdown and the four
// answers (for a request `network.rules` refuse, they allow that method and path, not the host). A browser notification when the page is open and notifications are allowed.
import { $, el } from './dom.js';
import { postJSON } from './api.js';
import { loadAllowed } from './allowed.js';

const ANSWERS = [
  ['once', 'Allow once', 'primary'],
  ['burrow', 'Allow for this burrow', ''],
  ['repo', 'Always for this repo', ''],
  ['deny', 'Deny', 'danger'],
];

let burrowId = null;
const pending = new Map();
let ticker = null;

/// A new burrow is shown: the previous one's cards go.
export function resetAsks(id) {
  burrowId = id;
  pending.clear();
  draw();
}

/// An `ask` event of burrow `id`: a new ask, or the end of one (`decision` set).
export function noteAsk(id, ask, live) {
  if (id !== burrowId || !ask || typeof ask !== 'object' || typeof ask.id !== 'string') return;
  if (ask.decision) pending.delete(ask.id);
  else if (Number(ask.expiresAt) > Date.now()) {
    pending.set(ask.id, ask);
    if (live) notify(ask);
  }
  draw();
}

const target = (ask) => `${String(ask.host)}:${Number(ask.port)}`;
const request = (ask) => (ask.path ? `${String(ask.method)} ${String(ask.path)}` : String(ask.method));
const secondsLeft = (ask) => Math.max(0, Math.ceil((Number(ask.expiresAt) - Date.now()) / 1000));

function notify(ask) {
  if (!window.Notification) return;
  if (Notification.permission === 'default') {
    try { Notification.requestPermission(); } catch (_) { /* not allowed here */ }
    return;
  }
  if (Notification.permission !== 'granted') return;
  try {
    new Notification(`Burrow asks: may the agent reach ${target(ask)}?`, { body: request(ask).slice(0, 200), tag: `ask-${burrowId}-${ask.id}` });
  } catch (_) { /* some browsers need a service worker */ }
}

async function answer(ask, choice, card) {
  for (const button of card.querySelectorAll('button')) button.disabled = true;
  const status = card.querySelector('.ask-status');
  try {
    await postJSON(`/api/burrows/${encodeURIComponent(burrowId)}/asks/${encodeURIComponent(ask.id)}`, { answer: choice });
    pending.delete(ask.id);
    draw();
    if (choice === 'repo') loadAllowed();
  } catch (error) {
    status.textContent = error.message;
    for (const button of card.querySelectorAll('button')) button.disabled = false;
  }
}

function card(ask) {
  const node = el('div', 'ask-card');
  node.dataset.ask = ask.id;
  node.setAttribute('role', 'alertdialog');
  const title = el('p', 'ask-title');
  // A request ask: the host is reachable, the rules refuse this method and path.
  const byRule = ask.scope === 'request';
  title.append(byRule ? 'The rules refuse this request; the agent asks to send it to ' : 'The agent asks to reach ', el('code', 'ask-target', target(ask)));
  const detail = el('p', 'facts ask-request', request(ask));
  const countdown = el('p', 'facts ask-countdown');
  countdown.dataset.countdown = ask.id;
  const buttons = el('div', 'ask-buttons');
  for (const [choice, label, kind] of ANSWERS) {
    const button = el('button', kind, label);
    button.type = 'button';
    button.dataset.answer = choice;
    button.addEventListener('click', () => answer(ask, choice, node));
    buttons.append(button);
  }
  node.append(title, detail, countdown, buttons, el('p', 'error ask-status'));
  return node;
}

function tick() {
  for (const [id, ask] of pending) {
    if (secondsLeft(ask) === 0) pending.delete(id);
  }
  for (const node of document.querySelectorAll('[data-countdown]')) {
    const ask = pending.get(node.dataset.countdown);
    if (ask) node.textContent = `Denied in ${secondsLeft(ask)} s unless you answer.`;
  }
  if ([...document.querySelectorAll('.ask-card')].some((node) => !pending.has(node.dataset.ask))) draw();
}

function draw() {
  const box = $('asks');
  if (!box) return;
  const shown = new Set([...box.querySelectorAll('.ask-card')].map((node) => node.dataset.ask));
  for (const node of [...box.querySelectorAll('.ask-card')]) if (!pending.has(node.dataset.ask)) node.remove();
  for (const [id, ask] of pending) if (!shown.has(id)) box.append(card(ask));
  box.hidden = pending.size === 0;
  if (pending.size > 0 && !ticker) ticker = setInterval(tick, 1000);
  if (pending.size === 0 && ticker) { clearInterval(ticker); ticker = null; }
  if (pending.size > 0) tick();
}
