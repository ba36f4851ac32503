import BurrowKit
import Glibc
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

enum TemporaryDirectory {
    /// A fresh directory under /tmp (short paths keep Unix socket paths under 108 bytes).
    static func make(_ prefix: String = "burrow-test") throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw SystemError(call: "mkdtemp", code: errno) }
        return String(validatingCString: result)!
    }
}
