import FoundationEssentials
import BurrowSystem
import BurrowPodman

extension DevcontainerPlan {
    /// A POSIX sh program that runs `setupCommands` in order inside the burrow, then `exec "$@"` (the
    /// agent). Each command's output goes to stderr, under a line naming it, so stdout stays the
    /// agent's stream-json; the first failure stops with a line saying which command and its exit
    /// status, and the agent never starts. Arguments are single-quoted: nothing is re-parsed.
    /// Use as `["/bin/sh", "-c", plan.setupScript, "devcontainer-setup"] + agentArguments` (see `apply`).
    public var setupScript: String {
        var lines = ["set -u"]
        let total = setupCommands.count
        for (index, arguments) in setupCommands.enumerated() {
            let shown = Self.display(arguments)
            let label = "devcontainer: [\(index + 1)/\(total)] "
            lines.append("printf '%s\\n' \(Self.quote(label + shown)) >&2")
            lines.append(arguments.map(Self.quote).joined(separator: " ") + " 1>&2 </dev/null || { status=$?; printf '%s%s\\n' "
                         + Self.quote("devcontainer: setup command \(index + 1) of \(total) failed (\(shown)), exit ") + " \"$status\" >&2; exit \"$status\"; }")
        }
        lines.append("exec \"$@\"")
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ argument: String) -> String {
        "'" + argument.replacingOccurrences("'", with: "'\\''") + "'"
    }

    /// A command as a person reads it: a shell string as written, else the arguments joined.
    static func display(_ arguments: [String]) -> String {
        let text = arguments.count == 3 && arguments[0] == "/bin/sh" && arguments[1] == "-c" ? arguments[2] : arguments.joined(separator: " ")
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

extension DevcontainerPlan {
    /// Applies the plan to a turn's spec as `ContainerPlan` made it: the image, `containerEnv` under
    /// Burrow's own environment (config `env`, proxy, credentials placeholder win), and with `runSetup`
    /// the setup program in front of the agent's command (inside the forwarder's entrypoint, so setup
    /// commands have the burrow's network). Each turn is a new container: what setup changed outside
    /// the workspace, caches and Claude's volume is gone on a follow-up, and the spec's "on create"
    /// means every new container; running setup on every turn is the faithful choice, the first turn
    /// only the cheap one. The user is not set here: resolve `user ?? agentUser` in `image` as for any
    /// image (uid/gid, workspace ownership) and set `spec.user` from that.
    public func apply(to spec: inout ContainerSpec, runSetup: Bool) {
        spec.image = image
        spec.env = env.merging(spec.env) { _, burrows in burrows }
        if runSetup, !setupCommands.isEmpty, let command = spec.command {
            spec.command = ["/bin/sh", "-c", setupScript, "devcontainer-setup"] + command
        }
    }
}
