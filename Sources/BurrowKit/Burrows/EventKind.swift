/// What an event in a burrow's log is; the SSE event name the page listens for, and the `kind` of
/// each line of `events.ndjson`.
public enum EventKind: String, Sendable, CaseIterable {
    /// A Claude Code stream-json line from the agent's stdout, kept verbatim.
    case agent
    /// Any other line of output (`{"stream": "stdout" | "stderr" | "setup", "text": …}`).
    case log
    /// The record changed state.
    case state
    /// A connection through the egress proxy or a model call (`NetEvent`).
    case net
    /// The files changed so far were counted again (`WorkspaceChanges`).
    case changes
    /// The ports the burrow listens on changed (`BurrowManager.PreviewList`).
    case preview
    /// A follow-up message started a turn.
    case turn
    /// A request to an unlisted host waits for a person, or stopped waiting (`Ask`).
    case ask
    /// The repo's check ran after a turn (`CheckEvent`: its result and its output's tail).
    case check
    /// The burrow ended; nothing follows.
    case end
    /// A person's shell or exec session opened or closed (`{"action", "mode"|"exitCode"}`; never what was typed).
    case shell
}
