import BurrowSystem
import BurrowPodman

/// `sandbox.nestedContainers`: the image's Podman (and `docker` through podman-docker) runs inside the
/// burrow, as the agent's own uid. No host socket and nothing added to the burrow's privileges: the
/// agent keeps no capabilities and no new privileges; only the seccomp rule against nested user
/// namespaces is left out (Podman's default profile), because rootless Podman needs one.
///
/// The nested engine maps the agent's uid alone (no setuid `newuidmap` under no-new-privileges):
/// `USER` names a user without subordinate ids, and files of other owners in an image land as the
/// agent's (`ignore_chown_errors`). Storage is the kernel's own overlay, mounted in the nested user
/// namespace (Linux 5.13 on), else `vfs` (copies); never FUSE (no device). Nested containers share the
/// burrow's network (its only way out is the egress proxy, whose environment Podman passes in), its
/// process and host-name namespaces (a fresh `/proc` or host name needs what the burrow does not
/// have). Their storage is a volume of the burrow's own, counted in `limits.disk`. None of this
/// configuration is a boundary: the agent may rewrite it and is still held by the burrow around it.
enum NestedContainers {
    static let directory = "/burrow/containers"
    static let containersConf = directory + "/containers.conf"
    static let storageConf = directory + "/storage.conf"
    /// A name with no line in the image's /etc/subuid: Podman then maps the current uid only.
    static let podmanUser = "burrow-nested"

    static func apply(_ spec: inout ContainerSpec, volume: String) {
        spec.volumes.append(.init(name: volume, destination: directory))
        spec.env["CONTAINERS_CONF"] = containersConf
        spec.env["CONTAINERS_STORAGE_CONF"] = storageConf
        spec.env["USER"] = podmanUser
    }

    static let containersConfText = """
        # Written by Burrow for every turn (sandbox.nestedContainers): nested containers share the
        # burrow's network (the egress proxy is the way out), process and UTS namespaces.
        [containers]
        netns = "host"
        pidns = "host"
        utsns = "host"
        cgroups = "enabled"
        log_driver = "k8s-file"

        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        runtime = "crun"

        """

    /// `overlay` where the kernel mounts it in a user namespace (5.13 on), else `vfs`.
    static func storageDriver(kernel: String?) -> String {
        let numbers = (kernel ?? "").split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return "vfs" }
        return (numbers[0], numbers[1]) >= (5, 13) ? "overlay" : "vfs"
    }

    /// A store per driver: one the other driver made is never opened (Podman would refuse it).
    static func storageConfText(driver: String) -> String {
        """
        # Written by Burrow for every turn (sandbox.nestedContainers): on the burrow's own volume.
        [storage]
        driver = "\(driver)"
        rootless_storage_path = "\(directory)/storage-\(driver)"

        [storage.options]
        ignore_chown_errors = "true"

        [storage.options.overlay]
        mount_program = ""

        """
    }

    /// Both files, owned by the agent, for the container's `directory`.
    static func configArchive(owner: AgentIdentity, driver: String) -> [UInt8] {
        var tar = TarWriter()
        tar.addFile("containers.conf", Array(containersConfText.utf8), mode: 0o644, uid: owner.uid, gid: owner.gid)
        tar.addFile("storage.conf", Array(storageConfText(driver: driver).utf8), mode: 0o644, uid: owner.uid, gid: owner.gid)
        return tar.finished()
    }
}

extension Config {
    /// Whether a burrow of `repo` runs nested containers: the launch's choice, else the repo's, else
    /// `sandbox.nestedContainers`. A launch may turn it off; it may ask for it only where the repo's
    /// (or the global) setting allows it, because it relaxes the sandbox.
    public func nestedContainers(repo: RepoConfig, launch: Bool?) throws(BurrowError) -> Bool {
        let configured = repo.nestedContainers ?? sandbox.nestedContainers ?? false
        if launch == true, !configured {
            throw .invalid("nestedContainers: repo \(repo.name)'s burrows may not run containers",
                           detail: "set \"nestedContainers\": true on the repo (or \"sandbox\": {\"nestedContainers\": true}) in Burrow's config")
        }
        return launch ?? configured
    }
}
