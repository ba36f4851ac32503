import Glibc

/// The host's account database, for questions about another user (Podman's).
public enum UserAccounts {
    /// The groups `uid` belongs to, its primary group first; empty when the host does not know it.
    public static func groups(of uid: UInt32) -> [UInt32] {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return [] }
        let primary = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, primary, &groups, &count) >= 0 else { return [primary] }
        }
        return [primary] + groups.prefix(Int(count)).filter { $0 != primary }
    }
}
