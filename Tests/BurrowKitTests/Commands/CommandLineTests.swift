@testable import BurrowKit
@testable import BurrowSystem
@testable import BurrowHTTP
@testable import BurrowPodman
import XCTest
@testable import BurrowWeb
@testable import BurrowCommands

/// The parser alone: which invocation each command line is, and which are usage errors.
final class CommandLineParserTests: XCTestCase {
    func parse(_ arguments: String) -> Result<Invocation, UsageError> {
        CommandLineParser.parse(arguments.split(separator: " ").map(String.init))
    }

    func testHelpAndVersionNeverServe() {
        XCTAssertEqual(try parse("--help").get(), .help(nil))
        XCTAssertEqual(try parse("-h").get(), .help(nil))
        XCTAssertEqual(try parse("help").get(), .help(nil))
        XCTAssertEqual(try parse("help gc").get(), .help(.gc))
        XCTAssertEqual(try parse("--version").get(), .version)
        XCTAssertEqual(try parse("version").get(), .version)
        XCTAssertEqual(try parse("serve --help").get(), .help(.serve))
        XCTAssertEqual(try parse("serve --config x.json -h").get(), .help(.serve))
        XCTAssertEqual(try parse("gc --help").get(), .help(.gc))
    }

    func testCommandsWithOptions() {
        XCTAssertEqual(try parse("serve").get(), .serve(configPath: nil))
        XCTAssertEqual(try parse("serve --config a.json").get(), .serve(configPath: "a.json"))
        XCTAssertEqual(try parse("serve --config=a.json").get(), .serve(configPath: "a.json"))
        XCTAssertEqual(try parse("doctor --config a.json").get(), .doctor(configPath: "a.json"))
        XCTAssertEqual(try parse("gc --dry-run --config a.json").get(), .gc(configPath: "a.json", dryRun: true))
        XCTAssertEqual(try parse("gc").get(), .gc(configPath: nil, dryRun: false))
    }

    func testUsageErrors() {
        for line in ["", "--config a.json", "bogus", "--bogus", "serve --bogus", "serve extra", "serve --config",
                     "serve --dry-run", "version --config a.json", "--help extra", "--version --help", "help bogus",
                     "gc --dry-run=yes", "serve --config="] {
            guard case .failure(let error) = parse(line) else { return XCTFail("'\(line)' parsed") }
            XCTAssertFalse(error.message.isEmpty, line)
        }
        if case .failure(let error) = parse("serve --bogus") { XCTAssertEqual(error.command, .serve) }
    }

    func testEachCommandHasItsOwnUsage() {
        for command in Subcommand.allCases {
            XCTAssertTrue(command.usage.hasPrefix("usage: burrow \(command.rawValue)"), command.usage)
            XCTAssertTrue(command.usage.contains("--help"), command.usage)
        }
        XCTAssertTrue(Subcommand.gc.usage.contains("--dry-run"))
        XCTAssertTrue(Subcommand.serve.usage.contains("--config FILE"))
        for command in Subcommand.allCases { XCTAssertTrue(CommandLineParser.usage.contains(command.rawValue)) }
    }
}

/// The built `burrow` binary run as a subprocess with HOME in a scratch folder whose config would
/// serve on a free port with its state there: only `serve` may create the state dir or listen.
final class CommandLineBinaryTests: XCTestCase {
    let binary = #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/burrow"

    func testHelpVersionAndUsageErrorsStartNothing() async throws {
        XCTAssertTrue(FileSystem.exists(binary), "build the burrow product first: \(binary)")
        let home = try TemporaryDirectory.make("burrow-cli")
        defer { FileSystem.removeTree(home) }
        let port = try freePort()
        try FileSystem.createDirectories(home + "/.config/burrow")
        try FileSystem.writeAtomically(Array(#"{"listen":"127.0.0.1:\#(port)","stateDir":"\#(home)/state"}"#.utf8),
                                       to: home + "/.config/burrow/burrow.json")
        let cases: [(arguments: [String], status: Int32, stdout: String?, stderr: String?)] = [
            (["--help"], 0, "usage: burrow COMMAND", nil),
            (["-h"], 0, "usage: burrow COMMAND", nil),
            (["help"], 0, "usage: burrow COMMAND", nil),
            (["help", "doctor"], 0, "usage: burrow doctor", nil),
            (["--version"], 0, "burrow \(BurrowVersion.current)", nil),
            (["version"], 0, "burrow \(BurrowVersion.current)", nil),
            (["serve", "--help"], 0, "usage: burrow serve", nil),
            (["serve", "-h"], 0, "usage: burrow serve", nil),
            (["doctor", "--help"], 0, "usage: burrow doctor", nil),
            (["gc", "--help"], 0, "--dry-run", nil),
            ([], 2, nil, "no command given"),
            (["bogus"], 2, nil, "unknown command 'bogus'"),
            (["--bogus"], 2, nil, "unknown option '--bogus'"),
            (["--config", home + "/.config/burrow/burrow.json"], 2, nil, "usage: burrow COMMAND"),
            (["serve", "--bogus"], 2, nil, "usage: burrow serve"),
            (["serve", "extra"], 2, nil, "unexpected argument 'extra'"),
            (["gc", "--dry-run", "--force"], 2, nil, "unknown option '--force'"),
        ]
        for (arguments, status, stdout, stderr) in cases {
            let what = "burrow \(arguments.joined(separator: " "))"
            let result = try await Subprocess.run([binary] + arguments, environment: ["HOME": home, "BURROW_TOKEN": "cli-test"],
                                                  timeout: .seconds(20))
            XCTAssertEqual(result.status, status, "\(what): \(result.stdout) \(result.stderr)")
            if let stdout { XCTAssertTrue(result.stdout.contains(stdout), "\(what) printed: \(result.stdout)") }
            if let stderr {
                XCTAssertTrue(result.stderr.contains(stderr), "\(what) said: \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("usage: burrow"), "\(what) said: \(result.stderr)")
                XCTAssertEqual(result.stdout, "", what)
            }
            XCTAssertFalse(FileSystem.exists(home + "/state"), "\(what) created the state dir")
            let listening = await isListening(port)
            XCTAssertFalse(listening, "\(what) left a server on \(port)")
        }
    }

    /// The probe itself works: `serve` with that HOME does create the state dir and listen.
    func testServeDoesStartWithTheSameSetup() async throws {
        let home = try TemporaryDirectory.make("burrow-cli")
        defer { FileSystem.removeTree(home) }
        let port = try freePort()
        try FileSystem.createDirectories(home + "/.config/burrow")
        try FileSystem.writeAtomically(Array(#"{"listen":"127.0.0.1:\#(port)","stateDir":"\#(home)/state","podmanSocket":"\#(home)/none.sock"}"#.utf8),
                                       to: home + "/.config/burrow/burrow.json")
        let binary = self.binary
        let serving = Task { try await Subprocess.run([binary, "serve"], environment: ["HOME": home, "BURROW_TOKEN": "cli-test"], timeout: .seconds(30)) }
        defer { serving.cancel() }
        var listening = false
        for _ in 0..<200 where !listening {
            try await Task.sleep(for: .milliseconds(50))
            listening = await isListening(port)
        }
        XCTAssertTrue(listening, "burrow serve did not listen on \(port)")
        XCTAssertTrue(FileSystem.exists(home + "/state"))
        serving.cancel()
        _ = try? await serving.value
        let stillListening = await isListening(port)
        XCTAssertFalse(stillListening, "the server outlived its cancelled Subprocess")
    }

    func freePort() throws -> UInt16 {
        let socket = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        defer { socket.close() }
        return socket.localAddress?.port ?? 0
    }

    func isListening(_ port: UInt16) async -> Bool {
        guard let socket = try? await AsyncSocket.connect(to: .ipv4("127.0.0.1", port: port)) else { return false }
        socket.close()
        return true
    }
}
