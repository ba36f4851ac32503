import BurrowSystem
import BurrowHTTP
import BurrowPodman
import Foundation

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
        guard var profile = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              var rules = profile["syscalls"] as? [[String: Any]] else {
            throw SandboxError.seccompDefaultMissing(tried: [source + " (not a seccomp profile)"])
        }
        let taken: Set<String> = ["unshare", "clone", "clone3"]
        rules = rules.compactMap { rule in
            guard var names = rule["names"] as? [String] else { return rule }
            names.removeAll { taken.contains($0) }
            guard !names.isEmpty else { return nil }
            var kept = rule
            kept["names"] = names
            return kept
        }
        func flags(equal value: UInt64) -> [[String: Any]] {
            [["index": 0, "value": cloneNewUser, "valueTwo": value, "op": "SCMP_CMP_MASKED_EQ"]]
        }
        rules.append(["names": ["unshare", "clone"], "action": "SCMP_ACT_ALLOW", "args": flags(equal: 0)])
        rules.append(["names": ["unshare", "clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": flags(equal: cloneNewUser)])
        rules.append(["names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38])
        profile["syscalls"] = rules
        return Array(try JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys]))
    }
}
