import Dispatch
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb

/// `burrow serve`: load the config, open the state dir, serve until SIGINT/SIGTERM.
public enum ServeCommand {
    public static func run(configPath: String?, port: UInt16? = nil, repos: [String] = []) async throws {
        var (config, file) = try ConfigLoader.load(explicit: configPath)
        try QuickFlags.apply(port: port, repos: repos, to: &config)
        let stateDir = config.resolvedStateDir
        try FileSystem.createDirectories(stateDir, mode: 0o700)
        let token = try AccessToken.loadOrCreate(stateDir: stateDir)
        let listen = try config.listenAddress
        let staticFiles = StaticFiles.locate(configured: config.publicDir)

        // Nothing here waits on Podman: the server listens first, and everything that asks Podman
        // (its version, the burrows left running, orphans) happens in the background with deadlines.
        let podman = PodmanClient(socketPath: (try? PodmanSocket.locate(configured: config.podmanSocket))
                                  ?? PodmanSocket.candidates(configured: config.podmanSocket).first ?? "/run/podman/podman.sock")
        var router = Router()
        let probe = PodmanProbe(configured: config.podmanSocket, gate: podman.gate)
        router.addHealth(startedAt: Monotonic.now(), podman: { probe.current() })
        // Refused here, not at each launch: Podman's user mounts the burrows' sockets from the state dir.
        if let uid = StateDirAccess.podmanUID(socket: podman.socketPath), let problem = StateDirAccess.problem(stateDir: stateDir, podmanUID: uid) {
            throw ServeRefusal(description: "\(problem.text).\n  fix: \(problem.fix)")
        }
        let manager = try BurrowManager(config: config, podman: podman)
        let earlier = await manager.loadRecords()
        router.addBurrows(manager)
        router.addTriggers(try Router.loadTriggers(config), manager: manager)
        let listener = try AsyncSocket.listening(on: listen)
        let bound = listener.localAddress ?? listen
        let previews = PreviewGateway(manager: manager, listenPort: bound.port ?? 0)
        router.addPreviews(manager, gateway: previews)
        let app = Application(router: router, access: AccessControl(token: token, listen: bound, extraHosts: config.allowedHosts),
                              staticFiles: staticFiles, previews: previews)
        let server = app.makeServer(listener: listener)
        // Where the client commands find this server when neither --server nor the config's port says.
        try? FileSystem.writeAtomically(Array("\(server.address)\n".utf8), to: stateDir + "/" + ServerTarget.addressFile, mode: 0o600)

        let quick = (port.map { ["--port \($0)"] } ?? []) + repos.map { "--repo \($0)" }
        Console.out("burrow \(BurrowVersion.current): config \(file ?? "built-in defaults")\(quick.isEmpty ? "" : " with " + quick.joined(separator: " ")), state in \(stateDir)")
        if staticFiles == nil { Console.out("warning: the UI folder Public/ was not found; set \"publicDir\" in the config") }
        if let warning = EgressPolicy.modelHostWarning(config) { Console.out("warning: \(warning)") }
        let host = server.address.isLoopback ? "127.0.0.1" : "\(server.address)".split(separator: ":").dropLast().joined(separator: ":")
        Console.out("open http://\(host):\(server.address.port ?? 0)/?token=\(token)")

        // The server, the wait for a signal and the health probe's refresher are children of one
        // group: a signal shuts the server down from a task that is awaited, and a server that ends by
        // itself ends the wait and the refresher.
        let (signalled, signal) = AsyncStream<Int32>.makeStream()
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { signal.yield($0) }
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await number in signalled {
                    Console.out("received signal \(number), shutting down")
                    await server.shutdown()
                    return
                }
            }
            group.addTask { await probe.run() }
            group.addTask { await reconnect(podman, manager: manager, restoring: earlier, stateDir: stateDir) }
            group.addTask { [config] in await announceModelAccess(config) }
            await server.run()
            signal.finish()
            group.cancelAll()
        }
        // Then the burrows' followers, preparations and egress proxies, in that order; containers run on
        // and are followed again by the next start.
        await manager.shutdown()
        FileSystem.remove(stateDir + "/" + ServerTarget.addressFile)
        _ = signals
        Console.out("stopped")
    }
}

extension ServeCommand {
    /// In the background: Podman's API version (asked again until it answers), then the burrows an
    /// earlier run left (followed again) and the orphans it left.
    static func reconnect(_ podman: PodmanClient, manager: BurrowManager, restoring earlier: [BurrowRecord], stateDir: String) async {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(15))
        var warned = false
        while !Task.isCancelled {
            do {
                try await withDeadline(PodmanProbe.defaultTimeout, operation: "Podman's version") { try await podman.negotiateVersion() }
                break
            } catch {
                if !warned { Console.out("warning: \(error)\n  Burrow serves the UI and history; launches fail until Podman answers (see `burrow doctor`).") }
                warned = true
                do { try await backoff.wait() } catch { return }
            }
        }
        await manager.restore(earlier)
        if let orphans = try? await Orphans.find(podman: podman, owners: Set(manager.list().filter { !$0.tornDown }.map(\.id)), stateDir: stateDir), !orphans.isEmpty {
            Console.out("warning: \(orphans.lines.count) containers/volumes of this Burrow instance belong to no burrow (\(orphans.lines.joined(separator: "; "))); `burrow gc --dry-run` lists them, `burrow gc` removes them")
        }
    }

    /// One line about the credential at start: missing (launches refused), or what one real call said.
    static func announceModelAccess(_ config: Config) async {
        if let missing = ModelAccess.missingCredentials(config) {
            Console.out("warning: \(missing): launches are refused until then")
        } else if let verdict = await ModelAccess.check(config) {
            switch verdict {
            case .accepted: Console.out("model credential: \(verdict)")
            default: Console.out("warning: model credential: \(verdict); `burrow doctor` explains")
            }
        }
    }
}

/// Why `serve` will not start, with the fix.
struct ServeRefusal: Error, CustomStringConvertible {
    let description: String
}
