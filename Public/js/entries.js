// One stored event → transcript nodes. Agent text is Markdown built as DOM; everything else is text.
import { checkLabel } from './groups.js';
import { el, fold, stamp } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { renderToolUse, attachToolResult } from './tools.js';
import { resultFailure, agentReports, kib, clock } from './format.js';

const MARKUP = /[*_`#[\]|<>~\\]|^\s*([-+=]|\d+[.)])(\s|$)|https?:/m;

export const eventTime = (data, item) => (data && typeof data.timestamp === 'string' && Date.parse(data.timestamp)) || item.arrived || 0;

const withTime = stamp;

/// One connection line (grouped by the transcript); null for a tunnel just opened (shown when closed).
export function netLine(data) {
  if (data.phase === 'opened') return null;
  const where = `${data.host}:${data.port}`;
  if (data.phase === 'denied') return el('div', 'net-line denied', `✗ ${data.method} ${where} refused: ${data.reason || ''}`);
  const bytes = `${kib(data.bytesSent)} up, ${kib(data.bytesReceived)} down`;
  if (data.phase === 'model') return el('div', 'net-line model', `model endpoint: ${data.method} ${data.path || ''} → ${data.status ?? 'failed'} · ${bytes}`);
  return el('div', 'net-line', `${data.method} ${where}${data.reason ? ' failed: ' + data.reason : ''} · ${bytes}`);
}

function systemEntry(data) {
  switch (data.subtype) {
    case 'init':
      return el('div', 'entry log system', `Agent started · model ${data.model || '?'}${data.cwd ? ' · ' + data.cwd : ''}`);
    case 'api_retry': {
      const seconds = data.retry_delay_ms != null ? Math.ceil(Number(data.retry_delay_ms) / 1000) : null;
      const why = [data.error_status != null ? `API error ${data.error_status}` : 'API request failed', data.error ? String(data.error) : ''].filter(Boolean).join(' · ');
      const attempt = data.attempt != null ? ` (attempt ${data.attempt}${data.max_retries != null ? ` of ${data.max_retries}` : ''})` : '';
      return el('div', 'entry log warn', `${why}: retrying${seconds != null ? ` in ${seconds} s` : ''}${attempt}`);
    }
    case 'task_started':
      return el('div', 'entry log system', `Background task started${data.description ? ': ' + data.description : ''}${data.task_id ? ` (${data.task_id})` : ''}`);
    case 'task_notification':
      return el('div', 'entry log system', `Background task ${data.status || 'update'}${data.summary ? ': ' + data.summary : ''}${data.task_id ? ` (${data.task_id})` : ''}`);
    case 'thinking_tokens':
    case 'status':
    case 'hook_started':
    case 'hook_response':
      return null;
    case 'compact_boundary':
      return el('div', 'entry log system', 'Context compacted');
    default:
      return el('div', 'entry log system', `system: ${data.subtype || 'event'}`);
  }
}

function resultEntry(data, context, time) {
  const failure = resultFailure(data);
  const box = el('div', failure ? 'entry result failed' : 'entry result');
  const parts = [];
  const claim = agentReports(data.total_cost_usd);
  if (claim) parts.push(claim);
  if (data.num_turns != null) parts.push(`${data.num_turns} agent turn${data.num_turns === 1 ? '' : 's'}`);
  // The agent's own time, in the list's and header's format and named as the agent's: the burrow's
  // duration also counts starting its container and bringing the work home.
  if (data.duration_ms != null) parts.push(`agent ${clock(data.duration_ms / 1000)}`);
  const title = failure ? `Failed: ${failure}` : `Finished: ${data.subtype || 'success'}`;
  const heading = el('strong', 'result-title', [title, ...parts].join(' · '));
  if (data.duration_ms != null) heading.title = "The agent's own time for this turn; the burrow's duration (header, list) also counts its container's start and the way home.";
  box.append(heading);
  const text = typeof data.result === 'string' ? data.result : '';
  // Claude Code repeats its last message as the result: show it once.
  if (text.trim() && text.trim() !== context.lastText.trim()) {
    const body = el('div', 'text markdown');
    body.append(renderMarkdown(text));
    box.append(body);
  }
  return withTime(box, time);
}

/// The repo's check after a turn: its result, and the tail of its output (folded when it passed).
function checkEntry(data, item) {
  const check = data.check || {};
  const box = el('div', `entry check-entry ${check.status || ''}`);
  box.append(el('strong', `check ${check.status || ''}`, `Check ${(data.command || []).join(' ')}: ${checkLabel(check)}`));
  const cut = check.cutBytes ? [el('p', 'meta', `${check.cutBytes} bytes of its output left out: the last ${String(data.output || '').length} characters follow.`)] : [];
  box.append(fold('Output', [...cut, el('pre', '', String(data.output || ''))], { open: check.status !== 'passed' }));
  return withTime(box, item.arrived);
}

/// The nodes for one event (a fragment), or null for events shown elsewhere or not at all.
export function renderEntry(item, context) {
  const data = item.value;
  if (data === null || typeof data !== 'object') return el('div', 'entry log', String(item.data ?? ''));
  if (item.kind === 'log') return el('div', `entry log ${data.stream === 'stderr' ? 'stderr' : ''}`, String(data.text ?? ''));
  if (item.kind === 'turn') { context.lastText = ''; context.partial.close(); return withTime(el('div', 'entry turn', `You: ${data.text}`), item.arrived); }
  if (item.kind === 'check') return checkEntry(data, item);
  if (item.kind !== 'agent') return null;
  const time = eventTime(data, item);
  if (data.type === 'system') return systemEntry(data);
  if (data.type === 'stream_event') return context.partial.take(data, time);
  if (data.type === 'result') { context.partial.close(); return resultEntry(data, context, time); }
  const content = data.message && Array.isArray(data.message.content) ? data.message.content : [];
  const group = document.createDocumentFragment();
  for (const part of content) {
    if (!part || typeof part !== 'object') continue;
    if (part.type === 'text' && data.type === 'assistant') {
      const text = String(part.text ?? '');
      context.lastText = text;
      // Most streamed lines carry no Markdown at all: one element, no parsing.
      const plain = !MARKUP.test(text);
      const node = el('div', plain ? 'entry text plain' : 'entry text markdown', plain ? text : undefined);
      if (!plain) node.append(renderMarkdown(text));
      withTime(node, time);
      // The finished message takes the place of its streamed text.
      const streamed = context.partial.finish(data.message.id);
      if (streamed && streamed.parentNode) streamed.replaceWith(node); else group.append(node);
    } else if (part.type === 'text') {
      group.append(el('div', 'entry text user-msg', String(part.text ?? '')));
    } else if (part.type === 'thinking') {
      const wrap = el('div', 'entry thinking');
      wrap.append(fold('Thinking', [el('pre', '', String(part.thinking ?? ''))]));
      group.append(wrap);
    } else if (part.type === 'tool_use') {
      group.append(renderToolUse(part, context, time));
    } else if (part.type === 'tool_result') {
      const node = attachToolResult(part, context);
      if (node) group.append(node);
    }
  }
  return group.childNodes.length ? group : null;
}

export function rawEntry(item) {
  const data = item.data !== undefined ? item.data : JSON.stringify(item.value);
  return el('div', 'entry raw', `${item.id} ${item.kind} ${data}`);
}
