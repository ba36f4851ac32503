@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowCommands

/// The box is the attacker: its command prints 100 MB, to a client that reads it or to one that never
/// does, or it never reads the 100 MB a client sends. Burrow's server must stay small and answering.
final class ShellFloodTests: XCTestCase {
    static let flood = 100_000_000
    /// What the server may grow by while a session floods: a few pieces in flight, not the flood.
    static let allowedGrowth = 48 << 20

    static func residentBytes(_ pid: Int32) -> Int {
        let status = (try? FileSystem.readFile("/proc/\(pid)/status")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    func open(_ served: ClientCommandBinaryTests.Served, _ id: String, _ command: [String]) async throws -> UpgradedConnection {
        try await Self.open(served, id, command)
    }

    static func open(_ served: ClientCommandBinaryTests.Served, _ id: String, _ command: [String]) async throws -> UpgradedConnection {
        let api = BurrowAPIClient(target: try ServerTarget.resolve(configPath: served.config, server: nil))
        struct Open: Encodable { let command: [String]; let tty: Bool }
        return try await api.upgrade("/api/burrows/\(id)/shell", json: Array(try JSONEncoder().encode(Open(command: command, tty: false))))
    }

    func testAFloodToAReaderAndToAClientThatNeverReadsLeaveTheServerSmall() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await ShellCommandTests.launch(served, "sleep 300", wait: false)
        let server = served.process.processIdentifier
        let before = Self.residentBytes(server)
        XCTAssertGreaterThan(before, 0, "the probe reads the server's memory")

        // A reader: every byte arrives, the status is the command's.
        let counted = try await Subprocess.run(["/bin/sh", "-c", "\"$0\" exec --config \"$1\" \"$2\" -- head -c \(Self.flood) /dev/zero | wc -c",
                                                ClientCommandBinaryTests.binary, served.config, record.id],
                                               environment: ["BURROW_TOKEN": ""], timeout: .seconds(300))
        XCTAssertEqual(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines), String(Self.flood), counted.stderr)
        XCTAssertLessThan(Self.residentBytes(server) - before, Self.allowedGrowth, "the server grew while relaying a flood")

        // A client that takes the connection and never reads it.
        let idle = try await open(served, record.id, ["head", "-c", String(Self.flood), "/dev/zero"])
        try await Task.sleep(for: .seconds(8))
        let grown = Self.residentBytes(server) - before
        print("shell flood: server RSS \(before >> 20) MiB before, +\(grown >> 20) MiB with 100 MB relayed and a client that never reads")
        XCTAssertLessThan(grown, Self.allowedGrowth, "the server buffered output nobody reads: +\(grown >> 20) MiB")
        let list = try await ClientCommandBinaryTests.burrow(["ls", "--json"], served)
        XCTAssertEqual(list.status, 0, "the API still answers: \(list.stderr)")
        idle.socket.close()
        let closed = try await withTimeout(60) {
            while true {
                let events = try await ShellCommandTests.history(served, record.id)
                if events.components(separatedBy: "closed").count - 1 >= 2 { return true }
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        XCTAssertTrue(closed, "the session ends once its client is gone")
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }

    func testACommandThatNeverReadsItsInputHoldsTheSenderBack() async throws {
        let served = try await ClientCommandBinaryTests.serve(for: self, agentShell: true)
        let record = try await ShellCommandTests.launch(served, "sleep 300", wait: false)
        let server = served.process.processIdentifier
        let before = Self.residentBytes(server)
        let session = try await open(served, record.id, ["sleep", "120"])
        let piece = ShellFrame.input([UInt8](repeating: 0x61, count: ShellFrame.maxPayload)).encoded
        // Writes stall once the pipes and socket buffers between here and the box are full.
        let sent = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                var total = 0
                while total < Self.flood, (try? await session.socket.write(piece)) != nil { total += piece.count }
                return total
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)); session.socket.shutdown(); return -1 }
            var total = 0
            for await value in group where value >= 0 { total = value }
            group.cancelAll()
            return total
        }
        XCTAssertGreaterThan(sent, 0, "the probe sent input")
        XCTAssertLessThan(sent, Self.flood, "the sender was never held back")
        XCTAssertLessThan(Self.residentBytes(server) - before, Self.allowedGrowth, "the server buffered input the box never read")
        print("shell input flood: \(sent >> 20) MiB accepted before the sender was held back; server +\((Self.residentBytes(server) - before) >> 20) MiB")
        session.socket.close()
        _ = try await ClientCommandBinaryTests.burrow(["stop", record.id], served)
    }
}
