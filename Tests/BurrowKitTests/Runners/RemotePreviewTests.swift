@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowKit
@testable import BurrowWeb
import Foundation
import XCTest

/// Previews reach a burrow's network namespace from the host that runs it: on a remote runner that is
/// not Burrow's host, so the list says so plainly, and a preview origin answers with a page saying it.
final class RemotePreviewTests: XCTestCase {
    func testARunnersBurrowSaysPreviewsAreNotAvailableThereYet() async throws {
        let app = try await RunnerTestEnvironment.app { config in
            config.agentCommand = ["sh", "-c"]
            config.taskInput = .argument
        }
        defer { Task { await RunnerTestEnvironment.cleanUp(app) } }
        let launched = try await app.launch("httpd -f -p 127.0.0.1:8000 -h /tmp & sleep 120")
        let list = try await withTimeout(60) {
            while true {
                if try await app.manager.record(launched.id).state == .running { return try await app.manager.previews(launched.id) }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        XCTAssertEqual(list.ports, [])
        XCTAssertTrue(list.unavailable?.contains("previews are not available on runners yet") == true, list.unavailable ?? "nil")
        let visitor = PreviewVisitor(app: app, id: launched.id, port: 8000)
        let page = try await visitor.request("/", cookie: try await visitor.signIn())
        XCTAssertEqual(page.status, 501, page.text)
        XCTAssertTrue(page.text.contains("not available on runners yet"), page.text)
        await RunnerTestEnvironment.cleanUp(app)
    }
}
