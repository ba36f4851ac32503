import BurrowKit
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowCommands

/// `burrow serve|init|doctor|gc|image|version|help` and the client commands (`run`, `ls`, `logs`, …).
/// The command line is parsed whole before anything runs: help, version and usage errors exit here,
/// so only `serve` opens a state dir or a socket.
let invocation: Invocation
switch CommandLineParser.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let parsed):
    invocation = parsed
case .failure(let error):
    Console.error("burrow: \(error)\n\n\(error.usage)")
    exit(2)
}

switch invocation {
case .help(let command):
    Console.out(command?.usage ?? CommandLineParser.usage)
case .clientHelp(let verb):
    Console.out(verb.usage)
case .client(let client):
    exit(await ClientCommands.run(client))
case .version:
    Console.out("burrow \(BurrowVersion.current)")
case .initialize(let configPath, let port, let repos, let socket):
    exit(await InitCommand.run(configPath: configPath, port: port, repos: repos, socket: socket) ? 0 : 1)
case .serve(let configPath, let port, let repos):
    MemoryTuning.returnLargeBlocksWhenFreed()
    DescriptorLimit.raiseToHardLimit()
    do {
        try await ServeCommand.run(configPath: configPath, port: port, repos: repos)
    } catch {
        Console.error("burrow: \(error)")
        exit(1)
    }
case .doctor(let configPath):
    exit(await DoctorCommand.run(configPath: configPath) ? 0 : 1)
case .gc(let configPath, let dryRun):
    exit(await GCCommand.run(configPath: configPath, dryRun: dryRun) ? 0 : 1)
case .imageBuild(let configPath, let socket, let tag, let force):
    exit(await ImageCommand.build(configPath: configPath, socket: socket, tag: tag, force: force) ? 0 : 1)
}
