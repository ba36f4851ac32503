import FoundationEssentials

/// Decodes `T` refusing, in every object of the document, a key that the type decoding that object
/// never asked for. A section's known keys are then exactly what its `init(from:)` reads (its
/// `CodingKeys`, synthesized or not), so a field added to a section is known without a list to keep,
/// and a nested section added later is checked without anyone remembering to.
struct KnownKeysOnly<T: Decodable>: Decodable {
    let value: T

    init(from decoder: any Decoder) throws {
        let watched = KnownKeysDecoder(base: decoder)
        value = try T(from: watched)
        try watched.log.check(at: decoder.codingPath)
    }
}

/// The keys of one object: those it has, those its type asked about.
final class KeyLog {
    private(set) var present: [String] = []
    private var seen = Set<String>()
    var asked = Set<String>()

    /// Linear in the keys: a map of 50,000 names (a 1 MiB `env`) must not take quadratic time.
    func found(_ key: String) {
        if seen.insert(key).inserted { present.append(key) }
    }

    func check(at path: [any CodingKey]) throws {
        guard let unknown = present.first(where: { !asked.contains($0) }) else { return }
        throw DecodingError.dataCorrupted(.init(
            codingPath: path + [UnknownKeys.AnyKey(stringValue: unknown)],
            debugDescription: "unknown field (known: \(asked.sorted().joined(separator: ", ")))"))
    }
}

struct KnownKeysDecoder: Decoder {
    let base: any Decoder
    /// Shared by every keyed container the type opens on this decoder (a check of its own counts too).
    let log = KeyLog()

    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try base.container(keyedBy: type)
        // Read as plain strings: a container's `allKeys` leaves out what its key type cannot name.
        for key in try base.container(keyedBy: UnknownKeys.AnyKey.self).allKeys { log.found(key.stringValue) }
        return KeyedDecodingContainer(KnownKeysContainer(base: container, log: log))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { KnownKeysList(base: try base.unkeyedContainer()) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { KnownKeysValue(base: try base.singleValueContainer()) }
}

/// Records each key asked about; values that are objects are decoded through `KnownKeysOnly`.
struct KnownKeysContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let base: KeyedDecodingContainer<Key>
    let log: KeyLog

    var codingPath: [any CodingKey] { base.codingPath }
    var allKeys: [Key] { base.allKeys }

    private func asked(_ key: Key) -> Key {
        log.asked.insert(key.stringValue)
        return key
    }

    func contains(_ key: Key) -> Bool { base.contains(asked(key)) }
    func decodeNil(forKey key: Key) throws -> Bool { try base.decodeNil(forKey: asked(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try base.decode(type, forKey: asked(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try base.decode(type, forKey: asked(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try base.decode(KnownKeysOnly<T>.self, forKey: asked(key)).value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try base.nestedContainer(keyedBy: type, forKey: asked(key))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try base.nestedUnkeyedContainer(forKey: asked(key)) }
    func superDecoder() throws -> any Decoder { try base.superDecoder() }
    func superDecoder(forKey key: Key) throws -> any Decoder { try base.superDecoder(forKey: asked(key)) }
}

/// A list's elements, decoded through `KnownKeysOnly`.
struct KnownKeysList: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try base.decode(KnownKeysOnly<T>.self).value }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try base.nestedContainer(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try base.nestedUnkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try base.superDecoder() }
}

/// A single value: a section may be a string or an object (`"network": "none"`).
struct KnownKeysValue: SingleValueDecodingContainer {
    let base: any SingleValueDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }
    func decodeNil() -> Bool { base.decodeNil() }
    func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try base.decode(KnownKeysOnly<T>.self).value }
}
