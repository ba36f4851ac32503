// The transcript: events queue up and are drawn in animation frames, a bounded amount per frame; the
// entries live in chunks of 100, and a full chunk away from the screen is skipped by layout and paint
// (one `content-visibility` box per chunk, not per entry: the browser checks 30 boxes a frame, not
// 3,000); at most about 3,000 entries stay in the DOM, whole chunks cut from the top; runs of
// network events fold into one quiet line. The page is the only scroll container: following the tail
// scrolls the window, measured once per frame after the DOM is written.
import { $, el } from './dom.js';
import { renderEntry, rawEntry, netLine } from './entries.js';
import { PartialText } from './streaming.js';

export const MAX_ENTRIES = 2750;
const CHUNK = 100;             // entries per chunk
const FRAME_BUDGET_MS = 8;     // drawing stops for this frame after this long; the rest waits a frame
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
    // Whether the tail is in view is learnt when the page scrolls (layout is fresh then), so that
    // drawing reads layout at most once, after writing.
    window.addEventListener('scroll', () => { this.pinned = this.atEnd(); this.updateJump(); }, { passive: true });
    $('jump').addEventListener('click', () => this.scrollToEnd());
  }

  reset() {
    if (this.frame) cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.timer = 0;
    this.frame = 0;
    this.lastFlush = 0;
    this.box.replaceChildren();
    this.context = { tools: new Map(), lastText: '', partial: new PartialText() };
    this.pending = [];
    this.hidden = 0;
    this.group = null;
    this.follow = true;
    this.pinned = true;
    this.notice = null;
    this.chunk = null;
    this.full = [];
    this.inChunk = 0;
    this.entries = 0;
    $('jump').hidden = true;
  }

  push(item) {
    this.pending.push(item);
    this.schedule();
  }

  schedule(now = false) {
    if (this.frame || this.timer) return;
    const wait = now ? 0 : this.lastFlush + FLUSH_EVERY_MS - performance.now();
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
    this.pinned = true;
    $('jump').hidden = true;
  }

  updateJump() {
    if (this.box.offsetParent === null) return;
    $('jump').hidden = this.atEnd();
  }

  /// Puts an entry (or a fragment of entries) at the end, in the open chunk.
  place(node) {
    if (!this.chunk || this.inChunk >= CHUNK) {
      if (this.chunk) this.full.push(this.chunk);
      this.chunk = el('div', 'chunk');
      this.box.append(this.chunk);
      this.inChunk = 0;
    }
    const count = node.nodeType === Node.DOCUMENT_FRAGMENT_NODE ? node.childNodes.length : 1;
    this.chunk.append(node);
    this.inChunk += count;
    this.entries += count;
  }

  draw(item, raw) {
    if (raw) { this.place(rawEntry(item)); return; }
    if (item.kind === 'net' && item.value && typeof item.value === 'object') {
      const line = netLine(item.value);
      if (!line) return;
      if (!this.group) {
        this.group = netGroup();
        this.place(this.group.node);
      }
      this.group.lines.append(line);
      countInto(this.group, item.value);
      return;
    }
    const node = renderEntry(item, this.context);
    if (!node) return;
    this.group = null;
    this.place(node);
  }

  /// Draws what is pending, for at most FRAME_BUDGET_MS; what is left is
  /// drawn in the next frame. Layout is read once, after the DOM is written, and only to follow the tail.
  flush() {
    this.frame = 0;
    const started = performance.now();
    this.lastFlush = started;
    const following = this.follow || this.pinned;
    let batch = this.pending;
    if (batch.length > MAX_ENTRIES * 2) {            // a long history: build only what will stay
      this.hidden += batch.length - MAX_ENTRIES;
      batch = batch.slice(-MAX_ENTRIES);
    }
    const raw = $('raw-toggle').checked;
    let index = 0;
    while (index < batch.length) {
      this.draw(batch[index], raw);
      index += 1;
      if ((index & 7) === 0 && performance.now() - started > FRAME_BUDGET_MS) break;
    }
    this.pending = index < batch.length ? batch.slice(index) : [];
    this.trim();
    if (following) { this.follow = false; this.scrollToEnd(); } else if (!$('burrow').hidden) $('jump').hidden = false;
    this.seal();
    if (this.pending.length) this.schedule(true);
  }

  /// Full chunks skip layout while away from the screen, keeping their measured height (read after
  /// the frame's layout): the page does not shift when one is skipped, so following the tail holds.
  seal() {
    if (!this.full.length || $('burrow').hidden) return;
    const heights = this.full.map((chunk) => chunk.offsetHeight);
    this.full.forEach((chunk, index) => {
      chunk.style.containIntrinsicSize = `auto ${heights[index]}px`;
      chunk.classList.add('sealed');
    });
    this.full = [];
  }

  /// Keeps between MAX_ENTRIES and MAX_ENTRIES + CHUNK entries, cutting whole chunks from the top.
  trim() {
    while (this.entries > MAX_ENTRIES + CHUNK) {
      const first = this.notice ? this.notice.nextElementSibling : this.box.firstElementChild;
      if (!first || first === this.chunk) break;
      const count = first.childElementCount;
      first.remove();
      this.entries -= count;
      this.hidden += count;
    }
    if (!this.hidden) return;
    const text = `${this.hidden} earlier entries are not shown (Raw and the event log have them all).`;
    if (!this.notice) {
      this.notice = el('div', 'entry notice', text);
      this.box.prepend(this.notice);
    } else if (this.notice.textContent !== text) this.notice.textContent = text;
  }
}
