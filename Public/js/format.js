// How records read: their honest state, times and money.

export const isFinal = (state) => state === 'succeeded' || state === 'failed' || state === 'stopped';
export const isActive = (state) => state === 'queued' || state === 'preparing' || state === 'running';

const rank = { queued: 0, preparing: 1, running: 2, succeeded: 3, failed: 3, stopped: 3 };

/// Whether `next` is not older than `current`: a replayed or late update never moves a burrow back.
/// `strictly`: only a later turn or state counts (a replayed history's old records never replace
/// what the API said since, e.g. a push made after the turn ended).
export function isNewer(next, current, strictly = false) {
  if (!current) return true;
  if ((next.turn || 1) !== (current.turn || 1)) return (next.turn || 1) > (current.turn || 1);
  if (current.tornDown && !next.tornDown) return false;
  const a = rank[next.state] ?? 0, b = rank[current.state] ?? 0;
  return strictly ? a > b : a >= b;
}

/// What the agent's final `result` says went wrong, or null: an API error, `is_error`, or a
/// subtype other than success (max turns, budget, an error during execution).
export function resultFailure(result) {
  if (!result || result.type !== 'result') return null;
  if (result.api_error_status != null) return `API error ${result.api_error_status}`;
  if (result.subtype && result.subtype !== 'success') return result.subtype.replace(/^error_/, '').replaceAll('_', ' ');
  if (result.is_error === true) return 'the agent reported an error';
  return null;
}

/// The state to show: a record's own, except "stopping" while a stop is under way and "failed" when
/// the agent's result said it failed although its process exited 0.
export function displayState(record, { stopping = false, failure = null } = {}) {
  if (!record) return 'unknown';
  if (!isFinal(record.state) && (stopping || record.stopRequested)) return 'stopping';
  const agentFailed = failure || record.agentError != null || record.resultIsError || record.isError || record.apiErrorStatus != null;
  if (record.state === 'succeeded' && agentFailed) return 'failed';
  return record.state;
}

export const stateLabel = (state) => (state === 'stopping' ? 'stopping…' : state);

export function clock(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/// How long the burrow has worked. With per-turn times in the record only the turns count; without
/// them it is the time from the first start to the last finish, idle time between turns included.
export function duration(record, now = Date.now() / 1000) {
  if (Array.isArray(record.turnTimes) && record.turnTimes.length) {
    const active = record.turnTimes.reduce((sum, t) => sum + Math.max(0, (t.finishedAt || now) - t.startedAt), 0);
    return { text: clock(active), title: 'time the agent worked (turns only)' };
  }
  const start = record.startedAt || record.createdAt;
  const end = isFinal(record.state) ? (record.finishedAt || now) : now;
  const title = (record.turn || 1) > 1 ? 'since the first start, idle time between turns included' : 'since the container started';
  return { text: clock(end - start), title };
}

export function startedLabel(record) {
  const date = new Date((record.startedAt || record.createdAt) * 1000);
  const today = new Date().toDateString() === date.toDateString();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return today ? time : `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/// Cost, or '' when there is none to report (a failure before any metered call is not "$0.0000").
export const money = (usd) => (usd != null && usd > 0 ? `$${Number(usd).toFixed(4)}` : '');

/// A subscription's burrows are not billed per token: their metered cost is what the same calls
/// would cost with an API key, shown for comparison and for budgets.
export const SUBSCRIPTION_NOTE = 'A Claude subscription pays for these calls; this is what they would cost at API prices (budgets count it too).';
export const costLabel = (record) => {
  const cost = money(record.costUSD);
  return cost && record.billing === 'subscription' ? `≈${cost} at API prices` : cost;
};

/// The agent's own cost claim (stream-json `total_cost_usd`), only ever as its claim: never the
/// burrow's cost (that is metered at the model endpoint), and nothing when it is negative or absurd.
export const agentReports = (usd) =>
  (typeof usd === 'number' && Number.isFinite(usd) && usd > 0 && usd <= 10000 ? `the agent reports $${usd.toFixed(4)}` : '');

export function kib(value) { return value == null ? '0 KiB' : `${(value / 1024).toFixed(1)} KiB`; }

export const firstLine = (text) => String(text || '').split('\n')[0];
