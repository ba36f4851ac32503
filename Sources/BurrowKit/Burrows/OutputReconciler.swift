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

    /// True when `line` is the next recorded line of its stream (and passes it). A recorded agent
    /// event is the line's own bytes: compared as bytes, nothing is parsed or encoded again to
    /// reconcile a flood. A recorded log line is compared with the line's log form, whatever the
    /// line reads as now (an older Burrow's reader took some lines differently: never a line twice).
    mutating func isRecorded(_ line: LineAssembler.Line) throws -> Bool {
        guard let reader = readers[line.stream], let recorded = try reader.peek() else { return false }
        if recorded.kind == .agent {
            guard line.stream == .stdout, recorded.data.elementsEqual(line.bytes) else { return false }
        } else {
            guard recorded.data.elementsEqual(OutputEvent(line, summary: nil).data.utf8) else { return false }
        }
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
    /// A recorded line: its kind and its data's bytes as stored.
    struct Recorded {
        let kind: EventKind
        let data: [UInt8]
    }

    private var reader: FileLineReader?
    private let stream: OutputStream
    private let sequences: ClosedRange<Int>
    private var current: Recorded?
    private var loaded = false

    init(path: String, stream: OutputStream, sequences: ClosedRange<Int>) throws {
        reader = FileSystem.exists(path) ? try FileLineReader(path: path) : nil
        self.stream = stream
        self.sequences = sequences
    }

    func peek() throws -> Recorded? {
        if !loaded { try advance() }
        return current
    }

    func advance() throws {
        loaded = true
        current = nil
        while let line = try reader?.next() {
            guard let stored = BurrowEvents.parseBytes(line) else { continue }
            if stored.sequence > sequences.upperBound { reader = nil; return }
            guard stored.sequence >= sequences.lowerBound, let kind = OutputEvent.outputKind(stored), kind.stream == stream else { continue }
            current = Recorded(kind: kind.kind, data: Array(stored.data))
            return
        }
    }
}
