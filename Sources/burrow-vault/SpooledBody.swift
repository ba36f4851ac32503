import Foundation
import BurrowSystem

/// A large request body written to a file in the vault's private folder, for URLSession to upload
/// piece by piece; the file is removed when the last holder (the answer's stream) lets go.
final class SpooledBody: Sendable {
    let url: URL
    private let path: String

    init(_ bytes: [UInt8], in folder: String) throws {
        path = folder + "/body-\(UInt64.random(in: 0...UInt64.max))"
        try FileSystem.writeNew(bytes, to: path)
        url = URL(fileURLWithPath: path)
    }

    deinit { FileSystem.remove(path) }
}
