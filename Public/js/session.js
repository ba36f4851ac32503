// One open burrow's events: its history in one request, then live over SSE from the last id. The
// session owns its EventSource; it follows again when the store says a new turn began. It keeps a
// bounded window of events (for the Raw toggle) and what the working indicator needs.
import { api } from './api.js';
import { subscribe, upsert, setFailure, setConnection, markMissing } from './store.js';
import { isFinal, resultFailure } from './format.js';
import { eventTime } from './entries.js';
import { resetAsks, noteAsk } from './asks.js';

const KEEP_EVENTS = 6000;
const KINDS = ['agent', 'log', 'net', 'ask', 'turn', 'check', 'state', 'end', 'preview'];

export class BurrowSession {
  constructor(id, view, { onEnd }) {
    this.id = id;
    this.view = view;
    this.onEnd = onEnd;
    this.lastId = 0;
    this.events = [];
    this.dropped = 0;
    this.ended = false;
    this.closed = false;
    this.source = null;
    this.activity = { tool: null, lastEvent: 0, heartbeat: 0 };
    resetAsks(id);
    this.unsubscribe = subscribe((event) => {
      if (this.loading) return;
      if (event.type === 'record' && event.record.id === this.id && this.ended && !isFinal(event.record.state)) {
        this.ended = false;
        this.follow();
      }
    });
  }

  async start() {
    this.loading = true;
    await this.loadHistory();
    this.loading = false;
    if (this.sawEnd && !this.closed) this.onEnd();
    this.follow();
  }

  close() {
    this.closed = true;
    if (this.source) this.source.close();
    this.unsubscribe();
  }

  async loadHistory() {
    let text;
    try {
      text = await (await api(`/api/burrows/${this.id}/history`)).text();
    } catch (error) {
      if (error.status === 404) { this.closed = true; markMissing(this.id); }
      return;                                         // otherwise the live stream replays from the start
    }
    if (this.closed) return;
    for (const line of text.split('\n')) {
      if (!line) continue;
      let stored;
      try { stored = JSON.parse(line); } catch (_) { continue; }
      this.receive({ id: stored.seq, kind: stored.kind, value: stored.data }, false);
    }
  }

  follow() {
    if (this.closed || this.ended) return;
    if (this.source) this.source.close();
    const source = new EventSource(`/api/burrows/${this.id}/events?after=${this.lastId}`);
    this.source = source;
    const onEvent = (event) => {
      let value = null;
      try { value = JSON.parse(event.data); } catch (_) { value = null; }
      this.receive({ id: Number(event.lastEventId), kind: event.type, data: event.data, value, arrived: Date.now() }, true);
    };
    for (const kind of KINDS) source.addEventListener(kind, onEvent);
    source.onopen = () => setConnection(true);
    source.onerror = () => { if (source.readyState !== EventSource.CLOSED) setConnection(false, 'Disconnected — reconnecting…'); };
  }

  receive(item, live) {
    if (this.closed) return;
    if (item.id && item.id <= this.lastId) return;    // never show an event twice
    if (item.id) this.lastId = item.id;
    this.events.push(item);
    if (this.events.length > KEEP_EVENTS * 2) {
      this.dropped += this.events.length - KEEP_EVENTS;
      this.events = this.events.slice(-KEEP_EVENTS);
    }
    this.derive(item, live);
    this.view.push(item);
  }

  /// What the page learns from an event besides drawing it: records, the outcome, the running tool.
  derive(item, live) {
    const value = item.value;
    if (live) this.activity.lastEvent = Date.now();
    if (item.kind === 'state' || item.kind === 'end') upsert(value, { replayed: !live });
    if (item.kind === 'state' && value && !isFinal(value.state)) this.ended = false;
    if (item.kind === 'end') {
      this.ended = true;
      this.sawEnd = true;
      this.activity.tool = null;
      if (this.source) { this.source.close(); this.source = null; }
      if (live) this.onEnd();
    }
    if (item.kind === 'preview' && live) document.dispatchEvent(new CustomEvent('burrow:previews', { detail: { id: this.id, list: value } }));
    if (item.kind === 'ask') noteAsk(this.id, value, live);
    if (item.kind === 'turn') { this.ended = false; setFailure(this.id, null); this.activity.tool = null; }
    if (item.kind !== 'agent' || !value || typeof value !== 'object') return;
    if (value.type === 'result') { setFailure(this.id, resultFailure(value)); this.activity.tool = null; return; }
    if (value.type === 'tool_progress') {
      const tool = this.activity.tool;
      const seconds = Number(value.elapsed_time_seconds);
      if (!tool || (value.tool_use_id && tool.id !== value.tool_use_id)) {
        this.activity.tool = { id: value.tool_use_id, name: value.tool_name || 'tool', argument: '', since: 0 };
      }
      if (Number.isFinite(seconds)) this.activity.tool.since = Date.now() - seconds * 1000;
      this.activity.heartbeat = Date.now();
      return;
    }
    const content = value.message && Array.isArray(value.message.content) ? value.message.content : [];
    for (const part of content) {
      if (!part || typeof part !== 'object') continue;
      if (part.type === 'tool_use') {
        const input = part.input && typeof part.input === 'object' ? part.input : {};
        const argument = String(input.command ?? input.file_path ?? input.pattern ?? input.description ?? '').split('\n')[0];
        this.activity.tool = { id: part.id, name: String(part.name || 'tool'), argument, since: eventTime(value, item) || (live ? Date.now() : 0) };
      } else if (part.type === 'tool_result' && this.activity.tool && this.activity.tool.id === part.tool_use_id) {
        this.activity.tool = null;
      }
    }
  }
}
