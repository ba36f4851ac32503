import Glibc

/// A failed system call: which call, and the errno it left.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// The result of a non-blocking call: done, or "try again once the descriptor is ready".
enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one place errno is read. Retries on EINTR, turns EAGAIN into `.wouldBlock`, throws the rest.
@inline(__always)
func systemCall(_ name: String, _ body: () -> Int) throws(SystemError) -> IOResult<Int> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK, EINPROGRESS: return .wouldBlock
        case EFAULT: fatalError("\(name): \(String(cString: strerror(code))) — a memory bug in Burrow")
        default: throw SystemError(call: name, code: code)
        }
    }
}

/// For calls that never block: throws on failure, returns the result otherwise.
@inline(__always)
func systemCallChecked(_ name: String, _ body: () -> Int) throws(SystemError) -> Int {
    switch try systemCall(name, body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemError(call: name, code: EAGAIN)
    }
}
