// Where a burrow's start went (record.startup): Burrow's own steps, then the agent's firsts
// counted from its container's start, so Burrow's cost shows next to the agent's own start.
const NAMES = { queued: 'queued', idRange: 'id range', workspace: 'workspace', container: 'container start' };
const AGENT = { firstEvent: 'first event', firstModelByte: 'first model byte' };

const seconds = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function startupLine(record) {
  const phases = Array.isArray(record.startup) ? record.startup : [];
  const own = phases.filter((p) => NAMES[p.phase]);
  if (!own.length) return '';
  const total = own.reduce((sum, p) => sum + p.ms, 0);
  let text = `Start: ${own.map((p) => `${NAMES[p.phase]} ${seconds(p.ms)}`).join(' → ')} = Burrow ${seconds(total)}`;
  const agent = phases.filter((p) => AGENT[p.phase]);
  if (agent.length) text += ` · agent: ${agent.map((p) => `${AGENT[p.phase]} +${seconds(p.ms)}`).join(', ')}`;
  return text;
}

// Where the last turn's end went (record.wayHome), from the agent's exit seen to its end event.
const HOME = {
  exit: 'exit seen', closing: 'closing', helper: 'helper', harvest: 'harvest (every file)',
  harvestLayer: 'harvest (changed files)', fetch: 'fetch',
  removal: 'helper removal', home: 'way home', changes: 'changes', check: 'check',
};

export function wayHomeLine(record) {
  const phases = (Array.isArray(record.wayHome) ? record.wayHome : []).filter((p) => HOME[p.phase]);
  if (!phases.length) return '';
  const total = phases.reduce((sum, p) => sum + p.ms, 0);
  return `End: ${phases.map((p) => `${HOME[p.phase]} ${seconds(p.ms)}`).join(' → ')} = ${seconds(total)}`;
}
