import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// The repo's check after a turn: a container of the burrow's own plan (same image, user, env,
/// limits, sandbox and network policy) on the same workspace, running the check instead of the agent.
extension BurrowManager {
    /// What a check left for `finish`: its result, and the follow-up to send back to the agent when it
    /// failed with retries left.
    struct CheckOutcome: Sendable {
        let run: CheckRun
        let retry: String?
    }

    /// Most of a failed check's output that goes back to the agent in a retry.
    static let retryOutputLimit = 16 * 1024

    /// Runs the check of `repo` for the turn that just ended; nil when the repo names none. Its output
    /// is bounded (`CheckOutput`), it is killed at `checkTimeoutSeconds`, and whatever happens to it
    /// the burrow goes on.
    func runCheck(_ run: BurrowRun, repo: RepoConfig) async -> CheckOutcome? {
        let id = run.id, podman = run.podman
        guard let command = repo.check?.arguments, let record = records[id] else { return nil }
        let name = record.container + "-check"
        var check = CheckRun(turn: record.turn, status: .running, retriesUsed: record.check?.retriesUsed ?? 0)
        _ = try? await update(id) { $0.check = check }
        let output = Locked(CheckOutput())
        let started = Monotonic.now()
        do {
            if config.network.mode == .allowlist { try startProxy(run, repo: repo) }
            var spec = try await containerPlan(run, record: record, repo: repo, check: (name, command)).spec
            spec.labels["io.burrow.check"] = String(record.turn)
            try await adaptForRunner(&spec, run: run)
            // A check container left by a Burrow that stopped during it.
            try await podman.remove(name)
            _ = try await podman.createContainer(spec)
            let attached = try await attachBeforeStart(name, id: id, podman: podman)
            try checkStop(id)
            try await podman.start(name)
            // A stop between the check above and the start found nothing to kill (see `stop`).
            if records[id]?.stopRequested == true { try? await podman.kill(name) }
            let ended = await Self.await(name, attached: attached, podman: podman, output: output,
                                         timeout: .seconds(repo.resolvedCheckTimeoutSeconds))
            switch ended {
            case .exited(let code):
                check.exitCode = code
                check.status = code == 0 ? .passed : .failed
            case .timedOut:
                check.status = .timedOut
            case .lost:
                check.status = .error
                check.error = "Podman lost the check's container before it exited"
            }
        } catch {
            check.status = .error
            check.error = "the check could not run: \(error)"
        }
        if records[id]?.stopRequested == true, check.status != .passed {
            check.status = .error
            check.error = "stopped with the burrow"
        }
        await stopProxy(id)
        await withUncancelledTask { try? await podman.remove(name) }
        check.durationMs = Int((Monotonic.now() - started) / 1_000_000)
        let kept = output.withLock { $0 }
        check.outputBytes = kept.total
        check.cutBytes = kept.cut
        var retry: String?
        let failed = check.status == .failed || check.status == .timedOut
        if failed, check.retriesUsed < repo.resolvedCheckRetries, record.sessionID != nil, records[id]?.stopRequested == false {
            check.retriesUsed += 1
            retry = Self.retryMessage(check, command: command, output: kept, timeout: repo.resolvedCheckTimeoutSeconds)
        }
        if let log = try? eventLog(id) {
            _ = try? await log.append(kind: .check, data: Self.json(CheckEvent(check: check, command: command, output: kept.text)))
        }
        return CheckOutcome(run: check, retry: retry)
    }

    enum CheckEnd: Sendable {
        case exited(Int32)
        case timedOut
        case lost
    }

    /// Reads the check's output into `output` until it exits, or kills it at `timeout` (the kill ends
    /// the reading: no child outlives the group).
    private static func await(_ name: String, attached: Task<LogStream, any Error>, podman: PodmanClient,
                              output: Locked<CheckOutput>, timeout: Duration) async -> CheckEnd {
        // Set before the kill: the kill also ends the reader, whose exit may be the group's first answer.
        let timedOut = Locked(false)
        return await withTaskGroup(of: CheckEnd?.self) { group in
            group.addTask {
                if let stream = try? await attached.value {
                    defer { stream.close() }
                    while let frames = try? await stream.next() {
                        for frame in frames { output.withLock { $0.append(frame.payload) } }
                    }
                }
                return (try? await podman.wait(name)).map(CheckEnd.exited) ?? .lost
            }
            group.addTask {
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                timedOut.withLock { $0 = true }
                try? await podman.kill(name)
                return .timedOut
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            attached.cancel()
            return timedOut.withLock { $0 } ? .timedOut : first ?? .timedOut
        }
    }

    /// The follow-up a failed check sends back to the agent: what ran, how it ended, its output's tail.
    static func retryMessage(_ check: CheckRun, command: [String], output: CheckOutput, timeout: Int) -> String {
        let how = check.status == .timedOut ? "did not finish within \(timeout) s and was stopped"
            : "failed with exit status \(check.exitCode.map(String.init) ?? "?")"
        let tail = output.tail.suffix(retryOutputLimit)
        let cut = output.total - tail.count
        return "The repository's check (\(command.joined(separator: " "))) \(how). "
            + (cut > 0 ? "The last \(tail.count) bytes of its output (\(cut) before them left out):" : "Its output:")
            + "\n\n```\n\(String(decoding: tail, as: UTF8.self))\n```\n\nPlease fix the problem so that the check passes."
    }
}
