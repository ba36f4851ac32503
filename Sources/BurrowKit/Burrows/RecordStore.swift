import FoundationEssentials
import BurrowSystem

/// Every burrow's record, in memory and in the state dir (`<id>/record.json`). `update` is the only
/// way a record changes: the compiler sees to it (`records` is read-only outside). A value the
/// manager owns, so that reading a record and changing it never span an `await`: no copy of a record
/// is kept across a suspension to be written back, and there is no merge code.
///
/// Each change is saved before `update` returns: a Burrow killed with SIGKILL right after a burrow
/// was seen `running` must find it `running` on restart (and follow it, not clean it up as half-made).
struct RecordStore {
    let directory: String
    private(set) var records: [String: BurrowRecord] = [:]

    init(directory: String) { self.directory = directory }

    subscript(id: String) -> BurrowRecord? { records[id] }

    func folder(_ id: String) -> String { directory + "/" + id }

    /// The records an earlier run left (unreadable ones are passed over).
    mutating func load() -> [BurrowRecord] {
        var loaded: [BurrowRecord] = []
        for id in FileSystem.listDirectory(directory) {
            guard let bytes = try? FileSystem.readFile(folder(id) + "/record.json"),
                  let record = try? JSONCoding.decoder.decode(BurrowRecord.self, from: Data(bytes)) else { continue }
            records[id] = record
            loaded.append(record)
        }
        return loaded
    }

    /// A new burrow's first record, saved.
    mutating func add(_ record: BurrowRecord) throws {
        try save(record)
        records[record.id] = record
    }

    /// Changes the record in place and saves it; returns the changed record.
    @discardableResult
    mutating func update(_ id: String, _ change: (inout BurrowRecord) -> Void) throws -> BurrowRecord {
        guard var record = records[id] else { throw BurrowError.notFound(id: id) }
        change(&record)
        records[id] = record
        try save(record)
        return record
    }

    /// Forgets the burrow and removes its folder (records, events, results).
    mutating func purge(_ id: String) {
        records[id] = nil
        FileSystem.removeTree(folder(id))
    }

    private func save(_ record: BurrowRecord) throws {
        try FileSystem.writeAtomically(Array(try JSONCoding.encoder.encode(record)), to: folder(record.id) + "/record.json", mode: 0o600)
    }
}
