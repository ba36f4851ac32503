import FoundationEssentials
import BurrowSystem

/// The files a burrow changed against its base, with a diffstat: live from the changes helper while
/// the agent runs (hostile bytes: parsed strictly, bounded in size and count, names kept as text), and
/// final from Burrow's own result repository when a turn ends.
public struct WorkspaceChanges: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        /// The name as text: control characters shown as their symbols (␊ for a newline), cut at 300.
        public var path: String
        /// Lines added and removed; nil for a binary file.
        public var added: Int?
        public var removed: Int?
    }

    public var files: [File] = []
    /// Every changed file, also those past the listed ones.
    public var totalFiles = 0
    public var added = 0
    public var removed = 0
    public var binary = 0
    /// True when more files changed than are listed.
    public var truncated = false
    /// Why no list could be made (e.g. the agent removed .git); the previous list is not kept.
    public var error: String?
    public var turn = 1
    /// Unix seconds when it was counted.
    public var at = 0.0
    /// Counted in the workspace while the agent runs (false: the turn's result).
    public var live = true

    public static let maxFiles = 1000
    static let maxPathCharacters = 300

    /// The summary the record carries (no list: the list travels as a `changes` event and its route).
    public var summary: WorkspaceChanges {
        var copy = self
        copy.files = []
        return copy
    }

    /// Whether two counts say the same (when they were made aside).
    func sameChanges(as other: WorkspaceChanges) -> Bool {
        var left = self, right = other
        left.at = 0
        right.at = 0
        return left == right
    }

    /// Reads the changes helper's file: `burrow-changes 1`, `total F A R B` or `error TEXT`, then
    /// numstat records (`A\tR\tPATH\0`). Whatever does not match is dropped, never interpreted.
    static func parseHelperOutput(_ bytes: [UInt8]) -> WorkspaceChanges {
        var changes = WorkspaceChanges()
        let lines = bytes.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2, Array(lines[0]) == Array("burrow-changes 1".utf8) else {
            changes.error = "the changes helper's output was not understood"
            return changes
        }
        let second = String(decoding: lines[1], as: UTF8.self)
        if second.hasPrefix("error ") {
            changes.error = display(Array(second.utf8.dropFirst(6)))
            return changes
        }
        let totals = second.split(separator: " ").dropFirst().compactMap { count(Substring($0)) }
        guard second.hasPrefix("total "), totals.count == 4 else {
            changes.error = "the changes helper's totals were not understood"
            return changes
        }
        changes = parseNumstat(lines.count > 2 ? Array(lines[2]) : [])
        // The totals cover files past the cut; they can only add to what was listed.
        changes.totalFiles = max(changes.totalFiles, totals[0])
        changes.added = max(changes.added, totals[1])
        changes.removed = max(changes.removed, totals[2])
        changes.binary = max(changes.binary, totals[3])
        changes.truncated = changes.truncated || changes.totalFiles > changes.files.count
        return changes
    }

    /// `git diff --numstat -z --no-renames` records; an unterminated last record (a cut) is dropped.
    static func parseNumstat(_ bytes: [UInt8]) -> WorkspaceChanges {
        var changes = WorkspaceChanges()
        var records = bytes.split(separator: 0, omittingEmptySubsequences: false)
        let cut = !(records.last?.isEmpty ?? true)
        records.removeLast()
        for record in records {
            let fields = record.split(separator: 0x09, maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[2].isEmpty, fields[2].count <= 4096 else { continue }
            let added = String(decoding: fields[0], as: UTF8.self), removed = String(decoding: fields[1], as: UTF8.self)
            let file: File
            if added == "-", removed == "-" {
                file = File(path: display(Array(fields[2])), added: nil, removed: nil)
                changes.binary += 1
            } else if let a = count(Substring(added)), let r = count(Substring(removed)) {
                file = File(path: display(Array(fields[2])), added: a, removed: r)
                changes.added += a
                changes.removed += r
            } else {
                continue
            }
            changes.totalFiles += 1
            if changes.files.count < maxFiles { changes.files.append(file) }
        }
        changes.truncated = cut || changes.totalFiles > changes.files.count
        return changes
    }

    /// A count of at most 12 digits.
    private static func count(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// A name as text: invalid UTF-8 replaced, control characters as their symbols, at most 300 characters.
    static func display(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var length = 0
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if length == maxPathCharacters { scalars.append("…"); break }
            switch scalar.value {
            case 0..<0x20: scalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: scalars.append("\u{2421}")
            case 0x80..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: scalars.append("\u{FFFD}")
            default: scalars.append(scalar)
            }
            length += 1
        }
        return String(scalars)
    }
}
