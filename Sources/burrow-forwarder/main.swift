import Glibc

// burrow-forwarder: runs inside a burrow as the container's command. It listens on a loopback TCP
// port and hands every connection to Burrow's egress socket (mounted in by Burrow), then runs the
// agent command as its child and exits with the agent's status. Built as a static executable, so it
// works whatever the image holds (no glibc, no socat needed); it is deliberately separate from
// BurrowKit, whose socket layer needs Foundation and the Swift runtime libraries.
//
// Usage: burrow-forwarder [--listen 127.0.0.1:3128|none] [--to /run/burrow/proxy.sock] [--relay] [--stdin FILE] -- command args…
// `--stdin FILE`: the agent reads FILE as its standard input (the task, so that it never appears in
// any process's arguments on the host); the file is removed once open. `--listen none`: no proxy.
// `--relay`: relay each connection's bytes instead of handing its descriptor over (remote runners,
// where the socket is forwarded over SSH). `--preview-relay SOCKET`: no command; Burrow's relay into a
// burrow's network namespace for previews (PreviewRelay; after `--relay`, relaying bytes too).

var arguments = Array(CommandLine.arguments.dropFirst())
var listenAt = "127.0.0.1:3128"
var target = "/run/burrow/proxy.sock"
var command: [String] = []
var stdinPath: String?
var relaying = false
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--listen": listenAt = arguments.isEmpty ? listenAt : arguments.removeFirst()
    case "--to": target = arguments.isEmpty ? target : arguments.removeFirst()
    case "--relay": relaying = true
    case "--preview-relay":
        guard let path = arguments.first, var relay = PreviewRelay.open(path) else { fail("cannot serve previews: \(String(cString: strerror(errno)))") }
        relay.relayBytes = relaying
        relay.run()
    case "--stdin": stdinPath = arguments.isEmpty ? nil : arguments.removeFirst()
    case "--": command = arguments; arguments = []
    default: command = [argument] + arguments; arguments = []
    }
}

func fail(_ message: String) -> Never {
    let line = "burrow-forwarder: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(126)
}

guard !command.isEmpty else { fail("no command to run") }
var input: Int32?
if let stdinPath {
    let descriptor = open(stdinPath, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { fail("cannot open \(stdinPath): \(String(cString: strerror(errno)))") }
    unlink(stdinPath)
    input = descriptor
}
var handover: Handover?
var relay: Relay?
if listenAt != "none" {
    guard let listener = Listener.open(listenAt) else { fail("cannot listen on \(listenAt): \(String(cString: strerror(errno)))") }
    if relaying { relay = Relay(listener: listener, target: target) } else { handover = Handover(listener: listener, target: target) }
}
guard let child = Supervisor.spawn(command, stdin: input) else { fail("cannot start \(command[0]): \(String(cString: strerror(errno)))") }
if let input { close(input) }
while true {
    if let status = Supervisor.reap(child) { exit(status) }
    if let handover { handover.step(timeoutMilliseconds: 200) } else if let relay { relay.step(timeoutMilliseconds: 200) } else { usleep(100_000) }
}
