/// The header of the bundle a harvest wrote, read as hostile bytes: the commit its one ref
/// (`refs/heads/result`) names, and where its pack begins (`git index-pack` reads from there).
/// The format: a signature line (`# v2 git bundle`, or v3 with `@` capability lines), prerequisite
/// lines (`-ID comment`, which the pack's own check covers), reference lines (`ID refname`), an empty
/// line, then the pack.
struct GitBundleHeader: Equatable {
    let head: String
    let packOffset: Int64

    /// A header longer than this is not the harvest's (its prerequisites are the base and the agent's earlier heads).
    static let maxBytes = 1 << 20

    /// `format`: the object format the ids must have (`sha1`, `sha256`).
    static func parse(_ bytes: [UInt8], format: String) throws(CrossingError) -> GitBundleHeader {
        func refuse(_ why: String) -> CrossingError { .resultRejected("the harvest's bundle \(why)") }
        let idLength = format == "sha256" ? 64 : 40
        var lines: [ArraySlice<UInt8>] = []
        var start = 0, packOffset: Int?
        while start < bytes.count, let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if end == start {
                packOffset = end + 1
                break
            }
            lines.append(bytes[start..<end])
            start = end + 1
        }
        guard let packOffset, let signature = lines.first else { throw refuse("has no header Burrow can read") }
        guard bytes[packOffset...].starts(with: Array("PACK".utf8)) else { throw refuse("has no pack after its header") }
        let version3 = signature.elementsEqual("# v3 git bundle".utf8)
        guard version3 || signature.elementsEqual("# v2 git bundle".utf8) else { throw refuse("is not a git bundle of version 2 or 3") }
        var head: String?
        for line in lines.dropFirst() {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("@") {
                guard version3, text == "@object-format=\(format)" else { throw refuse("asks for \(text.prefix(80)), which Burrow's harvest never does") }
            } else if text.hasPrefix("-") {
                guard ObjectID.isValid(String(text.dropFirst().prefix(idLength))), text.utf8.count == idLength + 1 || text.dropFirst(idLength + 1).hasPrefix(" ") else {
                    throw refuse("has a prerequisite line Burrow cannot read")
                }
            } else {
                let id = String(text.prefix(idLength))
                guard head == nil, ObjectID.isValid(id), id.utf8.count == idLength, id.contains(where: { $0 != "0" }),
                      text.dropFirst(idLength) == " refs/heads/result" else {
                    throw refuse("names a reference other than its one result: \(text.prefix(120))")
                }
                head = id
            }
        }
        guard let head else { throw refuse("names no result") }
        return GitBundleHeader(head: head, packOffset: Int64(packOffset))
    }
}
