import BurrowSystem
import BurrowPodman

/// Tells which lines of a container's output the event log already holds. Live output can miss lines
/// (Burrow was restarted, Podman went away, attaching raced the start) but never invents or reorders
/// them, so per stream the recorded lines are a subsequence of the container's complete log. Walking
/// the complete log from its start, a line equal to the next recorded one of its stream is already
/// there; any other line is missing. The recorded lines are read lazily from the file.
struct OutputReconciler {
    private var readers: [OutputStream: RecordedOutput]

    /// The recorded lines are those with sequence numbers in `range`: from where this container's
    /// output starts to the log's end now (lines appended while reconciling are not "recorded").
    init(eventsPath: String, sequences range: ClosedRange<Int>) throws {
        readers = [.stdout: try RecordedOutput(path: eventsPath, stream: .stdout, sequences: range),
                   .stderr: try RecordedOutput(path: eventsPath, stream: .stderr, sequences: range)]
    }

    /// True when `event` is the next recorded line of its stream (and passes it).
    mutating func isRecorded(_ event: OutputEvent) throws -> Bool {
        guard let reader = readers[event.stream], try reader.peek() == event else { return false }
        try reader.advance()
        return true
    }

    /// Recorded lines not matched by anything: zero when the log is a faithful copy.
    mutating func unmatchedCount() throws -> Int {
        var count = 0
        for reader in readers.values { while try reader.peek() != nil { count += 1; try reader.advance() } }
        return count
    }
}

/// The output lines of one stream in an event log, in order, within a range of sequence numbers.
final class RecordedOutput {
    private var reader: FileLineReader?
    private let stream: OutputStream
    private let sequences: ClosedRange<Int>
    private var current: OutputEvent?
    private var loaded = false

    init(path: String, stream: OutputStream, sequences: ClosedRange<Int>) throws {
        reader = FileSystem.exists(path) ? try FileLineReader(path: path) : nil
        self.stream = stream
        self.sequences = sequences
    }

    func peek() throws -> OutputEvent? {
        if !loaded { try advance() }
        return current
    }

    func advance() throws {
        loaded = true
        current = nil
        while let line = try reader?.next() {
            guard let stored = BurrowEvents.parse(line) else { continue }
            if stored.sequence > sequences.upperBound { reader = nil; return }
            guard stored.sequence >= sequences.lowerBound, let event = OutputEvent(stored: stored), event.stream == stream else { continue }
            current = event
            return
        }
    }
}
