/// Text that came out of a burrow, made safe to print on a terminal: the agent must not be able to
/// move the cursor, retitle the window, rewrite earlier lines or hide text (ESC/CSI sequences, C1
/// controls, carriage returns, bidirectional overrides). Control characters become their visible
/// symbols (␛ for ESC); line feeds and tabs stay when `keepLines`.
enum TerminalText {
    static func safe(_ text: String, keepLines: Bool = false) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A where keepLines, 0x09 where keepLines: scalars.append(scalar)
            case 0..<0x20: scalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: scalars.append("\u{2421}")
            case 0x80..<0xA0, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: scalars.append("\u{FFFD}")
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// The first line, made safe and cut to `width` characters (for one row of `burrow ls`).
    static func oneLine(_ text: String, width: Int) -> String {
        let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let line = safe(first)
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }
}
