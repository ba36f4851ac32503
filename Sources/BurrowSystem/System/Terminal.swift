import Dispatch
import Glibc

/// The controlling terminal of an interactive command (`burrow shell`): raw mode while a remote shell
/// owns the keys (Ctrl-C becomes a byte for it, not a signal for us), its size, and standard input
/// read one bounded piece at a time.
public enum Terminal {
    public struct Size: Equatable, Sendable {
        public var rows: UInt16
        public var columns: UInt16
        public init(rows: UInt16, columns: UInt16) {
            self.rows = rows
            self.columns = columns
        }
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// The window size of the terminal on `fd`; nil when it is not one.
    public static func size(_ fd: Int32 = 1) -> Size? {
        var window = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 else { return nil }
        return Size(rows: window.ws_row, columns: window.ws_col)
    }

    /// The settings to put back; nil when `fd` is no terminal.
    public struct Saved: Sendable {
        let fd: Int32
        let settings: termios
    }

    /// Raw mode: no echo, no line editing, no signals from keys, no output processing.
    public static func makeRaw(_ fd: Int32 = 0) -> Saved? {
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else { return nil }
        var raw = settings
        cfmakeraw(&raw)
        guard tcsetattr(fd, TCSAFLUSH, &raw) == 0 else { return nil }
        return Saved(fd: fd, settings: settings)
    }

    public static func restore(_ saved: Saved?) {
        guard var settings = saved?.settings, let fd = saved?.fd else { return }
        _ = tcsetattr(fd, TCSAFLUSH, &settings)
    }

    /// One read of at most `limit` bytes from `fd` (empty at its end or on an error), on a Dispatch
    /// thread so that a terminal or pipe that waits never holds a thread of Swift's cooperative pool.
    /// One read at a time: what the far side has not taken yet is never read ahead.
    public static func readPiece(_ fd: Int32, limit: Int = 32 << 10) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: limit)
                while true {
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, limit) }
                    if count < 0 && errno == EINTR { continue }
                    continuation.resume(returning: count > 0 ? Array(buffer[0..<count]) : [])
                    return
                }
            }
        }
    }

    /// Writes all of `bytes` to `fd` (a blocking write: the terminal's own pace); false when it fails.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}
