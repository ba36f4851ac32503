@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The event log read back without loading it: a reconnect replays from the sparse offset index,
/// `/history` streams the file in pieces, and a torn tail is found from the end.
final class EventLogTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws { directory = try TemporaryDirectory.make("burrow-log") }
    override func tearDown() { FileSystem.removeTree(directory) }

    func makeLog(events count: Int, dataBytes: Int = 0) async throws -> BurrowEvents {
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        let padding = String(repeating: "x", count: dataBytes)
        var batch: [(kind: EventKind, data: String)] = []
        for number in 1...count {
            batch.append((.agent, #"{"n":\#(number),"p":"\#(padding)"}"#))
            if batch.count == 1000 || number == count {
                try await log.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        return log
    }

    func replayed(_ subscription: EventSubscription) async throws -> (ids: [Int], bytesRead: Int) {
        var frames: [UInt8] = []
        let read = try await XCTUnwrap(subscription.replay, "nothing to replay").frames { frames += $0 }
        let ids = String(decoding: frames, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
        return (ids, read)
    }

    func testAReconnectReadsOnlyFromTheIndexedOffset() async throws {
        let live = try await makeLog(events: 200_000)
        let fileSize = try XCTUnwrap(FileSystem.status(live.path)?.size)
        XCTAssertGreaterThan(fileSize, 5_000_000)
        await live.close()
        // Reopened: the index is rebuilt by one pass over the file.
        let log = try BurrowEvents(path: directory + "/events.ndjson")
        let lastSequence = await log.lastSequence
        XCTAssertEqual(lastSequence, 200_000)
        let (ids, bytesRead) = try await replayed(await log.subscribe(after: 199_900))
        XCTAssertEqual(ids, Array(199_901...200_000))
        // At most one stride (256 lines of ~40 bytes) before the first wanted line, and the 100 lines.
        XCTAssertLessThan(bytesRead, 24 * 1024, "a replay of 100 events read \(bytesRead) bytes of a \(fileSize)-byte log")
        XCTAssertGreaterThan(bytesRead, 100 * 30)
    }

    func testReplayBoundariesAroundTheStride() async throws {
        let log = try await makeLog(events: 1_500)
        for after in [0, 1, 254, 255, 256, 257, 511, 512, 513, 1_024, 1_499] {
            let (ids, _) = try await replayed(await log.subscribe(after: after))
            XCTAssertEqual(ids, Array((after + 1)...1_500), "after \(after)")
        }
        let caughtUp = await log.subscribe(after: 1_500)
        XCTAssertNil(caughtUp.replay)
    }

    /// Replay then live: every event once, in order, the ones appended after subscribing included.
    func testReplayThenLiveHasNoGapAndNoDuplicate() async throws {
        let log = try await makeLog(events: 20)
        let subscription = await log.subscribe(after: 10)
        try await log.append([(kind: .agent, data: "{}"), (kind: .end, data: "{}")])
        var (ids, _) = try await replayed(subscription)
        while let frame = await subscription.channel.next() {
            ids += String(decoding: frame, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
        }
        XCTAssertEqual(ids, Array(11...22))
    }

    /// 40 MB of history through a real server: chunked, and the process grows far less than the log.
    func testHistoryIsStreamedInBoundedMemory() async throws {
        let log = try await makeLog(events: 40_000, dataBytes: 1_000)
        let slice = await log.history()
        XCTAssertGreaterThan(slice.end, 40_000_000)
        let server = try TestServer { router in
            router.get("/api/history") { _ in .streamed(slice, contentType: "application/x-ndjson") }
        }
        let baseline = FileSystem.residentBytes() ?? 0
        let client = try await server.client()
        try await client.send("GET /api/history HTTP/1.1\r\nHost: \(server.host)\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
        let head = try await client.streamHead()
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["Transfer-Encoding"], "chunked")
        XCTAssertNil(head.headers["Content-Length"])
        var total = 0
        var peak = baseline
        var lines = 0
        while case let piece = try await client.readSome(), !piece.isEmpty {
            total += piece.count
            lines += piece.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            peak = max(peak, FileSystem.residentBytes() ?? 0)
        }
        client.close()
        await server.stop()
        XCTAssertEqual(total, slice.end)
        XCTAssertEqual(lines, 40_000)
        print("history of \(slice.end >> 20) MiB: the process grew by \((peak - baseline) >> 10) KiB")
        XCTAssertLessThan(peak - baseline, 16 << 20, "serving a \(slice.end >> 20) MiB history grew the process by \((peak - baseline) >> 20) MiB")
    }

    func testFileSliceReadsInPiecesUpToItsEnd() async throws {
        let path = directory + "/bytes"
        try FileSystem.writeAtomically(Array(repeating: 0x61, count: 300_000), to: path)
        var pieces: [Int] = []
        try await FileSlice(path: path, start: 1_000, end: 250_000).forEachPiece(pieceSize: 64 * 1024) { pieces.append($0.count) }
        XCTAssertEqual(pieces.reduce(0, +), 249_000)
        XCTAssertEqual(pieces.max(), 64 * 1024)
    }

    func testATornTailIsCutFromTheEnd() throws {
        let path = directory + "/torn"
        let body = Array(repeating: UInt8(ascii: "a"), count: 99) + [0x0A]
        try FileSystem.writeAtomically(Array([[UInt8]](repeating: body, count: 2_000).joined()) + Array("{\"seq\":2001,\"ki".utf8), to: path)
        XCTAssertEqual(try AppendOnlyFile.repairTruncatedTail(path, pieceSize: 4_096), 15)
        XCTAssertEqual(FileSystem.status(path)?.size, 200_000)
        XCTAssertEqual(try AppendOnlyFile.repairTruncatedTail(path), 0)
        // A torn line longer than a piece, and a file with no newline at all.
        try FileSystem.writeAtomically(Array("ok\n".utf8) + Array(repeating: 0x62, count: 10_000), to: path)
        XCTAssertEqual(try AppendOnlyFile.repairTruncatedTail(path, pieceSize: 1_000), 10_000)
        XCTAssertEqual(try FileSystem.readFile(path), Array("ok\n".utf8))
        try FileSystem.writeAtomically(Array("no newline".utf8), to: path)
        XCTAssertEqual(try AppendOnlyFile.repairTruncatedTail(path, pieceSize: 4), 10)
        XCTAssertEqual(FileSystem.status(path)?.size, 0)
    }
}
