@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `burrow-vault`, the process that alone holds the key: started on first use with the key on its
/// standard input (never in its arguments or environment), its socket in a folder only Burrow's
/// user enters, started again when it dies, and gone when Burrow lets go of it.
final class VaultProcessTests: XCTestCase {
    static let key = "sk-ant-api03-VAULT-PROCESS-test-4321"

    func testTheVaultHoldsTheKeyAloneAndEndsWithItsOwner() async throws {
        let upstream = try ModelStandIn()
        let vault = ModelVault(upstream: URL(string: upstream.url)!) { Credential(value: Self.key) }
        let client = try await vault.client()
        guard case .unix(let socket) = client.address else { return XCTFail("the vault listens on a Unix socket") }
        let folder = String(socket[..<socket.lastIndex(of: "/")!])
        XCTAssertEqual(FileSystem.status(folder).map { $0.mode & 0o777 }, 0o700, "only Burrow's user enters the vault's folder")

        let answer = try await client.send(ClientRequest("POST", "/v1/messages", body: .bytes(Array("{}".utf8), contentType: "application/json")))
        XCTAssertEqual(answer.status, 200, "probe: the request went through the vault")
        XCTAssertEqual(upstream.requests.first?.headers["x-api-key"], Self.key, "the vault added the key")

        let pid = try XCTUnwrap(pids(named: "burrow-vault").first { commandLine($0).contains(socket) })
        XCTAssertFalse(commandLine(pid).contains(Self.key), "the key is not in the vault's arguments")
        XCTAssertFalse(environment(pid).contains(Self.key), "nor in its environment")

        kill(pid, SIGKILL)
        try await waitUntil { !FileSystem.exists("/proc/\(pid)/status") || processState(pid) == "Z" }
        try await Task.sleep(for: .milliseconds(100))
        let again = try await vault.client().send(ClientRequest("POST", "/v1/messages", body: .bytes(Array("{}".utf8), contentType: "application/json")))
        XCTAssertEqual(again.status, 200, "a vault that died is started again on the next request")
        XCTAssertEqual(upstream.requests.count, 2)

        let second = try XCTUnwrap(pids(named: "burrow-vault").first { commandLine($0).contains("--upstream \(upstream.url)") })
        await vault.stop()
        try await waitUntil { !FileSystem.exists("/proc/\(second)/status") }
        XCTAssertFalse(FileSystem.exists(folder), "its folder is gone too")
        await upstream.stop()
    }

    /// Two burrows' first model calls at once: both wait for the one start, neither is handed a socket
    /// that is not listening yet (the actor is reentrant at the start's awaits).
    func testConcurrentFirstCallsShareOneStart() async throws {
        let upstream = try ModelStandIn()
        let vault = ModelVault(upstream: URL(string: upstream.url)!) { Credential(value: Self.key) }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await vault.client().send(ClientRequest("POST", "/v1/messages", body: .bytes(Array("{}".utf8), contentType: "application/json"))).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(statuses, Array(repeating: 200, count: 8), "every first call got through")
        XCTAssertEqual(upstream.requests.count, 8)
        XCTAssertEqual(pids(named: "burrow-vault").filter { commandLine($0).contains("--upstream \(upstream.url)") }.count, 1, "one vault")
        await vault.stop()
        await upstream.stop()
    }

    func testAMissingVaultIsAClearErrorNotAHang() async throws {
        let vault = ModelVault(upstream: URL(string: "http://127.0.0.1:9")!, executable: "/nonexistent/burrow-vault") { Credential(value: Self.key) }
        do {
            _ = try await vault.client()
            XCTFail("a vault that cannot start is an error")
        } catch {
            XCTAssertTrue("\(error)".contains("/nonexistent/burrow-vault"), "the error names the missing program: \(error)")
        }
    }

    private func pids(named name: String) -> [Int32] {
        FileSystem.listDirectory("/proc").compactMap(Int32.init).filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix(name) == true
        }
    }

    private func commandLine(_ pid: Int32) -> String {
        ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()).map { $0 == 0 ? " " : String(UnicodeScalar($0)) }.joined()
    }

    private func environment(_ pid: Int32) -> String {
        String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data(), as: UTF8.self)
    }

    private func processState(_ pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first.map(String.init)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
        XCTAssertTrue(condition(), "condition met within 5 s")
    }
}
