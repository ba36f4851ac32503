import BurrowSystem
import BurrowPodman

/// What Burrow needs to know of an agent image: the uid and gid its agent user runs as.
struct ImageFacts: Sendable, Equatable {
    let identity: AgentIdentity

    /// Read through a container of `image` that is created and never started. `labels`: the
    /// instance's, so that what a crash leaves is known as its own.
    static func probe(_ user: String, image: String, podman: PodmanClient, labels: [String: String] = [:]) async throws -> ImageFacts {
        if let numeric = AgentIdentity.numeric(user) { return ImageFacts(identity: numeric) }
        let probe = "burrow-probe-\(BurrowRecord.newID())"
        var spec = ContainerSpec(image: image)
        spec.name = probe
        spec.command = ["true"]
        spec.labels = labels.merging(["io.burrow.role": "probe"]) { $1 }
        // Made and removed uncancelled: a launch called off (or a shutdown) between the two left
        // the probe in Podman, under a name nobody would look for again.
        let remove: @Sendable () async -> Void = { await withUncancelledTask { try? await podman.remove(probe) } }
        let made = spec
        let created = await withUncancelledTask { () async -> (any Error)? in
            do { _ = try await podman.createContainer(made) } catch { return error }
            return nil
        }
        do {
            if let created { throw created }
            let identity = try await AgentIdentity.resolve(user, image: image, probe: probe, podman: podman)
            await remove()
            return ImageFacts(identity: identity)
        } catch {
            await remove()
            throw error
        }
    }
}

extension AgentIdentity {
    /// The uid and gid `user` has in the image of the (created) container `probe`: numeric as given
    /// (`1000` or `1000:1000`), or looked up in the image's /etc/passwd.
    static func resolve(_ user: String, image: String, probe: String, podman: PodmanClient) async throws -> AgentIdentity {
        if let numeric = numeric(user) { return numeric }
        let passwd: String
        do {
            passwd = try await readPasswd(probe, podman: podman)
        } catch {
            throw CrossingError.agentUser(image: image, user: user, detail: "no readable /etc/passwd (\(error))")
        }
        guard let identity = lookUp(user, passwd: passwd) else {
            throw CrossingError.agentUser(image: image, user: user, detail: "not in the image's /etc/passwd")
        }
        guard identity.uid != 0 else {
            throw CrossingError.agentUser(image: image, user: user, detail: "it is root (Claude Code refuses to skip permissions as root)")
        }
        return identity
    }

    private static func readPasswd(_ container: String, podman: PodmanClient) async throws -> String {
        let directory = try FileSystem.makeTemporaryDirectory("burrow-passwd")
        defer { FileSystem.removeTree(directory) }
        _ = try await ArchivedFile.save(try await podman.getArchive(container, path: "/etc/passwd"), to: directory + "/passwd", limit: 4 << 20)
        return String(decoding: try FileSystem.readFile(directory + "/passwd"), as: UTF8.self)
    }

    static func numeric(_ user: String) -> AgentIdentity? {
        let parts = user.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let uid = Int(parts[0]), uid > 0 else { return nil }
        let gid = parts.count == 2 ? Int(parts[1]) : uid
        return gid.map { AgentIdentity(uid: uid, gid: $0) }
    }

    static func lookUp(_ user: String, passwd: String) -> AgentIdentity? {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, fields[0] == user, let uid = Int(fields[2]), let gid = Int(fields[3]) else { continue }
            return AgentIdentity(uid: uid, gid: gid)
        }
        return nil
    }
}
