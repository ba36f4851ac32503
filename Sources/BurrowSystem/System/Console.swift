import Glibc

/// Line output straight to the descriptors, unbuffered, so logs survive a crash or SIGKILL.
public enum Console {
    public static func out(_ line: String) { write(1, line + "\n") }
    public static func error(_ line: String) { write(2, line + "\n") }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
