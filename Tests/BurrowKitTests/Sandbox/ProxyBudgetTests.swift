@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// One burrow cannot take Burrow's own resources from the others: a connection cap per burrow,
/// header and idle timeouts, an accept loop that outlives running out of descriptors.
final class ProxyBudgetTests: XCTestCase {
    /// Burrow A holds its cap of idle connections and keeps knocking; burrow B's proxy still answers
    /// at once.
    func testOneBurrowAtItsCapDoesNotSlowAnother() async throws {
        var limits = ProxyLimits()
        limits.maxConnections = 8
        let first = try ProxyHarness(limits: limits)
        let second = try ProxyHarness()
        var held: [AsyncSocket] = []
        for _ in 0..<limits.maxConnections { held.append(try await AsyncSocket.connect(to: .unix(first.path))) }
        let path = first.path
        let knocking = Task.detached {
            var refused = 0
            while !Task.isCancelled {
                guard let extra = try? await AsyncSocket.connect(to: .unix(path)) else { continue }
                var bytes: [UInt8] = []
                if (try? await extra.read(into: &bytes)) == 0 { refused += 1 }
                extra.close()
            }
            return refused
        }
        let capped = await ProxyHarness.eventually { first.deniedReasons.contains { $0.contains("network.maxConnections") } }
        XCTAssertTrue(capped, "the cap was never reached: \(first.deniedReasons)")
        XCTAssertEqual(first.proxy.openConnections, limits.maxConnections)
        var slowest = 0.0
        for _ in 0..<20 {
            let started = Monotonic.now()
            let response = try await second.probe()
            XCTAssertEqual(response.status, 404)
            slowest = max(slowest, Double(Monotonic.now() - started) / 1e6)
        }
        knocking.cancel()
        let refused = await knocking.value
        XCTAssertGreaterThan(refused, 0, "no connection over the cap was refused")
        XCTAssertLessThan(slowest, 500, "the other burrow's request took \(slowest) ms")
        print("slowest request through the other burrow while one is at its cap: \(slowest) ms")
        for socket in held { socket.close() }
        let released = await ProxyHarness.eventually { first.proxy.openConnections == 0 }
        XCTAssertTrue(released)
        let again = try await first.probe()
        XCTAssertEqual(again.status, 404, "the capped burrow is served again once it lets go")
        try await first.stop()
        try await second.stop()
    }

    /// Nothing, or only NUL bytes: the connection is cut off after the header timeout.
    func testSilentAndNulRequestsAreCutOff() async throws {
        var limits = ProxyLimits()
        limits.headerTimeout = .seconds(1)
        let harness = try ProxyHarness(limits: limits)
        let silent = try await AsyncSocket.connect(to: .unix(harness.path))
        let nul = try await AsyncSocket.connect(to: .unix(harness.path))
        let started = Monotonic.now()
        let feeding = Task.detached {
            for _ in 0..<100 {
                try? await nul.write([UInt8](repeating: 0, count: 1))
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        for socket in [silent, nul] {
            let ended = try await withTimeout(5) { () -> Bool in
                var bytes: [UInt8] = []
                while true {
                    let count = (try? await socket.read(into: &bytes)) ?? 0
                    if count == 0 { return true }
                }
            }
            XCTAssertTrue(ended)
        }
        let seconds = Double(Monotonic.now() - started) / 1e9
        XCTAssertGreaterThan(seconds, 0.5, "cut off before the timeout: the test proves nothing")
        XCTAssertLessThan(seconds, 4)
        feeding.cancel()
        silent.close()
        nul.close()
        let released = await ProxyHarness.eventually { harness.proxy.openConnections == 0 }
        XCTAssertTrue(released, "connections still counted: \(harness.proxy.openConnections)")
        try await harness.stop()
    }

    /// Out of descriptors (EMFILE) the accept loop backs off and goes on serving once they free up.
    func testAcceptLoopOutlivesRunningOutOfDescriptors() async throws {
        let harness = try ProxyHarness()
        _ = try await harness.probe()
        var original = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &original), 0)
        var tight = original
        tight.rlim_cur = rlim_t(FileSystem.openDescriptorCount() + 24)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &tight), 0)
        var clients: [AsyncSocket] = []
        var exhausted = false
        for _ in 0..<200 {
            guard let client = try? await AsyncSocket.connect(to: .unix(harness.path)) else { exhausted = true; break }
            clients.append(client)
        }
        try await Task.sleep(for: .milliseconds(300))  // the accept loop meets EMFILE meanwhile
        for client in clients { client.close() }
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &original), 0)
        XCTAssertTrue(exhausted, "descriptors never ran out: the probe proves nothing")
        XCTAssertGreaterThan(harness.proxy.failedAccepts, 0, "the accept loop never met EMFILE")
        let response = try await harness.probe(timeout: 10)
        XCTAssertEqual(response.status, 404, "the accept loop gave up")
        try await harness.stop()
    }
}
