@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class AsyncSocketTests: XCTestCase {
    /// A socket dropped without `close()` still leaves the epoll set and closes its descriptor.
    func testDroppedSocketsLeaveNoRegistrationOrDescriptor() async throws {
        let loop = try EventLoop()
        let listener = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0), loop: loop)
        let address = listener.localAddress!
        // One round first: the runtime opens descriptors of its own on first use (Dispatch's epoll).
        let warm = try await AsyncSocket.connect(to: address, loop: loop)
        try await listener.accept().close()
        warm.close()
        try await Task.sleep(for: .milliseconds(20))
        let descriptorsBefore = FileSystem.openDescriptorCount()
        for _ in 0..<50 {
            let client = try await AsyncSocket.connect(to: address, loop: loop)
            let server = try await listener.accept()
            try await client.write(Array("ping".utf8))
            var buffer: [UInt8] = []
            _ = try await server.read(into: &buffer)
            XCTAssertEqual(buffer, Array("ping".utf8))
            server.close()
            _ = client  // dropped here without close()
        }
        XCTAssertEqual(loop.registeredCount, 1, "only the listener stays registered")
        XCTAssertEqual(FileSystem.openDescriptorCount(), descriptorsBefore)
        listener.close()
        XCTAssertEqual(loop.registeredCount, 0)
    }
}
