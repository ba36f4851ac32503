@testable import BurrowKit
import Foundation
import XCTest

/// The harvest's summary line is hostile (the helper read the agent's files): a bundle it carries
/// inline is taken only when it is what Burrow's helper writes.
final class HarvestSummaryTests: XCTestCase {
    let head = String(repeating: "a", count: 40)

    func line(bundle: Bool, base64: String) -> String {
        #"{"head":"\#(head)","agentHead":"","bundle":\#(bundle),"bundleBase64":"\#(base64)","notes":[]}"#
    }

    func testASmallBundleComesInline() throws {
        let bytes: [UInt8] = Array("# v2 git bundle\n".utf8) + [0, 1, 2, 255]
        let summary = try HarvestSummary.parse(line(bundle: true, base64: Data(bytes).base64EncodedString()))
        XCTAssertEqual(summary.inlineBundle, bytes)
        XCTAssertNil(try HarvestSummary.parse(line(bundle: true, base64: "")).inlineBundle, "empty: the bundle is in the container")
        XCTAssertNil(try HarvestSummary.parse(#"{"head":"\#(head)","bundle":false,"notes":[]}"#).inlineBundle, "an older helper's line")
    }

    func testAnInlineBundleThatIsNotTheHelpersIsRefused() {
        let big = Data(repeating: 7, count: HarvestSummary.inlineBundleBytes + 1).base64EncodedString()
        for bad in [line(bundle: false, base64: "AAAA"), line(bundle: true, base64: "not base64!"), line(bundle: true, base64: big)] {
            XCTAssertThrowsError(try HarvestSummary.parse(bad), String(bad.prefix(120))) { error in
                XCTAssertTrue("\(error)".contains("not what Burrow's helper writes"), "\(error)")
            }
        }
    }
}
