/// Where a remote burrow's egress socket lives on the runner, and the commands that put it there so
/// that only the burrow's own processes can reach it. On the runner nothing checks a connecting
/// process (sshd accepts anyone who can open the path and carries the bytes here, where the peer is
/// sshd's own SSH client), so the path itself is the boundary:
/// - sshd binds the socket in a staging folder of the SSH user, mode 0700 (no one else can reach it
///   while it is being prepared, whatever `StreamLocalBindMask` the runner's sshd has);
/// - in the Podman user's namespace (`podman unshare`: the SSH user is root over its subordinate ids)
///   the burrow's folder (bind-mounted into its container) and the socket are given to the agent's
///   uid as that namespace sees it, modes 0700 and 0600, and the socket is moved in, replacing the
///   one of an earlier SSH connection.
/// Another local user of the runner cannot enter the folder, whatever the modes of the folders above
/// it (a runtime dir of 0711 or 0755, a `remoteDir` under /tmp). Only Burrow's own values reach these
/// commands: paths checked at configuration, a Burrow-made id, and numbers.
struct RemoteEgressSocket: Sendable, Equatable {
    /// Burrow's folder on the runner (`runners[].remoteDir`, else `<runtime dir>/burrow`).
    let directory: String
    let id: String
    /// The agent's uid and gid in the Podman user's namespace (a container's default mapping: the
    /// same numbers as inside it).
    let owner: AgentIdentity

    init(directory: String, id: String, owner: AgentIdentity) throws(RunnerError) {
        guard directory.hasPrefix("/"), !directory.contains("'"),
              !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
              owner.uid >= 0, owner.gid >= 0 else {
            throw RunnerError.remote("refusing to place an egress socket at '\(directory)/\(id)' for \(owner.uid):\(owner.gid)")
        }
        self.directory = directory
        self.id = id
        self.owner = owner
    }

    /// The burrow's folder, bind-mounted into its container at `SandboxLayout.socketDirectory`.
    var folder: String { directory + "/" + id }
    var path: String { folder + "/" + SandboxLayout.socketName }
    var staging: String { directory + "/forwards" }
    /// Where sshd binds the socket; OpenSSH knows the forward by this path (for `-O cancel`).
    var listenPath: String { staging + "/" + id + ".sock" }

    /// As the SSH user, before each forward: Burrow's folder its own, the staging folder private, a
    /// stale socket there gone.
    var beforeForward: String {
        Self.ownedDirectory(directory) + " && mkdir -p -m 0700 '\(staging)' && chmod 0700 '\(staging)' && rm -f '\(listenPath)'"
    }

    /// Makes `directory` if need be and checks that it is the SSH user's alone: not a symlink, owned
    /// by the SSH user, writable by no one else, in a parent that no one else can rename it out of
    /// (owned by root or the SSH user; writable by others only if sticky, as /tmp). Another user of
    /// the runner who made the folder first (a `remoteDir` under /tmp) could otherwise swap the
    /// socket's folder or the seccomp profile inside it.
    static func ownedDirectory(_ directory: String) -> String {
        let parent = directory.split(separator: "/").dropLast().joined(separator: "/")
        let parentPath = "/" + parent
        return "{ mkdir -p -m 0711 '\(directory)' && [ ! -L '\(directory)' ] && [ -O '\(directory)' ] "
            + "&& [ -z \"$(find '\(directory)' -maxdepth 0 -perm /022)\" ] "
            + "&& { [ \"$(stat -c %u '\(parentPath)')\" = 0 ] || [ -O '\(parentPath)' ]; } "
            + "&& [ -z \"$(find '\(parentPath)' -maxdepth 0 -perm /022 ! -perm -1000)\" ]; } "
            + "|| { echo \"Burrow's folder \(directory) on the runner is not the SSH user's alone (a symlink, another owner, writable by others, "
            + "or in a folder others may rename it out of): choose a runners[].remoteDir that only the SSH user owns\" >&2; exit 1; }"
    }

    /// After each forward: the folder and the socket the agent's, then the socket moved in.
    var afterForward: String {
        let script = "mkdir -p -m 0700 \"$1\" && chown \(owner.uid):\(owner.gid) \"$1\" \"$2\" && chmod 0700 \"$1\" && chmod 0600 \"$2\" && mv -f \"$2\" \"$3\""
        return "podman unshare sh -c '\(script)' sh '\(folder)' '\(listenPath)' '\(path)'"
    }

    /// The burrow's trust bundle (public certificates only: the CA's key stays on this host) beside
    /// the socket, where the container's read-only mount of the folder and of the system store finds it.
    var bundle: String { folder + "/" + BoxTrust.bundleName }

    /// After the forward, with the bundle on standard input: written in the Podman user's namespace
    /// (the folder is the agent's), owned by the SSH user and readable, so that the agent, which sees
    /// the folder read-only, cannot change it and no other user of the runner can reach it. Received
    /// whole first, then copied into the same file: a running box (Burrow restarted under it) has that
    /// file mounted over its system store, and a mount pins the file a rename would replace.
    var placeBundle: String {
        let script = "rm -f \"$1.part\" && cat > \"$1.part\" && cat \"$1.part\" > \"$1\" && chmod 0644 \"$1\" && rm -f \"$1.part\""
        return "podman unshare sh -c '\(script)' sh '\(bundle)'"
    }

    /// Once the burrow's turn is over: the folder, which the SSH user alone can no longer remove.
    var remove: String { "rm -f '\(listenPath)'; podman unshare rm -rf '\(folder)'" }
}
