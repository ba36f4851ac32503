// The command that opens a shell in the selected burrow (`burrow shell ID`), to copy into a terminal:
// shown while there is something to step into (running, or finished and kept), not once torn down.
import { $, el, copyButton } from './dom.js';

export function renderShell(record) {
  const node = $('b-shell');
  const open = !record.tornDown && !['queued', 'preparing'].includes(record.state);
  const key = open ? record.id : '';
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.hidden = !open;
  if (!open) { node.replaceChildren(); return; }
  const command = `burrow shell ${record.id}`;
  node.replaceChildren('Shell (as the agent, in its sandbox): ', el('code', '', command), ' ', copyButton(command, 'shell command'));
}
