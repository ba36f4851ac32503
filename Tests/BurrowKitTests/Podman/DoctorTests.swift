@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class DoctorTests: XCTestCase {
    func testDoctorPassesWithTheTestPodmanAndFailsWithoutASocket() async throws {
        _ = try await PodmanTestEnvironment.client()
        let directory = try TemporaryDirectory.make()
        FileSystem.setMode(directory, 0o711)
        let good = directory + "/good.json"
        // The default state dir under root's 0700 home is out of reach of Podman's user: doctor fails on it.
        // The key is tried for real (GET /v1/models) at a stand-in of the API.
        let api = try ModelStandIn()
        defer { Task { await api.stop() } }
        setenv("BURROW_TEST_DOCTOR_KEY", "sk-ant-api03-doctor", 1)
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "image": "\#(PodmanTestEnvironment.image)", "stateDir": "\#(directory)/state", "credentials": {"anthropic": {"env": "BURROW_TEST_DOCTOR_KEY"}, "upstream": "\#(api.url)"}}"#.utf8), to: good)
        let passes = await DoctorCommand.run(configPath: good)
        XCTAssertTrue(passes)
        XCTAssertEqual(api.requests.map(\.target), ["/v1/models?limit=1"])
        let missingImage = directory + "/image.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "image": "localhost/none:never"}"#.utf8), to: missingImage)
        let failsOnImage = await DoctorCommand.run(configPath: missingImage)
        XCTAssertFalse(failsOnImage)
        let missingKey = directory + "/key.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "image": "\#(PodmanTestEnvironment.image)", "credentials": {"anthropic": {"env": "BURROW_TEST_UNSET_KEY"}}}"#.utf8), to: missingKey)
        let failsOnKey = await DoctorCommand.run(configPath: missingKey)
        XCTAssertFalse(failsOnKey, "a configured credential that cannot be read is a failure")
        let noForwarder = directory + "/forwarder.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "\#(PodmanTestEnvironment.socket!)", "image": "\#(PodmanTestEnvironment.image)", "forwarderPath": "/nonexistent/burrow-forwarder"}"#.utf8), to: noForwarder)
        let failsOnForwarder = await DoctorCommand.run(configPath: noForwarder)
        XCTAssertFalse(failsOnForwarder)
        let noSocket = directory + "/nosocket.json"
        try FileSystem.writeAtomically(Array(#"{"podmanSocket": "/tmp/burrow-none/podman.sock"}"#.utf8), to: noSocket)
        let failsOnSocket = await DoctorCommand.run(configPath: noSocket)
        XCTAssertFalse(failsOnSocket)
    }

    func testSocketDiscoveryOrder() {
        let environment: [String: String] = ["CONTAINER_HOST": "unix:///custom/podman.sock", "XDG_RUNTIME_DIR": "/run/user/42"]
        XCTAssertEqual(PodmanSocket.candidates(configured: "auto", environment: { environment[$0] }, uid: 42),
                       ["/custom/podman.sock", "/run/user/42/podman/podman.sock", "/run/podman/podman.sock"])
        XCTAssertEqual(PodmanSocket.candidates(configured: "auto", environment: { $0 == "CONTAINER_HOST" ? "ssh://remote" : nil }, uid: 7),
                       ["/run/user/7/podman/podman.sock", "/run/podman/podman.sock"], "only unix:// CONTAINER_HOST counts")
        XCTAssertEqual(PodmanSocket.candidates(configured: "unix:///x.sock"), ["/x.sock"])
    }
}
