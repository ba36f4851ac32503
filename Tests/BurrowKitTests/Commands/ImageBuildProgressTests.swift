@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// Issue #27.12: `burrow image build` shows what the recipe does as it does it, and never sits silent.
final class ImageBuildProgressTests: XCTestCase {
    final class Seen: Sendable {
        let lines = Locked<[(at: UInt64, text: String)]>([])
        func add(_ text: String) { lines.withLock { $0.append((Monotonic.now(), text)) } }
        var texts: [String] { lines.withLock { $0.map(\.text) } }
        func at(_ prefix: String) -> UInt64? { lines.withLock { $0.first { $0.text.hasPrefix(prefix) }?.at } }
    }

    /// A recipe that prints two steps two seconds apart and writes an empty rootfs.
    func fakeRecipe() throws -> String {
        let folder = try TemporaryDirectory.make("fake-recipe")
        let script = folder + "/build-rootfs.sh"
        try FileSystem.writeAtomically(Array("""
        if [ "$1" = --hash ]; then echo 0123456789abcdef; exit 0; fi
        echo "I: step one" >&2
        sleep 2
        printf 'I: step two \\033[2Jcleared\\n'
        empty=$(mktemp -d); tar -cf "$1" -C "$empty" .; rmdir "$empty"
        """.utf8), to: script)
        return script
    }

    func testTheRecipesLinesArriveAsTheyComeThenTheImport() async throws {
        let podman = try await PodmanTestEnvironment.client()
        let reference = "localhost/burrow-progress-test:\(UInt32.random(in: 0...UInt32.max))"
        defer { Task { try? await podman.removeImage(reference) } }
        let seen = Seen()
        let outcome = try await AgentImageRecipe(script: try fakeRecipe()).build(into: podman, reference: reference, force: true, progress: seen.add)
        XCTAssertEqual(outcome, .built(hash: "0123456789abcdef"))
        let texts = seen.texts
        XCTAssertTrue(texts.contains("  I: step one") && texts.contains("  I: step two [2Jcleared"), "the recipe's own lines, without control characters: \(texts)")
        let first = try XCTUnwrap(seen.at("  I: step one")), built = try XCTUnwrap(seen.at("built the rootfs"))
        XCTAssertGreaterThan(Double(built - first) / 1e9, 1.5, "step one was shown while the recipe still ran")
        XCTAssertTrue(texts.contains { $0.hasPrefix("imported in ") }, "\(texts)")
    }

    func testAQuietStepSaysItIsStillWorking() async throws {
        let seen = Seen()
        try await ImageBuildProgress.run(["sh", "-c", "sleep 2.5; echo done"], step: "building the rootfs", quietAfter: .seconds(1), progress: seen.add)
        let texts = seen.texts
        XCTAssertTrue(texts.contains { $0.hasPrefix("  … still building the rootfs: ") && $0.hasSuffix(" s so far") }, "\(texts)")
        XCTAssertEqual(texts.last, "  done")
        // A failing recipe fails the build (its output was shown as it came).
        do {
            try await ImageBuildProgress.run(["sh", "-c", "echo broken; exit 3"], step: "x", progress: seen.add)
            XCTFail("a failing recipe passed")
        } catch {
            XCTAssertTrue("\(error)".contains("3"), "\(error)")
        }
        XCTAssertEqual(seen.texts.last, "  broken")
    }
}
