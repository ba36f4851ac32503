@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import XCTest

/// Podman's `system df` fails when a container it listed is removed before it looks at it (a helper
/// ending while the disk watch reads): the watch reads again instead of telling every burrow it cannot
/// measure. A stand-in Podman answers the first listings with that error (500, as Podman's handler
/// does) and with a vanished volume's, the next with a listing.
final class DiskUsageRaceTests: XCTestCase {
    func testAContainerRemovedDuringTheListingIsReadAgain() async throws {
        let gone = [#"{"cause":"no such container","message":"failed to get state of container 9b43: container 9b43 does not exist in database: no such container","response":500}"#,
                    #"{"cause":"no such volume","message":"no such volume burrow-y-workspace","response":500}"#]
        let listing = #"{"Containers":[{"Names":"burrow-x","RWSize":7}],"Volumes":[{"VolumeName":"burrow-x-workspace","Size":42}]}"#
        let podman = try StandInPodman { count in
            count <= gone.count ? .init(status: "500 Internal Server Error", body: gone[count - 1], contentType: "application/json")
                : .init(body: listing, contentType: "application/json")
        }
        defer { podman.close() }
        let reading = await DiskUsageReading.read(podman.client)
        XCTAssertEqual(podman.requests, 3, "the probe: two listings failed (a container, then a volume gone), a third was asked for")
        guard case .success(let usage) = reading else { return XCTFail("read again, measured: \(reading)") }
        XCTAssertEqual(usage.bytes(volumes: ["burrow-x-workspace"], container: "burrow-x"), 49)
    }
}
