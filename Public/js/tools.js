// Claude Code's tool calls as a terminal user would want them: Bash as a command with its exit
// status and folded output, Edit/Write as diffs, TodoWrite as a checklist, failures marked.
import { el, fold, copyButton, stamp } from './dom.js';

const MAX_DIFF_LINES = 400;
const FOLD_OUTPUT_LINES = 12;

function mainArgument(input) {
  if (!input || typeof input !== 'object') return '';
  for (const key of ['command', 'file_path', 'notebook_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt']) {
    if (typeof input[key] === 'string') return input[key].split('\n')[0];
  }
  return JSON.stringify(input).slice(0, 120);
}

function lines(kind, texts, mark) {
  return texts.map((text) => el('div', `l ${kind}`, `${mark} ${text}`));
}

/// old → new as red and green lines around the part that changed, with two lines of context.
export function diffBlock(before, after) {
  const a = String(before ?? '').split('\n');
  const b = String(after ?? '').split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const box = el('div', 'diff inline-diff');
  const rows = [
    ...lines('ctx', a.slice(Math.max(0, start - 2), start), ' '),
    ...lines('del', a.slice(start, endA), '-'),
    ...lines('add', b.slice(start, endB), '+'),
    ...lines('ctx', a.slice(endA, endA + 2), ' '),
  ];
  box.append(...rows.slice(0, MAX_DIFF_LINES));
  if (rows.length > MAX_DIFF_LINES) box.append(el('div', 'l hunk', `… ${rows.length - MAX_DIFF_LINES} more lines`));
  return { box, added: endB - start, removed: endA - start };
}

function todoList(todos) {
  const list = el('ul', 'todos');
  for (const todo of Array.isArray(todos) ? todos : []) {
    const status = ['completed', 'in_progress'].includes(todo.status) ? todo.status : 'pending';
    const mark = status === 'completed' ? '☑' : status === 'in_progress' ? '◐' : '☐';
    const item = el('li', `todo ${status}`);
    item.append(el('span', 'mark', mark), ' ', el('span', 'todo-text', status === 'in_progress' && todo.activeForm ? todo.activeForm : todo.content));
    list.append(item);
  }
  return list;
}

function body(name, input) {
  switch (name) {
    case 'Bash': {
      const command = String(input.command ?? '');
      const box = el('div', 'command');
      box.append(el('pre', 'input', `$ ${command}`), copyButton(command, 'command'));
      return { nodes: input.description ? [el('p', 'tool-note', input.description), box] : [box] };
    }
    case 'Edit': {
      const diff = diffBlock(input.old_string, input.new_string);
      return { nodes: [diff.box], stat: `+${diff.added} −${diff.removed}`, open: true };
    }
    case 'MultiEdit': {
      const nodes = [];
      let added = 0;
      let removed = 0;
      for (const edit of Array.isArray(input.edits) ? input.edits : []) {
        const diff = diffBlock(edit.old_string, edit.new_string);
        nodes.push(diff.box);
        added += diff.added;
        removed += diff.removed;
      }
      return { nodes, stat: `+${added} −${removed}`, open: true };
    }
    case 'Write': {
      const content = String(input.content ?? '').split('\n');
      const box = el('div', 'diff inline-diff');
      box.append(...lines('add', content.slice(0, MAX_DIFF_LINES), '+'));
      if (content.length > MAX_DIFF_LINES) box.append(el('div', 'l hunk', `… ${content.length - MAX_DIFF_LINES} more lines`));
      return { nodes: [box], stat: `+${content.length} lines`, open: content.length <= FOLD_OUTPUT_LINES };
    }
    case 'TodoWrite': {
      const todos = Array.isArray(input.todos) ? input.todos : [];
      const done = todos.filter((t) => t.status === 'completed').length;
      return { nodes: [todoList(todos)], stat: `${done}/${todos.length} done`, open: true, argument: 'tasks' };
    }
    default:
      return { nodes: [el('pre', 'input', JSON.stringify(input, null, 2))] };
  }
}

export function renderToolUse(part, context, time) {
  const name = String(part.name || 'tool');
  const input = part.input && typeof part.input === 'object' ? part.input : {};
  const shown = body(name, input);
  const summary = document.createDocumentFragment();
  summary.append(el('span', 'tool-name', name), ' ', el('span', 'tool-arg', shown.argument || mainArgument(input)));
  if (shown.stat) summary.append(' ', el('span', 'tool-stat', shown.stat));
  const status = el('span', 'tool-status');
  summary.append(' ', status);
  const details = fold(summary, shown.nodes, { open: !!shown.open });
  details.dataset.tool = name;
  const wrap = stamp(el('div', 'entry tool'), time);
  wrap.append(details);
  if (part.id) {
    context.tools.set(part.id, { details, status, name });
    if (context.tools.size > 500) context.tools.delete(context.tools.keys().next().value);
  }
  return wrap;
}

export function resultText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((block) => (block && block.type === 'text' ? String(block.text ?? '') : `[${block && block.type ? block.type : 'content'}]`)).join('\n');
  }
  return content == null ? '' : JSON.stringify(content, null, 2);
}

function output(text, failed) {
  const pre = el('pre', failed ? 'result error' : 'result', text);
  const count = text.split('\n').length;
  if (count <= FOLD_OUTPUT_LINES) return pre;
  return fold(`Output · ${count} lines`, [pre], { className: 'output', open: failed });
}

/// Puts a tool's result under its call; returns a node only when the call is not on screen.
export function attachToolResult(part, context) {
  const text = resultText(part.content);
  const failed = part.is_error === true;
  const tool = context.tools.get(part.tool_use_id);
  if (!tool) {
    const wrap = el('div', 'entry log');
    wrap.append(el('pre', failed ? 'result error' : 'result', text));
    return wrap;
  }
  context.tools.delete(part.tool_use_id);
  tool.details.classList.add(failed ? 'failed' : 'done');
  if (tool.name === 'Bash') {
    const code = failed ? (text.match(/Exit code (\d+)/) || [])[1] : '0';
    tool.status.textContent = code !== undefined ? `exit ${code}` : '✗ failed';
  } else if (failed) {
    tool.status.textContent = '✗ failed';
  }
  if (failed) tool.status.classList.add('bad');
  const quiet = !failed && ['Edit', 'MultiEdit', 'Write', 'TodoWrite'].includes(tool.name);
  tool.details.append(quiet ? el('p', 'tool-note result', text) : output(text, failed));
  return null;
}
