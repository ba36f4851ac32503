// The transcript: events queue up and are drawn once per animation frame; at most MAX_ENTRIES
// entries stay in the DOM; runs of network events fold into one quiet line. The page is the only
// scroll container: following the tail scrolls the window.
import { $, el } from './dom.js';
import { renderEntry, rawEntry, netLine } from './entries.js';

export const MAX_ENTRIES = 3000;

function netGroup() {
  const node = el('details', 'entry net-group');
  const summary = el('summary');
  const lines = el('div', 'net-lines');
  node.append(summary, lines);
  return { node, summary, lines, total: 0, model: 0, denied: 0 };
}

function countInto(group, data) {
  group.total += 1;
  if (data.phase === 'model') group.model += 1;
  if (data.phase === 'denied') group.denied += 1;
  const parts = [`network · ${group.total} ${group.total === 1 ? 'event' : 'events'}`];
  if (group.model) parts.push(`${group.model} model call${group.model === 1 ? '' : 's'}`);
  group.summary.replaceChildren(parts.join(' · '));
  if (group.denied) {
    group.node.classList.add('has-denied');
    group.summary.append(' · ', el('span', 'denied', `✗ ${group.denied} refused`));
  }
}

export class TranscriptView {
  constructor() {
    this.box = $('transcript');
    this.reset();
    window.addEventListener('scroll', () => this.updateJump(), { passive: true });
    $('jump').addEventListener('click', () => this.scrollToEnd());
  }

  reset() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.box.replaceChildren();
    this.context = { tools: new Map(), lastText: '' };
    this.pending = [];
    this.frame = 0;
    this.hidden = 0;
    this.group = null;
    this.follow = true;
    $('jump').hidden = true;
  }

  push(item) {
    this.pending.push(item);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /// Draws again from the events the session kept (the Raw toggle).
  redraw(events, dropped) {
    this.reset();
    this.hidden = dropped;
    this.pending = events.slice();
    this.flush();
  }

  atEnd() {
    const bottom = this.box.getBoundingClientRect().bottom;
    return bottom <= window.innerHeight - this.reserve() + 80;
  }

  reserve() {
    const reply = $('reply-form');
    return (reply ? reply.offsetHeight : 0) + ($('working').hidden ? 0 : $('working').offsetHeight) + 16;
  }

  scrollToEnd() {
    const bottom = this.box.getBoundingClientRect().bottom;
    const target = window.scrollY + bottom - (window.innerHeight - this.reserve());
    if (target > window.scrollY) window.scrollTo(0, target);
    $('jump').hidden = true;
  }

  updateJump() {
    if (this.box.offsetParent === null) return;
    $('jump').hidden = this.atEnd();
  }

  flush() {
    this.frame = 0;
    const following = this.follow || this.atEnd();
    let batch = this.pending.splice(0);
    if (batch.length > MAX_ENTRIES * 2) {            // a long history: build only what will stay
      this.hidden += batch.length - MAX_ENTRIES;
      batch = batch.slice(-MAX_ENTRIES);
    }
    const raw = $('raw-toggle').checked;
    const fragment = document.createDocumentFragment();
    for (const item of batch) {
      if (raw) { fragment.append(rawEntry(item)); continue; }
      if (item.kind === 'net' && item.value && typeof item.value === 'object') {
        const line = netLine(item.value);
        if (!line) continue;
        if (!this.group) {
          this.group = netGroup();
          fragment.append(this.group.node);
        }
        this.group.lines.append(line);
        countInto(this.group, item.value);
        continue;
      }
      const node = renderEntry(item, this.context);
      if (node) { this.group = null; fragment.append(node); }
    }
    this.box.append(fragment);
    this.trim();
    if (following) { this.follow = false; this.scrollToEnd(); }
    this.updateJump();
  }

  trim() {
    let excess = this.box.childElementCount - MAX_ENTRIES;
    if (excess <= 0 && !this.hidden) return;
    excess = Math.max(0, excess);
    let notice = this.box.querySelector(':scope > .notice');
    if (notice) { notice.remove(); excess += 1; }
    for (let i = 0; i < excess && this.box.firstChild; i++) { this.box.firstChild.remove(); this.hidden += 1; }
    notice = el('div', 'entry notice', `${this.hidden} earlier entries are not shown (Raw and the event log have them all).`);
    this.box.prepend(notice);
  }
}
