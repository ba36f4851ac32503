@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
@testable import BurrowWeb
@testable import BurrowCommands
import Foundation
import XCTest

/// Per-burrow id ranges without Podman (fast tier): the layout, the choice of a range, the spec
/// Podman gets, the config and doctor's check.
final class BurrowIDRangesTests: XCTestCase {
    /// This machine's test Podman: 0 is the Podman user (uid 1001), 1… its 65,536 subordinate ids.
    let namespace = [ContainerSpec.IDMap(container: 0, host: 1001, size: 1), .init(container: 1, host: 100_000, size: 65536)]

    func testTheLayoutLeavesPodmansFirstRangeAloneAndMapsEachSlotToItsHostUIDs() throws {
        let ranges = BurrowIDRanges(size: 2048, namespace: namespace)
        XCTAssertEqual(ranges.slots, 1...31)
        let slot = IDSlot(index: 2, size: 2048)
        XCTAssertEqual(slot.mappings.uids, [.init(container: 0, host: 4096, size: 2048)])
        XCTAssertEqual(slot.mappings.gids, [.init(container: 0, host: 4096, size: 2048), .init(container: 2048, host: 2047, size: 1)])
        XCTAssertEqual(slot.namespaceID(1000), 5096)
        XCTAssertEqual(slot.hostUIDs(namespace: namespace), [104_095...106_142])
        XCTAssertEqual(IDSlot(index: 1, size: 2048).outside(AgentIdentity(uid: 1000, gid: 1000)), AgentIdentity(uid: 3048, gid: 3048))
        XCTAssertNil(BurrowIDRanges(size: 65536, namespace: namespace).slots, "one range of 65,536 is all there is: none for burrows")
        XCTAssertEqual(BurrowIDRanges(size: 2048, namespace: namespace, limit: 8).slots, 1...8, "sandbox.idRanges caps the copies")
    }

    func testAFreeRangeFirstThenOneNotRunningThenNone() {
        let ranges = BurrowIDRanges(size: 16384, namespace: namespace)  // slots 1...3
        let one = IDSlot(index: 1, size: 16384), two = IDSlot(index: 2, size: 16384), three = IDSlot(index: 3, size: 16384)
        XCTAssertEqual(ranges.choose(held: [], running: []), one)
        XCTAssertEqual(ranges.choose(held: [one, three], running: [one]), two)
        XCTAssertEqual(ranges.choose(held: [one, two, three], running: [one, three]), two, "shared with a burrow that is not running")
        XCTAssertNil(ranges.choose(held: [one, two, three], running: [one, two, three]))
        XCTAssertEqual(ranges.choose(held: [IDSlot(index: 9, size: 2048)], running: []), two, "a range of another size that overlaps counts")
    }

    func testAFreeRangePreparedForTheRepoFirstThenOneNotKeptForOthers() {
        let ranges = BurrowIDRanges(size: 16384, namespace: namespace)  // slots 1...3
        let one = IDSlot(index: 1, size: 16384), two = IDSlot(index: 2, size: 16384), three = IDSlot(index: 3, size: 16384)
        XCTAssertEqual(ranges.choose(held: [], running: [], prepared: [3]), three, "the repo's template is ready in range 3")
        XCTAssertEqual(ranges.choose(held: [three], running: [], prepared: [3]), one, "a held prepared range is not taken")
        XCTAssertEqual(ranges.choose(held: [], running: [], preparedForOthers: [1]), two, "range 1 is kept ready for another repo")
        XCTAssertEqual(ranges.choose(held: [two, three], running: [], preparedForOthers: [1]), one, "but taken when it is the only free one")
        XCTAssertEqual(ranges.choose(held: [one, two, three], running: [one, three], prepared: [1]), two, "all held: one not running")
    }

    func testTheLabelRoundTripsAndNonsenseIsNoRange() {
        XCTAssertEqual(IDSlot(label: IDSlot(index: 7, size: 2048).label), IDSlot(index: 7, size: 2048))
        for bad in [nil, "", "7", "7/", "a/b", "-1/2048", "1/0", "9999999/2048", "1/2/3"] { XCTAssertNil(IDSlot(label: bad), bad ?? "nil") }
    }

    func testTheSpecAsksPodmanForAPrivateNamespaceOnlyWhenMapped() throws {
        var spec = ContainerSpec(image: "i")
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any]
        XCTAssertNil(json?["userns"])
        XCTAssertNil(json?["idmappings"])
        XCTAssertNil(json?["umask"])
        spec.idMappings = IDSlot(index: 1, size: 2048).mappings
        spec.groups = ["2048"]
        spec.umask = "0002"
        json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as? [String: Any]
        XCTAssertEqual(json?["userns"] as? [String: String], ["nsmode": "private"])
        let mappings = try XCTUnwrap(json?["idmappings"] as? [String: Any])
        XCTAssertEqual((mappings["UIDMap"] as? [[String: Int]])?.first, ["container_id": 0, "host_id": 2048, "size": 2048])
        XCTAssertEqual((mappings["GIDMap"] as? [[String: Int]])?.last, ["container_id": 2048, "host_id": 2047, "size": 1])
        XCTAssertEqual(json?["groups"] as? [String], ["2048"])
        XCTAssertEqual(json?["umask"] as? String, "0002")
    }

    func testAPlanInItsOwnRangeCarriesTheMappingTheCacheGroupAndTheLabel() {
        var config = Config()
        config.repos = [RepoConfig(name: "demo", path: "/tmp/demo")]
        var record = BurrowRecord(id: "0123456789ab", repo: "demo", task: "t", gpu: false)
        let shared = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f")
        XCTAssertNil(shared.spec.idMappings)
        XCTAssertEqual(shared.spec.groups, [])
        record.ids = IDSlot(index: 3, size: 2048)
        let own = ContainerPlan(config: config, record: record, repo: config.repos[0], socketDirectory: "/s", forwarderPath: "/f")
        XCTAssertEqual(own.spec.idMappings, record.ids?.mappings)
        XCTAssertEqual(own.spec.groups, ["2048"])
        XCTAssertEqual(own.spec.umask, "0002")
        XCTAssertEqual(own.spec.labels["io.burrow.ids"], "3/2048")
    }

    func testTheConfigDefaultsToPerBurrowAndRefusesATooSmallRange() throws {
        let defaults = try ConfigLoader.parse(Array("{}".utf8))
        XCTAssertTrue(defaults.sandbox.perBurrowIDs)
        XCTAssertEqual(defaults.sandbox.resolvedIDsPerBurrow, 2048)
        let shared = try ConfigLoader.parse(Array(#"{"sandbox": {"userNamespace": "shared"}}"#.utf8))
        XCTAssertFalse(shared.sandbox.perBurrowIDs)
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"sandbox": {"idsPerBurrow": 100}}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains("sandbox.idsPerBurrow"), "\(error)")
        }
    }

    func testDoctorFailsWithTheExactFixWhenTheSubordinateRangeIsTooSmall() throws {
        func info(_ size: Int) throws -> PodmanInfo {
            let json = #"{"host": {"security": {"rootless": true}, "idMappings": {"uidmap": [{"container_id": 0, "host_id": 1001, "size": 1}, {"container_id": 1, "host_id": 100000, "size": \#(size)}], "gidmap": [{"container_id": 0, "host_id": 1001, "size": 1}, {"container_id": 1, "host_id": 100000, "size": \#(size)}]}}}"#
            return try JSONDecoder().decode(PodmanInfo.self, from: Data(json.utf8))
        }
        let directory = try TemporaryDirectory.make("subuid")
        try FileSystem.writeAtomically(Array("podman:100000:65536\nother:165536:65536\n".utf8), to: directory + "/subuid")
        let files = [directory + "/subuid"]
        var config = Config()
        let small = DoctorIDRangeCheck.findings(config, info: try info(3000), podmanUser: "podman", subordinateFiles: files)
        XCTAssertEqual(small.first?.level, .fail)
        XCTAssertEqual(small.first?.fix?.hasPrefix("as root: usermod --add-subuids 1000000-1018431 --add-subgids 1000000-1018431 podman"), true, small.first?.fix ?? "")
        XCTAssertEqual(DoctorIDRangeCheck.findings(config, info: try info(65536), podmanUser: "podman", subordinateFiles: files).first?.level, .ok)
        config.maxConcurrent = 40
        XCTAssertEqual(DoctorIDRangeCheck.findings(config, info: try info(65536), podmanUser: "podman", subordinateFiles: files).first?.level, .warn)
        config.maxConcurrent = 4
        config.sandbox.idRanges = 2
        let capped = DoctorIDRangeCheck.findings(config, info: try info(65536), podmanUser: "podman", subordinateFiles: files).first
        XCTAssertEqual(capped?.level, .warn)
        XCTAssertEqual(capped?.fix, "set sandbox.idRanges to at least maxConcurrent (4)")
        config.sandbox.userNamespace = .shared
        XCTAssertEqual(DoctorIDRangeCheck.findings(config, info: try info(3000), podmanUser: "podman", subordinateFiles: files).first?.level, .warn)
        XCTAssertEqual(DoctorIDRangeCheck.fix(user: "u", count: 10, after: 2_000_000), "as root: usermod --add-subuids 2031616-2031625 --add-subgids 2031616-2031625 u; then as u: podman system migrate, and restart its Podman service")
    }
}
