/// The message of the commit Burrow makes for work the agent left uncommitted: the turn's own words.
enum CommitMessage {
    static let maxSubject = 72

    /// The prompt's first non-empty line, shortened to a subject line, and the burrow that made it.
    static func forTurn(_ prompt: String, burrow id: String) -> String {
        let line = prompt.split(whereSeparator: \.isNewline).lazy
            .map { String($0.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init)) }
            .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
            .first { !$0.isEmpty } ?? ""
        let subject = line.count > maxSubject ? String(line.prefix(maxSubject - 1)) + "…" : line
        let trailer = "Made in burrow \(id) from work the agent left uncommitted."
        return subject.isEmpty ? trailer : subject + "\n\n" + trailer
    }
}
