@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Issue #27.5 and #27.10: doctor flags a vfs store with the fix and what the fix costs, and does not
/// fail an image whose /workspace the agent does not own (a launch gives it its own).
final class DoctorFirstRunTests: XCTestCase {
    func info(driver: String) throws -> PodmanInfo {
        try JSONDecoder().decode(PodmanInfo.self, from: Data(#"{"store": {"graphDriverName": "\#(driver)", "graphRoot": "/home/p/.local/share/containers/storage"}}"#.utf8))
    }

    func testAVfsStoreIsFlaggedWithTheFixAndItsCost() async throws {
        let vfs = DoctorStorageCheck.findings(try info(driver: "vfs"), podmanUser: "burrow-podman")
        XCTAssertEqual(vfs.map(\.level), [.warn])
        XCTAssertTrue(vfs[0].text.contains("vfs") && vfs[0].text.contains("Preparing the container"), vfs[0].text)
        let fix = try XCTUnwrap(vfs[0].fix)
        XCTAssertTrue(fix.hasPrefix("as burrow-podman: ") && fix.contains(#"driver = "overlay""#) && fix.contains("podman system reset"), fix)
        XCTAssertTrue(fix.contains("Cost: the reset deletes that user's images, containers and volumes") && fix.contains("burrow image build"), fix)
        XCTAssertEqual(DoctorStorageCheck.findings(try info(driver: "overlay"), podmanUser: "p").map(\.level), [.ok])
        // The test Podman's own store, as the doctor reads it.
        let podman = try await PodmanTestEnvironment.client()
        let real = DoctorStorageCheck.findings(try await podman.info(), podmanUser: "burrowtest")
        XCTAssertEqual(real.count, 1)
        XCTAssertTrue(real[0].text.hasPrefix("overlay") || real[0].text.hasPrefix("vfs"), "the driver was read: \(real)")
    }

    /// The user the doctor no longer fails (nobody, whose image's /workspace belongs to uid 1000)
    /// does launch and write its workspace: the old FAIL was a false alarm.
    func testAnAgentThatDoesNotOwnTheImagesWorkspaceLaunchesAndWritesIt() async throws {
        let app = try await BurrowTestApp { config in
            config.agentUser = "nobody"
            config.agentCommand = ["sh", "-c", "ls -ldn /workspace; touch /workspace/written && echo wrote as $(id -u)"]
            config.taskInput = .argument
        }
        defer { Task { await app.cleanUp() } }
        let record = try await app.launch("write")
        let done = try await app.finished(record.id, within: 120)
        let output = try await app.readStream(record.id).filter { $0.kind == "log" }.compactMap {
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data($0.data.utf8)))?.text
        }
        XCTAssertEqual(done.state, .succeeded, "\(done.error ?? "") \(output)")
        XCTAssertTrue(output.contains("wrote as 65534"), "\(output)")
    }
}
