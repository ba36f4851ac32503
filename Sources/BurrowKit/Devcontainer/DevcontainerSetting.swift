import BurrowSystem
import BurrowPodman

/// A repo's `"devcontainer"` setting: `true` (the spec's standard places, `.devcontainer/devcontainer.json`
/// then `.devcontainer.json`), `false` (off, the default), or a path in the repo
/// (`".devcontainer/gpu/devcontainer.json"`: the spec allows several configs in subfolders).
public enum DevcontainerSetting: Codable, Sendable, Equatable {
    case off
    case standard
    case path(String)

    public static let standardPaths = [".devcontainer/devcontainer.json", ".devcontainer.json"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let enabled = try? container.decode(Bool.self) {
            self = enabled ? .standard : .off
        } else {
            self = .path(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .off: try container.encode(false)
        case .standard: try container.encode(true)
        case .path(let path): try container.encode(path)
        }
    }

    /// Where to look, in order; empty when off.
    public var candidates: [String] {
        switch self {
        case .off: []
        case .standard: Self.standardPaths
        case .path(let path): [path]
        }
    }

    /// Why a configured path cannot be used, or nil.
    public var problem: String? {
        guard case .path(let path) = self else { return nil }
        if RepoPath.normalized(path) == nil { return "'\(path)' must be a relative path inside the repo" }
        if !path.hasSuffix(".json") { return "'\(path)' must name a .json file (or use true for .devcontainer/devcontainer.json)" }
        return nil
    }
}

/// Paths inside a repository, as devcontainer.json writes them.
enum RepoPath {
    /// `path` made canonical (no `.`, `..` or empty parts), or nil when it is absolute or leaves the repo.
    /// The repo's root is "".
    static func normalized(_ path: String) -> String? {
        guard !path.hasPrefix("/"), !path.utf8.contains(0) else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if parts.popLast() == nil { return nil }
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// `relative` resolved against the folder `directory` (both inside the repo).
    static func resolve(_ relative: String, in directory: String) -> String? {
        guard !relative.hasPrefix("/") else { return nil }
        return normalized(directory.isEmpty ? relative : directory + "/" + relative)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}
