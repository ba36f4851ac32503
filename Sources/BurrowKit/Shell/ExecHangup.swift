import BurrowSystem
import BurrowPodman

/// Ends a person's exec session whose client went away. Podman keeps the session's process running
/// when the attached connection closes and has no call that ends one, so Burrow does more than a
/// closed terminal would: SIGHUP to the command, everything it started (its process tree) and its
/// session (a shell's background jobs, which have process groups of their own), then SIGKILL to
/// whichever still runs two seconds later. The signals are sent by a command run in the container as
/// its user, so they reach nothing outside the burrow. Which processes, and their pids inside the
/// container, come from the host's `/proc` (parent, session, `NSpid`: the kernel's word, never the
/// box's), so only where Podman shares this host's process table (the local runner).
enum ExecHangup {
    static func hangUp(podman: PodmanClient, container: String, execID: String) async {
        guard let state = try? await podman.inspectExec(execID), state.Running, let root = state.Pid, root > 0 else { return }
        let targets = HostProcess.tree(root: root)
        for signal in ["HUP", "KILL"] {
            let alive = targets.filter(\.isAlive).compactMap(\.innerPID).prefix(4096).map(String.init)
            guard !alive.isEmpty else { return }
            try? await podman.startDetachedExec(container, command: ["kill", "-\(signal)"] + alive)
            for _ in 0..<20 {
                try? await Task.sleep(for: .milliseconds(100))
                if !targets.contains(where: \.isAlive) { return }
            }
        }
    }
}

/// A process as this host's `/proc` shows it, told apart from a later one with its pid by its start time.
struct HostProcess: Sendable, Equatable {
    let pid: Int32
    let parent: Int32
    let session: Int32
    let startTime: UInt64
    /// Its pid in its own (the container's) pid namespace: the last `NSpid` field.
    let innerPID: Int32?

    init?(pid: Int32) {
        guard let stat = try? FileSystem.readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        // After the command's name, which may hold any byte but ends at the last ')'.
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = String(decoding: stat[(close + 1)...], as: UTF8.self).split(separator: " ")
        // state ppid pgrp session … starttime is the 20th after the name.
        guard fields.count > 19, let parent = Int32(fields[1]), let session = Int32(fields[3]), let start = UInt64(fields[19]) else { return nil }
        self.pid = pid
        self.parent = parent
        self.session = session
        startTime = start
        let status = (try? FileSystem.readFile("/proc/\(pid)/status", limit: 16 << 10)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }
        innerPID = line?.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int32($0) }.flatMap { $0 > 1 ? $0 : nil }
    }

    var isAlive: Bool { HostProcess(pid: pid)?.startTime == startTime }

    /// `root`, its descendants and the members of the session it leads.
    static func tree(root: Int32) -> [HostProcess] {
        let all = FileSystem.listDirectory("/proc").compactMap(Int32.init).compactMap(HostProcess.init(pid:))
        var chosen: Set<Int32> = [root]
        var grew = true
        while grew {
            grew = false
            for process in all where !chosen.contains(process.pid) && (chosen.contains(process.parent) || process.session == root) {
                chosen.insert(process.pid)
                grew = true
            }
        }
        return all.filter { chosen.contains($0.pid) }
    }
}
