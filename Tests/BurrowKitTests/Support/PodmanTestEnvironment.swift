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

    /// A unique label value, so a test lists and cleans up only what it made.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
