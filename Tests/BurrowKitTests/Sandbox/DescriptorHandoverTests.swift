@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import CLinux
import Glibc
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The burrow's socket takes descriptors (SCM_RIGHTS) from whoever connects: the burrow's agent can
/// send anything burrow-forwarder would, so the test process plays the agent here (it sends the same
/// messages over the same socket; the peer check is told to accept it, the uid being the only
/// difference from a process inside the burrow).
final class DescriptorHandoverTests: XCTestCase {
    /// Both ends of blocking socketpairs, in one message and one by one, with O_NONBLOCK cleared again
    /// on the sender's copy after the proxy set it: more than there are cooperative threads. The proxy
    /// must still answer, and shut down.
    func testBlockingSocketpairsDoNotFreezeTheProxy() async throws {
        let harness = try ProxyHarness()
        var held: [Int32] = []
        for _ in 0..<2 {
            let pair = try Self.blockingPair()
            try Self.send(pair, to: harness.path)
            held += pair
        }
        for _ in 0..<8 {
            let pair = try Self.blockingPair()
            try Self.send([pair[0]], to: harness.path)
            held += pair
        }
        try await Task.sleep(for: .milliseconds(200))
        for fd in held { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }  // the sender's move
        try await Task.sleep(for: .milliseconds(200))
        let started = Monotonic.now()
        let response = try await harness.probe()
        XCTAssertEqual(response.status, 404)
        XCTAssertTrue(response.text.contains("no model endpoint"), response.text)
        XCTAssertLessThan(Double(Monotonic.now() - started) / 1e9, 2)
        XCTAssertEqual(harness.deniedReasons.filter { $0.contains("exactly one is accepted") }.count, 2, "\(harness.deniedReasons)")
        // The accepted single ends are served (waiting for a request head); the sender writes garbage
        // on the other ends: still no thread blocks.
        for index in stride(from: 5, to: held.count, by: 2) { _ = write(held[index], "\0\0\0\0", 4) }
        let second = try await harness.probe()
        XCTAssertEqual(second.status, 404)
        try await harness.stop()
        for fd in held { close(fd) }
    }

    /// Extra descriptors, non-sockets, listeners and datagram sockets are closed, never kept.
    func testRefusedDescriptorsLeakNothing() async throws {
        let harness = try ProxyHarness()
        _ = try await harness.probe()  // warm: the runtime opens descriptors of its own on first use
        try await Task.sleep(for: .milliseconds(100))
        let before = FileSystem.openDescriptorCount()
        let rounds = 25
        for _ in 0..<rounds {
            let pair = try Self.blockingPair()
            try Self.send(pair, to: harness.path)
            var pipeEnds: [Int32] = [-1, -1]
            XCTAssertEqual(pipe(&pipeEnds), 0)
            try Self.send([pipeEnds[0]], to: harness.path)
            let datagram = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            try Self.send([datagram], to: harness.path)
            for fd in pair + pipeEnds + [datagram] { close(fd) }
        }
        // More descriptors than the receiver has room for: the kernel truncates (MSG_CTRUNC).
        var many: [Int32] = []
        for _ in 0..<20 { many += try Self.blockingPair() }
        try Self.send(many, to: harness.path)
        for fd in many { close(fd) }
        let truncated = await ProxyHarness.eventually { harness.deniedReasons.contains { $0.contains("more than 16") } }
        XCTAssertTrue(truncated, "\(harness.deniedReasons)")
        let expected = rounds * 3 + 1
        let reported = await ProxyHarness.eventually { harness.deniedReasons.count >= expected }
        XCTAssertTrue(reported, "refusals reported: \(harness.deniedReasons.count) of \(expected)")
        _ = await ProxyHarness.eventually { FileSystem.openDescriptorCount() <= before }
        XCTAssertEqual(FileSystem.openDescriptorCount(), before, "descriptors left open")
        let after = try await harness.probe()
        XCTAssertEqual(after.status, 404)
        try await harness.stop()
    }

    /// A connection handed over the way burrow-forwarder does still works end to end.
    func testOneConnectedSocketIsServed() async throws {
        let harness = try ProxyHarness()
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        try Self.send([pair[1]], to: harness.path)
        close(pair[1])
        let request = "GET /v1/models HTTP/1.1\r\nHost: burrow\r\nConnection: close\r\n\r\n"
        XCTAssertEqual(write(pair[0], request, request.utf8.count), request.utf8.count)
        var answer = [UInt8](repeating: 0, count: 4096)
        let count = read(pair[0], &answer, answer.count)  // blocking: our own end
        XCTAssertGreaterThan(count, 0)
        XCTAssertTrue(String(decoding: answer.prefix(max(count, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 404"))
        close(pair[0])
        try await harness.stop()
    }

    static func blockingPair() throws -> [Int32] {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw SystemError(call: "socketpair", code: errno) }
        return pair
    }

    /// Connects to the proxy socket and sends one message carrying `fds`, as a hostile burrow would.
    static func send(_ fds: [Int32], to path: String) throws {
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(sock) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw SystemError(call: "connect", code: errno) }
        guard clinux_send_fds(sock, fds, Int32(fds.count)) == 1 else { throw SystemError(call: "sendmsg", code: errno) }
    }
}
