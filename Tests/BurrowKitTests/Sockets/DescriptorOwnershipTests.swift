@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import Synchronization
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Only the owner closes a descriptor; everyone else shuts down. These are the races that rule is for.
final class DescriptorOwnershipTests: XCTestCase {
    /// A burrow-like client opens and closes connections to the proxy socket in a tight loop while
    /// the proxy shuts down (the listener used to be closed under accept4: EBADF, fatal error).
    /// The process surviving is the test; the counters prove the race was run.
    func testProxyShutdownUnderAConnectionStorm() async throws {
        for round in 0..<12 {
            let harness = try ProxyHarness()
            let stop = Locked(false)
            let connected = Locked(0)
            let path = harness.path
            let storm = Task.detached {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            while !stop.withLock({ $0 }) {
                                guard let client = try? await AsyncSocket.connect(to: .unix(path)) else { await Task.yield(); continue }
                                connected.withLock { $0 += 1 }
                                if round % 2 == 0 { try? await client.write(Array("GET /".utf8)) }
                                client.close()
                            }
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(5 + (round % 5) * 4))
            try await harness.stop()
            stop.withLock { $0 = true }
            await storm.value
            XCTAssertGreaterThan(connected.withLock { $0 }, 0, "round \(round): the storm never connected")
        }
    }

    /// A shutdown that comes after the owner closed (a sweeper holding a stale reference) never
    /// reaches the socket that reused the descriptor number.
    func testShutdownAfterCloseNeverTouchesAReusedNumber() async throws {
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        defer { listener.close() }
        let stale = try await AsyncSocket.connect(to: listener.localAddress!)
        let number = stale.socket.number
        try await listener.accept().close()
        stale.close()
        let reusing = try await AsyncSocket.connect(to: listener.localAddress!)
        let accepted = try await listener.accept()
        defer { reusing.close(); accepted.close() }
        XCTAssertEqual(reusing.socket.number, number, "the kernel did not reuse the number: the probe proves nothing")
        stale.shutdown()
        stale.stop()
        stale.close()
        try await reusing.write(Array("still open".utf8))
        var buffer: [UInt8] = []
        while buffer.count < 10, try await accepted.read(into: &buffer) > 0 {}
        XCTAssertEqual(String(decoding: buffer, as: UTF8.self), "still open")
    }

    /// `stop()` ends a pending accept on a Unix listener (where shutdown(2) alone never fails accept)
    /// and the owner closes afterwards.
    func testStopEndsAPendingAcceptOnAUnixListener() async throws {
        let folder = try TemporaryDirectory.make("own")
        defer { FileSystem.removeTree(folder) }
        let listener = try AsyncSocket.listening(on: .unix(folder + "/l.sock"))
        let accepting = Task { () -> String in
            do { _ = try await listener.accept(); return "accepted" } catch { return "\(type(of: error))" }
        }
        try await Task.sleep(for: .milliseconds(50))
        listener.stop()
        let outcome = try await withTimeout(5) { await accepting.value }
        XCTAssertEqual(outcome, "SocketClosed")
        listener.close()
    }
}
