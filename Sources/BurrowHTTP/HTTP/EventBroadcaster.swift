import BurrowSystem

/// Fans numbered events out to every subscribed event-stream client, each frame encoded once.
/// A subscriber gets what it missed after `Last-Event-ID` from the kept history, then everything
/// live, in order and exactly once: replay and registration happen in one actor step.
public actor EventBroadcaster {
    private var history: [(id: Int, frame: [UInt8])] = []
    private var subscribers: [EventChannel] = []
    private var lastID = 0
    private let historyLimit: Int
    private let channelCapacity: Int

    public init(historyLimit: Int = 10_000, channelCapacity: Int = 4096) {
        self.historyLimit = historyLimit
        self.channelCapacity = channelCapacity
    }

    @discardableResult
    public func publish(event: String?, data: String) -> Int {
        lastID += 1
        let frame = ServerSentEvent(id: String(lastID), event: event, data: data).encoded
        history.append((lastID, frame))
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        subscribers.removeAll { !$0.send(frame) }
        return lastID
    }

    public func subscribe(after lastSeen: Int = 0) -> EventChannel {
        let channel = EventChannel(capacity: channelCapacity)
        for entry in history where entry.id > lastSeen { channel.send(entry.frame, ignoringCapacity: true) }
        subscribers.append(channel)
        return channel
    }

    /// Ends every stream (the server is stopping).
    public func finishAll() {
        for channel in subscribers { channel.finish() }
        subscribers.removeAll()
    }

    public var subscriberCount: Int {
        subscribers.removeAll { $0.isFinished }
        return subscribers.count
    }
}

extension HTTPRequest {
    /// The id to resume after: `Last-Event-ID` (sent by browsers on reconnect), else `?after=N`, else 0.
    public var lastEventID: Int {
        if let header = headers["Last-Event-ID"], let id = Int(header.trimmingSpaces) { return id }
        if let query = queryValue("after"), let id = Int(query) { return id }
        return 0
    }
}
