import BurrowKit
import Dispatch
import Glibc

/// `burrow serve [--config FILE]` | `burrow doctor [--config FILE]` | `burrow gc [--dry-run]` | `burrow image build` | `burrow version`
let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first { !$0.hasPrefix("-") } ?? "serve"

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func fail(_ message: String) -> Never {
    Console.error("burrow: \(message)")
    exit(2)
}

switch command {
case "serve":
    do {
        try await ServeCommand.run(configPath: option("--config"))
    } catch {
        fail("\(error)")
    }
case "doctor":
    let ok = await DoctorCommand.run(configPath: option("--config"))
    exit(ok ? 0 : 1)
case "gc":
    let ok = await GCCommand.run(configPath: option("--config"), dryRun: arguments.contains("--dry-run"))
    exit(ok ? 0 : 1)
case "image":
    guard arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) == "build" else { fail("usage: burrow image build [--config FILE] [--podman-socket PATH] [--tag NAME] [--force]") }
    let ok = await ImageCommand.build(configPath: option("--config"), socket: option("--podman-socket"), tag: option("--tag"),
                                      force: arguments.contains("--force"))
    exit(ok ? 0 : 1)
case "version", "--version":
    Console.out("burrow \(BurrowVersion.current)")
case "help", "--help", "-h":
    Console.out("""
    usage: burrow serve  [--config FILE]   run the web app (default)
           burrow doctor [--config FILE]   check that Burrow can launch burrows here
           burrow gc [--config FILE] [--dry-run]   remove containers and volumes no burrow owns
           burrow image build [--config FILE] [--podman-socket PATH] [--tag NAME] [--force]
                                           build the agent image (Debian + Claude Code) into Burrow's Podman
           burrow version
    """)
default:
    fail("unknown command '\(command)'; try `burrow help`")
}
