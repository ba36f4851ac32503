@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The registry-free agent image (images/agent-debian) as `burrow image build` leaves it.
final class AgentImageTests: XCTestCase {
    func testTheRecipeHashIsStableAndAnUnchangedRecipeIsNotRebuilt() async throws {
        let recipe = try XCTUnwrap(AgentImageRecipe.locate(), "images/agent-debian/build-rootfs.sh from the checkout")
        let hash = try await recipe.hash()
        XCTAssertEqual(hash.count, 16)
        let again = try await recipe.hash()
        XCTAssertEqual(hash, again)
        let image = try await RealAgentEnvironment.requireImage()
        let podman = try await PodmanTestEnvironment.client()
        let started = ContinuousClock.now
        let outcome = try await recipe.build(into: podman, reference: image)
        XCTAssertEqual(outcome, .upToDate(hash: hash), "scripts/test.sh built it from this recipe")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
        let inspected = try await podman.inspectImage(image)
        let config = try XCTUnwrap(inspected.config)
        XCTAssertEqual(config.user, "agent")
        XCTAssertEqual(config.workingDir, "/workspace")
        XCTAssertEqual(config.labels?[AgentImageRecipe.hashLabel], hash)
    }
}
