@testable import BurrowKit
import XCTest

final class ConfigTests: XCTestCase {
    func parse(_ json: String) throws -> Config { try ConfigLoader.parse(Array(json.utf8), file: "test.json") }

    func testDefaultsNeedNoFile() throws {
        let config = try parse("{}")
        XCTAssertEqual(config.listen, "127.0.0.1:7878")
        XCTAssertEqual(config.stateDir, "~/.local/state/burrow")
        XCTAssertTrue(config.resolvedStateDir.hasSuffix("/.local/state/burrow"))
        XCTAssertFalse(config.resolvedStateDir.hasPrefix("~"))
    }

    func testErrorsNameTheFieldAndWhy() {
        func message(_ json: String) -> String {
            do { _ = try parse(json); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(#"{"listen": 7878}"#).contains("field 'listen': expected a string"), message(#"{"listen": 7878}"#))
        XCTAssertTrue(message(#"{"listen": "nonsense"}"#).contains("field 'listen'"))
        XCTAssertTrue(message(#"{"lisen": "127.0.0.1:1"}"#).contains("field 'lisen': unknown field"))
        XCTAssertTrue(message(#"{"listen": "0.0.0.0:7878"}"#).contains("allowRemote"))
        XCTAssertTrue(message(#"{"listen": "#).contains("test.json"))
        XCTAssertNoThrow(try parse(#"{"listen": "0.0.0.0:7878", "allowRemote": true}"#))
    }

    func testExampleFileIsValidAndDocumentsEveryField() throws {
        let path = #filePath.components(separatedBy: "/Tests/")[0] + "/burrow.example.json"
        let bytes = try FileSystem.readFile(path)
        XCTAssertNoThrow(try ConfigLoader.parse(bytes, file: path))
        let text = String(decoding: bytes, as: UTF8.self)
        for key in Config.Key.allCases { XCTAssertTrue(text.contains("\"\(key.rawValue)\""), "example lacks \(key.rawValue)") }
    }
}
