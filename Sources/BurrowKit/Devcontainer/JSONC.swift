import BurrowSystem
import BurrowPodman

/// JSON with comments, as devcontainer.json is written: `//` and `/* */` comments and trailing commas
/// in arrays and objects. A pure parser over bytes with explicit limits; objects keep their key order
/// (named lifecycle commands run in the order the file lists them).
public enum JSONC {
    public indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Value])
        /// Key order as written; a repeated key keeps its last value, at its first place.
        case object([(key: String, value: Value)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): true
            case (.bool(let a), .bool(let b)): a == b
            case (.number(let a), .number(let b)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.array(let a), .array(let b)): a == b
            case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
            default: false
            }
        }

        public subscript(key: String) -> Value? {
            guard case .object(let members) = self else { return nil }
            return members.last { $0.key == key }?.value
        }

        /// The JSON type's name, for error messages.
        public var typeName: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    public struct Limits: Sendable {
        public var maxBytes = 1 << 20
        public var maxDepth = 64
        public init() {}
    }

    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let reason: String
        public var description: String { "line \(line), column \(column): \(reason)" }
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(SyntaxError) -> Value {
        if bytes.count > limits.maxBytes {
            throw SyntaxError(line: 1, column: 1, reason: "\(bytes.count) bytes, over the \(limits.maxBytes)-byte limit")
        }
        var parser = JSONCParser(bytes: bytes, maxDepth: limits.maxDepth)
        return try parser.document()
    }
}
