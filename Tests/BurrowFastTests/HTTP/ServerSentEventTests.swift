@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman

@testable import BurrowKit
import Synchronization
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class ServerSentEventTests: XCTestCase {
    func testMultiLineDataAndFieldsCannotBeInjected() {
        let event = ServerSentEvent(id: "7\nevent: evil", event: "agent", data: "line one\r\nline two\rthree")
        XCTAssertEqual(String(decoding: event.encoded, as: UTF8.self),
                       "id: 7event: evil\nevent: agent\ndata: line one\ndata: line two\ndata: three\n\n")
        let blank = ServerSentEvent(data: "\na\n\nb\r\rc\r\n")
        XCTAssertEqual(String(decoding: blank.encoded, as: UTF8.self),
                       "data: \ndata: a\ndata: \ndata: b\ndata: \ndata: c\ndata: \n\n")
    }

    func testChannelDropsAClientThatFallsBehind() async {
        let channel = EventChannel(capacity: 3)
        let aborted = ManagedFlag()
        channel.onOverflow { aborted.set() }
        XCTAssertTrue(channel.send([1]))
        XCTAssertTrue(channel.send([2]))
        XCTAssertTrue(channel.send([3]))
        XCTAssertFalse(channel.send([4]), "the fourth frame overflows")
        XCTAssertTrue(aborted.value)
        XCTAssertTrue(channel.isOverflowed)
        let next = await channel.next()
        XCTAssertNil(next, "an overflowed channel ends")
    }

    func testBroadcasterReplaysAfterLastSeenThenFollows() async {
        let broadcaster = EventBroadcaster()
        for index in 1...5 { await broadcaster.publish(event: "n", data: "\(index)") }
        let channel = await broadcaster.subscribe(after: 3)
        await broadcaster.publish(event: "n", data: "6")
        var ids: [String] = []
        for _ in 0..<3 {
            let frame = String(decoding: await channel.next()!, as: UTF8.self)
            ids.append(String(frame.split(separator: "\n")[0].dropFirst(4)))
        }
        XCTAssertEqual(ids, ["4", "5", "6"])
    }
}

final class ManagedFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var value: Bool { flag.load(ordering: .relaxed) }
}
