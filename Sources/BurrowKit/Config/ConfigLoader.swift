import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Finds and reads the configuration: `--config FILE`, else `./burrow.json`, else
/// `~/.config/burrow/burrow.json`, else the built-in defaults.
public enum ConfigLoader {
    public static func candidates(explicit: String?) -> [String] {
        if let explicit { return [explicit] }
        return [FileSystem.currentDirectory + "/burrow.json", FileSystem.homeDirectory + "/.config/burrow/burrow.json"]
    }

    /// The configuration and the file it came from (nil for defaults).
    public static func load(explicit: String? = nil) throws(ConfigError) -> (Config, String?) {
        for path in candidates(explicit: explicit) {
            guard FileSystem.exists(path) else {
                if explicit != nil { throw ConfigError(field: "", reason: "the file does not exist", file: path) }
                continue
            }
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path, limit: 1 << 20) } catch {
                throw ConfigError(field: "", reason: error.description, file: path)
            }
            return (try parse(bytes, file: path), path)
        }
        let config = Config()
        try config.validate()
        return (config, nil)
    }

    public static func parse(_ bytes: [UInt8], file: String? = nil) throws(ConfigError) -> Config {
        let config: Config
        do {
            // Every section, however deep, refuses a key it does not know: a typo must not become a default.
            config = try JSONDecoder().decode(KnownKeysOnly<Config>.self, from: Data(bytes)).value
        } catch let error as DecodingError {
            throw fieldError(error, file: file)
        } catch {
            throw ConfigError(field: "", reason: "\(error)", file: file)
        }
        do { try config.validate() } catch {
            var error = error
            error.file = file
            throw error
        }
        return config
    }

    static func fieldError(_ error: DecodingError, file: String?) -> ConfigError {
        let context: DecodingError.Context
        var reason: String
        switch error {
        case .keyNotFound(let key, let found):
            return ConfigError(field: (found.codingPath + [key]).dottedPath, reason: "is required", file: file)
        case .typeMismatch(let type, let found): context = found; reason = "expected \(Self.name(of: type))"
        case .valueNotFound(let type, let found): context = found; reason = "expected \(Self.name(of: type)), found null"
        case .dataCorrupted(let found): context = found; reason = found.debugDescription
        @unknown default: return ConfigError(field: "", reason: "\(error)", file: file)
        }
        if context.codingPath.isEmpty, let underlying = context.underlyingError { reason = "not valid JSON: \(underlying)" }
        return ConfigError(field: context.codingPath.dottedPath, reason: reason, file: file)
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        default: "\(type)".contains("Array") ? "a list" : "an object"
        }
    }
}

extension [any CodingKey] {
    var dottedPath: String {
        map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(".[", with: "[")
    }
}
