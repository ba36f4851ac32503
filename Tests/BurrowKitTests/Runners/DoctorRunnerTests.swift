@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `burrow doctor` against the real test runner: what works is said, what does not comes with its fix.
final class DoctorRunnerTests: XCTestCase {
    func testAReachableRunnerIsCheckedAndABadHostKeyOrKeyFileGetsItsFix() async throws {
        var good = try RunnerTestEnvironment.runner()
        good.labels = ["gpu"]
        var config = Config()
        config.image = PodmanTestEnvironment.image
        config.runners = [good]
        let local = try await PodmanTestEnvironment.client()
        let findings = await DoctorRunnerCheck.findings(config, localPodman: local)
        let text = findings.map { "\($0.level.rawValue) \($0.text) \($0.fix ?? "")" }.joined(separator: "\n")
        XCTAssertFalse(findings.contains { $0.level == .fail }, text)
        XCTAssertTrue(findings.contains { $0.text.contains("host key checked") }, text)
        XCTAssertTrue(findings.contains { $0.text.contains("Podman 4.") || $0.text.contains("Podman 5.") }, text)
        XCTAssertTrue(findings.contains { $0.level == .warn && $0.text.contains("burrows on this runner share one id mapping") && $0.text.contains("the 65536 subordinate ids of") }, text)
        XCTAssertTrue(findings.contains { $0.subject == "runner far gpu" && $0.text.contains("a container started with nvidia.com/gpu=all") }, text)

        var impostor = good
        impostor.knownHostsFile = nil
        impostor.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherHostsKeyEntirelyAAAAAAAAAAAAAAAAAAAA"
        config.runners = [impostor]
        let refused = await DoctorRunnerCheck.findings(config, localPodman: local)
        XCTAssertEqual(refused.first?.level, .fail)
        XCTAssertTrue(refused.first?.text.contains("Host key verification failed") ?? false, "\(refused)")
        XCTAssertTrue(refused.first?.fix?.contains("ssh-keyscan -p") ?? false, "\(refused)")

        var keyless = good
        keyless.identityFile = try TemporaryDirectory.make("doctor-key") + "/missing_ed25519"
        config.runners = [keyless]
        let missing = await DoctorRunnerCheck.findings(config, localPodman: local)
        XCTAssertTrue(missing.first?.fix?.hasPrefix("ssh-keygen -t ed25519") ?? false, "\(missing)")
    }
}
