import Glibc
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The real rootless Podman prepared by scripts/test-env.sh. Without it, Podman tests skip when run
/// by hand and fail under the README's test command (which sets BURROW_REQUIRE_PODMAN=1).
enum PodmanTestEnvironment {
    static var socket: String? { FileSystem.environment("BURROW_TEST_PODMAN_SOCKET") }
    static var image: String { FileSystem.environment("BURROW_TEST_IMAGE") ?? "localhost/burrow-test-agent:latest" }

    static func client() async throws -> PodmanClient {
        guard let socket else {
            if FileSystem.environment("BURROW_REQUIRE_PODMAN") == "1" {
                throw PodmanError.socketNotFound(tried: ["$BURROW_TEST_PODMAN_SOCKET (unset)"])
            }
            throw XCTSkip("no test Podman: run `eval \"$(scripts/test-env.sh)\"` first, or use scripts/test.sh")
        }
        return try await PodmanClient.connect(configured: socket)
    }

    /// The test CDI spec for nvidia.com/gpu that scripts/test-env.sh writes into /etc/cdi as root
    /// only: without it (a non-root run) the GPU tests skip, saying why.
    static let testCDISpec = "/etc/cdi/burrow-test-gpu.yaml"

    static func requireTestCDISpec() throws {
        guard !FileSystem.exists(testCDISpec) else { return }
        throw XCTSkip("no test CDI spec \(testCDISpec): scripts/test-env.sh writes it as root only (a non-root user cannot write /etc/cdi)")
    }

    /// Tests that act as other host uids (setpriv) need root; a non-root run skips them, saying why.
    static func requireRoot(_ what: String) throws {
        guard getuid() != 0 else { return }
        throw XCTSkip("\(what) needs root (setresuid to another uid: Operation not permitted as uid \(getuid()))")
    }

    /// A unique label value, so a test lists and cleans up only what it made.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
