import BurrowSystem

/// What `burrow image build` shows while the rootfs is built (two minutes and more): each line the
/// recipe prints as it comes (mmdebstrap's steps), and a line with the elapsed time whenever it has
/// been quiet for a while, so the terminal never sits silent.
enum ImageBuildProgress {
    /// Runs `arguments`, its standard output and error merged, handing `progress` each line (without
    /// control characters) as it arrives; throws `Subprocess.Failure` with the last lines unless it exits 0.
    static func run(_ arguments: [String], step: String, quietAfter: Duration = .seconds(15),
                    progress: @escaping @Sendable (String) -> Void) async throws {
        let started = Monotonic.now()
        let lastLine = Locked(started)
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: quietAfter)
                let now = Monotonic.now()
                if Double(now - lastLine.withLock { $0 }) / 1e9 >= Double(quietAfter.components.seconds) {
                    progress("  … still \(step): \(Int(Double(now - started) / 1e9)) s so far")
                    lastLine.withLock { $0 = now }
                }
            }
        }
        defer { ticker.cancel() }
        let merged = ["/bin/sh", "-c", "exec 2>&1; exec \"$@\"", "sh"] + arguments
        try await Subprocess.streamingOutput(merged) { output in
            var pending: [UInt8] = []
            while try await output.read(into: &pending) > 0 {
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    emit(pending[..<newline], progress)
                    pending.removeSubrange(...newline)
                    lastLine.withLock { $0 = Monotonic.now() }
                }
                if pending.count > 4096 { emit(pending[...], progress); pending.removeAll() }
            }
            if !pending.isEmpty { emit(pending[...], progress) }
        }
    }

    private static func emit(_ line: ArraySlice<UInt8>, _ progress: (String) -> Void) {
        let text = String(decoding: line, as: UTF8.self).unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        guard !text.isEmpty else { return }
        progress("  " + String(String.UnicodeScalarView(text)))
    }
}
