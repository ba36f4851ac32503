import Dispatch
import Glibc

/// Turns SIGINT/SIGTERM into a callback on a Dispatch queue instead of killing the process.
public final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    public init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        sources = signals.map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }
}
