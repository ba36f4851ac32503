import FoundationEssentials
import BurrowSystem
import BurrowHTTP

/// A followed log stream: demultiplexed frames as they arrive.
public final class LogStream: @unchecked Sendable {
    // @unchecked: consumed by one task at a time; `close` only shuts the socket down.
    private let stream: ResponseStream
    private var decoder: LogFrameDecoder
    private let operation: String

    init(_ stream: ResponseStream, mode: LogFrameDecoder.Mode, operation: String) {
        self.stream = stream
        self.operation = operation
        self.decoder = LogFrameDecoder(mode: mode)
    }

    /// The next frames; nil when the log ended (the container exited). Throws when Podman goes away.
    public func next() async throws -> [LogFrameDecoder.Frame]? {
        while true {
            let piece: [UInt8]?
            do {
                piece = try await stream.next()
            } catch let error as HTTPClientError {
                throw PodmanError(error, operation: operation, socket: "the Podman socket")
            }
            guard let piece else { return nil }
            let frames = decoder.decode(piece)
            if !frames.isEmpty { return frames }
        }
    }

    public func close() { stream.close() }
}

/// Podman's event stream: one JSON object per line.
public final class EventStream: @unchecked Sendable {
    // @unchecked: consumed by one task at a time.
    private let stream: ResponseStream
    private var pending: [UInt8] = []

    init(_ stream: ResponseStream) { self.stream = stream }

    public func next() async throws -> PodmanEvent? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                if line.isEmpty { continue }
                if let event = try? JSONCoding.decoder.decode(PodmanEvent.self, from: Data(line)) { return event }
                continue
            }
            let piece: [UInt8]?
            do {
                piece = try await stream.next()
            } catch let error as HTTPClientError {
                throw PodmanError(error, operation: "events", socket: "the Podman socket")
            }
            guard let piece else { return nil }
            pending += piece
        }
    }

    public func close() { stream.close() }
}
