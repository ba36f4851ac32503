@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Glibc
import XCTest

/// Podman's `system df` fails when a container it listed is removed before it looks at it (a helper
/// ending while the disk watch reads): the watch reads again instead of telling every burrow it cannot
/// measure. A stand-in Podman answers the first listings with that error (500, as Podman's handler
/// does) and with a vanished volume's, the next with a listing.
final class DiskUsageRaceTests: XCTestCase {
    func testAContainerRemovedDuringTheListingIsReadAgain() async throws {
        var template = Array("/tmp/burrow-df-XXXXXX".utf8CString)
        let folder = String(validatingCString: mkdtemp(&template)!)!
        defer { FileSystem.removeTree(folder) }
        let listener = try AsyncSocket.listening(on: .unix(folder + "/podman.sock"))
        defer { listener.close() }
        let asked = Locked(0)
        let gone = [#"{"cause":"no such container","message":"failed to get state of container 9b43: container 9b43 does not exist in database: no such container","response":500}"#,
                    #"{"cause":"no such volume","message":"no such volume burrow-y-workspace","response":500}"#]
        let listing = #"{"Containers":[{"Names":"burrow-x","RWSize":7}],"Volumes":[{"VolumeName":"burrow-x-workspace","Size":42}]}"#
        let server = Task {
            while let connection = try? await listener.accept() {
                Task {
                    var buffer: [UInt8] = []
                    while let read = try? await connection.read(into: &buffer), read > 0 {
                        guard buffer.firstRange(of: Array("\r\n\r\n".utf8)) != nil else { continue }
                        buffer.removeAll()
                        let count = asked.withLock { $0 += 1; return $0 }
                        let (status, body) = count <= gone.count ? ("500 Internal Server Error", gone[count - 1]) : ("200 OK", listing)
                        try? await connection.write(Array("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
                    }
                    connection.close()
                }
            }
        }
        defer { server.cancel() }
        let reading = await DiskUsageReading.read(PodmanClient(socketPath: folder + "/podman.sock"))
        XCTAssertEqual(asked.withLock { $0 }, 3, "the probe: two listings failed (a container, then a volume gone), a third was asked for")
        guard case .success(let usage) = reading else { return XCTFail("read again, measured: \(reading)") }
        XCTAssertEqual(usage.bytes(volumes: ["burrow-x-workspace"], container: "burrow-x"), 49)
    }
}
