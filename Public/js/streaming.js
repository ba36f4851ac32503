// Claude Code's partial messages (`--include-partial-messages`): the model's text as it writes it, in
// an entry of its own, replaced by the finished message when that arrives. Only text deltas are drawn;
// everything streamed is text (textContent), bounded per block and in the number of open blocks.
import { el, stamp } from './dom.js';

const MAX_OPEN = 32;             // blocks still waiting for their finished message
const MAX_CHARS = 200000;        // a block's text shown while streaming; the finished message has it all

export class PartialText {
  constructor() {
    this.open = new Map();        // `${message id}/${block index}` → { node, text, length }
    this.message = '';
  }

  /// A `stream_event`: a new entry for a text block's first delta, else null (the delta went into
  /// its block's entry).
  take(data, time) {
    const event = data.event;
    if (!event || typeof event !== 'object') return null;
    if (event.type === 'message_start') {
      this.message = String((event.message && event.message.id) || '');
      return null;
    }
    if (event.type !== 'content_block_delta' || !event.delta || event.delta.type !== 'text_delta') return null;
    const text = String(event.delta.text ?? '');
    const key = `${data.api_message_id || this.message}/${Number(event.index) || 0}`;
    let block = this.open.get(key);
    if (block) {
      if (block.length < MAX_CHARS) { block.text.appendData(text.slice(0, MAX_CHARS - block.length)); block.length += text.length; }
      return null;
    }
    const node = stamp(el('div', 'entry text plain streaming'), time);
    node.setAttribute('aria-busy', 'true');
    block = { node, text: document.createTextNode(text.slice(0, MAX_CHARS)), length: text.length };
    node.append(block.text);
    this.open.set(key, block);
    if (this.open.size > MAX_OPEN) this.open.delete(this.open.keys().next().value);
    return node;
  }

  /// The streaming entry of `messageID`'s earliest open text block (now finished), or null.
  finish(messageID) {
    if (!messageID) return null;
    const prefix = `${messageID}/`;
    for (const [key, block] of this.open) {
      if (key.startsWith(prefix)) { this.open.delete(key); return block.node; }
    }
    return null;
  }

  /// A turn ended: what never got its finished message stays as it was, no longer "writing".
  close() {
    for (const block of this.open.values()) { block.node.classList.remove('streaming'); block.node.removeAttribute('aria-busy'); }
    this.open.clear();
  }
}
