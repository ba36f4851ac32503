@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `/api/health` answers from the last probe: a Podman that accepts and never answers (busy with
/// launches, or stuck) holds neither the route nor, past its cut-off, the answer it gives.
final class HealthProbeTests: XCTestCase {
    func testHealthAnswersAtOnceWhilePodmanStalls() async throws {
        let folder = try TemporaryDirectory.make("burrow-stall")
        defer { FileSystem.removeTree(folder) }
        let listener = try AsyncSocket.listening(on: .unix(folder + "/podman.sock"))
        defer { listener.close() }
        let accepted = Locked<[AsyncSocket]>([])  // held open, never answered
        let probe = PodmanProbe(configured: folder + "/podman.sock", interval: .milliseconds(50), timeout: .seconds(2))
        let router = Self.router(probe)
        let health = { @Sendable () async throws -> Health in try await Self.health(router) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    let connection = try await listener.accept()
                    accepted.withLock { $0.append(connection) }
                }
            }
            group.addTask { await probe.run() }
            try await withTimeout(30) { while accepted.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) } }

            // The probe is stuck on the stand-in (it ran: the connection was accepted); health answers at once.
            let stuck = try await withTimeout(1) { try await health() }
            XCTAssertEqual(stuck.podman?.reachable, false)
            XCTAssertTrue(stuck.podman?.error?.contains("not checked yet") == true, "\(String(describing: stuck.podman))")
            XCTAssertEqual(stuck.status, "degraded")
            for _ in 0..<20 { _ = try await withTimeout(1) { try await health() } }

            // Past the probe's cut-off, the answer says so; every poll meanwhile was immediate.
            let cutOff = try await withTimeout(20) {
                while true {
                    let answer = try await withTimeout(1) { try await health() }
                    if answer.podman?.error?.contains("did not finish") == true { return answer }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            XCTAssertEqual(cutOff.podman?.reachable, false)
            XCTAssertNotNil(cutOff.podman?.checkedSecondsAgo)
            group.cancelAll()
        }
        for connection in accepted.withLock({ $0 }) { connection.close() }
    }

    /// The probe: against the test Podman the same route says reachable, with its version.
    func testHealthReportsAReachablePodman() async throws {
        let socket = try XCTUnwrap(PodmanTestEnvironment.socket)
        let probe = PodmanProbe(configured: socket, interval: .milliseconds(50))
        let router = Self.router(probe)
        let refresher = Task { await probe.run() }
        defer { refresher.cancel() }
        let answer = try await withTimeout(30) {
            while true {
                let answer = try await Self.health(router)
                if answer.podman?.reachable == true { return answer }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        XCTAssertEqual(answer.status, "ok")
        XCTAssertNotNil(answer.podman?.version)
    }

    static func router(_ probe: PodmanProbe) -> Router {
        var router = Router()
        router.addHealth(startedAt: Monotonic.now(), podman: { probe.current() })
        return router
    }

    static func health(_ router: Router) async throws -> Health {
        let response = await router.respond(to: HTTPRequest(method: .get, target: "/api/health"))
        guard case .bytes(let bytes)? = response?.body else { throw HTTPError(.internalServerError, "no body") }
        return try JSONDecoder().decode(Health.self, from: Data(bytes))
    }
}
