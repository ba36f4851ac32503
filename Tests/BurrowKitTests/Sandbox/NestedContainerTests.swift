@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// `sandbox.nestedContainers`, the agent as the attacker: Podman inside a real burrow of the agent
/// image (which ships Podman), on an image loaded from a tarball in the workspace.
final class NestedContainerTests: XCTestCase {
    /// Burrows of the agent image whose "agent" is `bash -c TASK`, on a repo holding the tarball.
    func attackApp(_ configure: @escaping (inout Config) -> Void) async throws -> BurrowTestApp {
        let repo = try await BurrowTestApp.makeRepo()
        try await NestedImageTarball.add(to: repo)
        let app = try await BurrowTestApp(repoPath: repo) { config in
            config.image = RealAgentEnvironment.image
            config.agentCommand = ["bash", "-c"]
            config.taskInput = .argument
            config.caches = []
            configure(&config)
        }
        addTeardownBlock { await app.cleanUp() }
        return app
    }

    func testPodmanRunsInsideOnlyWhenAskedAndStaysInsideTheBurrow() async throws {
        let site = try SandboxTests.HostSite()
        defer { Task { await site.server.shutdown() } }
        let secret = try TemporaryDirectory.make("nested-secret") + "/secret.txt"
        try FileSystem.writeAtomically(Array("host secret".utf8), to: secret, mode: 0o644)
        let port = site.port
        let tiny = NestedImageTarball.tag
        let script = """
            echo "== load"; podman load -q -i /workspace/\(NestedImageTarball.fileName) 2>&1; echo "load exit=$?"; podman info --format 'driver={{.Store.GraphDriverName}}'
            echo "== run"; podman run --rm \(tiny) sh -c 'echo nested-ran; cat /data/owned; id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status' 2>&1; echo "run exit=$?"
            echo "== allowed"; podman run --rm \(tiny) wget -q -O - http://allowed.nested.test:\(port)/hello 2>&1; echo " allowed exit=$?"
            echo "== denied"; podman run --rm \(tiny) wget -q -O - http://denied.nested.test:\(port)/hello 2>&1; echo "denied exit=$?"
            echo "== around"; podman run --rm \(tiny) wget -q -T 3 -Y off -O - http://127.0.0.1:\(port)/hello 2>&1; echo "around exit=$?"
            echo "== own network"; podman run --rm --network private \(tiny) wget -q -T 3 -O - http://allowed.nested.test:\(port)/hello 2>&1; echo "own exit=$?"
            echo "== host path"; podman run --rm -v /:/h \(tiny) cat /h\(secret) 2>&1; echo "secret exit=$?"
            echo "== build"; mkdir -p /tmp/ctx && printf 'FROM \(tiny)\\nRUN echo built-inside > /built\\n' > /tmp/ctx/Containerfile
            podman build -q -t localhost/built /tmp/ctx >/dev/null 2>/tmp/build.err; echo "build exit=$?"; tail -2 /tmp/build.err; podman run --rm localhost/built cat /built 2>&1
            echo "== docker api"; podman system service --time=0 unix:///tmp/d.sock 2>/dev/null & for i in $(seq 50); do [ -S /tmp/d.sock ] && break; sleep 0.1; done
            api() { curl -s --noproxy '*' --unix-socket /tmp/d.sock "$@"; }
            made=$(api -H 'Content-Type: application/json' -d '{"Image":"\(tiny)","Cmd":["echo","api-ran"],"HostConfig":{"NetworkMode":"host"}}' http://d/v1.41/containers/create)
            id=$(echo "$made" | sed -n 's/.*"Id":"\\([0-9a-f]*\\)".*/\\1/p'); api -X POST http://d/v1.41/containers/$id/start; api -X POST http://d/v1.41/containers/$id/wait; echo
            api "http://d/v1.41/containers/$id/logs?stdout=1" | tr -cd '[:print:]\\n'; echo; DOCKER_HOST=unix:///tmp/d.sock docker run --rm \(tiny) echo docker-cli-ran 2>&1
            echo "== agent"; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; id -u
            echo "== mounts"; cat /proc/self/mountinfo
            echo "== end"
            """
        func run(nested: Bool) async throws -> (output: (String) -> String, record: BurrowRecord, app: BurrowTestApp) {
            let app = try await attackApp { config in
                config.network = NetworkConfig(mode: .allowlist)
                config.network.allow = ["allowed.nested.test:\(port)"]
                config.network.resolve = ["allowed.nested.test": "127.0.0.1", "denied.nested.test": "127.0.0.1"]
                config.sandbox.nestedContainers = nested
            }
            let record = try await app.launch(script)
            let finished = try await app.finished(record.id, within: 240)
            let lines = try await app.readStream(record.id).filter { $0.kind == "log" }.compactMap { event -> String? in
                (try? JSONDecoder().decode(OutputEvent.LogLine.self, from: Data(event.data.utf8)))?.text
            }
            if ProcessInfo.processInfo.environment["BURROW_TEST_VERBOSE"] != nil { print(lines.joined(separator: "\n")) }
            XCTAssertTrue(lines.contains("== end"), "the probe ran to its end: \(lines.suffix(20))")
            return ({ name in
                guard let start = lines.firstIndex(of: "== \(name)") else { return "" }
                return lines[(start + 1)...].prefix { !$0.hasPrefix("== ") }.joined(separator: "\n")
            }, finished, app)
        }
        _ = try await RealAgentEnvironment.requireImage()

        let refused = try await run(nested: false)
        XCTAssertFalse(refused.output("run").contains("nested-ran"), refused.output("run"))
        XCTAssertFalse(refused.output("run").contains("run exit=0"), refused.output("run"))

        let nested = try await run(nested: true)
        let out = nested.output
        XCTAssertTrue(out("load").contains("load exit=0"), out("load"))
        let kernel = try await nested.app.manager.podman.info().host?.kernel
        XCTAssertTrue(out("load").contains("driver=" + NestedContainers.storageDriver(kernel: kernel)), "\(kernel ?? "?"): \(out("load"))")
        XCTAssertTrue(out("run").contains("nested-ran") && out("run").contains("run exit=0"), out("run"))
        XCTAssertTrue(out("run").contains("owned-by-1234"), "a file of an unmapped owner: \(out("run"))")
        // Root in the nested container is the agent's own uid: no capability reaches past the burrow.
        XCTAssertTrue(out("agent").contains("CapEff:\t0000000000000000") && out("agent").contains("NoNewPrivs:\t1"), out("agent"))
        XCTAssertTrue(out("agent").hasSuffix("1000"), out("agent"))
        XCTAssertTrue(out("allowed").contains("hello from the allowed host, path /hello") && out("allowed").contains("allowed exit=0"), out("allowed"))
        XCTAssertTrue(out("denied").contains("403") && !out("denied").contains("hello from"), out("denied"))
        // The burrow's loopback is its own: the host's site is not there.
        XCTAssertTrue(out("around").contains("around exit=") && !out("around").contains("around exit=0") && !out("around").contains("hello from"), out("around"))
        XCTAssertTrue(!out("own network").contains("hello from") && !out("own network").contains("own exit=0"), out("own network"))
        XCTAssertTrue(out("host path").contains("secret exit=1") && !out("host path").contains("host secret"), out("host path"))
        XCTAssertTrue(out("build").contains("build exit=0") && out("build").contains("built-inside"), out("build"))
        XCTAssertTrue(out("docker api").contains("\"StatusCode\":0") && out("docker api").contains("api-ran"), out("docker api"))
        XCTAssertTrue(out("docker api").contains("docker-cli-ran"), out("docker api"))
        // Host paths: still only the burrow's socket folder and the forwarder, read-only.
        let binds = out("mounts").split(separator: "\n").filter { $0.contains(" /run/burrow") }
        XCTAssertEqual(binds.count, 2, out("mounts"))
        XCTAssertEqual(nested.record.nestedContainers, true)
        // The host's Podman holds the burrow's own container and volumes, nothing of what ran inside.
        let podman = nested.app.manager.podman
        let containers = try await podman.listContainers(label: "io.burrow.id=\(nested.record.id)")
        XCTAssertEqual(containers.map { $0.names.first ?? "" }, [nested.record.container])
        let hostHasTiny = try await podman.imageExists(tiny)
        XCTAssertFalse(hostHasTiny, "the nested image is in the burrow's volume, not the host Podman's store")
        let volume = try await podman.volumeExists(nested.record.containersVolume)
        XCTAssertTrue(volume, "the nested storage is the burrow's own volume")
        // The egress record shows the nested container's requests like the agent's own.
        let net = try await nested.app.readStream(nested.record.id).filter { $0.kind == "net" }.map(\.data)
        XCTAssertTrue(net.contains { $0.contains("\"phase\":\"denied\"") && $0.contains("denied.nested.test") }, "\(net)")
    }

    func testANestedContainerFillingItsStorageIsStoppedByTheDiskBudget() async throws {
        _ = try await RealAgentEnvironment.requireImage()
        let app = try await attackApp { config in
            config.sandbox.nestedContainers = true
            config.limits.disk = "80m"
        }
        app.manager.diskWatch.interval.withLock { $0 = .milliseconds(300) }
        let record = try await app.launch("""
            podman load -q -i /workspace/\(NestedImageTarball.fileName) && podman run --rm \(NestedImageTarball.tag) sh -c '
              i=0; while [ $i -lt 80 ]; do dd if=/dev/zero of=/fill$i bs=1M count=5 2>/dev/null; i=$((i+1)); echo "wrote $((i*5)) MiB"; sleep 0.3; done'
            echo finished-writing
            """)
        let finished = try await app.finished(record.id, within: 240)
        let text = String(decoding: try FileSystem.readFile(app.stateDir + "/burrows/\(record.id)/events.ndjson"), as: UTF8.self)
        XCTAssertTrue(text.contains(#""text":"wrote 10 MiB""#), "the probe ran: the nested container wrote")
        XCTAssertFalse(text.contains(#""text":"finished-writing""#), "stopped before it wrote 400 MiB")
        XCTAssertEqual(finished.state, .stopped)
        XCTAssertTrue(finished.stopReason?.hasPrefix("disk budget of 80 MiB reached") == true, finished.stopReason ?? "no reason")
    }

    /// The nested profile: Podman's default, `chroot` allowed without the capability (for `podman
    /// build`), nested user namespaces not blocked; the default one still blocks them.
    func testTheNestedProfileAllowsChrootAndNamespacesOnly() throws {
        let original = #"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","clone","unshare"],"action":"SCMP_ACT_ALLOW"},{"names":["chroot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_CHROOT"]}},{"names":["chroot"],"action":"SCMP_ACT_ERRNO","excludes":{"caps":["CAP_SYS_CHROOT"]}}]}"#
        let profile = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try SeccompProfile.allowingChroot(Array(original.utf8)))) as? [String: Any])
        let rules = try XCTUnwrap(profile["syscalls"] as? [[String: Any]])
        XCTAssertEqual(rules.count, 2)
        XCTAssertEqual(rules[0]["names"] as? [String], ["read", "clone", "unshare"], "nested user namespaces allowed, as Podman's default has them")
        XCTAssertEqual(rules[1]["names"] as? [String], ["chroot"])
        XCTAssertEqual(rules[1]["action"] as? String, "SCMP_ACT_ALLOW")
        XCTAssertNil(rules[1]["includes"] ?? rules[1]["excludes"])
        XCTAssertEqual(profile["defaultAction"] as? String, "SCMP_ACT_ERRNO")
    }

    /// Through the API: a launch (or a group's) asking for containers where the config does not allow
    /// them is a 400 naming the setting, and nothing starts.
    func testTheAPIRefusesALaunchAskingForContainersTheConfigDoesNotAllow() async throws {
        let app = try await BurrowTestApp()
        addTeardownBlock { await app.cleanUp() }
        for body in [#"{"repo":"demo","task":"x","nestedContainers":true}"#, #"{"repo":"demo","task":"x","nestedContainers":true,"attempts":2}"#] {
            let response = try await app.server.request("POST", "/api/burrows", headers: ["Content-Type": "application/json"], body: body)
            XCTAssertEqual(response.status, 400, response.text)
            XCTAssertTrue(response.text.contains("nestedContainers"), response.text)
        }
        let launched = await app.manager.list()
        XCTAssertTrue(launched.isEmpty, "\(launched.map(\.id))")
    }

    func testALaunchMayTurnItOffButAsksForItOnlyWhereTheConfigAllows() throws {
        var config = Config()
        let repo = RepoConfig(name: "demo", path: "/nowhere")
        XCTAssertFalse(try config.nestedContainers(repo: repo, launch: nil), "off by default")
        XCTAssertThrowsError(try config.nestedContainers(repo: repo, launch: true)) { error in
            XCTAssertTrue("\(error)".contains("nestedContainers"), "names the setting: \(error)")
        }
        config.sandbox.nestedContainers = true
        XCTAssertTrue(try config.nestedContainers(repo: repo, launch: nil))
        XCTAssertFalse(try config.nestedContainers(repo: repo, launch: false))
        var off = repo
        off.nestedContainers = false
        XCTAssertFalse(try config.nestedContainers(repo: off, launch: nil), "the repo's setting is over the global one")
        XCTAssertThrowsError(try config.nestedContainers(repo: off, launch: true))
    }

    /// The real Claude Code (scripted Messages API) loads the image from the workspace's tarball, runs
    /// it, then a server container and a client container that talk over the burrow's loopback.
    func testTheRealAgentRunsPodmanAndTwoContainersThatTalk() async throws {
        let tiny = NestedImageTarball.tag
        func bash(_ id: String, _ command: String) -> ScriptedMessagesAPI.Block {
            .toolUse(id: id, name: "Bash", input: RealAgentTests.input(["command": command, "description": "Run containers"]))
        }
        let api = try ScriptedMessagesAPI(script: ScriptedMessagesAPI.steps([
            [bash("toolu_load", "podman load -q -i /workspace/\(NestedImageTarball.fileName) && podman run --rm \(tiny) echo nested-hello-$((6*7)); echo run-exit=$?")],
            [bash("toolu_pair", """
                podman run -d --name web \(tiny) sh -c 'mkdir -p /srv && echo two-containers-talk > /srv/index.html && exec httpd -f -p 127.0.0.1:8099 -h /srv' >/dev/null
                for i in 1 2 3 4 5 6 7 8 9 10; do podman run --rm \(tiny) wget -Y off -q -O - http://127.0.0.1:8099/ && break; sleep 0.5; done
                podman rm -f web >/dev/null
                """)],
        ], final: { _ in "Ran the containers." }))
        try await RealAgentEnvironment.with(api: api, credential: RealAgentTests.apiKey, configure: { $0.sandbox.nestedContainers = true }) { app in
            try await NestedImageTarball.add(to: app.repoPath)
            let launched = try await app.launch("Load the tiny image, run it, then two containers that talk.")
            let finished = try await app.finished(launched.id, within: 240)
            let events = RealAgentEnvironment.agentEvents(try await app.readStream(launched.id))
            let results = RealAgentEnvironment.toolResults(events)
            XCTAssertEqual(finished.state, .succeeded, finished.error ?? "")
            XCTAssertTrue(results.contains { $0.contains("nested-hello-42") }, "\(results)")
            XCTAssertTrue(results.contains { $0.contains("two-containers-talk") }, "\(results)")
            XCTAssertEqual(finished.result, "Ran the containers.")
        }
    }

}
