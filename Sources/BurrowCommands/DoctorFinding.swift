import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// One line of `burrow doctor`'s report, as a value the checks return and the tests read.
public struct DoctorFinding: Sendable, Equatable {
    public enum Level: String, Sendable { case ok = "ok  ", warn = "warn", fail = "FAIL" }
    public var level: Level
    public var subject: String
    public var text: String
    public var fix: String?

    public init(_ level: Level, _ subject: String, _ text: String, fix: String? = nil) {
        self.level = level
        self.subject = subject
        self.text = text
        self.fix = fix
    }
}
