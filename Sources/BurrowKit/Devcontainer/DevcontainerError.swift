import BurrowSystem
import BurrowPodman

/// What is wrong with a repo's devcontainer, said so the user can fix the file or the config.
public enum DevcontainerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file is not JSON with comments.
    case syntax(file: String, JSONC.SyntaxError)
    /// A key holds the wrong kind of value.
    case invalid(file: String, key: String, reason: String)
    /// Neither `image` nor `build.dockerfile` (e.g. a Docker Compose devcontainer).
    case noImage(file: String, detail: String)
    case tooLarge(file: String, bytes: Int, limit: Int)
    /// The config names a file that the commit does not have.
    case missing(path: String, commit: String)
    /// A path in the file leaves the repository or is absolute.
    case outsideRepository(file: String, key: String, path: String)
    case contextTooLarge(path: String, bytes: Int64, limit: Int64)
    case git(String)
    case buildFailed(image: String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let file, let error):
            "\(file) is not valid JSON with comments: \(error)"
        case .invalid(let file, let key, let reason):
            "\(file): \"\(key)\" \(reason)"
        case .noImage(let file, let detail):
            "\(file) names no image: \(detail) (Burrow supports \"image\" or \"build\": {\"dockerfile\"})"
        case .tooLarge(let file, let bytes, let limit):
            "\(file) is \(bytes) bytes, over the \(limit)-byte limit for a devcontainer.json"
        case .missing(let path, let commit):
            "the repo has no \(path) at commit \(commit.prefix(12)) (the repo's \"devcontainer\" setting names it)"
        case .outsideRepository(let file, let key, let path):
            "\(file): \"\(key)\" is '\(path)', outside the repository; it must be a relative path inside it"
        case .contextTooLarge(let path, let bytes, let limit):
            "the build context '\(path)' is \(bytes >> 20) MiB, over the \(limit >> 20) MiB limit; point build.context at a smaller folder"
        case .git(let detail):
            "cannot read the devcontainer from Burrow's copy of the repo: \(detail)"
        case .buildFailed(let image, let reason):
            "building the devcontainer image \(image) failed: \(reason)"
        }
    }
}
