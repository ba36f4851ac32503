import BurrowSystem

/// The cap on one burrow's event log (`limits.eventLog`). Output (and the other events a burrow can
/// cause in numbers: connections, change counts) past it is dropped, not written and not sent; the
/// first drop writes one notice, and the end of a turn another with the total when more was dropped
/// since. Turns and ends are always written (a few per turn; an end carries the final record), state
/// changes within a headroom past the cap (a record with a long task is large and changes often).
/// The agent never waits for this: dropped lines are read and counted like the others.
struct EventLogCap {
    typealias Event = (kind: EventKind, data: String)

    let limit: Int
    /// How far past `limit` state changes are still written.
    let headroom: Int
    /// Bytes of event data dropped since this log was opened.
    private(set) var dropped = 0
    /// `dropped` as the last notice told it.
    private var told = 0

    init(limit: Int) {
        self.limit = limit
        headroom = limit == .max ? 0 : max(1 << 20, limit / 16)
    }

    /// True once nothing more fits: output read again (reconciling) would only be dropped again.
    func isFull(size: Int) -> Bool { dropped > 0 || size >= limit }

    /// The events to write, given the file's `size` now: those that fit, notices, and what must stay.
    mutating func admit(_ events: [Event], size: Int) -> [Event] {
        var kept: [Event] = []
        var written = size
        for event in events {
            // The line's framing (`{"seq":N,"kind":"…","data":…}`) counts too.
            let cost = event.data.utf8.count + 48
            let room = event.kind == .state ? limit.addingReportingOverflow(headroom).partialValue : limit
            if event.kind == .turn || event.kind == .end {
                if event.kind == .end, dropped > told { kept.append(notice(total: true)) }
                kept.append(event)
                written += cost
            } else if dropped == 0 || event.kind == .state, written + cost <= room {
                kept.append(event)
                written += cost
            } else {
                let first = dropped == 0
                dropped += event.data.utf8.count
                if first { kept.append(notice(total: false)) }
            }
        }
        return kept
    }

    private mutating func notice(total: Bool) -> Event {
        told = dropped
        let text = "output truncated: \(dropped) bytes dropped" + (total
            ? " in all (limits.eventLog is \(LimitsConfig.describe(Int64(limit))); the agent ran on)"
            : ": this burrow's event log reached limits.eventLog (\(LimitsConfig.describe(Int64(limit)))); later output is dropped and counted, the agent runs on")
        return (.log, BurrowManager.json(OutputEvent.LogLine(stream: "burrow", text: text)))
    }
}
