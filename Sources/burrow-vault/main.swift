import Foundation
import Glibc
import BurrowSystem
import BurrowHTTP

// burrow-vault --socket PATH --upstream URL
// The one process that holds the real Anthropic credential and talks to the upstream (TLS through
// URLSession, which is why it lives here: Foundation's networking stays out of Burrow's own
// process). Burrow starts it with a socket as standard input, writes the credential on it as one
// line, and gets "ready" back once PATH listens. Burrow's model endpoint sends it requests it has
// already checked (route, budget, headers); the vault adds the credential and streams the answer
// back. It exits when its standard input ends, i.e. when Burrow stops it or dies.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("burrow-vault: \(message)\n".utf8))
    exit(2)
}

func readCredentialLine() -> String {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while bytes.count < 64 * 1024, read(0, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
    return String(decoding: bytes, as: UTF8.self)
}

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
guard let socketPath = option("--socket"), let upstreamText = option("--upstream"),
      let upstream = URL(string: upstreamText), upstream.scheme == "https" || upstream.scheme == "http" else {
    fail("usage: burrow-vault --socket PATH --upstream URL (the credential comes on standard input)")
}
signal(SIGPIPE, SIG_IGN)
MemoryTuning.returnLargeBlocksWhenFreed()
let credential = VaultCredential(value: readCredentialLine())
guard !credential.value.isEmpty else { fail("no credential on standard input") }

let listener: AsyncSocket
do {
    listener = try AsyncSocket.listening(on: .unix(socketPath))
    chmod(socketPath, 0o600)
} catch {
    fail("cannot listen on \(socketPath): \(error)")
}
var limits = HTTPLimits()
limits.maxBodyBytes = VaultForwarder.maxRequestBytes
// Large bodies are spooled beside the socket, in the folder only Burrow's user can enter.
let forwarder = VaultForwarder(upstream: upstream, credential: credential, spoolFolder: (socketPath as NSString).deletingLastPathComponent)
let server = HTTPServer(listener: listener, limits: limits) { request in await forwarder.answer(request) }
_ = "ready\n".withCString { write(0, $0, 6) }

// Burrow closing our standard input is the signal to go.
Thread.detachNewThread {
    var byte: UInt8 = 0
    while read(0, &byte, 1) > 0 {}
    unlink(socketPath)
    exit(0)
}
await server.run()
