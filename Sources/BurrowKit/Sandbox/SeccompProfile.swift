import BurrowSystem
import BurrowPodman
import FoundationEssentials

/// Podman's default seccomp profile with nested user namespaces taken away: `unshare` and `clone`
/// asking for CLONE_NEWUSER fail with EPERM (a full capability set in a namespace of its own is
/// kernel attack surface no agent needs), and `clone3`, whose flags seccomp cannot read, answers
/// ENOSYS so that libc falls back to `clone`. Everything else stays as Podman's default has it.
enum SeccompProfile {
    /// Where Podman keeps its default profile (containers-common), most specific first.
    static let podmanDefaults = ["/etc/containers/seccomp.json", "/usr/share/containers/seccomp.json"]
    static let fileName = "seccomp-no-nested-userns.json"
    static let nestedContainersFileName = "seccomp-nested-containers.json"
    static let cloneNewUser: UInt64 = 0x1000_0000

    /// Writes the profile (again, if Podman's default changed) under `directory`, readable by
    /// Podman's user; returns its path for the container spec. `nestedContainers`: the profile for
    /// `sandbox.nestedContainers` instead (`allowingChroot`).
    static func install(in directory: String, defaults: [String] = podmanDefaults, nestedContainers: Bool = false) throws -> String {
        guard let source = defaults.first(where: FileSystem.exists) else {
            throw SandboxError.seccompDefaultMissing(tried: defaults)
        }
        let bytes = try FileSystem.readFile(source)
        let profile = try nestedContainers ? allowingChroot(bytes, source: source) : blockingNestedUserNamespaces(bytes, source: source)
        let path = directory + "/" + (nestedContainers ? nestedContainersFileName : fileName)
        if (try? FileSystem.readFile(path)) != profile { try FileSystem.writeAtomically(profile, to: path, mode: 0o644) }
        return path
    }

    /// Podman's default with `chroot` allowed whatever the capabilities: `podman build` in a burrow
    /// chroots into the layer it builds, as root of the nested user namespace (where the kernel checks
    /// the capability); the agent itself, without it, still cannot. Nested user namespaces stay allowed.
    static func allowingChroot(_ bytes: [UInt8], source: String = "profile") throws -> [UInt8] {
        var (profile, rules) = try parse(bytes, source: source, removing: ["chroot"])
        rules.append(.object(["names": .array([.string("chroot")]), "action": .string("SCMP_ACT_ALLOW")]))
        profile["syscalls"] = .array(rules)
        return try encoded(profile)
    }

    /// The profile and its rules without any mention of `names`.
    private static func parse(_ bytes: [UInt8], source: String, removing taken: Set<String>) throws -> ([String: JSONValue], [JSONValue]) {
        guard case .object(let profile)? = try? JSONCoding.decoder.decode(JSONValue.self, from: Data(bytes)),
              case .array(let rules)? = profile["syscalls"] else {
            throw SandboxError.seccompDefaultMissing(tried: [source + " (not a seccomp profile)"])
        }
        return (profile, rules.compactMap { rule in
            guard case .object(var kept) = rule, case .array(let names)? = kept["names"] else { return rule }
            let left = names.filter { if case .string(let name) = $0 { !taken.contains(name) } else { true } }
            guard !left.isEmpty else { return nil }
            kept["names"] = .array(left)
            return .object(kept)
        })
    }

    private static func encoded(_ profile: [String: JSONValue]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(JSONValue.object(profile)))
    }

    static func blockingNestedUserNamespaces(_ bytes: [UInt8], source: String = "profile") throws -> [UInt8] {
        var (profile, rules) = try parse(bytes, source: source, removing: ["unshare", "clone", "clone3"])
        func flags(equal value: UInt64) -> JSONValue {
            .array([.object(["index": .number(0), "value": .number(Double(cloneNewUser)), "valueTwo": .number(Double(value)),
                             "op": .string("SCMP_CMP_MASKED_EQ")])])
        }
        let both: JSONValue = .array([.string("unshare"), .string("clone")])
        rules.append(.object(["names": both, "action": .string("SCMP_ACT_ALLOW"), "args": flags(equal: 0)]))
        rules.append(.object(["names": both, "action": .string("SCMP_ACT_ERRNO"), "errnoRet": .number(1), "args": flags(equal: cloneNewUser)]))
        rules.append(.object(["names": .array([.string("clone3")]), "action": .string("SCMP_ACT_ERRNO"), "errnoRet": .number(38)]))
        profile["syscalls"] = .array(rules)
        return try encoded(profile)
    }
}
