// The transcript: events queue up and are drawn at most ten times a second; at most 3,000 entries
// stay in the DOM; runs of network events fold into one quiet line. The page is the only
// scroll container: following the tail scrolls the window.
import { $, el } from './dom.js';
import { renderEntry, rawEntry, netLine } from './entries.js';
import { PartialText } from './streaming.js';

export const MAX_ENTRIES = 2750;
const TRIM_CHUNK = 250;   // entries removed at once: one relayout per chunk, not one per frame
const LIVE_TAIL = 80;          // the newest entries keep full layout, so following the tail stays exact
const FLUSH_EVERY_MS = 100;    // a fast stream is drawn ten times a second, not at every frame

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
    clearTimeout(this.timer);
    this.timer = 0;
    this.lastFlush = 0;
    this.box.replaceChildren();
    this.context = { tools: new Map(), lastText: '', partial: new PartialText() };
    this.pending = [];
    this.frame = 0;
    this.hidden = 0;
    this.group = null;
    this.follow = true;
    this.tail = [];
    $('jump').hidden = true;
  }

  push(item) {
    this.pending.push(item);
    if (this.frame || this.timer) return;
    const wait = this.lastFlush + FLUSH_EVERY_MS - performance.now();
    // A hidden tab gets no animation frames: a timer draws then, so nothing waits for the tab.
    const draw = () => {
      this.timer = 0;
      if (document.hidden) { this.timer = setTimeout(() => { this.timer = 0; this.flush(); }, 0); return; }
      this.frame = requestAnimationFrame(() => this.flush());
    };
    if (wait > 0) this.timer = setTimeout(draw, wait); else draw();
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
    this.lastFlush = performance.now();
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
      if (!node) continue;
      this.group = null;
      if (node.nodeType === Node.DOCUMENT_FRAGMENT_NODE) this.tail.push(...node.children); else this.tail.push(node);
      fragment.append(node);
    }
    this.box.append(fragment);
    if (this.tail.length > LIVE_TAIL) {
      for (const node of this.tail.splice(0, this.tail.length - LIVE_TAIL)) node.classList.add('settled');
    }
    this.trim();
    if (following) { this.follow = false; this.scrollToEnd(); }
    this.updateJump();
  }

  /// Keeps between MAX_ENTRIES and MAX_ENTRIES + TRIM_CHUNK entries, cutting a chunk at a time.
  trim() {
    const first = this.box.firstElementChild;
    const notice = first && first.classList.contains('notice') ? first : null;
    const entries = this.box.childElementCount - (notice ? 1 : 0);
    if (entries > MAX_ENTRIES + TRIM_CHUNK) {
      const excess = entries - MAX_ENTRIES;
      const start = notice ? notice.nextElementSibling : this.box.firstElementChild;
      let end = start;
      for (let i = 1; i < excess; i++) end = end.nextElementSibling;
      const range = document.createRange();
      range.setStartBefore(start);
      range.setEndAfter(end);
      range.deleteContents();
      this.hidden += excess;
    }
    if (!this.hidden) return;
    const text = `${this.hidden} earlier entries are not shown (Raw and the event log have them all).`;
    if (!notice) this.box.prepend(el('div', 'entry notice', text));
    else if (notice.textContent !== text) notice.textContent = text;
  }
}
