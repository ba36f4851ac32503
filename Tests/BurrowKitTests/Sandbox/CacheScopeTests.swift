@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The agent as the attacker: it plants a "wheel" in a package cache for the next burrow to install.
/// By default a cache is its repo's: another repo's burrows never see what this one planted.
final class CacheScopeTests: XCTestCase {
    static let cache = "/home/agent/.cache/burrow-test"
    static let plant = "exec 2>&1; echo poisoned > \(cache)/evil.whl && echo planted-ok"
    static let look = "exec 2>&1; echo probe-ran-$((6 * 7)); cat \(cache)/evil.whl 2>/dev/null || echo not-there-$((6 * 7))"

    func testAnotherReposBurrowDoesNotSeeWhatOneRepoPlantedInItsCache() async throws {
        let (app, other) = try await twoRepoApp(scope: nil)
        defer { Task { await app.cleanUp() } }
        let planted = try await run(app, Self.plant, repo: "demo")
        XCTAssertTrue(planted.contains("planted-ok"), planted)

        let elsewhere = try await run(app, Self.look, repo: other)
        XCTAssertTrue(elsewhere.contains("probe-ran-42"), "the probe did not run: \(elsewhere)")
        XCTAssertFalse(elsewhere.contains("poisoned"), "repo \(other) installs what repo demo's agent planted")
        XCTAssertTrue(elsewhere.contains("not-there-42"), elsewhere)

        // The probe can see: the planting repo's next burrow does (the cache is still a cache).
        let sameRepo = try await run(app, Self.look, repo: "demo")
        XCTAssertTrue(sameRepo.contains("poisoned"), "a cache no longer reaches the next burrow of its repo: \(sameRepo)")
        XCTAssertNotEqual(app.cacheVolume(repo: "demo"), app.cacheVolume(repo: other))
    }

    func testAGlobalCacheIsSharedByEveryRepoByChoice() async throws {
        let (app, other) = try await twoRepoApp(scope: .global)
        defer { Task { await app.cleanUp() } }
        let planted = try await run(app, Self.plant, repo: "demo")
        XCTAssertTrue(planted.contains("planted-ok"), planted)
        let elsewhere = try await run(app, Self.look, repo: other)
        XCTAssertTrue(elsewhere.contains("poisoned"), "a global cache is not shared: \(elsewhere)")
        XCTAssertEqual(app.cacheVolume(repo: "demo"), app.cacheVolume(repo: other))
    }

    private func twoRepoApp(scope: CacheConfig.Scope?) async throws -> (BurrowTestApp, String) {
        let otherPath = try await BurrowTestApp.makeRepo()
        let other = "other"
        let cacheName = PodmanTestEnvironment.uniqueName("cache")
        let app = try await BurrowTestApp(cacheName: cacheName) { config in
            config.agentCommand = ["sh", "-c"]  // the test image has no bash
            config.taskInput = .argument
            config.caches = [CacheConfig(name: cacheName, path: Self.cache, scope: scope)]
            config.repos.append(RepoConfig(name: other, path: otherPath))
        }
        return (app, other)
    }

    private func run(_ app: BurrowTestApp, _ script: String, repo: String) async throws -> String {
        let record = try await app.launch(script, repo: repo)
        let done = try await app.finished(record.id, within: 120)
        XCTAssertEqual(done.state, .succeeded, "\(repo): \(done)")
        let events = try await app.readStream(record.id)
        return events.filter { $0.kind == "log" }.compactMap { event -> String? in
            (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
        }.joined(separator: "\n")
    }
}
