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
    static let cloneNewUser: UInt64 = 0x1000_0000

    /// Writes the profile (again, if Podman's default changed) under `directory`, readable by
    /// Podman's user; returns its path for the container spec.
    static func install(in directory: String, defaults: [String] = podmanDefaults) throws -> String {
        guard let source = defaults.first(where: FileSystem.exists) else {
            throw SandboxError.seccompDefaultMissing(tried: defaults)
        }
        let profile = try blockingNestedUserNamespaces(FileSystem.readFile(source), source: source)
        let path = directory + "/" + fileName
        if (try? FileSystem.readFile(path)) != profile { try FileSystem.writeAtomically(profile, to: path, mode: 0o644) }
        return path
    }

    static func blockingNestedUserNamespaces(_ bytes: [UInt8], source: String = "profile") throws -> [UInt8] {
        guard case .object(var profile)? = try? JSONCoding.decoder.decode(JSONValue.self, from: Data(bytes)),
              case .array(var rules)? = profile["syscalls"] else {
            throw SandboxError.seccompDefaultMissing(tried: [source + " (not a seccomp profile)"])
        }
        let taken: Set<String> = ["unshare", "clone", "clone3"]
        rules = rules.compactMap { rule in
            guard case .object(var kept) = rule, case .array(let names)? = kept["names"] else { return rule }
            let left = names.filter { if case .string(let name) = $0 { !taken.contains(name) } else { true } }
            guard !left.isEmpty else { return nil }
            kept["names"] = .array(left)
            return .object(kept)
        }
        func flags(equal value: UInt64) -> JSONValue {
            .array([.object(["index": .number(0), "value": .number(Double(cloneNewUser)), "valueTwo": .number(Double(value)),
                             "op": .string("SCMP_CMP_MASKED_EQ")])])
        }
        let both: JSONValue = .array([.string("unshare"), .string("clone")])
        rules.append(.object(["names": both, "action": .string("SCMP_ACT_ALLOW"), "args": flags(equal: 0)]))
        rules.append(.object(["names": both, "action": .string("SCMP_ACT_ERRNO"), "errnoRet": .number(1), "args": flags(equal: cloneNewUser)]))
        rules.append(.object(["names": .array([.string("clone3")]), "action": .string("SCMP_ACT_ERRNO"), "errnoRet": .number(38)]))
        profile["syscalls"] = .array(rules)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(JSONValue.object(profile)))
    }
}
