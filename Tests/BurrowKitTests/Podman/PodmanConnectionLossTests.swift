@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// A fake Podman on a Unix socket that answers part of a response and then goes away. However it
/// goes (a reset with the request still unread, or a plain close inside a chunk), the client sees the
/// same `PodmanError` with `isConnectionLoss`, so the lifecycle waits for Podman instead of failing.
final class PodmanConnectionLossTests: XCTestCase {
    enum Ending: Sendable {
        /// Reads one byte of the request and closes: the kernel resets the connection (ECONNRESET).
        case reset
        /// Reads the whole request head and closes: an early end of stream.
        case close
    }

    /// Serves each connection with `response`, then ends it as told.
    func fakePodman(_ response: String, ending: Ending) throws -> (path: String, listener: AsyncSocket) {
        let path = try TemporaryDirectory.make("fake-podman") + "/podman.sock"
        let listener = try AsyncSocket.listening(on: .unix(path))
        Task {
            while let client = try? await listener.accept() {
                var request: [UInt8] = []
                switch ending {
                case .reset:
                    _ = try? await client.read(into: &request, maxBytes: 1)
                case .close:
                    while !request.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), (try? await client.read(into: &request, maxBytes: 1)) ?? 0 > 0 {}
                }
                try? await client.write(Array(response.utf8))
                client.close()
            }
        }
        return (path, listener)
    }

    static let chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

    func testAResetInsideAChunkedBodyIsAConnectionLoss() async throws {
        for ending in [Ending.reset, .close] {
            let (path, listener) = try fakePodman(Self.chunkedHead + "40\r\n{\"Version\":\"4.3", ending: ending)
            defer { listener.close() }
            let podman = PodmanClient(socketPath: path)
            do {
                _ = try await withTimeout(10) { try await podman.version() }
                XCTFail("a cut response decoded")
            } catch let error as PodmanError {
                XCTAssertTrue(error.isConnectionLoss, "\(ending): \(error)")
                guard case .streamInterrupted(let operation, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(operation, "version")
                if ending == .reset { XCTAssertTrue(reason.contains("reset"), "not the ECONNRESET path: \(reason)") }
            }
        }
    }

    /// A followed log gets its first frame, then the reset: the frame arrives, the end is a loss.
    func testAResetInAFollowedLogIsAConnectionLoss() async throws {
        let frame: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 6] + Array("hello\n".utf8)
        let chunk = String(frame.count, radix: 16) + "\r\n" + String(decoding: frame, as: UTF8.self) + "\r\n"
        for ending in [Ending.reset, .close] {
            let (path, listener) = try fakePodman(Self.chunkedHead + chunk + "20\r\n\u{1}\0\0", ending: ending)
            defer { listener.close() }
            let logs = try await PodmanClient(socketPath: path).logs("c", follow: true)
            let first = try await withTimeout(10) { try await logs.next() }
            XCTAssertEqual(first?.map(\.payload), [Array("hello\n".utf8)])
            do {
                _ = try await withTimeout(10) { try await logs.next() }
                XCTFail("\(ending): the cut log ended quietly")
            } catch let error as PodmanError {
                XCTAssertTrue(error.isConnectionLoss, "\(ending): \(error)")
            }
        }
    }

    /// Garbage is not a lost connection: it fails (no waiting for a Podman that answers nonsense).
    func testAMalformedChunkIsNotAConnectionLoss() async throws {
        let (path, listener) = try fakePodman(Self.chunkedHead + "zz\r\nnonsense\r\n", ending: .close)
        defer { listener.close() }
        do {
            _ = try await withTimeout(10) { try await PodmanClient(socketPath: path).version() }
            XCTFail("garbage decoded")
        } catch let error as PodmanError {
            XCTAssertFalse(error.isConnectionLoss, "\(error)")
        }
    }

    func testARefusedConnectionIsAConnectionLossToo() async throws {
        let directory = try TemporaryDirectory.make("fake-podman")
        do {
            _ = try await PodmanClient(socketPath: directory + "/none.sock").version()
            XCTFail("nothing answered")
        } catch let error as PodmanError {
            XCTAssertTrue(error.isConnectionLoss, "\(error)")
        }
    }
}
